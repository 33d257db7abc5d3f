// Deploy+Session.swift
// The measured steps of `repro deploy` once the trained model is loaded (Deploy.swift): BN
// folding and calibration (once), the test images and the float top-1 (once), then per bit
// width quantization, the Swift integer reference on every test image (in parallel), code
// generation, the streaming program over the same images, and the latency.

import CodeGen
import Dispatch
import Foundation
import Kernels
import MemoryPlanner
import ModelIR
import Quantization
import Runner
import TensorModule
import Training

/// The images a deployment is tested on: the first `limit` of the validation split, in order.
struct TestSet {
  /// [count, H, W, C] flattened (the split's evaluation preprocessing).
  var images: [Float]
  var labels: [Int]
  /// Values of one image.
  var perImage: Int

  var count: Int { labels.count }

  func image(_ i: Int) -> ArraySlice<Float> { images[(i * perImage)..<((i + 1) * perImage)] }

  /// Reads batches of `source`'s epoch 0 until `limit` images (nil: all of them).
  static func collect(_ source: inout any BatchSource, limit: Int?, perImage: Int) throws
    -> TestSet
  {
    var set = TestSet(images: [], labels: [], perImage: perImage)
    try source.startEpoch(0, skipping: 0)
    while limit.map({ set.count < $0 }) ?? true, let batch = try source.nextBatch() {
      let take = min(batch.count, (limit ?? .max) - set.count)
      set.images += batch.images[0..<(take * perImage)]
      set.labels += batch.labels[0..<take]
    }
    guard set.count > 0 else { throw DeployError.emptySplit(what: "validation split") }
    return set
  }
}

/// Calibration, test images and float top-1 of one trained model; `deploy` adds one bit width.
struct DeploySession {
  let config: DeployConfig
  let method: CalibrationMethod
  let progress: ProgressReporter
  private var done = 0
  /// BN-folded float weights of every node (nil for ops without weights).
  let folded: [FloatLayerWeights?]
  let calibrator: ActivationCalibrator
  let calibrationImages: Int
  let test: TestSet
  let floatTop1: Double
  let builder: ProgramBuilder

  init(_ trained: inout TrainedModel, config: DeployConfig, progress: ProgressReporter) throws {
    self.config = config
    self.progress = progress
    method = try config.calibrationMethod
    folded = foldedWeights(of: trained.model)
    (calibrator, calibrationImages) = try calibrate(
      &trained.model, source: &trained.data.calibration, samples: config.calibrationSamples,
      method: method)
    done = 1
    progress.step(done, "calibrated (\(method)) on \(calibrationImages) training images")
    test = try TestSet.collect(
      &trained.data.validation, limit: config.testSamples,
      perImage: trained.model.graph.input.outputElements)
    floatTop1 = floatAccuracy(&trained.model, test, batch: trained.trainConfig.batchSize)
    done = 2
    progress.step(
      done, String(format: "float top-1 %.2f%% on %d test images", 100 * floatTop1, test.count))
    let optimization = CompileOptions.Optimization(rawValue: config.optimization) ?? .o2
    builder = ProgramBuilder(options: CompileOptions(optimization: optimization))
  }

  private mutating func step(_ detail: String) {
    done += 1
    progress.step(done, detail)
  }

  /// Quantizes at `bitWidth`, runs the reference and the generated program on every test image
  /// and measures the program.
  mutating func deploy(_ bitWidth: BitWidth, trained: TrainedModel, keep: String?) throws
    -> DeployRow
  {
    let tag = bitWidth.rawValue
    let q = try QuantizedGraph(
      graph: trained.model.graph, weights: folded, calibration: calibrator, bitWidth: bitWidth)
    let inputParams = q.layers[0].output
    let inputs = (0..<test.count).map { i in
      quantize(Array(test.image(i)), params: inputParams, bitWidth: bitWidth)
    }
    let reference = try referenceOutputs(
      q, inputs: inputs, threads: trained.trainConfig.threads,
      progress: ProgressReporter(
        "deploy \(tag) reference", total: inputs.count,
        enabled: progress.enabled && inputs.count >= 1000))
    step("\(tag): Swift integer reference on \(inputs.count) images")
    let run = try runGenerated(q, inputs: inputs, model: trained.modelID, keep: keep)
    let mismatches = reference.indices.filter { run.outputs[$0] != reference[$0] }
    return DeployRow(
      model: trained.modelID, dataset: trained.data.summary, quant: tag,
      calibration: method.description, calibrationImages: calibrationImages,
      inputShape: trained.data.inputShape.dims, macs: q.graph.macs, params: q.graph.params,
      floatTop1: floatTop1, quantTop1: top1(reference), generatedTop1: top1(run.outputs),
      agree: test.count - mismatches.count, testImages: test.count,
      mismatches: Array(mismatches.prefix(100)), peakSRAMBytes: run.manifest.arenaBytes,
      flashBytes: run.flashBytes, latencyMilliseconds: run.latency.medianMilliseconds,
      latencyMinMilliseconds: Double(run.latency.minNanoseconds) / 1e6, manifest: run.manifest,
      nodes: q.graph.nodes.map(\.name), outputParams: q.layers.map(\.output))
  }

  /// Generates and compiles `q`'s program, runs it on every input in one streaming process and
  /// times it on the first.
  private mutating func runGenerated(
    _ q: QuantizedGraph, inputs: [[Int8]], model: String, keep: String?
  ) throws -> (outputs: [[Int8]], manifest: Manifest, flashBytes: Int, latency: Latency) {
    let tag = q.bitWidth.rawValue
    let program = try generate(q, name: programName(model, tag))
    let built = try builder.build(program, harness: Harness.streamMain(for: program))
    defer { keepOrRemove(built, keep, model, "deploy-\(tag)") }
    step("\(tag): generated and compiled (arena \(program.manifest.arenaBytes) B)")
    let outputs = try built.runMany(inputs: inputs)
    step("\(tag): generated code on \(inputs.count) images")
    let latency = try built.benchmark(
      input: inputs[0], warmup: config.warmup, iterations: config.iterations
    ).latency
    step(String(format: "%@: latency %.3f ms", tag, latency.medianMilliseconds))
    return (outputs, program.manifest, built.flash.totalFlash, latency)
  }

  /// Top-1 of integer logits against the test labels (ties: the lowest class index).
  private func top1(_ outputs: [[Int8]]) -> Double {
    let correct = zip(outputs, test.labels).filter { argmax($0.0) == $0.1 }.count
    return Double(correct) / Double(test.count)
  }

  /// The generated C of `q`: activations and the scratch its kernels use, planned jointly by
  /// our planner, specialized kernels, in-place depthwise for int8 (as `repro engine`'s
  /// `generated` library).
  private func generate(_ q: QuantizedGraph, name: String) throws -> CProgram {
    let int4 = q.bitWidth == .int4
    let precision: Precision = int4 ? .int4 : .int8
    let kernels = KernelSelectionOptions()
    let problem = q.graph.memoryProblem(
      .tinyEngine(inPlaceDepthwise: !int4), precision: precision
    ).withKernelScratch(of: q.graph, precision: precision, options: kernels)
    let plan = try OursPlanner().plan(problem.withScratchBuffers)
    return try CodeGen.generate(
      q, plan: plan, problem: problem, options: CodeGenOptions(name: name, kernels: kernels))
  }

  /// `deploy_<model>_<quant>` with every non-alphanumeric character as `_` (a C identifier).
  private func programName(_ model: String, _ tag: String) -> String {
    "deploy_" + String(model.map { $0.isLetter || $0.isNumber ? $0 : "_" }) + "_" + tag
  }
}

// MARK: - Steps

/// The BN-folded float weights of every node of `model`, in the deployment layouts
/// (`FloatLayerWeights`): conv OHWI as trained; depthwise [kH, kW, C] as [1, kH, kW, C]; linear
/// [out, in]. A layer without batch norm keeps its weights and bias (0 without one).
func foldedWeights(of model: GraphModel) -> [FloatLayerWeights?] {
  let tensors = model.exportTensors()
  let epsilon = model.configuration.batchNormEpsilon
  return model.graph.nodes.map { node -> FloatLayerWeights? in
    let (batchNorm, depthwise): (Bool, Bool)
    switch node.op {
    case .conv2d(let a): (batchNorm, depthwise) = (a.batchNorm, false)
    case .depthwiseConv2d(let a): (batchNorm, depthwise) = (a.batchNorm, true)
    case .linear: (batchNorm, depthwise) = (false, false)
    default: return nil
    }
    guard let weight = tensors["\(node.name).weight"] else { return nil }
    let shape = depthwise ? Shape([1] + weight.shape.dims) : weight.shape
    let bias = tensors["\(node.name).bias"]?.storage
    guard batchNorm else {
      let channels = depthwise ? shape[3] : shape[0]
      return FloatLayerWeights(
        weights: weight.storage, shape: shape,
        bias: bias ?? [Float](repeating: 0, count: channels))
    }
    func bn(_ suffix: String) -> [Float] { tensors["\(node.name).bn.\(suffix)"]?.storage ?? [] }
    return foldBatchNorm(
      weights: weight.storage, shape: shape, bias: bias, gamma: bn("gamma"), beta: bn("beta"),
      mean: bn("running_mean"), variance: bn("running_var"), epsilon: epsilon,
      outputAxisLast: depthwise)
  }
}

/// Observes every node's inference-mode float output on the first `samples` images of
/// `source` (epoch 0); returns the calibrator and the number of images seen.
func calibrate(
  _ model: inout GraphModel, source: inout any BatchSource, samples: Int,
  method: CalibrationMethod
) throws -> (ActivationCalibrator, Int) {
  var calibrator = try ActivationCalibrator(nodeCount: model.graph.nodes.count, method: method)
  let perImage = model.inputCount
  var seen = 0
  try source.startEpoch(0, skipping: 0)
  while seen < samples, let batch = try source.nextBatch() {
    let take = min(batch.count, samples - seen)
    _ = model.predict(Array(batch.images[0..<(take * perImage)]))
    for node in model.graph.nodes.indices {
      try calibrator.observe(node: node, values: model.output(ofNode: node))
    }
    seen += take
  }
  guard seen > 0 else { throw DeployError.emptySplit(what: "calibration (training) split") }
  return (calibrator, seen)
}

/// Inference-mode top-1 of `model` on `test`, `batch` images per forward pass.
func floatAccuracy(_ model: inout GraphModel, _ test: TestSet, batch: Int) -> Double {
  var correct = 0
  let classes = model.classCount
  for start in stride(from: 0, to: test.count, by: batch) {
    let end = min(start + batch, test.count)
    let logits = model.predict(Array(test.images[(start * test.perImage)..<(end * test.perImage)]))
    for i in start..<end {
      let row = logits[((i - start) * classes)..<((i - start + 1) * classes)]
      if argmax(row) == test.labels[i] { correct += 1 }
    }
  }
  return Double(correct) / Double(test.count)
}

/// The index of the largest element (the first of equal ones); 0 for an empty collection.
func argmax<C: Collection>(_ values: C) -> Int where C.Element: Comparable {
  var best = 0
  var bestValue: C.Element?
  for (i, v) in values.enumerated() where bestValue.map({ v > $0 }) ?? true {
    best = i
    bestValue = v
  }
  return best
}

/// `IntegerInterpreter.run(q, input:)`'s output for every input, on `threads` threads (the
/// reference is pure, so the order of work does not matter), in tenths reported to `progress`.
func referenceOutputs(
  _ q: QuantizedGraph, inputs: [[Int8]], threads: Int, progress: ProgressReporter? = nil
) throws -> [[Int8]] {
  let slots = ResultSlots(count: inputs.count)
  let chunk = max(64, (inputs.count + 9) / 10)
  for start in stride(from: 0, to: inputs.count, by: chunk) {
    let end = min(start + chunk, inputs.count)
    let workers = max(1, min(threads, end - start))
    let work: @Sendable (Int) -> Void = { worker in
      for i in stride(from: start + worker, to: end, by: workers) {
        do {
          slots.store(try IntegerInterpreter.run(q, input: inputs[i]).last ?? [], at: i)
        } catch {
          slots.record(error)
        }
      }
    }
    if workers > 1 {
      DispatchQueue.concurrentPerform(iterations: workers, execute: work)
    } else {
      work(0)
    }
    progress?.step(end, "images")
  }
  return try slots.values()
}

/// Results written by several threads into their own slots, and the first error.
private final class ResultSlots: @unchecked Sendable {
  private let lock = NSLock()
  private var slots: [[Int8]]
  private var error: (any Error)?

  init(count: Int) { slots = Array(repeating: [], count: count) }

  func store(_ value: [Int8], at i: Int) {
    lock.lock()
    slots[i] = value
    lock.unlock()
  }

  func record(_ error: any Error) {
    lock.lock()
    if self.error == nil { self.error = error }
    lock.unlock()
  }

  func values() throws -> [[Int8]] {
    lock.lock()
    defer { lock.unlock() }
    if let error { throw error }
    return slots
  }
}
