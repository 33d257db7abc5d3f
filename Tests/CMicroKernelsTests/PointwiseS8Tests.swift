// PointwiseS8Tests.swift
// mcu_pointwise_conv2d_s8: a hand-computed golden, then bit-exact against
// IntegerReference.pointwiseConv2DPerChannel over stride × cIn × cOut × shape.

import CMicroKernels
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct PointwiseS8Tests {
  /// Two pixels of three channels, two output channels, stride 1, zp_in = 2 (offset −2), M = 1,
  /// bias [1, −1], by hand: pixel [3, 4, 5] → offset [1, 2, 3]; w0 = [1, 0, −1] → −2 + 1 = −1;
  /// w1 = [2, 2, 2] → 12 − 1 = 11. Pixel [−1, 0, 7] → [−3, −2, 5]: w0 → −8 + 1 = −7;
  /// w1 → 0 − 1 = −1.
  @Test func int8PointwiseGolden() {
    let unit = FixedPointMultiplier(multiplier: 1 << 30, shift: 1)
    let out = CKernels.convS8(
      mcu_pointwise_conv2d_s8, "mcu_pointwise_conv2d_s8", input: [3, 4, 5, -1, 0, 7],
      inputShape: [1, 1, 2, 3], filter: [1, 0, -1, 2, 2, 2], filterShape: [2, 1, 1, 3],
      bias: [1, -1], params: ConvParams(inputOffset: -2, outputMultipliers: [unit, unit]),
      outputShape: [1, 1, 2, 2])
    #expect(out == [-1, 11, -7, -1])
  }

  @Test func int8PointwiseMatchesReferenceOverStrideChannelAndShapeSweep() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0x90_0000
    let none = Padding(top: 0, left: 0, bottom: 0, right: 0, name: "none")
    try withEvery("stride", in: SweepShapes.strides) { stride in
      try withEvery("cIn", in: SweepShapes.channels + [64]) { cIn in
        try withEvery("cOut", in: [1, 4, 5, 17]) { cOut in
          try withEvery("shape", in: SweepShapes.spatial) { s in
            seed += 1
            try ConvCase.random(
              .pointwise, batch: s.n, h: s.h, w: s.w, cIn: cIn, cOut: cOut, k: 1, stride: stride,
              padding: none, seed: seed
            ).check(tally: &tally)
          }
        }
      }
    }
    tally.check()
  }
}
