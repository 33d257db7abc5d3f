// PointwiseConv2D.swift
// 1×1, stride-1 convolution as one straight GEMM over every pixel of the batch (no im2col):
// NHWC makes the input a [N·H·W, cIn] matrix already. Forward and backward side by side.
// MobileNetV2/MCUNet blocks use it for expansion and projection.

import TensorModule

/// A 1×1, stride-1, unpadded convolution.
///
/// Shapes: input [N, H, W, cIn]; weight [cOut, 1, 1, cIn] (OHWI, i.e. [cOut, cIn]);
/// bias [cOut] (optional); output [N, H, W, cOut]. Only the per-pixel channel counts matter,
/// so one op serves every resolution: the pixel count N·H·W comes from the input's size.
public struct PointwiseConv2D: Hashable, Sendable {
  public let inChannels: Int
  public let outChannels: Int

  public init(inChannels: Int, outChannels: Int) {
    precondition(inChannels > 0 && outChannels > 0, "channel counts must be positive")
    self.inChannels = inChannels
    self.outChannels = outChannels
  }

  public var weightShape: Shape { [outChannels, 1, 1, inChannels] }

  private func pixels(of input: [Float]) -> Int {
    batchSize(count: input.count, perSample: inChannels, "PointwiseConv2D input")
  }

  /// output[p, o] = Σ_i input[p, i] · weight[o, i] + bias[o]. Overwrites `output`.
  public func forward(
    _ input: [Float], weight: [Float], bias: [Float]?, into output: inout [Float]
  ) {
    let m = pixels(of: input)
    checkCount(weight.count, outChannels * inChannels, "PointwiseConv2D weight")
    checkCount(output.count, m * outChannels, "PointwiseConv2D output")
    if let bias { checkCount(bias.count, outChannels, "PointwiseConv2D bias") }
    withOptionalPointer(bias) { bias in
      Dense.forward(
        x: input, w: weight, bias: bias, y: &output, m: m, k: inChannels, n: outChannels)
    }
  }

  /// dInput += dOutput · weight.
  public func backwardInput(
    dOutput: [Float], weight: [Float], accumulatingInto dInput: inout [Float]
  ) {
    let m = pixels(of: dInput)
    checkCount(dOutput.count, m * outChannels, "PointwiseConv2D dOutput")
    checkCount(weight.count, outChannels * inChannels, "PointwiseConv2D weight")
    Dense.backwardInput(dy: dOutput, w: weight, dx: &dInput, m: m, k: inChannels, n: outChannels)
  }

  /// dWeight += dOutputᵀ · input.
  public func backwardWeight(
    dOutput: [Float], input: [Float], accumulatingInto dWeight: inout [Float]
  ) {
    let m = pixels(of: input)
    checkCount(dOutput.count, m * outChannels, "PointwiseConv2D dOutput")
    checkCount(dWeight.count, outChannels * inChannels, "PointwiseConv2D dWeight")
    Dense.backwardWeight(dy: dOutput, x: input, dw: &dWeight, m: m, k: inChannels, n: outChannels)
  }

  /// dBias += Σ over pixels of dOutput.
  public func backwardBias(dOutput: [Float], accumulatingInto dBias: inout [Float]) {
    checkCount(dBias.count, outChannels, "PointwiseConv2D dBias")
    let m = batchSize(count: dOutput.count, perSample: outChannels, "PointwiseConv2D dOutput")
    Dense.backwardBias(dy: dOutput, db: &dBias, m: m, n: outChannels)
  }
}

// MARK: - Allocating convenience

extension PointwiseConv2D {
  /// Allocating form of `forward`; `input` is [N, H, W, cIn], the result [N, H, W, cOut].
  public func forward(
    _ input: Tensor<Float>, weight: Tensor<Float>, bias: Tensor<Float>? = nil
  ) -> Tensor<Float> {
    precondition(input.rank == 4 && input.shape[3] == inChannels, "input shape \(input.shape)")
    precondition(weight.count == weightShape.count, "weight shape \(weight.shape)")
    let dims = input.shape.dims
    var output = Tensor<Float>(zeros: [dims[0], dims[1], dims[2], outChannels])
    forward(input.storage, weight: weight.storage, bias: bias?.storage, into: &output.storage)
    return output
  }

  /// Allocating gradients of `forward` for the upstream gradient `dOutput`.
  public func backward(
    _ input: Tensor<Float>, weight: Tensor<Float>, dOutput: Tensor<Float>
  ) -> (dInput: Tensor<Float>, dWeight: Tensor<Float>, dBias: Tensor<Float>) {
    var dInput = Tensor<Float>(zeros: input.shape)
    var dWeight = Tensor<Float>(zeros: weightShape)
    var dBias = Tensor<Float>(zeros: [outChannels])
    backwardInput(
      dOutput: dOutput.storage, weight: weight.storage, accumulatingInto: &dInput.storage)
    backwardWeight(
      dOutput: dOutput.storage, input: input.storage, accumulatingInto: &dWeight.storage)
    backwardBias(dOutput: dOutput.storage, accumulatingInto: &dBias.storage)
    return (dInput, dWeight, dBias)
  }
}
