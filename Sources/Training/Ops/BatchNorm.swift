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
    forwardTraining(
      input, gamma: gamma, beta: beta, into: &output, saved: &saved, running: &running,
      clampingTo: nil)
  }

  /// `forwardTraining` with the activation that follows fused into the store:
  /// y = clamp(γ·x̂ + β, to: clamp) (ReLU is 0…∞, ReLU6 0…6; nil for none).
  func forwardTraining(
    _ input: [Float], gamma: [Float], beta: [Float], into output: inout [Float],
    saved: inout SavedStatistics, running: inout RunningStatistics,
    clampingTo clamp: ClosedRange<Float>?
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
      into: &output, clampingTo: clamp)
  }

  /// Inference-mode forward: `y = γ·(x − running.mean)/√(running.variance + ε) + β`.
  /// Overwrites `output`.
  public func forwardInference(
    _ input: [Float], gamma: [Float], beta: [Float], running: RunningStatistics,
    into output: inout [Float]
  ) {
    forwardInference(
      input, gamma: gamma, beta: beta, running: running, into: &output, clampingTo: nil)
  }

  /// `forwardInference` with a fused activation clamp (see `forwardTraining`).
  func forwardInference(
    _ input: [Float], gamma: [Float], beta: [Float], running: RunningStatistics,
    into output: inout [Float], clampingTo clamp: ClosedRange<Float>?
  ) {
    checkCount(output.count, input.count, "BatchNorm output")
    let inverseStd = running.variance.map { 1 / ($0 + epsilon).squareRoot() }
    normalize(
      input, gamma: gamma, beta: beta, mean: running.mean, inverseStd: inverseStd, into: &output,
      clampingTo: clamp)
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
    backward(
      dOutput: dOutput, input: input, gamma: gamma, saved: saved, into: &dInput,
      accumulating: true, dGamma: &dGamma, dBeta: &dBeta)
  }

  /// The gradient gate of an activation that follows the batch norm, fused into its backward:
  /// dy = dOutput where `open.lowerBound < output < open.upperBound`, else 0 (ReLU 0…∞,
  /// ReLU6 0…6; the same convention as `ReLU`/`ReLU6`). `output` is the activation's output.
  struct Gate {
    var output: [Float]
    var open: ClosedRange<Float>
  }

  /// `backward` that overwrites dInput instead of adding to it when `accumulating` is false
  /// (saves zeroing it first and reading it back), and, with a `gate`, takes the gradient of
  /// the activation's output and applies the activation's gradient on the fly.
  func backward(
    dOutput: [Float], input: [Float], gamma: [Float], saved: SavedStatistics,
    into dInput: inout [Float], accumulating: Bool, dGamma: inout [Float], dBeta: inout [Float],
    gate: Gate? = nil
  ) {
    let m = rows(of: input)
    if let gate { checkCount(gate.output.count, input.count, "BatchNorm gate output") }
    checkCount(dOutput.count, input.count, "BatchNorm dOutput")
    checkCount(dInput.count, input.count, "BatchNorm dInput")
    checkCount(dGamma.count, channels, "BatchNorm dGamma")
    checkCount(dBeta.count, channels, "BatchNorm dBeta")
    let (sumDy, sumDyXhat) = gradientSums(dOutput, input, saved: saved, rows: m, gate: gate)
    // dx = s·dy − k·(x − μ) − e per channel, with s = γ·invStd, k = s·invStd·mean(dy·x̂) and
    // e = s·mean(dy); x − μ is formed first so that a large mean does not cancel.
    var (s, k, e) = ([Float](), [Float](), [Float]())
    for c in 0..<channels {
      dBeta[c] += Float(sumDy[c])
      dGamma[c] += Float(sumDyXhat[c])
      s.append(gamma[c] * saved.inverseStd[c])
      k.append(s[c] * saved.inverseStd[c] * Float(sumDyXhat[c] / Double(m)))
      e.append(s[c] * Float(sumDy[c] / Double(m)))
    }
    var coefficients = [s, saved.mean, k, e]
    if let gate {
      coefficients.append([Float](repeating: gate.open.lowerBound, count: channels))
      coefficients.append([Float](repeating: gate.open.upperBound, count: channels))
    }
    let map: ChannelAffine.Map =
      switch (gate != nil, accumulating) {
      case (false, false): .dInput
      case (false, true): .dInputAccumulating
      case (true, false): .dInputGated
      case (true, true): .dInputGatedAccumulating
      }
    ChannelAffine(coefficients: coefficients, rows: m, channels: channels).run(
      dOutput, input, gate?.output ?? dOutput, into: &dInput, map)
  }

  // MARK: - Helpers

  /// y = a·(x − mean) + β per channel, with a = γ·invStd, then clamped if asked.
  private func normalize(
    _ input: [Float], gamma: [Float], beta: [Float], mean: [Float], inverseStd: [Float],
    into output: inout [Float], clampingTo clamp: ClosedRange<Float>?
  ) {
    checkCount(gamma.count, channels, "BatchNorm gamma")
    checkCount(beta.count, channels, "BatchNorm beta")
    let a = (0..<channels).map { gamma[$0] * inverseStd[$0] }
    var coefficients = [a, mean, beta]
    if let clamp {
      coefficients.append([Float](repeating: clamp.lowerBound, count: channels))
      coefficients.append([Float](repeating: clamp.upperBound, count: channels))
    }
    ChannelAffine(coefficients: coefficients, rows: input.count / channels, channels: channels)
      .run(input, input, input, into: &output, clamp == nil ? .normalize : .normalizeClamped)
  }

  /// The biased batch mean and variance of each channel, in one pass over the input: sums of
  /// d = x − K and d² (Float64 across blocks of rows), with K per channel the mean of 16 rows
  /// at the midpoints of 16 equal strata of the batch. Shifting by K ≈ μ keeps E[d²] − E[d]²
  /// from cancelling the way E[x²] − E[x]² does when |μ| ≫ σ; sampling across the batch
  /// rather than taking the first rows (one image's top-left pixels) keeps K near μ when the
  /// batch drifts.
  private func batchMoments(_ input: [Float], rows m: Int) -> (mean: [Double], variance: [Double]) {
    let c = channels
    let samples = (0..<min(m, 16)).map { (2 * $0 + 1) * m / (2 * min(m, 16)) }
    let shift = (0..<c).map { ch in
      Float(samples.reduce(0.0) { $0 + Double(input[$1 * c + ch]) } / Double(samples.count))
    }
    let (sumD, sumD2) = ChannelSums(rows: m, channels: c).run(
      input, input, input, shift, .moments)
    var mean = [Double](repeating: 0, count: c)
    var variance = mean
    for ch in 0..<c {
      let meanD = sumD[ch] / Double(m)
      mean[ch] = Double(shift[ch]) + meanD
      variance[ch] = max(sumD2[ch] / Double(m) - meanD * meanD, 0)
    }
    return (mean, variance)
  }

  /// Σ dy and Σ dy·x̂ per channel, in Float64, in one pass over dOutput and input (dy gated
  /// by `gate` if given).
  private func gradientSums(
    _ dOutput: [Float], _ input: [Float], saved: SavedStatistics, rows m: Int, gate: Gate?
  ) -> (sumDy: [Double], sumDyXhat: [Double]) {
    let sums = ChannelSums(rows: m, channels: channels)
    let (sumDy, sumDyXc) =
      if let gate {
        sums.run(dOutput, input, gate.output, saved.mean, .gatedGradient(gate.open))
      } else {
        sums.run(dOutput, input, dOutput, saved.mean, .gradient)
      }
    // Σ dy·x̂ = invStd · Σ dy·(x − μ).
    let sumDyXhat = (0..<channels).map { sumDyXc[$0] * Double(saved.inverseStd[$0]) }
    return (sumDy, sumDyXhat)
  }
}

// MARK: - Channel loops

/// Two per-channel sums over the rows of [M, C] buffers u and v, with a per-channel offset o:
/// `.moments` gives Σ (u − o) and Σ (u − o)²; `.gradient` gives Σ u and Σ u·(v − o);
/// `.gatedGradient(open)` is `.gradient` with u replaced by u where g (a third buffer) lies
/// strictly inside `open`, else 0.
///
/// Rows are split over the cores; each core sums blocks of `blockRows` rows in Float32
/// registers and adds each block's sums to its private Float64 sums, which are then added in
/// chunk order, so the result does not depend on thread timing.
private struct ChannelSums {
  enum Kind {
    case moments, gradient
    case gatedGradient(ClosedRange<Float>)
  }

  let rows: Int
  let channels: Int
  static let blockRows = 64

  func run(_ u: [Float], _ v: [Float], _ g: [Float], _ offset: [Float], _ kind: Kind) -> (
    [Double], [Double]
  ) {
    let c = channels
    let work = WorkSplit(count: rows, minimumRows: Grain.rows(flopsPerRow: 4 * c))
    var partial = [Double](repeating: 0, count: work.chunks * 2 * c)
    u.withUnsafeBufferPointer { ub in
      v.withUnsafeBufferPointer { vb in
        g.withUnsafeBufferPointer { gb in
          offset.withUnsafeBufferPointer { ob in
            partial.withUnsafeMutableBufferPointer { pb in
              guard let u = ub.baseAddress, let v = vb.baseAddress, let g = gb.baseAddress,
                let o = ob.baseAddress, let p = pb.baseAddress
              else { return }
              work.run { chunk, range in
                let (first, second) = (p + chunk * 2 * c, p + chunk * 2 * c + c)
                var start = range.lowerBound
                while start < range.upperBound {
                  let block = start..<min(start + Self.blockRows, range.upperBound)
                  forEachChannelBlock(c) { width, ch in
                    let (u, v, g, o) = (u + ch, v + ch, g + ch, o + ch)
                    let (s1, s2) = (first + ch, second + ch)
                    switch width {
                    case .sixteen: sum(SIMD16<Float>.self, u, v, g, o, block, kind, s1, s2)
                    case .eight: sum(SIMD8<Float>.self, u, v, g, o, block, kind, s1, s2)
                    case .one: sum(Float.self, u, v, g, o, block, kind, s1, s2)
                    }
                  }
                  start = block.upperBound
                }
              }
            }
          }
        }
      }
    }
    var (first, second) = ([Double](repeating: 0, count: c), [Double](repeating: 0, count: c))
    for chunk in 0..<work.chunks {
      for ch in 0..<c {
        first[ch] += partial[chunk * 2 * c + ch]
        second[ch] += partial[chunk * 2 * c + c + ch]
      }
    }
    return (first, second)
  }

  /// One channel block over the rows of `block`, summed in Float32 registers (at most
  /// `blockRows` terms) and then added to the Float64 sums s1 and s2.
  @inline(__always)
  private func sum<V: ChannelVector>(
    _: V.Type, _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
    _ o: UnsafePointer<Float>, _ block: Range<Int>, _ kind: Kind,
    _ s1: UnsafeMutablePointer<Double>,
    _ s2: UnsafeMutablePointer<Double>
  ) {
    let offset = V.load(o, 0)
    var (a1, a2) = (V.zero, V.zero)
    switch kind {
    case .moments:
      for row in block {
        let d = V.load(u, row &* channels) - offset
        a1 = a1 + d
        a2 = a2 + d * d
      }
    case .gradient:
      for row in block {
        let dy = V.load(u, row &* channels)
        a1 = a1 + dy
        a2 = a2 + dy * (V.load(v, row &* channels) - offset)
      }
    case .gatedGradient(let open):
      let (lower, upper) = (V(repeating: open.lowerBound), V(repeating: open.upperBound))
      for row in block {
        let i = row &* channels
        let dy = V.load(u, i).gated(by: V.load(g, i), lower, upper)
        a1 = a1 + dy
        a2 = a2 + dy * (V.load(v, i) - offset)
      }
    }
    for i in 0..<V.width {
      s1[i] += Double(a1[i])
      s2[i] += Double(a2[i])
    }
  }
}

/// An element-wise map over the rows of [M, C] buffers with per-channel coefficients
/// (`coefficients[j][c]`): out = body(u, v, out, coefficients). Rows are split over the cores,
/// in blocks of rows so each channel block's coefficients stay in registers.
private struct ChannelAffine {
  let coefficients: [[Float]]
  let rows: Int
  let channels: Int

  /// What one element becomes; `q` holds the coefficients of its channel block.
  enum Map {
    /// out = q0·(u − q1) + q2.
    case normalize
    /// out = clamp(q0·(u − q1) + q2, q3…q4).
    case normalizeClamped
    /// out = q0·u − q2·(v − q1) − q3.
    case dInput
    /// out += q0·u − q2·(v − q1) − q3.
    case dInputAccumulating
    /// `dInput` with u gated by g: u where q4 < g < q5, else 0.
    case dInputGated
    /// `dInputAccumulating` with u gated by g.
    case dInputGatedAccumulating
  }
  func run(_ u: [Float], _ v: [Float], _ g: [Float], into out: inout [Float], _ map: Map) {
    let c = channels
    let flat = coefficients.flatMap { $0 }
    let work = WorkSplit(count: rows, minimumRows: Grain.rows(flopsPerRow: 4 * c))
    u.withUnsafeBufferPointer { ub in
      v.withUnsafeBufferPointer { vb in
        g.withUnsafeBufferPointer { gb in
          flat.withUnsafeBufferPointer { qb in
            out.withUnsafeMutableBufferPointer { yb in
              guard let u = ub.baseAddress, let v = vb.baseAddress, let g = gb.baseAddress,
                let q = qb.baseAddress, let y = yb.baseAddress
              else { return }
              work.run { _, range in
                var start = range.lowerBound
                while start < range.upperBound {
                  let block = start..<min(start + ChannelSums.blockRows, range.upperBound)
                  forEachChannelBlock(c) { width, ch in
                    let (u, v, g, q, y) = (u + ch, v + ch, g + ch, q + ch, y + ch)
                    switch width {
                    case .sixteen: apply(SIMD16<Float>.self, u, v, g, q, y, block, map)
                    case .eight: apply(SIMD8<Float>.self, u, v, g, q, y, block, map)
                    case .one: apply(Float.self, u, v, g, q, y, block, map)
                    }
                  }
                  start = block.upperBound
                }
              }
            }
          }
        }
      }
    }
  }

  @inline(__always)
  private func apply<V: ChannelVector>(
    _: V.Type, _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
    _ q: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ block: Range<Int>, _ map: Map
  ) {
    let c = channels
    let (q0, q1, q2) = (V.load(q, 0), V.load(q, c), V.load(q, 2 &* c))
    switch map {
    case .normalize:
      for row in block {
        let i = row &* c
        (q0 * (V.load(u, i) - q1) + q2).store(y, i)
      }
    case .normalizeClamped:
      let (lower, upper) = (V.load(q, 3 &* c), V.load(q, 4 &* c))
      for row in block {
        let i = row &* c
        (q0 * (V.load(u, i) - q1) + q2).limited(lower, upper).store(y, i)
      }
    case .dInput:
      let q3 = V.load(q, 3 &* c)
      for row in block {
        let i = row &* c
        (q0 * V.load(u, i) - q2 * (V.load(v, i) - q1) - q3).store(y, i)
      }
    case .dInputAccumulating:
      let q3 = V.load(q, 3 &* c)
      for row in block {
        let i = row &* c
        let dx = q0 * V.load(u, i) - q2 * (V.load(v, i) - q1) - q3
        (V.load(UnsafePointer(y), i) + dx).store(y, i)
      }
    case .dInputGated, .dInputGatedAccumulating:
      let (q3, lower, upper) = (V.load(q, 3 &* c), V.load(q, 4 &* c), V.load(q, 5 &* c))
      let accumulate = map == .dInputGatedAccumulating
      for row in block {
        let i = row &* c
        let dy = V.load(u, i).gated(by: V.load(g, i), lower, upper)
        let dx = q0 * dy - q2 * (V.load(v, i) - q1) - q3
        (accumulate ? V.load(UnsafePointer(y), i) + dx : dx).store(y, i)
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
