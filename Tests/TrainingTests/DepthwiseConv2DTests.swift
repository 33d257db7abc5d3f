// DepthwiseConv2DTests.swift
// DepthwiseConv2D: a hand-computed golden, the vectorised kernel against the readable reference
// over a sweep, and input/weight gradients against Float64 finite differences.

import TensorModule
import Testing
import _TestSupport

@testable import Training

@Suite struct DepthwiseConv2DTests {
  /// Input 0..<18 as 1×3×3×2 (channel 0 holds 2a, channel 1 holds 2a + 1 at pixel a), weight
  /// 0..<8 as 2×2×2 (channel 0 taps [0, 2, 4, 6], channel 1 taps [1, 3, 5, 7]), stride 1.
  /// Channel 0: 0·2a + 2·2(a+1) + 4·2(a+3) + 6·2(a+4) = 24a + 76; channel 1 likewise gives
  /// 32a + 108, for top-left pixels a ∈ {0, 1, 3, 4}.
  @Test func goldenK2S1TwoChannels() {
    let dw = DepthwiseConv2D(inputHeight: 3, inputWidth: 3, channels: 2, kernel: 2)
    let x = Tensor<Float>(shape: [1, 3, 3, 2], storage: (0..<18).map(Float.init))
    let w = Tensor<Float>(shape: [2, 2, 2], storage: (0..<8).map(Float.init))
    let y = dw.forward(x, weight: w)
    #expect(y.shape == [1, 2, 2, 2])
    #expect(y.storage == [76, 108, 100, 140, 148, 204, 172, 236])
    #expect(Reference.depthwiseConv2d(x.storage, weight: w.storage, op: dw) == y.storage)
  }

  /// Backward of a 1-channel 3×3 input with a 2×2 all-ones filter and dY = 1: dW[k] sums the
  /// four pixels under the four windows at offset k; dX counts the windows covering each pixel.
  @Test func goldenBackward() {
    let dw = DepthwiseConv2D(inputHeight: 3, inputWidth: 3, channels: 1, kernel: 2)
    let x = Tensor<Float>(shape: [1, 3, 3, 1], storage: (0..<9).map(Float.init))
    let w = Tensor<Float>(shape: [2, 2, 1], repeating: 1)
    let dy = Tensor<Float>(shape: [1, 2, 2, 1], repeating: 1)
    let (dx, dW) = dw.backward(x, weight: w, dOutput: dy)
    // Windows at top-left 0, 1, 3, 4: offset 0 → 0+1+3+4, offset 1 → 1+2+4+5, …
    #expect(dW.storage == [8, 12, 20, 24])
    #expect(dx.storage == [1, 2, 1, 2, 4, 2, 1, 2, 1])
  }

  /// The vectorised kernel equals the readable reference over kernels, strides, paddings and
  /// channel counts, including a 7×7 kernel and odd channel counts.
  @Test func matchesReferenceOverSweep() {
    var rng = SeededGenerator(seed: 21)
    withEvery("k", in: [1, 3, 5, 7]) { k in
      withEvery("stride", in: [1, 2]) { s in
        withEvery("padding", in: paddings(kernel: k)) { p in
          withEvery("C", in: [1, 3, 8, 17]) { c in
            let dw = DepthwiseConv2D(
              inputHeight: 9, inputWidth: 8, channels: c, kernel: k, stride: s, padding: p)
            let x = randomValues(dw.inputShape(batch: 2).count, using: &rng)
            let w = randomValues(dw.weightShape.count, using: &rng)
            var y = [Float](repeating: .nan, count: dw.outputShape(batch: 2).count)
            dw.forward(x.floats, weight: w.floats, into: &y)
            assertClose(y.doubles, Reference.depthwiseConv2d(x, weight: w, op: dw), atol: 1e-5)
          }
        }
      }
    }
  }

  /// A shape that splits over two threads: forward against the reference, and both gradients
  /// through the adjoint identities (depthwise conv is linear in x and in w).
  @Test func parallelPathMatchesReferenceAndAdjoint() {
    var rng = SeededGenerator(seed: 22)
    let dw = DepthwiseConv2D(
      inputHeight: 16, inputWidth: 16, channels: 32, kernel: 3, stride: 2, padding: .symmetric(1))
    let n = 4
    let rowFlops = 2 * dw.window.outputWidth * 9 * 32
    #expect(WorkSplit(count: n * 8, minimumRows: Grain.rows(flopsPerRow: rowFlops)).chunks > 1)
    let x = randomValues(dw.inputShape(batch: n).count, using: &rng)
    let w = randomValues(dw.weightShape.count, using: &rng)
    let dy = randomValues(dw.outputShape(batch: n).count, using: &rng)
    var y = [Float](repeating: 0, count: dy.count)
    dw.forward(x.floats, weight: w.floats, into: &y)
    assertClose(y.doubles, Reference.depthwiseConv2d(x, weight: w, op: dw), atol: 1e-5)
    var dx = [Float](repeating: 0, count: x.count)
    var dW = [Float](repeating: 0, count: w.count)
    dw.backwardInput(dOutput: dy.floats, weight: w.floats, accumulatingInto: &dx)
    dw.backwardWeight(dOutput: dy.floats, input: x.floats, accumulatingInto: &dW)
    let lhs = dot(dy, y.doubles)
    assertClose(dot(dx.doubles, x), lhs, atol: 1e-3, rtol: 1e-5)
    assertClose(dot(dW.doubles, w), lhs, atol: 1e-3, rtol: 1e-5)
  }

  /// dInput and dWeight against central differences of the Float64 reference.
  @Test func gradientsMatchFiniteDifferences() {
    var rng = SeededGenerator(seed: 23)
    withEvery("k", in: [1, 3, 5]) { k in
      withEvery("stride", in: [1, 2]) { s in
        withEvery("padding", in: paddings(kernel: k)) { p in
          let dw = DepthwiseConv2D(
            inputHeight: 5, inputWidth: 6, channels: 3, kernel: k, stride: s, padding: p)
          let x = randomValues(dw.inputShape(batch: 2).count, using: &rng)
          let w = randomValues(dw.weightShape.count, using: &rng)
          let r = randomValues(dw.outputShape(batch: 2).count, using: &rng)
          var dx = [Float](repeating: 0, count: x.count)
          var dW = [Float](repeating: 0, count: w.count)
          dw.backwardInput(dOutput: r.floats, weight: w.floats, accumulatingInto: &dx)
          dw.backwardWeight(dOutput: r.floats, input: x.floats, accumulatingInto: &dW)
          let fdX = FiniteDifference.gradient(at: x) {
            dot(Reference.depthwiseConv2d($0, weight: w, op: dw), r)
          }
          let fdW = FiniteDifference.gradient(at: w) {
            dot(Reference.depthwiseConv2d(x, weight: $0, op: dw), r)
          }
          assertClose(dx.doubles, fdX, atol: 1e-4, rtol: 1e-3, "dInput")
          assertClose(dW.doubles, fdW, atol: 1e-4, rtol: 1e-3, "dWeight")
        }
      }
    }
  }

  /// Both gradients against a Float64 scatter-form reference (each output gradient pushed to
  /// the input pixels and taps it came from) over kernels, strides, paddings and channel
  /// counts that exercise every channel block (16, 8, 4 and single channels; the multi-tap
  /// dWeight loop of kW = 3, 5, 7 and the tap-by-tap one of the other widths) and the
  /// four-pixel paths (forward; dInput in every stride phase), on odd sizes with a batch of 2.
  @Test func backwardMatchesScatterReferenceOverSweep() {
    var rng = SeededGenerator(seed: 24)
    withEvery("k", in: [1, 2, 3, 5, 7]) { k in
      withEvery("stride", in: [1, 2, 3]) { s in
        withEvery("padding", in: paddings(kernel: k)) { p in
          withEvery("C", in: [1, 4, 8, 13, 17, 25]) { c in
            let dw = DepthwiseConv2D(
              inputHeight: 9, inputWidth: 11, channels: c, kernel: k, stride: s, padding: p)
            let x = randomValues(dw.inputShape(batch: 2).count, using: &rng)
            let w = randomValues(dw.weightShape.count, using: &rng)
            let dy = randomValues(dw.outputShape(batch: 2).count, using: &rng)
            let start = randomValues(x.count, using: &rng)
            var dx = start.floats
            var dW = [Float](repeating: 0.5, count: w.count)
            dw.backwardInput(dOutput: dy.floats, weight: w.floats, accumulatingInto: &dx)
            dw.backwardWeight(dOutput: dy.floats, input: x.floats, accumulatingInto: &dW)
            let (refX, refW) = Self.scatterBackward(x, weight: w, dOutput: dy, op: dw)
            assertClose(dx.doubles, zip(start, refX).map(+), atol: 1e-5, "dInput")
            assertClose(dW.doubles, refW.map { $0 + 0.5 }, atol: 1e-4, "dWeight")
            var y = [Float](repeating: .nan, count: dy.count)
            dw.forward(x.floats, weight: w.floats, into: &y)
            assertClose(y.doubles, Reference.depthwiseConv2d(x, weight: w, op: dw), atol: 1e-5)
          }
        }
      }
    }
  }

  /// Overwriting dInput (the model's first writer) equals accumulating into zeros, bit for bit,
  /// and writes every input pixel, covered or not (stride 3 with a 2-wide kernel leaves
  /// columns uncovered).
  @Test func overwritingBackwardInputEqualsAccumulatingIntoZeros() {
    var rng = SeededGenerator(seed: 25)
    withEvery("k", in: [2, 3, 7]) { k in
      withEvery("stride", in: [1, 2, 3]) { s in
        withEvery("padding", in: paddings(kernel: k)) { p in
          withEvery("C", in: [3, 20]) { c in
            let dw = DepthwiseConv2D(
              inputHeight: 10, inputWidth: 17, channels: c, kernel: k, stride: s, padding: p)
            let w = randomValues(dw.weightShape.count, using: &rng).floats
            let dy = randomValues(dw.outputShape(batch: 2).count, using: &rng).floats
            var accumulated = [Float](repeating: 0, count: dw.inputShape(batch: 2).count)
            dw.backwardInput(dOutput: dy, weight: w, accumulatingInto: &accumulated)
            var overwritten = [Float](repeating: .nan, count: accumulated.count)
            overwritten.withUnsafeMutableBufferPointer { dx in
              guard let dx = dx.baseAddress else { return }
              dw.backwardInput(dOutput: dy, weight: w, into: dx, accumulate: false, batch: 2)
            }
            expectBitIdentical(overwritten, accumulated, "dInput")
          }
        }
      }
    }
  }

  /// The forward that records batch-norm moments unit by unit (units that start and end
  /// inside output rows, split over the cores) writes the same output as the plain forward
  /// and the same moments as measuring it afterwards.
  @Test func forwardRecordingMomentsEqualsMeasuringAfterwards() {
    var rng = SeededGenerator(seed: 26)
    withEvery("k, stride", in: [(3, 1), (5, 2), (7, 1)]) { ks in
      withEvery("C", in: [5, 24]) { c in
        let dw = DepthwiseConv2D(
          inputHeight: 37, inputWidth: 23, channels: c, kernel: ks.0, stride: ks.1,
          padding: .symmetric(ks.0 / 2))
        let n = 3
        let x = randomValues(dw.inputShape(batch: n).count, using: &rng).floats
        let w = randomValues(dw.weightShape.count, using: &rng).floats
        var plain = [Float](repeating: .nan, count: dw.outputShape(batch: n).count)
        dw.forward(x, weight: w, into: &plain)
        var recorded = [Float](repeating: .nan, count: plain.count)
        var moments = ChannelMoments()
        recorded.withUnsafeMutableBufferPointer { y in
          guard let y = y.baseAddress else { return }
          dw.forward(x, weight: w, into: y, batch: n, moments: &moments)
        }
        expectBitIdentical(recorded, plain, "output")
        var measured = ChannelMoments()
        measured.measure(plain, rows: plain.count / c, channels: c)
        let (a, b) = (moments.meanAndVariance(), measured.meanAndVariance())
        #expect(a.mean == b.mean && a.variance == b.variance)
      }
    }
  }

  /// dInput and dWeight of `op` in the scatter form, Float64, with explicit bounds tests.
  static func scatterBackward(
    _ x: [Double], weight w: [Double], dOutput dy: [Double], op: DepthwiseConv2D
  ) -> (dInput: [Double], dWeight: [Double]) {
    let (g, c) = (op.window, op.channels)
    let n = x.count / op.inputShape(batch: 1).count
    var dx = [Double](repeating: 0, count: x.count)
    var dW = [Double](repeating: 0, count: w.count)
    for b in 0..<n {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
              let iy = oy * g.stride - g.padding.top + ky
              let ix = ox * g.stride - g.padding.left + kx
              guard iy >= 0, iy < g.inputHeight, ix >= 0, ix < g.inputWidth else { continue }
              for ch in 0..<c {
                let g0 = dy[((b * g.outputHeight + oy) * g.outputWidth + ox) * c + ch]
                let xi = ((b * g.inputHeight + iy) * g.inputWidth + ix) * c + ch
                let wi = (ky * g.kernelWidth + kx) * c + ch
                dx[xi] += g0 * w[wi]
                dW[wi] += g0 * x[xi]
              }
            }
          }
        }
      }
    }
    return (dx, dW)
  }
}
