// FixedPointTests.swift
// The fixed-point primitives against the independent formulations in Exact.swift, over the whole
// Int8 range and >= 100k seeded random Int32 values with the edge cases (STYLE.md B6.5).

import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct FixedPointTests {
  static let edges: [Int32] = [
    .min, .min + 1, -(1 << 30) - 1, -(1 << 30), -65_536, -32_768, -255, -128, -2, -1, 0, 1, 2,
    127, 255, 32_767, 65_536, 1 << 30, (1 << 30) + 1, .max - 1, .max,
  ]

  /// 100k random Int32 values (seed 0x5EED_0001) plus the edge cases.
  static func randomInt32s(seed: UInt64 = 0x5EED_0001, count: Int = 100_000) -> [Int32] {
    var g = SeededGenerator(seed: seed)
    // Half uniform over Int32, half with a random magnitude so small values are common too.
    return edges
      + (0..<count).map { i in
        i % 2 == 0
          ? Int32.random(in: .min ... .max, using: &g)
          : Int32(
            truncatingIfNeeded: Int64.random(in: -(1 << 62)...(1 << 62), using: &g)
              >> Int64.random(in: 0...62, using: &g))
      }
  }

  @Test func doublingHighMulMatchesExactOverInt8Grid() {
    var actual: [Int32] = []
    var expected: [Int32] = []
    for a in Int32(Int8.min)...Int32(Int8.max) {
      for b in Int32(Int8.min)...Int32(Int8.max) {
        // Scale one factor up so the products land near the rounding boundary.
        let big = b << 23
        actual.append(saturatingRoundingDoublingHighMul(a, big))
        expected.append(Exact.doublingHighMul(a, big))
      }
    }
    assertBitExact(actual, expected, "SRDHM int8 × (int8 << 23)")
  }

  @Test func doublingHighMulMatchesExactOnRandomPairs() {
    let xs = Self.randomInt32s()
    let ys = Self.randomInt32s(seed: 0x5EED_0002)
    var actual = xs.indices.map { saturatingRoundingDoublingHighMul(xs[$0], ys[$0]) }
    var expected = xs.indices.map { Exact.doublingHighMul(xs[$0], ys[$0]) }
    for a in Self.edges {
      for b in Self.edges {
        actual.append(saturatingRoundingDoublingHighMul(a, b))
        expected.append(Exact.doublingHighMul(a, b))
      }
    }
    assertBitExact(actual, expected, "SRDHM random")
  }

  /// Hand-computed: 2^30 is 0.5 in Q0.31, so SRDHM(x, 2^30) = round(x/2) with ties to +∞.
  @Test func doublingHighMulGoldens() {
    let half: Int32 = 1 << 30
    let got = [3, -3, 1, -1, 5, -5].map { saturatingRoundingDoublingHighMul($0, half) }
    #expect(got == [2, -1, 1, 0, 3, -2])
    #expect(saturatingRoundingDoublingHighMul(.min, .min) == .max)
    #expect(saturatingRoundingDoublingHighMul(.max, .max) == Int32.max - 1)
    #expect(saturatingRoundingDoublingHighMul(.min, .max) == Int32.min + 1)
  }

  @Test func divideByPOTMatchesExactOverInt8RangeAndAllExponents() {
    withEvery("exponent", in: 0...31) { e in
      let xs = (Int32(Int8.min)...Int32(Int8.max)).map { $0 } + Self.edges
      assertBitExact(xs.map { roundingDivideByPOT($0, e) }, xs.map { Exact.divideByPOT($0, e) })
    }
  }

  @Test func divideByPOTMatchesExactOnRandomValues() {
    var g = SeededGenerator(seed: 0x5EED_0003)
    let xs = Self.randomInt32s()
    let es = xs.map { _ in Int.random(in: 0...31, using: &g) }
    assertBitExact(
      xs.indices.map { roundingDivideByPOT(xs[$0], es[$0]) },
      xs.indices.map { Exact.divideByPOT(xs[$0], es[$0]) }, "RDBPOT random")
  }

  /// Hand-computed ties: ±1.5 → ±2, ±2.5 → ±3, ±0.5 → ±1 (away from zero); 7/4 = 1.75 → 2.
  @Test func divideByPOTGoldens() {
    #expect(
      [3, -3, 5, -5, 1, -1, 7, -7].map { roundingDivideByPOT($0, 1) } == [
        2, -2, 3, -3, 1, -1, 4, -4,
      ])
    #expect(roundingDivideByPOT(7, 2) == 2)
    #expect(roundingDivideByPOT(-6, 2) == -2)  // -1.5 → -2
    #expect(roundingDivideByPOT(-5, 2) == -1)  // -1.25 → -1
    #expect(roundingDivideByPOT(.max, 31) == 1)
    #expect(roundingDivideByPOT(.min, 31) == -1)
    #expect(roundingDivideByPOT(.min, 0) == .min)
  }

  /// Random multipliers (real in [2^-40, 2^8)) with accumulators that cannot overflow.
  static func randomRequantizationCases(seed: UInt64, count: Int) -> [(Int32, FixedPointMultiplier)]
  {
    var g = SeededGenerator(seed: seed)
    var cases: [(Int32, FixedPointMultiplier)] = []
    for i in 0..<count {
      let real = Double(
        sign: .plus, exponent: Int.random(in: -40...7, using: &g),
        significand: Double.random(in: 1..<2, using: &g))
      guard let m = try? FixedPointMultiplier(real) else { continue }
      // |x·real| < 2^30 keeps both modes' results (and x·2^left) inside Int32.
      let bound = Int64(min(Double(Int32.max >> 1), Double(1 << 30) / (real * 2)))
      var x = Int32(Int64.random(in: -bound...bound, using: &g))
      if i % 4 == 0 { x = Int32(Int64.random(in: -255...255, using: &g)) }
      cases.append((x, m))
    }
    return cases
  }

  @Test(arguments: RoundingMode.allCases)
  func multiplyByQuantizedMultiplierMatchesExact(mode: RoundingMode) {
    let cases = Self.randomRequantizationCases(seed: 0x5EED_0004, count: 100_000)
    #expect(cases.count > 99_000)
    assertBitExact(
      cases.map { multiplyByQuantizedMultiplier($0.0, $0.1, mode: mode) },
      cases.map { Exact.multiply($0.0, $0.1, mode) }, "MBQM \(mode)")
  }

  @Test(arguments: RoundingMode.allCases)
  func multiplyMatchesExactOverInt8TimesEveryShift(mode: RoundingMode) {
    withEvery("shift", in: -31...0) { shift in
      for multiplier: Int32 in [1 << 30, (1 << 30) + 1, 3 << 29, Int32.max, 1_717_986_918] {
        let m = FixedPointMultiplier(multiplier: multiplier, shift: shift)
        let xs = (Int32(Int8.min)...Int32(Int8.max)).map { $0 << 8 }
        assertBitExact(
          xs.map { multiplyByQuantizedMultiplier($0, m, mode: mode) },
          xs.map { Exact.multiply($0, m, mode) }, "m \(multiplier)")
      }
    }
  }

  /// Single rounding is the exactly rounded value; double rounding is within one of it.
  @Test func doubleRoundingIsWithinOneOfSingleRounding() {
    let cases = Self.randomRequantizationCases(seed: 0x5EED_0005, count: 50_000)
    var worst: Int64 = 0
    for (x, m) in cases {
      let single = Int64(multiplyByQuantizedMultiplier(x, m, mode: .singleRounding))
      let double = Int64(multiplyByQuantizedMultiplier(x, m, mode: .doubleRounding))
      worst = max(worst, abs(single - double))
    }
    #expect(worst <= 1)
  }

  /// The two rounding modes differ where the first rounding creates a tie.
  ///
  /// By hand: M = 0.375 = (3·2^29, shift −1). x = ±1: exact ±0.375. Single rounding gives
  /// 0. Double rounding first rounds ±0.75 to ±1 (SRDHM), then ±1/2 = ±0.5 away from zero → ±1.
  @Test func roundingModesDifferOnDoubleRoundingCase() {
    let m = FixedPointMultiplier(multiplier: 3 << 29, shift: -1)
    #expect(multiplyByQuantizedMultiplier(1, m, mode: .doubleRounding) == 1)
    #expect(multiplyByQuantizedMultiplier(1, m, mode: .singleRounding) == 0)
    #expect(multiplyByQuantizedMultiplier(-1, m, mode: .doubleRounding) == -1)
    #expect(multiplyByQuantizedMultiplier(-1, m, mode: .singleRounding) == 0)
    // 4·0.375 = 1.5 exactly: double → SRDHM 3, 3/2 → 2; single → half up → 2.
    #expect(multiplyByQuantizedMultiplier(4, m, mode: .doubleRounding) == 2)
    #expect(multiplyByQuantizedMultiplier(4, m, mode: .singleRounding) == 2)
    // -4·0.375 = -1.5: double → away from zero → -2; single → toward +∞ → -1.
    #expect(multiplyByQuantizedMultiplier(-4, m, mode: .doubleRounding) == -2)
    #expect(multiplyByQuantizedMultiplier(-4, m, mode: .singleRounding) == -1)
  }

  /// Multiplier 1.0 = (2^30, shift 1) is the identity in both modes; 2.0 doubles.
  @Test func unitAndLeftShiftMultipliers() throws {
    let one = try FixedPointMultiplier(1.0)
    let two = try FixedPointMultiplier(2.0)
    for mode in RoundingMode.allCases {
      for x: Int32 in [-1_000_000, -129, -1, 0, 1, 127, 1_000_000] {
        #expect(multiplyByQuantizedMultiplier(x, one, mode: mode) == x)
        #expect(multiplyByQuantizedMultiplier(x, two, mode: mode) == 2 * x)
      }
    }
  }

  @Test(arguments: RoundingMode.allCases)
  func smallerThanOneExpEqualsGeneralMultiply(mode: RoundingMode) {
    let cases = Self.randomRequantizationCases(seed: 0x5EED_0006, count: 20_000)
      .filter { $0.1.shift <= 0 }
    #expect(cases.count > 1_000)
    assertBitExact(
      cases.map { multiplyByQuantizedMultiplierSmallerThanOneExp($0.0, $0.1, mode: mode) },
      cases.map { Exact.multiply($0.0, $0.1, mode) })
  }
}
