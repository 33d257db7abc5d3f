// Conv2DTests.swift
// conv2DPerChannel: hand-computed goldens (STYLE.md B6.2), a bit-exact sweep against the im2col
// formulation (B6.4), an independent float cross-check, the fused ReLU6 clamp and validation.

import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct Conv2DTests {
  static let unit = (try? FixedPointMultiplier(1.0)) ?? .zero
  /// Input 0..<16 as [1, 4, 4, 1]: value at (y, x) is 4y + x.
  static let ramp: [Int8] = (0..<16).map { Int8($0) }
  /// Filter 0..<4 as [1, 2, 2, 1]: [[0, 1], [2, 3]].
  static let rampFilter: [Int8] = [0, 1, 2, 3]

  /// By hand: out(y, x) = 0·in(y,x) + 1·in(y,x+1) + 2·in(y+1,x) + 3·in(y+1,x+1)
  /// = (4y+x+1) + 2(4y+x+4) + 3(4y+x+5) = 24y + 6x + 24.
  @Test func rampGoldenStride1Valid() {
    let out = IntegerReference.conv2DPerChannel(
      input: Self.ramp, inputShape: [1, 4, 4, 1], filter: Self.rampFilter,
      filterShape: [1, 2, 2, 1], bias: nil, params: ConvParams(outputMultipliers: [Self.unit]))
    #expect(out == [24, 30, 36, 48, 54, 60, 72, 78, 84])
  }

  /// Stride 2 keeps (y, x) in {0, 2}²: 24 + 0, 24 + 12, 24 + 48, 24 + 60.
  @Test func rampGoldenStride2() {
    let out = IntegerReference.conv2DPerChannel(
      input: Self.ramp, inputShape: [1, 4, 4, 1], filter: Self.rampFilter,
      filterShape: [1, 2, 2, 1], bias: nil,
      params: ConvParams(stride: 2, outputMultipliers: [Self.unit]))
    #expect(out == [24, 36, 72, 84])
  }

  /// Asymmetric padding top = left = 1, bottom = right = 0 gives a 4×4 output.
  ///
  /// By hand: row 0 sees only the
  /// bottom filter row: 2·in(0,x−1) + 3·in(0,x) = [0, 3, 8, 13]; column 0 sees only the right
  /// filter column: 1·in(y−1,0) + 3·in(y,0) = [12, 28, 44] for y = 1...3; the interior is the
  /// valid golden.
  @Test func rampGoldenAsymmetricPadding() {
    let params = ConvParams(
      strideH: 1, strideW: 1, padTop: 1, padLeft: 1, padBottom: 0, padRight: 0, inputOffset: 0,
      outputOffset: 0, outputMultipliers: [Self.unit])
    let out = IntegerReference.conv2DPerChannel(
      input: Self.ramp, inputShape: [1, 4, 4, 1], filter: Self.rampFilter,
      filterShape: [1, 2, 2, 1], bias: nil, params: params)
    #expect(out == [0, 3, 8, 13, 12, 24, 30, 36, 28, 48, 54, 60, 44, 72, 78, 84])
  }

  /// Offsets, bias, two channels with different multipliers, stride 2 (by hand):
  /// zp_in = 1 (inputOffset −1) subtracts Σw from each raw sum.
  /// - oc 0: filter [0,1,2,3], Σw = 6, bias 10, M = 0.5: raw [24,36,72,84] → acc [28,40,76,88]
  ///   → [14,20,38,44] → + zp_out (−5) → [9, 15, 33, 39].
  /// - oc 1: filter [1,−1,0,2]: raw = in(y,x) − in(y,x+1) + 2·in(y+1,x+1) = 8y + 2x + 9 →
  ///   [9,13,25,29]; Σw = 2, bias −3 → acc [4,8,20,24]; M = 0.375 → [1.5, 3, 7.5, 9] →
  ///   [2, 3, 8, 9] (ties away) → −5 → [−3, −2, 3, 4].
  @Test(arguments: RoundingMode.allCases)
  func offsetsBiasAndPerChannelMultipliersGolden(mode: RoundingMode) throws {
    let params = ConvParams(
      stride: 2, inputOffset: -1, outputOffset: -5,
      outputMultipliers: [try FixedPointMultiplier(0.5), try FixedPointMultiplier(0.375)],
      roundingMode: mode)
    let out = IntegerReference.conv2DPerChannel(
      input: Self.ramp, inputShape: [1, 4, 4, 1], filter: [0, 1, 2, 3, 1, -1, 0, 2],
      filterShape: [2, 2, 2, 1], bias: [10, -3], params: params)
    #expect(out == [9, -3, 15, -2, 33, 3, 39, 4])
  }

  /// One random conv case: shapes from the sweep point, seeded data and parameters.
  struct Case {
    var input: [Int8]
    var inputShape: Shape
    var filter: [Int8]
    var filterShape: Shape
    var bias: [Int32]
    var params: ConvParams

    init(
      k: Int, stride: Int, cIn: Int, pads: (Int, Int, Int, Int), seed: UInt64,
      mode: RoundingMode, cOut: Int = 3, height: Int = 9, width: Int = 7
    ) {
      var g = SeededGenerator(seed: seed)
      inputShape = [1, height, width, cIn]
      filterShape = [cOut, k, k, cIn]
      input = g.int8s(inputShape.count)
      filter = g.int8s(filterShape.count, in: -127...127)
      bias = g.int32s(cOut, in: -40_000...40_000)
      params = ConvParams(
        strideH: stride, strideW: stride, padTop: pads.0, padLeft: pads.1, padBottom: pads.2,
        padRight: pads.3, inputOffset: Int32.random(in: -127...128, using: &g),
        outputOffset: Int32.random(in: -20...20, using: &g), outputMultipliers: [],
        roundingMode: mode
      ).calibrated(
        input: input, inputShape: inputShape, filter: filter, filterShape: filterShape,
        bias: &bias, target: 120, using: &g)
    }
  }

  /// The padding variants of the sweep: none, symmetric k/2, and TF "SAME"-like asymmetric.
  static func paddings(_ k: Int) -> [(Int, Int, Int, Int)] {
    [(0, 0, 0, 0), (k / 2, k / 2, k / 2, k / 2), ((k - 1) / 2, k / 2, k / 2, (k - 1) / 2)]
  }

  @Test func matchesIm2colFormulationAcrossSweep() {
    var seed: UInt64 = 0xC0_4000
    withEvery("k", in: [1, 3, 5, 7]) { k in
      withEvery("stride", in: [1, 2]) { stride in
        withEvery("cIn", in: [1, 3, 8, 16, 17]) { cIn in
          withEvery("pads", in: Self.paddings(k).map { [$0.0, $0.1, $0.2, $0.3] }) { pads in
            seed += 1
            let mode: RoundingMode = seed % 2 == 0 ? .doubleRounding : .singleRounding
            let c = Case(
              k: k, stride: stride, cIn: cIn, pads: (pads[0], pads[1], pads[2], pads[3]),
              seed: seed, mode: mode)
            let actual = IntegerReference.conv2DPerChannel(
              input: c.input, inputShape: c.inputShape, filter: c.filter,
              filterShape: c.filterShape, bias: c.bias, params: c.params)
            let expected = conv2DByIm2col(
              input: c.input, inputShape: c.inputShape, filter: c.filter,
              filterShape: c.filterShape, bias: c.bias, params: c.params)
            assertBitExact(actual, expected, "conv seed \(seed) \(mode)")
            #expect(unclampedFraction(actual, -128, 127) > 0.5, "seed \(seed): mostly clamped")
          }
        }
      }
    }
  }

  /// Two batches and non-square strides/padding also agree.
  @Test func matchesIm2colForBatchesAndRectangularStrides() {
    var g = SeededGenerator(seed: 0xC0_4100)
    let inputShape: Shape = [2, 8, 11, 5]
    let filterShape: Shape = [4, 3, 5, 5]
    let input = g.int8s(inputShape.count)
    let filter = g.int8s(filterShape.count, in: -127...127)
    var bias = g.int32s(4, in: -1000...1000)
    let params = ConvParams(
      strideH: 2, strideW: 3, padTop: 2, padLeft: 0, padBottom: 1, padRight: 2, inputOffset: 7,
      outputOffset: -3, outputMultipliers: []
    ).calibrated(
      input: input, inputShape: inputShape, filter: filter, filterShape: filterShape, bias: &bias,
      target: 120, using: &g)
    let actual = IntegerReference.conv2DPerChannel(
      input: input, inputShape: inputShape, filter: filter, filterShape: filterShape, bias: bias,
      params: params)
    let expected = conv2DByIm2col(
      input: input, inputShape: inputShape, filter: filter, filterShape: filterShape, bias: bias,
      params: params)
    assertBitExact(actual, expected)
    // oH = (8 + 2 + 1 − 3)/2 + 1 = 5, oW = (11 + 0 + 2 − 5)/3 + 1 = 3.
    #expect(actual.count == 2 * 5 * 3 * 4)
  }

  /// Property: the fused ReLU6 result equals clamping the unfused result to the ReLU6 range.
  @Test func relu6IsTheClampOfTheUnfusedResult() throws {
    let c = Case(
      k: 3, stride: 1, cIn: 8, pads: (1, 1, 1, 1), seed: 0xC0_4200, mode: .doubleRounding)
    let output = QuantParams(scale: 0.05, zeroPoint: Int32(c.params.outputOffset))
    let range = activationRange(activation: .relu6, params: output)
    var fused = c.params
    fused.activationMin = range.lowerBound
    fused.activationMax = range.upperBound
    let plain = IntegerReference.conv2DPerChannel(
      input: c.input, inputShape: c.inputShape, filter: c.filter, filterShape: c.filterShape,
      bias: c.bias, params: c.params)
    let relu6 = IntegerReference.conv2DPerChannel(
      input: c.input, inputShape: c.inputShape, filter: c.filter, filterShape: c.filterShape,
      bias: c.bias, params: fused)
    let clamped = plain.map { Int8(min(max(Int32($0), range.lowerBound), range.upperBound)) }
    assertBitExact(relu6, clamped)
    #expect(plain != relu6, "the clamp must actually cut something in this case")
  }

  /// Independent float check: dequantize(int8 conv) is within one output LSB of a Double conv of
  /// the dequantized operands (explicitly zero-padded input, different index arithmetic).
  @Test func agreesWithFloatConvolutionWithinOneLSB() throws {
    var g = SeededGenerator(seed: 0xC0_4300)
    for trial in 0..<12 {
      let (k, stride, cIn, cOut, h, w) = (
        [1, 3, 5][trial % 3], 1 + trial % 2, [1, 3, 8, 17][trial % 4], 3, 7, 9
      )
      let pad = k / 2
      let xf = (0..<h * w * cIn).map { _ in Float.random(in: -1.5...4, using: &g) }
      let wf = (0..<cOut * k * k * cIn).map { _ in Float.random(in: -0.5...0.5, using: &g) }
      let bf = (0..<cOut).map { _ in Float.random(in: -0.3...0.3, using: &g) }
      let inParams = try chooseActivationParams(min: -1.5, max: 4)
      let xq = quantize(xf, params: inParams)
      let wq = try quantizeWeightsPerChannel(weights: wf, shape: [cOut, k, k, cIn], layout: .ohwi)
      let bq = try quantizeBias(bf, inputScale: inParams.scale, weightScales: wq.scales)
      let reference = floatConv(
        x: dequantize(xq, params: inParams).map(Double.init), h: h, w: w, cIn: cIn,
        weights: wq.values.indices.map {
          Double(wq.values[$0]) * Double(wq.scales[$0 / (k * k * cIn)])
        },
        k: k, cOut: cOut, stride: stride, pad: pad,
        bias: bq.indices.map { Double(bq[$0]) * Double(inParams.scale) * Double(wq.scales[$0]) })
      let lo = Float(reference.min() ?? 0)
      let hi = Float(reference.max() ?? 0)
      let outParams = try chooseActivationParams(min: lo, max: hi)
      let params = try ConvParams(
        input: inParams, weightScales: wq.scales, output: outParams, stride: stride, padding: pad)
      let yq = IntegerReference.conv2DPerChannel(
        input: xq, inputShape: [1, h, w, cIn], filter: wq.values, filterShape: [cOut, k, k, cIn],
        bias: bq, params: params)
      withEvery("trial", in: [trial]) { _ in
        assertClose(
          dequantize(yq, params: outParams), reference.map(Float.init),
          atol: outParams.scale * 1.001, rtol: 1e-5, "k \(k) stride \(stride) cIn \(cIn)")
      }
    }
  }

  /// A Double convolution over an explicitly zero-padded copy of the input (NHWC, N = 1).
  func floatConv(
    x: [Double], h: Int, w: Int, cIn: Int, weights: [Double], k: Int, cOut: Int, stride: Int,
    pad: Int, bias: [Double]
  ) -> [Double] {
    let (ph, pw) = (h + 2 * pad, w + 2 * pad)
    var padded = [Double](repeating: 0, count: ph * pw * cIn)
    for y in 0..<h {
      for xx in 0..<w {
        for c in 0..<cIn {
          padded[((y + pad) * pw + xx + pad) * cIn + c] = x[(y * w + xx) * cIn + c]
        }
      }
    }
    let (oh, ow) = ((ph - k) / stride + 1, (pw - k) / stride + 1)
    var out: [Double] = []
    for oy in 0..<oh {
      for ox in 0..<ow {
        for oc in 0..<cOut {
          var sum = bias[oc]
          for t in 0..<k * k * cIn {
            let (ky, kx, c) = (t / (k * cIn), (t / cIn) % k, t % cIn)
            sum +=
              weights[oc * k * k * cIn + t]
              * padded[((oy * stride + ky) * pw + ox * stride + kx) * cIn + c]
          }
          out.append(sum)
        }
      }
    }
    return out
  }

  @Test func validationNamesTheShapeAndTheFix() {
    let params = ConvParams(outputMultipliers: [Self.unit, Self.unit])
    #expect(
      throws: QuantizationError.shapeMismatch(
        what: "filter", expected: "[cOut, kH, kW, 3] (OHWI, cIn of the input)",
        actual: "[2, 3, 3, 4]")
    ) {
      try params.validateConv2D(
        inputShape: [1, 5, 5, 3], filterShape: [2, 3, 3, 4], biasCount: nil)
    }
    #expect(throws: QuantizationError.self) {
      try params.validateConv2D(
        inputShape: [1, 5, 5, 3], filterShape: [3, 3, 3, 3], biasCount: nil)
    }
    var bad = params
    bad.activationMin = 10
    bad.activationMax = 5
    #expect(throws: QuantizationError.self) {
      try bad.validateConv2D(inputShape: [1, 5, 5, 3], filterShape: [2, 3, 3, 3], biasCount: 2)
    }
    #expect(
      (try? params.validateConv2D(
        inputShape: [2, 9, 7, 3], filterShape: [2, 3, 3, 3], biasCount: 2))
        == [2, 7, 5, 2])
    let error = QuantizationError.shapeMismatch(what: "bias", expected: "[2]", actual: "[3]")
    #expect(
      error.description
        == "bias has shape [3], expected [2]. Fix the caller's shapes (layout is NHWC, conv "
        + "weights OHWI, depthwise 1HWO).")
  }
}
