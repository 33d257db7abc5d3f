// BatchNorm.swift
// Batch normalization over N, H, W per channel (NHWC), forward and backward side by side:
// training mode normalizes with the batch statistics and updates the running statistics,
// inference mode uses the running statistics. Sums are taken in Float64 so that the mean and
// variance of large batches do not drift. Momentum and epsilon default to the values in MIT's
// released netconfigs ("bn": {"momentum": 0.1, "eps": 0.001}).

import TensorModule

/// Batch normalization of the last (channel) dimension; every other dimension is reduced.
///
/// Shapes: input/output [N, H, W, C] (or any [M, C]); gamma, beta, statistics [C].
///
/// Training: `y = γ·(x − μ)/√(σ² + ε) + β` with μ, σ² the biased batch mean and variance over
/// the M = N·H·W values of each channel. The running statistics follow PyTorch:
/// `running = (1 − momentum)·running + momentum·batch`, with the *unbiased* variance
/// `σ²·M/(M − 1)` going into the running variance.
public struct BatchNorm: Hashable, Sendable {
  public let channels: Int
  public let epsilon: Float
  public let momentum: Float

  public init(channels: Int, epsilon: Float = 1e-3, momentum: Float = 0.1) {
    precondition(channels > 0, "channel count must be positive")
    precondition(epsilon > 0 && momentum >= 0 && momentum <= 1, "bad epsilon or momentum")
    self.channels = channels
    self.epsilon = epsilon
    self.momentum = momentum
  }

  /// Running mean and variance, updated by training-mode forward passes and used in inference.
  public struct RunningStatistics: Hashable, Sendable, Codable {
    public var mean: [Float]
    public var variance: [Float]

    /// Mean 0, variance 1 (PyTorch's initial state).
    public init(channels: Int) {
      mean = Array(repeating: 0, count: channels)
      variance = Array(repeating: 1, count: channels)
    }
  }

  /// What a training-mode forward pass saves for its backward pass: the batch mean and
  /// 1/√(σ² + ε) per channel.
  public struct SavedStatistics: Hashable, Sendable {
    public var mean: [Float]
    public var inverseStd: [Float]

    public init(channels: Int) {
      mean = Array(repeating: 0, count: channels)
      inverseStd = Array(repeating: 1, count: channels)
    }
  }

  private func rows(of input: [Float]) -> Int {
    batchSize(count: input.count, perSample: channels, "BatchNorm input")
  }

  // MARK: - Forward

  /// Training-mode forward: normalizes with the batch statistics, writes them to `saved`, and
  /// updates `running`. Overwrites `output` (which may not alias `input`).
  public func forwardTraining(
    _ input: [Float], gamma: [Float], beta: [Float], into output: inout [Float],
    saved: inout SavedStatistics, running: inout RunningStatistics
  ) {
    let m = rows(of: input)
    checkCount(output.count, input.count, "BatchNorm output")
    let (mean, variance) = batchMoments(input, rows: m)
    for c in 0..<channels {
      saved.mean[c] = Float(mean[c])
      saved.inverseStd[c] = Float(1 / (variance[c] + Double(epsilon)).squareRoot())
      let unbiased = m > 1 ? variance[c] * Double(m) / Double(m - 1) : variance[c]
      running.mean[c] = (1 - momentum) * running.mean[c] + momentum * Float(mean[c])
      running.variance[c] = (1 - momentum) * running.variance[c] + momentum * Float(unbiased)
    }
    normalize(
      input, gamma: gamma, beta: beta, mean: saved.mean, inverseStd: saved.inverseStd,
      into: &output)
  }

  /// Inference-mode forward: `y = γ·(x − running.mean)/√(running.variance + ε) + β`.
  /// Overwrites `output`.
  public func forwardInference(
    _ input: [Float], gamma: [Float], beta: [Float], running: RunningStatistics,
    into output: inout [Float]
  ) {
    checkCount(output.count, input.count, "BatchNorm output")
    let inverseStd = running.variance.map { 1 / ($0 + epsilon).squareRoot() }
    normalize(
      input, gamma: gamma, beta: beta, mean: running.mean, inverseStd: inverseStd, into: &output)
  }

  // MARK: - Backward

  /// Training-mode backward, with x̂ = (x − μ)·invStd recomputed from `input` and `saved`:
  ///
  ///     dβ += Σ dy                 dγ += Σ dy·x̂
  ///     dx += γ·invStd/M · (M·dy − Σ dy − x̂·Σ dy·x̂)
  public func backward(
    dOutput: [Float], input: [Float], gamma: [Float], saved: SavedStatistics,
    accumulatingInto dInput: inout [Float], dGamma: inout [Float], dBeta: inout [Float]
  ) {
    let m = rows(of: input)
    checkCount(dOutput.count, input.count, "BatchNorm dOutput")
    checkCount(dInput.count, input.count, "BatchNorm dInput")
    checkCount(dGamma.count, channels, "BatchNorm dGamma")
    checkCount(dBeta.count, channels, "BatchNorm dBeta")
    let (sumDy, sumDyXhat) = gradientSums(dOutput, input, saved: saved, rows: m)
    // dx = s·dy − k·(x − μ) − e per channel, with s = γ·invStd, k = s·invStd·mean(dy·x̂) and
    // e = s·mean(dy); x − μ is formed first so that a large mean does not cancel.
    var (s, mu, k, e) = ([Float](), [Float](), [Float](), [Float]())
    for c in 0..<channels {
      dBeta[c] += Float(sumDy[c])
      dGamma[c] += Float(sumDyXhat[c])
      s.append(gamma[c] * saved.inverseStd[c])
      mu.append(saved.mean[c])
      k.append(s[c] * saved.inverseStd[c] * Float(sumDyXhat[c] / Double(m)))
      e.append(s[c] * Float(sumDy[c] / Double(m)))
    }
    forEachRow(rows: m, dOutput, input, &dInput, coefficients: s + mu + k + e) {
      dy, x, dx, q, c in
      for ch in 0..<c {
        dx[ch] += q[ch] * dy[ch] - q[2 * c + ch] * (x[ch] - q[c + ch]) - q[3 * c + ch]
      }
    }
  }

  // MARK: - Helpers

  /// y = a·(x − mean) + β per channel, with a = γ·invStd.
  private func normalize(
    _ input: [Float], gamma: [Float], beta: [Float], mean: [Float], inverseStd: [Float],
    into output: inout [Float]
  ) {
    checkCount(gamma.count, channels, "BatchNorm gamma")
    checkCount(beta.count, channels, "BatchNorm beta")
    let a = (0..<channels).map { gamma[$0] * inverseStd[$0] }
    forEachRow(rows: input.count / channels, input, input, &output, coefficients: a + mean + beta) {
      x, _, y, q, c in
      for ch in 0..<c { y[ch] = q[ch] * (x[ch] - q[c + ch]) + q[2 * c + ch] }
    }
  }

  /// The biased batch mean and variance of each channel, in Float64 and in two passes (the
  /// mean, then squared deviations), because E[x²] − E[x]² cancels catastrophically.
  private func batchMoments(_ input: [Float], rows m: Int) -> (mean: [Double], variance: [Double]) {
    let c = channels
    return input.withUnsafeBufferPointer { xb in
      guard let x = xb.baseAddress else { return ([], []) }
      let mean = channelSums(rows: m) { row, acc in
        let xr = x + row * c
        for ch in 0..<c { acc[ch] += Double(xr[ch]) }
      }.map { $0 / Double(m) }
      let variance = mean.withUnsafeBufferPointer { meanBuffer in
        guard let mu = meanBuffer.baseAddress else { return [Double]() }
        return channelSums(rows: m) { row, acc in
          let xr = x + row * c
          for ch in 0..<c { acc[ch] += (Double(xr[ch]) - mu[ch]) * (Double(xr[ch]) - mu[ch]) }
        }
      }.map { $0 / Double(m) }
      return (mean, variance)
    }
  }

  /// Σ dy and Σ dy·x̂ per channel, in Float64.
  private func gradientSums(
    _ dOutput: [Float], _ input: [Float], saved: SavedStatistics, rows m: Int
  ) -> (sumDy: [Double], sumDyXhat: [Double]) {
    let c = channels
    var (sumDy, sumDyXc) = ([Double](), [Double]())
    input.withUnsafeBufferPointer { xb in
      dOutput.withUnsafeBufferPointer { dyb in
        saved.mean.withUnsafeBufferPointer { meanBuffer in
          guard let x = xb.baseAddress, let dy = dyb.baseAddress, let mu = meanBuffer.baseAddress
          else { return }
          sumDy = channelSums(rows: m) { row, acc in
            let dyr = dy + row * c
            for ch in 0..<c { acc[ch] += Double(dyr[ch]) }
          }
          sumDyXc = channelSums(rows: m) { row, acc in
            let (xr, dyr) = (x + row * c, dy + row * c)
            for ch in 0..<c { acc[ch] += Double(dyr[ch] * (xr[ch] - mu[ch])) }
          }
        }
      }
    }
    // Σ dy·x̂ = invStd · Σ dy·(x − μ).
    let sumDyXhat = (0..<c).map { sumDyXc[$0] * Double(saved.inverseStd[$0]) }
    return (sumDy, sumDyXhat)
  }

  /// Per-channel Float64 sums over `m` rows: `accumulate(row, sums)` adds one row into the C
  /// sums. Each core sums its rows into private sums; these are then added in chunk order, so
  /// the result does not depend on thread timing.
  private func channelSums(
    rows m: Int, _ accumulate: (Int, UnsafeMutablePointer<Double>) -> Void
  ) -> [Double] {
    let c = channels
    let work = WorkSplit(count: m, minimumRows: Grain.rows(flopsPerRow: 4 * c))
    var partial = [Double](repeating: 0, count: work.chunks * c)
    partial.withUnsafeMutableBufferPointer { pb in
      guard let p = pb.baseAddress else { return }
      work.run { chunk, range in
        for row in range { accumulate(row, p + chunk * c) }
      }
    }
    var total = [Double](repeating: 0, count: c)
    for chunk in 0..<work.chunks {
      for ch in 0..<c { total[ch] += partial[chunk * c + ch] }
    }
    return total
  }

  /// Runs `body(u, v, out, coefficients, C)` on the matching rows of three [M, C] buffers,
  /// rows split over the cores. `coefficients` is per-channel data the body indexes itself.
  private func forEachRow(
    rows m: Int, _ u: [Float], _ v: [Float], _ out: inout [Float], coefficients: [Float],
    _ body: (
      UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>,
      UnsafePointer<Float>, Int
    ) -> Void
  ) {
    let c = channels
    let work = WorkSplit(count: m, minimumRows: Grain.rows(flopsPerRow: 4 * c))
    u.withUnsafeBufferPointer { ub in
      v.withUnsafeBufferPointer { vb in
        coefficients.withUnsafeBufferPointer { kb in
          out.withUnsafeMutableBufferPointer { ob in
            guard let u = ub.baseAddress, let v = vb.baseAddress, let k = kb.baseAddress,
              let o = ob.baseAddress
            else { return }
            work.run { _, range in
              for row in range { body(u + row * c, v + row * c, o + row * c, k, c) }
            }
          }
        }
      }
    }
  }
}

// MARK: - Allocating convenience

extension BatchNorm {
  /// Allocating training-mode forward; updates `running` and returns the saved statistics.
  public func forwardTraining(
    _ input: Tensor<Float>, gamma: [Float], beta: [Float], running: inout RunningStatistics
  ) -> (output: Tensor<Float>, saved: SavedStatistics) {
    precondition(input.shape.dims.last == channels, "input shape \(input.shape)")
    var output = Tensor<Float>(zeros: input.shape)
    var saved = SavedStatistics(channels: channels)
    forwardTraining(
      input.storage, gamma: gamma, beta: beta, into: &output.storage, saved: &saved,
      running: &running)
    return (output, saved)
  }

  /// Allocating training-mode gradients.
  public func backward(
    _ input: Tensor<Float>, gamma: [Float], saved: SavedStatistics, dOutput: Tensor<Float>
  ) -> (dInput: Tensor<Float>, dGamma: [Float], dBeta: [Float]) {
    var dInput = Tensor<Float>(zeros: input.shape)
    var dGamma = [Float](repeating: 0, count: channels)
    var dBeta = dGamma
    backward(
      dOutput: dOutput.storage, input: input.storage, gamma: gamma, saved: saved,
      accumulatingInto: &dInput.storage, dGamma: &dGamma, dBeta: &dBeta)
    return (dInput, dGamma, dBeta)
  }
}
