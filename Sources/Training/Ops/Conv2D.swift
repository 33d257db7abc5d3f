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

  /// The row tiles of the GEMM over `batch` samples (`RowTiles`): an im2col row and an output
  /// row per pixel.
  func rowTiles(batch: Int) -> RowTiles {
    RowTiles(rows: pixelCount(batch: batch), rowFloats: patchCount + outChannels)
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
    withOptionalPointer(bias) { bias in
      input.withUnsafeBufferPointer { x in
        output.withUnsafeMutableBufferPointer { y in
          workspace.withUnsafeMutableBufferPointer { ws in
            guard let x = x.baseAddress, let y = y.baseAddress else { return }
            forward(x, weight: weight, bias: bias, into: y, batch: n, workspace: ws, afterTile: nil)
          }
        }
      }
    }
  }

  /// `forward` on raw buffers of `batch` samples that also records the batch-norm moments of
  /// the output (C = cOut) into `moments`: tile by tile while each output tile is in cache
  /// when the product is tiled, in a pass of its own otherwise (the same bits either way).
  func forward(
    _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    into y: UnsafeMutablePointer<Float>, batch n: Int, workspace: UnsafeMutableBufferPointer<Float>,
    moments: inout ChannelMoments
  ) {
    let (m, c) = (pixelCount(batch: n), outChannels)
    guard rowTiles(batch: n).isParallel else {
      forward(
        x, weight: weight, bias: bias, into: y, batch: n, workspace: workspace, afterTile: nil)
      moments.measure(y, rows: m, channels: c)
      return
    }
    moments.measure(rows: m, channels: c) { storage in
      forward(x, weight: weight, bias: bias, into: y, batch: n, workspace: workspace) { rows in
        ChannelMoments.recordUnits(y, rows: rows, channels: c, into: storage)
      }
    }
  }

  /// The forward core: one GEMM over the whole batch (im2col first unless pointwise), or, for
  /// a tall product, row tiles on the cores, each an im2col of its own rows into a per-worker
  /// slice of the workspace and a single-threaded GEMM, then `afterTile(rows)` on the same
  /// worker while the tile's output is still in cache.
  func forward(
    _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    into y: UnsafeMutablePointer<Float>, batch n: Int, workspace: UnsafeMutableBufferPointer<Float>,
    afterTile: ((Range<Int>) -> Void)?
  ) {
    let (m, k, c) = (pixelCount(batch: n), patchCount, outChannels)
    let tiles = rowTiles(batch: n)
    guard tiles.isParallel else {
      if window.isPointwise {
        Dense.gemmForward(x: x, w: weight, bias: bias, y: y, m: m, k: k, n: c)
      } else {
        guard let cols = workspace.baseAddress, workspace.count >= m * k else {
          preconditionFailure("Conv2D workspace too small")
        }
        im2col(x, into: cols, batch: n)
        Dense.gemmForward(x: cols, w: weight, bias: bias, y: y, m: m, k: k, n: c)
      }
      if let afterTile { afterTile(0..<m) }
      return
    }
    let workers = tiles.workers(flopsPerRow: 2 * k * c)
    let colsPerWorker = window.isPointwise ? 0 : tiles.tileRows * k
    withScratch(workers.chunks * colsPerWorker, preferring: workspace) { scratch in
      tiles.run(workers) { worker, rows in
        var a = x + rows.lowerBound * k
        if !window.isPointwise {
          let cols = scratch + worker * colsPerWorker
          im2col(x, pixels: rows, into: cols)
          a = UnsafePointer(cols)
        }
        Dense.gemmForward(
          x: a, w: weight, bias: bias, y: y + rows.lowerBound * c, m: rows.count, k: k, n: c)
        afterTile?(rows)
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
    dInput.withUnsafeMutableBufferPointer { dx in
      workspace.withUnsafeMutableBufferPointer { ws in
        guard let dx = dx.baseAddress else { return }
        backwardInput(
          dOutput: dOutput, weight: weight, into: dx, accumulate: true, batch: n, workspace: ws)
      }
    }
  }

  /// `backwardInput` on raw buffers that adds to dInput, or overwrites it when `accumulate`
  /// is false (a GEMM with β = 0 for a pointwise conv; zeros before col2im otherwise).
  func backwardInput(
    dOutput dy: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    into dx: UnsafeMutablePointer<Float>, accumulate: Bool, batch n: Int,
    workspace: UnsafeMutableBufferPointer<Float>
  ) {
    let (m, k) = (pixelCount(batch: n), patchCount)
    if window.isPointwise {
      Dense.backwardInput(
        dy: dy, w: weight, dx: dx, m: m, k: k, n: outChannels, accumulate: accumulate)
      return
    }
    guard let cols = workspace.baseAddress, workspace.count >= m * k else {
      preconditionFailure("Conv2D workspace too small")
    }
    Dense.backwardInput(dy: dy, w: weight, dx: cols, m: m, k: k, n: outChannels, accumulate: false)
    if !accumulate { dx.update(repeating: 0, count: inputShape(batch: n).count) }
    col2im(cols, accumulatingInto: dx, batch: n)
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
    dWeight.withUnsafeMutableBufferPointer { dw in
      workspace.withUnsafeMutableBufferPointer { ws in
        guard let dw = dw.baseAddress else { return }
        backwardWeight(
          dOutput: dOutput, input: input, accumulatingInto: dw, batch: n, workspace: ws)
      }
    }
  }

  /// `backwardWeight` on raw buffers.
  func backwardWeight(
    dOutput dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
    accumulatingInto dw: UnsafeMutablePointer<Float>, batch n: Int,
    workspace: UnsafeMutableBufferPointer<Float>
  ) {
    let (m, k) = (pixelCount(batch: n), patchCount)
    if window.isPointwise {
      Dense.backwardWeight(dy: dy, x: x, dw: dw, m: m, k: k, n: outChannels)
    } else if !backwardTiles(
      dOutput: .rows(dy), input: x, weight: nil, dWeight: dw, dInput: nil, accumulate: true,
      batch: n, workspace: workspace)
    {
      guard let cols = workspace.baseAddress, workspace.count >= m * k else {
        preconditionFailure("Conv2D workspace too small")
      }
      im2col(x, into: cols, batch: n)
      Dense.gemmBackwardWeight(
        dy: dy, x: cols, dw: dw, m: m, k: k, n: outChannels, accumulate: true)
    }
  }

  /// Where a tiled backward pass reads dOutput: a full buffer, or a map that writes the rows
  /// of a tile into a per-worker buffer on demand (`map(count, firstRow, dst)`: the batch
  /// norm's backward, so that dOutput never exists in full).
  enum DOutputSource {
    case rows(UnsafePointer<Float>)
    case map((Int, Int, UnsafeMutablePointer<Float>) -> Void)
  }

  /// The tiled backward pass: for each row tile, on the core that owns it, dOutput's rows
  /// (from `source`), then dInput's rows (+)= dOutput · weight (pointwise only; pass
  /// `dInput: nil` otherwise) and a per-worker dWeight += dOutputᵀ · im2col(input), the
  /// per-worker sums added to dWeight in worker order. Returns false, doing nothing, when the
  /// product is not tall enough to tile or would need col2im; the caller then runs the plain
  /// passes.
  func backwardTiles(
    dOutput source: DOutputSource, input x: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
    dWeight dw: UnsafeMutablePointer<Float>, dInput dx: UnsafeMutablePointer<Float>?,
    accumulate: Bool, batch n: Int, workspace: UnsafeMutableBufferPointer<Float>
  ) -> Bool {
    let (k, c) = (patchCount, outChannels)
    let tiles = rowTiles(batch: n)
    guard tiles.isParallel, dx == nil || window.isPointwise else { return false }
    let workers = tiles.workers(flopsPerRow: (dx == nil ? 2 : 4) * k * c)
    let mapped: Bool
    if case .map = source { mapped = true } else { mapped = false }
    let dyFloats = mapped ? tiles.tileRows * c : 0
    let perWorker = dyFloats + (window.isPointwise ? 0 : tiles.tileRows * k)
    withScratch(workers.chunks * perWorker, preferring: workspace) { scratch in
      tiles.run(workers, summing: c * k, into: dw) { worker, rows, partial in
        let own = scratch + worker * perWorker
        let dy: UnsafePointer<Float>
        switch source {
        case .rows(let all):
          dy = all + rows.lowerBound * c
        case .map(let write):
          write(rows.count, rows.lowerBound, own)
          dy = UnsafePointer(own)
        }
        if let dx, let weight {
          Dense.gemmBackwardInput(
            dy: dy, w: weight, dx: dx + rows.lowerBound * k, m: rows.count, k: k, n: c,
            accumulate: accumulate)
        }
        var a = x + rows.lowerBound * k
        if !window.isPointwise {
          im2col(x, pixels: rows, into: own + dyFloats)
          a = UnsafePointer(own + dyFloats)
        }
        Dense.gemmBackwardWeight(
          dy: dy, x: a, dw: partial, m: rows.count, k: k, n: c, accumulate: true)
      }
    }
    return true
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
  func im2col(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, batch: Int) {
    let (oH, oW) = (window.outputHeight, window.outputWidth)
    let rows = WorkSplit(
      count: batch * oH, minimumRows: Grain.rows(flopsPerRow: oW * patchCount))
    rows.run { _, range in
      im2col(
        x, pixels: (range.lowerBound * oW)..<(range.upperBound * oW),
        into: out + range.lowerBound * oW * patchCount)
    }
  }

  /// The im2col rows of the output pixels `pixels` (flat indices over N·oH·oW) into `dst`,
  /// one row of kH·kW·cIn floats each. A kernel row whose kW taps all lie inside the input
  /// is one contiguous run of kW·cIn input floats (NHWC), copied as such.
  func im2col(_ x: UnsafePointer<Float>, pixels: Range<Int>, into dst: UnsafeMutablePointer<Float>)
  {
    let g = window
    let (c, oH, oW, kH, kW) = (
      inChannels, g.outputHeight, g.outputWidth, g.kernelHeight, g.kernelWidth
    )
    let run = kW * c
    var dst = dst
    for pixel in pixels {
      let (image, ox) = pixel.quotientAndRemainder(dividingBy: oW)
      let (n, oy) = image.quotientAndRemainder(dividingBy: oH)
      let columns = g.kernelColumns(outputColumn: ox)
      let ix0 = ox * g.stride - g.padding.left
      for ky in 0..<kH {
        let iy = oy * g.stride - g.padding.top + ky
        let inside = iy >= 0 && iy < g.inputHeight
        if inside && columns.count == kW {
          Self.copy(x + ((n * g.inputHeight + iy) * g.inputWidth + ix0) * c, to: dst, count: run)
        } else {
          for kx in 0..<kW {
            if inside && columns.contains(kx) {
              Self.copy(
                x + ((n * g.inputHeight + iy) * g.inputWidth + ix0 + kx) * c, to: dst + kx * c,
                count: c)
            } else {
              (dst + kx * c).update(repeating: 0, count: c)
            }
          }
        }
        dst += run
      }
    }
  }

  /// A short copy as a plain loop (a `memmove` call costs more than copying 9 floats).
  @inline(__always)
  private static func copy(
    _ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int
  ) {
    if count > 32 {
      dst.update(from: src, count: count)
    } else {
      for i in 0..<count { dst[i] = src[i] }
    }
  }

  /// The adjoint of im2col: dInput[n, iy, ix, ic] += every cols entry that im2col copied from
  /// there. Samples are split over the cores (their dInput regions are disjoint).
  func col2im(
    _ colBase: UnsafePointer<Float>, accumulatingInto dx: UnsafeMutablePointer<Float>, batch: Int
  ) {
    let g = window
    let (c, oH, oW) = (inChannels, g.outputHeight, g.outputWidth)
    let perSample = oH * oW * patchCount
    let samples = WorkSplit(count: batch, minimumRows: Grain.rows(flopsPerRow: perSample))
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
