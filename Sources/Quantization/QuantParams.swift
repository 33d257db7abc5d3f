// QuantParams.swift
// Per-tensor asymmetric activation parameters (scale, zero point), their calibration from a
// float range, quantize/dequantize, and the fused-activation clamp range, as TFLite defines them
// (paper_facts §12; TFLite quantization spec). Weight quantization is in WeightQuantization.swift.

/// The integer storage format of a quantized tensor.
///
/// | format | activations (asymmetric, zp) | weights (symmetric, zp = 0) |
/// |---|---|---|
/// | `int8` | `-128...127` | `-127...127` (TFLite's narrow range) |
/// | `int4` | `-8...7` | `-7...7` (see Int4.swift for the decision) |
public enum BitWidth: String, Sendable, Codable, CaseIterable {
  case int8
  case int4

  /// The stored range of an activation value (and of its zero point).
  public var activationRange: ClosedRange<Int32> {
    switch self {
    case .int8: return -128...127
    case .int4: return -8...7
    }
  }

  /// The stored range of a symmetric weight value.
  public var weightRange: ClosedRange<Int32> {
    switch self {
    case .int8: return -127...127
    case .int4: return -7...7
    }
  }
}

/// Affine quantization of one tensor: `real = (q − zeroPoint) · scale`.
///
/// Scales are Float32, as in a .tflite file; multipliers derived from them are computed in
/// Double (TFLite's `GetQuantizedConvolutionMultipler`).
public struct QuantParams: Hashable, Sendable, Codable, CustomStringConvertible {
  /// The real value of one integer step; finite and > 0.
  public var scale: Float
  /// The integer that represents real 0; inside the format's activation range.
  public var zeroPoint: Int32

  /// Stores the parameters as given; `validate(bitWidth:)` checks them.
  public init(scale: Float, zeroPoint: Int32) {
    self.scale = scale
    self.zeroPoint = zeroPoint
  }

  /// Checks that the scale is finite and positive and the zero point fits `bitWidth`.
  ///
  /// - Parameters:
  ///   - bitWidth: the storage format whose zero-point range applies.
  ///   - what: the tensor's name, used in the error message.
  /// - Throws: `.invalidScale` or `.zeroPointOutOfRange`, naming `what`.
  public func validate(bitWidth: BitWidth = .int8, what: String = "tensor")
    throws(QuantizationError)
  {
    guard scale.isFinite && scale > 0 else {
      throw .invalidScale(what: what, scale: Double(scale))
    }
    guard bitWidth.activationRange.contains(zeroPoint) else {
      throw .zeroPointOutOfRange(what: what, zeroPoint: zeroPoint, range: bitWidth.activationRange)
    }
  }

  public var description: String { "(scale \(scale), zp \(zeroPoint))" }
}

/// Chooses activation parameters for the float range `[min, max]` as TFLite's calibrator does.
///
/// Steps (TFLite `ChooseQuantizationParams` / MLIR `getNudgedScaleAndZeroPoint`, computed in
/// Double):
/// 1. Extend the range to contain 0 (`min = min(min, 0)`, `max = max(max, 0)`), so real 0 is
///    exactly representable (zero padding must be exact).
/// 2. If the range is empty (`max − min < ε`), return scale 1, zero point 0.
/// 3. `scale = (max − min) / (qmax − qmin)`.
/// 4. The zero point from `(min, qmin)` or from `(max, qmax)`, whichever has the smaller
///    rounding error `|q| + |r/scale|`; rounded with ties away from zero and clamped into
///    `[qmin, qmax]` (the "nudge").
///
/// - Throws: `QuantizationError.invalidRange` if `min` or `max` is not finite or `min > max`.
public func chooseActivationParams(min: Float, max: Float, bitWidth: BitWidth = .int8)
  throws(QuantizationError) -> QuantParams
{
  guard min.isFinite && max.isFinite && min <= max else {
    throw .invalidRange(what: "activation calibration range", min: Double(min), max: Double(max))
  }
  let rmin = Swift.min(Double(min), 0)
  let rmax = Swift.max(Double(max), 0)
  if rmax - rmin < Double.ulpOfOne {
    return QuantParams(scale: 1, zeroPoint: 0)
  }
  let qmin = Double(bitWidth.activationRange.lowerBound)
  let qmax = Double(bitWidth.activationRange.upperBound)
  let scale = (rmax - rmin) / (qmax - qmin)
  let zeroPointFromMin = qmin - rmin / scale
  let zeroPointFromMax = qmax - rmax / scale
  let errorFromMin = abs(qmin) + abs(rmin / scale)
  let errorFromMax = abs(qmax) + abs(rmax / scale)
  let zeroPoint = errorFromMin < errorFromMax ? zeroPointFromMin : zeroPointFromMax
  let nudged: Double
  if zeroPoint < qmin {
    nudged = qmin
  } else if zeroPoint > qmax {
    nudged = qmax
  } else {
    nudged = zeroPoint.rounded(.toNearestOrAwayFromZero)
  }
  return QuantParams(scale: Float(scale), zeroPoint: Int32(nudged))
}

/// Quantizes one real value: `clamp(round(x / scale) + zeroPoint, range)`, ties away from zero
/// (TFLite's QUANTIZE op, `TfLiteRound`), division in Float.
public func quantize(_ x: Float, params: QuantParams, bitWidth: BitWidth = .int8) -> Int8 {
  let range = bitWidth.activationRange
  let scaled = (x / params.scale).rounded(.toNearestOrAwayFromZero)
  // Clamp in Float first so that huge or infinite inputs cannot trap the Int32 conversion.
  let bounded = Swift.min(Swift.max(scaled, -65_536), 65_536)
  let q = Int32(bounded) + params.zeroPoint
  return Int8(Swift.min(Swift.max(q, range.lowerBound), range.upperBound))
}

/// Quantizes every element of `xs` (see `quantize(_:params:bitWidth:)`).
public func quantize(_ xs: [Float], params: QuantParams, bitWidth: BitWidth = .int8) -> [Int8] {
  xs.map { quantize($0, params: params, bitWidth: bitWidth) }
}

/// The real value of one quantized value, `(q − zeroPoint) · scale`.
public func dequantize(_ q: Int8, params: QuantParams) -> Float {
  Float(Int32(q) - params.zeroPoint) * params.scale
}

/// Dequantizes every element of `qs`.
public func dequantize(_ qs: [Int8], params: QuantParams) -> [Float] {
  qs.map { dequantize($0, params: params) }
}

/// A fused activation, folded into the output clamp of the preceding op.
public enum Activation: String, Sendable, Codable, CaseIterable {
  case none
  case relu
  case relu6
}

/// The integer clamp range that implements `activation` on an output with `params`.
///
/// TFLite's `CalculateActivationRangeQuantizedImpl`: with `quantize(f) = zp + round(f / s)`
/// (Float division, ties away from zero), ReLU is `[max(qmin, quantize(0)), qmax]` and ReLU6
/// is `[max(qmin, quantize(0)), min(qmax, quantize(6))]`; `none` is `[qmin, qmax]`.
/// (TinyEngine's generated calls pass −128...127 and rely on calibration instead, paper_facts
/// §10; the clamp here is the stricter TFLite rule.)
public func activationRange(
  activation: Activation, params: QuantParams, bitWidth: BitWidth = .int8
) -> ClosedRange<Int32> {
  let qmin = bitWidth.activationRange.lowerBound
  let qmax = bitWidth.activationRange.upperBound
  func quantizeUnclamped(_ f: Float) -> Int32 {
    let steps = Swift.min((f / params.scale).rounded(.toNearestOrAwayFromZero), 16_777_216)
    return params.zeroPoint + Int32(steps)
  }
  switch activation {
  case .none:
    return qmin...qmax
  case .relu:
    return Swift.max(qmin, quantizeUnclamped(0))...qmax
  case .relu6:
    let low = Swift.max(qmin, quantizeUnclamped(0))
    return low...Swift.max(low, Swift.min(qmax, quantizeUnclamped(6)))
  }
}
