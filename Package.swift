// swift-tools-version: 6.0
// MCUNet reproduction suite: TinyNAS + TinyEngine, end to end on a Linux host.
// Target layout and import rules: ../shared/DESIGN.md §2 and STYLE.md B1/B2.
import PackageDescription

let package = Package(
  name: "mcunet-repro",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "repro", targets: ["repro"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // MARK: - System libraries (Debian -dev packages; installed by Scripts/install-deps.sh)
    .systemLibrary(
      name: "CHDF5", pkgConfig: "hdf5-serial", providers: [.apt(["libhdf5-dev"])]),
    .systemLibrary(
      name: "CCairo", pkgConfig: "cairo-ft", providers: [.apt(["libcairo2-dev"])]),
    .systemLibrary(
      name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(
      name: "CJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),

    // MARK: - Core
    .target(name: "TensorModule"),
    .target(name: "ModelIR", dependencies: ["TensorModule"]),
    .target(name: "Kernels", dependencies: ["ModelIR"]),
    .target(name: "MemoryPlanner", dependencies: ["ModelIR", "Kernels"]),
    .target(name: "Quantization", dependencies: ["TensorModule", "ModelIR"]),
    .target(name: "CMicroKernels"),
    .target(name: "CInterpreter", dependencies: ["CMicroKernels"]),
    .target(name: "Training", dependencies: ["TensorModule", "ModelIR", "COpenBLAS"]),
    .target(name: "Datasets", dependencies: ["TensorModule", "CZlib", "CPNG", "CJPEG"]),
    .target(
      name: "CodeGen", dependencies: ["ModelIR", "Quantization", "Kernels", "MemoryPlanner"]),
    .target(name: "Runner", dependencies: ["CodeGen"]),

    // MARK: - Results, experiments, command line
    .target(name: "ReproIO", dependencies: ["CHDF5", "CCairo"]),
    .target(
      name: "Experiments",
      dependencies: [
        "TensorModule", "ModelIR", "Kernels", "MemoryPlanner", "Quantization", "Training",
        "Datasets", "CodeGen", "Runner", "ReproIO",
      ]),
    .executableTarget(
      name: "repro",
      dependencies: [
        "Experiments", "Datasets",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: - Test support and tests
    .target(name: "_TestSupport", dependencies: ["TensorModule"]),
    .testTarget(name: "TensorModuleTests", dependencies: ["TensorModule", "_TestSupport"]),
    .testTarget(name: "ModelIRTests", dependencies: ["ModelIR", "_TestSupport"]),
    .testTarget(name: "KernelsTests", dependencies: ["Kernels", "ModelIR", "_TestSupport"]),
    .testTarget(
      name: "MemoryPlannerTests",
      dependencies: ["MemoryPlanner", "ModelIR", "Kernels", "_TestSupport"]),
    .testTarget(
      name: "QuantizationTests",
      dependencies: ["Quantization", "ModelIR", "TensorModule", "_TestSupport"]),
    .testTarget(
      name: "CMicroKernelsTests",
      dependencies: ["CMicroKernels", "Quantization", "TensorModule", "_TestSupport"]),
    .testTarget(
      name: "TrainingTests", dependencies: ["Training", "TensorModule", "ModelIR", "_TestSupport"]),
    .testTarget(name: "ReproIOTests", dependencies: ["ReproIO", "_TestSupport"]),
    .testTarget(
      name: "CInterpreterTests",
      dependencies: [
        "CInterpreter", "CodeGen", "Quantization", "ModelIR", "MemoryPlanner", "TensorModule",
        "_TestSupport",
      ]),
    .testTarget(
      name: "CodeGenTests",
      dependencies: [
        "CodeGen", "ModelIR", "Quantization", "Kernels", "MemoryPlanner", "TensorModule",
        "_TestSupport",
      ],
      exclude: ["Snapshots"]),
    .testTarget(
      name: "RunnerTests",
      dependencies: [
        "Runner", "CodeGen", "Kernels", "ModelIR", "Quantization", "MemoryPlanner", "TensorModule",
        "_TestSupport",
      ]),
    .testTarget(
      name: "DatasetsTests", dependencies: ["Datasets", "TensorModule", "Runner", "_TestSupport"]),
    .testTarget(
      name: "ExperimentsTests",
      dependencies: [
        "Experiments", "ReproIO", "ModelIR", "Training", "Runner", "_TestSupport",
      ]),
  ]
)
