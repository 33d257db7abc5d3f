import ModelIR
import TensorModule
import Testing
import _TestSupport

@testable import Quantization

@Suite struct BatchNormFoldingTests {
  /// γ = 2, β = 1, μ = 3, σ² + ε = 4 → factor 1; w' = w, b' = (b − 3) + 1.
  /// Channel 1: γ = 1, β = 0, μ = 0, σ² = 0, ε = 0.25 → factor 2.
  @Test func handComputed() {
    let folded = foldBatchNorm(
      weights: [1, 2, 3, 4], shape: [2, 1, 1, 2], bias: [5, 1], gamma: [2, 1], beta: [1, 0],
      mean: [3, 0], variance: [3.75, 0], epsilon: 0.25, outputAxisLast: false)
    #expect(folded.weights == [1, 2, 6, 8])
    #expect(folded.bias == [3, 2])
    let dw = foldBatchNorm(
      weights: [1, 2, 3, 4], shape: [1, 1, 2, 2], bias: nil, gamma: [2, 1], beta: [1, 0],
      mean: [3, 0], variance: [3.75, 0], epsilon: 0.25, outputAxisLast: true)
    #expect(dw.weights == [1, 4, 3, 8])
    #expect(dw.bias == [-2, 0])
  }
}

/// A tiny graph quantized from float weights; the integer interpreter's dequantized output
/// must follow an independent float forward pass.
///
///     input 5×5×2 ─ conv 3×3 s1 (4, ReLU6) ─ dw 3×3 s2 (ReLU6) ─ pw 4 ─ gap ─ fc 3
@Suite struct QuantizedGraphTests {
  struct Float32Net {
    var graph: Graph
    var weights: [FloatLayerWeights?]
  }

  func net() throws -> Float32Net {
    var b = GraphBuilder(name: "tiny")
    let x = try b.addInput(height: 5, width: 5, channels: 2)
    let c = try b.add(
      .conv2d(Conv2DAttributes(outChannels: 4, kernel: 3, stride: 1, activation: .relu6)),
      inputs: [x], name: "conv")
    let d = try b.add(
      .depthwiseConv2d(DepthwiseConv2DAttributes(kernel: 3, stride: 2, activation: .relu6)),
      inputs: [c], name: "dw")
    let p = try b.add(
      .conv2d(Conv2DAttributes(outChannels: 4, kernel: 1, stride: 1, activation: .none)),
      inputs: [d], name: "pw")
    let g = try b.add(.globalAvgPool, inputs: [p], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: 3)), inputs: [g], name: "fc")
    var rng = SeededGenerator(seed: 7)
    func random(_ n: Int, _ s: Float) -> [Float] {
      (0..<n).map { _ in Float.random(in: -s...s, using: &rng) }
    }
    return Float32Net(
      graph: b.graph,
      weights: [
        nil,
        FloatLayerWeights(weights: random(72, 0.5), shape: [4, 3, 3, 2], bias: random(4, 0.2)),
        FloatLayerWeights(weights: random(36, 0.5), shape: [1, 3, 3, 4], bias: random(4, 0.2)),
        FloatLayerWeights(weights: random(16, 0.5), shape: [4, 1, 1, 4], bias: random(4, 0.2)),
        nil,
        FloatLayerWeights(weights: random(12, 0.8), shape: [3, 4], bias: random(3, 0.2)),
      ])
  }

  /// Float forward with plain loops (NHWC, pad 1).
  func forward(_ n: Float32Net, _ input: [Float]) -> [[Float]] {
    func relu6(_ v: Float) -> Float { min(max(v, 0), 6) }
    let w = n.weights.map { $0 ?? FloatLayerWeights(weights: [], shape: [], bias: []) }
    var conv = [Float](repeating: 0, count: 5 * 5 * 4)
    for oy in 0..<5 {
      for ox in 0..<5 {
        for oc in 0..<4 {
          var acc = w[1].bias[oc]
          for ky in 0..<3 {
            for kx in 0..<3 {
              for ic in 0..<2 {
                let iy = oy + ky - 1, ix = ox + kx - 1
                guard iy >= 0, iy < 5, ix >= 0, ix < 5 else { continue }
                acc +=
                  input[(iy * 5 + ix) * 2 + ic] * w[1].weights[((oc * 3 + ky) * 3 + kx) * 2 + ic]
              }
            }
          }
          conv[(oy * 5 + ox) * 4 + oc] = relu6(acc)
        }
      }
    }
    var dw = [Float](repeating: 0, count: 3 * 3 * 4)
    for oy in 0..<3 {
      for ox in 0..<3 {
        for c in 0..<4 {
          var acc = w[2].bias[c]
          for ky in 0..<3 {
            for kx in 0..<3 {
              let iy = oy * 2 + ky - 1, ix = ox * 2 + kx - 1
              guard iy >= 0, iy < 5, ix >= 0, ix < 5 else { continue }
              acc += conv[(iy * 5 + ix) * 4 + c] * w[2].weights[(ky * 3 + kx) * 4 + c]
            }
          }
          dw[(oy * 3 + ox) * 4 + c] = relu6(acc)
        }
      }
    }
    var pw = [Float](repeating: 0, count: 9 * 4)
    for px in 0..<9 {
      for oc in 0..<4 {
        var acc = w[3].bias[oc]
        for ic in 0..<4 { acc += dw[px * 4 + ic] * w[3].weights[oc * 4 + ic] }
        pw[px * 4 + oc] = acc
      }
    }
    var gap = [Float](repeating: 0, count: 4)
    for c in 0..<4 {
      var sum: Float = 0
      for px in 0..<9 { sum += pw[px * 4 + c] }
      gap[c] = sum / 9
    }
    var fc = [Float](repeating: 0, count: 3)
    for o in 0..<3 {
      var acc = w[5].bias[o]
      for c in 0..<4 { acc += gap[c] * w[5].weights[o * 4 + c] }
      fc[o] = acc
    }
    return [input, conv, dw, pw, gap, fc]
  }

  @Test func interpreterFollowsFloatNetwork() throws {
    let n = try net()
    var rng = SeededGenerator(seed: 11)
    let inputs = (0..<8).map { _ in (0..<50).map { _ in Float.random(in: -1...1, using: &rng) } }
    // Calibrate: min/max of every node over the inputs.
    var ranges = Array(repeating: (min: Float(0), max: Float(0)), count: 6)
    for x in inputs {
      for (i, t) in forward(n, x).enumerated() {
        ranges[i] = (min(ranges[i].min, t.min() ?? 0), max(ranges[i].max, t.max() ?? 0))
      }
    }
    let q = try QuantizedGraph(graph: n.graph, weights: n.weights, ranges: ranges)
    #expect(q.layers[4].output == q.layers[3].output)  // pooling keeps its input's params
    var worst: Float = 0
    for x in inputs {
      let reference = forward(n, x)
      let qx = quantize(x, params: q.layers[0].output)
      let outputs = try IntegerInterpreter.run(q, input: qx)
      #expect(outputs.count == 6)
      let logits = dequantize(outputs[5], params: q.layers[5].output)
      for (a, b) in zip(logits, reference[5]) { worst = max(worst, abs(a - b)) }
    }
    // A few LSBs of accumulated rounding through four layers: well under 10 % of the range.
    let span = ranges[5].max - ranges[5].min
    #expect(worst <= 0.1 * span, "worst logit error \(worst) of range \(span)")
    #expect(worst > 0, "int8 output can't be exactly the float output")
  }

  @Test func wrongCountsAreReported() throws {
    let n = try net()
    do {
      _ = try QuantizedGraph(graph: n.graph, weights: [], ranges: [])
      Issue.record("expected an error")
    } catch {
      #expect(
        "\(error)"
          == "weights and ranges of graph 'tiny' = 0 and 0 entries is invalid: there must be one "
          + "of each per node (6).")
    }
  }
}
