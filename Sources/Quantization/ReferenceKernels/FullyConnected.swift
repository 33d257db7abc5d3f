// FullyConnected.swift
// Integer reference of the quantized linear layer (TFLM reference_integer_ops::FullyConnected
// and FullyConnectedPerChannel): MCUNet's classifier. Plain loops; not optimized.

import TensorModule

/// Parameters of a quantized fully connected layer.
public struct FullyConnectedParams: Hashable, Sendable {
  /// `−zp_in`, added to every input value.
  public var inputOffset: Int32
  /// `−zp_w`, added to every weight; per-tensor only (TFLM keeps it for compatibility),
  /// must be 0 for the per-channel kernel.
  public var filterOffset: Int32
  /// `zp_out`, added after requantization.
  public var outputOffset: Int32
  /// One multiplier (per-tensor kernel) or one per output channel (per-channel kernel).
  public var outputMultipliers: [FixedPointMultiplier]
  /// Lower clamp bound.
  public var activationMin: Int32
  /// Upper clamp bound.
  public var activationMax: Int32
  /// Requantization rounding.
  public var roundingMode: RoundingMode

  /// Stores every field as given; `validate` checks them.
  public init(
    inputOffset: Int32 = 0, filterOffset: Int32 = 0, outputOffset: Int32 = 0,
    outputMultipliers: [FixedPointMultiplier], activationMin: Int32 = -128,
    activationMax: Int32 = 127, roundingMode: RoundingMode = .doubleRounding
  ) {
    self.inputOffset = inputOffset
    self.filterOffset = filterOffset
    self.outputOffset = outputOffset
    self.outputMultipliers = outputMultipliers
    self.activationMin = activationMin
    self.activationMax = activationMax
    self.roundingMode = roundingMode
  }

  /// Accumulation-depth limits: per-tensor terms reach `255·255`, per-channel `127·255`.
  public static let maxPerTensorDepth = 33_000
  /// See `maxPerTensorDepth`.
  public static let maxPerChannelDepth = 1 << 16

  /// Checks the layer and returns the output shape `[N, cOut]`.
  ///
  /// - Parameters:
  ///   - inputShape: `[N, cIn]`.
  ///   - filterShape: `[cOut, cIn]`.
  ///   - biasCount: the bias length, or nil when there is no bias.
  ///   - perChannel: which kernel will run (decides the multiplier count and filter offset).
  ///   - bitWidth: the storage format whose offset and clamp ranges apply.
  /// - Returns: the output shape.
  /// - Throws: `QuantizationError` naming the inconsistent shape or parameter.
  public func validate(
    inputShape: Shape, filterShape: Shape, biasCount: Int?, perChannel: Bool,
    bitWidth: BitWidth = .int8
  ) throws(QuantizationError) -> Shape {
    guard inputShape.rank == 2, filterShape.rank == 2, filterShape[1] == inputShape[1],
      inputShape.count > 0, filterShape.count > 0
    else {
      throw .shapeMismatch(
        what: "linear input/filter", expected: "[N, cIn] and [cOut, cIn]",
        actual: "\(inputShape) and \(filterShape)")
    }
    let cOut = filterShape[0]
    let expectedMultipliers = perChannel ? cOut : 1
    guard outputMultipliers.count == expectedMultipliers else {
      throw .shapeMismatch(
        what: "outputMultipliers", expected: "[\(expectedMultipliers)]",
        actual: "[\(outputMultipliers.count)]")
    }
    if let biasCount, biasCount != cOut {
      throw .shapeMismatch(what: "bias", expected: "[\(cOut)]", actual: "[\(biasCount)]")
    }
    if perChannel && filterOffset != 0 {
      throw .invalidParameter(
        name: "filterOffset", value: "\(filterOffset)",
        reason: "per-channel weights are symmetric (zp 0); use the per-tensor kernel")
    }
    try ParameterCheck.inputOffset(filterOffset, name: "filterOffset", bitWidth: bitWidth)
    try ParameterCheck.inputOffset(inputOffset, bitWidth: bitWidth)
    try ParameterCheck.outputOffset(outputOffset, bitWidth: bitWidth)
    try ParameterCheck.clampRange(activationMin, activationMax, bitWidth: bitWidth)
    try ParameterCheck.depth(
      inputShape[1], limit: perChannel ? Self.maxPerChannelDepth : Self.maxPerTensorDepth,
      what: "linear")
    return Shape([inputShape[0], cOut])
  }
}

extension IntegerReference {
  /// Per-tensor int8 linear layer: `acc = Σ_i (w[o,i] + filterOffset)·(x[i] + inputOffset) +
  /// bias[o]`, requantized with the single multiplier, offset and clamped.
  ///
  /// Shapes: input is `[N, cIn]` int8; filter is `[cOut, cIn]` int8; bias `[cOut]` int32 (or
  /// nil); output is `[N, cOut]` int8.
  public static func fullyConnected(
    input: [Int8], inputShape: Shape, filter: [Int8], filterShape: Shape, bias: [Int32]?,
    params p: FullyConnectedParams
  ) -> [Int8] {
    linear(
      input: input, inputShape: inputShape, filter: filter, filterShape: filterShape,
      bias: bias, params: p, perChannel: false)
  }

  /// Per-channel int8 linear layer, requantized with `outputMultipliers[o]`.
  ///
  /// `acc = Σ_i w[o,i]·(x[i] + inputOffset) + bias[o]`; same shapes as `fullyConnected`.
  public static func fullyConnectedPerChannel(
    input: [Int8], inputShape: Shape, filter: [Int8], filterShape: Shape, bias: [Int32]?,
    params p: FullyConnectedParams
  ) -> [Int8] {
    linear(
      input: input, inputShape: inputShape, filter: filter, filterShape: filterShape,
      bias: bias, params: p, perChannel: true)
  }

  private static func linear(
    input: [Int8], inputShape: Shape, filter: [Int8], filterShape: Shape, bias: [Int32]?,
    params p: FullyConnectedParams, perChannel: Bool
  ) -> [Int8] {
    let outputShape = checked { () throws(QuantizationError) in
      try p.validate(
        inputShape: inputShape, filterShape: filterShape, biasCount: bias?.count,
        perChannel: perChannel)
    }
    precondition(
      input.count == inputShape.count, "input has \(input.count) values for \(inputShape)")
    precondition(
      filter.count == filterShape.count, "filter has \(filter.count) values for \(filterShape)")
    let (batches, cIn, cOut) = (inputShape[0], inputShape[1], filterShape[0])
    var output = [Int8](repeating: 0, count: outputShape.count)
    for n in 0..<batches {
      for o in 0..<cOut {
        // acc is Int32: per-tensor terms <= 255·255 with cIn <= 33_000, per-channel terms
        // <= 127·255 with cIn <= 2^16; both sums stay below 2^31.
        var acc: Int32 = 0
        for i in 0..<cIn {
          let x = Int32(input[n * cIn + i]) + p.inputOffset
          let w = Int32(filter[o * cIn + i]) + p.filterOffset
          acc += w * x
        }
        if let bias { acc += bias[o] }
        output[n * cOut + o] = requantize(
          acc, multiplier: p.outputMultipliers[perChannel ? o : 0], mode: p.roundingMode,
          outputOffset: p.outputOffset, activationMin: p.activationMin,
          activationMax: p.activationMax)
      }
    }
    return output
  }
}
