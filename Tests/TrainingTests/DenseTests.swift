// DenseTests.swift
// The two GEMM-backed ops without im2col, PointwiseConv2D and Linear: hand-computed goldens,
// agreement with the references, and gradients against Float64 finite differences.

import TensorModule
import Testing
import _TestSupport

@testable import Training

@Suite struct PointwiseConv2DTests {
  /// Two pixels [1, 2, 3] and [4, 5, 6]; filters [1, 0, −1] and [½, ½, ½]; bias [0, 1]:
  /// pixel 0 → [1 − 3, 3 + 1] = [−2, 4], pixel 1 → [4 − 6, 7.5 + 1] = [−2, 8.5].
  @Test func golden() {
    let pw = PointwiseConv2D(inChannels: 3, outChannels: 2)
    let x = Tensor<Float>(shape: [1, 1, 2, 3], storage: [1, 2, 3, 4, 5, 6])
    let w = Tensor<Float>(shape: [2, 1, 1, 3], storage: [1, 0, -1, 0.5, 0.5, 0.5])
    let y = pw.forward(x, weight: w, bias: Tensor(shape: [2], storage: [0, 1]))
    #expect(y.shape == [1, 1, 2, 2])
    #expect(y.storage == [-2, 4, -2, 8.5])
  }

  /// Pointwise equals the general conv reference with a 1×1 window, and its gradients match
  /// finite differences, over odd pixel and channel counts.
  @Test func matchesReferenceAndFiniteDifferences() {
    var rng = SeededGenerator(seed: 31)
    withEvery("cIn", in: [1, 3, 17]) { cIn in
      withEvery("cOut", in: [1, 5]) { cOut in
        let pw = PointwiseConv2D(inChannels: cIn, outChannels: cOut)
        let conv = Conv2D(
          inputHeight: 3, inputWidth: 5, inChannels: cIn, outChannels: cOut, kernel: 1)
        let x = randomValues(2 * 15 * cIn, using: &rng)
        let w = randomValues(cOut * cIn, using: &rng)
        let b = randomValues(cOut, using: &rng)
        let r = randomValues(2 * 15 * cOut, using: &rng)
        let reference = { (x: [Double], w: [Double], b: [Double]) in
          Reference.conv2d(x, weight: w, bias: b, op: conv)
        }
        var y = [Float](repeating: .nan, count: r.count)
        pw.forward(x.floats, weight: w.floats, bias: b.floats, into: &y)
        assertClose(y.doubles, reference(x, w, b), atol: 1e-5, rtol: 1e-5)
        var dx = [Float](repeating: 0, count: x.count)
        var dw = [Float](repeating: 0, count: w.count)
        var db = [Float](repeating: 0, count: b.count)
        pw.backwardInput(dOutput: r.floats, weight: w.floats, accumulatingInto: &dx)
        pw.backwardWeight(dOutput: r.floats, input: x.floats, accumulatingInto: &dw)
        pw.backwardBias(dOutput: r.floats, accumulatingInto: &db)
        let fdX = FiniteDifference.gradient(at: x) { dot(reference($0, w, b), r) }
        let fdW = FiniteDifference.gradient(at: w) { dot(reference(x, $0, b), r) }
        let fdB = FiniteDifference.gradient(at: b) { dot(reference(x, w, $0), r) }
        assertClose(dx.doubles, fdX, atol: 1e-4, rtol: 1e-3, "dInput")
        assertClose(dw.doubles, fdW, atol: 1e-4, rtol: 1e-3, "dWeight")
        assertClose(db.doubles, fdB, atol: 1e-4, rtol: 1e-3, "dBias")
      }
    }
  }
}

@Suite struct LinearTests {
  /// x = [[1, 2], [3, 4]], W = [[1, 1], [1, −1], [0, 2]], b = [½, 0, −1]:
  /// y = [[3.5, −1, 3], [7.5, −1, 7]]. With dY = 1: dX rows = Σ_o W[o] = [2, 2],
  /// dW rows = Σ_n x[n] = [4, 6], dB = [2, 2, 2].
  @Test func goldenForwardAndBackward() {
    let fc = Linear(inFeatures: 2, outFeatures: 3)
    let x = Tensor<Float>(shape: [2, 2], storage: [1, 2, 3, 4])
    let w = Tensor<Float>(shape: [3, 2], storage: [1, 1, 1, -1, 0, 2])
    let b = Tensor<Float>(shape: [3], storage: [0.5, 0, -1])
    #expect(fc.forward(x, weight: w, bias: b).storage == [3.5, -1, 3, 7.5, -1, 7])
    let (dx, dw, db) = fc.backward(x, weight: w, dOutput: Tensor(shape: [2, 3], repeating: 1))
    #expect(dx.storage == [2, 2, 2, 2])
    #expect(dw.storage == [4, 6, 4, 6, 4, 6])
    #expect(db.storage == [2, 2, 2])
  }

  @Test func matchesReferenceAndFiniteDifferences() {
    var rng = SeededGenerator(seed: 32)
    withEvery("shape", in: [(1, 1, 2), (3, 7, 4), (5, 16, 10)]) { (n, inF, outF) in
      let fc = Linear(inFeatures: inF, outFeatures: outF)
      let x = randomValues(n * inF, using: &rng)
      let w = randomValues(outF * inF, using: &rng)
      let b = randomValues(outF, using: &rng)
      let r = randomValues(n * outF, using: &rng)
      var y = [Float](repeating: .nan, count: r.count)
      fc.forward(x.floats, weight: w.floats, bias: b.floats, into: &y)
      assertClose(y.doubles, Reference.linear(x, weight: w, bias: b, op: fc), atol: 1e-5)
      var dx = [Float](repeating: 0, count: x.count)
      var dw = [Float](repeating: 0, count: w.count)
      var db = [Float](repeating: 0, count: b.count)
      fc.backwardInput(dOutput: r.floats, weight: w.floats, accumulatingInto: &dx)
      fc.backwardWeight(dOutput: r.floats, input: x.floats, accumulatingInto: &dw)
      fc.backwardBias(dOutput: r.floats, accumulatingInto: &db)
      let fdX = FiniteDifference.gradient(at: x) {
        dot(Reference.linear($0, weight: w, bias: b, op: fc), r)
      }
      let fdW = FiniteDifference.gradient(at: w) {
        dot(Reference.linear(x, weight: $0, bias: b, op: fc), r)
      }
      let fdB = FiniteDifference.gradient(at: b) {
        dot(Reference.linear(x, weight: w, bias: $0, op: fc), r)
      }
      assertClose(dx.doubles, fdX, atol: 1e-4, rtol: 1e-3, "dInput")
      assertClose(dw.doubles, fdW, atol: 1e-4, rtol: 1e-3, "dWeight")
      assertClose(db.doubles, fdB, atol: 1e-4, rtol: 1e-3, "dBias")
    }
  }
}
