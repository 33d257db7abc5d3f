// GraphModel+State.swift
// What a GraphModel knows besides its buffers: parameters and running statistics as named
// tensors (export/import), batch-norm recalibration (once-for-all's `set_running_statistics`,
// which MCUNet uses after sampling a subnet from the supernet, paper_facts §4: 20 batches × 64),
// and top-1 evaluation over a batch source.

import ModelIR
import TensorModule

/// Top-1 accuracy and mean loss over a set of batches.
public struct Evaluation: Sendable, Hashable, Codable {
  /// Fraction of samples whose top-1 prediction equals the label, in [0, 1].
  public var top1: Double
  /// Mean loss per sample (plain cross-entropy unless the caller passed smoothing).
  public var loss: Double
  /// Samples evaluated.
  public var count: Int
}

extension GraphModel {
  // MARK: - Named tensors

  /// Names of every exported tensor, in order: each parameter in graph order, then the running
  /// mean and variance of every batch norm (`<node>.bn.running_mean`, `<node>.bn.running_var`).
  public var tensorNames: [String] {
    parameters.map(\.name)
      + batchNormNodes.flatMap { node in
        let name = graph.nodes[node].name
        return ["\(name).bn.running_mean", "\(name).bn.running_var"]
      }
  }

  /// Every parameter and running statistic as named tensors, in `tensorNames` order.
  public func exportedTensors() -> [(name: String, tensor: Tensor<Float>)] {
    var result = parameters.map { ($0.name, Tensor(shape: $0.shape, storage: $0.value)) }
    for (s, node) in batchNormNodes.enumerated() {
      let name = graph.nodes[node].name
      let stats = runningStatistics[s]
      let shape: Shape = [stats.mean.count]
      result.append(("\(name).bn.running_mean", Tensor(shape: shape, storage: stats.mean)))
      result.append(("\(name).bn.running_var", Tensor(shape: shape, storage: stats.variance)))
    }
    return result
  }

  /// `exportedTensors()` as a dictionary.
  public func exportTensors() -> [String: Tensor<Float>] {
    Dictionary(uniqueKeysWithValues: exportedTensors().map { ($0.name, $0.tensor) })
  }

  /// Replaces parameters and running statistics by the tensors of the same names.
  ///
  /// - Parameter strict: when true, every tensor of `tensorNames` must be given and no other.
  /// - Throws: `TrainingError.missingTensor`, `.unexpectedTensor` or `.tensorShapeMismatch`;
  ///   nothing is changed when it throws.
  public mutating func importTensors(_ tensors: [String: Tensor<Float>], strict: Bool = true)
    throws
  {
    let expected = exportedTensors()
    if strict {
      let known = Set(expected.map(\.name))
      if let extra = tensors.keys.sorted().first(where: { !known.contains($0) }) {
        throw TrainingError.unexpectedTensor(name: extra, graph: graph.name)
      }
    }
    for (name, current) in expected {
      guard let given = tensors[name] else {
        if strict { throw TrainingError.missingTensor(name: name, graph: graph.name) }
        continue
      }
      guard given.shape == current.shape else {
        throw TrainingError.tensorShapeMismatch(
          name: name, expected: current.shape, found: given.shape)
      }
    }
    for i in parameters.indices {
      if let t = tensors[parameters[i].name] { parameters[i].value = t.storage }
    }
    for (s, node) in batchNormNodes.enumerated() {
      let name = graph.nodes[node].name
      if let t = tensors["\(name).bn.running_mean"] { runningStatistics[s].mean = t.storage }
      if let t = tensors["\(name).bn.running_var"] { runningStatistics[s].variance = t.storage }
    }
  }

  // MARK: - Batch-norm recalibration

  /// Resets every running statistic to PyTorch's initial state (mean 0, variance 1).
  public mutating func resetBatchNormStatistics() {
    for s in runningStatistics.indices {
      runningStatistics[s] = BatchNorm.RunningStatistics(channels: runningStatistics[s].mean.count)
    }
  }

  /// Re-estimates every running statistic from `batches` batches of `source` (starting at its
  /// batch 0 of `epoch`): resets them, runs training-mode forward passes without dropout and
  /// sets each running mean and variance to the sample-weighted average of the batch means and
  /// *biased* batch variances, as once-for-all's `set_running_statistics` does. Parameters are
  /// not changed. Throws what the source throws.
  public mutating func recalibrateBatchNorm<Source: BatchSource>(
    _ source: inout Source, batches: Int, epoch: Int = 0
  ) throws {
    try source.startEpoch(epoch, skipping: 0)
    var taken = 0
    try recalibrate {
      guard taken < batches, let batch = try source.nextBatch() else { return nil }
      taken += 1
      return batch.images
    }
  }

  /// Recalibration (see above) over the given input batches, each [N, H, W, C] flattened.
  public mutating func recalibrateBatchNorm(images batches: [[Float]]) {
    var next = batches.makeIterator()
    // The closure cannot throw here; `try?` only satisfies the throwing signature.
    try? recalibrate { next.next() }
  }

  private mutating func recalibrate(_ nextImages: () throws -> [Float]?) throws {
    resetBatchNormStatistics()
    var sums = runningStatistics.map { stats in
      (
        mean: [Double](repeating: 0, count: stats.mean.count),
        variance: [Double](repeating: 0, count: stats.mean.count)
      )
    }
    var samples = 0
    var unused = SeededGenerator(seed: 0)
    while let images = try nextImages() {
      forward(images, pass: .recalibration, using: &unused)
      let n = buffers.batch
      for (s, node) in batchNormNodes.enumerated() {
        // The running variance is now the unbiased batch variance over M = N·H·W values.
        let m = Double(buffers.preNorm[node].count / runningStatistics[s].mean.count)
        let biased = m > 1 ? (m - 1) / m : 1
        for c in sums[s].mean.indices {
          sums[s].mean[c] += Double(n) * Double(runningStatistics[s].mean[c])
          sums[s].variance[c] += Double(n) * Double(runningStatistics[s].variance[c]) * biased
        }
      }
      samples += n
    }
    guard samples > 0 else { return }
    for s in runningStatistics.indices {
      runningStatistics[s].mean = sums[s].mean.map { Float($0 / Double(samples)) }
      runningStatistics[s].variance = sums[s].variance.map { Float($0 / Double(samples)) }
    }
  }

  // MARK: - Evaluation

  /// Inference-mode top-1 accuracy and mean loss over every batch of `epoch` of `source`.
  public mutating func evaluate<Source: BatchSource>(
    _ source: inout Source, epoch: Int = 0, labelSmoothing: Float = 0
  ) throws -> Evaluation {
    let loss = SoftmaxCrossEntropy(classes: classCount, labelSmoothing: labelSmoothing)
    try source.startEpoch(epoch, skipping: 0)
    var (correct, count, lossSum) = (0, 0, 0.0)
    while let batch = try source.nextBatch() {
      let logits = predict(batch.images)
      correct += loss.correctCount(logits: logits, labels: batch.labels)
      lossSum += Double(loss.loss(logits: logits, labels: batch.labels)) * Double(batch.count)
      count += batch.count
    }
    guard count > 0 else { throw TrainingError.emptySource(what: "evaluation") }
    return Evaluation(
      top1: Double(correct) / Double(count), loss: lossSum / Double(count), count: count)
  }
}
