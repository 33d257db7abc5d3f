// FullyConnectedTests.swift
// The linear layer, per-tensor and per-channel: goldens, per-channel against pointwise conv, and
// per-tensor (with a weight offset) against an algebraically expanded Int64 formula.

import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct FullyConnectedTests {
  static let input: [Int8] = [1, 2, 3]
  static let weights: [Int8] = [1, 0, -1, 2, 2, 2]

  /// By hand: x = [1, 2, 3], zp_in = −1 (inputOffset 1) → [2, 3, 4]; W = [[1, 0, −1], [2, 2, 2]];
  /// bias [5, −10] → acc = [2 − 4 + 5, 4 + 6 + 8 − 10] = [3, 8]; M = 0.5 → [1.5 → 2, 4];
  /// zp_out 3 → [5, 7].
  @Test(arguments: RoundingMode.allCases)
  func perTensorGolden(mode: RoundingMode) throws {
    let params = FullyConnectedParams(
      inputOffset: 1, outputOffset: 3, outputMultipliers: [try FixedPointMultiplier(0.5)],
      roundingMode: mode)
    let out = IntegerReference.fullyConnected(
      input: Self.input, inputShape: [1, 3], filter: Self.weights, filterShape: [2, 3],
      bias: [5, -10], params: params)
    #expect(out == [5, 7])
  }

  /// filterOffset 1 (zp_w = −1): W + 1 = [[2, 1, 0], [3, 3, 3]] → acc = [4 + 3 + 5, 27 − 10] =
  /// [12, 17] → M 0.5 → [6, 8.5 → 9] → + 3 → [9, 12].
  @Test func perTensorWithWeightOffsetGolden() throws {
    let params = FullyConnectedParams(
      inputOffset: 1, filterOffset: 1, outputOffset: 3,
      outputMultipliers: [try FixedPointMultiplier(0.5)])
    let out = IntegerReference.fullyConnected(
      input: Self.input, inputShape: [1, 3], filter: Self.weights, filterShape: [2, 3],
      bias: [5, -10], params: params)
    #expect(out == [9, 12])
  }

  /// Per-channel M = [0.5, 0.25]: acc [3, 8] → [2, 2] → + 3 → [5, 5].
  @Test func perChannelGolden() throws {
    let params = FullyConnectedParams(
      inputOffset: 1, outputOffset: 3,
      outputMultipliers: [try FixedPointMultiplier(0.5), try FixedPointMultiplier(0.25)])
    let out = IntegerReference.fullyConnectedPerChannel(
      input: Self.input, inputShape: [1, 3], filter: Self.weights, filterShape: [2, 3],
      bias: [5, -10], params: params)
    #expect(out == [5, 5])
  }

  @Test func perChannelEqualsPointwiseConvolution() {
    var seed: UInt64 = 0xFC_0000
    withEvery("cIn", in: [1, 3, 8, 16, 17, 320]) { cIn in
      withEvery("cOut", in: [1, 10, 17]) { cOut in
        seed += 1
        var g = SeededGenerator(seed: seed)
        let batches = 3
        let x = g.int8s(batches * cIn)
        let w = g.int8s(cOut * cIn, in: -127...127)
        let bias = g.int32s(cOut, in: -5000...5000)
        let multipliers = g.multipliers(cOut, depth: cIn)
        let (inOffset, outOffset) = (Int32.random(in: -127...128, using: &g), Int32(-7))
        let fc = IntegerReference.fullyConnectedPerChannel(
          input: x, inputShape: [batches, cIn], filter: w, filterShape: [cOut, cIn], bias: bias,
          params: FullyConnectedParams(
            inputOffset: inOffset, outputOffset: outOffset, outputMultipliers: multipliers))
        let conv = IntegerReference.pointwiseConv2DPerChannel(
          input: x, inputShape: [batches, 1, 1, cIn], filter: w, filterShape: [cOut, 1, 1, cIn],
          bias: bias,
          params: ConvParams(
            inputOffset: inOffset, outputOffset: outOffset, outputMultipliers: multipliers))
        assertBitExact(fc, conv)
      }
    }
  }

  /// Σ(w + fo)(x + io) expanded as Σw·x + io·Σw + fo·Σx + n·fo·io in Int64.
  @Test(arguments: RoundingMode.allCases)
  func perTensorMatchesExpandedFormula(mode: RoundingMode) {
    var g = SeededGenerator(seed: 0xFC_1000)
    for trial in 0..<40 {
      let (batches, cIn, cOut) = (2, [1, 7, 64, 333][trial % 4], [1, 4, 10][trial % 3])
      let x = g.int8s(batches * cIn)
      let w = g.int8s(cOut * cIn)
      let bias = g.int32s(cOut, in: -5000...5000)
      let io = Int32.random(in: -20...20, using: &g)
      let fo = Int32.random(in: -20...20, using: &g)
      let m = g.multipliers(1, depth: cIn * 4)[0]
      let params = FullyConnectedParams(
        inputOffset: io, filterOffset: fo, outputOffset: 2, outputMultipliers: [m],
        roundingMode: mode)
      let actual = IntegerReference.fullyConnected(
        input: x, inputShape: [batches, cIn], filter: w, filterShape: [cOut, cIn], bias: bias,
        params: params)
      var expected: [Int8] = []
      for n in 0..<batches {
        let xs = x[n * cIn..<(n + 1) * cIn].map(Int64.init)
        for o in 0..<cOut {
          let ws = w[o * cIn..<(o + 1) * cIn].map(Int64.init)
          let dot = zip(ws, xs).reduce(Int64(0)) { $0 + $1.0 * $1.1 }
          let acc =
            dot + Int64(io) * ws.reduce(0, +) + Int64(fo) * xs.reduce(0, +)
            + Int64(cIn) * Int64(fo) * Int64(io) + Int64(bias[o])
          let y = Int64(Exact.multiply(Int32(acc), m, mode)) + 2
          expected.append(Int8(min(max(y, -128), 127)))
        }
      }
      assertBitExact(actual, expected, "trial \(trial)")
    }
  }

  @Test func validationRejectsWeightOffsetForPerChannel() {
    let params = FullyConnectedParams(filterOffset: 3, outputMultipliers: [.zero, .zero])
    #expect(
      throws: QuantizationError.invalidParameter(
        name: "filterOffset", value: "3",
        reason: "per-channel weights are symmetric (zp 0); use the per-tensor kernel")
    ) {
      try params.validate(inputShape: [1, 4], filterShape: [2, 4], biasCount: 2, perChannel: true)
    }
    #expect(throws: QuantizationError.self) {
      try FullyConnectedParams(outputMultipliers: [.zero]).validate(
        inputShape: [1, 4], filterShape: [2, 5], biasCount: nil, perChannel: false)
    }
  }
}
