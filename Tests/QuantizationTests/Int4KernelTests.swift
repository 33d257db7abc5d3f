// Int4KernelTests.swift
// The int4 conv, depthwise and pointwise references: a hand-computed golden through packing,
// and a sweep against the int8 im2col formulation on the unpacked values with the int4 clamp.

import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct Int4KernelTests {
  /// A hand-computed int4 conv, through packing and the int4 clamp.
  ///
  /// By hand: input [1, 2, 2, 1] = [−8, 7, 3, −1] packed [0x78, 0xF3]; zp_in = −1 (inputOffset
  /// 1) → [−7, 8, 4, 0]. Channel 0 weights [1, −1, 7, −7]: acc = −7 − 8 + 28 − 0 + bias 2 = 15,
  /// M = 0.25 → 3.75 → 4, zp_out −2 → 2. Channel 1 weights all −7: acc = −7·(−7 + 8 + 4 + 0)
  /// = −35 → −8.75 → −9 → −11 → clamp −8. Output [2, −8] packs to 0x82.
  @Test func golden() throws {
    let input = try PackedInt4(packing: [-8, 7, 3, -1])
    #expect(input.bytes == [0x78, 0xF3])
    let filter = try PackedInt4(packing: [1, -1, 7, -7, -7, -7, -7, -7])
    let quarter = try FixedPointMultiplier(0.25)
    let params = ConvParams(
      inputOffset: 1, outputOffset: -2, outputMultipliers: [quarter, quarter],
      activationMin: -8, activationMax: 7)
    let out = IntegerReference.conv2DPerChannelInt4(
      input: input, inputShape: [1, 2, 2, 1], filter: filter, filterShape: [2, 2, 2, 1],
      bias: [2, 0], params: params)
    #expect(out.unpacked() == [2, -8])
    #expect(out.bytes == [0x82])
  }

  @Test func matchesInt8Im2colOnUnpackedValues() throws {
    var seed: UInt64 = 0x14_0000
    try withEvery("kind", in: IntegerReference.Int4ConvKind.allCases) { kind in
      try withEvery("k", in: kind == .pointwise ? [1] : [1, 3, 5, 7]) { k in
        try withEvery("stride", in: [1, 2]) { stride in
          try withEvery("C", in: [1, 3, 8, 17]) { channels in
            seed += 1
            try Self.checkCase(kind: kind, k: k, stride: stride, channels: channels, seed: seed)
          }
        }
      }
    }
  }

  static func checkCase(
    kind: IntegerReference.Int4ConvKind, k: Int, stride: Int, channels: Int, seed: UInt64
  ) throws {
    var g = SeededGenerator(seed: seed)
    let cOut = kind == .depthwise ? channels : 5
    let inputShape: Shape = [1, 9, 7, channels]
    let filterShape: Shape = kind == .depthwise ? [1, k, k, cOut] : [cOut, k, k, channels]
    let x = g.int8s(inputShape.count, in: -8...7)
    let w = g.int8s(filterShape.count, in: -7...7)
    var bias = g.int32s(cOut, in: -200...200)
    let dense =
      kind == .depthwise
      ? denseFilter(fromDepthwise: w, filterShape: filterShape, cIn: channels) : w
    let denseShape: Shape = [cOut, k, k, channels]
    let pad = kind == .pointwise ? 0 : k / 2
    let params = ConvParams(
      stride: stride, padding: pad, inputOffset: Int32.random(in: -7...8, using: &g),
      outputOffset: Int32.random(in: -3...3, using: &g), outputMultipliers: [],
      activationMin: -8, activationMax: 7,
      roundingMode: seed % 2 == 0 ? .doubleRounding : .singleRounding
    ).calibrated(
      input: x, inputShape: inputShape, filter: dense, filterShape: denseShape, bias: &bias,
      target: 9, using: &g)
    let (px, pw) = (try PackedInt4(packing: x), try PackedInt4(packing: w))
    let actual: PackedInt4
    switch kind {
    case .conv2D:
      actual = IntegerReference.conv2DPerChannelInt4(
        input: px, inputShape: inputShape, filter: pw, filterShape: filterShape, bias: bias,
        params: params)
    case .depthwise:
      actual = IntegerReference.depthwiseConv2DPerChannelInt4(
        input: px, inputShape: inputShape, filter: pw, filterShape: filterShape, bias: bias,
        params: params)
    case .pointwise:
      actual = IntegerReference.pointwiseConv2DPerChannelInt4(
        input: px, inputShape: inputShape, filter: pw, filterShape: filterShape, bias: bias,
        params: params)
    }
    let expected = conv2DByIm2col(
      input: x, inputShape: inputShape, filter: dense, filterShape: denseShape,
      bias: bias, params: params)
    let values = actual.unpacked()
    assertBitExact(values, expected, "int4 \(kind) seed \(seed)")
    #expect(try PackedInt4(packing: expected) == actual, "packing of the expected values")
    #expect(unclampedFraction(values, -8, 7) > 0.4, "seed \(seed): mostly clamped")
  }

  @Test func int4ValidationRejectsInt8RangesAndWeightMinus8() {
    let params = ConvParams(outputMultipliers: [.zero])
    #expect(throws: QuantizationError.self) {
      try params.validateInt4(unpackedInput: [0], unpackedFilter: [0])  // clamp −128...127
    }
    var int4 = params
    int4.activationMin = -8
    int4.activationMax = 7
    #expect(
      throws: QuantizationError.valueOutOfRange(
        what: "int4 filter", index: 1, value: -8, range: -7...7)
    ) {
      try int4.validateInt4(unpackedInput: [0], unpackedFilter: [3, -8])
    }
    #expect(throws: Never.self) {
      try int4.validateInt4(unpackedInput: [-8, 7], unpackedFilter: [-7, 7])
    }
  }
}
