import Foundation
import MongeCore
import TestSupport
import Testing

/// `monge reproduce ddib-images` end to end on tiny images (Fashion-MNIST pooled to 14 × 14 and
/// cropped to 8 × 8, a width-8 U-Net, T = 50, a few steps), and the shape errors of the image path
/// through the binary. Needs Debian's dataset-fashion-mnist (`make setup`).
@Suite("monge reproduce ddib-images")
struct ImageReproductionCommandTests {
    static let tiny = ["--quick", "--pairs", "7:9", "--crop", "8", "--width", "8", "--T", "50", "--training-steps", "12",
                       "--batch", "16", "--lr", "0.002", "--ema", "0.99", "--n", "16", "--transport-images", "24", "--ddib-steps", "3", "--heun-steps", "3", "--edit-steps", "3",
                       "--held-out", "16", "--training-images", "64", "--classifier-images", "640", "--domain-images", "64", "--quiet",
                       "--cells", "ddib_ddim,ddib_heun,sdedit,egsde,exact_ot"]

    @Test("Every column of every row is filled, the files and the manifest exist; a second run reuses the models")
    func tinyReproduction() throws {
        let folder = TestSupport.temporaryFolder("monge-cli-images") + "/run"
        let run = try TestSupport.monge(["reproduce", "ddib-images", "--out", folder] + Self.tiny)
        #expect(run.status == 0, "\(run.stderr)")
        let table = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/results.json"))) as? [[String: Any]])
        let methods = ["ddib_ddim", "ddib_heun", "sdedit", "egsde", "exact_ot"]
        #expect(table.count == 2 * methods.count, "\(table.count) rows")
        #expect(Set(table.compactMap { $0["pair"] as? String }) == ["sneaker → ankle-boot", "ankle-boot → sneaker"])
        let metrics = ["target_accuracy", "frechet", "frechet_floor", "l2", "psnr", "ssim", "transport_cost", "exact_w2_squared", "transport_gap", "optimality_gap", "cycle_error", "cycle_psnr", "seconds"]
        for row in table {
            let method = try #require(row["cell"] as? String)
            #expect(methods.contains(method))
            for key in metrics {
                // exact OT maps back exactly: a cycle PSNR of +∞ (null in JSON).
                if method == "exact_ot" && key == "cycle_psnr" { continue }
                let value = try #require(row[key] as? Double, "\(method) \(key) missing: \(row)")
                #expect(value.isFinite, "\(method) \(key) = \(value)")
            }
            if method == "exact_ot" {
                #expect(abs(row["optimality_gap"] as! Double) < 1e-9 && abs(row["transport_gap"] as! Double) < 0.5)
                #expect(row["cycle_error"] as! Double == 0)
            }
        }
        for file in ["plan.json", "results.csv", "results.md", "manifest.json", "figures/translations_7__9.png", "figures/translations_9__7.png",
                     "figures/cycles_7__9.png", "figures/loss_7.png", "figures/loss_9.png", "maps/7__9/ddib_heun.npy",
                     "models/class-7/model.safetensors", "models/class-9/loss.csv", "models/classifier/classifier.safetensors",
                     "models/domain-7-9/classifier.safetensors", "maps/9__7/egsde.npy"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + file), "\(file) missing")
        }
        let manifest = try String(contentsOfFile: folder + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains("results.csv") && manifest.contains("translations_7__9.png") && manifest.contains("fnv1a64"))
        let loss = try String(contentsOfFile: folder + "/models/class-7/loss.csv", encoding: .utf8)
        #expect(loss.hasPrefix("step,loss,grad_norm,lr,held_out_loss,train_eval_loss\n"), "\(loss.prefix(80))")
        let plan = try String(contentsOfFile: folder + "/plan.json", encoding: .utf8)
        #expect(plan.contains("\"learning_rate\" : 0.002") && plan.contains("\"decay\" : 0.99,"), "--lr and --ema reach the plan: \(plan)")
        let mapped = try ArrayFile.readMatrix(folder + "/maps/7__9/ddib_ddim.npy", as: Double.self)
        #expect(mapped.rows == 16 && mapped.columns == 64)

        let again = try TestSupport.monge(["reproduce", "ddib-images", "--out", folder] + Self.tiny.filter { $0 != "--quiet" })
        #expect(again.status == 0 && again.stderr.contains("reusing the sealed checkpoint") && again.stderr.contains("classifier: reusing"), "\(again.stderr)")
        #expect(try String(contentsOfFile: folder + "/results.csv", encoding: .utf8).split(separator: "\n").count == 11)

        // Another training seed trains other U-Nets beside the first seed's, which stay as they were.
        let seed0Model = try Data(contentsOf: URL(fileURLWithPath: folder + "/models/class-7/model.safetensors"))
        let seed0Map = try ArrayFile.readMatrix(folder + "/maps/7__9/ddib_ddim.npy", as: Double.self)
        let other = try TestSupport.monge(["reproduce", "ddib-images", "--out", folder, "--training-seed", "1"] + Self.tiny.dropLast(2) + ["--cells", "ddib_ddim"])
        #expect(other.status == 0 && !other.stderr.contains("reusing the sealed checkpoint"), "\(other.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/models/class-7-training-seed-1/model.safetensors"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/models/class-7/model.safetensors")) == seed0Model)
        #expect(try ArrayFile.readMatrix(folder + "/maps/7__9/ddib_ddim.npy", as: Double.self) != seed0Map)
        #expect(try String(contentsOfFile: folder + "/plan.json", encoding: .utf8).contains("\"seed\" : 1"))

        // An image model given 2-D points, a 2-D model given images, and models of different shapes:
        // clear errors, nothing written.
        let points = folder + "/../points.npy", out = folder + "/../never.npy"
        try NpyFile.write(Matrix<Double>(rows: 3, columns: 2, repeating: 0.5), to: points)
        let moons = folder + "/../moons"
        let train = try TestSupport.monge(["train", "data:moons", "--out", moons, "--arch", "mlp", "--width", "16", "--steps", "2",
                                           "--batch", "8", "--data-points", "64", "--quiet"])
        #expect(train.status == 0, "\(train.stderr)")
        let unet = folder + "/models/class-7"
        let cases: [([String], [String])] = [
            (["translate", "--from", unet, "--to", folder + "/models/class-9", points], ["1×8×8 images", "2 columns"]),
            (["translate", "--from", moons, "--to", moons, "data:fashion:7:split=test:n=4"], ["points of dimension 2", "784 columns"]),
            (["translate", "--from", moons, "--to", unet, points], ["source model works on dimension 2", "target model on 64"]),
        ]
        for (arguments, words) in cases {
            let result = try TestSupport.monge(arguments + ["--steps", "2", "--out", out])
            #expect(result.status != 0 && words.allSatisfy { result.stderr.contains($0) }, "\(arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test("--cells munit:STEPS,exact_ot: MUNIT rows with every column, its model and diversity; no U-Net trained")
    func munitCells() throws {
        let folder = TestSupport.temporaryFolder("monge-cli-images") + "/munit"
        let arguments = Self.tiny.dropLast(2) + ["--cells", "munit:6,exact_ot"]
        let run = try TestSupport.monge(["reproduce", "ddib-images", "--out", folder] + arguments)
        #expect(run.status == 0, "\(run.stderr)")
        let table = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/results.json"))) as? [[String: Any]])
        #expect(table.compactMap { $0["cell"] as? String } == ["munit", "exact_ot", "munit", "exact_ot"])
        for row in table where row["cell"] as? String == "munit" {
            for key in ["target_accuracy", "frechet", "l2", "ssim", "optimality_gap", "cycle_psnr"] {
                #expect((row[key] as? Double)?.isFinite == true, "\(key): \(row)")
            }
        }
        let plan = try String(contentsOfFile: folder + "/plan.json", encoding: .utf8)
        #expect(plan.contains("\"steps\" : 6") && plan.contains("\"batch_size\" : 4"), "\(plan)")
        for file in ["models/munit/7__9/seed_0/model.safetensors", "maps/9__7/munit/seed_0/metrics.json", "maps/7__9/munit_cycled.npy"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + file), "\(file) missing")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/models/class-7"))
    }

    @Test("Bad plans are refused before anything is written")
    func badOptions() throws {
        let folder = TestSupport.temporaryFolder("monge-cli-images") + "/bad"
        for (arguments, words) in [(["--pairs", "7:7"], "two different"), (["--pairs", "7:shoe"], "not a Fashion-MNIST class"),
                                   (["--n", "2000"], "--n"), (["--crop", "40"], "crop"), (["--edit-steps", "900", "--T", "100"], "edit steps"),
                                   (["--seeds", "1", "--seed", "2"], "not both"), (["--cells", "munit:0"], "munit:STEPS"),
                                   (["--cells", "munit,ddim"], "unknown ddib-images method 'ddim'"),
                                   (["--cells", "munit,munit:5"], "given twice"), (["--lr", "0"], "--lr must be > 0"),
                                   (["--ema", "1"], "--ema must be in [0, 1)"), (["--ema", "nan"], "--ema must be in [0, 1)")] as [([String], String)] {
            let result = try TestSupport.monge(["reproduce", "ddib-images", "--quick", "--out", folder] + arguments)
            #expect(result.status != 0 && result.stderr.contains(words), "\(arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder))
        }
        let wrong = try TestSupport.monge(["reproduce", "ddib-2d", "--quick", "--crop", "8", "--out", folder])
        #expect(wrong.status != 0 && wrong.stderr.contains("--crop is for ddib-images"), "\(wrong.stderr)")
    }
}
