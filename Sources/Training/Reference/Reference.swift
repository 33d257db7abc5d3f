// Reference.swift
// Readable reference forward passes of every training op: plain nested loops, generic over the
// float type so that tests run them in Float64 for finite differences and in Float32 against
// the fast kernels. They are the spec (STYLE.md B6.1) and are never optimized: faster versions
// are the ops under Ops/. Only forward passes are here; gradients are checked against finite
// differences of these.

import Foundation

/// Readable reference forward passes, one per op (see each op for shapes).
public enum Reference {
  /// y = max(x, 0).
  public static func relu<T: BinaryFloatingPoint>(_ x: [T]) -> [T] {
    x.map { $0 > 0 ? $0 : 0 }
  }

  /// y = min(max(x, 0), 6).
  public static func relu6<T: BinaryFloatingPoint>(_ x: [T]) -> [T] {
    x.map { $0 > 6 ? 6 : ($0 > 0 ? $0 : 0) }
  }

  /// y = a + b.
  public static func add<T: BinaryFloatingPoint>(_ a: [T], _ b: [T]) -> [T] {
    precondition(a.count == b.count, "operand sizes differ")
    return zip(a, b).map { $0 + $1 }
  }

  /// y = x · mask.
  public static func dropout<T: BinaryFloatingPoint>(_ x: [T], mask: [T]) -> [T] {
    precondition(x.count == mask.count, "mask size differs")
    return zip(x, mask).map { $0 * $1 }
  }

  /// y[n, o] = Σ_i x[n, i]·w[o, i] + b[o]; x [N, inF], w [outF, inF].
  public static func linear<T: BinaryFloatingPoint>(
    _ x: [T], weight: [T], bias: [T]?, op: Linear
  ) -> [T] {
    let batch = x.count / op.inFeatures
    var y = [T](repeating: 0, count: batch * op.outFeatures)
    for n in 0..<batch {
      for o in 0..<op.outFeatures {
        var acc: T = bias?[o] ?? 0
        for i in 0..<op.inFeatures {
          acc += x[n * op.inFeatures + i] * weight[o * op.inFeatures + i]
        }
        y[n * op.outFeatures + o] = acc
      }
    }
    return y
  }

  /// Training-mode batch norm over [M, C]: mean and biased variance of each channel over M.
  public static func batchNormTraining<T: BinaryFloatingPoint>(
    _ x: [T], gamma: [T], beta: [T], epsilon: T
  ) -> [T] {
    let c = gamma.count
    let m = x.count / c
    var y = x
    for ch in 0..<c {
      var mean: T = 0
      for r in 0..<m { mean += x[r * c + ch] }
      mean /= T(m)
      var variance: T = 0
      for r in 0..<m { variance += (x[r * c + ch] - mean) * (x[r * c + ch] - mean) }
      variance /= T(m)
      let inverseStd = 1 / (variance + epsilon).squareRoot()
      for r in 0..<m { y[r * c + ch] = gamma[ch] * (x[r * c + ch] - mean) * inverseStd + beta[ch] }
    }
    return y
  }

  /// Inference-mode batch norm over [M, C] with given statistics.
  public static func batchNormInference<T: BinaryFloatingPoint>(
    _ x: [T], gamma: [T], beta: [T], mean: [T], variance: [T], epsilon: T
  ) -> [T] {
    let c = gamma.count
    return x.indices.map { i in
      let ch = i % c
      return gamma[ch] * (x[i] - mean[ch]) / (variance[ch] + epsilon).squareRoot() + beta[ch]
    }
  }

  /// Mean over the batch of −Σ_k q_k·log softmax(z)_k with q = (1 − ε)·onehot + ε/K,
  /// evaluated in Float64 with the row maximum subtracted.
  public static func softmaxCrossEntropy<T: BinaryFloatingPoint>(
    logits: [T], labels: [Int], classes k: Int, labelSmoothing eps: Double
  ) -> T {
    var total = 0.0
    for (row, label) in labels.enumerated() {
      let z = (0..<k).map { Double(logits[row * k + $0]) }
      let zMax = z.max() ?? 0
      let logSumExp = zMax + log(z.reduce(0) { $0 + exp($1 - zMax) })
      for j in 0..<k {
        let q = (j == label ? 1 - eps : 0) + eps / Double(k)
        total -= q * (z[j] - logSumExp)
      }
    }
    return T(total / Double(labels.count))
  }
}
