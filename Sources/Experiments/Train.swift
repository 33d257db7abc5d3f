// Train.swift
// `repro train`: trains one network (zoo id, MIT JSON config, or a width-scaled builder) on one
// dataset with MCUNet's recipe (paper_facts.md §4) and writes `<out>/train/<run>/`:
//   train.h5          provenance, a one-row /table, /curves (train_loss, val_top1, …),
//                     /models/<id> (netconfig JSON, per-layer table)
//   train.md, .csv    the row as text
//   weights.h5        one float32 dataset per tensor, named after the IR (`<node>.weight`, …)
//   checkpoint.bin    the latest Training checkpoint; `--resume` continues from it bit-exactly
//   learning_curve.png/.pdf, accuracy_curve.png/.pdf
// Progress (with ETA) goes to stderr. Training's own code never touches files; this does.

import Foundation
import ModelIR
import ReproIO
import TensorModule
import Training

/// Configuration of `repro train` (experiments/train.json, one per profile; the command line
/// overrides fields).
public struct TrainRunConfig: Codable, Sendable, Hashable {
  /// Zoo id (`mcunet-in3`), a MIT JSON config path (`*.json`), or `mbv2` / `proxyless` (then
  /// `width` applies).
  public var model: String
  public var width: Double?
  /// Input resolution of image data; nil keeps the config's. Speech data dictates its own
  /// input (MFCC [49, 10, 1]) and ignores it.
  public var resolution: Int?
  /// Classes; nil takes the dataset's (synthetic: 10).
  public var classes: Int?
  /// `synthetic`, `imagefolder:ROOT`, `vww:ROOT` or `speech:ROOT` (TrainData.swift).
  public var data: String
  /// Synthetic data only: sample counts and the prototype strength.
  public var trainSamples: Int
  public var validationSamples: Int
  public var syntheticSignal: Double
  public var epochs: Int
  public var batchSize: Int
  public var warmupEpochs: Int
  public var learningRatePer256: Double
  public var weightDecay: Double
  public var nesterov: Bool
  public var labelSmoothing: Double
  public var seed: UInt64
  /// Checkpoint every this many steps (0: at epoch ends only).
  public var checkpointEverySteps: Int
  /// OpenBLAS threads and data-loading threads.
  public var threads: Int
  /// Lower bound of RandomResizedCrop's area scale for image-folder training (nil: torchvision's
  /// 0.08, MIT's ImageNet recipe). Small proxies such as 28×28 Fashion-MNIST want a milder crop.
  public var minCropScale: Double?

  /// The built-in configuration of each profile (experiments/train.json states the same).
  public static func builtIn(_ profile: Profile) -> TrainRunConfig {
    var c = TrainRunConfig(
      model: "mbv2-w0.35", width: nil, resolution: 48, classes: nil, data: "synthetic",
      trainSamples: 2048, validationSamples: 512, syntheticSignal: 0.2, epochs: 5,
      batchSize: 64, warmupEpochs: 1, learningRatePer256: 0.05, weightDecay: 5e-5,
      nesterov: false, labelSmoothing: 0, seed: 0, checkpointEverySteps: 0, threads: 2)
    switch profile {
    case .smoke:
      c.resolution = 32
      c.trainSamples = 64
      c.validationSamples = 32
      c.batchSize = 16
      c.epochs = 2
    case .default:
      // The ImageNet proxy (Fashion-MNIST; `Scripts/prepare-data.sh` prepares it), MbV2-w0.35
      // at r = 32: 91.1 % val top-1 in 25 epochs (README), ~50 s per epoch on 2 cores.
      c.resolution = 32
      c.data = "proxy:imagenet"
      c.epochs = 25
      c.learningRatePer256 = 0.2
      c.minCropScale = 0.8
    case .full:
      // Paper scale (paper_facts §4): 150 epochs on ImageNet at the model's own resolution.
      c.model = "mcunet-in3"
      c.resolution = nil
      c.data = "imagefolder:/datasets/imagenet"
      c.epochs = 150
      c.batchSize = 256
      c.warmupEpochs = 5
    }
    return c
  }

  /// The trainer configuration of this run.
  var trainerConfiguration: TrainerConfiguration {
    TrainerConfiguration(
      epochs: epochs, learningRatePer256: Float(learningRatePer256), warmupEpochs: warmupEpochs,
      optimizer: SGD.Configuration(
        momentum: 0.9, weightDecay: Float(weightDecay), nesterov: nesterov),
      labelSmoothing: Float(labelSmoothing), seed: seed,
      checkpointEverySteps: checkpointEverySteps)
  }

  /// The network config this run trains, with `classes` output classes.
  func netConfig(classes: Int) throws -> (config: NetConfig, id: String) {
    var config: NetConfig
    let id: String
    if model.hasSuffix(".json") {
      config = try NetConfig(contentsOfFile: model)
      id = String(model.split(separator: "/").last?.dropLast(5) ?? "model")
    } else if model == "mbv2" || model == "proxyless" {
      guard let w = width, w > 0 else { throw TrainExperimentError.builderNeedsWidth(model) }
      let r = resolution ?? 224
      config =
        model == "mbv2"
        ? scaledMobileNetV2(width: w, resolution: r, classes: classes)
        : scaledProxylessNAS(width: w, resolution: r, classes: classes)
      id = "\(model)-w\(w)"
    } else if let zoo = ModelZoo.model(model) {
      config = zoo.config
      id = zoo.id
    } else {
      throw ExperimentError.unknownModel(
        model, known: ModelZoo.all.map(\.id) + ["mbv2", "proxyless"])
    }
    config.classifier.outFeatures = classes
    return (config, id)
  }
}

/// Errors of `repro train`, each naming the culprit and the fix.
public enum TrainExperimentError: Error, Equatable, CustomStringConvertible {
  case badDataSpec(String)
  case emptyDataRoot(kind: String)
  case proxyNotPrepared(name: String, profile: String, root: String)
  case builderNeedsWidth(String)
  case tooFewSamples(split: String, samples: Int, batchSize: Int)
  case emptySplit(split: String, fix: String)
  case noCheckpoint(path: String)

  public var description: String {
    switch self {
    case .badDataSpec(let text):
      return "unknown --data '\(text)'; use 'synthetic', 'imagefolder:ROOT' (ROOT holding "
        + "train/<class>/ and val/<class>/), 'vww:ROOT' (ROOT holding train/ and val/ with "
        + "person/ and non_person/), 'speech:ROOT' (the Speech Commands v2 layout) or "
        + "'proxy:imagenet|vww|speech[-smoke]' (a proxy written by 'repro prepare-data')"
    case .proxyNotPrepared(let name, let profile, let root):
      return "proxy '\(name)' (\(profile)) is not prepared: \(root) does not exist; run "
        + "'Scripts/prepare-data.sh \(profile)' once (or set MCU_DATA_DIR to the cache that holds it)"
    case .emptyDataRoot(let kind):
      return "--data '\(kind):' names no folder; write '\(kind):ROOT' with the dataset's folder, "
        + "e.g. '\(kind):\(TrainExperimentError.exampleRoot(kind))'"
    case .builderNeedsWidth(let model):
      return "model '\(model)' is a width-scaled builder; pass --width (e.g. --width 0.35)"
    case .tooFewSamples(let split, let samples, let batch):
      return "'\(split)' has \(samples) images, fewer than one batch of \(batch); lower "
        + "--batch-size or add images"
    case .emptySplit(let split, let fix):
      return "'\(split)' selects no samples; \(fix)"
    case .noCheckpoint(let path):
      return "--resume was given but '\(path)' does not exist; run without --resume first"
    }
  }
}

extension TrainExperimentError {
  /// An example folder for `--data KIND:ROOT` (the cache `repro prepare-data` fills).
  static func exampleRoot(_ kind: String) -> String {
    switch kind {
    case "vww": return "~/.cache/mcunet-repro/vww-proxy-default"
    case "speech": return "~/.cache/mcunet-repro/speech-commands-proxy-default"
    default: return "~/.cache/mcunet-repro/imagenet-proxy-default"
    }
  }
}

/// What one `repro train` run produced.
public struct TrainRunResult: Sendable {
  public var run: String
  public var modelID: String
  /// The input side of square image data; for other inputs (speech MFCC) the height.
  public var resolution: Int
  /// The input of one sample, `[H, W, C]`.
  public var inputShape: [Int]
  public var history: [EpochRecord]
  /// Training batches per epoch (the last, partial one included).
  public var stepsPerEpoch: Int
  public var macs: Int
  public var params: Int
  public var dataset: String
  public var blasCore: String
  public var directory: String
  public var files: [String]

  /// Top-1 on the validation split after the last epoch, in [0, 1].
  public var finalTop1: Double { history.last?.validationTop1 ?? .nan }

  /// `r<side>` for square RGB input, else `in<H>x<W>x<C>` (run names and chart titles).
  public var inputTag: String { inputTagOf(inputShape, resolution: resolution) }
}

/// `repro train`: trains (or resumes) one run and writes its folder.
public func runTraining(
  _ config: TrainRunConfig, profile: Profile, out: String, run: String? = nil,
  resume: Bool = false, showProgress: Bool = true
) throws -> TrainRunResult {
  let provenance = Provenance.current()
  BLAS.setThreadCount(config.threads)
  let probe = try config.netConfig(classes: config.classes ?? 10)
  let resolution = config.resolution ?? probe.config.resolution ?? 224
  var data = try config.openData(resolution: resolution)
  let resolved = try config.netConfig(classes: data.classes)
  var netConfig = resolved.config
  let modelID = resolved.id
  let graph = try trainGraph(&netConfig, inputShape: data.inputShape)
  let inputShape = data.inputShape.dims
  let side = inputShape[0]  // == resolution for images
  let inputTag = inputTagOf(inputShape, resolution: side)
  let runName =
    run ?? "\(modelID)-\(inputTag)-\(TrainDataSpec.tagOf(config.data))-s\(config.seed)"
  let directory = "\(out)/train/\(runName)"
  try ensureDirectory(directory)
  let checkpointPath = "\(directory)/checkpoint.bin"

  // The model goes straight into the trainer: a second reference would make the first step
  // copy every activation buffer (copy-on-write).
  func makeModel() throws -> GraphModel {
    let bn = netConfig.bn ?? BatchNormSettings()
    return try GraphModel(
      graph: graph,
      configuration: GraphModel.Configuration(
        batchNormEpsilon: Float(bn.eps), batchNormMomentum: Float(bn.momentum), seed: config.seed),
      batchCapacity: config.batchSize)
  }
  var trainer: Trainer
  if resume {
    guard let bytes = FileManager.default.contents(atPath: checkpointPath) else {
      throw TrainExperimentError.noCheckpoint(path: checkpointPath)
    }
    let checkpoint = try Checkpoint(decoding: Array(bytes))
    guard checkpoint.header.configuration == config.trainerConfiguration else {
      throw TrainingError.checkpointMismatch(
        detail: "the run was started with other training options "
          + "(\(checkpoint.header.configuration)); pass the same options, or a new --run name")
    }
    trainer = try Trainer(model: makeModel(), resuming: checkpoint)
  } else {
    trainer = try Trainer(
      model: makeModel(), configuration: config.trainerConfiguration, source: data.train)
  }
  let reporter = ProgressReporter(
    "train \(runName)", total: trainer.schedule.totalSteps - trainer.state.globalStep,
    enabled: showProgress)
  let firstStep = trainer.state.globalStep
  let every = max(1, trainer.stepsPerEpoch / 4)
  try trainer.run(train: &data.train, validation: &data.validation) { event in
    switch event {
    case .step(let p):
      if p.step % every == 0 || p.step == p.stepsPerEpoch {
        reporter.step(
          p.globalStep - firstStep,
          String(
            format: "epoch %d step %d/%d loss %.4f lr %.4g", p.epoch + 1, p.step,
            p.stepsPerEpoch, p.loss, p.learningRate))
      }
    case .epochEnd(let r):
      if showProgress {
        let line = String(
          format: "epoch %d: train loss %.4f top-1 %.2f%%, val top-1 %.2f%%, %.1f s\n",
          r.epoch + 1, r.trainLoss, 100 * r.trainTop1, 100 * (r.validationTop1 ?? .nan),
          r.seconds)
        FileHandle.standardError.write(Data(line.utf8))
      }
    case .checkpoint(let checkpoint):
      try AtomicFile.write(try checkpoint.encoded(), to: checkpointPath)
    }
  }
  var result = TrainRunResult(
    run: runName, modelID: modelID, resolution: side, inputShape: inputShape,
    history: trainer.state.history, stepsPerEpoch: trainer.stepsPerEpoch,
    macs: trainer.model.graph.macs, params: trainer.model.graph.params, dataset: data.summary,
    blasCore: BLAS.coreName, directory: directory, files: [checkpointPath])
  result.files += try writeTrainOutputs(
    result, trainer: trainer, netConfig: netConfig, config: config, profile: profile,
    provenance: provenance)
  return result
}

/// The graph `repro train` trains: `config` lowered at the data's input `[H, W, C]`.
///
/// Square RGB input is `NetConfig.makeGraph(resolution:)` as before. Otherwise (Speech Commands'
/// MFCC [49, 10, 1]) the first conv of `config` is set to C input channels, the config is
/// lowered at H×H, and its ops are re-added behind an H×W×C input, which re-infers every shape
/// (padding is k/2 on each side, so any H, W ≥ 1 lowers). Layers and parameter counts do not
/// depend on H and W; activations and MACs do.
func trainGraph(_ config: inout NetConfig, inputShape: Shape) throws -> Graph {
  let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
  config.firstConv.inChannels = c
  let square = try config.makeGraph(resolution: h, inputChannels: c)
  guard w != h else { return square }
  var builder = GraphBuilder(name: square.name)
  try builder.addInput(height: h, width: w, channels: c, name: square.input.name)
  for node in square.nodes.dropFirst() {
    _ = try builder.add(node.op, inputs: node.inputs, name: node.name)
  }
  return builder.graph
}

/// `r<resolution>` for `[r, r, 3]`, else `in<H>x<W>x<C>`.
func inputTagOf(_ shape: [Int], resolution: Int) -> String {
  shape == [resolution, resolution, 3]
    ? "r\(resolution)" : "in" + shape.map(String.init).joined(separator: "x")
}

extension TrainDataSpec {
  /// The run-name tag of a `--data` string (the text itself when it does not parse).
  static func tagOf(_ text: String) -> String {
    (try? TrainDataSpec(parsing: text))?.tag ?? text
  }
}
