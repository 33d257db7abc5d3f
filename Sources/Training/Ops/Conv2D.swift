// Conv2D.swift
// Standard convolution (groups = 1) as im2col + sgemm, forward and backward side by side: the
// input gradient is a GEMM followed by col2im, the weight gradient a GEMM against the same
// im2col matrix. The readable spec it is tested against is `Reference.conv2d`.

import TensorModule

/// A 2-D convolution with groups = 1: any kernel, stride, and symmetric or asymmetric padding.
///
/// Shapes (legend in TensorModule/Shape.swift):
/// - input  [N, H, W, cIn]
/// - weight [cOut, kH, kW, cIn] (OHWI)
/// - bias   [cOut] (optional)
/// - output [N, oH, oW, cOut]
/// - workspace: at least `workspaceCount(batch: N)` floats, owned by the caller.
///
/// Algorithm: im2col writes one row per output pixel, [N·oH·oW, kH·kW·cIn], columns in
/// (ky, kx, ic) order so that each row meets one flattened OHWI filter in a dot product; a
/// single sgemm over the whole batch then writes the NHWC output directly. A 1×1, stride-1,
/// unpadded conv skips im2col because its input already is that matrix.
public struct Conv2D: Hashable, Sendable {
  public let window: WindowGeometry
  public let inChannels: Int
  public let outChannels: Int

  public init(window: WindowGeometry, inChannels: Int, outChannels: Int) {
    precondition(inChannels > 0 && outChannels > 0, "channel counts must be positive")
    self.window = window
    self.inChannels = inChannels
    self.outChannels = outChannels
  }

  /// A square `kernel`×`kernel` convolution.
  public init(
    inputHeight: Int, inputWidth: Int, inChannels: Int, outChannels: Int, kernel: Int,
    stride: Int = 1, padding: WindowPadding = .valid
  ) {
    let window = WindowGeometry(
      inputHeight: inputHeight, inputWidth: inputWidth, kernelHeight: kernel,
      kernelWidth: kernel, stride: stride, padding: padding)
    self.init(window: window, inChannels: inChannels, outChannels: outChannels)
  }

  public func inputShape(batch: Int) -> Shape {
    [batch, window.inputHeight, window.inputWidth, inChannels]
  }
  public func outputShape(batch: Int) -> Shape {
    [batch, window.outputHeight, window.outputWidth, outChannels]
  }
  public var weightShape: Shape {
    [outChannels, window.kernelHeight, window.kernelWidth, inChannels]
  }

  /// Elements of one im2col row: kH·kW·cIn.
  var patchCount: Int { window.kernelHeight * window.kernelWidth * inChannels }

  /// Output pixels over the batch: the GEMM's row count.
  func pixelCount(batch: Int) -> Int { batch * window.outputHeight * window.outputWidth }

  /// Scratch floats for the im2col matrix (0 for a 1×1 stride-1 unpadded conv).
  public func workspaceCount(batch: Int) -> Int {
    window.isPointwise ? 0 : pixelCount(batch: batch) * patchCount
  }

  private func batch(of input: [Float]) -> Int {
    batchSize(count: input.count, perSample: inputShape(batch: 1).count, "Conv2D input")
  }

  // MARK: - Forward

  /// output = conv(input, weight) + bias. Overwrites `output`.
  public func forward(
    _ input: [Float], weight: [Float], bias: [Float]?, into output: inout [Float],
    workspace: inout [Float]
  ) {
    let n = batch(of: input)
    checkCount(weight.count, weightShape.count, "Conv2D weight")
    checkCount(output.count, outputShape(batch: n).count, "Conv2D output")
    if let bias { checkCount(bias.count, outChannels, "Conv2D bias") }
    precondition(workspace.count >= workspaceCount(batch: n), "Conv2D workspace too small")
    let (m, k) = (pixelCount(batch: n), patchCount)
    withOptionalPointer(bias) { bias in
      if window.isPointwise {
        Dense.forward(x: input, w: weight, bias: bias, y: &output, m: m, k: k, n: outChannels)
      } else {
        im2col(input, into: &workspace, batch: n)
        Dense.forward(x: workspace, w: weight, bias: bias, y: &output, m: m, k: k, n: outChannels)
      }
    }
  }

  // MARK: - Backward

  /// dInput += convᵀ(dOutput, weight): a GEMM into the im2col-shaped workspace, then col2im.
  public func backwardInput(
    dOutput: [Float], weight: [Float], accumulatingInto dInput: inout [Float],
    workspace: inout [Float]
  ) {
    let n = batch(of: dInput)
    checkCount(dOutput.count, outputShape(batch: n).count, "Conv2D dOutput")
    checkCount(weight.count, weightShape.count, "Conv2D weight")
    precondition(workspace.count >= workspaceCount(batch: n), "Conv2D workspace too small")
    let (m, k) = (pixelCount(batch: n), patchCount)
    if window.isPointwise {
      Dense.backwardInput(dy: dOutput, w: weight, dx: &dInput, m: m, k: k, n: outChannels)
    } else {
      workspace.withUnsafeMutableBufferPointer { cols in
        guard let cols = cols.baseAddress else { return }
        cols.update(repeating: 0, count: m * k)
        Dense.backwardInput(dy: dOutput, w: weight, dx: cols, m: m, k: k, n: outChannels)
      }
      col2im(workspace, accumulatingInto: &dInput, batch: n)
    }
  }

  /// dWeight += dOutputᵀ · im2col(input).
  public func backwardWeight(
    dOutput: [Float], input: [Float], accumulatingInto dWeight: inout [Float],
    workspace: inout [Float]
  ) {
    let n = batch(of: input)
    checkCount(dOutput.count, outputShape(batch: n).count, "Conv2D dOutput")
    checkCount(dWeight.count, weightShape.count, "Conv2D dWeight")
    precondition(workspace.count >= workspaceCount(batch: n), "Conv2D workspace too small")
    let (m, k) = (pixelCount(batch: n), patchCount)
    if window.isPointwise {
      Dense.backwardWeight(dy: dOutput, x: input, dw: &dWeight, m: m, k: k, n: outChannels)
    } else {
      im2col(input, into: &workspace, batch: n)
      Dense.backwardWeight(dy: dOutput, x: workspace, dw: &dWeight, m: m, k: k, n: outChannels)
    }
  }

  /// dBias += Σ over N, oH, oW of dOutput.
  public func backwardBias(dOutput: [Float], accumulatingInto dBias: inout [Float]) {
    checkCount(dBias.count, outChannels, "Conv2D dBias")
    let m = batchSize(count: dOutput.count, perSample: outChannels, "Conv2D dOutput")
    Dense.backwardBias(dy: dOutput, db: &dBias, m: m, n: outChannels)
  }

  // MARK: - im2col / col2im

  /// cols[(n, oy, ox), (ky, kx, ic)] = input[n, oy·s − pT + ky, ox·s − pL + kx, ic], or 0 in
  /// the padding. Rows (n, oy) are split over the cores.
  func im2col(_ input: [Float], into cols: inout [Float], batch: Int) {
    let g = window
    let (c, patch, oH, oW) = (inChannels, patchCount, g.outputHeight, g.outputWidth)
    let rows = WorkSplit(count: batch * oH, minimumRows: Grain.rows(flopsPerRow: oW * patch))
    input.withUnsafeBufferPointer { xBuffer in
      cols.withUnsafeMutableBufferPointer { colBuffer in
        guard let x = xBuffer.baseAddress, let out = colBuffer.baseAddress else { return }
        rows.run { _, range in
          for row in range {
            let (n, oy) = row.quotientAndRemainder(dividingBy: oH)
            var dst = out + row * oW * patch
            for ox in 0..<oW {
              for ky in 0..<g.kernelHeight {
                let iy = oy * g.stride - g.padding.top + ky
                for kx in 0..<g.kernelWidth {
                  let ix = ox * g.stride - g.padding.left + kx
                  if iy >= 0 && iy < g.inputHeight && ix >= 0 && ix < g.inputWidth {
                    dst.update(
                      from: x + ((n * g.inputHeight + iy) * g.inputWidth + ix) * c, count: c)
                  } else {
                    dst.update(repeating: 0, count: c)
                  }
                  dst += c
                }
              }
            }
          }
        }
      }
    }
  }

  /// The adjoint of im2col: dInput[n, iy, ix, ic] += every cols entry that im2col copied from
  /// there. Samples are split over the cores (their dInput regions are disjoint).
  func col2im(_ cols: [Float], accumulatingInto dInput: inout [Float], batch: Int) {
    let g = window
    let (c, oH, oW) = (inChannels, g.outputHeight, g.outputWidth)
    let perSample = oH * oW * patchCount
    let samples = WorkSplit(count: batch, minimumRows: Grain.rows(flopsPerRow: perSample))
    cols.withUnsafeBufferPointer { colBuffer in
      dInput.withUnsafeMutableBufferPointer { dxBuffer in
        guard let colBase = colBuffer.baseAddress, let dx = dxBuffer.baseAddress else { return }
        samples.run { _, range in
          for n in range {
            var src = colBase + n * perSample
            for oy in 0..<oH {
              for ox in 0..<oW {
                for ky in 0..<g.kernelHeight {
                  let iy = oy * g.stride - g.padding.top + ky
                  for kx in 0..<g.kernelWidth {
                    let ix = ox * g.stride - g.padding.left + kx
                    if iy >= 0 && iy < g.inputHeight && ix >= 0 && ix < g.inputWidth {
                      let dst = dx + ((n * g.inputHeight + iy) * g.inputWidth + ix) * c
                      for ic in 0..<c { dst[ic] += src[ic] }
                    }
                    src += c
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

// MARK: - Allocating convenience

extension Conv2D {
  /// Allocating form of `forward` on tensors; `input` is [N, H, W, cIn].
  public func forward(
    _ input: Tensor<Float>, weight: Tensor<Float>, bias: Tensor<Float>? = nil
  ) -> Tensor<Float> {
    let n = input.shape[0]
    precondition(input.shape == inputShape(batch: n), "Conv2D input shape \(input.shape)")
    precondition(weight.shape == weightShape, "Conv2D weight shape \(weight.shape)")
    var output = Tensor<Float>(zeros: outputShape(batch: n))
    var workspace = [Float](repeating: 0, count: workspaceCount(batch: n))
    forward(
      input.storage, weight: weight.storage, bias: bias?.storage, into: &output.storage,
      workspace: &workspace)
    return output
  }

  /// Allocating gradients of `forward` for the upstream gradient `dOutput`.
  public func backward(
    _ input: Tensor<Float>, weight: Tensor<Float>, dOutput: Tensor<Float>
  ) -> (dInput: Tensor<Float>, dWeight: Tensor<Float>, dBias: Tensor<Float>) {
    let n = input.shape[0]
    precondition(dOutput.shape == outputShape(batch: n), "Conv2D dOutput shape \(dOutput.shape)")
    var dInput = Tensor<Float>(zeros: input.shape)
    var dWeight = Tensor<Float>(zeros: weightShape)
    var dBias = Tensor<Float>(zeros: [outChannels])
    var workspace = [Float](repeating: 0, count: workspaceCount(batch: n))
    backwardInput(
      dOutput: dOutput.storage, weight: weight.storage, accumulatingInto: &dInput.storage,
      workspace: &workspace)
    backwardWeight(
      dOutput: dOutput.storage, input: input.storage, accumulatingInto: &dWeight.storage,
      workspace: &workspace)
    backwardBias(dOutput: dOutput.storage, accumulatingInto: &dBias.storage)
    return (dInput, dWeight, dBias)
  }
}
