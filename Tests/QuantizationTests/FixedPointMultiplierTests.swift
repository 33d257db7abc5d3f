// FixedPointMultiplierTests.swift
// QuantizeMultiplier goldens (computed by hand below), ties, flush-to-zero, reconstruction
// within 2^-31 relative, and the error messages.

import Quantization
import TensorModule
import Testing

@Suite struct FixedPointMultiplierTests {
  /// By hand: frexp(0.5) = (0.5, 0) → 0.5·2^31 = 2^30, shift 0; frexp(1) = (0.5, 1);
  /// frexp(0.75) = (0.75, 0) → 3·2^29; frexp(0.1) = (0.8, −3) → round(0.8·2^31 =
  /// 1717986918.4) = 1717986918; frexp(2^-10) = (0.5, −9); frexp(6) = (0.75, 3).
  @Test(arguments: [
    (0.5, Int32(1 << 30), 0), (1.0, Int32(1 << 30), 1), (0.75, Int32(3 << 29), 0),
    (0.1, Int32(1_717_986_918), -3), (0.0009765625, Int32(1 << 30), -9),
    (6.0, Int32(3 << 29), 3), (0.0, Int32(0), 0),
  ])
  func goldens(real: Double, multiplier: Int32, shift: Int) throws {
    let m = try FixedPointMultiplier(real)
    #expect(m.multiplier == multiplier)
    #expect(m.shift == shift)
  }

  /// Ties round away from zero (TfLiteRound), not to even as TinyEngine's Python `round` would.
  ///
  /// By hand: (2^31 + 1)/2^32 has q·2^31 = 2^30 + 0.5 → 2^30 + 1. A q that rounds up to 2^31 is halved
  /// and the shift incremented: 1 − 2^-32 → q·2^31 = 2^31 − 0.5 → 2^31 → (2^30, shift 1).
  @Test func tiesAndRoundingUpToTwoToThe31() throws {
    let tie = try FixedPointMultiplier((Double(1 << 31) + 1) / Double(UInt64(1) << 32))
    #expect(tie == FixedPointMultiplier(multiplier: (1 << 30) + 1, shift: 0))
    let almostOne = try FixedPointMultiplier(1 - 0x1p-32)
    #expect(almostOne == FixedPointMultiplier(multiplier: 1 << 30, shift: 1))
    let justBelow = try FixedPointMultiplier(1 - 0x1p-31)  // q·2^31 = 2^31 − 1 exactly
    #expect(justBelow == FixedPointMultiplier(multiplier: .max, shift: 0))
  }

  /// frexp(2^-32) = (0.5, −31) is kept; frexp(2^-33) = (0.5, −32) has shift < −31 → (0, 0).
  @Test func tinyMultipliersFlushToZero() throws {
    #expect(
      try FixedPointMultiplier(0x1p-32) == FixedPointMultiplier(multiplier: 1 << 30, shift: -31))
    #expect(try FixedPointMultiplier(0x1p-33) == .zero)
    #expect(try FixedPointMultiplier(1e-300) == .zero)
    #expect(try FixedPointMultiplier(Double.leastNonzeroMagnitude) == .zero)
  }

  @Test func reconstructsWithinTwoToTheMinus31Relative() throws {
    var g = SeededGenerator(seed: 0x5EED_0101)
    for _ in 0..<20_000 {
      let real = Double(
        sign: .plus, exponent: Int.random(in: -31...29, using: &g),
        significand: Double.random(in: 1..<2, using: &g))
      let m = try FixedPointMultiplier(real)
      #expect((1 << 30...Int32.max).contains(m.multiplier))
      #expect(abs(m.realValue - real) <= real * 0x1p-31, "real \(real) -> \(m)")
    }
  }

  @Test func rejectsNegativeNonFiniteAndHugeMultipliers() {
    #expect(throws: QuantizationError.self) { try FixedPointMultiplier(-0.5) }
    #expect(throws: QuantizationError.self) { try FixedPointMultiplier(.nan) }
    #expect(throws: QuantizationError.self) { try FixedPointMultiplier(.infinity) }
    #expect(throws: QuantizationError.self) { try FixedPointMultiplier(0x1p30) }
    #expect((try? FixedPointMultiplier(0x1p30 - 1)) != nil)
    #expect(throws: QuantizationError.self) { try FixedPointMultiplier.smallerThanOne(1.0) }
    #expect(throws: QuantizationError.self) { try FixedPointMultiplier.smallerThanOne(0) }
  }

  @Test func negativeMultiplierMessageNamesValueAndFix() {
    do {
      _ = try FixedPointMultiplier(-0.25)
      Issue.record("expected a throw")
    } catch {
      #expect(
        error.description
          == "real multiplier -0.25 cannot be quantized: it is negative. Check the scales it "
          + "was computed from (s_in·s_w[c]/s_out must be finite, >= 0 and < 2^30).")
    }
  }
}
