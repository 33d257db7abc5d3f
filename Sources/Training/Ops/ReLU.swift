// ReLU.swift
// Rectified linear unit, forward and backward side by side. The backward reads the forward
// *output* (y > 0 exactly where x > 0), so the forward may run in place.

import TensorModule

/// y = max(x, 0), element-wise on any shape.
///
/// The gradient at x = 0 is taken as 0, as in PyTorch.
public struct ReLU: Hashable, Sendable {
  public init() {}

  /// Overwrites `output` with max(input, 0).
  public func forward(_ input: [Float], into output: inout [Float]) {
    checkCount(output.count, input.count, "ReLU output")
    for i in input.indices { output[i] = max(input[i], 0) }
  }

  /// In-place forward: x = max(x, 0).
  public func forwardInPlace(_ x: inout [Float]) {
    for i in x.indices { x[i] = max(x[i], 0) }
  }

  /// dInput += dOutput where output > 0.
  public func backward(
    dOutput: [Float], output: [Float], accumulatingInto dInput: inout [Float]
  ) {
    checkCount(dOutput.count, output.count, "ReLU dOutput")
    checkCount(dInput.count, output.count, "ReLU dInput")
    for i in output.indices where output[i] > 0 { dInput[i] += dOutput[i] }
  }

  /// Allocating form of `forward`.
  public func forward(_ input: Tensor<Float>) -> Tensor<Float> {
    var output = Tensor<Float>(zeros: input.shape)
    forward(input.storage, into: &output.storage)
    return output
  }
}
