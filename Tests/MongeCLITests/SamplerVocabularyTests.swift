import Foundation
import MongeCore
import Testing
import TestSupport

/// Issue 10: one vocabulary across sample, encode, decode and translate.
@Suite("Sampler flags: one name, one default")
struct SamplerVocabularyTests {
    /// encode with A then decode with B, default flags, equals translate A → B, default flags,
    /// bit for bit — for exact oracles (Float64) and for trained networks (Float32).
    @Test func encodeThenDecodeIsTranslateWithDefaultFlags() throws {
        let folder = TestSupport.temporaryFolder()
        for name in ["moons", "gaussians8"] {
            let trained = try TestSupport.monge(["train", "data:\(name)", "--out", folder + "/" + name, "--arch", "mlp", "--width", "16",
                                                 "--steps", "20", "--batch", "64", "--T", "50", "--quiet"])
            #expect(trained.status == 0, "\(trained.stderr)")
        }
        let x: Matrix<Double> = RandomStream(seed: 4).normalMatrix(rows: 40, columns: 2)
        try ArrayFile.write(x, to: folder + "/x.npy")
        let pairs = [("oracle:gaussians25", "oracle:gaussians8"), (folder + "/moons", folder + "/gaussians8")]
        for (k, (a, b)) in pairs.enumerated() {
            let z = folder + "/z\(k).npy", y = folder + "/y\(k).npy", t = folder + "/t\(k).npy"
            let encode = try TestSupport.monge(["encode", a, folder + "/x.npy", "--steps", "12", "--out", z, "--quiet"])
            #expect(encode.status == 0, "\(encode.stderr)")
            let decode = try TestSupport.monge(["decode", b, z, "--steps", "12", "--out", y, "--quiet"])
            #expect(decode.status == 0, "\(decode.stderr)")
            let translate = try TestSupport.monge(["translate", "--from", a, "--to", b, folder + "/x.npy", "--steps", "12",
                                                   "--out", t, "--quiet"])
            #expect(translate.status == 0, "\(translate.stderr)")
            let viaLatent = try ArrayFile.readMatrix(y, as: Double.self), direct = try ArrayFile.readMatrix(t, as: Double.self)
            #expect(viaLatent.storage == direct.storage, "pair \(k): max difference \(viaLatent.maxAbsDifference(direct))")
        }
    }

    /// translate takes --sampler as encode and decode do; --solver still works, with a note.
    @Test func translateTakesSamplerAndTheOldSpelling() throws {
        let folder = TestSupport.temporaryFolder()
        let x: Matrix<Double> = RandomStream(seed: 5).normalMatrix(rows: 10, columns: 2)
        try ArrayFile.write(x, to: folder + "/x.npy")
        let base = ["translate", "--from", "oracle:gaussians25", "--to", "oracle:gaussians8", folder + "/x.npy", "--steps", "5", "--quiet"]
        let new = try TestSupport.monge(base + ["--sampler", "heun", "--out", folder + "/a.npy"])
        #expect(new.status == 0 && !new.stderr.contains("note"), "\(new.stderr)")
        let old = try TestSupport.monge(base + ["--solver", "heun", "--out", folder + "/b.npy"])
        #expect(old.status == 0 && old.stderr.contains("--solver is now --sampler"), "\(old.stderr)")
        #expect(try ArrayFile.readMatrix(folder + "/a.npy", as: Double.self) == ArrayFile.readMatrix(folder + "/b.npy", as: Double.self))
        let clash = try TestSupport.monge(base + ["--sampler", "heun", "--solver", "ddim", "--out", folder + "/c.npy"])
        #expect(clash.status != 0 && clash.stderr.contains("disagree"), "\(clash.stderr)")
    }
}
