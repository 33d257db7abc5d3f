// PointwiseConv2DTests.swift
// pointwiseConv2DPerChannel against conv2DPerChannel with k = 1 and the im2col formulation.

import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct PointwiseConv2DTests {
  /// By hand: one pixel [1, 2, 3] with inputOffset 1 → [2, 3, 4]; filters [1, 0, −1] and
  /// [2, 2, 2], bias [5, −10], M = 1: [2 − 4 + 5, 4 + 6 + 8 − 10] = [3, 8].
  @Test func golden() throws {
    let out = IntegerReference.pointwiseConv2DPerChannel(
      input: [1, 2, 3], inputShape: [1, 1, 1, 3], filter: [1, 0, -1, 2, 2, 2],
      filterShape: [2, 1, 1, 3], bias: [5, -10],
      params: ConvParams(
        inputOffset: 1, outputMultipliers: Array(repeating: try FixedPointMultiplier(1), count: 2)))
    #expect(out == [3, 8])
  }

  @Test func matchesConv2DAndIm2colAcrossSweep() {
    var seed: UInt64 = 0x1_1000
    withEvery("stride", in: [1, 2]) { stride in
      withEvery("cIn", in: [1, 3, 8, 16, 17]) { cIn in
        withEvery("cOut", in: [1, 5, 16]) { cOut in
          seed += 1
          let c = Conv2DTests.Case(
            k: 1, stride: stride, cIn: cIn, pads: (0, 0, 0, 0), seed: seed,
            mode: seed % 2 == 0 ? .doubleRounding : .singleRounding, cOut: cOut)
          let pointwise = IntegerReference.pointwiseConv2DPerChannel(
            input: c.input, inputShape: c.inputShape, filter: c.filter,
            filterShape: c.filterShape, bias: c.bias, params: c.params)
          let conv = IntegerReference.conv2DPerChannel(
            input: c.input, inputShape: c.inputShape, filter: c.filter,
            filterShape: c.filterShape, bias: c.bias, params: c.params)
          let im2col = conv2DByIm2col(
            input: c.input, inputShape: c.inputShape, filter: c.filter,
            filterShape: c.filterShape, bias: c.bias, params: c.params)
          assertBitExact(pointwise, conv, "pointwise vs conv")
          assertBitExact(pointwise, im2col, "pointwise vs im2col")
        }
      }
    }
  }

  /// Non-square strides (strideH 3, strideW 2) over two batches agree with conv and im2col.
  @Test func rectangularStridesMatchIm2col() {
    var g = SeededGenerator(seed: 0x1_2000)
    let inputShape: Shape = [2, 7, 9, 5]
    let filterShape: Shape = [6, 1, 1, 5]
    let input = g.int8s(inputShape.count)
    let filter = g.int8s(filterShape.count, in: -127...127)
    var bias = g.int32s(6, in: -3000...3000)
    let params = ConvParams(
      strideH: 3, strideW: 2, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, inputOffset: -9,
      outputOffset: 4, outputMultipliers: []
    ).calibrated(
      input: input, inputShape: inputShape, filter: filter, filterShape: filterShape, bias: &bias,
      target: 120, using: &g)
    let pointwise = IntegerReference.pointwiseConv2DPerChannel(
      input: input, inputShape: inputShape, filter: filter, filterShape: filterShape, bias: bias,
      params: params)
    let expected = conv2DByIm2col(
      input: input, inputShape: inputShape, filter: filter, filterShape: filterShape, bias: bias,
      params: params)
    // oH = (7 − 1)/3 + 1 = 3, oW = (9 − 1)/2 + 1 = 5.
    #expect(pointwise.count == 2 * 3 * 5 * 6)
    assertBitExact(pointwise, expected)
  }

  @Test func rejectsPaddingAndNonUnitKernels() {
    let params = ConvParams(padding: 1, outputMultipliers: [.zero])
    #expect(throws: QuantizationError.self) {
      try params.validatePointwiseConv2D(
        inputShape: [1, 4, 4, 2], filterShape: [1, 1, 1, 2], biasCount: nil)
    }
    #expect(throws: QuantizationError.self) {
      try ConvParams(outputMultipliers: [.zero]).validatePointwiseConv2D(
        inputShape: [1, 4, 4, 2], filterShape: [1, 3, 3, 2], biasCount: nil)
    }
  }
}
