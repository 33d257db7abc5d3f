import ModelIR
import TensorModule

/// Float weights of one layer after batch-norm folding, in the deployment layouts: conv
/// [cOut, kH, kW, cIn] (OHWI), depthwise [1, kH, kW, C] (1HWO), linear [cOut, cIn].
public struct FloatLayerWeights: Hashable, Sendable {
  public var weights: [Float]
  public var shape: Shape
  public var bias: [Float]

  public init(weights: [Float], shape: Shape, bias: [Float]) {
    self.weights = weights
    self.shape = shape
    self.bias = bias
  }
}

/// Folds an inference-mode batch norm into the preceding convolution:
/// `w'[c] = w[c] · γ[c] / √(σ²[c] + ε)`, `b'[c] = (b[c] − μ[c]) · γ[c] / √(σ²[c] + ε) + β[c]`.
///
/// `outputAxisLast` is true for depthwise weights ([1, kH, kW, C]: the channel is the last
/// axis), false for OHWI and linear weights (the channel is the first axis).
public func foldBatchNorm(
  weights: [Float], shape: Shape, bias: [Float]?, gamma: [Float], beta: [Float], mean: [Float],
  variance: [Float], epsilon: Float, outputAxisLast: Bool
) -> FloatLayerWeights {
  let channels = gamma.count
  let factor = (0..<channels).map { gamma[$0] / (variance[$0] + epsilon).squareRoot() }
  var folded = weights
  for i in folded.indices {
    let c = outputAxisLast ? i % channels : i / (weights.count / channels)
    folded[i] *= factor[c]
  }
  var b = [Float](repeating: 0, count: channels)
  for c in 0..<channels {
    let raw: Float = bias?[c] ?? 0
    b[c] = (raw - mean[c]) * factor[c] + beta[c]
  }
  return FloatLayerWeights(weights: folded, shape: shape, bias: b)
}

/// The integer data of one node of a `QuantizedGraph`.
public struct QuantizedLayer: Hashable, Sendable {
  /// Quantization of the node's output tensor (for the input node: of the graph input).
  public var output: QuantParams
  /// Weights (int8 storage; int4 graphs keep values in [−7, 7] and pack them at deployment).
  public var weights: [Int8]
  public var weightShape: Shape
  public var weightScales: [Float]
  /// int32 bias with scale s_in · s_w[c].
  public var bias: [Int32]

  public init(
    output: QuantParams, weights: [Int8] = [], weightShape: Shape = [], weightScales: [Float] = [],
    bias: [Int32] = []
  ) {
    self.output = output
    self.weights = weights
    self.weightShape = weightShape
    self.weightScales = weightScales
    self.bias = bias
  }
}

/// A graph with every tensor and weight quantized in the TFLite scheme (DESIGN.md §3):
/// per-channel symmetric weights, per-tensor asymmetric activations, int32 bias, fixed-point
/// requantization. `layers[i]` belongs to `graph.nodes[i]`.
///
/// Pooling keeps its input's quantization (TFLite AVERAGE_POOL_2D); residual adds and every
/// layer with weights get their own output quantization from the calibrated range.
public struct QuantizedGraph: Hashable, Sendable {
  public var graph: Graph
  public var bitWidth: BitWidth
  public var roundingMode: RoundingMode
  public var layers: [QuantizedLayer]

  public init(
    graph: Graph, bitWidth: BitWidth, roundingMode: RoundingMode, layers: [QuantizedLayer]
  ) {
    self.graph = graph
    self.bitWidth = bitWidth
    self.roundingMode = roundingMode
    self.layers = layers
  }

  /// Post-training quantization: `weights[i]` are the BN-folded float weights of node i (nil
  /// for ops without weights); `ranges[i]` the calibrated (min, max) of node i's output (for
  /// node 0 the input's range).
  public init(
    graph: Graph, weights: [FloatLayerWeights?], ranges: [(min: Float, max: Float)],
    bitWidth: BitWidth = .int8, roundingMode: RoundingMode = .doubleRounding
  ) throws {
    guard weights.count == graph.nodes.count, ranges.count == graph.nodes.count else {
      throw QuantizationError.invalidParameter(
        name: "weights and ranges of graph '\(graph.name)'",
        value: "\(weights.count) and \(ranges.count) entries",
        reason: "there must be one of each per node (\(graph.nodes.count))")
    }
    var layers: [QuantizedLayer] = []
    for (i, node) in graph.nodes.enumerated() {
      let (lo, hi) = ranges[i]
      switch node.op {
      case .avgPool, .maxPool, .globalAvgPool:
        // TFLite's AVERAGE_POOL_2D and MAX_POOL_2D keep the input's scale and zero point.
        layers.append(QuantizedLayer(output: layers[node.inputs[0]].output))
        continue
      default: break
      }
      let output = try chooseActivationParams(min: lo, max: hi, bitWidth: bitWidth)
      guard let w = weights[i] else {
        if case .conv2d = node.op { throw Self.missingWeights(node.name) }
        if case .depthwiseConv2d = node.op { throw Self.missingWeights(node.name) }
        if case .linear = node.op { throw Self.missingWeights(node.name) }
        layers.append(QuantizedLayer(output: output))
        continue
      }
      let layout: WeightLayout
      if case .depthwiseConv2d = node.op { layout = .oneHWO } else { layout = .ohwi }
      let shape4 = w.shape.rank == 2 ? Shape([w.shape[0], 1, 1, w.shape[1]]) : w.shape
      let q = try quantizeWeightsPerChannel(
        weights: w.weights, shape: shape4, layout: layout, bitWidth: bitWidth)
      let inputScale = layers[node.inputs[0]].output.scale
      layers.append(
        QuantizedLayer(
          output: output, weights: q.values, weightShape: w.shape, weightScales: q.scales,
          bias: try quantizeBias(w.bias, inputScale: inputScale, weightScales: q.scales)))
    }
    self.init(graph: graph, bitWidth: bitWidth, roundingMode: roundingMode, layers: layers)
  }

  private static func missingWeights(_ node: String) -> QuantizationError {
    .invalidParameter(
      name: "weights of node '\(node)'", value: "nil",
      reason: "conv, depthwise and linear layers need their BN-folded float weights")
  }

  /// The requantization parameters of conv / depthwise node `i`.
  public func convParams(ofNode i: Int) throws -> ConvParams {
    let node = graph.nodes[i]
    let (stride, padding, activation): (Int, Padding, ModelIR.Activation)
    switch node.op {
    case .conv2d(let a): (stride, padding, activation) = (a.stride, a.padding, a.activation)
    case .depthwiseConv2d(let a):
      (stride, padding, activation) = (a.stride, a.padding, a.activation)
    default:
      throw QuantizationError.invalidParameter(
        name: "node '\(node.name)'", value: node.op.kindName, reason: "it is not a convolution")
    }
    let input = layers[node.inputs[0]].output
    let output = layers[i].output
    let range = activationRange(
      activation: Activation(activation), params: output, bitWidth: bitWidth)
    return ConvParams(
      strideH: stride, strideW: stride, padTop: padding.top, padLeft: padding.left,
      padBottom: padding.bottom, padRight: padding.right, inputOffset: -input.zeroPoint,
      outputOffset: output.zeroPoint,
      outputMultipliers: try perChannelMultipliers(
        inputScale: input.scale, weightScales: layers[i].weightScales, outputScale: output.scale),
      activationMin: range.lowerBound, activationMax: range.upperBound, roundingMode: roundingMode)
  }

  /// The parameters of linear node `i` (per-channel, as TFLM's per-channel FULLY_CONNECTED).
  public func fullyConnectedParams(ofNode i: Int) throws -> FullyConnectedParams {
    let node = graph.nodes[i]
    guard case .linear(let a) = node.op else {
      throw QuantizationError.invalidParameter(
        name: "node '\(node.name)'", value: node.op.kindName, reason: "it is not a linear layer")
    }
    let input = layers[node.inputs[0]].output
    let output = layers[i].output
    let range = activationRange(
      activation: Activation(a.activation), params: output, bitWidth: bitWidth)
    return FullyConnectedParams(
      inputOffset: -input.zeroPoint, filterOffset: 0, outputOffset: output.zeroPoint,
      outputMultipliers: try perChannelMultipliers(
        inputScale: input.scale, weightScales: layers[i].weightScales, outputScale: output.scale),
      activationMin: range.lowerBound, activationMax: range.upperBound, roundingMode: roundingMode)
  }

  /// The parameters of add node `i`.
  public func addParams(ofNode i: Int) throws -> AddParams {
    let node = graph.nodes[i]
    guard case .add(let activation) = node.op else {
      throw QuantizationError.invalidParameter(
        name: "node '\(node.name)'", value: node.op.kindName, reason: "it is not an add")
    }
    return try AddParams(
      input1: layers[node.inputs[0]].output, input2: layers[node.inputs[1]].output,
      output: layers[i].output, activation: Activation(activation), roundingMode: roundingMode,
      bitWidth: bitWidth)
  }

  /// The parameters of average or max pool node `i`, or of a global average pool over its
  /// input's H×W (stride 1, no padding). The clamp is the bit width's full activation range
  /// (pooling has no fused activation; TFLite's AVERAGE_POOL_2D and MAX_POOL_2D keep the
  /// input's quantization).
  public func poolParams(ofNode i: Int) throws -> PoolParams {
    let node = graph.nodes[i]
    let range = bitWidth.activationRange
    switch node.op {
    case .avgPool(let a), .maxPool(let a):
      return PoolParams(
        filterH: a.kernelH, filterW: a.kernelW, strideH: a.stride, strideW: a.stride,
        padTop: a.padding.top, padLeft: a.padding.left, padBottom: a.padding.bottom,
        padRight: a.padding.right, activationMin: range.lowerBound,
        activationMax: range.upperBound)
    case .globalAvgPool:
      let input = graph.nodes[node.inputs[0]].outputShape
      return PoolParams(
        filterH: input[1], filterW: input[2], strideH: 1, strideW: 1,
        activationMin: range.lowerBound, activationMax: range.upperBound)
    default:
      throw QuantizationError.invalidParameter(
        name: "node '\(node.name)'", value: node.op.kindName, reason: "it is not a pool")
    }
  }
}

extension Activation {
  /// The quantization-side activation of an IR activation.
  public init(_ a: ModelIR.Activation) {
    switch a {
    case .none: self = .none
    case .relu: self = .relu
    case .relu6: self = .relu6
    }
  }
}
