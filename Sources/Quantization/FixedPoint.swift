// FixedPoint.swift
// TFLite's integer requantization arithmetic (gemmlowp fixed point), written out as the
// specification that C kernels and generated code must match bit for bit (paper_facts §12,
// DESIGN.md §3). Semantics follow tensorflow/lite/kernels/internal/common.{h,cc}; this is not
// an optimized implementation, and it never uses floating point.

/// How `multiplyByQuantizedMultiplier` rounds, as TFLite's `TFLITE_SINGLE_ROUNDING` switch.
///
/// - `doubleRounding` (TFLite's historical default, gemmlowp): round `x·m / 2^31` with ties
///   toward +∞ (`saturatingRoundingDoublingHighMul`), then divide by `2^−shift` with ties away
///   from zero (`roundingDivideByPOT`). Two roundings, so a result can differ by one from the
///   exactly rounded value.
/// - `singleRounding` (`TFLITE_SINGLE_ROUNDING=1`, CMSIS-NN's `CMSIS_NN_USE_SINGLE_ROUNDING`):
///   one rounding of the exact `x·m·2^(shift−31)` with ties toward +∞.
public enum RoundingMode: String, Sendable, Codable, CaseIterable {
  case doubleRounding
  case singleRounding
}

/// The high 32 bits of `2·a·b`, rounded to nearest with ties toward +∞, saturating (gemmlowp).
///
/// Computes `round(a·b / 2^31)`. The only overflow is `a == b == Int32.min` (the exact result
/// would be `2^31`), which saturates to `Int32.max`.
public func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
  if a == b && a == Int32.min { return Int32.max }
  // |a·b| <= 2^62, so the Int64 product and the nudged sum cannot overflow.
  let ab = Int64(a) * Int64(b)
  let nudge: Int64 = ab >= 0 ? (1 << 30) : (1 - (1 << 30))
  // Swift's `/` truncates toward zero, as C's does; the asymmetric nudge turns that into
  // "ties toward +∞" for both signs.
  return Int32((ab + nudge) / (1 << 31))
}

/// `x / 2^exponent` rounded to nearest with ties away from zero (gemmlowp's
/// `RoundingDivideByPOT`; CMSIS-NN's `arm_nn_divide_by_power_of_two`).
///
/// - Parameters:
///   - x: the dividend.
///   - exponent: the right shift, `0...31`.
/// - Returns: the rounded quotient.
public func roundingDivideByPOT(_ x: Int32, _ exponent: Int) -> Int32 {
  precondition(
    (0...31).contains(exponent), "roundingDivideByPOT exponent \(exponent) not in 0...31")
  let mask = Int32(truncatingIfNeeded: (Int64(1) << exponent) - 1)
  let remainder = x & mask
  // A negative x rounds its exact half away from zero by raising the threshold by one.
  let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
  // x >> exponent is an arithmetic shift (floor); the increment cannot overflow because it only
  // happens when remainder > 0, i.e. x >> exponent < Int32.max.
  return (x >> Int32(exponent)) + (remainder > threshold ? 1 : 0)
}

/// `x · m.multiplier · 2^(m.shift − 31)` rounded as `mode` says (TFLite's
/// `MultiplyByQuantizedMultiplier`): the requantization of every conv, depthwise and linear
/// accumulator.
///
/// Double rounding: `roundingDivideByPOT(saturatingRoundingDoublingHighMul(x·2^left, m), right)`
/// with `left = max(shift, 0)`, `right = max(−shift, 0)`. `x·2^left` must fit in Int32 (it is
/// undefined behaviour in the C original; here it traps).
///
/// Single rounding: `(x·m + 2^(30−shift)) >> (31 − shift)` in 64 bits, `shift` in `-31...30`.
public func multiplyByQuantizedMultiplier(
  _ x: Int32, _ m: FixedPointMultiplier, mode: RoundingMode = .doubleRounding
) -> Int32 {
  switch mode {
  case .doubleRounding:
    let leftShift = max(m.shift, 0)
    let rightShift = max(-m.shift, 0)
    let shifted = Int64(x) << leftShift
    precondition(
      shifted >= Int64(Int32.min) && shifted <= Int64(Int32.max),
      "x·2^shift overflows Int32 (x = \(x), shift = \(m.shift)): multiplier too large")
    return roundingDivideByPOT(
      saturatingRoundingDoublingHighMul(Int32(shifted), m.multiplier), rightShift)
  case .singleRounding:
    precondition(
      (-31...30).contains(m.shift), "single rounding needs shift in -31...30, got \(m.shift)")
    let totalShift = 31 - m.shift  // 1...62
    let round = Int64(1) << (totalShift - 1)
    // |x·m| < 2^62 and round <= 2^61, so the sum fits in Int64.
    let result = (Int64(x) * Int64(m.multiplier) + round) >> Int64(totalShift)
    precondition(
      result >= Int64(Int32.min) && result <= Int64(Int32.max),
      "requantized value \(result) overflows Int32 (x = \(x), m = \(m))")
    return Int32(result)
  }
}

/// TFLite's `MultiplyByQuantizedMultiplierSmallerThanOneExp`: the same as
/// `multiplyByQuantizedMultiplier` for a multiplier below one (`shift <= 0`), used by ADD.
///
/// In double-rounding mode this is `roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, m),
/// −shift)`; in single-rounding mode TFLite forwards it to the single-rounding multiply.
public func multiplyByQuantizedMultiplierSmallerThanOneExp(
  _ x: Int32, _ m: FixedPointMultiplier, mode: RoundingMode = .doubleRounding
) -> Int32 {
  precondition(m.shift <= 0, "SmallerThanOneExp needs shift <= 0, got \(m.shift)")
  switch mode {
  case .doubleRounding:
    return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, m.multiplier), -m.shift)
  case .singleRounding:
    return multiplyByQuantizedMultiplier(x, m, mode: .singleRounding)
  }
}
