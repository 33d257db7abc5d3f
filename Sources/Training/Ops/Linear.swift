// Linear.swift
// Fully connected layer (the classifier after global average pooling) as one sgemm over the
// batch, with bias; forward and backward side by side. Weight layout is PyTorch's
// [outFeatures, inFeatures], which is OHWI with H = W = 1.

import TensorModule

/// y = x · Wᵀ + b.
///
/// Shapes: input [N, inFeatures]; weight [outFeatures, inFeatures]; bias [outFeatures]
/// (optional); output [N, outFeatures].
public struct Linear: Hashable, Sendable {
  public let inFeatures: Int
  public let outFeatures: Int

  public init(inFeatures: Int, outFeatures: Int) {
    precondition(inFeatures > 0 && outFeatures > 0, "feature counts must be positive")
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
  }

  public var weightShape: Shape { [outFeatures, inFeatures] }

  private func batch(of input: [Float]) -> Int {
    batchSize(count: input.count, perSample: inFeatures, "Linear input")
  }

  /// output = input · weightᵀ + bias. Overwrites `output`.
  public func forward(
    _ input: [Float], weight: [Float], bias: [Float]?, into output: inout [Float]
  ) {
    let n = batch(of: input)
    checkCount(weight.count, outFeatures * inFeatures, "Linear weight")
    checkCount(output.count, n * outFeatures, "Linear output")
    if let bias { checkCount(bias.count, outFeatures, "Linear bias") }
    withOptionalPointer(bias) { bias in
      Dense.forward(
        x: input, w: weight, bias: bias, y: &output, m: n, k: inFeatures, n: outFeatures)
    }
  }

  /// dInput += dOutput · weight.
  public func backwardInput(
    dOutput: [Float], weight: [Float], accumulatingInto dInput: inout [Float]
  ) {
    let n = batch(of: dInput)
    checkCount(dOutput.count, n * outFeatures, "Linear dOutput")
    checkCount(weight.count, outFeatures * inFeatures, "Linear weight")
    Dense.backwardInput(dy: dOutput, w: weight, dx: &dInput, m: n, k: inFeatures, n: outFeatures)
  }

  /// dWeight += dOutputᵀ · input.
  public func backwardWeight(
    dOutput: [Float], input: [Float], accumulatingInto dWeight: inout [Float]
  ) {
    let n = batch(of: input)
    checkCount(dOutput.count, n * outFeatures, "Linear dOutput")
    checkCount(dWeight.count, outFeatures * inFeatures, "Linear dWeight")
    Dense.backwardWeight(dy: dOutput, x: input, dw: &dWeight, m: n, k: inFeatures, n: outFeatures)
  }

  /// dBias += Σ over the batch of dOutput.
  public func backwardBias(dOutput: [Float], accumulatingInto dBias: inout [Float]) {
    checkCount(dBias.count, outFeatures, "Linear dBias")
    let n = batchSize(count: dOutput.count, perSample: outFeatures, "Linear dOutput")
    Dense.backwardBias(dy: dOutput, db: &dBias, m: n, n: outFeatures)
  }
}

// MARK: - Allocating convenience

extension Linear {
  /// Allocating form of `forward`; `input` is [N, inFeatures].
  public func forward(
    _ input: Tensor<Float>, weight: Tensor<Float>, bias: Tensor<Float>? = nil
  ) -> Tensor<Float> {
    precondition(input.rank == 2 && input.shape[1] == inFeatures, "input shape \(input.shape)")
    precondition(weight.shape == weightShape, "weight shape \(weight.shape)")
    var output = Tensor<Float>(zeros: [input.shape[0], outFeatures])
    forward(input.storage, weight: weight.storage, bias: bias?.storage, into: &output.storage)
    return output
  }

  /// Allocating gradients of `forward` for the upstream gradient `dOutput`.
  public func backward(
    _ input: Tensor<Float>, weight: Tensor<Float>, dOutput: Tensor<Float>
  ) -> (dInput: Tensor<Float>, dWeight: Tensor<Float>, dBias: Tensor<Float>) {
    var dInput = Tensor<Float>(zeros: input.shape)
    var dWeight = Tensor<Float>(zeros: weightShape)
    var dBias = Tensor<Float>(zeros: [outFeatures])
    backwardInput(
      dOutput: dOutput.storage, weight: weight.storage, accumulatingInto: &dInput.storage)
    backwardWeight(
      dOutput: dOutput.storage, input: input.storage, accumulatingInto: &dWeight.storage)
    backwardBias(dOutput: dOutput.storage, accumulatingInto: &dBias.storage)
    return (dInput, dWeight, dBias)
  }
}
