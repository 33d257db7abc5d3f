// Deploy.swift
// `repro deploy`: the whole deployment path on one trained model, measured end to end
// (MCUNet §3 "TinyEngine" applied to a TinyNAS/baseline network after training, paper §4):
//
//   weights.h5 (repro train, or trained here first)
//     → BN folding → activation calibration on training images → post-training quantization
//       (int8, or int4) → the Swift integer reference (IntegerInterpreter) on the test images
//     → code generation (joint memory plan, specialized kernels) → cc → one streaming process
//       over the same test images (Harness.streamMain)
//
// and for each bit width: float top-1 of the trained model, top-1 of the Swift integer
// reference and of the generated C, how many test images give the same output bytes in both
// (`agree`; it must be all of them), peak SRAM (the arena), Flash and median latency.
// Writes `<out>/deploy/` (deploy.h5, .md, .csv, deploy.png/.pdf); training, when it happens
// here, writes its run folder to `<out>/deploy/train/<run>/` (reusable with --weights).
// Not a training recipe (Train.swift) and not the engine benchmark on random weights
// (Engine.swift).

import CodeGen
import Foundation
import Kernels
import MemoryPlanner
import ModelIR
import Quantization
import ReproIO
import Runner
import TensorModule
import Training

/// Configuration of `repro deploy` (experiments/deploy.json, one per profile).
public struct DeployConfig: Codable, Sendable, Hashable {
  /// A `weights.h5` written by `repro train`, or its run folder; nil trains `train` first.
  public var weights: String?
  /// The data to calibrate and test on (`--data` syntax of `repro train`); nil takes the
  /// training run's (its `train.h5` beside the weights, else `train.data`).
  public var data: String?
  /// The training run: trained when `weights` is nil. Its data settings (samples, batch size,
  /// seed, threads) serve calibration and testing; a `train.h5` beside `weights` replaces it
  /// with the configuration the weights were trained with.
  public var train: TrainRunConfig
  /// Training images (evaluation preprocessing, seeded order) the activation ranges are
  /// calibrated on.
  public var calibrationSamples: Int
  /// `minmax`, `percentile:P` or `mse[:G]` (Quantization/Calibration.swift).
  public var calibration: String
  /// The precisions to deploy, each a row of the results.
  public var bitWidths: [BitWidth]
  /// Validation images to test on, in dataset order; nil: the whole validation split.
  public var testSamples: Int?
  /// Untimed and timed invokes of the latency measurement (on the first test image).
  public var warmup: Int
  public var iterations: Int
  /// Compiler optimisation flag (`-O2`, `-O3`, …).
  public var optimization: String

  /// The built-in configuration of each profile (experiments/deploy.json states the same).
  public static func builtIn(_ profile: Profile) -> DeployConfig {
    var c = DeployConfig(
      weights: nil, data: nil, train: TrainRunConfig.builtIn(profile), calibrationSamples: 512,
      calibration: "minmax", bitWidths: [.int8], testSamples: nil, warmup: 3, iterations: 21,
      optimization: "-O2")
    switch profile {
    case .smoke:
      c.calibrationSamples = 32
      c.warmup = 1
      c.iterations = 5
    case .default:
      // 4-bit beside 8-bit (paper Table 4's precisions; ours post-training, a lower bound).
      c.bitWidths = [.int8, .int4]
    case .full:
      c.bitWidths = [.int8, .int4]
      c.calibrationSamples = 1024
      c.iterations = 51
    }
    return c
  }

  /// Parses comma-separated precisions (`int8,int4`).
  ///
  /// - Throws: `DeployError.badOption` naming the unknown precision.
  public static func bitWidths(parsing text: String) throws -> [BitWidth] {
    try text.split(separator: ",").map { name in
      let trimmed = name.trimmingCharacters(in: .whitespaces)
      guard let bitWidth = BitWidth(rawValue: trimmed) else {
        throw DeployError.badOption(
          name: "bitWidths", value: "'\(trimmed)'", fix: "use int8 and/or int4, comma-separated")
      }
      return bitWidth
    }
  }

  /// The parsed calibration method.
  var calibrationMethod: CalibrationMethod {
    get throws { try CalibrationMethod(parsing: calibration) }
  }

  /// Checks every field that can be checked before any work.
  ///
  /// - Throws: `DeployError.badOption` naming the field and its valid values.
  func validate() throws {
    func bad(_ name: String, _ value: String, _ fix: String) -> DeployError {
      .badOption(name: name, value: value, fix: fix)
    }
    guard calibrationSamples > 0 else {
      throw bad("calibrationSamples", "\(calibrationSamples)", "use at least 1 training image")
    }
    if let testSamples, testSamples <= 0 {
      throw bad("testSamples", "\(testSamples)", "use at least 1, or nil for the whole split")
    }
    guard !bitWidths.isEmpty, Set(bitWidths).count == bitWidths.count else {
      throw bad("bitWidths", "\(bitWidths.map(\.rawValue))", "list int8 and/or int4 once each")
    }
    guard warmup >= 0, iterations > 0 else {
      throw bad("warmup/iterations", "\(warmup)/\(iterations)", "use warmup ≥ 0, iterations ≥ 1")
    }
    guard CompileOptions.Optimization(rawValue: optimization) != nil else {
      throw bad(
        "optimization", optimization,
        "use one of " + CompileOptions.Optimization.allCases.map(\.rawValue).joined(separator: ", ")
      )
    }
    do {
      _ = try calibrationMethod
    } catch {
      throw bad("calibration", calibration, "\(error)")
    }
  }
}

/// Errors of `repro deploy`, each naming the culprit and the fix.
public enum DeployError: Error, Equatable, CustomStringConvertible {
  case badOption(name: String, value: String, fix: String)
  case weightsNotFound(path: String)
  case unreadableWeights(path: String, reason: String)
  case weightsMissingAttribute(path: String, attribute: String)
  case weightsDoNotMatchModel(path: String, model: String, detail: String)
  case dataDoesNotMatchWeights(path: String, detail: String)
  case emptySplit(what: String)

  public var description: String {
    switch self {
    case .badOption(let name, let value, let fix):
      return "deploy option \(name) = \(value) is invalid: \(fix)"
    case .weightsNotFound(let path):
      return "weights '\(path)' do not exist; pass the weights.h5 (or the run folder) that "
        + "'repro train' wrote under <out>/train/<run>/, or leave --weights out to train first"
    case .unreadableWeights(let path, let reason):
      return "weights '\(path)' cannot be read (\(reason)); the file is damaged or not a "
        + "weights file: re-run 'repro train' to write it again"
    case .weightsMissingAttribute(let path, let attribute):
      return "weights '\(path)' have no '\(attribute)' attribute, so the model they belong to "
        + "is unknown; use a weights.h5 written by 'repro train'"
    case .weightsDoNotMatchModel(let path, let model, let detail):
      return "weights '\(path)' do not match model '\(model)' of their netconfig_json: "
        + "\(detail); the file was edited or mixed with another run's: re-run 'repro train'"
    case .dataDoesNotMatchWeights(let path, let detail):
      return "the data does not fit the weights '\(path)': \(detail); pass the --data the "
        + "model was trained on"
    case .emptySplit(let what):
      return "the \(what) has no images; check the dataset folder (or the sample counts)"
    }
  }
}

/// One deployed precision of the trained model, measured on the test images.
public struct DeployRow: Sendable, Hashable {
  public var model: String
  public var dataset: String
  /// `int8` or `int4`.
  public var quant: String
  public var calibration: String
  public var calibrationImages: Int
  /// The input `[H, W, C]` of one image.
  public var inputShape: [Int]
  public var macs: Int
  public var params: Int
  /// Top-1 in [0, 1]: the float model (Swift), the integer reference, the generated C.
  public var floatTop1: Double
  public var quantTop1: Double
  public var generatedTop1: Double
  /// Test images whose generated-code output bytes equal the Swift reference's.
  public var agree: Int
  public var testImages: Int
  /// Indices (into the test images) where they differ, ascending (first 100).
  public var mismatches: [Int]
  /// The arena of the generated code: activations + kernel scratch, planned jointly.
  public var peakSRAMBytes: Int
  /// text + rodata + data of the model object and the kernels it links.
  public var flashBytes: Int
  public var latencyMilliseconds: Double
  public var latencyMinMilliseconds: Double
  /// The generated program's manifest (kernels, plan offsets) for /models/<id>.
  public var manifest: Manifest
  /// Every node's name and output (scale, zero point), in node order.
  public var nodes: [String]
  public var outputParams: [QuantParams]

  /// Whether the generated code reproduced the reference on every test image.
  public var bitExact: Bool { agree == testImages }
}

/// What one `repro deploy` run produced.
public struct DeployResult: Sendable {
  public var rows: [DeployRow]
  public var modelID: String
  /// The training run the weights came from (its folder name).
  public var run: String
  public var weightsPath: String
  /// True when this run trained the model first.
  public var trained: Bool
  public var dataset: String
  public var netConfigJSON: String
  public var files: [String]
}

/// `repro deploy` with the configuration of `profile` (experiments/deploy.json, else built in)
/// or the file at `configPath`.
public func loadDeployConfig(profile: Profile, configPath: String? = nil) throws -> DeployConfig {
  try loadExperimentConfig(
    DeployConfig.self, experiment: "deploy", profile: profile, path: configPath,
    builtIn: DeployConfig.builtIn)
}

/// `repro deploy`: trains (when `config.weights` is nil) or loads the model, deploys it at
/// every bit width and writes `<out>/deploy/`. Progress with ETA goes to stderr.
///
/// - Throws: `DeployError` for bad options and weights that are missing, damaged or belong to
///   another model or data; `ReproIOError` for an unwritable `out` (checked before any work);
///   the errors of training, quantization, code generation and the compiler.
public func runDeploy(
  _ config: DeployConfig, profile: Profile, out: String, keepProgramsIn keep: String? = nil,
  showProgress: Bool = true
) throws -> DeployResult {
  let provenance = Provenance.current()
  try config.validate()
  try ensureDirectory("\(out)/deploy")
  var weightsPath = config.weights
  if weightsPath == nil {
    let run = try runTraining(
      config.train, profile: profile, out: "\(out)/deploy", showProgress: showProgress)
    weightsPath = run.directory + "/weights.h5"
  }
  var trained = try TrainedModel.load(weights: weightsPath ?? "", config: config)
  let progress = ProgressReporter(
    "deploy \(trained.modelID)", total: 2 + 4 * config.bitWidths.count, enabled: showProgress)
  var session = try DeploySession(&trained, config: config, progress: progress)
  var rows: [DeployRow] = []
  for bitWidth in config.bitWidths {
    rows.append(try session.deploy(bitWidth, trained: trained, keep: keep))
  }
  var result = DeployResult(
    rows: rows, modelID: trained.modelID, run: trained.run, weightsPath: trained.weightsPath,
    trained: config.weights == nil, dataset: trained.data.summary,
    netConfigJSON: try trained.netConfig.jsonString(), files: [])
  result.files = try writeDeployOutputs(
    result, config: config, trainConfig: trained.trainConfig, profile: profile, out: out,
    provenance: provenance)
  return result
}
