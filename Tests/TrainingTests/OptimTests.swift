// OptimTests.swift
// SGD (momentum, Nesterov, weight decay and its exclusions) two-step goldens computed by hand,
// and the cosine schedule at its start, the end of warm-up, the middle and the end.

import Testing
import _TestSupport

@testable import Training

@Suite struct SGDTests {
  /// p = 1, lr 0.1, momentum 0.9, weight decay 0.1, gradients 0.5 then −0.25.
  /// Step 1: g = 0.5 + 0.1·1 = 0.6, v = 0.6, p = 1 − 0.06 = 0.94.
  /// Step 2: g = −0.25 + 0.094 = −0.156, v = 0.54 − 0.156 = 0.384, p = 0.94 − 0.0384 = 0.9016.
  @Test func momentumTwoStepGolden() {
    let config = SGD.Configuration(momentum: 0.9, weightDecay: 0.1, nesterov: false)
    assertClose(run(config, role: .weight), [0.94, 0.9016], atol: 1e-6, rtol: 0)
  }

  /// Nesterov: d = g + 0.9·v. Step 1: v = 0.6, d = 1.14, p = 0.886.
  /// Step 2: g = −0.25 + 0.0886 = −0.1614, v = 0.54 − 0.1614 = 0.3786,
  /// d = −0.1614 + 0.34074 = 0.17934, p = 0.886 − 0.017934 = 0.868066.
  @Test func nesterovTwoStepGolden() {
    let config = SGD.Configuration(momentum: 0.9, weightDecay: 0.1, nesterov: true)
    let p = run(config, role: .weight)
    assertClose(p, [0.886, 0.868066], atol: 1e-6, rtol: 0)
  }

  /// Biases and batch-norm γ/β are not decayed by default: step 1 g = 0.5, p = 0.95; step 2
  /// v = 0.45 − 0.25 = 0.2, p = 0.93. With `decayBiasAndNorm` they follow the weight golden.
  @Test func weightDecayExclusions() {
    let config = SGD.Configuration(momentum: 0.9, weightDecay: 0.1)
    for role in [Parameter.Role.bias, .normScale, .normShift] {
      assertClose(run(config, role: role), [0.95, 0.93], atol: 1e-6, rtol: 0, "\(role)")
    }
    var decayAll = config
    decayAll.decayBiasAndNorm = true
    assertClose(run(decayAll, role: .bias), [0.94, 0.9016], atol: 1e-6, rtol: 0)
  }

  @Test func paperDefaults() {
    let paper = SGD.Configuration.paper
    #expect(paper.momentum == 0.9 && paper.weightDecay == 5e-5 && !paper.nesterov)
    #expect(!paper.decayBiasAndNorm)
  }

  /// Runs two steps with gradients 0.5 and −0.25 from p = 1 at lr 0.1; returns p after each.
  private func run(_ config: SGD.Configuration, role: Parameter.Role) -> [Float] {
    var sgd = SGD(configuration: config)
    var params = [Parameter(name: "p", role: role, shape: [1], value: [1])]
    var trace: [Float] = []
    for g: Float in [0.5, -0.25] {
      params[0].gradient = [g]
      sgd.step(&params, learningRate: 0.1)
      trace.append(params[0].value[0])
    }
    return trace
  }
}

@Suite struct CosineScheduleTests {
  /// base 0.1, 10 warm-up steps, 110 in total: 0.01 at step 0, 0.1 at steps 9 and 10, 0.05
  /// half-way through the cosine (step 60), 0.05·(1 − cos(0.01π)) = 2.4672e-5 at step 109.
  @Test func valuesAtLandmarks() {
    let schedule = CosineSchedule(baseLearningRate: 0.1, warmupSteps: 10, totalSteps: 110)
    assertClose(schedule.learningRate(step: 0), 0.01, atol: 1e-8)
    assertClose(schedule.learningRate(step: 4), 0.05, atol: 1e-8)
    assertClose(schedule.learningRate(step: 9), 0.1, atol: 1e-8)
    assertClose(schedule.learningRate(step: 10), 0.1, atol: 1e-8)
    assertClose(schedule.learningRate(step: 60), 0.05, atol: 1e-7)
    assertClose(schedule.learningRate(step: 109), 2.4672e-5, atol: 1e-9)
    #expect(schedule.learningRate(step: 110) == 0)
  }

  @Test func withoutWarmupStartsAtBaseAndDecreases() {
    let schedule = CosineSchedule(baseLearningRate: 0.05, totalSteps: 100)
    #expect(schedule.learningRate(step: 0) == 0.05)
    let rates = (0..<100).map { schedule.learningRate(step: $0) }
    #expect(zip(rates, rates.dropFirst()).allSatisfy { $0 > $1 })
  }

  /// 0.05 per 256 samples: 0.025 at batch 128, 0.2 at batch 1024.
  @Test func paperBaseLearningRateScalesWithBatch() {
    #expect(CosineSchedule.paperBaseLearningRate(batchSize: 256) == 0.05)
    assertClose(CosineSchedule.paperBaseLearningRate(batchSize: 128), 0.025, atol: 1e-9)
    assertClose(CosineSchedule.paperBaseLearningRate(batchSize: 1024), 0.2, atol: 1e-8)
  }
}
