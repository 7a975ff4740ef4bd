// swift-tools-version: 6.1
// Monge: a Swift research toolkit for 2-D optimal transport and diffusion bridges.
import PackageDescription

/// Kernels are compiled optimised even in debug builds: tests train small networks.
/// x86-64-v3 = AVX2 + FMA (every machine of this project's kind); see BENCHMARKS.md. The float GEMM
/// and dense micro-kernels also have AVX-512 versions, compiled by `target` attributes (SwiftPM has
/// no per-file flags) and chosen at run time (EigenKernels/KernelDispatch.hpp; same bits).
let kernelFlags: [CXXSetting] = [
    .unsafeFlags(["-O3", "-march=x86-64-v3", "-mtune=znver3", "-DNDEBUG", "-std=c++17"]),
]

let package = Package(
    name: "Monge",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "monge", targets: ["MongeCLI"]),
        .library(name: "MongeCore", targets: ["MongeCore"]),
        .library(name: "MongeData", targets: ["MongeData"]),
        .library(name: "MongePlot", targets: ["MongePlot"]),
        .library(name: "MongeTransport", targets: ["MongeTransport"]),
        .library(name: "MongeNN", targets: ["MongeNN"]),
        .library(name: "MongeDiffusion", targets: ["MongeDiffusion"]),
        .library(name: "MongeBridges", targets: ["MongeBridges"]),
        .library(name: "MongeEvaluation", targets: ["MongeEvaluation"]),
        .library(name: "MongeFlows", targets: ["MongeFlows"]),
        .library(name: "MongeConformance", targets: ["MongeConformance"]),
        // The C ABI (libMongeC.so / .dylib) that the Python package `monge` loads through ctypes.
        .library(name: "MongeC", type: .dynamic, targets: ["MongeC"]),
        .library(name: "MongeExperiments", targets: ["MongeExperiments"]),
        .library(name: "MongeBench", targets: ["MongeBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Eigen is header-only; this target only carries its pkg-config include flags.
        .systemLibrary(
            name: "CEigen",
            pkgConfig: "eigen3",
            providers: [.apt(["libeigen3-dev"])]
        ),
        // zlib, for the gzip-compressed IDX files of Fashion-MNIST.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Dense kernels (GEMM, …) in C++ over Eigen::Map, behind a plain C header.
        .target(
            name: "EigenKernels",
            dependencies: ["CEigen"],
            cxxSettings: kernelFlags
        ),
        // Streams scripts to gnuplot through gnuplot-iostream (libgnuplot-iostream-dev).
        .target(
            name: "GnuplotBridge",
            cxxSettings: [.unsafeFlags(["-O2", "-std=c++17"])],
            linkerSettings: [
                .linkedLibrary("boost_iostreams"),
                .linkedLibrary("boost_filesystem"),
            ]
        ),
        .target(name: "MongeCore", dependencies: ["EigenKernels"]),
        .target(name: "MongeData", dependencies: ["MongeCore", "CZlib"]),
        .target(name: "MongePlot", dependencies: ["MongeCore", "GnuplotBridge"]),
        .target(name: "MongeTransport", dependencies: ["MongeCore"],
                // AVX2 + FMA for the pricing loops, as the kernels (x86-64-v3); FP contraction stays off.
                swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux]))]),
        .target(name: "MongeNN", dependencies: ["MongeCore", "EigenKernels"]),
        .target(name: "MongeDiffusion", dependencies: ["MongeCore", "MongeNN"]),
        // Metrics, as pure functions: a map against exact OT (BridgeComparison), mode coverage and realism,
        // MUNIT's content/style measures, images (PSNR, SSIM, Fréchet distance).
        .target(name: "MongeEvaluation", dependencies: ["MongeCore", "MongeData", "MongeTransport", "MongeDiffusion"]),
        // The sampler conformance kit: reference cases from exact oracles, and the checker.
        .target(name: "MongeConformance", dependencies: ["MongeCore", "MongeDiffusion"]),
        // The translators: DDIB, EGSDE/SDEdit, MUNIT's training, and the Gaussian bridge theory.
        .target(
            name: "MongeBridges",
            dependencies: ["MongeCore", "MongeNN", "MongeDiffusion"]
        ),
        // Flow matching (rectified flow, I-CFM, OT-CFM, SB-CFM) and ODE integrators.
        .target(
            name: "MongeFlows",
            dependencies: ["MongeCore", "MongeData", "MongeTransport", "MongeNN"]
        ),
        // @_cdecl entry points over the libraries: strided arrays in, status + message out (python/).
        .target(
            name: "MongeC",
            dependencies: ["MongeCore", "MongeData", "MongeTransport", "MongeNN", "MongeDiffusion", "MongeBridges",
                           "MongeEvaluation"]
        ),
        // Experiments: every reproduction (ddib-2d, digits, images, bridges-2d, the baselines) as a
        // pairs × cells × seeds grid, its tables and its figures; the only library that draws figures.
        .target(
            name: "MongeExperiments",
            dependencies: ["MongeCore", "MongeData", "MongeTransport", "MongeNN", "MongeDiffusion", "MongeBridges",
                           "MongeEvaluation", "MongeFlows", "MongePlot"]
        ),
        // The benchmark harnesses' shared parts: clocks, medians, process memory, the PyTorch peer, tables.
        .target(name: "MongeBench", dependencies: ["MongeCore"]),
        .executableTarget(
            name: "MongeCLI",
            dependencies: [
                "MongeCore", "MongeData", "MongePlot", "MongeTransport", "MongeNN",
                "MongeDiffusion", "MongeBridges", "MongeFlows", "MongeConformance", "MongeEvaluation", "MongeExperiments",
                "MongeBench", "EigenKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Seeded fixtures and helpers shared by the test targets.
        .target(name: "TestSupport", dependencies: ["MongeCore"], path: "Tests/TestSupport"),
        .testTarget(name: "MongeBenchTests", dependencies: ["MongeBench"]),
        .testTarget(name: "MongeCoreTests", dependencies: ["MongeCore", "TestSupport"]),
        .testTarget(name: "MongeDataTests", dependencies: ["MongeData", "CZlib", "TestSupport"]),
        .testTarget(name: "MongePlotTests", dependencies: ["MongePlot", "TestSupport"]),
        .testTarget(name: "MongeTransportTests", dependencies: ["MongeTransport", "TestSupport"]),
        .testTarget(name: "MongeNNTests", dependencies: ["MongeNN", "TestSupport"],
                    exclude: ["Golden"]),  // read by path (UNetGoldenTests), generated by its script
        .testTarget(name: "MongeDiffusionTests", dependencies: ["MongeDiffusion", "TestSupport"]),
        .testTarget(name: "MongeFlowsTests", dependencies: ["MongeFlows", "MongeTransport", "MongeNN", "TestSupport"]),
        // pinned/: a few diffusers scheduler outputs (Benchmarks/conformance/diffusers_report.py), read by path.
        .testTarget(name: "MongeConformanceTests", dependencies: ["MongeConformance", "TestSupport"], exclude: ["pinned"]),
        .testTarget(name: "MongeBridgesTests", dependencies: ["MongeBridges", "MongeData", "MongeNN", "TestSupport"]),
        // golden/: the scikit-image and scipy values the tests read (by path) and the script writing them.
        .testTarget(name: "MongeExperimentsTests", dependencies: ["MongeExperiments", "MongeFlows", "MongeData", "MongeNN",
                                                                 "TestSupport"]),
        .testTarget(name: "MongeEvaluationTests", dependencies: ["MongeEvaluation", "MongeData", "MongeDiffusion", "TestSupport"],
                    exclude: ["golden"]),
        // End-to-end tests of the `monge` binary (built by `make build` before `swift test`).
        // (and, in-process, the commands' validation: MongeCLI's public entry points).
        .testTarget(name: "MongeCLITests", dependencies: ["MongeCLI", "MongeNN", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
