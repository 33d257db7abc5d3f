// ConvParams.swift
// Parameters of the conv, depthwise and pointwise integer references: strides, asymmetric
// padding, offsets, per-channel multipliers, clamp and rounding mode, and the prepare-time
// validation that computes the output shape. The kernels are in Conv2D.swift and siblings.

import TensorModule

/// Parameters of a per-channel quantized convolution (TFLM `ConvParams` + per-channel data).
///
/// Output size per spatial axis: `(H + padTop + padBottom − kH) / strideH + 1` (floor).
/// Padding is implicit: padded taps are skipped, which equals reading real 0 (raw `zp_in`).
public struct ConvParams: Hashable, Sendable {
  /// Vertical stride, >= 1.
  public var strideH: Int
  /// Horizontal stride, >= 1.
  public var strideW: Int
  /// Rows of padding above the input, >= 0.
  public var padTop: Int
  /// Columns of padding left of the input, >= 0.
  public var padLeft: Int
  /// Rows of padding below the input, >= 0.
  public var padBottom: Int
  /// Columns of padding right of the input, >= 0.
  public var padRight: Int
  /// `−zp_in`, added to every input value before the multiply.
  public var inputOffset: Int32
  /// `zp_out`, added after requantization.
  public var outputOffset: Int32
  /// One multiplier `s_in·s_w[c]/s_out` per output channel.
  public var outputMultipliers: [FixedPointMultiplier]
  /// Lower clamp bound (includes the fused activation).
  public var activationMin: Int32
  /// Upper clamp bound (includes the fused activation).
  public var activationMax: Int32
  /// Requantization rounding (TFLite default: `.doubleRounding`).
  public var roundingMode: RoundingMode

  /// Stores every field as given; see `validateConv2D` and siblings for the checks.
  public init(
    strideH: Int, strideW: Int, padTop: Int, padLeft: Int, padBottom: Int, padRight: Int,
    inputOffset: Int32, outputOffset: Int32, outputMultipliers: [FixedPointMultiplier],
    activationMin: Int32 = -128, activationMax: Int32 = 127,
    roundingMode: RoundingMode = .doubleRounding
  ) {
    self.strideH = strideH
    self.strideW = strideW
    self.padTop = padTop
    self.padLeft = padLeft
    self.padBottom = padBottom
    self.padRight = padRight
    self.inputOffset = inputOffset
    self.outputOffset = outputOffset
    self.outputMultipliers = outputMultipliers
    self.activationMin = activationMin
    self.activationMax = activationMax
    self.roundingMode = roundingMode
  }

  /// Square stride and symmetric padding (`padding` on all four sides).
  public init(
    stride: Int = 1, padding: Int = 0, inputOffset: Int32 = 0, outputOffset: Int32 = 0,
    outputMultipliers: [FixedPointMultiplier], activationMin: Int32 = -128,
    activationMax: Int32 = 127, roundingMode: RoundingMode = .doubleRounding
  ) {
    self.init(
      strideH: stride, strideW: stride, padTop: padding, padLeft: padding, padBottom: padding,
      padRight: padding, inputOffset: inputOffset, outputOffset: outputOffset,
      outputMultipliers: outputMultipliers, activationMin: activationMin,
      activationMax: activationMax, roundingMode: roundingMode)
  }

  /// Derives offsets, multipliers and clamp from the tensors' quantization parameters.
  ///
  /// - Throws: `QuantizationError` for invalid scales or zero points.
  public init(
    input: QuantParams, weightScales: [Float], output: QuantParams,
    activation: Activation = .none, stride: Int = 1, padding: Int = 0,
    bitWidth: BitWidth = .int8, roundingMode: RoundingMode = .doubleRounding
  ) throws(QuantizationError) {
    try input.validate(bitWidth: bitWidth, what: "input")
    try output.validate(bitWidth: bitWidth, what: "output")
    let range = activationRange(activation: activation, params: output, bitWidth: bitWidth)
    self.init(
      stride: stride, padding: padding, inputOffset: -input.zeroPoint,
      outputOffset: output.zeroPoint,
      outputMultipliers: try perChannelMultipliers(
        inputScale: input.scale, weightScales: weightScales, outputScale: output.scale),
      activationMin: range.lowerBound, activationMax: range.upperBound,
      roundingMode: roundingMode)
  }

  /// The largest `kH·kW·cIn` for which the Int32 accumulator cannot overflow:
  /// `|w·(x + inputOffset)| <= 127·255 = 32_385` and `2^16 · 32_385 < 2^31`.
  public static let maxAccumulationDepth = 1 << 16

  /// Checks a regular convolution and returns its output shape `[N, oH, oW, cOut]`.
  ///
  /// - Parameters:
  ///   - inputShape: `[N, H, W, cIn]`.
  ///   - filterShape: `[cOut, kH, kW, cIn]` (OHWI).
  ///   - biasCount: the bias length, or nil when there is no bias.
  ///   - bitWidth: the storage format whose ranges the offsets and clamp must respect.
  /// - Returns: the output shape.
  /// - Throws: `QuantizationError` naming the inconsistent shape or parameter.
  public func validateConv2D(
    inputShape: Shape, filterShape: Shape, biasCount: Int?, bitWidth: BitWidth = .int8
  ) throws(QuantizationError) -> Shape {
    try Self.rank4(inputShape, what: "input")
    try Self.rank4(filterShape, what: "filter")
    guard filterShape[3] == inputShape[3] else {
      throw .shapeMismatch(
        what: "filter", expected: "[cOut, kH, kW, \(inputShape[3])] (OHWI, cIn of the input)",
        actual: filterShape.description)
    }
    try ParameterCheck.depth(
      filterShape[1] * filterShape[2] * filterShape[3], limit: Self.maxAccumulationDepth,
      what: "conv")
    return try validateCommon(
      inputShape: inputShape, kH: filterShape[1], kW: filterShape[2], cOut: filterShape[0],
      biasCount: biasCount, bitWidth: bitWidth)
  }

  /// Checks a depthwise convolution and returns its output shape `[N, oH, oW, cOut]`.
  ///
  /// - Parameters:
  ///   - inputShape: `[N, H, W, cIn]`.
  ///   - filterShape: `[1, kH, kW, cOut]` (1HWO) with `cOut = cIn · depthMultiplier`.
  ///   - biasCount: the bias length, or nil when there is no bias.
  ///   - bitWidth: the storage format whose ranges the offsets and clamp must respect.
  /// - Returns: the output shape.
  /// - Throws: `QuantizationError` naming the inconsistent shape or parameter.
  public func validateDepthwiseConv2D(
    inputShape: Shape, filterShape: Shape, biasCount: Int?, bitWidth: BitWidth = .int8
  ) throws(QuantizationError) -> Shape {
    try Self.rank4(inputShape, what: "input")
    try Self.rank4(filterShape, what: "filter")
    guard filterShape[0] == 1, inputShape[3] > 0, filterShape[3] % inputShape[3] == 0 else {
      throw .shapeMismatch(
        what: "depthwise filter",
        expected: "[1, kH, kW, cIn·depthMultiplier] (1HWO) with cIn = \(inputShape[3])",
        actual: filterShape.description)
    }
    try ParameterCheck.depth(
      filterShape[1] * filterShape[2], limit: Self.maxAccumulationDepth, what: "depthwise")
    return try validateCommon(
      inputShape: inputShape, kH: filterShape[1], kW: filterShape[2], cOut: filterShape[3],
      biasCount: biasCount, bitWidth: bitWidth)
  }

  /// Checks a pointwise (1×1) convolution: a regular one with `kH = kW = 1` and no padding.
  ///
  /// - Throws: `QuantizationError` naming the inconsistent shape or parameter.
  public func validatePointwiseConv2D(
    inputShape: Shape, filterShape: Shape, biasCount: Int?, bitWidth: BitWidth = .int8
  ) throws(QuantizationError) -> Shape {
    guard filterShape.rank == 4, filterShape[1] == 1, filterShape[2] == 1 else {
      throw .shapeMismatch(
        what: "pointwise filter", expected: "[cOut, 1, 1, cIn]", actual: filterShape.description)
    }
    guard padTop == 0, padLeft == 0, padBottom == 0, padRight == 0 else {
      throw .invalidParameter(
        name: "padding", value: "\(padTop),\(padLeft),\(padBottom),\(padRight)",
        reason: "a 1×1 convolution takes no padding; use conv2DPerChannel")
    }
    return try validateConv2D(
      inputShape: inputShape, filterShape: filterShape, biasCount: biasCount, bitWidth: bitWidth)
  }

  private static func rank4(_ shape: Shape, what: String) throws(QuantizationError) {
    guard shape.rank == 4, shape.dims.allSatisfy({ $0 > 0 }) else {
      throw .shapeMismatch(
        what: what, expected: "rank 4, all dimensions > 0", actual: shape.description)
    }
  }

  private func validateCommon(
    inputShape: Shape, kH: Int, kW: Int, cOut: Int, biasCount: Int?, bitWidth: BitWidth
  ) throws(QuantizationError) -> Shape {
    try ParameterCheck.atLeast(strideH, 1, name: "strideH")
    try ParameterCheck.atLeast(strideW, 1, name: "strideW")
    for (name, pad) in [
      ("padTop", padTop), ("padLeft", padLeft), ("padBottom", padBottom),
      ("padRight", padRight),
    ] {
      try ParameterCheck.atLeast(pad, 0, name: name)
    }
    let paddedH = inputShape[1] + padTop + padBottom
    let paddedW = inputShape[2] + padLeft + padRight
    guard paddedH >= kH, paddedW >= kW else {
      throw .shapeMismatch(
        what: "padded input", expected: "at least the kernel size \(kH)×\(kW)",
        actual: "\(paddedH)×\(paddedW)")
    }
    guard outputMultipliers.count == cOut else {
      throw .shapeMismatch(
        what: "outputMultipliers", expected: "[\(cOut)] (one per output channel)",
        actual: "[\(outputMultipliers.count)]")
    }
    if let biasCount, biasCount != cOut {
      throw .shapeMismatch(what: "bias", expected: "[\(cOut)]", actual: "[\(biasCount)]")
    }
    try ParameterCheck.inputOffset(inputOffset, bitWidth: bitWidth)
    try ParameterCheck.outputOffset(outputOffset, bitWidth: bitWidth)
    try ParameterCheck.clampRange(activationMin, activationMax, bitWidth: bitWidth)
    let outH = (paddedH - kH) / strideH + 1
    let outW = (paddedW - kW) / strideW + 1
    return Shape([inputShape[0], outH, outW, cOut])
  }
}
