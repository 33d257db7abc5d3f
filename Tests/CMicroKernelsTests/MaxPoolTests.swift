// MaxPoolTests.swift
// mcu_maxpool_s8 and mcu_maxpool_s4: hand-computed goldens (padding never wins, the clamp
// applies), then bit-exact against IntegerReference.maxPool / maxPoolInt4 over window × stride
// × C × shape × padding sweeps, in the style of PoolS8Tests and S4AddPoolLinearTests.

import CMicroKernels
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct MaxPoolTests {
  static func maxPool(_ input: [Int8], _ inputShape: Shape, _ params: PoolParams) throws -> [Int8] {
    let outputShape = try params.validate(inputShape: inputShape)
    var p = CKernels.poolParams(params)
    var inDims = CKernels.dims(inputShape)
    var outDims = CKernels.dims(outputShape)
    #expect(mcu_maxpool_s8_scratch_bytes(&p, &inDims, &outDims) == 0)
    return CKernels.guardedOutput(Int8.self, count: outputShape.count, "mcu_maxpool_s8") { out in
      mcu_maxpool_s8(&p, &inDims, input, &outDims, out)
    }
  }

  static func maxPoolS4(_ input: PackedInt4, _ inputShape: Shape, _ params: PoolParams) throws
    -> [UInt8]
  {
    let outputShape = try params.validate(inputShape: inputShape, bitWidth: .int4)
    var p = CKernels.poolParams(params)
    var inDims = CKernels.dims(inputShape)
    var outDims = CKernels.dims(outputShape)
    #expect(mcu_maxpool_s4_scratch_bytes(&p, &inDims, &outDims) == 0)
    let bytes = (outputShape.count + 1) / 2
    return CKernels.guardedOutput(UInt8.self, count: bytes, "mcu_maxpool_s4") { out in
      mcu_maxpool_s4(&p, &inDims, input.bytes, &outDims, out)
    }
  }

  /// 2×2 windows, stride 2, on the ramp 0..<16 (4×4), by hand: max{0, 1, 4, 5} = 5, then 7,
  /// 13, 15; the negated ramp gives 0, −2, −8, −10. A 3×3 'same' pool over the all-negative
  /// 2×2 [−5, −6, −7, −8] sees all four values in every window: −5 everywhere (reading the
  /// padding as 0 would give 0); with the clamp at −3 it is −3.
  @Test func int8MaxPoolGoldens() throws {
    let ramp: [Int8] = (0..<16).map { Int8($0) }
    let params = PoolParams(filterH: 2, filterW: 2, strideH: 2, strideW: 2)
    #expect(try Self.maxPool(ramp, [1, 4, 4, 1], params) == [5, 7, 13, 15])
    #expect(
      IntegerReference.maxPool(input: ramp, inputShape: [1, 4, 4, 1], params: params) == [
        5, 7, 13, 15,
      ])
    #expect(try Self.maxPool(ramp.map { -$0 }, [1, 4, 4, 1], params) == [0, -2, -8, -10])
    let negative: [Int8] = [-5, -6, -7, -8]
    let same = PoolParams(
      filterH: 3, filterW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, padBottom: 1,
      padRight: 1)
    #expect(try Self.maxPool(negative, [1, 2, 2, 1], same) == [-5, -5, -5, -5])
    #expect(
      IntegerReference.maxPool(input: negative, inputShape: [1, 2, 2, 1], params: same) == [
        -5, -5, -5, -5,
      ])
    var clamped = same
    clamped.activationMin = -3
    #expect(try Self.maxPool(negative, [1, 2, 2, 1], clamped) == [-3, -3, -3, -3])
  }

  /// int4 ramp −8..<8 (4×4), 2×2 stride 2: −3, −1, 5, 7, packed low nibble first as 0xFD, 0x75.
  @Test func int4MaxPoolGolden() throws {
    let ramp = try PackedInt4(packing: (0..<16).map { Int8($0 - 8) })
    let params = PoolParams(
      filterH: 2, filterW: 2, strideH: 2, strideW: 2, activationMin: -8, activationMax: 7)
    let reference = IntegerReference.maxPoolInt4(
      input: ramp, inputShape: [1, 4, 4, 1], params: params)
    #expect(reference.unpacked() == [-3, -1, 5, 7])
    #expect(try Self.maxPoolS4(ramp, [1, 4, 4, 1], params) == [0xFD, 0x75])
  }

  @Test func nullPointersReturnArgError() {
    var p = CKernels.poolParams(PoolParams(filterH: 1, filterW: 1, strideH: 1, strideW: 1))
    var dims = CKernels.dims([1, 1, 1, 1])
    var out: [Int8] = [0]
    #expect(mcu_maxpool_s8(&p, &dims, nil, &dims, &out) == MCU_ARG_ERROR)
    var packed: [UInt8] = [0]
    #expect(mcu_maxpool_s4(nil, &dims, [0], &dims, &packed) == MCU_ARG_ERROR)
  }

  @Test func int8MaxPoolMatchesReferenceOverWindowStrideChannelShapeAndPaddingSweep() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0x3A_0000
    try withEvery("k", in: [1, 2, 3, 5, 7]) { k in
      try withEvery("stride", in: SweepShapes.strides) { stride in
        try withEvery("C", in: SweepShapes.channels) { channels in
          try withEvery("shape", in: SweepShapes.spatial) { s in
            let paddings = Padding.variants(k: k, stride: stride, h: s.h, w: s.w, poolRules: true)
            try withEvery("pad", in: paddings) { padding in
              seed += 1
              var g = SeededGenerator(seed: seed)
              let inputShape: Shape = [s.n, s.h, s.w, channels]
              let input = g.int8s(inputShape.count, in: -128...127)
              let narrow = Bool.random(using: &g)
              let params = PoolParams(
                filterH: k, filterW: k, strideH: stride, strideW: stride, padTop: padding.top,
                padLeft: padding.left, padBottom: padding.bottom, padRight: padding.right,
                activationMin: narrow ? -60 : -128, activationMax: narrow ? 100 : 127)
              let expected = IntegerReference.maxPool(
                input: input, inputShape: inputShape, params: params)
              try annotated("seed \(seed), clamp \(params.activationMin)...\(params.activationMax)")
              {
                assertBitExact(
                  try Self.maxPool(input, inputShape, params), expected,
                  "maxpool vs IntegerReference")
              }
              tally.add(expected, params.activationMin...params.activationMax)
            }
          }
        }
      }
    }
    // Window maxima crowd the top of the range, so fewer stay strictly inside the clamp.
    tally.check(minInside: 0.2)
  }

  /// Non-square windows and strides, so that the kernel never mixes up the two axes.
  @Test func int8MaxPoolMatchesReferenceForNonSquareWindowsAndStrides() throws {
    var seed: UInt64 = 0x3B_0000
    let windows = [(h: 2, w: 3), (h: 3, w: 1), (h: 1, w: 5)]
    let strides = [(h: 1, w: 2), (h: 2, w: 1), (h: 3, w: 2)]
    try withEvery("window", in: windows) { k in
      try withEvery("stride", in: strides) { stride in
        seed += 1
        var g = SeededGenerator(seed: seed)
        let inputShape: Shape = [1, 9, 7, 3]
        let input = g.int8s(inputShape.count, in: -128...127)
        let params = PoolParams(
          filterH: k.h, filterW: k.w, strideH: stride.h, strideW: stride.w, padTop: k.h - 1,
          padLeft: k.w / 2, padBottom: 0, padRight: k.w - 1)
        let expected = IntegerReference.maxPool(
          input: input, inputShape: inputShape, params: params)
        try annotated("seed \(seed)") {
          assertBitExact(
            try Self.maxPool(input, inputShape, params), expected, "maxpool vs IntegerReference")
        }
      }
    }
  }

  @Test func int4MaxPoolMatchesReferenceOverWindowStrideChannelShapeAndPaddingSweep() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0x3C_0000
    try withEvery("k", in: [1, 2, 3, 5]) { k in
      try withEvery("stride", in: SweepShapes.strides) { stride in
        try withEvery("C", in: SweepShapes.channels) { channels in
          try withEvery("shape", in: SweepShapes.spatial) { s in
            let paddings = Padding.variants(k: k, stride: stride, h: s.h, w: s.w, poolRules: true)
            try withEvery("pad", in: paddings) { padding in
              seed += 1
              var g = SeededGenerator(seed: seed)
              let inputShape: Shape = [s.n, s.h, s.w, channels]
              let input = try PackedInt4(packing: g.int8s(inputShape.count, in: -8...7))
              let narrow = Bool.random(using: &g)
              let params = PoolParams(
                filterH: k, filterW: k, strideH: stride, strideW: stride, padTop: padding.top,
                padLeft: padding.left, padBottom: padding.bottom, padRight: padding.right,
                activationMin: narrow ? -3 : -8, activationMax: narrow ? 5 : 7)
              let expected = IntegerReference.maxPoolInt4(
                input: input, inputShape: inputShape, params: params)
              try annotated("seed \(seed), clamp \(params.activationMin)...\(params.activationMax)")
              {
                try S4AddPoolLinearTests.expectSame(
                  try Self.maxPoolS4(input, inputShape, params), expected, "maxpool s4")
              }
              tally.add(expected.unpacked(), params.activationMin...params.activationMax)
            }
          }
        }
      }
    }
    tally.check(minInside: 0.2)
  }
}
