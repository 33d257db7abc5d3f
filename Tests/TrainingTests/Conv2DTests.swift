// Conv2DTests.swift
// Conv2D (im2col + sgemm): hand-computed goldens, agreement with the nested-loop reference over
// a sweep, and input/weight/bias gradients against Float64 finite differences.

import TensorModule
import Testing
import _TestSupport

@testable import Training

@Suite struct Conv2DTests {
  /// Input 0..<16 as 1×4×4×1, filter 0..<4 as 2×2, stride 1, no padding. Output pixel with
  /// top-left input index a is 0·x[a] + 1·x[a+1] + 2·x[a+4] + 3·x[a+5] = 6a + 24.
  @Test func goldenK2S1Valid() {
    let conv = Conv2D(inputHeight: 4, inputWidth: 4, inChannels: 1, outChannels: 1, kernel: 2)
    let x = Tensor<Float>(shape: [1, 4, 4, 1], storage: (0..<16).map(Float.init))
    let w = Tensor<Float>(shape: [1, 2, 2, 1], storage: [0, 1, 2, 3])
    let y = conv.forward(x, weight: w)
    #expect(y.shape == [1, 3, 3, 1])
    #expect(y.storage == [24, 30, 36, 48, 54, 60, 72, 78, 84])
    let withBias = conv.forward(x, weight: w, bias: Tensor(shape: [1], storage: [0.5]))
    #expect(withBias.storage == [24.5, 30.5, 36.5, 48.5, 54.5, 60.5, 72.5, 78.5, 84.5])
  }

  /// The same input and filter with stride 2 and one pixel of zero padding on every side:
  /// e.g. output (1, 0) covers rows 1–2, columns −1–0: 1·x[4] + 3·x[8] = 28.
  @Test func goldenK2S2Pad1() {
    let conv = Conv2D(
      inputHeight: 4, inputWidth: 4, inChannels: 1, outChannels: 1, kernel: 2, stride: 2,
      padding: .symmetric(1))
    let x = Tensor<Float>(shape: [1, 4, 4, 1], storage: (0..<16).map(Float.init))
    let w = Tensor<Float>(shape: [1, 2, 2, 1], storage: [0, 1, 2, 3])
    let y = conv.forward(x, weight: w)
    #expect(y.shape == [1, 3, 3, 1])
    #expect(y.storage == [0, 8, 6, 28, 54, 22, 12, 14, 0])
  }

  /// Backward of the first golden with dY = 1 everywhere. dW[k] sums x over the nine windows
  /// shifted by k's offset (0, 1, 4, 5): 45 + 9·offset. dX counts, per pixel, the filter taps
  /// of all windows covering it; dBias is the nine ones.
  @Test func goldenK2S1Backward() {
    let conv = Conv2D(inputHeight: 4, inputWidth: 4, inChannels: 1, outChannels: 1, kernel: 2)
    let x = Tensor<Float>(shape: [1, 4, 4, 1], storage: (0..<16).map(Float.init))
    let w = Tensor<Float>(shape: [1, 2, 2, 1], storage: [0, 1, 2, 3])
    let dy = Tensor<Float>(shape: [1, 3, 3, 1], repeating: 1)
    let (dx, dw, db) = conv.backward(x, weight: w, dOutput: dy)
    #expect(dw.storage == [45, 54, 81, 90])
    #expect(dx.storage == [0, 1, 1, 1, 2, 6, 6, 4, 2, 6, 6, 4, 2, 5, 5, 3])
    #expect(db.storage == [9])
  }

  /// Two input and two output channels, checking the OHWI weight order: a 1×1 conv is a
  /// per-pixel matrix product, y = [x0 + 2·x1, 3·x0 + 4·x1].
  @Test func goldenChannelsOHWI() {
    let conv = Conv2D(inputHeight: 1, inputWidth: 2, inChannels: 2, outChannels: 2, kernel: 1)
    let x = Tensor<Float>(shape: [1, 1, 2, 2], storage: [1, 10, 2, 20])
    let w = Tensor<Float>(shape: [2, 1, 1, 2], storage: [1, 2, 3, 4])
    #expect(conv.forward(x, weight: w).storage == [21, 43, 42, 86])
  }

  /// im2col + sgemm equals the nested-loop reference (Float64) over kernels, strides,
  /// paddings, odd sizes and channel counts, with and without bias.
  @Test func matchesReferenceOverSweep() {
    var rng = SeededGenerator(seed: 11)
    withEvery("k", in: [1, 3, 5, 7]) { k in
      withEvery("stride", in: [1, 2]) { s in
        withEvery("padding", in: paddings(kernel: k)) { p in
          withEvery("cIn", in: [1, 3, 8, 17]) { cIn in
            let conv = Conv2D(
              inputHeight: 9, inputWidth: 8, inChannels: cIn, outChannels: 5, kernel: k,
              stride: s, padding: p)
            let x = randomValues(conv.inputShape(batch: 2).count, using: &rng)
            let w = randomValues(conv.weightShape.count, using: &rng)
            let b = randomValues(5, using: &rng)
            var y = [Float](repeating: .nan, count: conv.outputShape(batch: 2).count)
            var ws = [Float](repeating: .nan, count: conv.workspaceCount(batch: 2))
            conv.forward(x.floats, weight: w.floats, bias: b.floats, into: &y, workspace: &ws)
            let expected = Reference.conv2d(x, weight: w, bias: b, op: conv)
            assertClose(y.doubles, expected, atol: 1e-4, rtol: 1e-4)
          }
        }
      }
    }
  }

  /// A shape big enough that im2col and col2im split their rows over two threads, checked
  /// against the reference (forward) and the adjoint identities ⟨dy, conv(x)⟩ = ⟨convᵀ(dy), x⟩
  /// and ⟨dy, conv_w(x)⟩ = ⟨dW, w⟩ (conv is linear in x and in w).
  @Test func parallelPathMatchesReferenceAndAdjoint() {
    var rng = SeededGenerator(seed: 12)
    let conv = Conv2D(
      inputHeight: 16, inputWidth: 16, inChannels: 8, outChannels: 16, kernel: 3, stride: 1,
      padding: .symmetric(1))
    let n = 4
    #expect(WorkSplit(count: n, minimumRows: Grain.rows(flopsPerRow: 16 * 16 * 72)).chunks > 1)
    let x = randomValues(conv.inputShape(batch: n).count, using: &rng)
    let w = randomValues(conv.weightShape.count, using: &rng)
    let dy = randomValues(conv.outputShape(batch: n).count, using: &rng)
    var y = [Float](repeating: 0, count: dy.count)
    var ws = [Float](repeating: 0, count: conv.workspaceCount(batch: n))
    conv.forward(x.floats, weight: w.floats, bias: nil, into: &y, workspace: &ws)
    assertClose(y.doubles, Reference.conv2d(x, weight: w, bias: nil, op: conv), atol: 1e-4)
    var dx = [Float](repeating: 0, count: x.count)
    var dw = [Float](repeating: 0, count: w.count)
    conv.backwardInput(dOutput: dy.floats, weight: w.floats, accumulatingInto: &dx, workspace: &ws)
    conv.backwardWeight(dOutput: dy.floats, input: x.floats, accumulatingInto: &dw, workspace: &ws)
    let lhs = dot(dy, y.doubles)
    assertClose(dot(dx.doubles, x), lhs, atol: 1e-2, rtol: 1e-5)
    assertClose(dot(dw.doubles, w), lhs, atol: 1e-2, rtol: 1e-5)
  }

  /// Every gradient against central differences of the Float64 reference, on small odd shapes.
  @Test func gradientsMatchFiniteDifferences() {
    var rng = SeededGenerator(seed: 13)
    withEvery("k", in: [1, 3, 5]) { k in
      withEvery("stride", in: [1, 2]) { s in
        withEvery("padding", in: paddings(kernel: k)) { p in
          let conv = Conv2D(
            inputHeight: 5, inputWidth: 6, inChannels: 2, outChannels: 3, kernel: k, stride: s,
            padding: p)
          checkGradients(conv, batch: 2, using: &rng)
        }
      }
    }
  }

  private func checkGradients(_ conv: Conv2D, batch n: Int, using rng: inout SeededGenerator) {
    let x = randomValues(conv.inputShape(batch: n).count, using: &rng)
    let w = randomValues(conv.weightShape.count, using: &rng)
    let b = randomValues(conv.outChannels, using: &rng)
    let r = randomValues(conv.outputShape(batch: n).count, using: &rng)
    var dx = [Float](repeating: 0, count: x.count)
    var dw = [Float](repeating: 0, count: w.count)
    var db = [Float](repeating: 0, count: b.count)
    var ws = [Float](repeating: 0, count: conv.workspaceCount(batch: n))
    conv.backwardInput(dOutput: r.floats, weight: w.floats, accumulatingInto: &dx, workspace: &ws)
    conv.backwardWeight(dOutput: r.floats, input: x.floats, accumulatingInto: &dw, workspace: &ws)
    conv.backwardBias(dOutput: r.floats, accumulatingInto: &db)
    let fdX = FiniteDifference.gradient(at: x) {
      dot(Reference.conv2d($0, weight: w, bias: b, op: conv), r)
    }
    let fdW = FiniteDifference.gradient(at: w) {
      dot(Reference.conv2d(x, weight: $0, bias: b, op: conv), r)
    }
    let fdB = FiniteDifference.gradient(at: b) {
      dot(Reference.conv2d(x, weight: w, bias: $0, op: conv), r)
    }
    assertClose(dx.doubles, fdX, atol: 1e-4, rtol: 1e-3, "dInput")
    assertClose(dw.doubles, fdW, atol: 1e-4, rtol: 1e-3, "dWeight")
    assertClose(db.doubles, fdB, atol: 1e-4, rtol: 1e-3, "dBias")
  }

  /// Backward functions accumulate: running them twice doubles the gradient.
  @Test func backwardAccumulates() {
    let conv = Conv2D(
      inputHeight: 4, inputWidth: 4, inChannels: 1, outChannels: 1, kernel: 2, stride: 1)
    let w: [Float] = [0, 1, 2, 3]
    let dy = [Float](repeating: 1, count: 9)
    var dx = [Float](repeating: 0, count: 16)
    var ws = [Float](repeating: 0, count: conv.workspaceCount(batch: 1))
    conv.backwardInput(dOutput: dy, weight: w, accumulatingInto: &dx, workspace: &ws)
    conv.backwardInput(dOutput: dy, weight: w, accumulatingInto: &dx, workspace: &ws)
    #expect(dx == [0, 2, 2, 2, 4, 12, 12, 8, 4, 12, 12, 8, 4, 10, 10, 6])
  }
}
