// ElementwiseTests.swift
// ReLU, ReLU6, ResidualAdd and Dropout: hand goldens (including the kink conventions) and
// gradients against Float64 finite differences away from the kinks.

import TensorModule
import Testing
import _TestSupport

@testable import Training

@Suite struct ElementwiseTests {
  /// Values away from the kinks at 0 and 6, so central differences are exact there.
  private func smoothValues(_ count: Int, using rng: inout SeededGenerator) -> [Double] {
    var values: [Double] = []
    while values.count < count {
      let v = randomValues(1, in: -3...9, using: &rng)[0]
      if abs(v) > 0.01 && abs(v - 6) > 0.01 { values.append(v) }
    }
    return values
  }

  @Test func reluGoldenForwardAndBackward() {
    let x: [Float] = [-2, -0.0, 0, 0.5, 7]
    var y = [Float](repeating: .nan, count: 5)
    ReLU().forward(x, into: &y)
    #expect(y == [0, 0, 0, 0.5, 7])
    var dx = [Float](repeating: 1, count: 5)
    ReLU().backward(dOutput: [10, 10, 10, 10, 10], output: y, accumulatingInto: &dx)
    #expect(dx == [1, 1, 1, 11, 11])
    var inPlace = x
    ReLU().forwardInPlace(&inPlace)
    #expect(inPlace == y)
  }

  @Test func relu6GoldenForwardAndBackward() {
    let x: [Float] = [-2, 0, 0.5, 6, 7]
    var y = [Float](repeating: .nan, count: 5)
    ReLU6().forward(x, into: &y)
    #expect(y == [0, 0, 0.5, 6, 6])
    var dx = [Float](repeating: 0, count: 5)
    ReLU6().backward(dOutput: [1, 2, 3, 4, 5], output: y, accumulatingInto: &dx)
    #expect(dx == [0, 0, 3, 0, 0])
    var inPlace = x
    ReLU6().forwardInPlace(&inPlace)
    #expect(inPlace == y)
  }

  @Test func activationGradientsMatchFiniteDifferences() {
    var rng = SeededGenerator(seed: 51)
    let x = smoothValues(64, using: &rng)
    let r = randomValues(64, using: &rng)
    var y = [Float](repeating: 0, count: 64)
    var dx = [Float](repeating: 0, count: 64)
    ReLU().forward(x.floats, into: &y)
    assertClose(y.doubles, Reference.relu(x), atol: 0, rtol: 0)
    ReLU().backward(dOutput: r.floats, output: y, accumulatingInto: &dx)
    assertClose(
      dx.doubles, FiniteDifference.gradient(at: x) { dot(Reference.relu($0), r) },
      atol: 1e-6, rtol: 1e-6, "ReLU")
    dx = [Float](repeating: 0, count: 64)
    ReLU6().forward(x.floats, into: &y)
    assertClose(y.doubles, Reference.relu6(x), atol: 0, rtol: 0)
    ReLU6().backward(dOutput: r.floats, output: y, accumulatingInto: &dx)
    assertClose(
      dx.doubles, FiniteDifference.gradient(at: x) { dot(Reference.relu6($0), r) },
      atol: 1e-6, rtol: 1e-6, "ReLU6")
  }

  @Test func residualAddGoldenAndGradient() {
    var y = [Float](repeating: .nan, count: 3)
    ResidualAdd().forward([1, 2, 3], [10, 20, 30], into: &y)
    #expect(y == [11, 22, 33])
    var a: [Float] = [1, 2, 3]
    ResidualAdd().forwardInPlace(&a, adding: [10, 20, 30])
    #expect(a == y)
    var rng = SeededGenerator(seed: 52)
    let (u, v, r) = (
      randomValues(10, using: &rng), randomValues(10, using: &rng), randomValues(10, using: &rng)
    )
    var (du, dv) = ([Float](repeating: 0, count: 10), [Float](repeating: 1, count: 10))
    ResidualAdd().backward(dOutput: r.floats, accumulatingInto: &du, &dv)
    let fdU = FiniteDifference.gradient(at: u) { dot(Reference.add($0, v), r) }
    let fdV = FiniteDifference.gradient(at: v) { dot(Reference.add(u, $0), r) }
    assertClose(du.doubles, fdU, atol: 1e-6, rtol: 1e-6, "dA")
    assertClose(dv.doubles, fdV.map { $0 + 1 }, atol: 1e-6, rtol: 1e-6, "dB accumulates")
  }

  /// The mask holds 0 or 1/(1 − rate), its drop fraction is near the rate, the same seed gives
  /// the same mask, and the gradient is the mask (checked by finite differences).
  @Test func dropoutMaskScalingSeedAndGradient() {
    let dropout = Dropout(rate: 0.25)
    let x = [Float](repeating: 2, count: 4000)
    var g1 = SeededGenerator(seed: 7)
    var g2 = SeededGenerator(seed: 7)
    var (y1, m1) = ([Float](repeating: 0, count: 4000), [Float](repeating: 0, count: 4000))
    var (y2, m2) = (y1, m1)
    dropout.forward(x, into: &y1, mask: &m1, using: &g1)
    dropout.forward(x, into: &y2, mask: &m2, using: &g2)
    #expect(m1 == m2 && y1 == y2)
    #expect(m1.allSatisfy { $0 == 0 || $0 == Float(4) / 3 })
    let dropped = m1.filter { $0 == 0 }.count
    #expect(abs(Double(dropped) / 4000 - 0.25) < 0.03)
    #expect(zip(y1, m1).allSatisfy { $0 == 2 * $1 })
    let mask = m1.prefix(50).map(Double.init)
    var rng = SeededGenerator(seed: 53)
    let (u, r) = (randomValues(50, using: &rng), randomValues(50, using: &rng))
    var du = [Float](repeating: 0, count: 50)
    dropout.backward(dOutput: r.floats, mask: mask.floats, accumulatingInto: &du)
    let fd = FiniteDifference.gradient(at: u) { dot(Reference.dropout($0, mask: mask), r) }
    assertClose(du.doubles, fd, atol: 1e-6, rtol: 1e-6)
  }

  @Test func dropoutRateZeroIsIdentity() {
    var g = SeededGenerator(seed: 1)
    let (y, mask) = Dropout(rate: 0).forward(Tensor(shape: [3], storage: [1, 2, 3]), using: &g)
    #expect(y.storage == [1, 2, 3] && mask == [1, 1, 1])
  }
}
