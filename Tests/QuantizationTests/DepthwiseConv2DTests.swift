// DepthwiseConv2DTests.swift
// depthwiseConv2DPerChannel: hand-computed goldens and a bit-exact sweep against the dense
// (block-diagonal OHWI) im2col formulation.

import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct DepthwiseConv2DTests {
  /// By hand, input [1, 4, 4, 2] with channel 0 = 4y + x and channel 1 = −(4y + x); filter
  /// [1, 2, 2, 2] (1HWO) with channel 0 = [[0, 1], [2, 3]] and channel 1 all ones; M = 1:
  /// channel 0 = 24y + 6x + 24 (the conv ramp golden); channel 1 = −(sum of the 2×2 window) =
  /// −(16y + 4x + 10).
  @Test func rampGolden() throws {
    let input: [Int8] = (0..<16).flatMap { [Int8($0), -Int8($0)] }
    let unit = try FixedPointMultiplier(1)
    let out = IntegerReference.depthwiseConv2DPerChannel(
      input: input, inputShape: [1, 4, 4, 2], filter: [0, 1, 1, 1, 2, 1, 3, 1],
      filterShape: [1, 2, 2, 2], bias: nil, params: ConvParams(outputMultipliers: [unit, unit]))
    #expect(
      out == [
        24, -10, 30, -14, 36, -18,
        48, -26, 54, -30, 60, -34,
        72, -42, 78, -46, 84, -50,
      ])
  }

  /// Depth multiplier 2, by hand: input [1, 2, 2, 1] = [1, 2, 3, 4]; output channel 0 has all-one
  /// weights (sum 10), channel 1 has [1, −1, 0, 0] (1 − 2 = −1); bias [0, 3], zp_out 1.
  @Test func depthMultiplierTwoGolden() throws {
    let unit = try FixedPointMultiplier(1)
    let out = IntegerReference.depthwiseConv2DPerChannel(
      input: [1, 2, 3, 4], inputShape: [1, 2, 2, 1], filter: [1, 1, 1, -1, 1, 0, 1, 0],
      filterShape: [1, 2, 2, 2], bias: [0, 3],
      params: ConvParams(outputOffset: 1, outputMultipliers: [unit, unit]))
    #expect(out == [11, 3])
  }

  static func randomCase(
    k: Int, stride: Int, channels: Int, multiplier: Int, pads: [Int], seed: UInt64
  ) -> (
    input: [Int8], inputShape: Shape, filter: [Int8], filterShape: Shape, bias: [Int32],
    params: ConvParams
  ) {
    var g = SeededGenerator(seed: seed)
    let cOut = channels * multiplier
    let inputShape: Shape = [1, 9, 7, channels]
    let filterShape: Shape = [1, k, k, cOut]
    let input = g.int8s(inputShape.count)
    let filter = g.int8s(filterShape.count, in: -127...127)
    var bias = g.int32s(cOut, in: -20_000...20_000)
    let params = ConvParams(
      strideH: stride, strideW: stride, padTop: pads[0], padLeft: pads[1], padBottom: pads[2],
      padRight: pads[3], inputOffset: Int32.random(in: -127...128, using: &g),
      outputOffset: Int32.random(in: -20...20, using: &g), outputMultipliers: [],
      roundingMode: seed % 2 == 0 ? .doubleRounding : .singleRounding
    ).calibrated(
      input: input, inputShape: inputShape,
      filter: denseFilter(fromDepthwise: filter, filterShape: filterShape, cIn: channels),
      filterShape: [cOut, k, k, channels], bias: &bias, target: 120, using: &g)
    return (input, inputShape, filter, filterShape, bias, params)
  }

  @Test func matchesDenseIm2colAcrossSweep() {
    var seed: UInt64 = 0xD3_0000
    withEvery("k", in: [1, 3, 5, 7]) { k in
      withEvery("stride", in: [1, 2]) { stride in
        withEvery("C", in: [1, 3, 8, 16, 17]) { channels in
          withEvery("pads", in: Conv2DTests.paddings(k).map { [$0.0, $0.1, $0.2, $0.3] }) { pads in
            seed += 1
            let c = Self.randomCase(
              k: k, stride: stride, channels: channels, multiplier: 1, pads: pads, seed: seed)
            let actual = IntegerReference.depthwiseConv2DPerChannel(
              input: c.input, inputShape: c.inputShape, filter: c.filter,
              filterShape: c.filterShape, bias: c.bias, params: c.params)
            let dense = denseFilter(
              fromDepthwise: c.filter, filterShape: c.filterShape, cIn: channels)
            let expected = conv2DByIm2col(
              input: c.input, inputShape: c.inputShape, filter: dense,
              filterShape: [channels, k, k, channels], bias: c.bias, params: c.params)
            assertBitExact(actual, expected, "depthwise seed \(seed)")
            #expect(unclampedFraction(actual, -128, 127) > 0.5, "seed \(seed): mostly clamped")
          }
        }
      }
    }
  }

  @Test func depthMultipliersMatchDenseIm2col() {
    var seed: UInt64 = 0xD3_1000
    withEvery("multiplier", in: [2, 3]) { multiplier in
      withEvery("C", in: [1, 3, 5]) { channels in
        seed += 1
        let c = Self.randomCase(
          k: 3, stride: 2, channels: channels, multiplier: multiplier, pads: [1, 1, 1, 1],
          seed: seed)
        let actual = IntegerReference.depthwiseConv2DPerChannel(
          input: c.input, inputShape: c.inputShape, filter: c.filter, filterShape: c.filterShape,
          bias: c.bias, params: c.params)
        let cOut = channels * multiplier
        let expected = conv2DByIm2col(
          input: c.input, inputShape: c.inputShape,
          filter: denseFilter(fromDepthwise: c.filter, filterShape: c.filterShape, cIn: channels),
          filterShape: [cOut, 3, 3, channels], bias: c.bias, params: c.params)
        assertBitExact(actual, expected)
      }
    }
  }

  /// Non-square strides and asymmetric padding agree with the dense im2col formulation.
  @Test func rectangularStridesMatchDenseIm2col() {
    var g = SeededGenerator(seed: 0xD3_2000)
    let inputShape: Shape = [2, 10, 7, 4]
    let filterShape: Shape = [1, 3, 5, 4]
    let input = g.int8s(inputShape.count)
    let filter = g.int8s(filterShape.count, in: -127...127)
    var bias = g.int32s(4, in: -3000...3000)
    let dense = denseFilter(fromDepthwise: filter, filterShape: filterShape, cIn: 4)
    let params = ConvParams(
      strideH: 2, strideW: 3, padTop: 1, padLeft: 2, padBottom: 0, padRight: 1, inputOffset: 5,
      outputOffset: -6, outputMultipliers: []
    ).calibrated(
      input: input, inputShape: inputShape, filter: dense, filterShape: [4, 3, 5, 4],
      bias: &bias, target: 120, using: &g)
    let actual = IntegerReference.depthwiseConv2DPerChannel(
      input: input, inputShape: inputShape, filter: filter, filterShape: filterShape, bias: bias,
      params: params)
    let expected = conv2DByIm2col(
      input: input, inputShape: inputShape, filter: dense, filterShape: [4, 3, 5, 4],
      bias: bias, params: params)
    // oH = (10 + 1 − 3)/2 + 1 = 5, oW = (7 + 3 − 5)/3 + 1 = 2.
    #expect(actual.count == 2 * 5 * 2 * 4)
    assertBitExact(actual, expected)
  }

  @Test func rejectsNon1HWOFilters() {
    let params = ConvParams(outputMultipliers: Array(repeating: .zero, count: 4))
    #expect(throws: QuantizationError.self) {
      try params.validateDepthwiseConv2D(
        inputShape: [1, 5, 5, 3], filterShape: [1, 3, 3, 4], biasCount: nil)
    }
    #expect(throws: QuantizationError.self) {
      try params.validateDepthwiseConv2D(
        inputShape: [1, 5, 5, 4], filterShape: [4, 3, 3, 1], biasCount: nil)
    }
    #expect(
      (try? params.validateDepthwiseConv2D(
        inputShape: [1, 5, 5, 4], filterShape: [1, 3, 3, 4], biasCount: 4))
        == [1, 3, 3, 4])
  }
}
