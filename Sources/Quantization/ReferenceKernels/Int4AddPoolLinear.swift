// Int4AddPoolLinear.swift
// Integer references of the int4 ADD, average pool, global average pool and per-channel linear
// layer (the rest of an MCUNet int4 model beside Int4Kernels.swift's conv family): packed int4
// tensors (Int4.swift) unpacked to Int8, the int8 reference arithmetic unchanged (TFLite's ADD
// with left shift 20, TFLM's rounded average, per-channel requantization), an int4 clamp, and
// the result packed again. Parameters are validated against int4's ranges first.

import TensorModule

extension IntegerReference {
  /// Element-wise int4 ADD: `add` on the unpacked values, parameters checked for int4
  /// (offsets `−zp` with `zp` in `-8...7`, clamp inside `-8...7`).
  ///
  /// Shapes: `input1`, `input2` and the output hold the same number of packed int4 values.
  /// Bound: `|x + offset| <= 15`, so `(x + offset)·2^20 < 2^24`.
  public static func addInt4(_ input1: PackedInt4, _ input2: PackedInt4, params p: AddParams)
    -> PackedInt4
  {
    checked { () throws(QuantizationError) in try p.validate(bitWidth: .int4) }
    precondition(
      input1.count == input2.count, "add inputs differ in size: \(input1.count) vs \(input2.count)")
    let y = add(input1.unpacked(), input2.unpacked(), params: p)
    return checked { () throws(QuantizationError) in try PackedInt4(packing: y) }
  }

  /// Int4 average pool: `averagePool` on the unpacked values with an int4 clamp (input and
  /// output share scale and zero point; the average of int4 values is an int4 value).
  ///
  /// Shapes: input `[N, H, W, C]` and output `[N, oH, oW, C]`, packed int4.
  public static func averagePoolInt4(input: PackedInt4, inputShape: Shape, params p: PoolParams)
    -> PackedInt4
  {
    checked { () throws(QuantizationError) in
      _ = try p.validate(inputShape: inputShape, bitWidth: .int4)
    }
    precondition(
      input.count == inputShape.count, "input has \(input.count) values for \(inputShape)")
    let y = averagePool(input: input.unpacked(), inputShape: inputShape, params: p)
    return checked { () throws(QuantizationError) in try PackedInt4(packing: y) }
  }

  /// Int4 global average pool: `averagePoolInt4` with an `H×W` window, stride 1, no padding.
  ///
  /// Shapes: input `[N, H, W, C]`, output `[N, 1, 1, C]`, packed int4.
  public static func globalAveragePoolInt4(
    input: PackedInt4, inputShape: Shape, activationMin: Int32 = -8, activationMax: Int32 = 7
  ) -> PackedInt4 {
    precondition(inputShape.rank == 4, "global average pool input must be [N, H, W, C]")
    let params = PoolParams(
      filterH: inputShape[1], filterW: inputShape[2], strideH: 1, strideW: 1,
      activationMin: activationMin, activationMax: activationMax)
    return averagePoolInt4(input: input, inputShape: inputShape, params: params)
  }

  /// Per-channel int4 linear layer: `fullyConnectedPerChannel` on the unpacked values with an
  /// int4 clamp; weights must lie in `-7...7`.
  ///
  /// Shapes: input `[N, cIn]`, filter `[cOut, cIn]`, output `[N, cOut]`, all packed int4 in
  /// that flat order; bias `[cOut]` int32 (or nil). Accumulator bound: `cIn <= 2^16` terms of
  /// `|w·(x + inputOffset)| <= 7·15`.
  public static func fullyConnectedPerChannelInt4(
    input: PackedInt4, inputShape: Shape, filter: PackedInt4, filterShape: Shape,
    bias: [Int32]?, params p: FullyConnectedParams
  ) -> PackedInt4 {
    precondition(
      input.count == inputShape.count, "input has \(input.count) values for \(inputShape)")
    precondition(
      filter.count == filterShape.count, "filter has \(filter.count) values for \(filterShape)")
    let w = filter.unpacked()
    checked { () throws(QuantizationError) in
      _ = try p.validate(
        inputShape: inputShape, filterShape: filterShape, biasCount: bias?.count,
        perChannel: true, bitWidth: .int4)
      try Int4.validate(w, range: BitWidth.int4.weightRange, what: "int4 filter")
    }
    let y = fullyConnectedPerChannel(
      input: input.unpacked(), inputShape: inputShape, filter: w, filterShape: filterShape,
      bias: bias, params: p)
    return checked { () throws(QuantizationError) in try PackedInt4(packing: y) }
  }
}
