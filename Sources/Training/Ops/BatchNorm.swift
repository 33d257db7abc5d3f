// BatchNorm.swift
// Batch normalization over N, H, W per channel (NHWC), forward and backward side by side:
// training mode normalizes with the batch statistics and updates the running statistics,
// inference mode uses the running statistics. The batch statistics come from `ChannelMoments`
// (BatchNorm+Moments.swift): per-unit two-pass moments combined in Float64, so that the mean and
// variance of large batches do not drift and a tiled producer can record them on the fly. Momentum and epsilon default to the values in MIT's
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
    /// The forward's per-channel scale γ·invStd and shift β, exactly as it applied them, so
    /// that a backward pass can recompute the pre-activation values bit for bit (and gate the
    /// gradient with them instead of reading the activation's output back).
    var scale: [Float]
    var shift: [Float]

    public init(channels: Int) {
      mean = Array(repeating: 0, count: channels)
      inverseStd = Array(repeating: 1, count: channels)
      scale = mean
      shift = mean
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
    var moments = ChannelMoments()
    input.withUnsafeBufferPointer { x in
      output.withUnsafeMutableBufferPointer { y in
        guard let x = x.baseAddress, let y = y.baseAddress else { return }
        moments.measure(x, rows: m, channels: channels)
        forwardTraining(
          x, rows: m, moments: moments, gamma: gamma, beta: beta, into: y, saved: &saved,
          running: &running, clampingTo: clamp)
      }
    }
  }

  /// The training-mode forward of the [m, C] rows at `input` whose statistics `moments`
  /// already holds (a producer may have recorded them tile by tile): saves the statistics,
  /// updates the running ones and writes the normalized (and clamped) rows to `output`.
  func forwardTraining(
    _ input: UnsafePointer<Float>, rows m: Int, moments: ChannelMoments, gamma: [Float],
    beta: [Float], into output: UnsafeMutablePointer<Float>, saved: inout SavedStatistics,
    running: inout RunningStatistics, clampingTo clamp: ClosedRange<Float>?
  ) {
    precondition(
      moments.rows == m && moments.channels == channels, "BatchNorm moments of another shape")
    let (mean, variance) = moments.meanAndVariance()
    for c in 0..<channels {
      saved.mean[c] = Float(mean[c])
      saved.inverseStd[c] = Float(1 / (variance[c] + Double(epsilon)).squareRoot())
      let unbiased = m > 1 ? variance[c] * Double(m) / Double(m - 1) : variance[c]
      running.mean[c] = (1 - momentum) * running.mean[c] + momentum * Float(mean[c])
      running.variance[c] = (1 - momentum) * running.variance[c] + momentum * Float(unbiased)
    }
    checkCount(gamma.count, channels, "BatchNorm gamma")
    checkCount(beta.count, channels, "BatchNorm beta")
    saved.scale = (0..<channels).map { gamma[$0] * saved.inverseStd[$0] }
    saved.shift = beta
    normalize(
      input, rows: m, scale: saved.scale, mean: saved.mean, shift: beta, into: output,
      clampingTo: clamp)
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
    let m = rows(of: input)
    checkCount(output.count, input.count, "BatchNorm output")
    checkCount(gamma.count, channels, "BatchNorm gamma")
    checkCount(beta.count, channels, "BatchNorm beta")
    let inverseStd = running.variance.map { 1 / ($0 + epsilon).squareRoot() }
    let scale = (0..<channels).map { gamma[$0] * inverseStd[$0] }
    input.withUnsafeBufferPointer { x in
      output.withUnsafeMutableBufferPointer { y in
        guard let x = x.baseAddress, let y = y.baseAddress else { return }
        normalize(
          x, rows: m, scale: scale, mean: running.mean, shift: beta, into: y, clampingTo: clamp)
      }
    }
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

  /// Where a backward pass reads the activation gate from.
  enum GateSource {
    /// No activation.
    case none
    /// The activation's output (`Gate`), at this pointer.
    case output(UnsafePointer<Float>, open: ClosedRange<Float>)
    /// Recomputed from the input with the forward's own coefficients (`saved.scale`,
    /// `saved.shift`): clamp(pre) lies strictly inside `open` exactly when pre does, so the
    /// gate is the same bit for bit without reading the output.
    case recomputed(open: ClosedRange<Float>)
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
    withOptionalPointer(gate?.output) { gateOutput in
      dOutput.withUnsafeBufferPointer { dy in
        input.withUnsafeBufferPointer { x in
          dInput.withUnsafeMutableBufferPointer { dx in
            guard let dy = dy.baseAddress, let x = x.baseAddress, let dx = dx.baseAddress else {
              return
            }
            let source: GateSource =
              if let gate, let gateOutput { .output(gateOutput, open: gate.open) } else { .none }
            let plan = backwardPlan(
              dOutput: dy, input: x, rows: m, gamma: gamma, saved: saved, gate: source,
              accumulating: accumulating, dGamma: &dGamma, dBeta: &dBeta)
            plan.run(dy, x, gateOutput ?? x, into: dx)
          }
        }
      }
    }
  }

  /// The first half of the backward pass: Σ dy and Σ dy·x̂ over the m rows (dy gated by
  /// `gate`), dγ and dβ added, and the per-channel map that turns (dy, x) rows into dx rows.
  /// The map can run over all rows (`ChannelAffine.run`) or tile by tile (`apply`) inside a
  /// consumer's loop.
  ///
  ///     dx = s·dy − k·(x − μ) − e,  s = γ·invStd,  k = s·invStd·mean(dy·x̂),  e = s·mean(dy)
  ///
  /// (x − μ is formed first so that a large mean does not cancel.)
  func backwardPlan(
    dOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, rows m: Int, gamma: [Float],
    saved: SavedStatistics, gate: GateSource, accumulating: Bool, dGamma: inout [Float],
    dBeta: inout [Float]
  ) -> ChannelAffine {
    checkCount(gamma.count, channels, "BatchNorm gamma")
    checkCount(dGamma.count, channels, "BatchNorm dGamma")
    checkCount(dBeta.count, channels, "BatchNorm dBeta")
    if case .recomputed = gate {
      precondition(
        saved.scale.count == channels && saved.shift.count == channels,
        "a recomputed gate needs the statistics of a training forward pass")
    }
    let sums = ChannelSums(rows: m, channels: channels)
    let (sumDy, sumDyXc): ([Double], [Double])
    switch gate {
    case .none:
      (sumDy, sumDyXc) = sums.run(dOutput, input, dOutput, [saved.mean], .gradient)
    case .output(let output, let open):
      (sumDy, sumDyXc) = sums.run(dOutput, input, output, [saved.mean], .gatedGradient(open))
    case .recomputed(let open):
      (sumDy, sumDyXc) = sums.run(
        dOutput, input, input, [saved.mean, saved.scale, saved.shift],
        .recomputedGatedGradient(open))
    }
    var (s, k, e) = ([Float](), [Float](), [Float]())
    for c in 0..<channels {
      // Σ dy·x̂ = invStd · Σ dy·(x − μ).
      let sumDyXhat = sumDyXc[c] * Double(saved.inverseStd[c])
      dBeta[c] += Float(sumDy[c])
      dGamma[c] += Float(sumDyXhat)
      s.append(gamma[c] * saved.inverseStd[c])
      k.append(s[c] * saved.inverseStd[c] * Float(sumDyXhat / Double(m)))
      e.append(s[c] * Float(sumDy[c] / Double(m)))
    }
    var coefficients = [s, saved.mean, k, e]
    let gated: ChannelAffine.Gating
    var open: ClosedRange<Float> = 0...0
    switch gate {
    case .none:
      gated = .none
    case .output(_, let range):
      (gated, open) = (.output, range)
    case .recomputed(let range):
      (gated, open) = (.recomputed, range)
      coefficients += [saved.scale, saved.shift]
    }
    return ChannelAffine(
      coefficients: coefficients, rows: m, channels: channels,
      map: .dInput(gated, accumulating: accumulating), open: open)
  }

  // MARK: - Helpers

  /// y = scale·(x − mean) + shift per channel, then clamped if asked (the forward's one map;
  /// `backwardPlan`'s recomputed gate repeats exactly these operations).
  private func normalize(
    _ input: UnsafePointer<Float>, rows m: Int, scale: [Float], mean: [Float], shift: [Float],
    into output: UnsafeMutablePointer<Float>, clampingTo clamp: ClosedRange<Float>?
  ) {
    ChannelAffine(
      coefficients: [scale, mean, shift], rows: m, channels: channels,
      map: clamp == nil ? .normalize : .normalizeClamped, open: clamp ?? 0...0
    ).run(input, input, input, into: output)
  }
}

// MARK: - Channel loops

/// Two per-channel sums over the rows of [M, C] buffers u and v, with per-channel coefficient
/// rows q (`q[j]` is row j, C floats; q[0] is the offset o): `.gradient` gives Σ u and
/// Σ u·(v − o); `.gatedGradient(open)` is `.gradient` with u replaced by u where g (a third
/// buffer) lies strictly inside `open`, else 0; `.recomputedGatedGradient(open)` gates with
/// q[1]·(v − o) + q[2] instead of g (the forward's pre-activation, see
/// `BatchNorm.GateSource.recomputed`).
///
/// Rows are split over the cores; each core sums blocks of `blockRows` rows in Float32
/// registers and adds each block's sums to its private Float64 sums, which are then added in
/// chunk order, so the result does not depend on thread timing.
struct ChannelSums {
  enum Kind {
    case gradient
    case gatedGradient(ClosedRange<Float>)
    case recomputedGatedGradient(ClosedRange<Float>)
  }

  let rows: Int
  let channels: Int
  static let blockRows = 64

  func run(
    _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
    _ coefficients: [[Float]], _ kind: Kind
  ) -> ([Double], [Double]) {
    let c = channels
    let work = WorkSplit(count: rows, minimumRows: Grain.rows(flopsPerRow: 4 * c))
    var partial = [Double](repeating: 0, count: work.chunks * 2 * c)
    let flat = coefficients.flatMap { $0 }
    flat.withUnsafeBufferPointer { qb in
      partial.withUnsafeMutableBufferPointer { pb in
        guard let q = qb.baseAddress, let p = pb.baseAddress else { return }
        work.run { chunk, range in
          let (first, second) = (p + chunk * 2 * c, p + chunk * 2 * c + c)
          var start = range.lowerBound
          while start < range.upperBound {
            let block = start..<min(start + Self.blockRows, range.upperBound)
            // Eight channels at a time: the accumulators and up to three coefficient
            // vectors then fit the 16 SSE registers (sixteen would spill; the sums of each
            // channel are the same whatever the width).
            var ch = 0
            while ch &+ 8 <= c {
              sum(
                SIMD8<Float>.self, u + ch, v + ch, g + ch, q + ch, block, kind, first + ch,
                second + ch)
              ch &+= 8
            }
            while ch < c {
              sum(Float.self, u + ch, v + ch, g + ch, q + ch, block, kind, first + ch, second + ch)
              ch &+= 1
            }
            start = block.upperBound
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
    _ q: UnsafePointer<Float>, _ block: Range<Int>, _ kind: Kind,
    _ s1: UnsafeMutablePointer<Double>,
    _ s2: UnsafeMutablePointer<Double>
  ) {
    let offset = V.load(q, 0)
    var (a1, a2) = (V.zero, V.zero)
    switch kind {
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
    case .recomputedGatedGradient(let open):
      let (lower, upper) = (V(repeating: open.lowerBound), V(repeating: open.upperBound))
      let (scale, shift) = (V.load(q, channels), V.load(q, 2 &* channels))
      for row in block {
        let i = row &* channels
        let centred = V.load(v, i) - offset
        let dy = V.load(u, i).gated(by: scale * centred + shift, lower, upper)
        a1 = a1 + dy
        a2 = a2 + dy * centred
      }
    }
    for i in 0..<V.width {
      s1[i] += Double(a1[i])
      s2[i] += Double(a2[i])
    }
  }
}

/// An element-wise map over the rows of [M, C] buffers with per-channel coefficient rows
/// (`coefficients[j][c]`, q_j below) and one range `open` shared by every channel (a clamp or
/// an activation gate): out = map(u, v, g, out). `run` splits all rows over the cores, in
/// blocks of rows so each channel block's coefficients stay in registers; `apply` maps rows on
/// the calling thread (a tile inside a consumer's loop).
///
/// The channel block is as wide as the registers allow: 8 channels for the maps with at most
/// four coefficient rows, 4 for the recomputed gate's six (with SSE's 16 registers, wider blocks
/// spill the coefficients to the stack and the loop turns load-bound). Every element is
/// computed alone, so the block width never changes a bit.
struct ChannelAffine {
  /// Where dy is gated: nowhere, by the activation's output g, or by the recomputed forward
  /// pre-activation q4·(v − q1) + q5.
  enum Gating: Equatable {
    case none, output, recomputed
  }

  /// What one element becomes; `q` holds the coefficients of its channel block.
  enum Map: Equatable {
    /// out = q0·(u − q1) + q2.
    case normalize
    /// out = clamp(q0·(u − q1) + q2, to: open).
    case normalizeClamped
    /// out (+)= q0·dy − q2·(v − q1) − q3 with dy = u, gated to 0 unless the gate lies
    /// strictly inside `open`.
    case dInput(Gating, accumulating: Bool)
  }

  /// Rows per block of `apply` (the rows of one block and channel block stay in L1).
  static let blockRows = 32

  let flat: [Float]
  let rows: Int
  let channels: Int
  let map: Map
  let open: ClosedRange<Float>

  init(coefficients: [[Float]], rows: Int, channels: Int, map: Map, open: ClosedRange<Float>) {
    flat = coefficients.flatMap { $0 }
    self.rows = rows
    self.channels = channels
    self.map = map
    self.open = open
  }

  /// Maps every row, split over the cores.
  func run(
    _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
    into out: UnsafeMutablePointer<Float>
  ) {
    let work = WorkSplit(count: rows, minimumRows: Grain.rows(flopsPerRow: 4 * channels))
    work.run { _, range in
      let offset = range.lowerBound * channels
      apply(range.count, u + offset, v + offset, g + offset, into: out + offset)
    }
  }

  /// Maps `count` rows starting at the given row pointers, on the calling thread.
  func apply(
    _ count: Int, _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
    _ g: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    let c = channels
    let narrow =
      map == .dInput(.recomputed, accumulating: false)
      || map == .dInput(.recomputed, accumulating: true)
    flat.withUnsafeBufferPointer { qb in
      guard let q = qb.baseAddress else { return }
      var start = 0
      while start < count {
        let block = start..<min(start + Self.blockRows, count)
        var ch = 0
        if !narrow {
          while ch &+ 8 <= c {
            apply(SIMD8<Float>.self, u + ch, v + ch, g + ch, q + ch, y + ch, block)
            ch &+= 8
          }
        }
        while ch &+ 4 <= c {
          apply(SIMD4<Float>.self, u + ch, v + ch, g + ch, q + ch, y + ch, block)
          ch &+= 4
        }
        while ch < c {
          apply(Float.self, u + ch, v + ch, g + ch, q + ch, y + ch, block)
          ch &+= 1
        }
        start = block.upperBound
      }
    }
  }

  @inline(__always)
  private func apply<V: ChannelVector>(
    _: V.Type, _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
    _ q: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ block: Range<Int>
  ) {
    let c = channels
    let (q0, q1, q2) = (V.load(q, 0), V.load(q, c), V.load(q, 2 &* c))
    let (lower, upper) = (V(repeating: open.lowerBound), V(repeating: open.upperBound))
    switch map {
    case .normalize:
      for row in block {
        let i = row &* c
        (q0 * (V.load(u, i) - q1) + q2).store(y, i)
      }
    case .normalizeClamped:
      for row in block {
        let i = row &* c
        (q0 * (V.load(u, i) - q1) + q2).limited(lower, upper).store(y, i)
      }
    case .dInput(.none, false):
      let q3 = V.load(q, 3 &* c)
      for row in block {
        let i = row &* c
        (q0 * V.load(u, i) - q2 * (V.load(v, i) - q1) - q3).store(y, i)
      }
    case .dInput(.none, true):
      let q3 = V.load(q, 3 &* c)
      for row in block {
        let i = row &* c
        let dx = q0 * V.load(u, i) - q2 * (V.load(v, i) - q1) - q3
        (V.load(UnsafePointer(y), i) + dx).store(y, i)
      }
    case .dInput(.output, let accumulate):
      let q3 = V.load(q, 3 &* c)
      for row in block {
        let i = row &* c
        let dy = V.load(u, i).gated(by: V.load(g, i), lower, upper)
        let dx = q0 * dy - q2 * (V.load(v, i) - q1) - q3
        (accumulate ? V.load(UnsafePointer(y), i) + dx : dx).store(y, i)
      }
    case .dInput(.recomputed, false):
      let (q3, scale, shift) = (V.load(q, 3 &* c), V.load(q, 4 &* c), V.load(q, 5 &* c))
      for row in block {
        let i = row &* c
        let centred = V.load(v, i) - q1
        let dy = V.load(u, i).gated(by: scale * centred + shift, lower, upper)
        (q0 * dy - q2 * centred - q3).store(y, i)
      }
    case .dInput(.recomputed, true):
      let (q3, scale, shift) = (V.load(q, 3 &* c), V.load(q, 4 &* c), V.load(q, 5 &* c))
      for row in block {
        let i = row &* c
        let centred = V.load(v, i) - q1
        let dy = V.load(u, i).gated(by: scale * centred + shift, lower, upper)
        (V.load(UnsafePointer(y), i) + (q0 * dy - q2 * centred - q3)).store(y, i)
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
