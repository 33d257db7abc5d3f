// RowTiledGEMMTests.swift
// The row-tiled GEMMs (`RowTiles`, `Dense`) and the tiled conv paths built on them: a tall
// product split into tiles on the cores equals the same tiles computed one after another on
// one thread, bit for bit (so the split over the cores changes nothing), stays within rounding
// of one whole OpenBLAS call (whose kernels round differently at other row splits), and gives
// the same bits on every run; the tiled im2col conv and the fused (`DOutputSource.map`)
// backward equal the plain passes. Shapes are tall enough (≥ `RowTiles.parallelRows` rows) to
// take the tiled path on any machine with two cores, with row counts that end in a partial
// tile.

import TensorModule
import Testing
import _TestSupport

@testable import Training

@Suite struct RowTiledGEMMTests {
  static func floats(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
    randomValues(count, using: &rng).floats
  }

  /// Tiles are whole `ChannelMoments` units, the last one partial, and cover the rows once.
  @Test func tilesCoverTheRowsInWholeUnits() {
    withEvery("rows", in: [1, 255, 256, 8191, 8192, 9001]) { rows in
      withEvery("rowFloats", in: [1, 24, 56, 200, 4000]) { rowFloats in
        let tiles = RowTiles(rows: rows, rowFloats: rowFloats)
        #expect(tiles.tileRows % ChannelMoments.unitRows == 0)
        let covered = (0..<tiles.count).flatMap { Array(tiles.range($0)) }
        #expect(covered.count == rows && covered.elementsEqual(0..<rows))
      }
    }
  }

  /// Runs `body(rows)` for every tile of `tiles` in order on the calling thread, with
  /// OpenBLAS single-threaded: the serial twin of `RowTiles.run`.
  static func serially(_ tiles: RowTiles, _ body: (Range<Int>) -> Void) {
    BLAS.withSingleThreadedCalls {
      for t in 0..<tiles.count { body(tiles.range(t)) }
    }
  }

  /// `body` with the base addresses of `a` (read) and `b` (written).
  static func with(
    _ a: [Float], _ b: inout [Float],
    _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
  ) {
    a.withUnsafeBufferPointer { ap in
      b.withUnsafeMutableBufferPointer { bp in
        guard let ap = ap.baseAddress, let bp = bp.baseAddress else { return }
        body(ap, bp)
      }
    }
  }

  /// Forward and dInput (overwriting and accumulating) equal the serial tiles exactly and one
  /// sgemm to rounding; dWeight is within rounding of one sgemm and identical from run to run.
  @Test func tiledProductsMatchSerialTilesAndOneCall() {
    var rng = SeededGenerator(seed: 61)
    withEvery("m", in: [RowTiles.parallelRows, 9001]) { m in
      withEvery("k, n", in: [(8, 48), (27, 16), (48, 8), (5, 3)]) { kn in
        let (k, n) = kn
        #expect(RowTiles(rows: m, rowFloats: k + n).isParallel || WorkSplit.cores == 1)
        let x = Self.floats(m * k, &rng)
        let w = Self.floats(n * k, &rng)
        let b = Self.floats(n, &rng)
        let dy = Self.floats(m * n, &rng)
        let tiles = RowTiles(rows: m, rowFloats: k + n)
        var (tiled, serial) = (
          [Float](repeating: .nan, count: m * n), [Float](repeating: .nan, count: m * n)
        )
        var whole = [Float](repeating: .nan, count: m * n)
        Dense.forward(x: x, w: w, bias: b, y: &tiled, m: m, k: k, n: n)
        Self.with(x, &serial) { x, y in
          Self.serially(tiles) { r in
            Dense.gemmForward(
              x: x + r.lowerBound * k, w: w, bias: b, y: y + r.lowerBound * n, m: r.count, k: k,
              n: n)
          }
        }
        Dense.gemmForward(x: x, w: w, bias: b, y: &whole, m: m, k: k, n: n)
        expectBitIdentical(tiled, serial, "forward")
        assertClose(tiled, whole, atol: 1e-5, rtol: 1e-5, "forward against one call")
        let start = Self.floats(m * k, &rng)
        var (dxTiled, dxSerial, dxWhole) = (start, start, start)
        Dense.backwardInput(dy: dy, w: w, dx: &dxTiled, m: m, k: k, n: n)
        Self.with(dy, &dxSerial) { dy, dx in
          Self.serially(tiles) { r in
            Dense.gemmBackwardInput(
              dy: dy + r.lowerBound * n, w: w, dx: dx + r.lowerBound * k, m: r.count, k: k, n: n,
              accumulate: true)
          }
        }
        Dense.gemmBackwardInput(dy: dy, w: w, dx: &dxWhole, m: m, k: k, n: n, accumulate: true)
        expectBitIdentical(dxTiled, dxSerial, "dInput, accumulating")
        assertClose(dxTiled, dxWhole, atol: 1e-5, rtol: 1e-5, "dInput against one call")
        var overwritten = [Float](repeating: .nan, count: m * k)
        Dense.backwardInput(dy: dy, w: w, dx: &overwritten, m: m, k: k, n: n, accumulate: false)
        var zeros = [Float](repeating: 0, count: m * k)
        Dense.backwardInput(dy: dy, w: w, dx: &zeros, m: m, k: k, n: n, accumulate: true)
        expectBitIdentical(overwritten, zeros, "dInput, overwriting")
        var (dwTiled, dwWhole) = (
          [Float](repeating: 0.5, count: n * k), [Float](repeating: 0.5, count: n * k)
        )
        Dense.backwardWeight(dy: dy, x: x, dw: &dwTiled, m: m, k: k, n: n)
        Dense.gemmBackwardWeight(dy: dy, x: x, dw: &dwWhole, m: m, k: k, n: n, accumulate: true)
        assertClose(dwTiled, dwWhole, atol: 1e-3, rtol: 1e-4, "dWeight")
        var again = [Float](repeating: 0.5, count: n * k)
        Dense.backwardWeight(dy: dy, x: x, dw: &again, m: m, k: k, n: n)
        expectBitIdentical(again, dwTiled, "dWeight is deterministic")
      }
    }
  }

  /// A 3×3 stride-2 conv (MCUNet's first layer, cIn = 3) and a padded 3×3 stride-1 conv: the
  /// tiled path (per-tile im2col into the workspace) equals the full im2col multiplied tile by
  /// tile exactly, records the same batch-norm moments as measuring afterwards, and its weight
  /// gradient is within rounding of one plain product.
  @Test func tiledIm2colConvMatchesTheFullMatrix() {
    var rng = SeededGenerator(seed: 62)
    let convs = [
      Conv2D(
        inputHeight: 130, inputWidth: 129, inChannels: 3, outChannels: 16, kernel: 3, stride: 2,
        padding: .symmetric(1)),
      Conv2D(
        inputHeight: 66, inputWidth: 63, inChannels: 5, outChannels: 7, kernel: 3,
        padding: WindowPadding(top: 1, left: 0, bottom: 2, right: 1)),
    ]
    withEvery("conv", in: convs.indices) { i in
      let conv = convs[i]
      let n = 2
      let m = conv.pixelCount(batch: n)
      #expect(conv.rowTiles(batch: n).isParallel || WorkSplit.cores == 1)
      let (k, c) = (conv.patchCount, conv.outChannels)
      let x = Self.floats(conv.inputShape(batch: n).count, &rng)
      let w = Self.floats(conv.weightShape.count, &rng)
      let dy = Self.floats(m * c, &rng)
      var workspace = [Float](repeating: .nan, count: conv.workspaceCount(batch: n))
      var y = [Float](repeating: .nan, count: m * c)
      var moments = ChannelMoments()
      workspace.withUnsafeMutableBufferPointer { ws in
        conv.forward(x, weight: w, bias: nil, into: &y, batch: n, workspace: ws, moments: &moments)
      }
      var cols = [Float](repeating: .nan, count: m * k)
      conv.im2col(x, into: &cols, batch: n)
      var serial = [Float](repeating: .nan, count: m * c)
      Self.with(cols, &serial) { cols, y in
        Self.serially(conv.rowTiles(batch: n)) { r in
          Dense.gemmForward(
            x: cols + r.lowerBound * k, w: w, bias: nil, y: y + r.lowerBound * c, m: r.count,
            k: k, n: c)
        }
      }
      expectBitIdentical(y, serial, "forward")
      var measured = ChannelMoments()
      measured.measure(y, rows: m, channels: c)
      let (a, b) = (moments.meanAndVariance(), measured.meanAndVariance())
      #expect(a.mean == b.mean && a.variance == b.variance, "moments")
      var dw = [Float](repeating: 0, count: w.count)
      conv.backwardWeight(dOutput: dy, input: x, accumulatingInto: &dw, workspace: &workspace)
      var dwWhole = [Float](repeating: 0, count: w.count)
      Dense.gemmBackwardWeight(dy: dy, x: cols, dw: &dwWhole, m: m, k: k, n: c, accumulate: true)
      assertClose(dw, dwWhole, atol: 1e-3, rtol: 1e-4, "dWeight")
    }
  }

  /// The fused backward of a pointwise conv (dOutput rows produced per tile by a map) equals
  /// materialising dOutput first: dInput exactly (overwriting and accumulating), dWeight to
  /// rounding and deterministically.
  @Test func fusedBackwardMatchesMaterialisedDOutput() {
    var rng = SeededGenerator(seed: 63)
    let conv = Conv2D(
      inputHeight: 67, inputWidth: 65, inChannels: 12, outChannels: 40, kernel: 1)
    let n = 2
    let (m, k, c) = (conv.pixelCount(batch: n), conv.patchCount, conv.outChannels)
    let x = Self.floats(m * k, &rng)
    let w = Self.floats(c * k, &rng)
    let u = Self.floats(m * c, &rng)
    // The map: dOutput = 2u − 1 row by row (any per-row function will do).
    let dOutput = u.map { 2 * $0 - 1 }
    var workspace = [Float]()
    for accumulate in [false, true] {
      let start = Self.floats(m * k, &rng)
      var (dx, dxPlain) = (accumulate ? start : [Float](repeating: .nan, count: m * k), start)
      if !accumulate { dxPlain = [Float](repeating: 0, count: m * k) }
      var (dw, dwPlain) = (
        [Float](repeating: 0, count: w.count), [Float](repeating: 0, count: w.count)
      )
      let fused = u.withUnsafeBufferPointer { ub in
        x.withUnsafeBufferPointer { xb in
          workspace.withUnsafeMutableBufferPointer { ws in
            guard let up = ub.baseAddress, let xp = xb.baseAddress else { return false }
            let source = Conv2D.DOutputSource.map { count, first, dst in
              for i in 0..<(count * c) { dst[i] = 2 * up[first * c + i] - 1 }
            }
            return conv.backwardTiles(
              dOutput: source, input: xp, weight: w, dWeight: &dw, dInput: &dx,
              accumulate: accumulate, batch: n, workspace: ws)
          }
        }
      }
      #expect(fused || WorkSplit.cores == 1)
      guard fused else { return }
      var plain = [Float]()
      conv.backwardInput(
        dOutput: dOutput, weight: w, accumulatingInto: &dxPlain, workspace: &plain)
      conv.backwardWeight(dOutput: dOutput, input: x, accumulatingInto: &dwPlain, workspace: &plain)
      expectBitIdentical(dx, dxPlain, "dInput, accumulate \(accumulate)")
      assertClose(dw, dwPlain, atol: 1e-3, rtol: 1e-4, "dWeight")
    }
  }
}
