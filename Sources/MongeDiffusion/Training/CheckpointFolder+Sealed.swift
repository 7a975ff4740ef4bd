import Foundation
import MongeNN

extension CheckpointFolder {
    /// Produces a classifier's three files and renames them into place together, the config last
    /// (a folder with a config has its weights): the weights with `format` and the config's
    /// `ConfigSeal` in their metadata, the loss rows as `monge train`'s loss.csv, and the config.
    static func writeSealed(_ config: some Encodable, format: String, tensors: [String: NDArray], losses: [StepRecord],
                            to folder: String, configFile: String, weightsFile: String, lossFile: String) throws {
        try create(folder)
        var metadata = try ConfigSeal(config).metadata
        metadata["format"] = format
        var outputs = OutputSet()
        try outputs.add(path(folder, weightsFile)) { [metadata] temporary in
            try SafeTensors.write(tensors: tensors, metadata: metadata, to: temporary)
        }
        try outputs.add(Data(TrainingCheckpoint.lossText(losses).utf8), to: path(folder, lossFile))
        try outputs.add(try configText(config), to: path(folder, configFile))
        try outputs.commit()
    }
}
