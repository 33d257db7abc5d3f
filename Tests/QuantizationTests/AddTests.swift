// AddTests.swift
// Quantized ADD: hand-computed goldens through TFLite's left-shift-20 path in both rounding
// modes, the derived parameters, and a property check against exact real arithmetic.

import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct AddTests {
  static let in1 = QuantParams(scale: 0.5, zeroPoint: 1)
  static let in2 = QuantParams(scale: 0.25, zeroPoint: -2)
  static let out = QuantParams(scale: 0.5, zeroPoint: -3)

  /// By hand: twiceMax = 1, so m1 = 0.5 → (2^30, 0), m2 = 0.25 → (2^30, −1),
  /// mOut = 1 / (2^20 · 0.5) = 2^-19 → (2^30, −18).
  @Test func derivedParametersGolden() throws {
    let p = try AddParams(input1: Self.in1, input2: Self.in2, output: Self.out)
    #expect(p.input1Offset == -1)
    #expect(p.input2Offset == 2)
    #expect(p.outputOffset == -3)
    #expect(p.leftShift == 20)
    #expect(p.input1Multiplier == FixedPointMultiplier(multiplier: 1 << 30, shift: 0))
    #expect(p.input2Multiplier == FixedPointMultiplier(multiplier: 1 << 30, shift: -1))
    #expect(p.outputMultiplier == FixedPointMultiplier(multiplier: 1 << 30, shift: -18))
  }

  /// By hand (real = (q − zp)·s): pairs (4, 0) → 1.5 + 0.5 = 2.0 → 4 LSB → 1;
  /// (2, −1) → 0.5 + 0.25 = 0.75 → 1.5 LSB → 2 (both modes) → −1;
  /// (0, −3) → −0.5 − 0.25 = −0.75 → −1.5 LSB → −2 (double: away from zero) or −1 (single:
  /// toward +∞) → −5 / −4; (−128, 127) → −64.5 + 32.25 = −32.25 → −64.5 LSB → −65 / −64 →
  /// −68 / −67.
  @Test(arguments: [
    (RoundingMode.doubleRounding, [Int8(1), -1, -5, -68]),
    (RoundingMode.singleRounding, [Int8(1), -1, -4, -67]),
  ])
  func golden(mode: RoundingMode, expected: [Int8]) throws {
    let p = try AddParams(input1: Self.in1, input2: Self.in2, output: Self.out, roundingMode: mode)
    let got = IntegerReference.add([4, 2, 0, -128], [0, -1, -3, 127], params: p)
    #expect(got == expected)
  }

  /// ReLU6 on the output (scale 0.5, zp −3) clamps to [−3, −3 + 12] = [−3, 9].
  @Test func fusedRelu6Clamps() throws {
    let p = try AddParams(input1: Self.in1, input2: Self.in2, output: Self.out, activation: .relu6)
    #expect(p.activationMin == -3 && p.activationMax == 9)
    #expect(IntegerReference.add([4, 0, 127], [0, -3, 127], params: p) == [1, -3, 9])
  }

  /// Property: the integer ADD is within 0.5 LSB (+ 1e-3 for the fixed-point multipliers and the
  /// first-stage rounding) of the exactly rounded real sum, for random scales and zero points.
  @Test(arguments: RoundingMode.allCases)
  func withinHalfLSBOfExactRealSum(mode: RoundingMode) throws {
    var g = SeededGenerator(seed: 0xADD_0000)
    for _ in 0..<200 {
      let p1 = QuantParams(
        scale: Float.random(in: 0.005...0.2, using: &g),
        zeroPoint: Int32.random(in: -128...127, using: &g))
      let p2 = QuantParams(
        scale: Float.random(in: 0.005...0.2, using: &g),
        zeroPoint: Int32.random(in: -128...127, using: &g))
      let po = QuantParams(
        scale: Float.random(in: 0.01...0.4, using: &g),
        zeroPoint: Int32.random(in: -30...30, using: &g))
      let params = try AddParams(input1: p1, input2: p2, output: po, roundingMode: mode)
      let a = g.int8s(256)
      let b = g.int8s(256)
      let got = IntegerReference.add(a, b, params: params)
      for i in a.indices {
        let real =
          Double(Int32(a[i]) - p1.zeroPoint) * Double(p1.scale)
          + Double(Int32(b[i]) - p2.zeroPoint) * Double(p2.scale)
        let ideal = real / Double(po.scale) + Double(po.zeroPoint)
        let clampedIdeal = min(max(ideal, -128), 127)
        #expect(
          abs(Double(got[i]) - clampedIdeal) <= 0.501, "\(p1) \(p2) \(po) a \(a[i]) b \(b[i])")
      }
    }
  }

  @Test func outputScaleTooSmallThrows() {
    #expect(throws: QuantizationError.self) {
      try AddParams(
        input1: Self.in1, input2: Self.in2, output: QuantParams(scale: 1e-7, zeroPoint: 0))
    }
  }
}
