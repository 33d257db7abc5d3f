// QuantizationCheck.swift
// Generate-time checks of every node's quantized data with Quantization's own validators (the
// ones the integer references run), so a bad layer fails in Swift with its name instead of
// silently computing garbage in C; and the bias folding of specialized kernels. Not the
// arithmetic itself.

import ModelIR
import Quantization

enum QuantizationCheck {
  /// Validates node `i`'s parameters, weights and bias; throws `.invalidQuantization`.
  static func check(node i: Int, of q: QuantizedGraph) throws {
    let node = q.graph.nodes[i]
    let layer = q.layers[i]
    do {
      try layer.output.validate(bitWidth: q.bitWidth, what: "output")
      if !layer.weights.isEmpty || !layer.weightShape.dims.isEmpty {
        guard layer.weights.count == layer.weightShape.count else {
          throw CodeGenError.invalidQuantization(
            node: node.name,
            reason: "\(layer.weights.count) weights for shape \(layer.weightShape)")
        }
        if q.bitWidth == .int4 {
          try Int4.validate(layer.weights, range: BitWidth.int4.weightRange, what: "int4 weights")
        }
      }
      try checkOp(i, of: q)
    } catch let error as CodeGenError {
      throw error
    } catch {
      throw CodeGenError.invalidQuantization(node: node.name, reason: "\(error)")
    }
  }

  private static func checkOp(_ i: Int, of q: QuantizedGraph) throws {
    let node = q.graph.nodes[i]
    let layer = q.layers[i]
    let inputShape = q.graph.nodes[node.inputs.first ?? 0].outputShape
    let biasCount = layer.bias.isEmpty ? nil : layer.bias.count
    let bits = q.bitWidth
    switch node.op {
    case .input:
      return
    case .conv2d(let a):
      let p = try q.convParams(ofNode: i)
      if a.isPointwise {
        _ = try p.validatePointwiseConv2D(
          inputShape: inputShape, filterShape: layer.weightShape, biasCount: biasCount,
          bitWidth: bits)
      } else {
        _ = try p.validateConv2D(
          inputShape: inputShape, filterShape: layer.weightShape, biasCount: biasCount,
          bitWidth: bits)
      }
    case .depthwiseConv2d:
      _ = try q.convParams(ofNode: i).validateDepthwiseConv2D(
        inputShape: inputShape, filterShape: layer.weightShape, biasCount: biasCount,
        bitWidth: bits)
    case .linear:
      _ = try q.fullyConnectedParams(ofNode: i).validate(
        inputShape: [1, inputShape.count], filterShape: layer.weightShape,
        biasCount: biasCount, perChannel: true, bitWidth: bits)
    case .add:
      try q.addParams(ofNode: i).validate(bitWidth: bits)
    case .avgPool, .maxPool:
      _ = try q.poolParams(ofNode: i).validate(inputShape: inputShape, bitWidth: bits)
    case .globalAvgPool:
      return
    }
  }
}

/// TinyEngine's bias folding (`CodeGenerator._parseoffsetBias`), exact: with
/// `b'[c] = b[c] + inputOffset·Σ_taps w[c]`, `Σ w·x + b' = Σ w·(x + inputOffset) + b` over all
/// taps, and a padded tap holding the raw `zp_in = −inputOffset` adds `w·(zp_in + inputOffset)
/// = 0` on the right, as the generic kernels' skipped taps do.
enum BiasFolding {
  /// The folded bias, or nil when a value leaves Int32 (the layer then keeps the generic
  /// kernel; TinyEngine would clip and carry a remainder instead).
  static func fold(bias: [Int32], weights: [Int8], op: Op, inputOffset: Int32) -> [Int32]? {
    let channels = bias.count
    guard channels > 0, weights.count % channels == 0 else { return nil }
    var sums = [Int64](repeating: 0, count: channels)
    if case .depthwiseConv2d = op {
      // 1HWO: the channel is the fastest axis.
      for (t, w) in weights.enumerated() { sums[t % channels] += Int64(w) }
    } else {
      // OHWI / [cOut, cIn]: one contiguous block per output channel.
      let block = weights.count / channels
      for (t, w) in weights.enumerated() { sums[t / block] += Int64(w) }
    }
    var folded: [Int32] = []
    folded.reserveCapacity(channels)
    for c in 0..<channels {
      let value = Int64(bias[c]) + Int64(inputOffset) * sums[c]
      guard let exact = Int32(exactly: value) else { return nil }
      folded.append(exact)
    }
    return folded
  }
}

/// The specialized kernels requantize without saturation (`mcu_channel_requantize_bounded`),
/// which equals the saturating arithmetic when no intermediate can leave its range. This
/// proves it per output channel from the weights alone: with int8 inputs (|x| ≤ 128) and the
/// folded bias b', |acc + b'| ≤ 128·Σ|w| + |b'|, and that times 2^max(shift, 0) must stay
/// within 2^30. Layers that fail (none of the zoo's) keep the generic kernel.
enum RequantizationBound {
  /// The largest |acc + b'|·2^left the bounded requantization accepts.
  static let limit: Int64 = 1 << 30

  static func holds(
    weights: [Int8], foldedBias: [Int32], op: Op, multipliers: [FixedPointMultiplier]
  ) -> Bool {
    let channels = foldedBias.count
    guard channels > 0, multipliers.count == channels, weights.count % channels == 0 else {
      return false
    }
    var magnitude = [Int64](repeating: 0, count: channels)
    if case .depthwiseConv2d = op {
      for (t, w) in weights.enumerated() { magnitude[t % channels] += Int64(abs(Int(w))) }
    } else {
      let block = weights.count / channels
      for (t, w) in weights.enumerated() { magnitude[t / block] += Int64(abs(Int(w))) }
    }
    for c in 0..<channels {
      let left = max(multipliers[c].shift, 0)
      let bound = 128 * magnitude[c] + abs(Int64(foldedBias[c]))
      guard bound <= limit >> left else { return false }
    }
    return true
  }
}
