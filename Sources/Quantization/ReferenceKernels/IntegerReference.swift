// IntegerReference.swift
// The namespace of the integer reference kernels and the requantize-and-clamp step they share.
// These kernels are the specification (STYLE.md B6.1): plain loops, no optimization; C kernels
// and generated code must match them bit for bit. Float references live in Training.

/// Integer reference kernels (TFLite Micro `reference_integer_ops` semantics), one file per op.
///
/// Conventions for every kernel:
/// - Tensors are flat arrays in NHWC order with their shapes passed explicitly (`Shape`).
/// - Weights are OHWI (`[cOut, kH, kW, cIn]`) for conv and pointwise, 1HWO (`[1, kH, kW, C]`)
///   for depthwise, `[cOut, cIn]` for linear; bias is int32, one per output channel.
/// - Parameters are validated first; an invalid call traps with the `QuantizationError` text
///   (callers validate at prepare time with the `validate…` functions, which throw).
/// - No dilation and no groups (MCUNet uses neither).
public enum IntegerReference {}

extension IntegerReference {
  /// `acc` requantized to the output: `clamp(multiplyByQuantizedMultiplier(acc, m, mode) +
  /// outputOffset, activationMin...activationMax)`.
  ///
  /// The offset is added in 64 bits: in C an Int32 overflow here is undefined behaviour that
  /// no valid model reaches, so any result is acceptable there and this one is saturating.
  static func requantize(
    _ acc: Int32, multiplier: FixedPointMultiplier, mode: RoundingMode, outputOffset: Int32,
    activationMin: Int32, activationMax: Int32
  ) -> Int8 {
    let scaled = Int64(multiplyByQuantizedMultiplier(acc, multiplier, mode: mode))
    let shifted = scaled + Int64(outputOffset)
    return Int8(min(max(shifted, Int64(activationMin)), Int64(activationMax)))
  }

  /// Runs a validation and traps with its error message if it throws (kernels run "blindly"
  /// after prepare-time validation, as TFLM's Eval does).
  static func checked<T>(_ validation: () throws(QuantizationError) -> T) -> T {
    do {
      return try validation()
    } catch {
      preconditionFailure(error.description)
    }
  }
}

/// Validation helpers shared by the kernel parameter structs.
enum ParameterCheck {
  /// Throws unless `low...high` is a non-empty sub-range of `bitWidth`'s activation range.
  static func clampRange(_ low: Int32, _ high: Int32, bitWidth: BitWidth)
    throws(QuantizationError)
  {
    let range = bitWidth.activationRange
    guard low <= high, range.contains(low), range.contains(high) else {
      throw .invalidParameter(
        name: "activationMin...activationMax", value: "\(low)...\(high)",
        reason: "must be a non-empty sub-range of \(range) for \(bitWidth); "
          + "use activationRange(activation:params:bitWidth:)")
    }
  }

  /// Throws unless `inputOffset` is `−zp` for a zero point in `bitWidth`'s range.
  static func inputOffset(_ offset: Int32, name: String = "inputOffset", bitWidth: BitWidth)
    throws(QuantizationError)
  {
    let range = bitWidth.activationRange
    guard range.contains(-offset) else {
      throw .invalidParameter(
        name: name, value: "\(offset)",
        reason: "it is −zp_in, so it must lie in \(-range.upperBound)...\(-range.lowerBound)")
    }
  }

  /// Throws unless `outputOffset` (zp_out) lies in `bitWidth`'s range.
  static func outputOffset(_ offset: Int32, bitWidth: BitWidth) throws(QuantizationError) {
    guard bitWidth.activationRange.contains(offset) else {
      throw .zeroPointOutOfRange(
        what: "output (outputOffset)", zeroPoint: offset, range: bitWidth.activationRange)
    }
  }

  /// Throws unless `value >= minimum`.
  static func atLeast(_ value: Int, _ minimum: Int, name: String) throws(QuantizationError) {
    guard value >= minimum else {
      throw .invalidParameter(name: name, value: "\(value)", reason: "must be >= \(minimum)")
    }
  }

  /// Throws unless the accumulation depth keeps an Int32 accumulator from overflowing.
  static func depth(_ depth: Int, limit: Int, what: String) throws(QuantizationError) {
    guard depth <= limit else {
      throw .invalidParameter(
        name: "\(what) accumulation depth", value: "\(depth)",
        reason: "more than \(limit) terms could overflow the Int32 accumulator; split the layer")
    }
  }
}
