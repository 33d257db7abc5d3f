// DepthwiseConv2D.swift
// Depthwise convolution (groups = C, one kH×kW filter per channel) as direct loops over the
// in-bounds taps only, eight contiguous NHWC channels at a time in a SIMD register; forward,
// input gradient and weight gradient side by side. Rows are split over the cores. The readable
// spec is `Reference.depthwiseConv2d`.

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
  ///
  /// Each output pixel sums its in-bounds taps only (the tap ranges are computed once per row
  /// and column, so padding costs no per-tap test), a block of channels at a time in
  /// registers (`forwardBlock`).
  public func forward(_ input: [Float], weight: [Float], into output: inout [Float]) {
    let n = batch(of: input)
    checkCount(weight.count, weightShape.count, "DepthwiseConv2D weight")
    checkCount(output.count, outputShape(batch: n).count, "DepthwiseConv2D output")
    let (g, c) = (window, channels)
    let (inH, inW, oH, oW, kW) = (
      g.inputHeight, g.inputWidth, g.outputHeight, g.outputWidth, g.kernelWidth
    )
    let (s, pT, pL) = (g.stride, g.padding.top, g.padding.left)
    let columnTaps = (0..<oW).map { g.kernelColumns(outputColumn: $0) }
    let rows = WorkSplit(count: n * oH, minimumRows: Grain.rows(flopsPerRow: flopsPerOutputRow))
    input.withUnsafeBufferPointer { xb in
      weight.withUnsafeBufferPointer { wb in
        output.withUnsafeMutableBufferPointer { yb in
          columnTaps.withUnsafeBufferPointer { taps in
            guard let x = xb.baseAddress, let w = wb.baseAddress, let y = yb.baseAddress else {
              return
            }
            rows.run { _, range in
              for row in range {
                let (b, oy) = row.quotientAndRemainder(dividingBy: oH)
                let kyRange = g.kernelRows(outputRow: oy)
                // Input offset of (b, iy = oy·s − pT, ix = −pL); tap (ky, kx) adds (ky·W + kx)·C.
                let origin = ((b * inH + oy * s - pT) * inW - pL) * c
                var ox = 0
                while ox < oW {
                  let tap = TapLoop(
                    rows: kyRange, columns: taps[ox], channels: c, inputRowStride: inW * c,
                    weightRowStride: kW * c)
                  let xBase = origin + ox * s * c
                  let out = y + (row * oW + ox) * c
                  // Four neighbours with the same taps (the interior) share each weight load.
                  if ox + 3 < oW && taps[ox + 3] == taps[ox] {
                    let xStep = s * c
                    forEachChannelBlock(c) { block, ch in
                      switch block {
                      case .sixteen:
                        tap.forward4(SIMD8<Float>.self, x + ch, xBase, xStep, w + ch, out + ch)
                        tap.forward4(
                          SIMD8<Float>.self, x + ch + 8, xBase, xStep, w + ch + 8, out + ch + 8)
                      case .eight:
                        tap.forward4(SIMD8<Float>.self, x + ch, xBase, xStep, w + ch, out + ch)
                      case .one: tap.forward4(Float.self, x + ch, xBase, xStep, w + ch, out + ch)
                      }
                    }
                    ox += 4
                    continue
                  }
                  forEachChannelBlock(c) { block, ch in
                    switch block {
                    case .sixteen: tap.forward(SIMD16<Float>.self, x + ch, xBase, w + ch, out + ch)
                    case .eight: tap.forward(SIMD8<Float>.self, x + ch, xBase, w + ch, out + ch)
                    case .one: tap.forward(Float.self, x + ch, xBase, w + ch, out + ch)
                    }
                  }
                  ox += 1
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
  /// pixel sums the output pixels whose windows cover it (tap ky = iy + pT − oy·s), so rows
  /// (n, iy) can be split over the cores without write conflicts.
  public func backwardInput(
    dOutput: [Float], weight: [Float], accumulatingInto dInput: inout [Float]
  ) {
    let n = batch(of: dInput)
    checkCount(dOutput.count, outputShape(batch: n).count, "DepthwiseConv2D dOutput")
    checkCount(weight.count, weightShape.count, "DepthwiseConv2D weight")
    let (g, c) = (window, channels)
    let (inH, inW, oH, oW, kW) = (
      g.inputHeight, g.inputWidth, g.outputHeight, g.outputWidth, g.kernelWidth
    )
    let (s, pT, pL) = (g.stride, g.padding.top, g.padding.left)
    let covering = (0..<inW).map { g.outputColumns(coveringInputColumn: $0) }
    let rows = WorkSplit(count: n * inH, minimumRows: Grain.rows(flopsPerRow: flopsPerOutputRow))
    dOutput.withUnsafeBufferPointer { dyb in
      weight.withUnsafeBufferPointer { wb in
        dInput.withUnsafeMutableBufferPointer { dxb in
          covering.withUnsafeBufferPointer { columns in
            guard let dy = dyb.baseAddress, let w = wb.baseAddress, let dx = dxb.baseAddress
            else { return }
            rows.run { _, range in
              for row in range {
                let (b, iy) = row.quotientAndRemainder(dividingBy: inH)
                let oyRange = g.outputRows(coveringInputRow: iy)
                for ix in 0..<inW {
                  // Output (oy, ox) reaches (iy, ix) through tap (iy + pT − oy·s, ix + pL − ox·s):
                  // walking oy and ox up walks the weight offset down by s·kW·C and s·C.
                  let gather = GatherLoop(
                    rows: oyRange, columns: columns[ix], channels: c,
                    dOutputBase: b * oH * oW * c, dOutputRowStride: oW * c,
                    weightBase: (iy + pT) * kW * c + (ix + pL) * c, weightRowStep: s * kW * c,
                    weightColumnStep: s * c)
                  let dst = dx + (row * inW + ix) * c
                  forEachChannelBlock(c) { block, ch in
                    switch block {
                    case .sixteen: gather.accumulate(SIMD16<Float>.self, dy + ch, w + ch, dst + ch)
                    case .eight: gather.accumulate(SIMD8<Float>.self, dy + ch, w + ch, dst + ch)
                    case .one: gather.accumulate(Float.self, dy + ch, w + ch, dst + ch)
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

  /// dWeight[ky, kx, c] += Σ_{n, oy, ox} dOutput[n, oy, ox, c] · input[n, iy, ix, c]. For each
  /// output row and tap, the sum over the row's in-bounds columns is kept in registers and
  /// added once. Each core sums its rows into a private [kH, kW, C] buffer; the buffers are
  /// then added in chunk order, so the result does not depend on thread timing.
  public func backwardWeight(
    dOutput: [Float], input: [Float], accumulatingInto dWeight: inout [Float]
  ) {
    let n = batch(of: input)
    checkCount(dOutput.count, outputShape(batch: n).count, "DepthwiseConv2D dOutput")
    checkCount(dWeight.count, weightShape.count, "DepthwiseConv2D dWeight")
    let (g, c, wCount) = (window, channels, weightShape.count)
    let (inH, inW, oH, oW, kW) = (
      g.inputHeight, g.inputWidth, g.outputHeight, g.outputWidth, g.kernelWidth
    )
    let (s, pT, pL) = (g.stride, g.padding.top, g.padding.left)
    let columnRanges = (0..<kW).map { g.outputColumns(kernelColumn: $0) }
    let rows = WorkSplit(count: n * oH, minimumRows: Grain.rows(flopsPerRow: flopsPerOutputRow))
    var partial = [Float](repeating: 0, count: rows.chunks * wCount)
    dOutput.withUnsafeBufferPointer { dyb in
      input.withUnsafeBufferPointer { xb in
        partial.withUnsafeMutableBufferPointer { pb in
          columnRanges.withUnsafeBufferPointer { columns in
            guard let dy = dyb.baseAddress, let x = xb.baseAddress, let p = pb.baseAddress else {
              return
            }
            rows.run { chunk, range in
              let dw = p + chunk * wCount
              for row in range {
                let (b, oy) = row.quotientAndRemainder(dividingBy: oH)
                for ky in g.kernelRows(outputRow: oy) {
                  let xRow = (b * inH + oy * s - pT + ky) * inW * c
                  for kx in 0..<kW {
                    // Output column ox reads input column ox·s − pL + kx.
                    let sum = RowProductLoop(
                      columns: columns[kx], channels: c, dOutputBase: row * oW * c,
                      inputBase: xRow + (kx - pL) * c, inputColumnStep: s * c)
                    let dst = dw + (ky * kW + kx) * c
                    forEachChannelBlock(c) { block, ch in
                      switch block {
                      case .sixteen: sum.accumulate(SIMD16<Float>.self, dy + ch, x + ch, dst + ch)
                      case .eight: sum.accumulate(SIMD8<Float>.self, dy + ch, x + ch, dst + ch)
                      case .one: sum.accumulate(Float.self, dy + ch, x + ch, dst + ch)
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
    for chunk in 0..<rows.chunks {
      for i in 0..<wCount { dWeight[i] += partial[chunk * wCount + i] }
    }
  }
}

// MARK: - Channel-block loops

/// The tap loop of one forward output pixel: out = Σ_{ky ∈ rows, kx ∈ columns} x · w over one
/// channel block, with x at `xBase + ky·inputRowStride + kx·C` and w at
/// `ky·weightRowStride + kx·C` (both pointers already offset to the block's first channel).
private struct TapLoop {
  let rows: Range<Int>
  let columns: Range<Int>
  let channels: Int
  let inputRowStride: Int
  let weightRowStride: Int

  @inline(__always)
  func forward<V: ChannelVector>(
    _: V.Type, _ x: UnsafePointer<Float>, _ xBase: Int, _ w: UnsafePointer<Float>,
    _ out: UnsafeMutablePointer<Float>
  ) {
    var acc = V.zero
    for ky in rows {
      let xRow = xBase &+ ky &* inputRowStride
      let wRow = ky &* weightRowStride
      for kx in columns {
        acc = acc + V.load(x, xRow &+ kx &* channels) * V.load(w, wRow &+ kx &* channels)
      }
    }
    acc.store(out, 0)
  }

  /// `forward` for four output pixels whose inputs are `xStep` apart and whose outputs are
  /// C apart, with each weight block loaded once for the four.
  @inline(__always)
  func forward4<V: ChannelVector>(
    _: V.Type, _ x: UnsafePointer<Float>, _ xBase: Int, _ xStep: Int, _ w: UnsafePointer<Float>,
    _ out: UnsafeMutablePointer<Float>
  ) {
    var (a0, a1, a2, a3) = (V.zero, V.zero, V.zero, V.zero)
    for ky in rows {
      let xRow = xBase &+ ky &* inputRowStride
      let wRow = ky &* weightRowStride
      for kx in columns {
        let wv = V.load(w, wRow &+ kx &* channels)
        let i = xRow &+ kx &* channels
        a0 = a0 + V.load(x, i) * wv
        a1 = a1 + V.load(x, i &+ xStep) * wv
        a2 = a2 + V.load(x, i &+ 2 &* xStep) * wv
        a3 = a3 + V.load(x, i &+ 3 &* xStep) * wv
      }
    }
    a0.store(out, 0)
    a1.store(out, channels)
    a2.store(out, 2 &* channels)
    a3.store(out, 3 &* channels)
  }
}

/// The gather loop of one input pixel's gradient: dst += Σ_{oy ∈ rows, ox ∈ columns} dy · w,
/// dy at `dOutputBase + oy·dOutputRowStride + ox·C`, w at
/// `weightBase − oy·weightRowStep − ox·weightColumnStep`.
private struct GatherLoop {
  let rows: Range<Int>
  let columns: Range<Int>
  let channels: Int
  let dOutputBase: Int
  let dOutputRowStride: Int
  let weightBase: Int
  let weightRowStep: Int
  let weightColumnStep: Int

  @inline(__always)
  func accumulate<V: ChannelVector>(
    _: V.Type, _ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ dst: UnsafeMutablePointer<Float>
  ) {
    var acc = V.load(UnsafePointer(dst), 0)
    for oy in rows {
      let dyRow = dOutputBase &+ oy &* dOutputRowStride
      let wRow = weightBase &- oy &* weightRowStep
      for ox in columns {
        acc = acc + V.load(dy, dyRow &+ ox &* channels) * V.load(w, wRow &- ox &* weightColumnStep)
      }
    }
    acc.store(dst, 0)
  }
}

/// The weight-gradient sum of one output row and tap: dst += Σ_{ox ∈ columns} dy · x, dy at
/// `dOutputBase + ox·C`, x at `inputBase + ox·inputColumnStep`.
private struct RowProductLoop {
  let columns: Range<Int>
  let channels: Int
  let dOutputBase: Int
  let inputBase: Int
  let inputColumnStep: Int

  @inline(__always)
  func accumulate<V: ChannelVector>(
    _: V.Type, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    _ dst: UnsafeMutablePointer<Float>
  ) {
    var acc = V.zero
    for ox in columns {
      acc =
        acc + V.load(dy, dOutputBase &+ ox &* channels)
        * V.load(x, inputBase &+ ox &* inputColumnStep)
    }
    (V.load(UnsafePointer(dst), 0) + acc).store(dst, 0)
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
