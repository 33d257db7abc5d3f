// GraphModel+Forward.swift
// The forward pass of a GraphModel, node by node in graph order, writing each node's output
// into its preallocated buffer. Training mode normalises with the batch statistics (updating
// the running ones) and applies dropout; inference mode uses the running statistics and no
// dropout; the internal recalibration pass is training mode with momentum-1 batch norms and no
// dropout (GraphModel+State.swift).

import ModelIR
import TensorModule

/// Which statistics batch norm uses, and whether dropout is active.
public enum ForwardMode: Sendable, Hashable {
  /// Batch statistics (running statistics updated), dropout on.
  case training
  /// Running statistics, dropout off.
  case inference
}

/// The internal passes; `recalibration` sets each running statistic to the batch's own.
enum ForwardPass: Sendable, Hashable {
  case training, inference, recalibration
}

extension GraphModel {
  /// Runs the graph on `images` ([N, H, W, C] flattened, N ≤ any size) in `mode`; the
  /// generator draws the dropout masks in training mode. The outputs stay in the model's
  /// buffers (read them with `logits`) for a following `backward`.
  public mutating func forward(
    _ images: [Float], mode: ForwardMode, using generator: inout some RandomNumberGenerator
  ) {
    forward(images, pass: mode == .training ? .training : .inference, using: &generator)
  }

  /// Inference-mode forward; returns the logits [N, classes].
  public mutating func predict(_ images: [Float]) -> [Float] {
    var unused = SeededGenerator(seed: 0)
    forward(images, pass: .inference, using: &unused)
    return logits
  }

  /// The graph output of the last forward pass, [N, classes] flattened.
  public var logits: [Float] { buffers.outputs[layers.count - 1] }

  /// The output of node `index` from the last forward pass, [N, …] flattened (node 0 is the
  /// input batch).
  public func output(ofNode index: Int) -> [Float] { buffers.outputs[index] }

  mutating func forward(
    _ images: [Float], pass: ForwardPass, using generator: inout some RandomNumberGenerator
  ) {
    precondition(
      !images.isEmpty && images.count % inputCount == 0,
      "\(images.count) input values is not a positive multiple of \(inputCount) per sample "
        + "(\(graph.input.outputShape))")
    buffers.resize(batch: images.count / inputCount)
    buffers.outputs[0] = images
    for j in layers.indices.dropFirst() {
      forwardNode(j, pass: pass, using: &generator)
    }
  }

  private mutating func forwardNode(
    _ j: Int, pass: ForwardPass, using generator: inout some RandomNumberGenerator
  ) {
    let layer = layers[j]
    var out = [Float]()
    swap(&out, &buffers.outputs[j])
    defer { swap(&out, &buffers.outputs[j]) }
    let x = buffers.outputs[layer.inputs.first ?? 0]
    switch layer.kind {
    case .input:
      return
    case .conv, .depthwise:
      if let norm = layer.norm {
        var z = [Float]()
        swap(&z, &buffers.preNorm[j])
        defer { swap(&z, &buffers.preNorm[j]) }
        // The activation is fused into the batch norm's store.
        let clamp = ActivationFunction.clamp(layer.activation)
        if pass == .inference {
          convolve(layer, x, into: &z)
          normalizeInference(norm, z, into: &out, clampingTo: clamp)
        } else {
          convolveAndNormalize(layer, norm, x, z: &z, into: &out, pass: pass, clampingTo: clamp)
        }
        return
      } else {
        convolve(layer, x, into: &out)
      }
    case .add:
      ResidualAdd().forward(x, buffers.outputs[layer.inputs[1]], into: &out)
    case .avgPool(let op):
      op.forward(x, into: &out)
    case .maxPool(let op):
      op.forward(x, into: &out)
    case .globalAvgPool(let op):
      op.forward(x, into: &out)
    case .linear(let op, let dropout):
      let bias = layer.bias.map { parameters[$0].value }
      guard let weight = layer.weight else { preconditionFailure("linear without weight") }
      if pass == .training, let dropout {
        var dropped = [Float]()
        var mask = [Float]()
        swap(&dropped, &buffers.dropped[j])
        swap(&mask, &buffers.masks[j])
        dropout.forward(x, into: &dropped, mask: &mask, using: &generator)
        op.forward(dropped, weight: parameters[weight].value, bias: bias, into: &out)
        swap(&dropped, &buffers.dropped[j])
        swap(&mask, &buffers.masks[j])
      } else {
        op.forward(x, weight: parameters[weight].value, bias: bias, into: &out)
      }
    }
    ActivationFunction.forward(layer.activation, &out)
  }

  /// The convolution of a conv or depthwise layer, plus its bias.
  private mutating func convolve(_ layer: Layer, _ x: [Float], into out: inout [Float]) {
    guard let weight = layer.weight else { preconditionFailure("convolution without weight") }
    let bias = layer.bias.map { parameters[$0].value }
    switch layer.kind {
    case .conv(let op):
      op.forward(
        x, weight: parameters[weight].value, bias: bias, into: &out,
        workspace: &buffers.workspace)
    case .depthwise(let op):
      op.forward(x, weight: parameters[weight].value, into: &out)
      if let bias { ActivationFunction.addBias(bias, to: &out) }
    default:
      preconditionFailure("not a convolution")
    }
  }

  /// Training-mode (or recalibration) conv/depthwise + batch norm: the convolution into `z`
  /// with the batch-norm moments of its output recorded on the fly (tile by tile for a tiled
  /// conv, `Conv2D.forward(…moments:)`), then the normalization into `out`, clamped to
  /// `clamp`. Recalibration uses momentum 1, so each running statistic becomes this batch's
  /// mean and unbiased variance.
  private mutating func convolveAndNormalize(
    _ layer: Layer, _ norm: NormLayer, _ x: [Float], z: inout [Float], into out: inout [Float],
    pass: ForwardPass, clampingTo clamp: ClosedRange<Float>?
  ) {
    guard let weight = layer.weight else { preconditionFailure("convolution without weight") }
    let n = buffers.batch
    let channels = norm.op.channels
    let op =
      pass == .recalibration
      ? BatchNorm(channels: channels, epsilon: norm.op.epsilon, momentum: 1) : norm.op
    var moments = ChannelMoments()
    swap(&moments, &buffers.moments)
    defer { swap(&moments, &buffers.moments) }
    var workspace = [Float]()
    swap(&workspace, &buffers.workspace)
    defer { swap(&workspace, &buffers.workspace) }
    let (w, bias) = (parameters[weight].value, layer.bias.map { parameters[$0].value })
    let (gamma, beta) = (parameters[norm.gamma].value, parameters[norm.beta].value)
    x.withUnsafeBufferPointer { xb in
      z.withUnsafeMutableBufferPointer { zb in
        out.withUnsafeMutableBufferPointer { yb in
          workspace.withUnsafeMutableBufferPointer { ws in
            guard let x = xb.baseAddress, let z = zb.baseAddress, let y = yb.baseAddress else {
              return
            }
            let m = zb.count / channels
            switch layer.kind {
            case .conv(let conv):
              withOptionalPointer(bias) { bias in
                conv.forward(
                  x, weight: w, bias: bias, into: z, batch: n, workspace: ws, moments: &moments)
              }
            case .depthwise(let depthwise):
              if let bias {
                depthwise.forward(x, weight: w, into: z, batch: n)
                ActivationFunction.addBias(bias, to: z, rows: m)
                moments.measure(z, rows: m, channels: channels)
              } else {
                depthwise.forward(x, weight: w, into: z, batch: n, moments: &moments)
              }
            default:
              preconditionFailure("not a convolution")
            }
            op.forwardTraining(
              z, rows: m, moments: moments, gamma: gamma, beta: beta, into: y,
              saved: &buffers.saved[norm.statistics],
              running: &runningStatistics[norm.statistics], clampingTo: clamp)
          }
        }
      }
    }
  }

  /// Inference-mode batch norm of `z` into `out` with the running statistics, clamped to
  /// `clamp` (the fused activation).
  private func normalizeInference(
    _ norm: NormLayer, _ z: [Float], into out: inout [Float], clampingTo clamp: ClosedRange<Float>?
  ) {
    norm.op.forwardInference(
      z, gamma: parameters[norm.gamma].value, beta: parameters[norm.beta].value,
      running: runningStatistics[norm.statistics], into: &out, clampingTo: clamp)
  }
}

/// The activations fused into IR nodes, forward and backward side by side, in the overwrite
/// form the model needs (the standalone `ReLU`/`ReLU6` ops accumulate).
enum ActivationFunction {
  /// y = act(y) in place.
  static func forward(_ activation: Activation, _ y: inout [Float]) {
    switch activation {
    case .none: return
    case .relu: ReLU().forwardInPlace(&y)
    case .relu6: ReLU6().forwardInPlace(&y)
    }
  }

  /// The output range of an activation, for fusing it into a preceding op's store as a clamp
  /// (nil for none). Clamping gives exactly `ReLU`/`ReLU6`'s forward values.
  static func clamp(_ activation: Activation) -> ClosedRange<Float>? {
    switch activation {
    case .none: nil
    case .relu: 0...Float.infinity
    case .relu6: 0...6
    }
  }

  /// Overwrites `dInput` with dOutput · act′, act′ read off the forward *output* y: 1 where
  /// y > 0 (ReLU) or 0 < y < 6 (ReLU6), else 0 — the same convention as `ReLU`/`ReLU6`.
  /// Branch-free over 8 lanes: ReLU outputs are half zeros, so a per-element branch
  /// mispredicts constantly.
  static func backward(
    _ activation: Activation, dOutput: [Float], output: [Float], into dInput: inout [Float]
  ) {
    ModelBuffers.setCount(&dInput, dOutput.count)
    dInput.withUnsafeMutableBufferPointer { dx in
      guard let dx = dx.baseAddress else { return }
      backward(activation, dOutput: dOutput, output: output, into: dx, count: dOutput.count)
    }
  }

  /// `backward` over `count` elements of raw buffers.
  static func backward(
    _ activation: Activation, dOutput dy: UnsafePointer<Float>, output y: UnsafePointer<Float>,
    into dx: UnsafeMutablePointer<Float>, count n: Int
  ) {
    let upper: Float = activation == .relu6 ? 6 : .infinity
    let (lower, top) = (SIMD8<Float>(repeating: 0), SIMD8<Float>(repeating: upper))
    var i = 0
    while i + 8 <= n {
      let yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
      let dyv = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD8<Float>.self)
      let keep = (yv .> lower) .& (yv .< top)
      let dxv = SIMD8<Float>(repeating: 0).replacing(with: dyv, where: keep)
      UnsafeMutableRawPointer(dx + i).storeBytes(of: dxv, as: SIMD8<Float>.self)
      i += 8
    }
    while i < n {
      dx[i] = y[i] > 0 && y[i] < upper ? dy[i] : 0
      i += 1
    }
  }

  /// y[…, c] += bias[c] over the last (channel) dimension.
  static func addBias(_ bias: [Float], to y: inout [Float]) {
    let c = bias.count
    y.withUnsafeMutableBufferPointer { yb in
      guard let y = yb.baseAddress else { return }
      addBias(bias, to: y, rows: yb.count / c)
    }
  }

  /// `addBias` on `rows` rows at `y`.
  static func addBias(_ bias: [Float], to y: UnsafeMutablePointer<Float>, rows: Int) {
    let c = bias.count
    bias.withUnsafeBufferPointer { b in
      for row in 0..<rows {
        for ch in 0..<c { y[row * c + ch] += b[ch] }
      }
    }
  }
}
