// Int4Kernels.swift
// Integer references of the int4 conv, depthwise and pointwise layers (MCUNet Table 4): packed
// int4 activations and weights (format in Int4.swift), unpacked to Int8, the int8 arithmetic
// unchanged, an int4 clamp, and the result packed again. The arithmetic is shared on purpose:
// int4 differs from int8 only in storage and clamp range.

import TensorModule

extension ConvParams {
  /// Checks that the parameters fit int4 tensors: offsets and clamp in `-8...7`, and that the
  /// unpacked weights lie in `-7...7` and the unpacked input in `-8...7`.
  ///
  /// - Throws: `QuantizationError` naming the first out-of-range parameter or value.
  public func validateInt4(unpackedInput: [Int8], unpackedFilter: [Int8])
    throws(QuantizationError)
  {
    try ParameterCheck.inputOffset(inputOffset, bitWidth: .int4)
    try ParameterCheck.outputOffset(outputOffset, bitWidth: .int4)
    try ParameterCheck.clampRange(activationMin, activationMax, bitWidth: .int4)
    try Int4.validate(unpackedFilter, range: BitWidth.int4.weightRange, what: "int4 filter")
    try Int4.validate(unpackedInput, range: BitWidth.int4.activationRange, what: "int4 input")
  }
}

extension IntegerReference {
  /// The int4 operator shapes: which int8 reference computes the arithmetic.
  public enum Int4ConvKind: String, Sendable, CaseIterable {
    case conv2D
    case depthwise
    case pointwise
  }

  /// Per-channel int4 convolution: `conv2DPerChannel` on the unpacked values with an int4 clamp.
  ///
  /// Shapes: input `[N, H, W, cIn]`, filter `[cOut, kH, kW, cIn]` (OHWI), both packed int4 flat
  /// in that order; bias `[cOut]` int32 (or nil); output `[N, oH, oW, cOut]` packed int4.
  public static func conv2DPerChannelInt4(
    input: PackedInt4, inputShape: Shape, filter: PackedInt4, filterShape: Shape,
    bias: [Int32]?, params: ConvParams
  ) -> PackedInt4 {
    int4Conv(
      .conv2D, input: input, inputShape: inputShape, filter: filter, filterShape: filterShape,
      bias: bias, params: params)
  }

  /// Per-channel int4 depthwise convolution (filter `[1, kH, kW, cOut]`, 1HWO, packed int4).
  public static func depthwiseConv2DPerChannelInt4(
    input: PackedInt4, inputShape: Shape, filter: PackedInt4, filterShape: Shape,
    bias: [Int32]?, params: ConvParams
  ) -> PackedInt4 {
    int4Conv(
      .depthwise, input: input, inputShape: inputShape, filter: filter, filterShape: filterShape,
      bias: bias, params: params)
  }

  /// Per-channel int4 pointwise convolution (filter `[cOut, 1, 1, cIn]`, packed int4).
  public static func pointwiseConv2DPerChannelInt4(
    input: PackedInt4, inputShape: Shape, filter: PackedInt4, filterShape: Shape,
    bias: [Int32]?, params: ConvParams
  ) -> PackedInt4 {
    int4Conv(
      .pointwise, input: input, inputShape: inputShape, filter: filter, filterShape: filterShape,
      bias: bias, params: params)
  }

  private static func int4Conv(
    _ kind: Int4ConvKind, input: PackedInt4, inputShape: Shape, filter: PackedInt4,
    filterShape: Shape, bias: [Int32]?, params: ConvParams
  ) -> PackedInt4 {
    precondition(
      input.count == inputShape.count, "input has \(input.count) values for \(inputShape)")
    precondition(
      filter.count == filterShape.count, "filter has \(filter.count) values for \(filterShape)")
    let x = input.unpacked()
    let w = filter.unpacked()
    checked { () throws(QuantizationError) in
      try params.validateInt4(unpackedInput: x, unpackedFilter: w)
    }
    let y: [Int8]
    switch kind {
    case .conv2D:
      y = conv2DPerChannel(
        input: x, inputShape: inputShape, filter: w, filterShape: filterShape, bias: bias,
        params: params)
    case .depthwise:
      y = depthwiseConv2DPerChannel(
        input: x, inputShape: inputShape, filter: w, filterShape: filterShape, bias: bias,
        params: params)
    case .pointwise:
      y = pointwiseConv2DPerChannel(
        input: x, inputShape: inputShape, filter: w, filterShape: filterShape, bias: bias,
        params: params)
    }
    // The clamp already limited y to activationMin...activationMax inside -8...7.
    return checked { () throws(QuantizationError) in try PackedInt4(packing: y) }
  }
}
