// FullyConnectedS8Tests.swift
// mcu_fully_connected_s8 (per-tensor, with a weight offset) and
// mcu_fully_connected_per_channel_s8: hand-computed goldens, then bit-exact against
// IntegerReference.fullyConnected / fullyConnectedPerChannel over cIn × cOut × batch sweeps.

import CMicroKernels
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct FullyConnectedS8Tests {
  static func run(
    perChannel: Bool, input: [Int8], inputShape: Shape, filter: [Int8], filterShape: Shape,
    bias: [Int32]?, params: FullyConnectedParams
  ) -> [Int8] {
    var p = CKernels.fcParams(params)
    var inDims = CKernels.dims(inputShape)
    var filterDims = CKernels.dims(filterShape)
    let count = inputShape[0] * filterShape[0]
    let name = perChannel ? "mcu_fully_connected_per_channel_s8" : "mcu_fully_connected_s8"
    return CKernels.withBias(bias) { b in
      CKernels.guardedOutput(Int8.self, count: count, name) { out in
        if perChannel {
          return CKernels.withQuant(params.outputMultipliers) { quant in
            mcu_fully_connected_per_channel_s8(
              &p, quant, &inDims, input, &filterDims, filter, b, out)
          }
        }
        let m = params.outputMultipliers[0]
        return mcu_fully_connected_s8(
          &p, m.multiplier, Int32(m.shift), &inDims, input, &filterDims, filter, b, out)
      }
    }
  }

  /// Input [1, 2, 3], zp_in = 1 → [0, 1, 2]; filter [[1, 0, −1], [2, 2, 2]]; M = 1; bias [5, 0].
  /// Per-channel: [0 + 0 − 2 + 5, 0 + 2 + 4] = [3, 6]. Per-tensor with zp_w = −1 (filter offset
  /// +1): weights [[2, 1, 0], [3, 3, 3]] → [0 + 1 + 0 + 5, 0 + 3 + 6] = [6, 9].
  @Test func int8FullyConnectedGoldenPerChannelAndPerTensor() {
    let unit = FixedPointMultiplier(multiplier: 1 << 30, shift: 1)
    let filter: [Int8] = [1, 0, -1, 2, 2, 2]
    let perChannel = Self.run(
      perChannel: true, input: [1, 2, 3], inputShape: [1, 3], filter: filter,
      filterShape: [2, 3], bias: [5, 0],
      params: FullyConnectedParams(inputOffset: -1, outputMultipliers: [unit, unit]))
    #expect(perChannel == [3, 6])
    let perTensor = Self.run(
      perChannel: false, input: [1, 2, 3], inputShape: [1, 3], filter: filter,
      filterShape: [2, 3], bias: [5, 0],
      params: FullyConnectedParams(inputOffset: -1, filterOffset: 1, outputMultipliers: [unit]))
    #expect(perTensor == [6, 9])
  }

  @Test func int8FullyConnectedMatchesReferenceOverDepthWidthAndBatchSweep() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0xFC_0000
    try withEvery("perChannel", in: [false, true]) { perChannel in
      try withEvery("cIn", in: SweepShapes.channels + [100, 1280]) { cIn in
        try withEvery("cOut", in: [1, 4, 5, 10]) { cOut in
          try withEvery("N", in: [1, 2]) { batch in
            seed += 1
            var g = SeededGenerator(seed: seed)
            let zpIn = Int32.random(in: -128...127, using: &g)
            let filterOffset = perChannel ? 0 : Int32.random(in: -20...20, using: &g)
            let rms = productRMS(
              weightBound: 127 + Double(abs(filterOffset)), inputLow: -128, inputHigh: 127,
              zp: zpIn)
            let zpOut = Int32.random(in: -30...30, using: &g)
            let clamp = Clamp.random(using: &g).range(zp: zpOut, full: -128...127, using: &g)
            let params = FullyConnectedParams(
              inputOffset: -zpIn, filterOffset: filterOffset, outputOffset: zpOut,
              outputMultipliers: try g.multipliers(
                count: perChannel ? cOut : 1, depth: cIn, productRMS: rms, target: 40),
              activationMin: clamp.lowerBound, activationMax: clamp.upperBound,
              roundingMode: g.rounding())
            let input = g.int8s(batch * cIn, in: -128...127)
            let filter = g.int8s(cOut * cIn, in: -127...127)
            let bias = g.bias(count: cOut, depth: cIn, productRMS: rms)
            let inputShape: Shape = [batch, cIn]
            let filterShape: Shape = [cOut, cIn]
            let expected =
              perChannel
              ? IntegerReference.fullyConnectedPerChannel(
                input: input, inputShape: inputShape, filter: filter, filterShape: filterShape,
                bias: bias, params: params)
              : IntegerReference.fullyConnected(
                input: input, inputShape: inputShape, filter: filter, filterShape: filterShape,
                bias: bias, params: params)
            annotated("seed \(seed), zpIn \(zpIn), zpW \(-filterOffset), \(params.roundingMode)") {
              let actual = Self.run(
                perChannel: perChannel, input: input, inputShape: inputShape, filter: filter,
                filterShape: filterShape, bias: bias, params: params)
              assertBitExact(actual, expected, "fully connected vs IntegerReference")
            }
            tally.add(expected, clamp)
          }
        }
      }
    }
    tally.check()
  }
}
