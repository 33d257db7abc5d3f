/// Exact, data-free statistics of a graph: MACs, parameters, activation sizes and Flash bytes,
/// computed the way MIT's model zoo and TinyEngine count them (paper_facts.md §9, §10).
///
/// - MACs: Σ multiply-accumulates of conv, depthwise and linear layers (BN, add and pooling
///   are free).
/// - Parameters: conv and linear weights + biases + BN (γ, β) — what `sum(p.numel())` gives for
///   the PyTorch model (BN running statistics are buffers, not parameters).
/// - Act: max over layers of (input + output bytes) plus every other tensor held live across the
///   layer (the residual block input), in bytes at the given precision.
/// - Flash: per layer weights (1 byte, or ½ for int4) + int32 bias + int32 per-channel
///   requantization scale, as TinyEngine's `get_weights_size/get_bias_size/get_scale_size`.

/// Numeric precision of weights and activations in a deployed model.
public enum Precision: String, Hashable, Sendable, Codable, CaseIterable {
  case int8
  case int4

  /// Bytes for `elements` values, packed (int4: two per byte, rounded up).
  public func bytes(_ elements: Int) -> Int {
    switch self {
    case .int8: return elements
    case .int4: return (elements + 1) / 2
    }
  }
}

/// The cost of one node.
public struct NodeCost: Hashable, Sendable {
  public var macs: Int
  /// Trainable parameters (weights + biases + BN γ, β).
  public var params: Int
  /// Weight elements (stored in Flash at the model's precision).
  public var weightElements: Int
  /// Output channels that carry an int32 bias and a per-channel scale in Flash (0 for ops
  /// without weights).
  public var biasChannels: Int
}

extension Graph {
  /// The cost of node `i`.
  public func cost(ofNode i: Int) -> NodeCost {
    let node = nodes[i]
    let inShape = node.inputs.first.map { nodes[$0].outputShape }
    switch node.op {
    case .conv2d(let a):
      let cIn = inShape.map { $0[3] } ?? 0
      let outPixels = node.outputShape[1] * node.outputShape[2]
      let weights = a.outChannels * a.kernelH * a.kernelW * cIn
      let params = weights + (a.bias ? a.outChannels : 0) + (a.batchNorm ? 2 * a.outChannels : 0)
      return NodeCost(
        macs: outPixels * weights, params: params, weightElements: weights,
        biasChannels: a.outChannels)
    case .depthwiseConv2d(let a):
      let c = node.outputShape[3]
      let outPixels = node.outputShape[1] * node.outputShape[2]
      let weights = c * a.kernelH * a.kernelW
      let params = weights + (a.bias ? c : 0) + (a.batchNorm ? 2 * c : 0)
      return NodeCost(
        macs: outPixels * weights, params: params, weightElements: weights, biasChannels: c)
    case .linear(let a):
      let cIn = inShape.map { $0.count } ?? 0
      let weights = a.outFeatures * cIn
      return NodeCost(
        macs: weights, params: weights + (a.bias ? a.outFeatures : 0), weightElements: weights,
        biasChannels: a.outFeatures)
    case .input, .add, .avgPool, .maxPool, .globalAvgPool:
      return NodeCost(macs: 0, params: 0, weightElements: 0, biasChannels: 0)
    }
  }

  /// Total multiply-accumulates.
  public var macs: Int { nodes.indices.reduce(0) { $0 + cost(ofNode: $1).macs } }

  /// Total trainable parameters.
  public var params: Int { nodes.indices.reduce(0) { $0 + cost(ofNode: $1).params } }

  /// Flash bytes of the deployed weights: weights at `precision` + 4-byte bias + 4-byte scale per
  /// output channel of every conv, depthwise and linear layer.
  public func flashBytes(_ precision: Precision = .int8) -> Int {
    nodes.indices.reduce(0) { total, i in
      let c = cost(ofNode: i)
      return total + precision.bytes(c.weightElements) + 8 * c.biasChannels
    }
  }

  /// For each node, the index of the last node that reads its output (itself if none; the
  /// graph output is live to the end).
  public var lastUse: [Int] {
    var last = Array(nodes.indices)
    for (i, node) in nodes.enumerated() {
      for j in node.inputs { last[j] = max(last[j], i) }
    }
    last[nodes.count - 1] = nodes.count - 1
    return last
  }

  /// MIT's "Act": the theoretical peak activation of one layer, max over conv, depthwise and
  /// linear layers of input + output + every other tensor kept alive across the layer (the
  /// residual block input), at `precision`.
  public func activationBytes(_ precision: Precision = .int8) -> Int {
    let last = lastUse
    var peak = 0
    for (i, node) in nodes.enumerated() {
      switch node.op {
      case .conv2d, .depthwiseConv2d, .linear: break
      default: continue
      }
      var elements = node.outputElements
      for j in node.inputs { elements += nodes[j].outputElements }
      // Tensors produced earlier, not read by this node, still needed later.
      for j in 0..<i where last[j] > i && !node.inputs.contains(j) {
        elements += nodes[j].outputElements
      }
      peak = max(peak, precision.bytes(elements))
    }
    return peak
  }
}
