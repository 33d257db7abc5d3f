// BatchNormTests.swift
// BatchNorm: hand-computed training/inference goldens (chosen so that √(σ² + ε) is an integer),
// the running-statistics update, and training-mode gradients against finite differences.

import ModelIR
import TensorModule
import Testing
import _TestSupport

@testable import Training

@Suite struct BatchNormTests {
  // Four samples, two channels, ε = 1.5.
  // Channel 0: x = [−2, −1, 1, 2], μ = 0, σ² = 10/4 = 2.5, √(σ² + ε) = 2; γ = 2, β = 1 → x + 1.
  // Channel 1: x = [6, 9, 12, 13], μ = 10, σ² = 30/4 = 7.5, √(σ² + ε) = 3; γ = 3, β = 0 → x − 10.
  static let x: [Float] = [-2, 6, -1, 9, 1, 12, 2, 13]
  static let gamma: [Float] = [2, 3]
  static let beta: [Float] = [1, 0]
  static let bn = BatchNorm(channels: 2, epsilon: 1.5, momentum: 0.1)

  @Test func goldenTrainingForward() {
    var running = BatchNorm.RunningStatistics(channels: 2)
    var saved = BatchNorm.SavedStatistics(channels: 2)
    var y = [Float](repeating: .nan, count: 8)
    Self.bn.forwardTraining(
      Self.x, gamma: Self.gamma, beta: Self.beta, into: &y, saved: &saved, running: &running)
    assertClose(y, [-1, -4, 0, -1, 2, 2, 3, 3], atol: 1e-6)
    assertClose(saved.mean, [0, 10], atol: 1e-6)
    assertClose(saved.inverseStd, [0.5, 1 / 3], atol: 1e-7)
    // running = 0.9·(0, 1) + 0.1·(μ, unbiased σ²) with unbiased σ² = σ²·4/3 = (10/3, 10).
    assertClose(running.mean, [0, 1], atol: 1e-6)
    assertClose(running.variance, [0.9 + 1 / 3, 1.9], atol: 1e-6)
  }

  /// Running mean (1, 10), variance (2.5, 7.5): channel 0 maps x ↦ 2(x − 1)/2 + 1 = x,
  /// channel 1 maps x ↦ 3(x − 10)/3 = x − 10.
  @Test func goldenInferenceForward() {
    var running = BatchNorm.RunningStatistics(channels: 2)
    running.mean = [1, 10]
    running.variance = [2.5, 7.5]
    var y = [Float](repeating: .nan, count: 4)
    Self.bn.forwardInference(
      [-2, 6, 1, 13], gamma: Self.gamma, beta: Self.beta, running: running, into: &y)
    assertClose(y, [-2, -4, 1, 3], atol: 1e-6)
  }

  /// dY = 1 at (sample 0, channel 0) only. Channel 0 has x̂ = [−1, −½, ½, 1] and γ·invStd = 1,
  /// Σdy = 1, Σdy·x̂ = −1, so dx = dy − ¼ + x̂/4 = [½, −⅜, −⅛, 0]; channel 1 gets nothing.
  @Test func goldenBackward() {
    var running = BatchNorm.RunningStatistics(channels: 2)
    let input = Tensor<Float>(shape: [4, 1, 1, 2], storage: Self.x)
    let (_, saved) = Self.bn.forwardTraining(
      input, gamma: Self.gamma, beta: Self.beta, running: &running)
    var dy = Tensor<Float>(zeros: [4, 1, 1, 2])
    dy[0, 0, 0, 0] = 1
    let (dx, dGamma, dBeta) = Self.bn.backward(
      input, gamma: Self.gamma, saved: saved, dOutput: dy)
    assertClose(dx.storage, [0.5, 0, -0.375, 0, -0.125, 0, 0, 0], atol: 1e-6)
    assertClose(dGamma, [-1, 0], atol: 1e-6)
    assertClose(dBeta, [1, 0], atol: 1e-6)
  }

  /// Training forward against the reference, and dx, dγ, dβ against finite differences, over
  /// batch sizes and channel counts (including a shape large enough to use both threads).
  @Test func matchesReferenceAndFiniteDifferences() {
    var rng = SeededGenerator(seed: 41)
    withEvery("shape", in: [[2, 1, 1, 1], [3, 2, 3, 5], [2, 3, 3, 17]]) { dims in
      let c = dims[3]
      let bn = BatchNorm(channels: c, epsilon: 1e-3)
      let count = Shape(dims).count
      let x = randomValues(count, in: -2...3, using: &rng)
      let gamma = randomValues(c, in: 0.5...2, using: &rng)
      let beta = randomValues(c, using: &rng)
      let r = randomValues(count, using: &rng)
      var y = [Float](repeating: .nan, count: count)
      var saved = BatchNorm.SavedStatistics(channels: c)
      var running = BatchNorm.RunningStatistics(channels: c)
      bn.forwardTraining(
        x.floats, gamma: gamma.floats, beta: beta.floats, into: &y, saved: &saved,
        running: &running)
      let reference = { (x: [Double], g: [Double], b: [Double]) in
        Reference.batchNormTraining(x, gamma: g, beta: b, epsilon: 1e-3)
      }
      assertClose(y.doubles, reference(x, gamma, beta), atol: 1e-5, rtol: 1e-5)
      var dx = [Float](repeating: 0, count: count)
      var dGamma = [Float](repeating: 0, count: c)
      var dBeta = [Float](repeating: 0, count: c)
      bn.backward(
        dOutput: r.floats, input: x.floats, gamma: gamma.floats, saved: saved,
        accumulatingInto: &dx, dGamma: &dGamma, dBeta: &dBeta)
      let fdX = FiniteDifference.gradient(at: x) { dot(reference($0, gamma, beta), r) }
      let fdG = FiniteDifference.gradient(at: gamma) { dot(reference(x, $0, beta), r) }
      let fdB = FiniteDifference.gradient(at: beta) { dot(reference(x, gamma, $0), r) }
      assertClose(dx.doubles, fdX, atol: 1e-4, rtol: 1e-3, "dInput")
      assertClose(dGamma.doubles, fdG, atol: 1e-4, rtol: 1e-3, "dGamma")
      assertClose(dBeta.doubles, fdB, atol: 1e-4, rtol: 1e-3, "dBeta")
    }
  }

  /// Both threads: a [8, 16, 16, 24] batch splits its rows, and the result still equals the
  /// reference; the batch statistics equal the Float64 ones.
  @Test func parallelPathMatchesReference() {
    var rng = SeededGenerator(seed: 42)
    let (m, c) = (8 * 16 * 16, 24)
    #expect(WorkSplit(count: m, minimumRows: Grain.rows(flopsPerRow: 4 * c)).chunks > 1)
    let bn = BatchNorm(channels: c)
    let x = randomValues(m * c, in: -1...5, using: &rng)
    let gamma = randomValues(c, using: &rng)
    let beta = randomValues(c, using: &rng)
    var y = [Float](repeating: .nan, count: m * c)
    var saved = BatchNorm.SavedStatistics(channels: c)
    var running = BatchNorm.RunningStatistics(channels: c)
    bn.forwardTraining(
      x.floats, gamma: gamma.floats, beta: beta.floats, into: &y, saved: &saved, running: &running)
    let expected = Reference.batchNormTraining(x, gamma: gamma, beta: beta, epsilon: 1e-3)
    assertClose(y.doubles, expected, atol: 1e-5, rtol: 1e-5)
    let means = (0..<c).map { ch in (0..<m).reduce(0.0) { $0 + x[$1 * c + ch] } / Double(m) }
    assertClose(saved.mean.doubles, means, atol: 1e-6, rtol: 1e-6)
  }

  /// Activations with a mean of 1000 and a spread of 1: x − μ is formed before scaling, so the
  /// errors stay near what rounding μ to Float32 costs (measured: 6.5e-5 in y, 1.9e-5 in dx);
  /// the folded form a·x + (β − a·μ) measured 2.1e-4 and 4.7e-5 and fails these bounds.
  @Test func largeMeanDoesNotCancel() {
    var rng = SeededGenerator(seed: 44)
    let (m, c) = (64, 3)
    let bn = BatchNorm(channels: c, epsilon: 1e-3)
    let x = randomValues(m * c, in: 999...1001, using: &rng)
    let gamma = randomValues(c, in: 0.5...2, using: &rng)
    let r = randomValues(m * c, using: &rng)
    var y = [Float](repeating: .nan, count: m * c)
    var saved = BatchNorm.SavedStatistics(channels: c)
    var running = BatchNorm.RunningStatistics(channels: c)
    bn.forwardTraining(
      x.floats, gamma: gamma.floats, beta: [0, 0, 0], into: &y, saved: &saved, running: &running)
    let reference = { (x: [Double]) in
      Reference.batchNormTraining(x, gamma: gamma, beta: [0, 0, 0], epsilon: 1e-3)
    }
    assertClose(y.doubles, reference(x), atol: 1e-4, rtol: 0)
    var dx = [Float](repeating: 0, count: m * c)
    var (dGamma, dBeta) = ([Float](repeating: 0, count: c), [Float](repeating: 0, count: c))
    bn.backward(
      dOutput: r.floats, input: x.floats, gamma: gamma.floats, saved: saved,
      accumulatingInto: &dx, dGamma: &dGamma, dBeta: &dBeta)
    let fd = FiniteDifference.gradient(at: x, epsilon: 1e-4) { dot(reference($0), r) }
    assertClose(dx.doubles, fd, atol: 3e-5, rtol: 0)
  }

  /// Inference forward equals the reference with the running statistics.
  @Test func inferenceMatchesReference() {
    var rng = SeededGenerator(seed: 43)
    let bn = BatchNorm(channels: 5, epsilon: 1e-5)
    let x = randomValues(30, using: &rng)
    let (gamma, beta) = (randomValues(5, using: &rng), randomValues(5, using: &rng))
    var running = BatchNorm.RunningStatistics(channels: 5)
    running.mean = randomValues(5, using: &rng).floats
    running.variance = randomValues(5, in: 0.1...2, using: &rng).floats
    var y = [Float](repeating: .nan, count: 30)
    bn.forwardInference(
      x.floats, gamma: gamma.floats, beta: beta.floats, running: running, into: &y)
    let expected = Reference.batchNormInference(
      x, gamma: gamma, beta: beta, mean: running.mean.doubles,
      variance: running.variance.doubles, epsilon: 1e-5)
    assertClose(y.doubles, expected, atol: 1e-5, rtol: 1e-5)
  }

  /// The fused activation clamp equals batch norm followed by ReLU / ReLU6, the overwriting
  /// backward equals the accumulating one into zeros, and the gated backward equals the
  /// activation's backward followed by batch norm's, over channel counts that use every
  /// channel block and row counts around the 64-row block.
  @Test func fusedClampAndOverwritingBackwardMatchUnfused() {
    var rng = SeededGenerator(seed: 45)
    withEvery("C", in: [1, 8, 24, 41]) { c in
      withEvery("rows", in: [1, 63, 130]) { m in
        let bn = BatchNorm(channels: c)
        let x = randomValues(m * c, in: -4...9, using: &rng).floats
        let dy = randomValues(m * c, using: &rng).floats
        let gamma = randomValues(c, in: 0.5...2, using: &rng).floats
        let beta = randomValues(c, in: 0...3, using: &rng).floats
        var saved = BatchNorm.SavedStatistics(channels: c)
        var running = BatchNorm.RunningStatistics(channels: c)
        var plain = [Float](repeating: .nan, count: m * c)
        bn.forwardTraining(
          x, gamma: gamma, beta: beta, into: &plain, saved: &saved, running: &running)
        let activations: [(ClosedRange<Float>, ([Float], inout [Float]) -> Void)] = [
          (0...Float.infinity, { ReLU().forward($0, into: &$1) }),
          (0...6, { ReLU6().forward($0, into: &$1) }),
        ]
        for (clamp, act) in activations {
          var fused = [Float](repeating: .nan, count: m * c)
          var expected = plain
          act(plain, &expected)
          bn.forwardTraining(
            x, gamma: gamma, beta: beta, into: &fused, saved: &saved, running: &running,
            clampingTo: clamp)
          #expect(fused == expected, "clamp \(clamp)")
          var inference = [Float](repeating: .nan, count: m * c)
          var unfused = inference
          bn.forwardInference(x, gamma: gamma, beta: beta, running: running, into: &unfused)
          let normalized = unfused
          act(normalized, &unfused)
          bn.forwardInference(
            x, gamma: gamma, beta: beta, running: running, into: &inference, clampingTo: clamp)
          #expect(inference == unfused, "inference clamp \(clamp)")
        }
        var (dxA, dxO) = (
          [Float](repeating: 0, count: m * c), [Float](repeating: .nan, count: m * c)
        )
        var (dgA, dbA) = ([Float](repeating: 0, count: c), [Float](repeating: 0, count: c))
        var (dgO, dbO) = (dgA, dbA)
        bn.backward(
          dOutput: dy, input: x, gamma: gamma, saved: saved, accumulatingInto: &dxA,
          dGamma: &dgA, dBeta: &dbA)
        bn.backward(
          dOutput: dy, input: x, gamma: gamma, saved: saved, into: &dxO, accumulating: false,
          dGamma: &dgO, dBeta: &dbO)
        #expect(dxO == dxA && dgO == dgA && dbO == dbA)
        // The gated backward (activation gradient applied inside) equals the activation's
        // backward followed by the plain one, for both activations and both write modes.
        for (activation, open) in [(Activation.relu, 0...Float.infinity), (.relu6, 0...6)] {
          var y = plain
          ActivationFunction.forward(activation, &y)
          var dPre = [Float]()
          ActivationFunction.backward(activation, dOutput: dy, output: y, into: &dPre)
          for accumulating in [false, true] {
            var (dxE, dxG) = (
              [Float](repeating: 0.25, count: m * c), [Float](repeating: 0.25, count: m * c)
            )
            var (dgE, dbE) = ([Float](repeating: 0, count: c), [Float](repeating: 0, count: c))
            var (dgG, dbG) = (dgE, dbE)
            bn.backward(
              dOutput: dPre, input: x, gamma: gamma, saved: saved, into: &dxE,
              accumulating: accumulating, dGamma: &dgE, dBeta: &dbE)
            bn.backward(
              dOutput: dy, input: x, gamma: gamma, saved: saved, into: &dxG,
              accumulating: accumulating, dGamma: &dgG, dBeta: &dbG,
              gate: BatchNorm.Gate(output: y, open: open))
            #expect(dxG == dxE && dgG == dgE && dbG == dbE, "\(activation) \(accumulating)")
            // The gate recomputed from the input with the forward's coefficients (what the
            // model uses) equals the one read from the output.
            var dxR = [Float](repeating: 0.25, count: m * c)
            var (dgR, dbR) = ([Float](repeating: 0, count: c), [Float](repeating: 0, count: c))
            dy.withUnsafeBufferPointer { dyb in
              x.withUnsafeBufferPointer { xb in
                dxR.withUnsafeMutableBufferPointer { dxb in
                  guard let dyp = dyb.baseAddress, let xp = xb.baseAddress,
                    let dxp = dxb.baseAddress
                  else { return }
                  bn.backwardPlan(
                    dOutput: dyp, input: xp, rows: m, gamma: gamma, saved: saved,
                    gate: .recomputed(open: open), accumulating: accumulating, dGamma: &dgR,
                    dBeta: &dbR
                  ).run(dyp, xp, xp, into: dxp)
                }
              }
            }
            #expect(dxR == dxG && dgR == dgG && dbR == dbG, "recomputed \(activation)")
          }
        }
      }
    }
  }

  /// Statistics of a [4096, 19] batch whose means are far from zero and whose first 16 rows
  /// sit far from the rest (the one-pass sums are shifted by a sampled mean, not the first
  /// rows'): mean and variance within Float32 rounding of the Float64 two-pass values.
  @Test func onePassStatisticsMatchTwoPassFloat64() {
    var rng = SeededGenerator(seed: 46)
    let (m, c) = (4096, 19)
    let bn = BatchNorm(channels: c, epsilon: 1e-3, momentum: 1)
    var x = randomValues(m * c, in: -1...1, using: &rng)
    for i in x.indices {
      let (row, ch) = i.quotientAndRemainder(dividingBy: c)
      // A drifting mean: rows at the start sit 30·ch away from the rest.
      x[i] = Double(Float(x[i] * Double(ch + 1) + (row < 16 ? 0 : 30 * Double(ch))))
    }
    var y = [Float](repeating: .nan, count: m * c)
    var saved = BatchNorm.SavedStatistics(channels: c)
    var running = BatchNorm.RunningStatistics(channels: c)
    bn.forwardTraining(
      x.floats, gamma: [Float](repeating: 1, count: c), beta: [Float](repeating: 0, count: c),
      into: &y, saved: &saved, running: &running)
    for ch in 0..<c {
      let values = (0..<m).map { x[$0 * c + ch] }
      let mean = values.reduce(0, +) / Double(m)
      let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(m)
      assertClose([Double(saved.mean[ch])], [mean], atol: 1e-6, rtol: 1e-6, "mean \(ch)")
      // Momentum 1: the running variance is the unbiased batch variance.
      assertClose(
        [Double(running.variance[ch])], [variance * Double(m) / Double(m - 1)], atol: 0,
        rtol: 1e-5, "variance \(ch)")
    }
  }
}
