// SoftmaxCrossEntropy.swift
// Softmax cross-entropy with label smoothing, averaged over the batch: the training loss, with
// its gradient computed in the same pass (the root of every backward pass). Numerically stable
// through log-sum-exp with the row maximum subtracted; each row is evaluated in Float64.

import Foundation
import TensorModule

/// The mean over the batch of −Σ_k q_k·log softmax(z)_k, with the smoothed target
/// q = (1 − ε)·onehot(label) + ε/K (PyTorch's `label_smoothing`, Szegedy et al. 2016).
///
/// Shapes: logits and dLogits [N, K]; labels [N], each in 0..<K.
///
/// Per row, with lse = log Σ_k exp(z_k): loss = lse − (1 − ε)·z_label − (ε/K)·Σ_k z_k, and
/// ∂loss/∂z = (softmax(z) − q) / N for the batch mean.
public struct SoftmaxCrossEntropy: Hashable, Sendable {
  public let classes: Int
  /// ε in [0, 1); 0 is plain cross-entropy.
  public let labelSmoothing: Float

  public init(classes: Int, labelSmoothing: Float = 0) {
    precondition(classes > 1, "need at least two classes")
    precondition(labelSmoothing >= 0 && labelSmoothing < 1, "label smoothing must be in [0, 1)")
    self.classes = classes
    self.labelSmoothing = labelSmoothing
  }

  private func batch(of logits: [Float], _ labels: [Int]) -> Int {
    let n = batchSize(count: logits.count, perSample: classes, "SoftmaxCrossEntropy logits")
    checkCount(labels.count, n, "SoftmaxCrossEntropy labels")
    precondition(labels.allSatisfy { (0..<classes).contains($0) }, "label out of 0..<\(classes)")
    return n
  }

  /// The mean loss (forward only).
  public func loss(logits: [Float], labels: [Int]) -> Float {
    var unused = [Float](repeating: 0, count: logits.count)
    return forwardBackward(logits: logits, labels: labels, dLogits: &unused)
  }

  /// Returns the mean loss and *overwrites* `dLogits` with its gradient (p − q)/N.
  public func forwardBackward(logits: [Float], labels: [Int], dLogits: inout [Float]) -> Float {
    let n = batch(of: logits, labels)
    checkCount(dLogits.count, logits.count, "SoftmaxCrossEntropy dLogits")
    let k = classes
    let eps = Double(labelSmoothing)
    var total = 0.0
    for row in 0..<n {
      let z = logits[(row * k)..<((row + 1) * k)].map(Double.init)
      let zMax = z.max() ?? 0
      let exps = z.map { exp($0 - zMax) }
      let sumExp = exps.reduce(0, +)
      let lse = zMax + log(sumExp)
      total += lse - (1 - eps) * z[labels[row]] - eps / Double(k) * z.reduce(0, +)
      for j in 0..<k {
        let target = (j == labels[row] ? 1 - eps : 0) + eps / Double(k)
        dLogits[row * k + j] = Float((exps[j] / sumExp - target) / Double(n))
      }
    }
    return Float(total / Double(n))
  }

  /// The index of the largest logit of each row (top-1 prediction; ties go to the lower index).
  public func predictions(logits: [Float]) -> [Int] {
    let n = batchSize(count: logits.count, perSample: classes, "SoftmaxCrossEntropy logits")
    return (0..<n).map { row in
      var best = 0
      for j in 1..<classes where logits[row * classes + j] > logits[row * classes + best] {
        best = j
      }
      return best
    }
  }

  /// How many rows have their top-1 prediction equal to the label.
  public func correctCount(logits: [Float], labels: [Int]) -> Int {
    zip(predictions(logits: logits), labels).filter { $0 == $1 }.count
  }
}
