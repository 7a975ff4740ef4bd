import ArgumentParser
import Foundation
import MongeCore

/// The `monge` command line: data → models → bridges → exact OT → tables and figures.
@main
struct Monge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monge",
        abstract: "2-D optimal transport and diffusion bridges: how close is DDIB to the Monge map?",
        version: MongeVersion.string,
        subcommands: [
            // data → models → bridges → exact OT → tables and figures
            DataCommand.self,
            TrainCommand.self,
            GANCommand.self,
            MUNITCommand.self,
            SampleCommand.self,
            EncodeCommand.self,
            DecodeCommand.self,
            TranslateCommand.self,
            ClassifierCommand.self,
            EGSDECommand.self,
            OTCommand.self,
            CompareCommand.self,
            ReproduceCommand.self,
            PlotCommand.self,
            BenchCommand.self,
        ]
    )
}
