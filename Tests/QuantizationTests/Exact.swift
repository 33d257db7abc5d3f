// Exact.swift
// Independent formulations of the fixed-point primitives, used as the expected values of the
// sweeps (STYLE.md B6.5). They are written differently on purpose: floor shifts and magnitudes
// in Int64 instead of gemmlowp's nudges, masks and truncating division.

import Quantization

enum Exact {
  /// round(a·b / 2^31), ties toward +∞, saturating: floor((a·b + 2^30) / 2^31) in Int64.
  static func doublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
    let product = Int64(a) * Int64(b)
    let rounded = (product + (1 << 30)) >> 31  // arithmetic shift = floor
    return rounded > Int64(Int32.max) ? Int32.max : Int32(rounded)
  }

  /// x / 2^e rounded half away from zero, via the magnitude: floor((|x| + 2^(e−1)) / 2^e).
  static func divideByPOT(_ x: Int32, _ e: Int) -> Int32 {
    if e == 0 { return x }
    let magnitude = Int64(x).magnitude
    let quotient = Int64((magnitude + (1 << UInt64(e - 1))) >> UInt64(e))
    return Int32(x < 0 ? -quotient : quotient)
  }

  /// TFLite double rounding built from the two exact primitives above.
  static func multiplyDouble(_ x: Int32, _ m: FixedPointMultiplier) -> Int32 {
    let left = max(m.shift, 0)
    let right = max(-m.shift, 0)
    return divideByPOT(doublingHighMul(Int32(Int64(x) * (1 << Int64(left))), m.multiplier), right)
  }

  /// Single rounding: x·m / 2^T with T = 31 − shift rounded half up, as quotient + remainder.
  static func multiplySingle(_ x: Int32, _ m: FixedPointMultiplier) -> Int32 {
    let product = Int64(x) * Int64(m.multiplier)
    let t = Int64(31 - m.shift)
    let quotient = product >> t  // floor
    let remainder = product - (quotient << t)  // in [0, 2^t)
    return Int32(quotient + (remainder >= (1 << (t - 1)) ? 1 : 0))
  }

  /// The requantization in either mode.
  static func multiply(_ x: Int32, _ m: FixedPointMultiplier, _ mode: RoundingMode) -> Int32 {
    mode == .doubleRounding ? multiplyDouble(x, m) : multiplySingle(x, m)
  }

  /// `n / d` rounded half away from zero, for d > 0: sign · floor((2|n| + d) / 2d).
  static func roundedDivision(_ n: Int64, _ d: Int64) -> Int64 {
    let q = (2 * n.magnitude + UInt64(d)) / (2 * UInt64(d))
    return n < 0 ? -Int64(q) : Int64(q)
  }
}
