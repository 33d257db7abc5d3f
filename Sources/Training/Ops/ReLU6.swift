// ReLU6.swift
// ReLU clipped at 6, MobileNetV2's and MCUNet's activation (int8 deployment folds it into the
// requantization clamp). Forward and backward side by side; the backward reads the forward
// *output* (0 < y < 6 exactly where 0 < x < 6), so the forward may run in place.

import TensorModule

/// y = min(max(x, 0), 6), element-wise on any shape.
///
/// The gradient is 1 on the open interval (0, 6) and 0 elsewhere, including at the two
/// corners, as PyTorch's `hardtanh_backward` does.
public struct ReLU6: Hashable, Sendable {
  public init() {}

  /// Overwrites `output` with min(max(input, 0), 6).
  public func forward(_ input: [Float], into output: inout [Float]) {
    checkCount(output.count, input.count, "ReLU6 output")
    for i in input.indices { output[i] = min(max(input[i], 0), 6) }
  }

  /// In-place forward.
  public func forwardInPlace(_ x: inout [Float]) {
    for i in x.indices { x[i] = min(max(x[i], 0), 6) }
  }

  /// dInput += dOutput where 0 < output < 6.
  public func backward(
    dOutput: [Float], output: [Float], accumulatingInto dInput: inout [Float]
  ) {
    checkCount(dOutput.count, output.count, "ReLU6 dOutput")
    checkCount(dInput.count, output.count, "ReLU6 dInput")
    for i in output.indices where output[i] > 0 && output[i] < 6 { dInput[i] += dOutput[i] }
  }

  /// Allocating form of `forward`.
  public func forward(_ input: Tensor<Float>) -> Tensor<Float> {
    var output = Tensor<Float>(zeros: input.shape)
    forward(input.storage, into: &output.storage)
    return output
  }
}
