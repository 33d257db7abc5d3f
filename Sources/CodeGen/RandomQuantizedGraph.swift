// RandomQuantizedGraph.swift
// A seeded random int8 `QuantizedGraph` for any graph, made the way a real one is: He-scaled
// random float weights, a float forward pass over random images to calibrate every tensor's
// range, then TFLite post-training quantization (`QuantizedGraph.init(graph:weights:ranges:)`).
// Calibrated ranges keep every layer's int8 outputs spread over the range instead of saturated,
// so bit-exactness tests exercise the whole requantization path. Used by the tests and by
// `repro engine` for the zoo models at paper scale (latency and size do not depend on values).
// Not training and not accuracy: the weights are noise.

import ModelIR
import Quantization

/// Seeded random quantized graphs and inputs.
public enum RandomQuantizedGraph {
  /// A quantized `graph` with random weights and calibrated activation ranges.
  ///
  /// Weights are uniform with He variance (`2 / fanIn` before ReLU/ReLU6, `1 / fanIn` before a
  /// linear output), biases uniform in ±0.1; the ranges are the min/max of each tensor over
  /// `calibrationImages` random images in [−1, 1]. Same generator state, same graph.
  /// `bitWidth: .int4` quantizes every tensor and weight to int4 (Int4.swift); the random
  /// draws are the same, so an int4 graph has the int8 graph's float weights.
  ///
  /// - Throws: `QuantizationError` if quantization fails (e.g. a degenerate range).
  public static func make(
    _ graph: Graph, roundingMode: RoundingMode = .doubleRounding, calibrationImages: Int = 1,
    bitWidth: BitWidth = .int8, using generator: inout some RandomNumberGenerator
  ) throws -> QuantizedGraph {
    let weights = graph.nodes.map { randomWeights(for: $0, in: graph, using: &generator) }
    var ranges = [(min: Float, max: Float)](
      repeating: (Float.infinity, -Float.infinity), count: graph.nodes.count)
    for _ in 0..<max(1, calibrationImages) {
      let count = graph.input.outputElements
      let image = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
      let outputs = FloatForward.run(graph, weights: weights, input: image)
      for (i, values) in outputs.enumerated() {
        ranges[i].min = min(ranges[i].min, values.min() ?? 0)
        ranges[i].max = max(ranges[i].max, values.max() ?? 0)
      }
    }
    return try QuantizedGraph(
      graph: graph, weights: weights, ranges: ranges, bitWidth: bitWidth,
      roundingMode: roundingMode)
  }

  /// A random input image for `q` (NHWC), uniform over the format's activation range: int8
  /// −128...127, or int4 VALUES −8...7 (unpacked, as `IntegerInterpreter.run` takes them).
  public static func input(for q: QuantizedGraph, using generator: inout some RandomNumberGenerator)
    -> [Int8]
  {
    guard q.bitWidth == .int8 else {
      let range = q.bitWidth.activationRange
      let values = Int8(range.lowerBound)...Int8(range.upperBound)
      return (0..<q.graph.input.outputElements).map { _ in
        Int8.random(in: values, using: &generator)
      }
    }
    return (0..<q.graph.input.outputElements).map { _ in
      Int8.random(in: .min ... .max, using: &generator)
    }
  }

  /// BN-folded-style float weights of one node (nil for ops without weights).
  static func randomWeights(
    for node: Node, in graph: Graph, using generator: inout some RandomNumberGenerator
  ) -> FloatLayerWeights? {
    let inputShape = node.inputs.first.map { graph.nodes[$0].outputShape }
    switch node.op {
    case .conv2d(let a):
      guard let cIn = inputShape?[3] else { return nil }
      let fanIn = a.kernelH * a.kernelW * cIn
      return uniform(
        count: a.outChannels * fanIn, shape: [a.outChannels, a.kernelH, a.kernelW, cIn],
        channels: a.outChannels, fanIn: fanIn, activation: a.activation, using: &generator)
    case .depthwiseConv2d(let a):
      guard let c = inputShape?[3] else { return nil }
      return uniform(
        count: a.kernelH * a.kernelW * c, shape: [1, a.kernelH, a.kernelW, c], channels: c,
        fanIn: a.kernelH * a.kernelW, activation: a.activation, using: &generator)
    case .linear(let a):
      guard let cIn = inputShape?.count else { return nil }
      return uniform(
        count: a.outFeatures * cIn, shape: [a.outFeatures, cIn], channels: a.outFeatures,
        fanIn: cIn, activation: a.activation, using: &generator)
    case .input, .add, .avgPool, .maxPool, .globalAvgPool:
      return nil
    }
  }

  private static func uniform(
    count: Int, shape: [Int], channels: Int, fanIn: Int, activation: ModelIR.Activation,
    using generator: inout some RandomNumberGenerator
  ) -> FloatLayerWeights {
    let variance: Float = (activation == .none ? 1 : 2) / Float(max(1, fanIn))
    // A uniform in ±a has variance a²/3.
    let limit = (3 * variance).squareRoot()
    let w = (0..<count).map { _ in Float.random(in: -limit...limit, using: &generator) }
    let b = (0..<channels).map { _ in Float.random(in: -0.1...0.1, using: &generator) }
    return FloatLayerWeights(weights: w, shape: .init(shape), bias: b)
  }
}
