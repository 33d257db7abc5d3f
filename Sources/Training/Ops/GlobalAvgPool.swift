// GlobalAvgPool.swift
// Global average pooling (the spatial mean per channel before the classifier), forward and
// backward side by side.

import TensorModule

/// y[n, c] = mean over (h, w) of x[n, h, w, c].
///
/// Shapes: input [N, H, W, C]; output [N, C].
public struct GlobalAvgPool: Hashable, Sendable {
  public let height: Int
  public let width: Int
  public let channels: Int

  public init(height: Int, width: Int, channels: Int) {
    precondition(height > 0 && width > 0 && channels > 0, "sizes must be positive")
    self.height = height
    self.width = width
    self.channels = channels
  }

  private var pixels: Int { height * width }

  private func batch(of input: [Float]) -> Int {
    batchSize(count: input.count, perSample: pixels * channels, "GlobalAvgPool input")
  }

  /// Overwrites `output` ([N, C]) with the spatial means.
  public func forward(_ input: [Float], into output: inout [Float]) {
    let n = batch(of: input)
    checkCount(output.count, n * channels, "GlobalAvgPool output")
    let (c, scale) = (channels, 1 / Float(pixels))
    for b in 0..<n {
      var sums = [Float](repeating: 0, count: c)
      for p in 0..<pixels {
        let base = (b * pixels + p) * c
        for ch in 0..<c { sums[ch] += input[base + ch] }
      }
      for ch in 0..<c { output[b * c + ch] = sums[ch] * scale }
    }
  }

  /// dInput[n, h, w, c] += dOutput[n, c] / (H·W).
  public func backward(dOutput: [Float], accumulatingInto dInput: inout [Float]) {
    let n = batch(of: dInput)
    checkCount(dOutput.count, n * channels, "GlobalAvgPool dOutput")
    let (c, scale) = (channels, 1 / Float(pixels))
    for b in 0..<n {
      for p in 0..<pixels {
        let base = (b * pixels + p) * c
        for ch in 0..<c { dInput[base + ch] += dOutput[b * c + ch] * scale }
      }
    }
  }

  /// Allocating form of `forward`; [N, H, W, C] → [N, C].
  public func forward(_ input: Tensor<Float>) -> Tensor<Float> {
    precondition(input.shape.dims.dropFirst() == [height, width, channels], "\(input.shape)")
    var output = Tensor<Float>(zeros: [input.shape[0], channels])
    forward(input.storage, into: &output.storage)
    return output
  }
}
