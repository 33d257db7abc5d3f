// Dropout.swift
// Inverted dropout with a seeded mask, forward and backward side by side. Training mode only:
// at inference dropout is the identity and the caller skips it. The mask is drawn from the
// generator the caller passes (DESIGN.md §3), with a fixed bits-to-float mapping so the same
// seed gives the same mask on every platform and Swift version.

import TensorModule

/// y = x · mask, where mask[i] is 0 with probability `rate` and 1/(1 − rate) otherwise, so the
/// expected value of y equals x.
///
/// Shapes: input, output and mask all have the same element count (any shape).
public struct Dropout: Hashable, Sendable {
  /// Probability of zeroing an element, in [0, 1).
  public let rate: Float

  public init(rate: Float) {
    precondition(rate >= 0 && rate < 1, "dropout rate \(rate) must be in [0, 1)")
    self.rate = rate
  }

  /// Draws a fresh mask into `mask` and overwrites `output` with input · mask.
  public func forward(
    _ input: [Float], into output: inout [Float], mask: inout [Float],
    using generator: inout some RandomNumberGenerator
  ) {
    checkCount(output.count, input.count, "Dropout output")
    checkCount(mask.count, input.count, "Dropout mask")
    let keep = 1 / (1 - rate)
    for i in input.indices {
      // The top 24 bits give a uniform float in [0, 1) exactly representable in Float.
      let u = Float(generator.next() >> 40) * 0x1p-24
      mask[i] = u < rate ? 0 : keep
      output[i] = input[i] * mask[i]
    }
  }

  /// dInput += dOutput · mask (the mask of the matching forward pass).
  public func backward(
    dOutput: [Float], mask: [Float], accumulatingInto dInput: inout [Float]
  ) {
    checkCount(mask.count, dOutput.count, "Dropout mask")
    checkCount(dInput.count, dOutput.count, "Dropout dInput")
    for i in dOutput.indices { dInput[i] += dOutput[i] * mask[i] }
  }

  /// Allocating form of `forward`; returns the output and the mask.
  public func forward(
    _ input: Tensor<Float>, using generator: inout some RandomNumberGenerator
  ) -> (output: Tensor<Float>, mask: [Float]) {
    var output = Tensor<Float>(zeros: input.shape)
    var mask = [Float](repeating: 0, count: input.count)
    forward(input.storage, into: &output.storage, mask: &mask, using: &generator)
    return (output, mask)
  }
}
