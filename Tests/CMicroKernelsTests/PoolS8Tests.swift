// PoolS8Tests.swift
// mcu_avgpool_s8 and mcu_global_avgpool_s8: hand-computed goldens with ties, then bit-exact
// against IntegerReference.averagePool / globalAveragePool over window × stride × C × shape ×
// padding sweeps.

import CMicroKernels
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct PoolS8Tests {
  static func avgPool(_ input: [Int8], _ inputShape: Shape, _ params: PoolParams) throws -> [Int8] {
    let outputShape = try params.validate(inputShape: inputShape)
    var p = CKernels.poolParams(params)
    var inDims = CKernels.dims(inputShape)
    var outDims = CKernels.dims(outputShape)
    return CKernels.guardedOutput(Int8.self, count: outputShape.count, "mcu_avgpool_s8") { out in
      mcu_avgpool_s8(&p, &inDims, input, &outDims, out)
    }
  }

  static func globalPool(_ input: [Int8], _ inputShape: Shape, min: Int32, max: Int32) -> [Int8] {
    var inDims = CKernels.dims(inputShape)
    let count = inputShape[0] * inputShape[3]
    return CKernels.guardedOutput(Int8.self, count: count, "mcu_global_avgpool_s8") { out in
      mcu_global_avgpool_s8(&inDims, input, min, max, out)
    }
  }

  /// 2×2 windows, stride 2, on the ramp 0..<16 (4×4), by hand: (0+1+4+5)/4 = 2.5 → 3,
  /// 4.5 → 5, 10.5 → 11, 12.5 → 13 (ties away from zero); negated ramp gives −3, −5, −11, −13.
  /// Global: 7.5 → 8 and −7.5 → −8.
  @Test func int8AveragePoolGoldensRoundTiesAwayFromZero() throws {
    let ramp: [Int8] = (0..<16).map { Int8($0) }
    let params = PoolParams(filterH: 2, filterW: 2, strideH: 2, strideW: 2)
    #expect(try Self.avgPool(ramp, [1, 4, 4, 1], params) == [3, 5, 11, 13])
    #expect(try Self.avgPool(ramp.map { -$0 }, [1, 4, 4, 1], params) == [-3, -5, -11, -13])
    #expect(Self.globalPool(ramp, [1, 4, 4, 1], min: -128, max: 127) == [8])
    #expect(Self.globalPool(ramp.map { -$0 }, [1, 4, 4, 1], min: -128, max: 127) == [-8])
    #expect(Self.globalPool(ramp, [1, 4, 4, 1], min: -128, max: 5) == [5])
  }

  @Test func int8AveragePoolMatchesReferenceOverWindowStrideChannelShapeAndPaddingSweep() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0xA0_0000
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
                activationMin: narrow ? -60 : -128, activationMax: narrow ? 60 : 127)
              let expected = IntegerReference.averagePool(
                input: input, inputShape: inputShape, params: params)
              try annotated("seed \(seed), clamp \(params.activationMin)...\(params.activationMax)")
              {
                assertBitExact(
                  try Self.avgPool(input, inputShape, params), expected,
                  "avgpool vs IntegerReference")
              }
              tally.add(expected, params.activationMin...params.activationMax)
            }
          }
        }
      }
    }
    tally.check()
  }

  /// Non-square windows and strides, so that the kernel never mixes up the two axes.
  @Test func int8AveragePoolMatchesReferenceForNonSquareWindowsAndStrides() throws {
    var seed: UInt64 = 0xA1_0000
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
        let expected = IntegerReference.averagePool(
          input: input, inputShape: inputShape, params: params)
        try annotated("seed \(seed)") {
          assertBitExact(
            try Self.avgPool(input, inputShape, params), expected, "avgpool vs IntegerReference")
        }
      }
    }
  }

  @Test func int8GlobalAveragePoolMatchesReferenceOverShapesAndChannels() {
    var seed: UInt64 = 0x6A_0000
    let shapes = [(n: 1, h: 7, w: 7), (n: 1, h: 1, w: 1), (n: 2, h: 9, w: 7), (n: 1, h: 3, w: 5)]
    withEvery("shape", in: shapes) { s in
      withEvery("C", in: SweepShapes.channels) { channels in
        withEvery("clamp", in: [-128...127, -20...20] as [ClosedRange<Int32>]) { clamp in
          seed += 1
          var g = SeededGenerator(seed: seed)
          let inputShape: Shape = [s.n, s.h, s.w, channels]
          // A per-channel mean keeps the averages spread out instead of all near zero.
          let means = (0..<channels).map { _ in Int.random(in: -80...80, using: &g) }
          let input = (0..<inputShape.count).map { i in
            Int8(clamping: means[i % channels] + Int.random(in: -40...40, using: &g))
          }
          let expected = IntegerReference.globalAveragePool(
            input: input, inputShape: inputShape, activationMin: clamp.lowerBound,
            activationMax: clamp.upperBound)
          annotated("seed \(seed)") {
            assertBitExact(
              Self.globalPool(input, inputShape, min: clamp.lowerBound, max: clamp.upperBound),
              expected, "global avgpool vs IntegerReference")
          }
        }
      }
    }
  }
}
