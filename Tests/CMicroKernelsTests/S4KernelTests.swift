// S4KernelTests.swift
// The packed int4 kernels mcu_conv2d_s4, mcu_depthwise_conv2d_s4 and mcu_pointwise_conv2d_s4:
// the nibble helpers against Quantization's Int4 packing, a hand-computed golden, and bit-exact
// sweeps (values and packed bytes) against IntegerReference's int4 kernels.

import CMicroKernels
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct S4KernelTests {
  /// Every byte: low and high nibble sign-extend as Int4.lowNibble / highNibble.
  @Test func int4LoadMatchesInt4NibblesForEveryByte() {
    for byte in UInt8.min...UInt8.max {
      let pair = [byte]
      #expect(mcu_s4_load(pair, 0) == Int32(Int4.lowNibble(byte)), "byte \(byte) low")
      #expect(mcu_s4_load(pair, 1) == Int32(Int4.highNibble(byte)), "byte \(byte) high")
    }
  }

  /// Storing values in order gives PackedInt4's bytes, odd lengths ending in a zero nibble,
  /// whatever the buffer held before.
  @Test func int4StoreInOrderMatchesPackedInt4() throws {
    var g = SeededGenerator(seed: 0x54_0001)
    for count in [1, 2, 3, 16, 17] {
      let values = g.int8s(count, in: -8...7)
      var bytes = [UInt8](repeating: 0xFF, count: Int(mcu_s4_bytes(Int32(count))))
      for (i, v) in values.enumerated() { mcu_s4_store(&bytes, Int32(i), Int32(v)) }
      #expect(bytes == (try PackedInt4(packing: values)).bytes, "count \(count)")
    }
  }

  /// The hand-computed int4 conv of QuantizationTests' Int4KernelTests on the C kernel: input
  /// [−8, 7, 3, −1] (zp_in −1), weights [1, −1, 7, −7] and [−7, −7, −7, −7], M = 0.25, bias
  /// [2, 0], zp_out −2: channel 0 acc 15 → 3.75 → 4 → 2; channel 1 acc −35 → −9 → −11 → −8;
  /// packed 0x82.
  @Test func int4ConvGolden() throws {
    let quarter = try FixedPointMultiplier(0.25)
    let params = ConvParams(
      inputOffset: 1, outputOffset: -2, outputMultipliers: [quarter, quarter],
      activationMin: -8, activationMax: 7)
    let out = CKernels.convS4(
      mcu_conv2d_s4, "mcu_conv2d_s4", input: try PackedInt4(packing: [-8, 7, 3, -1]),
      inputShape: [1, 2, 2, 1], filter: try PackedInt4(packing: [1, -1, 7, -7, -7, -7, -7, -7]),
      filterShape: [2, 2, 2, 1], bias: [2, 0], params: params, outputShape: [1, 1, 1, 2])
    #expect(out == [0x82])
  }

  @Test func int4ConvAndDepthwiseMatchReferenceOverKernelStrideChannelShapeAndPadding() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0x54_0000
    try withEvery("family", in: [ConvFamily.conv, .depthwise]) { family in
      try withEvery("k", in: SweepShapes.kernels) { k in
        try withEvery("stride", in: SweepShapes.strides) { stride in
          try withEvery("cIn", in: SweepShapes.channels) { cIn in
            try withEvery(
              "shape", in: [(n: 1, h: 9, w: 7), (n: 1, h: 1, w: 1), (n: 2, h: 4, w: 5)]
            ) { s in
              let paddings = Padding.variants(k: k, stride: stride, h: s.h, w: s.w)
              try withEvery("pad", in: paddings) { padding in
                seed += 1
                let cOut = family == .depthwise ? cIn : (seed % 2 == 0 ? 4 : 5)
                try ConvCase.random(
                  family, bitWidth: .int4, batch: s.n, h: s.h, w: s.w, cIn: cIn, cOut: cOut,
                  k: k, stride: stride, padding: padding, seed: seed
                ).check(tally: &tally)
              }
            }
          }
        }
      }
    }
    tally.check()
  }

  @Test func int4PointwiseMatchesReferenceOverStrideChannelAndShape() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0x54_1000
    let none = Padding(top: 0, left: 0, bottom: 0, right: 0, name: "none")
    try withEvery("stride", in: SweepShapes.strides) { stride in
      try withEvery("cIn", in: SweepShapes.channels) { cIn in
        try withEvery("cOut", in: [1, 4, 5]) { cOut in
          try withEvery("shape", in: SweepShapes.spatial) { s in
            seed += 1
            try ConvCase.random(
              .pointwise, bitWidth: .int4, batch: s.n, h: s.h, w: s.w, cIn: cIn, cOut: cOut,
              k: 1, stride: stride, padding: none, seed: seed
            ).check(tally: &tally)
          }
        }
      }
    }
    tally.check()
  }
}
