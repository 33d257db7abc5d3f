// QuantParamsTests.swift
// Activation calibration goldens, quantize/dequantize round trips within scale/2, the fused
// activation clamp ranges (TFLM CalculateActivationRangeQuantizedImpl) and fake quantization.

import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct QuantParamsTests {
  /// Calibration goldens.
  ///
  /// By hand (qmin −128, qmax 127, 255 steps):
  /// - [0, 6]: scale 6/255; zp from (min, qmin) = −128 exactly (error 128 < 382) → −128.
  /// - [−0.5, 1]: scale 1.5/255; zp from min = −128 + 0.5·255/1.5 = −128 + 85 = −43.
  /// - [0.5, 2] is extended to [0, 2] → zp −128; [−3, −1] to [−3, 0] → zp from max = 127.
  @Test(arguments: [
    (Float(0), Float(6), Float(6.0 / 255), Int32(-128)),
    (Float(-0.5), Float(1), Float(1.5 / 255), Int32(-43)),
    (Float(0.5), Float(2), Float(2.0 / 255), Int32(-128)),
    (Float(-3), Float(-1), Float(3.0 / 255), Int32(127)),
  ])
  func chooseActivationParamsGoldens(min: Float, max: Float, scale: Float, zeroPoint: Int32)
    throws
  {
    let p = try chooseActivationParams(min: min, max: max)
    #expect(p.zeroPoint == zeroPoint)
    #expect(p.scale == scale)
  }

  /// int4: [−1, 2] → scale 3/15 = 0.2; zp from min = −8 + 5 = −3.
  @Test func chooseActivationParamsInt4() throws {
    let p = try chooseActivationParams(min: -1, max: 2, bitWidth: .int4)
    #expect(p.zeroPoint == -3)
    #expect(p.scale == Float(3.0 / 15))
  }

  @Test func emptyRangeGetsUnitScaleAndBadRangesThrow() throws {
    #expect(try chooseActivationParams(min: 0, max: 0) == QuantParams(scale: 1, zeroPoint: 0))
    #expect(throws: QuantizationError.self) { try chooseActivationParams(min: 1, max: -1) }
    #expect(throws: QuantizationError.self) { try chooseActivationParams(min: .nan, max: 1) }
  }

  /// Property: for random ranges, real 0 is exact and every in-range value round-trips within
  /// scale/2 (+ a few Float ulps).
  @Test(arguments: BitWidth.allCases)
  func quantizeDequantizeWithinHalfScale(bitWidth: BitWidth) throws {
    var g = SeededGenerator(seed: 0x5EED_0201)
    for _ in 0..<300 {
      let low = -Float.random(in: 0...20, using: &g)
      let high = Float.random(in: 0.01...20, using: &g)
      let p = try chooseActivationParams(min: low, max: high, bitWidth: bitWidth)
      #expect(bitWidth.activationRange.contains(p.zeroPoint))
      #expect(dequantize(quantize(0, params: p, bitWidth: bitWidth), params: p) == 0)
      let qmin = Float(bitWidth.activationRange.lowerBound - p.zeroPoint) * p.scale
      let qmax = Float(bitWidth.activationRange.upperBound - p.zeroPoint) * p.scale
      let xs = (0..<200).map { _ in Float.random(in: qmin...qmax, using: &g) }
      let back = dequantize(quantize(xs, params: p, bitWidth: bitWidth), params: p)
      assertClose(back, xs, atol: p.scale / 2 * 1.0001, rtol: 1e-6, "range [\(low), \(high)]")
    }
  }

  /// Ties round away from zero; out-of-range values clamp to the format's range.
  @Test func quantizeGoldens() {
    let p = QuantParams(scale: 0.5, zeroPoint: -10)
    let xs: [Float] = [0, 0.25, -0.25, 0.75, 1, 1000, -1000, .infinity]
    #expect(quantize(xs, params: p) == [-10, -9, -11, -8, -8, 127, -128, 127])
    #expect(
      quantize([1000, -1000], params: QuantParams(scale: 0.5, zeroPoint: 1), bitWidth: .int4) == [
        7, -8,
      ])
    #expect(dequantize([-10, -9, 127], params: p) == [0, 0.5, 68.5])
  }

  /// By hand: ReLU6 with scale 0.05, zp −10 → [−10, −10 + round(6/0.05 = 120)] = [−10, 110];
  /// ReLU → [−10, 127]; scale 0.1, zp 100 → ReLU6 max = min(127, 160) = 127; scale 6/255, zp
  /// −128 → [−128, 127]; int4 scale 0.5, zp −8 → ReLU6 [−8, min(7, −8 + 12)] = [−8, 4];
  /// zp below qmin is impossible, but a zp of −128 with ReLU keeps −128.
  @Test func activationRangeGoldens() {
    let p = QuantParams(scale: 0.05, zeroPoint: -10)
    #expect(activationRange(activation: .relu6, params: p) == -10...110)
    #expect(activationRange(activation: .relu, params: p) == -10...127)
    #expect(activationRange(activation: .none, params: p) == -128...127)
    #expect(
      activationRange(activation: .relu6, params: QuantParams(scale: 0.1, zeroPoint: 100))
        == 100...127)
    #expect(
      activationRange(activation: .relu6, params: QuantParams(scale: 6.0 / 255, zeroPoint: -128))
        == -128...127)
    #expect(
      activationRange(
        activation: .relu6, params: QuantParams(scale: 0.5, zeroPoint: -8), bitWidth: .int4)
        == -8...4)
    #expect(
      activationRange(
        activation: .none, params: QuantParams(scale: 0.5, zeroPoint: 0), bitWidth: .int4) == -8...7
    )
  }

  /// Property: the ReLU6 range dequantizes to [0, 6 ± s/2] (or is cut off at qmax).
  @Test func relu6RangeCoversZeroToSix() {
    var g = SeededGenerator(seed: 0x5EED_0202)
    for _ in 0..<500 {
      let p = QuantParams(
        scale: Float.random(in: 0.001...0.2, using: &g),
        zeroPoint: Int32.random(in: -128...127, using: &g))
      let r = activationRange(activation: .relu6, params: p)
      let low = Float(r.lowerBound - p.zeroPoint) * p.scale
      let high = Float(r.upperBound - p.zeroPoint) * p.scale
      #expect(low == 0)  // zp is in range, so ReLU's lower bound is zp itself
      #expect(high <= 6 + p.scale / 2 + 1e-5)
      #expect(r.upperBound == 127 || high >= 6 - p.scale / 2 - 1e-5)
    }
  }

  @Test func validateNamesTheTensorAndTheFix() {
    #expect(
      throws: QuantizationError.zeroPointOutOfRange(what: "input", zeroPoint: 9, range: -8...7)
    ) {
      try QuantParams(scale: 1, zeroPoint: 9).validate(bitWidth: .int4, what: "input")
    }
    do {
      try QuantParams(scale: 0, zeroPoint: 0).validate(what: "conv3 output")
      Issue.record("expected a throw")
    } catch {
      #expect(
        error.description
          == "conv3 output has scale 0.0; scales must be finite and > 0. Recalibrate the tensor "
          + "or give it a non-empty float range.")
    }
  }

  @Test func fakeQuantizeAndStraightThroughMask() {
    let p = QuantParams(scale: 0.5, zeroPoint: 0)
    let xs: [Float] = [0.2, 0.3, -0.74, 63.5, 63.6, -64, -64.1]
    #expect(fakeQuantize(xs, params: p) == [0, 0.5, -0.5, 63.5, 63.5, -64, -64])
    #expect(
      fakeQuantizeGradientMask(xs, params: p) == [true, true, true, true, false, true, false])
    #expect(fakeQuantize([3.6, -5], params: p, bitWidth: .int4) == [3.5, -4])
  }
}
