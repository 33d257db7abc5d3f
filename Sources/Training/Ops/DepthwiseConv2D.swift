// DepthwiseConv2D.swift
// Depthwise convolution (groups = C, one kH×kW filter per channel) as direct loops over the
// in-bounds taps only, a block of contiguous NHWC channels at a time in SIMD registers; forward,
// input gradient and weight gradient side by side. Work is split over the cores by rows (or by
// units of output pixels when the forward records batch-norm moments). The readable spec is
// `Reference.depthwiseConv2d`.
//
// Register tiling, the same idea three times (with baseline SSE, two loads per multiply-add
// would bound every loop at half the arithmetic rate):
// - forward: four output pixels in a row share each weight load (`TapLoop.forward4`);
// - dInput (gather form): four input pixels of one stride phase (ix, ix + s, ix + 2s, ix + 3s)
//   meet the same weight taps at four consecutive output columns, so they share each weight
//   load too (`GatherLoop.accumulate4`);
// - dWeight: one output row's kW taps of a kernel row are summed together, each dOutput load
//   feeding kW accumulators (`MultiTapLoop`).

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
  /// registers; four neighbouring pixels with the same taps share each weight load.
  public func forward(_ input: [Float], weight: [Float], into output: inout [Float]) {
    let n = batch(of: input)
    checkCount(weight.count, weightShape.count, "DepthwiseConv2D weight")
    checkCount(output.count, outputShape(batch: n).count, "DepthwiseConv2D output")
    output.withUnsafeMutableBufferPointer { y in
      guard let y = y.baseAddress else { return }
      forward(input, weight: weight, into: y, batch: n)
    }
  }

  /// `forward` on raw buffers of `batch` samples.
  func forward(
    _ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
    batch n: Int
  ) {
    let oW = window.outputWidth
    let rows = WorkSplit(
      count: n * window.outputHeight, minimumRows: Grain.rows(flopsPerRow: flopsPerOutputRow))
    let kernel = ForwardKernel(self)
    rows.run { _, range in
      kernel.withWorkerInput { input in
        kernel.run(x, w, y, pixels: (range.lowerBound * oW)..<(range.upperBound * oW), &input)
      }
    }
  }

  /// `forward` that also records the batch-norm moments of the output into `moments`, one
  /// `ChannelMoments` unit of output pixels at a time while the unit is still in cache (the
  /// cores take contiguous runs of units).
  func forward(
    _ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
    batch n: Int, moments: inout ChannelMoments
  ) {
    let m = n * window.outputHeight * window.outputWidth
    let unit = ChannelMoments.unitRows
    let pixelFlops = flopsPerOutputRow / window.outputWidth
    let units = WorkSplit(
      count: ChannelMoments.units(rows: m), minimumRows: Grain.rows(flopsPerRow: unit * pixelFlops))
    let kernel = ForwardKernel(self)
    let c = channels
    moments.measure(rows: m, channels: c) { storage in
      units.run { _, range in
        kernel.withWorkerInput { input in
          for u in range {
            let pixels = (u * unit)..<min(m, (u + 1) * unit)
            kernel.run(x, w, y, pixels: pixels, &input)
            ChannelMoments.recordUnits(y, rows: pixels, channels: c, into: storage)
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
    dInput.withUnsafeMutableBufferPointer { dx in
      guard let dx = dx.baseAddress else { return }
      backwardInput(dOutput: dOutput, weight: weight, into: dx, accumulate: true, batch: n)
    }
  }

  /// `backwardInput` on raw buffers: adds to dInput, or overwrites it when `accumulate` is
  /// false (every input pixel is written, covered or not, so no zeroing pass is needed).
  func backwardInput(
    dOutput dy: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
    into dx: UnsafeMutablePointer<Float>, accumulate: Bool, batch n: Int
  ) {
    backward(
      dOutput: .rows(dy), input: nil, weight: w, dWeight: nil, dInput: dx,
      accumulate: accumulate, batch: n)
  }

  /// dWeight[ky, kx, c] += Σ_{n, oy, ox} dOutput[n, oy, ox, c] · input[n, iy, ix, c].
  public func backwardWeight(
    dOutput: [Float], input: [Float], accumulatingInto dWeight: inout [Float]
  ) {
    let n = batch(of: input)
    checkCount(dOutput.count, outputShape(batch: n).count, "DepthwiseConv2D dOutput")
    checkCount(dWeight.count, weightShape.count, "DepthwiseConv2D dWeight")
    dWeight.withUnsafeMutableBufferPointer { dw in
      guard let dw = dw.baseAddress else { return }
      backwardWeight(dOutput: dOutput, input: input, accumulatingInto: dw, batch: n)
    }
  }

  /// `backwardWeight` on raw buffers of `batch` samples.
  func backwardWeight(
    dOutput dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
    accumulatingInto dWeight: UnsafeMutablePointer<Float>, batch n: Int
  ) {
    backward(
      dOutput: .rows(dy), input: x, weight: nil, dWeight: dWeight, dInput: nil,
      accumulate: true, batch: n)
  }

  /// Where the backward pass reads dOutput: a full buffer, or a map that writes `count`
  /// consecutive output pixels starting at flat pixel `first` into a buffer on demand
  /// (`map(count, first, dst)`: the batch norm's backward, so that its dInput is never
  /// stored).
  enum DOutputSource {
    case rows(UnsafePointer<Float>)
    case map((Int, Int, UnsafeMutablePointer<Float>) -> Void)
  }

  /// The backward pass in one sweep over input rows (n, iy), split over the cores: dInput
  /// (+)= the transpose convolution (when `dInput` is given; overwritten when `accumulate` is
  /// false) and dWeight += the weight gradient (when `dWeight` and `input` are given).
  ///
  /// Each core holds the dOutput of the sample it works on in a buffer padded with zero
  /// columns (copied, or produced by the `map`), so that every input column of one stride
  /// phase meets the same number of kernel columns, padding contributing 0:
  /// - dInput, gather form: input columns ix, ix + s, ix + 2s, ix + 3s meet the same weight
  ///   taps at four consecutive output columns and are summed together, each weight load
  ///   serving four (`GatherLoop.accumulate4`); every input pixel is written, covered or not.
  /// - dWeight: the input row is copied once into a row padded with zero columns, so every
  ///   output column meets all kW kernel columns, and for each output row that reads it
  ///   (through kernel row ky = iy + pT − oy·s) all kW taps are summed at once
  ///   (`MultiTapLoop`, each dOutput load feeding kW accumulators; tap by tap for kernel widths
  ///   other than 3, 5, 7). Each core sums into a private [kH, kW, C] buffer; the buffers are
  ///   added in chunk order, so the result does not depend on thread timing.
  func backward(
    dOutput source: DOutputSource, input x: UnsafePointer<Float>?, weight w: UnsafePointer<Float>?,
    dWeight: UnsafeMutablePointer<Float>?, dInput dx: UnsafeMutablePointer<Float>?,
    accumulate: Bool, batch n: Int
  ) {
    let kernel = BackwardKernel(self)
    let (inH, oH, oW, c, wCount) = (
      window.inputHeight, window.outputHeight, window.outputWidth, channels, weightShape.count
    )
    let weights = dWeight == nil ? nil : x
    let rows = WorkSplit(
      count: n * inH,
      minimumRows: Grain.rows(
        flopsPerRow: flopsPerOutputRow * (dx != nil && weights != nil ? 2 : 1)))
    // dOutput is read in place when only dWeight is wanted; otherwise through the buffer.
    let direct: UnsafePointer<Float>?
    if case .rows(let dy) = source, dx == nil { direct = dy } else { direct = nil }
    var partial = [Float](repeating: 0, count: weights == nil ? 0 : rows.chunks * wCount)
    partial.withUnsafeMutableBufferPointer { pb in
      rows.run { chunk, range in
        let sampleFloats = direct == nil ? oH * kernel.paddedOutputWidth * c : 0
        withUnsafeTemporaryAllocation(
          of: Float.self, capacity: max(sampleFloats + kernel.paddedInputWidth * c, 1)
        ) { buffer in
          guard let scratch = buffer.baseAddress else { return }
          let (sample, paddedRow) = (scratch, scratch + sampleFloats)
          kernel.zeroPadding(sample: direct == nil ? sample : nil, inputRow: paddedRow)
          var loaded = -1
          for row in range {
            let (b, iy) = row.quotientAndRemainder(dividingBy: inH)
            // dOutput of sample b, as rows of `stride` floats starting at `base`.
            let (base, stride, offset): (UnsafePointer<Float>, Int, Int)
            if let direct {
              (base, stride, offset) = (direct + b * oH * oW * c, oW * c, 0)
            } else {
              if b != loaded {
                kernel.fill(sample, sample: b, from: source)
                loaded = b
              }
              (base, stride, offset) = (
                UnsafePointer(sample), kernel.paddedOutputWidth * c, kernel.padLeft * c
              )
            }
            if let dx, let w {
              kernel.gatherRow(
                base, rowStride: stride, weight: w, into: dx + row * window.inputWidth * c,
                iy: iy, accumulate: accumulate)
            }
            if let x = weights, let p = pb.baseAddress {
              kernel.weightRow(
                base + offset, rowStride: stride, input: x + row * window.inputWidth * c,
                paddedRow: paddedRow, iy: iy, into: p + chunk * wCount)
            }
          }
        }
      }
      guard let dWeight, let p = pb.baseAddress else { return }
      for chunk in 0..<rows.chunks {
        for i in 0..<wCount { dWeight[i] += p[chunk * wCount + i] }
      }
    }
  }
}

// MARK: - Backward kernel

/// The per-row loops of the backward pass for one geometry (see `DepthwiseConv2D.backward`).
private struct BackwardKernel {
  let g: WindowGeometry
  let c: Int
  /// Zero columns left and right of a sample's dOutput rows: input column ix meets output
  /// columns (ix + pL − kx)/s, from ⌈(pL − kW + 1)/s⌉ at ix = 0 to ⌊(inW − 1 + pL)/s⌋.
  let padLeft: Int
  let padRight: Int
  /// Columns of a padded input row: input columns −pL ..< (oW − 1)·s − pL + kW, so that output
  /// column ox, kernel column kx reads padded column ox·s + kx.
  let paddedInputWidth: Int
  let multiTap: MultiTapLoop.Taps?

  init(_ op: DepthwiseConv2D) {
    let g = op.window
    self.g = g
    c = op.channels
    let (s, pL, kW) = (g.stride, g.padding.left, g.kernelWidth)
    padLeft = max(0, (kW - 1 - pL + s - 1) / s)
    padRight = max(0, (g.inputWidth - 1 + pL) / s - (g.outputWidth - 1))
    paddedInputWidth = (g.outputWidth - 1) * s + kW
    multiTap = MultiTapLoop.Taps(kW)
  }

  var paddedOutputWidth: Int { g.outputWidth + padLeft + padRight }

  /// Input columns copied into a padded input row, from padded column min(pL, width).
  private var copiedInputColumns: Int {
    max(0, min(g.inputWidth, paddedInputWidth - g.padding.left))
  }

  /// Zeroes the padding columns of a sample buffer (if any) and of a padded input row; the
  /// fills below only ever write the other columns.
  func zeroPadding(sample: UnsafeMutablePointer<Float>?, inputRow: UnsafeMutablePointer<Float>) {
    if let sample {
      for oy in 0..<g.outputHeight {
        let row = sample + oy * paddedOutputWidth * c
        row.update(repeating: 0, count: padLeft * c)
        (row + (padLeft + g.outputWidth) * c).update(repeating: 0, count: padRight * c)
      }
    }
    let left = min(g.padding.left, paddedInputWidth)
    inputRow.update(repeating: 0, count: left * c)
    let right = left + copiedInputColumns
    (inputRow + right * c).update(repeating: 0, count: (paddedInputWidth - right) * c)
  }

  /// Writes sample b's dOutput into the padded sample buffer.
  func fill(
    _ sample: UnsafeMutablePointer<Float>, sample b: Int, from source: DepthwiseConv2D.DOutputSource
  ) {
    let (oH, oW) = (g.outputHeight, g.outputWidth)
    for oy in 0..<oH {
      let dst = sample + (oy * paddedOutputWidth + padLeft) * c
      switch source {
      case .rows(let dy): dst.update(from: dy + (b * oH + oy) * oW * c, count: oW * c)
      case .map(let write): write(oW, (b * oH + oy) * oW, dst)
      }
    }
  }

  /// dInput row iy of one sample (at `dst`), gathered from the padded dOutput rows at `dy`.
  func gatherRow(
    _ dy: UnsafePointer<Float>, rowStride: Int, weight w: UnsafePointer<Float>,
    into dst: UnsafeMutablePointer<Float>, iy: Int, accumulate: Bool
  ) {
    let (inW, kW, s, pT, pL) = (
      g.inputWidth, g.kernelWidth, g.stride, g.padding.top, g.padding.left
    )
    let oyRange = g.outputRows(coveringInputRow: iy)
    for phase in 0..<min(s, inW) {
      // Kernel columns of this phase: kx ≡ ix + pL (mod s), from `first` up to `last`.
      let first = (phase + pL) % s
      let last = first < kW ? first + (kW - 1 - first) / s * s : first
      var ix = phase
      while ix < inW {
        // Output (oy, ox) reaches (iy, ix) through tap (iy + pT − oy·s, ix + pL − ox·s):
        // walking oy and ox up walks the weight offset down by s·kW·C and s·C.
        let lower = (ix + pL - last) / s + padLeft
        let gather = GatherLoop(
          rows: oyRange,
          columns: lower..<(first < kW ? (ix + pL - first) / s + padLeft + 1 : lower),
          channels: c, dOutputBase: 0, dOutputRowStride: rowStride,
          weightBase: (iy + pT) * kW * c + (ix + pL + padLeft * s) * c,
          weightRowStep: s * kW * c, weightColumnStep: s * c)
        let out = dst + ix * c
        if ix + 3 * s < inW {
          let step = s * c
          forEachChannelBlock(c) { block, ch in
            let (dy, w, out) = (dy + ch, w + ch, out + ch)
            switch block {
            case .sixteen:
              gather.accumulate4(SIMD8<Float>.self, dy, w, out, step, accumulate)
              gather.accumulate4(SIMD8<Float>.self, dy + 8, w + 8, out + 8, step, accumulate)
            case .eight: gather.accumulate4(SIMD8<Float>.self, dy, w, out, step, accumulate)
            case .one: gather.accumulate4(Float.self, dy, w, out, step, accumulate)
            }
          }
          ix += 4 * s
          continue
        }
        forEachChannelBlock(c) { block, ch in
          let (dy, w, out) = (dy + ch, w + ch, out + ch)
          switch block {
          case .sixteen: gather.accumulate(SIMD16<Float>.self, dy, w, out, accumulate)
          case .eight: gather.accumulate(SIMD8<Float>.self, dy, w, out, accumulate)
          case .one: gather.accumulate(Float.self, dy, w, out, accumulate)
          }
        }
        ix += s
      }
    }
  }

  /// dWeight += the contributions of input row iy (at `input`): the row padded into
  /// `paddedRow`, then every output row that reads it, from the dOutput rows at `dy` (`dy`
  /// points at output column 0 of row 0).
  func weightRow(
    _ dy: UnsafePointer<Float>, rowStride: Int, input: UnsafePointer<Float>,
    paddedRow: UnsafeMutablePointer<Float>, iy: Int, into dw: UnsafeMutablePointer<Float>
  ) {
    let (oW, kW, s, pT) = (g.outputWidth, g.kernelWidth, g.stride, g.padding.top)
    let oyRange = g.outputRows(coveringInputRow: iy)
    if oyRange.isEmpty { return }
    (paddedRow + min(g.padding.left, paddedInputWidth) * c).update(
      from: input, count: copiedInputColumns * c)
    let padded = UnsafePointer(paddedRow)
    for oy in oyRange {
      let dst = dw + (iy + pT - oy * s) * kW * c
      let dyRow = oy * rowStride
      if let multiTap {
        let loop = MultiTapLoop(
          columns: 0..<oW, channels: c, dOutputBase: dyRow, inputBase: 0,
          inputColumnStep: s * c)
        loop.accumulate(multiTap, dy, padded, dst)
        continue
      }
      for kx in 0..<kW {
        let sum = RowProductLoop(
          columns: 0..<oW, channels: c, dOutputBase: dyRow, inputBase: kx * c,
          inputColumnStep: s * c)
        let dst = dst + kx * c
        forEachChannelBlock(c) { block, ch in
          switch block {
          case .sixteen: sum.accumulate(SIMD16<Float>.self, dy + ch, padded + ch, dst + ch)
          case .eight: sum.accumulate(SIMD8<Float>.self, dy + ch, padded + ch, dst + ch)
          case .one: sum.accumulate(Float.self, dy + ch, padded + ch, dst + ch)
          }
        }
      }
    }
  }
}

// MARK: - Forward kernel

/// The forward loops of one geometry over a range of output pixels (flat over N·oH·oW, which
/// may start or end inside a row).
///
/// For kernels of width 5 and more, whose padded edge columns are a large share of a row
/// (6 of 24 columns for 7×7 at 24 px), each core first copies the input of the sample it works
/// on into rows padded with zero columns: every output pixel then meets all kW kernel columns
/// (padding contributing 0) and all of them go four at a time.
private struct ForwardKernel {
  let g: WindowGeometry
  let c: Int
  /// The kernel columns each output column meets (all of them with padded rows).
  let columnTaps: [Range<Int>]
  let padsColumns: Bool
  /// Columns of a padded row: input columns −pL ..< (oW − 1)·s − pL + kW.
  let paddedWidth: Int

  init(_ op: DepthwiseConv2D) {
    let g = op.window
    self.g = g
    c = op.channels
    padsColumns = g.kernelWidth >= 5
    paddedWidth = (g.outputWidth - 1) * g.stride + g.kernelWidth
    columnTaps =
      padsColumns
      ? Array(repeating: 0..<g.kernelWidth, count: g.outputWidth)
      : (0..<g.outputWidth).map { g.kernelColumns(outputColumn: $0) }
  }

  /// A core's padded copy of one sample's input.
  struct PaddedInput {
    let base: UnsafeMutablePointer<Float>
    /// The sample it holds (−1 before the first).
    var sample: Int
  }

  /// Calls `body` with this core's padded input buffer (nil without padding), its padding
  /// columns zeroed.
  func withWorkerInput(_ body: (inout PaddedInput?) -> Void) {
    guard padsColumns else {
      var none: PaddedInput? = nil
      body(&none)
      return
    }
    let (inH, pL) = (g.inputHeight, g.padding.left)
    let copied = max(0, min(g.inputWidth, paddedWidth - pL))
    withUnsafeTemporaryAllocation(of: Float.self, capacity: inH * paddedWidth * c) { buffer in
      guard let base = buffer.baseAddress else { return }
      for iy in 0..<inH {
        let row = base + iy * paddedWidth * c
        row.update(repeating: 0, count: min(pL, paddedWidth) * c)
        let right = min(pL, paddedWidth) + copied
        (row + right * c).update(repeating: 0, count: (paddedWidth - right) * c)
      }
      var input: PaddedInput? = PaddedInput(base: base, sample: -1)
      body(&input)
    }
  }

  func run(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
    pixels: Range<Int>, _ input: inout PaddedInput?
  ) {
    let (inH, inW, oH, oW) = (g.inputHeight, g.inputWidth, g.outputHeight, g.outputWidth)
    let (s, pT, pL) = (g.stride, g.padding.top, g.padding.left)
    var p = pixels.lowerBound
    while p < pixels.upperBound {
      let (row, first) = p.quotientAndRemainder(dividingBy: oW)
      let end = min(oW, first + pixels.upperBound - p)
      let (b, oy) = row.quotientAndRemainder(dividingBy: oH)
      if var padded = input {
        if padded.sample != b {
          let copied = max(0, min(inW, paddedWidth - pL))
          for iy in 0..<inH {
            (padded.base + (iy * paddedWidth + min(pL, paddedWidth)) * c).update(
              from: x + (b * inH + iy) * inW * c, count: copied * c)
          }
          padded.sample = b
          input = padded
        }
        // Padded column 0 is input column −pL.
        runRow(
          UnsafePointer(padded.base), w, y, row: row, oy: oy, columns: first..<end,
          origin: (oy * s - pT) * paddedWidth * c, inputRowStride: paddedWidth * c)
      } else {
        // Input offset of (b, iy = oy·s − pT, ix = −pL); tap (ky, kx) adds (ky·W + kx)·C.
        runRow(
          x, w, y, row: row, oy: oy, columns: first..<end,
          origin: ((b * inH + oy * s - pT) * inW - pL) * c, inputRowStride: inW * c)
      }
      p += end - first
    }
  }

  /// Output columns `columns` of output row `row` = (n, oy), reading the input of that row's
  /// window at `origin` + ky·inputRowStride + (ox·s + kx)·C.
  private func runRow(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
    row: Int, oy: Int, columns: Range<Int>, origin: Int, inputRowStride: Int
  ) {
    let (oW, kW, s) = (g.outputWidth, g.kernelWidth, g.stride)
    let kyRange = g.kernelRows(outputRow: oy)
    columnTaps.withUnsafeBufferPointer { taps in
      var ox = columns.lowerBound
      while ox < columns.upperBound {
        let tap = TapLoop(
          rows: kyRange, columns: taps[ox], channels: c, inputRowStride: inputRowStride,
          weightRowStride: kW * c)
        let xBase = origin + ox * s * c
        let out = y + (row * oW + ox) * c
        // Four neighbours with the same taps (the interior) share each weight load.
        if ox + 3 < columns.upperBound && taps[ox + 3] == taps[ox] {
          let xStep = s * c
          forEachChannelBlock(c) { block, ch in
            switch block {
            case .sixteen:
              tap.forward4(SIMD8<Float>.self, x + ch, xBase, xStep, w + ch, out + ch)
              tap.forward4(SIMD8<Float>.self, x + ch + 8, xBase, xStep, w + ch + 8, out + ch + 8)
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

/// The gather loop of one input pixel's gradient: dst (+)= Σ_{oy ∈ rows, ox ∈ columns} dy · w,
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
    _ dst: UnsafeMutablePointer<Float>, _ accumulate: Bool
  ) {
    var acc = accumulate ? V.load(UnsafePointer(dst), 0) : V.zero
    for oy in rows {
      let dyRow = dOutputBase &+ oy &* dOutputRowStride
      let wRow = weightBase &- oy &* weightRowStep
      for ox in columns {
        acc = acc + V.load(dy, dyRow &+ ox &* channels) * V.load(w, wRow &- ox &* weightColumnStep)
      }
    }
    acc.store(dst, 0)
  }

  /// `accumulate` for this pixel and the three of the same stride phase after it (outputs
  /// `dstStep` apart), whose covering columns are this one's shifted by 1, 2, 3: the same
  /// weight meets dy at four consecutive output columns, so each weight load serves four.
  @inline(__always)
  func accumulate4<V: ChannelVector>(
    _: V.Type, _ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    _ dst: UnsafeMutablePointer<Float>, _ dstStep: Int, _ accumulate: Bool
  ) {
    let c = channels
    var (a0, a1, a2, a3) = (V.zero, V.zero, V.zero, V.zero)
    for oy in rows {
      let dyRow = dOutputBase &+ oy &* dOutputRowStride
      let wRow = weightBase &- oy &* weightRowStep
      for ox in columns {
        let wv = V.load(w, wRow &- ox &* weightColumnStep)
        let i = dyRow &+ ox &* c
        a0 = a0 + V.load(dy, i) * wv
        a1 = a1 + V.load(dy, i &+ c) * wv
        a2 = a2 + V.load(dy, i &+ 2 &* c) * wv
        a3 = a3 + V.load(dy, i &+ 3 &* c) * wv
      }
    }
    if accumulate {
      a0 = a0 + V.load(UnsafePointer(dst), 0)
      a1 = a1 + V.load(UnsafePointer(dst), dstStep)
      a2 = a2 + V.load(UnsafePointer(dst), 2 &* dstStep)
      a3 = a3 + V.load(UnsafePointer(dst), 3 &* dstStep)
    }
    a0.store(dst, 0)
    a1.store(dst, dstStep)
    a2.store(dst, 2 &* dstStep)
    a3.store(dst, 3 &* dstStep)
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

/// The weight-gradient sums of one output row and one kernel row over interior columns, all
/// kW taps at once: dst[kx] += Σ_{ox ∈ columns} dy[ox] · x[ox·s − pL + kx] for kx < kW, each
/// dy load feeding kW accumulators (`inputBase` is the input row's offset minus pL·C).
/// Specialised for kW = 3, 5, 7 (MCUNet's kernels) with the channel block narrowed for 7 so
/// the accumulators stay in the 16 SSE registers.
private struct MultiTapLoop {
  enum Taps {
    case three, five, seven

    init?(_ kernelWidth: Int) {
      switch kernelWidth {
      case 3: self = .three
      case 5: self = .five
      case 7: self = .seven
      default: return nil
      }
    }
  }

  let columns: Range<Int>
  let channels: Int
  let dOutputBase: Int
  let inputBase: Int
  let inputColumnStep: Int

  @inline(__always)
  func accumulate(
    _ taps: Taps, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    _ dst: UnsafeMutablePointer<Float>
  ) {
    let c = channels
    var ch = 0
    switch taps {
    case .three, .five:
      while ch &+ 8 <= c {
        sums(SIMD8<Float>.self, taps, dy + ch, x + ch, dst + ch)
        ch &+= 8
      }
    case .seven:
      break
    }
    while ch &+ 4 <= c {
      sums(SIMD4<Float>.self, taps, dy + ch, x + ch, dst + ch)
      ch &+= 4
    }
    while ch < c {
      sums(Float.self, taps, dy + ch, x + ch, dst + ch)
      ch &+= 1
    }
  }

  @inline(__always)
  private func sums<V: ChannelVector>(
    _: V.Type, _ taps: Taps, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    _ dst: UnsafeMutablePointer<Float>
  ) {
    switch taps {
    case .three: sums3(V.self, dy, x, dst)
    case .five: sums5(V.self, dy, x, dst)
    case .seven: sums7(V.self, dy, x, dst)
    }
  }

  @inline(__always)
  private func sums3<V: ChannelVector>(
    _: V.Type, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    _ dst: UnsafeMutablePointer<Float>
  ) {
    let c = channels
    var (a0, a1, a2) = (V.zero, V.zero, V.zero)
    for ox in columns {
      let d = V.load(dy, dOutputBase &+ ox &* c)
      let i = inputBase &+ ox &* inputColumnStep
      a0 = a0 + d * V.load(x, i)
      a1 = a1 + d * V.load(x, i &+ c)
      a2 = a2 + d * V.load(x, i &+ 2 &* c)
    }
    let dstC = UnsafePointer(dst)
    (V.load(dstC, 0) + a0).store(dst, 0)
    (V.load(dstC, c) + a1).store(dst, c)
    (V.load(dstC, 2 &* c) + a2).store(dst, 2 &* c)
  }

  @inline(__always)
  private func sums5<V: ChannelVector>(
    _: V.Type, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    _ dst: UnsafeMutablePointer<Float>
  ) {
    let c = channels
    var (a0, a1, a2, a3, a4) = (V.zero, V.zero, V.zero, V.zero, V.zero)
    for ox in columns {
      let d = V.load(dy, dOutputBase &+ ox &* c)
      let i = inputBase &+ ox &* inputColumnStep
      a0 = a0 + d * V.load(x, i)
      a1 = a1 + d * V.load(x, i &+ c)
      a2 = a2 + d * V.load(x, i &+ 2 &* c)
      a3 = a3 + d * V.load(x, i &+ 3 &* c)
      a4 = a4 + d * V.load(x, i &+ 4 &* c)
    }
    let dstC = UnsafePointer(dst)
    (V.load(dstC, 0) + a0).store(dst, 0)
    (V.load(dstC, c) + a1).store(dst, c)
    (V.load(dstC, 2 &* c) + a2).store(dst, 2 &* c)
    (V.load(dstC, 3 &* c) + a3).store(dst, 3 &* c)
    (V.load(dstC, 4 &* c) + a4).store(dst, 4 &* c)
  }

  @inline(__always)
  private func sums7<V: ChannelVector>(
    _: V.Type, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    _ dst: UnsafeMutablePointer<Float>
  ) {
    let c = channels
    var (a0, a1, a2, a3) = (V.zero, V.zero, V.zero, V.zero)
    var (a4, a5, a6) = (V.zero, V.zero, V.zero)
    for ox in columns {
      let d = V.load(dy, dOutputBase &+ ox &* c)
      let i = inputBase &+ ox &* inputColumnStep
      a0 = a0 + d * V.load(x, i)
      a1 = a1 + d * V.load(x, i &+ c)
      a2 = a2 + d * V.load(x, i &+ 2 &* c)
      a3 = a3 + d * V.load(x, i &+ 3 &* c)
      a4 = a4 + d * V.load(x, i &+ 4 &* c)
      a5 = a5 + d * V.load(x, i &+ 5 &* c)
      a6 = a6 + d * V.load(x, i &+ 6 &* c)
    }
    let dstC = UnsafePointer(dst)
    (V.load(dstC, 0) + a0).store(dst, 0)
    (V.load(dstC, c) + a1).store(dst, c)
    (V.load(dstC, 2 &* c) + a2).store(dst, 2 &* c)
    (V.load(dstC, 3 &* c) + a3).store(dst, 3 &* c)
    (V.load(dstC, 4 &* c) + a4).store(dst, 4 &* c)
    (V.load(dstC, 5 &* c) + a5).store(dst, 5 &* c)
    (V.load(dstC, 6 &* c) + a6).store(dst, 6 &* c)
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
