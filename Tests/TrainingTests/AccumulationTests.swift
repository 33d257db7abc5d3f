// AccumulationTests.swift
// Every backward function adds into its gradient buffers (`accumulatingInto:`), so that a
// tensor consumed twice receives both contributions. Each one runs twice here from a
// non-zero start; the buffer must end at start + 2·(one pass).

import TensorModule
import Testing
import Training
import _TestSupport

@Suite struct AccumulationTests {
  /// Runs `backward` on a buffer starting at `start`, then again, and checks that the second
  /// pass added exactly what the first did.
  private func expectAccumulates(
    _ what: String, count: Int, _ backward: (inout [Float]) -> Void,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let start = (0..<count).map { Float($0 % 7) - 3 }
    var once = start
    backward(&once)
    var twice = once
    backward(&twice)
    let expected = (0..<count).map { start[$0] + 2 * (once[$0] - start[$0]) }
    #expect(
      once != start, "\(what): the pass left the buffer unchanged", sourceLocation: sourceLocation)
    assertClose(twice, expected, atol: 1e-4, rtol: 1e-5, what, sourceLocation: sourceLocation)
  }

  @Test func everyBackwardAccumulates() {
    var rng = SeededGenerator(seed: 81)
    let values = { (n: Int, rng: inout SeededGenerator) in randomValues(n, using: &rng).floats }

    let conv = Conv2D(
      inputHeight: 5, inputWidth: 5, inChannels: 2, outChannels: 3, kernel: 3, stride: 2,
      padding: .symmetric(1))
    let (cx, cw, cdy) = (values(50, &rng), values(54, &rng), values(27, &rng))
    var ws = [Float](repeating: 0, count: conv.workspaceCount(batch: 1))
    expectAccumulates("Conv2D dInput", count: 50) {
      conv.backwardInput(dOutput: cdy, weight: cw, accumulatingInto: &$0, workspace: &ws)
    }
    expectAccumulates("Conv2D dWeight", count: 54) {
      conv.backwardWeight(dOutput: cdy, input: cx, accumulatingInto: &$0, workspace: &ws)
    }
    expectAccumulates("Conv2D dBias", count: 3) {
      conv.backwardBias(dOutput: cdy, accumulatingInto: &$0)
    }

    let dw = DepthwiseConv2D(inputHeight: 5, inputWidth: 5, channels: 3, kernel: 3)
    let (dx, dwW, ddy) = (values(75, &rng), values(27, &rng), values(27, &rng))
    expectAccumulates("Depthwise dInput", count: 75) {
      dw.backwardInput(dOutput: ddy, weight: dwW, accumulatingInto: &$0)
    }
    expectAccumulates("Depthwise dWeight", count: 27) {
      dw.backwardWeight(dOutput: ddy, input: dx, accumulatingInto: &$0)
    }

    let pw = PointwiseConv2D(inChannels: 3, outChannels: 2)
    let fc = Linear(inFeatures: 3, outFeatures: 2)
    let (px, pwW, pdy) = (values(12, &rng), values(6, &rng), values(8, &rng))
    expectAccumulates("Pointwise dInput", count: 12) {
      pw.backwardInput(dOutput: pdy, weight: pwW, accumulatingInto: &$0)
    }
    expectAccumulates("Pointwise dWeight", count: 6) {
      pw.backwardWeight(dOutput: pdy, input: px, accumulatingInto: &$0)
    }
    expectAccumulates("Pointwise dBias", count: 2) {
      pw.backwardBias(dOutput: pdy, accumulatingInto: &$0)
    }
    expectAccumulates("Linear dInput", count: 12) {
      fc.backwardInput(dOutput: pdy, weight: pwW, accumulatingInto: &$0)
    }
    expectAccumulates("Linear dWeight", count: 6) {
      fc.backwardWeight(dOutput: pdy, input: px, accumulatingInto: &$0)
    }
    expectAccumulates("Linear dBias", count: 2) {
      fc.backwardBias(dOutput: pdy, accumulatingInto: &$0)
    }

    let bn = BatchNorm(channels: 3)
    let (bx, bdy, gamma) = (values(15, &rng), values(15, &rng), values(3, &rng))
    var saved = BatchNorm.SavedStatistics(channels: 3)
    var running = BatchNorm.RunningStatistics(channels: 3)
    var by = [Float](repeating: 0, count: 15)
    bn.forwardTraining(
      bx, gamma: gamma, beta: [0, 0, 0], into: &by, saved: &saved, running: &running)
    var (sinkGamma, sinkBeta) = ([Float](repeating: 0, count: 3), [Float](repeating: 0, count: 3))
    var sinkX = [Float](repeating: 0, count: 15)
    expectAccumulates("BatchNorm dInput", count: 15) {
      bn.backward(
        dOutput: bdy, input: bx, gamma: gamma, saved: saved, accumulatingInto: &$0,
        dGamma: &sinkGamma, dBeta: &sinkBeta)
    }
    expectAccumulates("BatchNorm dGamma", count: 3) {
      bn.backward(
        dOutput: bdy, input: bx, gamma: gamma, saved: saved, accumulatingInto: &sinkX,
        dGamma: &$0, dBeta: &sinkBeta)
    }
    expectAccumulates("BatchNorm dBeta", count: 3) {
      bn.backward(
        dOutput: bdy, input: bx, gamma: gamma, saved: saved, accumulatingInto: &sinkX,
        dGamma: &sinkGamma, dBeta: &$0)
    }

    let y: [Float] = [-1, 0.5, 3, 6, 7, 2]
    let dy = values(6, &rng)
    expectAccumulates("ReLU", count: 6) {
      ReLU().backward(dOutput: dy, output: y, accumulatingInto: &$0)
    }
    expectAccumulates("ReLU6", count: 6) {
      ReLU6().backward(dOutput: dy, output: y, accumulatingInto: &$0)
    }
    var sinkB = [Float](repeating: 0, count: 6)
    expectAccumulates("ResidualAdd", count: 6) {
      ResidualAdd().backward(dOutput: dy, accumulatingInto: &$0, &sinkB)
    }
    expectAccumulates("Dropout", count: 6) {
      Dropout(rate: 0.5).backward(dOutput: dy, mask: [0, 2, 2, 0, 2, 2], accumulatingInto: &$0)
    }
    expectAccumulates("GlobalAvgPool", count: 12) {
      GlobalAvgPool(height: 2, width: 2, channels: 3).backward(
        dOutput: [1, 2, 3], accumulatingInto: &$0)
    }
    let pool = AvgPool2D(inputHeight: 4, inputWidth: 4, channels: 1, kernel: 2, stride: 2)
    expectAccumulates("AvgPool2D", count: 16) {
      pool.backward(dOutput: [1, 2, 3, 4], accumulatingInto: &$0)
    }
  }
}
