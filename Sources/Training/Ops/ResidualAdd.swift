// ResidualAdd.swift
// The element-wise sum that closes an inverted-residual block (identity shortcut), forward and
// backward side by side. Trivial, but a graph node like any other.

import TensorModule

/// y = a + b, element-wise on two buffers of the same shape.
public struct ResidualAdd: Hashable, Sendable {
  public init() {}

  /// Overwrites `output` with a + b.
  public func forward(_ a: [Float], _ b: [Float], into output: inout [Float]) {
    checkCount(b.count, a.count, "ResidualAdd second operand")
    checkCount(output.count, a.count, "ResidualAdd output")
    for i in a.indices { output[i] = a[i] + b[i] }
  }

  /// In-place forward: a += b (the shortcut added into the block's output buffer).
  public func forwardInPlace(_ a: inout [Float], adding b: [Float]) {
    checkCount(b.count, a.count, "ResidualAdd second operand")
    for i in a.indices { a[i] += b[i] }
  }

  /// dA += dOutput and dB += dOutput: the gradient flows unchanged into both branches.
  public func backward(
    dOutput: [Float], accumulatingInto dA: inout [Float], _ dB: inout [Float]
  ) {
    checkCount(dA.count, dOutput.count, "ResidualAdd dA")
    checkCount(dB.count, dOutput.count, "ResidualAdd dB")
    for i in dOutput.indices {
      dA[i] += dOutput[i]
      dB[i] += dOutput[i]
    }
  }

  /// Allocating form of `forward`.
  public func forward(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Tensor<Float> {
    precondition(a.shape == b.shape, "ResidualAdd shapes \(a.shape) and \(b.shape) differ")
    var output = Tensor<Float>(zeros: a.shape)
    forward(a.storage, b.storage, into: &output.storage)
    return output
  }
}
