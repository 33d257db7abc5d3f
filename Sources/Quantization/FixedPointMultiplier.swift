// FixedPointMultiplier.swift
// A real multiplier as a Q0.31 integer and a power-of-two shift (TFLite's QuantizeMultiplier,
// TinyEngine's getMultiplierShift; paper_facts §10, §12). Not the multiply itself: see
// FixedPoint.swift.

/// A non-negative real multiplier `M ≈ multiplier · 2^(shift − 31)`.
///
/// `multiplier` is a Q0.31 significand in `[2^30, 2^31)` (or 0 for `M == 0` and for multipliers
/// flushed to zero), `shift` the binary exponent (`> 0` is a left shift). For conv and linear
/// layers `M = s_in·s_w[c]/s_out`, one per output channel.
public struct FixedPointMultiplier: Hashable, Sendable, Codable, CustomStringConvertible {
  /// The Q0.31 significand, `0` or in `[2^30, 2^31)`.
  public let multiplier: Int32
  /// The power-of-two exponent, `-31...30`.
  public let shift: Int

  /// The zero multiplier (every requantized value becomes 0).
  public static let zero = FixedPointMultiplier(multiplier: 0, shift: 0)

  /// Wraps an already-quantized multiplier, such as one read from a model file.
  ///
  /// - Precondition: `multiplier >= 0` and `shift` in `-31...30`.
  public init(multiplier: Int32, shift: Int) {
    precondition(
      multiplier >= 0, "FixedPointMultiplier significand must be >= 0, got \(multiplier)")
    precondition((-31...30).contains(shift), "FixedPointMultiplier shift \(shift) not in -31...30")
    self.multiplier = multiplier
    self.shift = shift
  }

  /// Quantizes `realMultiplier` exactly as TFLite's `QuantizeMultiplier`.
  ///
  /// Steps: `(q, shift) = frexp(M)` with `q` in `[0.5, 1)`; `multiplier = round(q·2^31)` with
  /// ties away from zero (`TfLiteRound`; TinyEngine's Python `round` would send ties to even);
  /// if that rounds up to `2^31`, halve it and add one to `shift`; if `shift < −31` the
  /// multiplier is flushed to `(0, 0)`. `M == 0` gives `(0, 0)`.
  ///
  /// - Throws: `QuantizationError.invalidMultiplier` if `M` is negative, not finite, or
  ///   `>= 2^30` (its shift would exceed 30, which no Int32 requantization can apply).
  public init(_ realMultiplier: Double) throws(QuantizationError) {
    guard realMultiplier.isFinite else {
      throw .invalidMultiplier(value: realMultiplier, reason: "it is not finite")
    }
    guard realMultiplier >= 0 else {
      throw .invalidMultiplier(value: realMultiplier, reason: "it is negative")
    }
    if realMultiplier == 0 {
      self = .zero
      return
    }
    // frexp via the IEEE fields: significand in [1, 2) and exponent, so q = significand/2 in
    // [0.5, 1) and the frexp exponent is exponent + 1. Subnormals are normalized by Swift.
    var shift = Int(realMultiplier.exponent) + 1
    let q = realMultiplier.significand / 2
    // q·2^31 is exact (a power-of-two scaling), so the only rounding is the tie rule.
    var qFixed = Int64((q * 2_147_483_648.0).rounded(.toNearestOrAwayFromZero))
    if qFixed == 1 << 31 {
      qFixed /= 2
      shift += 1
    }
    if shift < -31 {
      self = .zero
      return
    }
    guard shift <= 30 else {
      throw .invalidMultiplier(value: realMultiplier, reason: "it is >= 2^30 (shift \(shift) > 30)")
    }
    self.init(multiplier: Int32(qFixed), shift: shift)
  }

  /// TFLite's `QuantizeMultiplierSmallerThanOneExp`, used by ADD: `0 < M < 1`, so `shift <= 0`.
  ///
  /// - Throws: `QuantizationError.invalidMultiplier` when `M` is not in `(0, 1)`.
  public static func smallerThanOne(_ realMultiplier: Double) throws(QuantizationError)
    -> FixedPointMultiplier
  {
    guard realMultiplier > 0 && realMultiplier < 1 else {
      throw .invalidMultiplier(
        value: realMultiplier, reason: "a SmallerThanOneExp multiplier must lie in (0, 1)")
    }
    return try FixedPointMultiplier(realMultiplier)
  }

  /// The real value represented, `multiplier · 2^(shift − 31)` (exact in Double).
  public var realValue: Double {
    Double(multiplier) * Double(sign: .plus, exponent: shift - 31, significand: 1)
  }

  public var description: String { "(\(multiplier), shift \(shift))" }
}
