// MaxPool2D.swift
// Max pooling with a kH×kW window and stride s, forward and backward side by side. Padding
// follows TFLite's MAX_POOL_2D and PyTorch's MaxPool2d: padded positions never win, the maximum
// is over the in-bounds pixels of each window. The backward pass routes each output gradient to
// the window's arg-max, the first in-bounds maximum in row-major window order (PyTorch's tie
// rule), recomputed from the input, so no index buffer is kept between the passes.

import TensorModule

/// y[n, oy, ox, c] = max of x[n, iy, ix, c] over the in-bounds pixels of window (oy, ox).
///
/// Shapes: input [N, H, W, C]; output [N, oH, oW, C].
public struct MaxPool2D: Hashable, Sendable {
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
    batchSize(count: input.count, perSample: inputShape(batch: 1).count, "MaxPool2D input")
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

  /// Calls `body(outputBase, argmaxBase)` for every output pixel and channel block: the flat
  /// index of the output pixel's first channel, and per channel the flat input index of the
  /// window's arg-max (the first maximum in row-major order; -1 for an empty window).
  private func forEachWindow(
    _ input: [Float], batch n: Int, _ body: (_ out: Int, _ argmax: [Int]) -> Void
  ) {
    let (g, c) = (window, channels)
    var argmax = [Int](repeating: -1, count: c)
    var best = [Float](repeating: 0, count: c)
    for b in 0..<n {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          let (rows, cols) = span(oy, ox)
          for ch in 0..<c { argmax[ch] = -1 }
          for iy in rows {
            for ix in cols {
              let base = ((b * g.inputHeight + iy) * g.inputWidth + ix) * c
              for ch in 0..<c where argmax[ch] < 0 || input[base + ch] > best[ch] {
                best[ch] = input[base + ch]
                argmax[ch] = base + ch
              }
            }
          }
          body(((b * g.outputHeight + oy) * g.outputWidth + ox) * c, argmax)
        }
      }
    }
  }

  /// Overwrites `output` with the window maxima (0 for a window with no in-bounds pixel).
  public func forward(_ input: [Float], into output: inout [Float]) {
    let n = batch(of: input)
    checkCount(output.count, outputShape(batch: n).count, "MaxPool2D output")
    forEachWindow(input, batch: n) { out, argmax in
      for (ch, i) in argmax.enumerated() { output[out + ch] = i < 0 ? 0 : input[i] }
    }
  }

  /// dInput[arg-max of window (oy, ox), c] += dOutput[n, oy, ox, c]; `input` is the forward
  /// pass's input, from which the arg-max is recomputed.
  public func backward(
    input: [Float], dOutput: [Float], accumulatingInto dInput: inout [Float]
  ) {
    let n = batch(of: input)
    checkCount(dInput.count, input.count, "MaxPool2D dInput")
    checkCount(dOutput.count, outputShape(batch: n).count, "MaxPool2D dOutput")
    forEachWindow(input, batch: n) { out, argmax in
      for (ch, i) in argmax.enumerated() where i >= 0 { dInput[i] += dOutput[out + ch] }
    }
  }

  /// Allocating form of `forward`.
  public func forward(_ input: Tensor<Float>) -> Tensor<Float> {
    let n = input.shape[0]
    precondition(input.shape == inputShape(batch: n), "MaxPool2D input shape \(input.shape)")
    var output = Tensor<Float>(zeros: outputShape(batch: n))
    forward(input.storage, into: &output.storage)
    return output
  }
}
