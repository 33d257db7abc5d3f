// QuantizationError.swift
// The one error type of the Quantization target: bad scales, ranges, shapes and kernel
// parameters that come from a model or a caller (STYLE.md B5.2). Broken internal invariants are
// preconditions instead.

/// An invalid quantization parameter, shape or value, naming the culprit and the fix.
public enum QuantizationError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A real multiplier (e.g. `s_in·s_w[c]/s_out`) that cannot become a `FixedPointMultiplier`.
  case invalidMultiplier(value: Double, reason: String)
  /// A scale that is zero, negative, or not finite.
  case invalidScale(what: String, scale: Double)
  /// A zero point outside the integer range of its storage type.
  case zeroPointOutOfRange(what: String, zeroPoint: Int32, range: ClosedRange<Int32>)
  /// A float range (calibration min/max) that is not finite or has `min > max`.
  case invalidRange(what: String, min: Double, max: Double)
  /// A tensor whose shape does not fit the operator.
  case shapeMismatch(what: String, expected: String, actual: String)
  /// An operator parameter (stride, padding, clamp bound, offset) outside its valid range.
  case invalidParameter(name: String, value: String, reason: String)
  /// A stored integer value outside the range its format allows (e.g. an int4 weight of −8).
  case valueOutOfRange(what: String, index: Int, value: Int32, range: ClosedRange<Int32>)

  public var description: String {
    switch self {
    case .invalidMultiplier(let value, let reason):
      return "real multiplier \(value) cannot be quantized: \(reason). "
        + "Check the scales it was computed from (s_in·s_w[c]/s_out must be finite, "
        + ">= 0 and < 2^30)."
    case .invalidScale(let what, let scale):
      return "\(what) has scale \(scale); scales must be finite and > 0. "
        + "Recalibrate the tensor or give it a non-empty float range."
    case .zeroPointOutOfRange(let what, let zeroPoint, let range):
      return
        "\(what) has zero point \(zeroPoint) outside \(range.lowerBound)...\(range.upperBound). "
        + "Choose the zero point with chooseActivationParams(min:max:bitWidth:)."
    case .invalidRange(let what, let min, let max):
      return "\(what) has float range [\(min), \(max)]; min and max must be finite "
        + "with min <= max. Check the calibration statistics."
    case .shapeMismatch(let what, let expected, let actual):
      return "\(what) has shape \(actual), expected \(expected). "
        + "Fix the caller's shapes (layout is NHWC, conv weights OHWI, depthwise 1HWO)."
    case .invalidParameter(let name, let value, let reason):
      return "\(name) = \(value) is invalid: \(reason)."
    case .valueOutOfRange(let what, let index, let value, let range):
      return "\(what)[\(index)] = \(value) is outside \(range.lowerBound)...\(range.upperBound). "
        + "Requantize the tensor with the matching BitWidth."
    }
  }
}
