// TrainCommands.swift
// `repro bench train` and `repro train`: thin commands that parse options and call
// Experiments (runBenchTrain, runTraining). Registered in Repro.swift's `subcommands` as
// `BenchCommand.self` and `TrainCommand.self`.

import ArgumentParser
import Experiments
import Foundation

/// `repro bench …`: throughput benchmarks (not tests; STYLE.md B7).
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench", abstract: "Throughput benchmarks of the suite's engines.",
    subcommands: [BenchTrainCommand.self])
}

/// `repro bench train`: images/s of forward + backward + SGD against PyTorch's CPU figures.
struct BenchTrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Training images/s (forward + backward + SGD) of MobileNetV2-w0.35 and "
      + "mcunet-320kb at 48/96/144 px, batch 64, beside PyTorch's CPU numbers.",
    discussion: "OpenBLAS picks its kernels at load time; Scripts/bench-train.sh sets "
      + "OPENBLAS_CORETYPE from the CPU flags before starting this command.")

  @OptionGroup var options: ExperimentOptions

  @Flag(
    help: ArgumentHelp(
      "Also measure PyTorch's CPU training on the same networks, side by side, case by case "
        + "(Scripts/bench-pytorch.py; needs Debian's python3-torch). Without it the PyTorch "
        + "column holds reference/anchors.md's figures from another machine."))
  var pytorch = false
  @Option(help: "Python interpreter with torch (default /usr/bin/python3, else python3).")
  var python: String?
  @Option(
    help: "The PyTorch benchmark script (default: Scripts/bench-pytorch.py of this checkout).")
  var pytorchScript: String?

  func run() throws {
    try reportingErrors {
      let (result, files) = try runBenchTrain(
        profile: options.profile, out: options.out, configPath: options.config,
        pytorch: pytorch || python != nil || pytorchScript != nil
          ? PyTorchBench(python: python, script: pytorchScript) : nil,
        showProgress: !options.quiet)
      print(result.markdown())
      print("wrote:\n  " + files.joined(separator: "\n  "))
    }
  }
}

/// `repro train`: trains one network with MCUNet's recipe and writes results/train/<run>/.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a network (zoo id, MIT JSON config, or mbv2/proxyless builder) with "
      + "MCUNet's recipe; writes <out>/train/<run>/ (train.h5, weights.h5, curves, checkpoint).")

  @OptionGroup var options: ExperimentOptions

  @Option(help: "Zoo id (e.g. mcunet-in3), a MIT *.json config, or mbv2 / proxyless.")
  var model: String?
  @Option(help: "Width multiplier for the mbv2 / proxyless builders.")
  var width: Double?
  @Option(help: "Input resolution (default: the profile's, else the config's).")
  var resolution: Int?
  @Option(help: "Output classes (default: the dataset's).")
  var classes: Int?
  @Option(
    help: ArgumentHelp(
      "synthetic | imagefolder:ROOT (ROOT/train/<class>/, ROOT/val/<class>/) | vww:ROOT "
        + "(ROOT/{train,val}/{person,non_person}/) | speech:ROOT (Speech Commands v2; MFCC "
        + "49×10×1 input, --resolution does not apply) | proxy:imagenet|vww|speech[-smoke] "
        + "(the proxy 'repro prepare-data' wrote into $MCU_DATA_DIR or ~/.cache/mcunet-repro)."))
  var data: String?
  @Option(help: "Epochs.") var epochs: Int?
  @Option(help: "Batch size.") var batchSize: Int?
  @Option(help: "Linear warm-up epochs.") var warmupEpochs: Int?
  @Option(help: "Learning rate per 256 samples (paper: 0.05).") var lr: Double?
  @Option(help: "Label smoothing ε.") var labelSmoothing: Double?
  @Flag(help: "Nesterov momentum.") var nesterov = false
  @Option(help: "Seed of initialisation, data order and dropout.") var seed: UInt64?
  @Option(help: "Synthetic training samples.") var trainSamples: Int?
  @Option(help: "Synthetic validation samples.") var valSamples: Int?
  @Option(help: "OpenBLAS and data-loading threads.") var threads: Int?
  @Option(help: "Smallest RandomResizedCrop area scale (torchvision: 0.08).")
  var minCropScale: Double?
  @Option(help: "Checkpoint every N steps (0: at epoch ends).") var checkpointEvery: Int?
  @Option(
    name: .customLong("run"),
    help: "Run folder name under <out>/train/ (default: model-r<res>-<data>-s<seed>).")
  var runName: String?
  @Flag(help: "Continue the run from <out>/train/<run>/checkpoint.bin.") var resume = false

  func validate() throws {
    try requirePositive([
      "--epochs": epochs, "--batch-size": batchSize, "--resolution": resolution,
      "--classes": classes, "--train-samples": trainSamples, "--val-samples": valSamples,
      "--threads": threads,
    ])
    if let warmupEpochs, warmupEpochs < 0 { throw ValidationError("--warmup-epochs must be >= 0") }
    if let checkpointEvery, checkpointEvery < 0 {
      throw ValidationError("--checkpoint-every must be >= 0")
    }
    if let lr, lr <= 0 { throw ValidationError("--lr must be positive, got \(lr)") }
    if let labelSmoothing, !(0..<1).contains(labelSmoothing) {
      throw ValidationError("--label-smoothing must be in [0, 1), got \(labelSmoothing)")
    }
    if let classes, classes < 2 { throw ValidationError("--classes must be at least 2") }
  }

  /// The profile's configuration with the command-line overrides applied.
  func resolvedConfig() throws -> TrainRunConfig {
    var c = try loadExperimentConfig(
      TrainRunConfig.self, experiment: "train", profile: options.profile, path: options.config,
      builtIn: TrainRunConfig.builtIn)
    if let model { c.model = model }
    if let width { c.width = width }
    if let resolution { c.resolution = resolution }
    if let classes { c.classes = classes }
    if let data { c.data = data }
    if let epochs { c.epochs = epochs }
    if let batchSize { c.batchSize = batchSize }
    if let warmupEpochs { c.warmupEpochs = warmupEpochs }
    if let lr { c.learningRatePer256 = lr }
    if let labelSmoothing { c.labelSmoothing = labelSmoothing }
    if nesterov { c.nesterov = true }
    if let seed { c.seed = seed }
    if let trainSamples { c.trainSamples = trainSamples }
    if let valSamples { c.validationSamples = valSamples }
    if let threads { c.threads = threads }
    if let checkpointEvery { c.checkpointEverySteps = checkpointEvery }
    if let minCropScale { c.minCropScale = minCropScale }
    return c
  }

  func run() throws {
    try reportingErrors {
      let result = try runTraining(
        resolvedConfig(), profile: options.profile, out: options.out, run: runName, resume: resume,
        showProgress: !options.quiet)
      print(
        String(
          format: "%@: val top-1 %.2f%% after %d epochs (OpenBLAS %@)", result.run,
          100 * result.finalTop1, result.history.count, result.blasCore))
      print("wrote:\n  " + result.files.joined(separator: "\n  "))
    }
  }
}
