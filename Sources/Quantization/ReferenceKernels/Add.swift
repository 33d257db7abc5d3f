// Add.swift
// Integer reference of the quantized element-wise ADD of two tensors with their own scales and
// zero points (TFLM reference_integer_ops::Add; TinyEngine add.c): the residual connection of
// MBConv blocks. Same-shape inputs only; no broadcasting.

import TensorModule

/// Parameters of a quantized ADD, derived from the three tensors' quantization (TFLM
/// `CalculateOpDataAdd`).
///
/// Both inputs are rescaled to a common fixed-point scale `twiceMax / 2^leftShift` with
/// `twiceMax = 2·max(s1, s2)`, summed, and rescaled to the output:
/// `m1 = s1/twiceMax`, `m2 = s2/twiceMax`, `mOut = twiceMax / (2^leftShift · s_out)`, each
/// quantized by `FixedPointMultiplier.smallerThanOne` (so every shift is <= 0).
public struct AddParams: Hashable, Sendable {
  /// TFLite's headroom shift for int8 inputs: `|x + offset| <= 255 < 2^8`, `2^8·2^20 < 2^31`.
  public static let int8LeftShift = 20

  /// `−zp_1`.
  public var input1Offset: Int32
  /// `−zp_2`.
  public var input2Offset: Int32
  /// `zp_out`.
  public var outputOffset: Int32
  /// Left shift applied to both offset inputs before rescaling (20 for int8).
  public var leftShift: Int
  /// `s1 / twiceMax`.
  public var input1Multiplier: FixedPointMultiplier
  /// `s2 / twiceMax`.
  public var input2Multiplier: FixedPointMultiplier
  /// `twiceMax / (2^leftShift · s_out)`.
  public var outputMultiplier: FixedPointMultiplier
  /// Lower clamp bound.
  public var activationMin: Int32
  /// Upper clamp bound.
  public var activationMax: Int32
  /// Requantization rounding of the three multiplies.
  public var roundingMode: RoundingMode

  /// Stores every field as given, such as values read from a model file.
  public init(
    input1Offset: Int32, input2Offset: Int32, outputOffset: Int32, leftShift: Int = 20,
    input1Multiplier: FixedPointMultiplier, input2Multiplier: FixedPointMultiplier,
    outputMultiplier: FixedPointMultiplier, activationMin: Int32 = -128,
    activationMax: Int32 = 127, roundingMode: RoundingMode = .doubleRounding
  ) {
    self.input1Offset = input1Offset
    self.input2Offset = input2Offset
    self.outputOffset = outputOffset
    self.leftShift = leftShift
    self.input1Multiplier = input1Multiplier
    self.input2Multiplier = input2Multiplier
    self.outputMultiplier = outputMultiplier
    self.activationMin = activationMin
    self.activationMax = activationMax
    self.roundingMode = roundingMode
  }

  /// Derives the parameters from the tensors' quantization exactly as TFLM does (Double math
  /// on Float scales, left shift 20).
  ///
  /// `bitWidth` decides the zero-point ranges and the clamp; int4 keeps the left shift 20
  /// (`|x + offset| <= 15` leaves even more headroom than int8's 255).
  ///
  /// - Throws: `QuantizationError` for invalid scales or zero points, or when
  ///   `s_out < 2·max(s1, s2) / 2^20` (the output multiplier would not be below one).
  public init(
    input1: QuantParams, input2: QuantParams, output: QuantParams,
    activation: Activation = .none, roundingMode: RoundingMode = .doubleRounding,
    bitWidth: BitWidth = .int8
  ) throws(QuantizationError) {
    try input1.validate(bitWidth: bitWidth, what: "add input1")
    try input2.validate(bitWidth: bitWidth, what: "add input2")
    try output.validate(bitWidth: bitWidth, what: "add output")
    let leftShift = Self.int8LeftShift
    let twiceMax = 2 * Double(max(input1.scale, input2.scale))
    let range = activationRange(activation: activation, params: output, bitWidth: bitWidth)
    self.init(
      input1Offset: -input1.zeroPoint, input2Offset: -input2.zeroPoint,
      outputOffset: output.zeroPoint, leftShift: leftShift,
      input1Multiplier: try .smallerThanOne(Double(input1.scale) / twiceMax),
      input2Multiplier: try .smallerThanOne(Double(input2.scale) / twiceMax),
      outputMultiplier: try .smallerThanOne(
        twiceMax / (Double(1 << leftShift) * Double(output.scale))),
      activationMin: range.lowerBound, activationMax: range.upperBound,
      roundingMode: roundingMode)
  }

  /// Checks offsets, shifts and clamp against `bitWidth`'s ranges.
  ///
  /// - Throws: `QuantizationError` naming the invalid field.
  public func validate(bitWidth: BitWidth = .int8) throws(QuantizationError) {
    try ParameterCheck.inputOffset(input1Offset, name: "input1Offset", bitWidth: bitWidth)
    try ParameterCheck.inputOffset(input2Offset, name: "input2Offset", bitWidth: bitWidth)
    try ParameterCheck.outputOffset(outputOffset, bitWidth: bitWidth)
    try ParameterCheck.clampRange(activationMin, activationMax, bitWidth: bitWidth)
    guard (0...22).contains(leftShift) else {
      throw .invalidParameter(
        name: "leftShift", value: "\(leftShift)",
        reason: "(x + offset)·2^leftShift must fit Int32 with headroom; TFLite uses 20")
    }
    for (name, m) in [
      ("input1Multiplier", input1Multiplier),
      ("input2Multiplier", input2Multiplier), ("outputMultiplier", outputMultiplier),
    ]
    where m.shift > 0 {
      throw .invalidParameter(
        name: name, value: m.description, reason: "ADD multipliers must be below one (shift <= 0)")
    }
  }
}

extension IntegerReference {
  /// Element-wise int8 ADD with per-input requantization (TFLM `AddFunc`).
  ///
  /// Shapes: `input1`, `input2` and the output have the same element count (any shape).
  /// Per element: `v_i = (x_i + offset_i)·2^leftShift`; `s_i = MBQM<1(v_i, m_i)`;
  /// `out = clamp(MBQM<1(s_1 + s_2, mOut) + outputOffset)` where `MBQM<1` is
  /// `multiplyByQuantizedMultiplierSmallerThanOneExp` in `roundingMode`.
  public static func add(_ input1: [Int8], _ input2: [Int8], params p: AddParams) -> [Int8] {
    checked { () throws(QuantizationError) in try p.validate() }
    precondition(
      input1.count == input2.count, "add inputs differ in size: \(input1.count) vs \(input2.count)")
    var output = [Int8](repeating: 0, count: input1.count)
    for i in input1.indices {
      // |x + offset| <= 255, so the shifted values stay below 2^28 for leftShift 20 and each
      // scaled value (multiplier <= 1/2) below 2^27: the raw sum cannot overflow Int32.
      let shifted1 = (Int32(input1[i]) + p.input1Offset) << Int32(p.leftShift)
      let shifted2 = (Int32(input2[i]) + p.input2Offset) << Int32(p.leftShift)
      let scaled1 = multiplyByQuantizedMultiplierSmallerThanOneExp(
        shifted1, p.input1Multiplier, mode: p.roundingMode)
      let scaled2 = multiplyByQuantizedMultiplierSmallerThanOneExp(
        shifted2, p.input2Multiplier, mode: p.roundingMode)
      let raw =
        multiplyByQuantizedMultiplierSmallerThanOneExp(
          scaled1 + scaled2, p.outputMultiplier, mode: p.roundingMode) + p.outputOffset
      output[i] = Int8(min(max(raw, p.activationMin), p.activationMax))
    }
    return output
  }
}
