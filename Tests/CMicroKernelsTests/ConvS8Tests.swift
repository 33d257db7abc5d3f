// ConvS8Tests.swift
// mcu_conv2d_s8: hand-computed goldens on the C kernel itself (STYLE.md B6.2), then bit-exact
// against IntegerReference.conv2DPerChannel over k × stride × cIn × cOut × shape × padding
// (B6.3, B6.4).

import CMicroKernels
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct ConvS8Tests {
  /// M = 1.0 is (2^30, shift 1).
  static let unit = FixedPointMultiplier(multiplier: 1 << 30, shift: 1)
  /// Input 0..<16 as [1, 4, 4, 1]: value at (y, x) is 4y + x.
  static let ramp: [Int8] = (0..<16).map { Int8($0) }

  static func run(_ params: ConvParams, filter: [Int8], filterShape: Shape, bias: [Int32]? = nil)
    throws -> [Int8]
  {
    let outputShape = try params.validateConv2D(
      inputShape: [1, 4, 4, 1], filterShape: filterShape, biasCount: bias?.count)
    return CKernels.convS8(
      mcu_conv2d_s8, "mcu_conv2d_s8", input: ramp, inputShape: [1, 4, 4, 1], filter: filter,
      filterShape: filterShape, bias: bias, params: params, outputShape: outputShape)
  }

  /// Filter 0..<4 = [[0, 1], [2, 3]], by hand: out(y, x) = 1·in(y, x+1) + 2·in(y+1, x) +
  /// 3·in(y+1, x+1) = (4y+x+1) + 2(4y+x+4) + 3(4y+x+5) = 24y + 6x + 24.
  @Test func int8ConvRampGoldenStride1AndStride2() throws {
    let stride1 = try Self.run(
      ConvParams(outputMultipliers: [Self.unit]), filter: [0, 1, 2, 3], filterShape: [1, 2, 2, 1])
    #expect(stride1 == [24, 30, 36, 48, 54, 60, 72, 78, 84])
    let stride2 = try Self.run(
      ConvParams(stride: 2, outputMultipliers: [Self.unit]), filter: [0, 1, 2, 3],
      filterShape: [1, 2, 2, 1])
    #expect(stride2 == [24, 36, 72, 84])
  }

  /// Padding top = left = 1 only: row 0 sees the bottom filter row, 2·in(0, x−1) + 3·in(0, x) =
  /// [0, 3, 8, 13]; column 0 sees the right column, in(y−1, 0) + 3·in(y, 0) = [12, 28, 44].
  @Test func int8ConvRampGoldenAsymmetricPadding() throws {
    let params = ConvParams(
      strideH: 1, strideW: 1, padTop: 1, padLeft: 1, padBottom: 0, padRight: 0, inputOffset: 0,
      outputOffset: 0, outputMultipliers: [Self.unit])
    let out = try Self.run(params, filter: [0, 1, 2, 3], filterShape: [1, 2, 2, 1])
    #expect(out == [0, 3, 8, 13, 12, 24, 30, 36, 28, 48, 54, 60, 44, 72, 78, 84])
  }

  /// Offsets, bias, two channels, stride 2, by hand: zp_in = 1 subtracts Σw.
  /// oc 0: [0,1,2,3], Σw 6, bias 10, M 0.5: raw [24,36,72,84] → acc [28,40,76,88] → [14,20,38,44]
  /// → zp_out −5 → [9, 15, 33, 39]. oc 1: [1,−1,0,2]: raw 8y + 2x + 9 = [9,13,25,29], Σw 2,
  /// bias −3 → [4,8,20,24], M 0.375 → [1.5, 3, 7.5, 9] → [2, 3, 8, 9] → [−3, −2, 3, 4]; the
  /// ties 1.5 and 7.5 round up in both modes. ReLU-style clamp −4...35 cuts 39 to 35.
  @Test(arguments: RoundingMode.allCases)
  func int8ConvGoldenWithOffsetsBiasAndPerChannelMultipliers(mode: RoundingMode) throws {
    let params = ConvParams(
      stride: 2, inputOffset: -1, outputOffset: -5,
      outputMultipliers: [try FixedPointMultiplier(0.5), try FixedPointMultiplier(0.375)],
      activationMin: -4, activationMax: 35, roundingMode: mode)
    let out = try Self.run(
      params, filter: [0, 1, 2, 3, 1, -1, 0, 2], filterShape: [2, 2, 2, 1], bias: [10, -3])
    #expect(out == [9, -3, 15, -2, 33, 3, 35, 4])
  }

  @Test func int8ConvMatchesReferenceOverKernelStrideChannelShapeAndPaddingSweep() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0xC0_0000
    var cases = 0
    try withEvery("k", in: SweepShapes.kernels) { k in
      try withEvery("stride", in: SweepShapes.strides) { stride in
        try withEvery("cIn", in: SweepShapes.channels) { cIn in
          try withEvery("cOut", in: [4, 5]) { cOut in
            try withEvery("shape", in: SweepShapes.spatial) { s in
              let paddings = Padding.variants(k: k, stride: stride, h: s.h, w: s.w)
              try withEvery("pad", in: paddings) { padding in
                seed += 1
                cases += 1
                try ConvCase.random(
                  .conv, batch: s.n, h: s.h, w: s.w, cIn: cIn, cOut: cOut, k: k, stride: stride,
                  padding: padding, seed: seed
                ).check(tally: &tally)
              }
            }
          }
        }
      }
    }
    #expect(cases > 500)
    tally.check()
  }

  /// Non-square windows and strides (kH ≠ kW, strideH ≠ strideW) for conv, depthwise and
  /// pointwise, int8 and int4, so that no kernel mixes up the two axes.
  @Test func convFamilyMatchesReferenceForNonSquareKernelsAndStrides() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0xC1_0000
    let windows = [(kH: 1, kW: 3), (kH: 3, kW: 1), (kH: 3, kW: 5), (kH: 5, kW: 2)]
    let strides = [(h: 1, w: 2), (h: 2, w: 1), (h: 2, w: 3)]
    try withEvery("family", in: [ConvFamily.conv, .depthwise]) { family in
      try withEvery("bits", in: [BitWidth.int8, .int4]) { bits in
        try withEvery("window", in: windows) { k in
          try withEvery("stride", in: strides) { stride in
            try withEvery("C", in: [3, 8]) { channels in
              seed += 1
              let padding = Padding(
                top: k.kH / 2, left: k.kW - 1, bottom: (k.kH - 1) / 2, right: 0, name: "mixed")
              try ConvCase.random(
                family, bitWidth: bits, batch: 1, h: 9, w: 7, cIn: channels,
                cOut: family == .depthwise ? channels : 5, k: k.kH, kW: k.kW, stride: stride.h,
                strideW: stride.w, padding: padding, seed: seed
              ).check(tally: &tally)
            }
          }
        }
      }
    }
    let none = Padding(top: 0, left: 0, bottom: 0, right: 0, name: "none")
    try withEvery("family", in: [ConvFamily.pointwise]) { family in
      try withEvery("bits", in: [BitWidth.int8, .int4]) { bits in
        try withEvery("stride", in: strides) { stride in
          seed += 1
          try ConvCase.random(
            family, bitWidth: bits, batch: 1, h: 9, w: 7, cIn: 8, cOut: 5, k: 1,
            stride: stride.h, strideW: stride.w, padding: none, seed: seed
          ).check(tally: &tally)
        }
      }
    }
    tally.check()
  }
}
