// BenchTrain.swift
// `repro bench train`: training throughput (images/s of forward + backward + SGD step) of the
// float engine on MobileNetV2-w0.35 and mcunet-320kb (zoo `mcunet-in3`) at several
// resolutions, batch 64, 1000 classes, random data, beside PyTorch's CPU throughput: measured
// side by side on this machine with `--pytorch` (BenchTrain+PyTorch.swift), else the figures
// of reference/anchors.md, which come from one other machine and are only indicative. A
// benchmark, not a test (STYLE.md B7): the weights and data are random and nothing is asserted
// about the outputs.
//
// OpenBLAS picks its kernels when the library loads; OPENBLAS_CORETYPE can only be chosen by
// the launcher (Scripts/bench-train.sh), so the kernel family used is recorded in every row.

import Foundation
import ModelIR
import ReproIO
import TensorModule
import Training

/// Configuration of `repro bench train` (experiments/bench-train.json).
public struct BenchTrainConfig: Codable, Sendable, Hashable {
  /// Zoo model ids.
  public var models: [String]
  /// Input resolutions; every model runs at each.
  public var resolutions: [Int]
  public var batch: Int
  public var classes: Int
  /// OpenBLAS threads (the hand-written loops use every core).
  public var threads: Int
  /// Untimed iterations before the timed ones.
  public var warmup: Int
  /// Timed iterations; the median is reported.
  public var iterations: Int
  public var seed: UInt64
  /// Also time one epoch of `repro train`'s built-in recipe of this profile (data loading and
  /// augmentation included); nil skips it.
  public var epochOf: Profile?

  public init(
    models: [String], resolutions: [Int], batch: Int, classes: Int, threads: Int, warmup: Int,
    iterations: Int, seed: UInt64 = 0, epochOf: Profile? = nil
  ) {
    self.models = models
    self.resolutions = resolutions
    self.batch = batch
    self.classes = classes
    self.threads = threads
    self.warmup = warmup
    self.iterations = iterations
    self.seed = seed
    self.epochOf = epochOf
  }

  /// The built-in configuration of each profile (experiments/bench-train.json states the same).
  public static func builtIn(_ profile: Profile) -> BenchTrainConfig {
    let models = ["mbv2-w0.35", "mcunet-in3"]
    switch profile {
    case .smoke:
      return BenchTrainConfig(
        models: models, resolutions: [32], batch: 8, classes: 1000, threads: 2, warmup: 1,
        iterations: 2, epochOf: .smoke)
    case .default, .full:
      return BenchTrainConfig(
        models: models, resolutions: [48, 96, 144], batch: 64, classes: 1000, threads: 2,
        warmup: 2, iterations: 10, epochOf: .default)
    }
  }
}

/// PyTorch 1.13 CPU training throughput from reference/anchors.md (2 threads, channels-last,
/// batch 64, 1000 classes, forward + backward + SGD momentum step).
public enum PyTorchTrainingAnchors {
  public static let source =
    "reference/anchors.md: PyTorch 1.13 (oneDNN 2.6.3), 2 threads, channels-last, batch 64"

  /// Images/s by zoo model id and resolution.
  public static let imagesPerSecond: [String: [Int: Double]] = [
    "mbv2-w0.35": [48: 602, 96: 297, 144: 144],
    "mcunet-in3": [48: 486, 96: 158, 144: 75],
  ]

  /// The anchor for a configuration, or nil (only batch 64 was measured).
  public static func value(model: String, resolution: Int, batch: Int) -> Double? {
    batch == 64 ? imagesPerSecond[model]?[resolution] : nil
  }
}

/// One measured configuration.
public struct BenchTrainRow: Sendable, Hashable {
  public var model: String
  public var resolution: Int
  public var batch: Int
  public var threads: Int
  public var macs: Int
  public var params: Int
  /// Median seconds of one full step, and of its three phases.
  public var stepSeconds: Double
  public var forwardSeconds: Double
  public var backwardSeconds: Double
  public var optimizerSeconds: Double
  /// Activation, gradient and scratch buffers of the model at this batch.
  public var bufferBytes: Int
  public var pytorchImagesPerSecond: Double?
  /// Where `pytorchImagesPerSecond` comes from (side-by-side measurement or anchors.md).
  public var pytorchSource: String?

  public var imagesPerSecond: Double { Double(batch) / stepSeconds }
  /// Ours / PyTorch (> 1: faster than PyTorch), NaN without an anchor.
  public var ratio: Double { pytorchImagesPerSecond.map { imagesPerSecond / $0 } ?? .nan }
}

/// One epoch of `repro train`'s built-in recipe of a profile, timed by the trainer (training
/// steps with their data loading and augmentation; validation excluded).
public struct EpochTiming: Sendable, Hashable {
  /// The `repro train` profile whose recipe ran.
  public var profile: Profile
  public var model: String
  public var resolution: Int
  public var batch: Int
  /// Steps × batch.
  public var images: Int
  public var seconds: Double
  public var dataset: String

  public var imagesPerSecond: Double { Double(images) / seconds }
}

/// The output of `repro bench train`.
public struct BenchTrainResult: Sendable {
  public var rows: [BenchTrainRow]
  /// One epoch of `repro train` (when the config asks for it and its data is there).
  public var epoch: EpochTiming?
  /// Why the epoch was not timed (its data is missing), if it was asked for.
  public var epochSkipped: String?
  /// `BLAS.coreName`: the OpenBLAS kernel family in use.
  public var blasCore: String
  public var blasThreads: Int

  /// The distinct sources of the PyTorch column, in row order.
  public var pytorchSources: [String] {
    var seen: [String] = []
    for source in rows.compactMap(\.pytorchSource) where !seen.contains(source) {
      seen.append(source)
    }
    return seen
  }
}

/// Times forward + backward + SGD step of every (model, resolution) of `config`; with `pytorch`,
/// PyTorch's step on the same network right after ours.
public func measureTrainingThroughput(
  _ config: BenchTrainConfig, pytorch: PyTorchBench? = nil, progress: ProgressReporter? = nil
) throws -> BenchTrainResult {
  try pytorch?.check()
  BLAS.setThreadCount(config.threads)
  var rows: [BenchTrainRow] = []
  var done = 0
  for id in config.models {
    guard let zoo = ModelZoo.model(id) else {
      throw ExperimentError.unknownModel(id, known: ModelZoo.all.map(\.id))
    }
    var netConfig = zoo.config
    netConfig.classifier.outFeatures = config.classes
    for r in config.resolutions {
      var row = try benchmark(netConfig, id: id, resolution: r, config)
      if let pytorch {
        let theirs = try pytorch.measure(
          netConfig, id: id, resolution: r, params: row.params, macs: row.macs, config)
        row.pytorchImagesPerSecond = theirs.imagesPerS
        row.pytorchSource = theirs.source
      }
      rows.append(row)
      done += 1
      let versus = row.pytorchImagesPerSecond.map { String(format: ", PyTorch %.1f", $0) } ?? ""
      progress?.step(
        done, String(format: "%@ r%d: %.1f images/s", id, r, row.imagesPerSecond) + versus)
    }
  }
  var result = BenchTrainResult(
    rows: rows, blasCore: BLAS.coreName, blasThreads: BLAS.threadCount)
  if let profile = config.epochOf {
    do {
      let e = try timeOneEpoch(of: profile)
      result.epoch = e
      progress?.step(
        done + 1,
        String(format: "one epoch of repro train --profile %@: %.1f s", profile.rawValue, e.seconds)
      )
    } catch let error as TrainExperimentError {
      // The throughput above needs no data; the epoch does. Say why it is missing.
      guard case .proxyNotPrepared = error else { throw error }
      result.epochSkipped = "\(error)"
      FileHandle.standardError.write(Data("bench train: epoch not timed: \(error)\n".utf8))
    }
  }
  return result
}

/// Runs `repro train`'s built-in recipe of `profile` for one epoch (no warm-up, which changes
/// only the learning rate) into a temporary folder, and returns the trainer's epoch time.
func timeOneEpoch(of profile: Profile) throws -> EpochTiming {
  var config = TrainRunConfig.builtIn(profile)
  config.epochs = 1
  config.warmupEpochs = 0
  let out = FileManager.default.temporaryDirectory
    .appendingPathComponent("repro-bench-epoch-\(ProcessInfo.processInfo.processIdentifier)").path
  defer { try? FileManager.default.removeItem(atPath: out) }
  let run = try runTraining(config, profile: profile, out: out, showProgress: false)
  guard let record = run.history.first else {
    preconditionFailure("a one-epoch run finished without an epoch record")
  }
  return EpochTiming(
    profile: profile, model: run.modelID, resolution: run.resolution, batch: config.batchSize,
    images: run.stepsPerEpoch * config.batchSize, seconds: record.seconds, dataset: run.dataset)
}

private func benchmark(
  _ netConfig: NetConfig, id: String, resolution r: Int, _ config: BenchTrainConfig
) throws -> BenchTrainRow {
  var model = try GraphModel(
    config: netConfig, resolution: r, seed: config.seed, batchCapacity: config.batch)
  var rng = SeededGenerator(seed: config.seed)
  let images = (0..<(config.batch * model.inputCount)).map { _ in
    Float.random(in: -1...1, using: &rng)
  }
  let labels = (0..<config.batch).map { _ in Int.random(in: 0..<config.classes, using: &rng) }
  let loss = SoftmaxCrossEntropy(classes: config.classes)
  var sgd = SGD(configuration: .paper)
  let clock = ContinuousClock()
  var phases: [(Double, Double, Double)] = []
  for iteration in 0..<(config.warmup + config.iterations) {
    let t0 = clock.now
    model.forward(images, mode: .training, using: &rng)
    let t1 = clock.now
    _ = model.backward(labels: labels, loss: loss)
    let t2 = clock.now
    sgd.step(&model.parameters, learningRate: 0.01)
    let t3 = clock.now
    if iteration >= config.warmup {
      phases.append((seconds(t1 - t0), seconds(t2 - t1), seconds(t3 - t2)))
    }
  }
  let anchor = PyTorchTrainingAnchors.value(model: id, resolution: r, batch: config.batch)
  return BenchTrainRow(
    model: id, resolution: r, batch: config.batch, threads: config.threads,
    macs: model.graph.macs, params: model.graph.params,
    stepSeconds: median(phases.map { $0.0 + $0.1 + $0.2 }),
    forwardSeconds: median(phases.map(\.0)), backwardSeconds: median(phases.map(\.1)),
    optimizerSeconds: median(phases.map(\.2)), bufferBytes: model.bufferBytes,
    pytorchImagesPerSecond: anchor,
    pytorchSource: anchor.map { _ in PyTorchTrainingAnchors.source })
}

func seconds(_ d: Duration) -> Double {
  let (s, atto) = d.components
  return Double(s) + Double(atto) * 1e-18
}

func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  guard !sorted.isEmpty else { return .nan }
  let mid = sorted.count / 2
  return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/// `repro bench train`: measures, then writes `<out>/bench-train/` (h5, md, csv, bar chart).
public func runBenchTrain(
  profile: Profile, out: String, configPath: String? = nil, pytorch: PyTorchBench? = nil,
  showProgress: Bool = true
) throws -> (result: BenchTrainResult, files: [String]) {
  let provenance = Provenance.current()
  let config = try loadExperimentConfig(
    BenchTrainConfig.self, experiment: "bench-train", profile: profile, path: configPath,
    builtIn: BenchTrainConfig.builtIn)
  let total = config.models.count * config.resolutions.count + (config.epochOf == nil ? 0 : 1)
  let result = try measureTrainingThroughput(
    config, pytorch: pytorch,
    progress: ProgressReporter("bench train", total: total, enabled: showProgress))
  let output = ExperimentOutput(
    experiment: "bench-train", profile: profile, configJSON: jsonString(config), seed: config.seed,
    dataset: "random N×H×W×3 uniform [-1, 1] images, random labels (benchmark, no data)",
    provenance: provenance)
  let files = try output.write(
    to: out, table: result.table(), models: result.epochRecords(), markdown: result.markdown(),
    figures: [("bench-train", result.chart())])
  return (result, files)
}

extension BenchTrainResult {
  /// One row per (model, resolution).
  public func table() -> ResultTable {
    func ints(_ f: (BenchTrainRow) -> Int) -> ColumnValues { .ints(rows.map { Int64(f($0)) }) }
    func doubles(_ f: (BenchTrainRow) -> Double) -> ColumnValues { .doubles(rows.map(f)) }
    return ResultTable(columns: [
      Column("model", .strings(rows.map(\.model)), description: "zoo model id"),
      Column("resolution", ints(\.resolution), unit: "px", description: "input resolution r"),
      Column("batch", ints(\.batch), description: "samples per step"),
      Column("threads", ints(\.threads), description: "OpenBLAS threads"),
      Column("blas_core", .strings(rows.map { _ in blasCore }), description: "OpenBLAS kernels"),
      Column("macs", ints(\.macs), unit: "MAC", description: "forward MACs per image"),
      Column("params", ints(\.params), description: "trainable parameters"),
      Column(
        "images_per_s", doubles(\.imagesPerSecond), unit: "1/s",
        description: "batch / median step time (forward + backward + SGD)"),
      Column("step_ms", doubles { 1000 * $0.stepSeconds }, unit: "ms", description: "median step"),
      Column("forward_ms", doubles { 1000 * $0.forwardSeconds }, unit: "ms", description: "median"),
      Column(
        "backward_ms", doubles { 1000 * $0.backwardSeconds }, unit: "ms",
        description: "median, loss included"),
      Column(
        "optimizer_ms", doubles { 1000 * $0.optimizerSeconds }, unit: "ms", description: "median"),
      Column(
        "buffer_bytes", ints(\.bufferBytes), unit: "B",
        description: "activation + gradient + scratch buffers"),
      Column(
        "pytorch_images_per_s", doubles { $0.pytorchImagesPerSecond ?? .nan }, unit: "1/s",
        description: "PyTorch CPU, same batch, threads and step; NaN where not measured"),
      Column(
        "pytorch_source", .strings(rows.map { $0.pytorchSource ?? "" }),
        description: "where the PyTorch figure comes from: measured side by side on this "
          + "machine, or reference/anchors.md (another machine: indicative only)"),
      Column(
        "ratio", doubles(\.ratio), description: "ours / PyTorch images per second (> 1: faster)"),
    ])
  }

  /// `/models/<model>/epoch`: the timed epoch of `repro train`, if any.
  public func epochRecords() -> [ModelRecord] {
    guard let e = epoch else { return [] }
    let table = ResultTable(columns: [
      Column("profile", .strings([e.profile.rawValue]), description: "repro train profile"),
      Column("dataset", .strings([e.dataset]), description: "training data"),
      Column("resolution", .ints([Int64(e.resolution)]), unit: "px", description: "input side"),
      Column("batch", .ints([Int64(e.batch)]), description: "samples per step"),
      Column("images", .ints([Int64(e.images)]), description: "steps × batch"),
      Column(
        "epoch_s", .doubles([e.seconds]), unit: "s",
        description: "training steps with data loading and augmentation; validation excluded"),
      Column(
        "images_per_s", .doubles([e.imagesPerSecond]), unit: "1/s", description: "images / epoch_s"),
    ])
    return [ModelRecord(id: e.model, tables: ["epoch": table])]
  }

  /// The printed table.
  public func markdown() -> String {
    let header = [
      "model", "r", "batch", "threads", "images/s", "PyTorch images/s", "ours / PyTorch",
      "fwd ms", "bwd ms", "SGD ms", "buffers MB",
    ]
    let body = rows.map { row -> [String] in
      [
        row.model, "\(row.resolution)", "\(row.batch)", "\(row.threads)",
        String(format: "%.1f", row.imagesPerSecond),
        row.pytorchImagesPerSecond.map { String(format: "%.0f", $0) } ?? "–",
        row.ratio.isFinite ? String(format: "%.2f", row.ratio) : "–",
        String(format: "%.0f", 1000 * row.forwardSeconds),
        String(format: "%.0f", 1000 * row.backwardSeconds),
        String(format: "%.1f", 1000 * row.optimizerSeconds),
        String(format: "%.0f", Double(row.bufferBytes) / 1_048_576),
      ]
    }
    let alignments: [Alignment] = [.left] + Array(repeating: .right, count: header.count - 1)
    return "Training throughput, forward + backward + SGD step, random data "
      + "(OpenBLAS core \(blasCore), \(blasThreads) threads)\n\n"
      + markdownTable(header: header, rows: body, alignments: alignments)
      + pytorchSources.map { "\nPyTorch: \($0).\n" }.joined() + epochLine
  }

  private var epochLine: String {
    if let e = epoch {
      return String(
        format: "\nOne epoch of `repro train --profile %@` (%@ r%d, batch %d, %@): %.1f s, "
          + "%.0f images/s, loading and augmentation included.\n", e.profile.rawValue, e.model,
        e.resolution, e.batch, e.dataset, e.seconds, e.imagesPerSecond)
    }
    return epochSkipped.map { "\nOne epoch of `repro train`: not timed (\($0)).\n" } ?? ""
  }

  /// The chart's name for the PyTorch bars, from where their figures come.
  var pytorchSeriesName: String {
    switch pytorchSources {
    case []: return "PyTorch CPU (not measured)"
    case [PyTorchTrainingAnchors.source]: return "PyTorch 1.13 CPU (anchors.md)"
    default: return "PyTorch CPU (side by side)"
    }
  }

  /// Images/s per configuration, ours beside PyTorch.
  public func chart() -> GroupedBarChart {
    GroupedBarChart(
      title: "Training throughput (batch \(rows.first?.batch ?? 0), forward + backward + SGD)",
      categories: rows.map { "\($0.model) r\($0.resolution)" },
      series: [
        BarSeries(name: "ours (Swift + OpenBLAS \(blasCore))", values: rows.map(\.imagesPerSecond)),
        BarSeries(
          name: pytorchSeriesName,
          values: rows.map { $0.pytorchImagesPerSecond ?? .nan }),
      ],
      yLabel: "images / s", showValues: true)
  }
}
