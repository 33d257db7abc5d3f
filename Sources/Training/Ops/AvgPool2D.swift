// AvgPool2D.swift
// Average pooling with a kH×kW window and stride s, forward and backward side by side. Padding
// follows TFLite's AVERAGE_POOL_2D: the divisor is the number of in-bounds pixels of each
// window (PyTorch's count_include_pad=False), so padding never dilutes the mean.

import TensorModule

/// y[n, oy, ox, c] = mean of x[n, iy, ix, c] over the in-bounds pixels of window (oy, ox).
///
/// Shapes: input [N, H, W, C]; output [N, oH, oW, C].
public struct AvgPool2D: Hashable, Sendable {
  public let window: WindowGeometry
  public let channels: Int

  public init(window: WindowGeometry, channels: Int) {
    precondition(channels > 0, "channel count must be positive")
    self.window = window
    self.channels = channels
  }

  /// A square `kernel`×`kernel` pool with the given stride (often equal to the kernel).
  public init(
    inputHeight: Int, inputWidth: Int, channels: Int, kernel: Int, stride: Int,
    padding: WindowPadding = .valid
  ) {
    let window = WindowGeometry(
      inputHeight: inputHeight, inputWidth: inputWidth, kernelHeight: kernel,
      kernelWidth: kernel, stride: stride, padding: padding)
    self.init(window: window, channels: channels)
  }

  public func inputShape(batch: Int) -> Shape {
    [batch, window.inputHeight, window.inputWidth, channels]
  }
  public func outputShape(batch: Int) -> Shape {
    [batch, window.outputHeight, window.outputWidth, channels]
  }

  private func batch(of input: [Float]) -> Int {
    batchSize(count: input.count, perSample: inputShape(batch: 1).count, "AvgPool2D input")
  }

  /// The in-bounds input rows and columns of output pixel (oy, ox).
  private func span(_ oy: Int, _ ox: Int) -> (rows: Range<Int>, cols: Range<Int>) {
    let g = window
    let y0 = oy * g.stride - g.padding.top
    let x0 = ox * g.stride - g.padding.left
    let rows = max(y0, 0)..<min(y0 + g.kernelHeight, g.inputHeight)
    let cols = max(x0, 0)..<min(x0 + g.kernelWidth, g.inputWidth)
    return (rows, cols)
  }

  /// Overwrites `output` with the window means.
  public func forward(_ input: [Float], into output: inout [Float]) {
    let n = batch(of: input)
    checkCount(output.count, outputShape(batch: n).count, "AvgPool2D output")
    let (g, c) = (window, channels)
    for b in 0..<n {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          let (rows, cols) = span(oy, ox)
          let out = ((b * g.outputHeight + oy) * g.outputWidth + ox) * c
          var sums = [Float](repeating: 0, count: c)
          for iy in rows {
            for ix in cols {
              let base = ((b * g.inputHeight + iy) * g.inputWidth + ix) * c
              for ch in 0..<c { sums[ch] += input[base + ch] }
            }
          }
          let scale = 1 / Float(max(rows.count * cols.count, 1))
          for ch in 0..<c { output[out + ch] = sums[ch] * scale }
        }
      }
    }
  }

  /// dInput[n, iy, ix, c] += dOutput[n, oy, ox, c] / count(oy, ox) for every window covering
  /// (iy, ix).
  public func backward(dOutput: [Float], accumulatingInto dInput: inout [Float]) {
    let n = batch(of: dInput)
    checkCount(dOutput.count, outputShape(batch: n).count, "AvgPool2D dOutput")
    let (g, c) = (window, channels)
    for b in 0..<n {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          let (rows, cols) = span(oy, ox)
          let src = ((b * g.outputHeight + oy) * g.outputWidth + ox) * c
          let scale = 1 / Float(max(rows.count * cols.count, 1))
          for iy in rows {
            for ix in cols {
              let base = ((b * g.inputHeight + iy) * g.inputWidth + ix) * c
              for ch in 0..<c { dInput[base + ch] += dOutput[src + ch] * scale }
            }
          }
        }
      }
    }
  }

  /// Allocating form of `forward`.
  public func forward(_ input: Tensor<Float>) -> Tensor<Float> {
    let n = input.shape[0]
    precondition(input.shape == inputShape(batch: n), "AvgPool2D input shape \(input.shape)")
    var output = Tensor<Float>(zeros: outputShape(batch: n))
    forward(input.storage, into: &output.storage)
    return output
  }
}
