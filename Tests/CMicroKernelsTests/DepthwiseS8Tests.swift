// DepthwiseS8Tests.swift
// mcu_depthwise_conv2d_s8 and the in-place mcu_depthwise_conv2d_s8_inplace: a hand-computed
// golden on both, the out-of-place kernel bit-exact against IntegerReference over the full sweep
// (and depth multiplier 2), and the in-place kernel bit-exact against both for strides 1 and 2,
// with its stated scratch checked against the formula and guarded against overruns.

import CMicroKernels
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct DepthwiseS8Tests {
  static let unit = FixedPointMultiplier(multiplier: 1 << 30, shift: 1)

  /// Two channels, both the ramp 0..<16 on a 4×4 grid, 2×2 filter, valid, M = 1. Channel 0
  /// filter [0, 1, 2, 3]: 24y + 6x + 24 (as the conv golden). Channel 1 filter all ones: the
  /// 2×2 block sum (4y+x)(4) + 1 + 4 + 5 = 16y + 4x + 10.
  static let goldenInput: [Int8] = (0..<16).flatMap { [Int8($0), Int8($0)] }
  static let goldenFilter: [Int8] = [0, 1, 1, 1, 2, 1, 3, 1]  // 1HWO: [ky][kx][c]
  static let goldenOutput: [Int8] = [
    24, 10, 30, 14, 36, 18, 48, 26, 54, 30, 60, 34, 72, 42, 78, 46, 84, 50,
  ]

  @Test func int8DepthwiseRampGoldenOutOfPlaceAndInPlace() throws {
    let params = ConvParams(outputMultipliers: [Self.unit, Self.unit])
    let outputShape: Shape = [1, 3, 3, 2]
    let out = CKernels.convS8(
      mcu_depthwise_conv2d_s8, "mcu_depthwise_conv2d_s8", input: Self.goldenInput,
      inputShape: [1, 4, 4, 2], filter: Self.goldenFilter, filterShape: [1, 2, 2, 2], bias: nil,
      params: params, outputShape: outputShape)
    #expect(out == Self.goldenOutput)
    let inPlace = CKernels.depthwiseInPlace(
      input: Self.goldenInput, inputShape: [1, 4, 4, 2], filter: Self.goldenFilter,
      filterShape: [1, 2, 2, 2], bias: nil, params: params, outputShape: outputShape)
    #expect(inPlace.status == MCU_OK)
    #expect(inPlace.output == Self.goldenOutput)
    #expect(inPlace.scratchBytes == 16, "one unpadded 4×4 channel plane")
  }

  @Test func int8DepthwiseMatchesReferenceOverKernelStrideChannelShapeAndPaddingSweep() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0xD0_0000
    try withEvery("k", in: SweepShapes.kernels) { k in
      try withEvery("stride", in: SweepShapes.strides) { stride in
        try withEvery("C", in: SweepShapes.channels) { channels in
          try withEvery("shape", in: SweepShapes.spatial) { s in
            let paddings = Padding.variants(k: k, stride: stride, h: s.h, w: s.w)
            try withEvery("pad", in: paddings) { padding in
              seed += 1
              try ConvCase.random(
                .depthwise, batch: s.n, h: s.h, w: s.w, cIn: channels, cOut: channels, k: k,
                stride: stride, padding: padding, seed: seed
              ).check(tally: &tally)
            }
          }
        }
      }
    }
    tally.check()
  }

  @Test func int8DepthwiseWithDepthMultiplier2MatchesReference() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0xD2_0000
    try withEvery("k", in: [1, 3, 5]) { k in
      try withEvery("stride", in: SweepShapes.strides) { stride in
        try withEvery("cIn", in: [1, 3, 8]) { cIn in
          seed += 1
          let padding = Padding(top: k / 2, left: k / 2, bottom: k / 2, right: k / 2, name: "same")
          try ConvCase.random(
            .depthwise, batch: 1, h: 7, w: 5, cIn: cIn, cOut: 2 * cIn, k: k, stride: stride,
            padding: padding, seed: seed
          ).check(tally: &tally)
        }
      }
    }
    tally.check()
  }

  /// The in-place kernel against the out-of-place C kernel and the reference, for every padding
  /// variant whose output is not larger than the input (the in-place precondition).
  @Test func int8DepthwiseInPlaceEqualsOutOfPlaceForStride1And2() throws {
    var seed: UInt64 = 0xD1_0000
    var cases = 0
    try withEvery("k", in: [1, 3, 5, 7]) { k in
      try withEvery("stride", in: SweepShapes.strides) { stride in
        try withEvery("C", in: SweepShapes.channels) { channels in
          let shapes = [
            (n: 1, h: 9, w: 7), (n: 1, h: 5, w: 5), (n: 1, h: 7, w: 9), (n: 2, h: 6, w: 4),
          ]
          try withEvery("shape", in: shapes) { s in
            let paddings = Padding.variants(k: k, stride: stride, h: s.h, w: s.w)
            try withEvery("pad", in: paddings) { padding in
              seed += 1
              let c = try ConvCase.random(
                .depthwise, batch: s.n, h: s.h, w: s.w, cIn: channels, cOut: channels, k: k,
                stride: stride, padding: padding, seed: seed)
              guard c.outputShape[1] * c.outputShape[2] <= s.h * s.w else { return }
              cases += 1
              try annotated(c.description) {
                let result = CKernels.depthwiseInPlace(
                  input: c.input, inputShape: c.inputShape, filter: c.filter,
                  filterShape: c.filterShape, bias: c.bias, params: c.params,
                  outputShape: c.outputShape)
                #expect(result.status == MCU_OK)
                let paddedH = s.h + padding.top + padding.bottom
                let paddedW = s.w + padding.left + padding.right
                #expect(result.scratchBytes == paddedH * paddedW, "(H+pt+pb)·(W+pl+pr) bytes")
                assertBitExact(result.output, c.runS8(), "in-place vs out-of-place C kernel")
                assertBitExact(result.output, try c.reference(), "in-place vs IntegerReference")
              }
            }
          }
        }
      }
    }
    #expect(cases > 300)
  }

  /// A padding that makes the output larger than the input cannot run in place: the kernel
  /// refuses (MCU_ARG_ERROR) and leaves the tensor untouched; so does a depth multiplier of 2.
  @Test func int8DepthwiseInPlaceRefusesALargerOutputOrDepthMultiplier() throws {
    let input: [Int8] = (0..<12).map { Int8($0) }
    let grow = ConvParams(padding: 1, outputMultipliers: [Self.unit, Self.unit, Self.unit])
    let grown = CKernels.depthwiseInPlace(
      input: input, inputShape: [1, 2, 2, 3], filter: [Int8](repeating: 1, count: 3),
      filterShape: [1, 1, 1, 3], bias: nil, params: grow, outputShape: [1, 4, 4, 3])
    #expect(grown.status == MCU_ARG_ERROR)
    #expect(grown.output == input)
    let six = [FixedPointMultiplier](repeating: Self.unit, count: 6)
    let multiplied = CKernels.depthwiseInPlace(
      input: input, inputShape: [1, 2, 2, 3], filter: [Int8](repeating: 1, count: 6),
      filterShape: [1, 1, 1, 6], bias: nil, params: ConvParams(outputMultipliers: six),
      outputShape: [1, 2, 2, 6])
    #expect(multiplied.status == MCU_ARG_ERROR)
    #expect(multiplied.output == input)
  }
}
