// AveragePoolTests.swift
// Average and global average pooling: hand-computed goldens with rounding ties and padding, and
// a sweep against exact rational rounding over explicitly collected windows.

import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct AveragePoolTests {
  /// 3×3 input:  1  2 −3 /  0  3 −4 / −1 −2  5.
  static let input: [Int8] = [1, 2, -3, 0, 3, -4, -1, -2, 5]

  /// By hand, 2×2 windows, stride 1: sums 6, −2, 0, 2 over 4 → 1.5 → 2, −0.5 → −1, 0,
  /// 0.5 → 1 (ties away from zero: (s ± 2)/4 truncated).
  @Test func tiesRoundAwayFromZero() {
    let out = IntegerReference.averagePool(
      input: Self.input, inputShape: [1, 3, 3, 1],
      params: PoolParams(filterH: 2, filterW: 2, strideH: 1, strideW: 1))
    #expect(out == [2, -1, 0, 1])
  }

  /// Padded cells are not counted in the average.
  ///
  /// By hand, padding 1 all round, 2×2, stride 2: windows hold {1} → 1; {2, −3} → −0.5 → −1;
  /// {0, −1} → −0.5 → −1; {3, −4, −2, 5} → 0.5 → 1.
  @Test func paddingIsNotCounted() {
    let out = IntegerReference.averagePool(
      input: Self.input, inputShape: [1, 3, 3, 1],
      params: PoolParams(
        filterH: 2, filterW: 2, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1,
        padRight: 1))
    #expect(out == [1, -1, -1, 1])
  }

  /// The clamp applies after rounding: with min 0 the window averages [2, −1, 0, 1] become
  /// [2, 0, 0, 1].
  @Test func clampAppliesAfterRounding() {
    let out = IntegerReference.averagePool(
      input: Self.input, inputShape: [1, 3, 3, 1],
      params: PoolParams(filterH: 2, filterW: 2, strideH: 1, strideW: 1, activationMin: 0))
    #expect(out == [2, 0, 0, 1])
  }

  /// By hand, global pool over 3×3 with three channels: sums 1, 5, −5 over 9 → 0.11 → 0,
  /// 0.56 → 1, −0.56 → −1; a 2×2 input [3, 4, 4, 4] averages 3.75 → 4 and [−1, −1, 0, 0] is
  /// −0.5 → −1.
  @Test func globalAveragePoolGoldens() {
    let ones: [Int8] = [1, 1, 1, 1, 1, 0, 0, 0, 1]
    let interleaved = (0..<9).flatMap { [Self.input[$0], ones[$0], -ones[$0]] }
    #expect(
      IntegerReference.globalAveragePool(input: interleaved, inputShape: [1, 3, 3, 3]) == [
        0, 1, -1,
      ])
    #expect(
      IntegerReference.globalAveragePool(
        input: [3, -1, 4, -1, 4, 0, 4, 0], inputShape: [1, 2, 2, 2]) == [4, -1])
  }

  @Test func matchesExactRoundingAcrossSweep() {
    var seed: UInt64 = 0xA7_0000
    withEvery("filter", in: [1, 2, 3, 7]) { f in
      withEvery("stride", in: [1, 2, 3]) { stride in
        withEvery("pad", in: Set([0, f / 2, f - 1]).sorted()) { pad in
          withEvery("C", in: [1, 3, 8, 17]) { channels in
            seed += 1
            var g = SeededGenerator(seed: seed)
            let inputShape: Shape = [2, 9, 7, channels]
            let x = g.int8s(inputShape.count)
            let params = PoolParams(
              filterH: f, filterW: f, strideH: stride, strideW: stride, padTop: pad,
              padLeft: pad, padBottom: f - 1 - pad, padRight: pad)
            let actual = IntegerReference.averagePool(
              input: x, inputShape: inputShape, params: params)
            assertBitExact(actual, Self.exactPool(x, inputShape, params), "seed \(seed)")
          }
        }
      }
    }
  }

  /// Expected pool: collect each window's in-bounds values, then round the exact mean half
  /// away from zero (`Exact.roundedDivision`).
  static func exactPool(_ x: [Int8], _ s: Shape, _ p: PoolParams) -> [Int8] {
    let outH = (s[1] + p.padTop + p.padBottom - p.filterH) / p.strideH + 1
    let outW = (s[2] + p.padLeft + p.padRight - p.filterW) / p.strideW + 1
    var out: [Int8] = []
    for n in 0..<s[0] {
      for oy in 0..<outH {
        for ox in 0..<outW {
          let rows = (oy * p.strideH - p.padTop..<oy * p.strideH - p.padTop + p.filterH)
            .filter { (0..<s[1]).contains($0) }
          let cols = (ox * p.strideW - p.padLeft..<ox * p.strideW - p.padLeft + p.filterW)
            .filter { (0..<s[2]).contains($0) }
          for c in 0..<s[3] {
            let window = rows.flatMap { y in
              cols.map { xx in Int64(x[((n * s[1] + y) * s[2] + xx) * s[3] + c]) }
            }
            let mean = Exact.roundedDivision(window.reduce(0, +), Int64(window.count))
            out.append(Int8(min(max(mean, Int64(p.activationMin)), Int64(p.activationMax))))
          }
        }
      }
    }
    return out
  }

  @Test func paddingAsLargeAsTheWindowIsRejected() {
    let params = PoolParams(filterH: 2, filterW: 2, strideH: 1, strideW: 1, padTop: 2)
    #expect(
      throws: QuantizationError.invalidParameter(
        name: "padTop", value: "2", reason: "must be in 0..<2 (the window size)")
    ) {
      try params.validate(inputShape: [1, 4, 4, 1])
    }
  }
}
