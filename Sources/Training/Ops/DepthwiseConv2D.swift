// DepthwiseConv2D.swift
// Depthwise convolution (groups = C, one kH×kW filter per channel) as direct loops whose
// innermost loop runs over the contiguous channels of NHWC, so it vectorises; forward, input
// gradient and weight gradient side by side. Rows are split over the cores. The readable spec
// is `Reference.depthwiseConv2d`.

import TensorModule

/// A depthwise 2-D convolution with channel multiplier 1 and no bias (MCUNet follows it with
/// batch norm).
///
/// Shapes: input [N, H, W, C]; weight [kH, kW, C] (1HWO without the leading 1; a [1, kH, kW, C]
/// tensor has the same storage); output [N, oH, oW, C].
///
/// `output[n, oy, ox, c] = Σ_{ky, kx} input[n, oy·s − pT + ky, ox·s − pL + kx, c] · w[ky, kx, c]`
/// with out-of-bounds input reading as 0.
public struct DepthwiseConv2D: Hashable, Sendable {
  public let window: WindowGeometry
  public let channels: Int

  public init(window: WindowGeometry, channels: Int) {
    precondition(channels > 0, "channel count must be positive")
    self.window = window
    self.channels = channels
  }

  /// A square `kernel`×`kernel` depthwise convolution.
  public init(
    inputHeight: Int, inputWidth: Int, channels: Int, kernel: Int, stride: Int = 1,
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
  public var weightShape: Shape { [window.kernelHeight, window.kernelWidth, channels] }

  private func batch(of input: [Float]) -> Int {
    batchSize(count: input.count, perSample: inputShape(batch: 1).count, "DepthwiseConv2D input")
  }

  /// Float operations of one output row (oW pixels), for the thread grain.
  private var flopsPerOutputRow: Int {
    2 * window.outputWidth * window.kernelHeight * window.kernelWidth * channels
  }

  // MARK: - Forward

  /// Overwrites `output` with the depthwise convolution of `input`. Rows (n, oy) are split
  /// over the cores.
  public func forward(_ input: [Float], weight: [Float], into output: inout [Float]) {
    let n = batch(of: input)
    checkCount(weight.count, weightShape.count, "DepthwiseConv2D weight")
    checkCount(output.count, outputShape(batch: n).count, "DepthwiseConv2D output")
    let (g, c) = (window, channels)
    let rows = WorkSplit(
      count: n * g.outputHeight, minimumRows: Grain.rows(flopsPerRow: flopsPerOutputRow))
    input.withUnsafeBufferPointer { xb in
      weight.withUnsafeBufferPointer { wb in
        output.withUnsafeMutableBufferPointer { yb in
          guard let x = xb.baseAddress, let w = wb.baseAddress, let y = yb.baseAddress else {
            return
          }
          rows.run { _, range in
            for row in range {
              let (b, oy) = row.quotientAndRemainder(dividingBy: g.outputHeight)
              for ox in 0..<g.outputWidth {
                let out = y + (row * g.outputWidth + ox) * c
                out.update(repeating: 0, count: c)
                for ky in 0..<g.kernelHeight {
                  let iy = oy * g.stride - g.padding.top + ky
                  guard iy >= 0 && iy < g.inputHeight else { continue }
                  for kx in 0..<g.kernelWidth {
                    let ix = ox * g.stride - g.padding.left + kx
                    guard ix >= 0 && ix < g.inputWidth else { continue }
                    let xp = x + ((b * g.inputHeight + iy) * g.inputWidth + ix) * c
                    let wp = w + (ky * g.kernelWidth + kx) * c
                    for ch in 0..<c { out[ch] += xp[ch] * wp[ch] }
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  // MARK: - Backward

  /// dInput += the depthwise transpose convolution of dOutput, in gather form: each input
  /// pixel sums the output pixels whose windows cover it, so rows (n, iy) can be split over
  /// the cores without write conflicts.
  public func backwardInput(
    dOutput: [Float], weight: [Float], accumulatingInto dInput: inout [Float]
  ) {
    let n = batch(of: dInput)
    checkCount(dOutput.count, outputShape(batch: n).count, "DepthwiseConv2D dOutput")
    checkCount(weight.count, weightShape.count, "DepthwiseConv2D weight")
    let (g, c) = (window, channels)
    let rows = WorkSplit(
      count: n * g.inputHeight, minimumRows: Grain.rows(flopsPerRow: flopsPerOutputRow))
    dOutput.withUnsafeBufferPointer { dyb in
      weight.withUnsafeBufferPointer { wb in
        dInput.withUnsafeMutableBufferPointer { dxb in
          guard let dy = dyb.baseAddress, let w = wb.baseAddress, let dx = dxb.baseAddress else {
            return
          }
          rows.run { _, range in
            for row in range {
              let (b, iy) = row.quotientAndRemainder(dividingBy: g.inputHeight)
              for ix in 0..<g.inputWidth {
                let dst = dx + (row * g.inputWidth + ix) * c
                for ky in 0..<g.kernelHeight {
                  // Output row oy covers iy through ky when oy·s − pT + ky == iy.
                  let ty = iy + g.padding.top - ky
                  guard ty >= 0 && ty % g.stride == 0 && ty / g.stride < g.outputHeight else {
                    continue
                  }
                  let oy = ty / g.stride
                  for kx in 0..<g.kernelWidth {
                    let tx = ix + g.padding.left - kx
                    guard tx >= 0 && tx % g.stride == 0 && tx / g.stride < g.outputWidth else {
                      continue
                    }
                    let ox = tx / g.stride
                    let src = dy + ((b * g.outputHeight + oy) * g.outputWidth + ox) * c
                    let wp = w + (ky * g.kernelWidth + kx) * c
                    for ch in 0..<c { dst[ch] += src[ch] * wp[ch] }
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  /// dWeight[ky, kx, c] += Σ_{n, oy, ox} dOutput[n, oy, ox, c] · input[n, iy, ix, c]. Each core
  /// sums its rows into a private [kH, kW, C] buffer; the buffers are then added in chunk
  /// order, so the result does not depend on thread timing.
  public func backwardWeight(
    dOutput: [Float], input: [Float], accumulatingInto dWeight: inout [Float]
  ) {
    let n = batch(of: input)
    checkCount(dOutput.count, outputShape(batch: n).count, "DepthwiseConv2D dOutput")
    checkCount(dWeight.count, weightShape.count, "DepthwiseConv2D dWeight")
    let (g, c, wCount) = (window, channels, weightShape.count)
    let rows = WorkSplit(
      count: n * g.outputHeight, minimumRows: Grain.rows(flopsPerRow: flopsPerOutputRow))
    var partial = [Float](repeating: 0, count: rows.chunks * wCount)
    dOutput.withUnsafeBufferPointer { dyb in
      input.withUnsafeBufferPointer { xb in
        partial.withUnsafeMutableBufferPointer { pb in
          guard let dy = dyb.baseAddress, let x = xb.baseAddress, let p = pb.baseAddress else {
            return
          }
          rows.run { chunk, range in
            let dw = p + chunk * wCount
            for row in range {
              let (b, oy) = row.quotientAndRemainder(dividingBy: g.outputHeight)
              for ox in 0..<g.outputWidth {
                let src = dy + (row * g.outputWidth + ox) * c
                for ky in 0..<g.kernelHeight {
                  let iy = oy * g.stride - g.padding.top + ky
                  guard iy >= 0 && iy < g.inputHeight else { continue }
                  for kx in 0..<g.kernelWidth {
                    let ix = ox * g.stride - g.padding.left + kx
                    guard ix >= 0 && ix < g.inputWidth else { continue }
                    let xp = x + ((b * g.inputHeight + iy) * g.inputWidth + ix) * c
                    let dwp = dw + (ky * g.kernelWidth + kx) * c
                    for ch in 0..<c { dwp[ch] += src[ch] * xp[ch] }
                  }
                }
              }
            }
          }
        }
      }
    }
    for chunk in 0..<rows.chunks {
      for i in 0..<wCount { dWeight[i] += partial[chunk * wCount + i] }
    }
  }
}

// MARK: - Allocating convenience

extension DepthwiseConv2D {
  /// Allocating form of `forward`; `input` is [N, H, W, C], `weight` [kH, kW, C] or
  /// [1, kH, kW, C].
  public func forward(_ input: Tensor<Float>, weight: Tensor<Float>) -> Tensor<Float> {
    let n = input.shape[0]
    precondition(input.shape == inputShape(batch: n), "input shape \(input.shape)")
    precondition(weight.count == weightShape.count, "weight shape \(weight.shape)")
    var output = Tensor<Float>(zeros: outputShape(batch: n))
    forward(input.storage, weight: weight.storage, into: &output.storage)
    return output
  }

  /// Allocating gradients of `forward`; dWeight has `weightShape` ([kH, kW, C]).
  public func backward(
    _ input: Tensor<Float>, weight: Tensor<Float>, dOutput: Tensor<Float>
  ) -> (dInput: Tensor<Float>, dWeight: Tensor<Float>) {
    var dInput = Tensor<Float>(zeros: input.shape)
    var dWeight = Tensor<Float>(zeros: weightShape)
    backwardInput(
      dOutput: dOutput.storage, weight: weight.storage, accumulatingInto: &dInput.storage)
    backwardWeight(
      dOutput: dOutput.storage, input: input.storage, accumulatingInto: &dWeight.storage)
    return (dInput, dWeight)
  }
}
