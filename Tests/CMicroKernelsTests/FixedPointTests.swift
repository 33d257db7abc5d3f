// FixedPointTests.swift
// The C fixed-point helpers of mcu_fixedpoint.h against Quantization's FixedPoint.swift (the
// specification): edge grids with INT32_MIN/MAX, full Int8/Int16 grids × every shift, and
// 100 000+ seeded random Int32 values per helper (STYLE.md B6.5). Also the two places where C
// saturates instead of trapping, and the floor shifts that replace `>>` on negative values.

import CMicroKernels
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct FixedPointTests {
  static let randomCount = 100_000
  static let edges: [Int32] = [
    .min, .min + 1, -(1 << 30) - 1, -(1 << 30), -(1 << 30) + 1, -65_536, -2, -1, 0, 1, 2,
    65_536, (1 << 30) - 1, 1 << 30, (1 << 30) + 1, .max - 1, .max,
  ]
  /// Significands: 0, the extremes of [2^30, 2^31), the ties-heavy 3·2^29, √½ in Q0.31.
  static let significands: [Int32] = [0, 1 << 30, (1 << 30) + 1, 3 << 29, 1_518_500_250, .max]

  /// A random value whose bit length is itself random, so small and huge values both occur.
  static func randomInt32(_ g: inout SeededGenerator) -> Int32 {
    let bits = Int.random(in: 0...31, using: &g)
    return Int32.random(in: Int32.min...Int32.max, using: &g) >> Int32(bits)
  }

  @Test func srdhmMatchesSwiftOnEdgesTiesAndRandomPairs() {
    var mismatches: [String] = []
    func check(_ a: Int32, _ b: Int32) {
      let c = mcu_srdhm(a, b)
      let s = saturatingRoundingDoublingHighMul(a, b)
      if c != s && mismatches.count < 8 { mismatches.append("(\(a), \(b)): C \(c), Swift \(s)") }
    }
    for a in Self.edges { for b in Self.edges { check(a, b) } }
    for a in Int32(Int8.min)...Int32(Int8.max) { for m in Self.significands { check(a, m) } }
    var g = SeededGenerator(seed: 0xF1_0001)
    for _ in 0..<Self.randomCount { check(Self.randomInt32(&g), Self.randomInt32(&g)) }
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    #expect(mcu_srdhm(.min, .min) == .max, "the one saturating case")
  }

  @Test func rdbpotMatchesSwiftOnInt16GridEdgesAndRandomTimesEveryExponent() {
    var mismatches: [String] = []
    func check(_ x: Int32, _ e: Int) {
      let c = mcu_rdbpot(x, Int32(e))
      let s = roundingDivideByPOT(x, e)
      if c != s && mismatches.count < 8 { mismatches.append("(\(x), \(e)): C \(c), Swift \(s)") }
    }
    for x in Int32(Int16.min)...Int32(Int16.max) { for e in 0...31 { check(x, e) } }
    for x in Self.edges { for e in 0...31 { check(x, e) } }
    var g = SeededGenerator(seed: 0xF1_0002)
    for _ in 0..<Self.randomCount { check(Self.randomInt32(&g), Int.random(in: 0...31, using: &g)) }
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
  }

  /// Both rounding modes on the Int8 accumulator grid × every shift × the significand list, the
  /// edges × every non-positive shift, and random (acc, multiplier, shift) triples. For shift > 0
  /// only accumulators with acc·2^shift inside Int32 qualify (random ones are pre-shifted right),
  /// as the Swift spec requires.
  @Test(arguments: RoundingMode.allCases)
  func requantizeMatchesSwiftOnGridsEdgesAndRandom(mode: RoundingMode) {
    var mismatches: [String] = []
    func check(_ acc: Int32, _ m: Int32, _ shift: Int) {
      let c =
        mode == .doubleRounding
        ? mcu_requantize(acc, m, Int32(shift)) : mcu_requantize_single(acc, m, Int32(shift))
      let viaMode = mcu_requantize_mode(acc, m, Int32(shift), CKernels.rounding(mode))
      let s = multiplyByQuantizedMultiplier(
        acc, FixedPointMultiplier(multiplier: m, shift: shift), mode: mode)
      if (c != s || viaMode != s) && mismatches.count < 8 {
        mismatches.append("(acc \(acc), m \(m), shift \(shift)): C \(c)/\(viaMode), Swift \(s)")
      }
    }
    for shift in -31...30 {
      for m in Self.significands {
        // Only accumulators whose acc·2^shift fits Int32 (the Swift spec traps otherwise).
        for acc in Int32(Int8.min)...Int32(Int8.max)
        where Int32(exactly: Int64(acc) << max(shift, 0)) != nil {
          check(acc, m, shift)
        }
        if shift <= 0 { for acc in Self.edges { check(acc, m, shift) } }
      }
    }
    var g = SeededGenerator(seed: mode == .doubleRounding ? 0xF1_0003 : 0xF1_0004)
    for _ in 0..<Self.randomCount {
      let shift = Int.random(in: -31...30, using: &g)
      let m =
        Int.random(in: 0..<10, using: &g) == 0
        ? 0 : Int32.random(in: (1 << 30)...Int32.max, using: &g)
      let acc = Self.randomInt32(&g) >> Int32(max(shift, 0))
      check(acc, m, shift)
    }
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
  }

  /// The one-step double rounding of the generated kernels equals the two-step one everywhere:
  /// the Int16 accumulator grid and the edges × every shift × the significands, then random
  /// triples over the whole Int32 range (saturating left shifts included).
  @Test func fusedRequantizeEqualsTwoStepEverywhere() {
    var mismatches: [String] = []
    func check(_ acc: Int32, _ m: Int32, _ shift: Int32) {
      let fused = mcu_requantize_fused(acc, m, shift)
      let twoStep = mcu_requantize(acc, m, shift)
      if fused != twoStep && mismatches.count < 8 {
        mismatches.append(
          "(acc \(acc), m \(m), shift \(shift)): fused \(fused), two-step \(twoStep)")
      }
    }
    for shift in Int32(-31)...30 {
      for m in Self.significands {
        for acc in stride(from: Int32(Int16.min), through: Int32(Int16.max), by: 7) {
          check(acc, m, shift)
        }
        for acc in Self.edges { check(acc, m, shift) }
      }
    }
    var g = SeededGenerator(seed: 0xF1_0009)
    for _ in 0..<Self.randomCount {
      let m = Int32.random(in: 0...Int32.max, using: &g)
      check(Self.randomInt32(&g), m, Int32.random(in: -31...30, using: &g))
    }
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    var g2 = SeededGenerator(seed: 0xF1_000A)
    for _ in 0..<1000 {
      let acc = Self.randomInt32(&g2)
      let m = Int32.random(in: (1 << 30)...Int32.max, using: &g2)
      let shift = Int32.random(in: -31...0, using: &g2)
      for mode in RoundingMode.allCases {
        let r = CKernels.rounding(mode)
        #expect(
          mcu_requantize_clamp_fused(acc, m, shift, r, -3, -128, 127)
            == mcu_requantize_clamp(acc, m, shift, r, -3, -128, 127))
      }
    }
  }

  /// The per-channel constants give `mcu_requantize_mode` in both rounding modes, saturating
  /// cases included: the Int16 grid and the edges × every shift × the significands, then random
  /// triples.
  @Test(arguments: RoundingMode.allCases)
  func channelRequantizeEqualsRequantizeMode(mode: RoundingMode) {
    let rounding = CKernels.rounding(mode)
    var mismatches: [String] = []
    func check(_ acc: Int32, _ m: Int32, _ shift: Int32) {
      let q = mcu_channel_requant_of(m, shift, rounding)
      let got = mcu_channel_requantize(acc, q)
      let want = mcu_requantize_mode(acc, m, shift, rounding)
      if got != want && mismatches.count < 8 {
        mismatches.append("(acc \(acc), m \(m), shift \(shift)): \(got), expected \(want)")
      }
    }
    for shift in Int32(-31)...30 {
      for m in Self.significands {
        for acc in stride(from: Int32(Int16.min), through: Int32(Int16.max), by: 7) {
          check(acc, m, shift)
        }
        for acc in Self.edges { check(acc, m, shift) }
      }
    }
    var g = SeededGenerator(seed: mode == .doubleRounding ? 0xF1_000B : 0xF1_000C)
    for _ in 0..<Self.randomCount {
      let m = Int32.random(in: 0...Int32.max, using: &g)
      check(Self.randomInt32(&g), m, Int32.random(in: -31...30, using: &g))
    }
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
  }

  /// Within its bound (|acc|·2^left ≤ 2^30) the unsaturated form equals
  /// `mcu_requantize_mode` in both rounding modes: the bound's edges and the Int16 grid scaled
  /// to it × every shift × the significands, then random triples inside the bound.
  @Test(arguments: RoundingMode.allCases)
  func boundedChannelRequantizeEqualsRequantizeMode(mode: RoundingMode) {
    let rounding = CKernels.rounding(mode)
    var mismatches: [String] = []
    func check(_ acc: Int32, _ m: Int32, _ shift: Int32) {
      let q = mcu_channel_requant_of(m, shift, rounding)
      let got = mcu_channel_requantize_bounded(acc, q)
      let want = mcu_requantize_mode(acc, m, shift, rounding)
      if got != want && mismatches.count < 8 {
        mismatches.append("(acc \(acc), m \(m), shift \(shift)): \(got), expected \(want)")
      }
    }
    for shift in Int32(-31)...30 {
      let limit = Int32(1 << 30) >> max(shift, 0)
      for m in Self.significands {
        for acc in stride(from: Int32(Int16.min), through: Int32(Int16.max), by: 7) {
          check(Int32(Int64(acc) * Int64(limit) >> 15), m, shift)
        }
        for acc in [-limit, -limit + 1, -1, 0, 1, limit - 1, limit] { check(acc, m, shift) }
      }
    }
    var g = SeededGenerator(seed: mode == .doubleRounding ? 0xF1_000D : 0xF1_000E)
    for _ in 0..<Self.randomCount {
      let m = Int32.random(in: 0...Int32.max, using: &g)
      let shift = Int32.random(in: -31...30, using: &g)
      let limit = Int32(1 << 30) >> max(shift, 0)
      check(Int32.random(in: -limit...limit, using: &g), m, shift)
    }
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
  }

  /// Where the Swift spec traps (acc·2^shift or the single-rounding result leaves Int32; no valid
  /// model gets there) the C helpers saturate instead of overflowing.
  @Test func requantizeSaturatesWhereSwiftTraps() {
    // INT32_MAX·2 saturates to INT32_MAX before the multiply: srdhm(INT32_MAX, 2^30) = 2^30.
    #expect(mcu_requantize(.max, 1 << 30, 1) == saturatingRoundingDoublingHighMul(.max, 1 << 30))
    #expect(mcu_requantize(.min, 1 << 30, 1) == saturatingRoundingDoublingHighMul(.min, 1 << 30))
    #expect(mcu_requantize_single(.max, .max, 30) == .max)
    #expect(mcu_requantize_single(.min, .max, 30) == .min)
  }

  /// The output step: requantize, add zp_out in 64 bits, clamp — against the Swift spelling.
  @Test func requantizeClampAddsOffsetThenClamps() {
    var g = SeededGenerator(seed: 0xF1_0005)
    var mismatches: [String] = []
    for _ in 0..<20_000 {
      let mode: RoundingMode = g.rounding()
      let m = FixedPointMultiplier(
        multiplier: Int32.random(in: (1 << 30)...Int32.max, using: &g),
        shift: Int.random(in: -20...0, using: &g))
      let acc = Self.randomInt32(&g)
      let offset = Int32.random(in: -128...127, using: &g)
      let low = Int32.random(in: -128...0, using: &g)
      let high = Int32.random(in: 0...127, using: &g)
      let raw = Int64(multiplyByQuantizedMultiplier(acc, m, mode: mode)) + Int64(offset)
      let expected = Int8(min(max(raw, Int64(low)), Int64(high)))
      let actual = mcu_requantize_clamp(
        acc, m.multiplier, Int32(m.shift), CKernels.rounding(mode), offset, low, high)
      if actual != expected && mismatches.count < 8 {
        mismatches.append(
          "acc \(acc), \(m), \(mode), zp \(offset), clamp \(low)...\(high): "
            + "C \(actual), Swift \(expected)")
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
  }

  /// mcu_asr32/64 are floor divisions by 2^n, i.e. Swift's arithmetic `>>`, for every n.
  @Test func floorShiftsMatchArithmeticShift() {
    var g = SeededGenerator(seed: 0xF1_0006)
    var mismatches = 0
    for _ in 0..<Self.randomCount {
      let x32 = Self.randomInt32(&g)
      let x64 = Int64.random(in: Int64.min...Int64.max, using: &g)
      let n32 = Int32.random(in: 0...31, using: &g)
      let n64 = Int32.random(in: 0...63, using: &g)
      if mcu_asr32(x32, n32) != x32 >> n32 { mismatches += 1 }
      if mcu_asr64(x64, n64) != x64 >> Int64(n64) { mismatches += 1 }
    }
    for x in Self.edges {
      for n in Int32(0)...31 where mcu_asr32(x, n) != x >> n { mismatches += 1 }
    }
    #expect(mcu_asr64(.min, 63) == -1 && mcu_asr64(.max, 62) == 1)
    #expect(mismatches == 0)
  }
}
