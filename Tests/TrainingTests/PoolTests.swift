// PoolTests.swift
// AvgPool2D and GlobalAvgPool: hand goldens (including TFLite's in-bounds divisor under
// padding) and gradients against Float64 finite differences.

import TensorModule
import Testing
import _TestSupport

@testable import Training

@Suite struct PoolTests {
  /// 0..<16 as 4×4, k = 2, s = 2: means of {0, 1, 4, 5}, {2, 3, 6, 7}, {8, 9, 12, 13}, …
  @Test func avgPoolGoldenK2S2() {
    let pool = AvgPool2D(inputHeight: 4, inputWidth: 4, channels: 1, kernel: 2, stride: 2)
    let x = Tensor<Float>(shape: [1, 4, 4, 1], storage: (0..<16).map(Float.init))
    #expect(pool.forward(x).storage == [2.5, 4.5, 10.5, 12.5])
  }

  /// k = 3, s = 2, pad 1 on 4×4: window (0, 0) keeps {0, 1, 4, 5} → 2.5; (0, 1) keeps
  /// {1, 2, 3, 5, 6, 7} → 4; (1, 0) keeps {4, 5, 8, 9, 12, 13} → 8.5; (1, 1) nine pixels → 10.
  @Test func avgPoolGoldenPaddedDividesByInBoundsCount() {
    let pool = AvgPool2D(
      inputHeight: 4, inputWidth: 4, channels: 1, kernel: 3, stride: 2, padding: .symmetric(1))
    let x = Tensor<Float>(shape: [1, 4, 4, 1], storage: (0..<16).map(Float.init))
    #expect(pool.forward(x).storage == [2.5, 4, 8.5, 10])
  }

  /// 0..<8 as 1×2×2×2: channel 0 holds {0, 2, 4, 6} → 3, channel 1 {1, 3, 5, 7} → 4. The
  /// gradient spreads dY/4 to each of the four pixels.
  @Test func globalAvgPoolGolden() {
    let gap = GlobalAvgPool(height: 2, width: 2, channels: 2)
    let x = Tensor<Float>(shape: [1, 2, 2, 2], storage: (0..<8).map(Float.init))
    #expect(gap.forward(x).storage == [3, 4])
    var dx = [Float](repeating: 0, count: 8)
    gap.backward(dOutput: [4, 8], accumulatingInto: &dx)
    #expect(dx == [1, 2, 1, 2, 1, 2, 1, 2])
  }

  @Test func avgPoolMatchesReferenceAndFiniteDifferences() {
    var rng = SeededGenerator(seed: 61)
    withEvery("k", in: [1, 2, 3, 5]) { k in
      withEvery("stride", in: [1, 2]) { s in
        withEvery("padding", in: paddings(kernel: k)) { p in
          let pool = AvgPool2D(
            inputHeight: 5, inputWidth: 6, channels: 3, kernel: k, stride: s, padding: p)
          let x = randomValues(pool.inputShape(batch: 2).count, using: &rng)
          let r = randomValues(pool.outputShape(batch: 2).count, using: &rng)
          var y = [Float](repeating: .nan, count: r.count)
          pool.forward(x.floats, into: &y)
          assertClose(y.doubles, Reference.avgPool2d(x, op: pool), atol: 1e-6, rtol: 1e-5)
          var dx = [Float](repeating: 0, count: x.count)
          pool.backward(dOutput: r.floats, accumulatingInto: &dx)
          let fd = FiniteDifference.gradient(at: x) { dot(Reference.avgPool2d($0, op: pool), r) }
          assertClose(dx.doubles, fd, atol: 1e-5, rtol: 1e-4)
        }
      }
    }
  }

  @Test func globalAvgPoolMatchesReferenceAndFiniteDifferences() {
    var rng = SeededGenerator(seed: 62)
    let gap = GlobalAvgPool(height: 3, width: 5, channels: 7)
    let x = randomValues(2 * 15 * 7, using: &rng)
    let r = randomValues(2 * 7, using: &rng)
    var y = [Float](repeating: .nan, count: r.count)
    gap.forward(x.floats, into: &y)
    assertClose(y.doubles, Reference.globalAvgPool(x, op: gap), atol: 1e-6, rtol: 1e-5)
    var dx = [Float](repeating: 0, count: x.count)
    gap.backward(dOutput: r.floats, accumulatingInto: &dx)
    let fd = FiniteDifference.gradient(at: x) { dot(Reference.globalAvgPool($0, op: gap), r) }
    assertClose(dx.doubles, fd, atol: 1e-5, rtol: 1e-4)
  }
}
