// WeightQuantizationTests.swift
// Per-channel symmetric weights (OHWI and 1HWO), int32 bias, per-channel multipliers and
// TinyEngine's bias folding.

import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct WeightQuantizationTests {
  /// By hand, OHWI [2, 1, 1, 3]: channel 0 max|w| = 2.54 → scale 0.02, values round(w/0.02):
  /// [1.0 → 50, −2.54 → −127, 0.011 → 0.55 → 1]; channel 1 is all zero →
  /// scale 1, values 0.
  @Test func ohwiGolden() throws {
    let q = try quantizeWeightsPerChannel(
      weights: [1.0, -2.54, 0.011, 0, 0, 0], shape: [2, 1, 1, 3], layout: .ohwi)
    #expect(q.values == [50, -127, 1, 0, 0, 0])
    #expect(q.scales == [Float(2.54) / 127, 1])
  }

  /// 1HWO [1, 2, 1, 2]: channels interleave (last dimension).
  ///
  /// By hand: channel 0 = {0.7, −0.36} →
  /// scale 0.7/127, values [127, round(−0.36·127/0.7 = −65.3) = −65]; channel 1 = {−1.4, 1.4}
  /// → [−127, 127].
  @Test func oneHWOGolden() throws {
    let q = try quantizeWeightsPerChannel(
      weights: [0.7, -1.4, -0.36, 1.4], shape: [1, 2, 1, 2], layout: .oneHWO)
    #expect(q.values == [127, -127, -65, 127])
    #expect(q.scales == [Float(0.7) / 127, Float(1.4) / 127])
  }

  @Test(arguments: BitWidth.allCases)
  func perChannelRoundTripWithinHalfScaleAndRangeIsSymmetric(bitWidth: BitWidth) throws {
    var g = SeededGenerator(seed: 0x5EED_0301)
    let shape: Shape = [5, 3, 3, 7]
    for layout in WeightLayout.allCases {
      let weights = (0..<shape.count).map { _ in Float.random(in: -3...3, using: &g) }
      let q = try quantizeWeightsPerChannel(
        weights: weights, shape: shape, layout: layout, bitWidth: bitWidth)
      #expect(q.values.allSatisfy { bitWidth.weightRange.contains(Int32($0)) })
      // Each channel's largest weight maps to ±qmax exactly.
      #expect(
        q.values.contains(Int8(bitWidth.weightRange.upperBound))
          || q.values.contains(Int8(bitWidth.weightRange.lowerBound)))
      let fake = try fakeQuantizeWeightsPerChannel(
        weights: weights, shape: shape, layout: layout, bitWidth: bitWidth)
      let maxScale = q.scales.max() ?? 0
      assertClose(fake, weights, atol: maxScale / 2 * 1.0001, rtol: 0, "\(layout)")
    }
  }

  @Test func rejectsMismatchedShape() {
    #expect(throws: QuantizationError.self) {
      try quantizeWeightsPerChannel(weights: [1, 2, 3], shape: [2, 2], layout: .ohwi)
    }
  }

  /// By hand: s_in = 0.5, s_w = [0.01, 0.25] → bias scales 0.005 and 0.125;
  /// 1.0/0.005 = 200, −0.0625/0.125 = −0.5 → −1 (away from zero).
  @Test func biasGolden() throws {
    #expect(
      try quantizeBias([1.0, -0.0625], inputScale: 0.5, weightScales: [0.01, 0.25]) == [200, -1])
    #expect(throws: QuantizationError.self) {
      try quantizeBias([1.0], inputScale: 0.5, weightScales: [0.01, 0.25])
    }
  }

  /// By hand: s_in·s_w/s_out = 0.5·0.25/0.25 = 0.5 → (2^30, 0); 0.5·0.75/0.25 = 1.5 → (3·2^29, 1).
  @Test func multipliersGolden() throws {
    let ms = try perChannelMultipliers(
      inputScale: 0.5, weightScales: [0.25, 0.75], outputScale: 0.25)
    #expect(
      ms == [
        FixedPointMultiplier(multiplier: 1 << 30, shift: 0),
        FixedPointMultiplier(multiplier: 3 << 29, shift: 1),
      ])
    #expect(throws: QuantizationError.self) {
      try perChannelMultipliers(inputScale: 0.5, weightScales: [0.25], outputScale: 0)
    }
  }

  /// By hand: filter [2, 1, 1, 2] = [[1, 2], [−3, 4]], inputOffset 5 → Σw = [3, 1] →
  /// folded = [10 + 15, −7 + 5] = [25, −2]; a bias near Int32.max clips and reports the rest.
  @Test func biasFoldingGolden() {
    let f = foldInputOffsetIntoBias(
      bias: [10, -7], filter: [1, 2, -3, 4], filterShape: [2, 1, 1, 2], layout: .ohwi,
      inputOffset: 5)
    #expect(f.folded == [25, -2])
    #expect(f.remainder == [0, 0])
    let clipped = foldInputOffsetIntoBias(
      bias: [Int32.max - 1], filter: [3], filterShape: [1, 1, 1, 1], layout: .ohwi, inputOffset: 1)
    #expect(clipped.folded == [Int32.max])
    #expect(clipped.remainder == [2])
    let depthwise = foldInputOffsetIntoBias(
      bias: nil, filter: [1, 2, 3, 4], filterShape: [1, 2, 1, 2], layout: .oneHWO, inputOffset: -2)
    #expect(depthwise.folded == [-8, -12])
  }
}
