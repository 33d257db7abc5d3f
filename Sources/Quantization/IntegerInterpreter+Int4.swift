// IntegerInterpreter+Int4.swift
// The int4 path of the graph interpreter: every layer of an int4 `QuantizedGraph` on the packed
// int4 references (Int4Kernels.swift, Int4AddPoolLinear.swift), the specification that the
// generated `*_s4` code must match bit for bit.
//
// ## What an int4 graph is (the project's decision; paper_facts §13 leaves it open)
//
// The whole graph is int4, as MCUNet's int4 models ("4-bit linear quantization of weights and
// activations", Table 4): the graph input, every activation and every weight are int4 (format
// in Int4.swift); bias and requantization stay int32 / fixed point. In particular the INPUT is
// int4 too: a caller quantizes the image with the input node's parameters and `bitWidth: .int4`
// (16 levels per pixel), instead of keeping an int8 first layer. Mixed precision (e.g. an int8
// first conv or classifier, an int8 input) is NOT supported: `QuantizedGraph` has one
// `bitWidth` for every tensor, and neither the interpreter nor CodeGen has int8↔int4
// conversion layers.

import TensorModule

extension IntegerInterpreter {
  /// Every node's packed int4 output for one packed int4 input image (`[1, H, W, C]`, NHWC
  /// flat, two values per byte), in node order; the last entry is the graph output.
  ///
  /// Every layer's parameters and weights are validated for int4 before it runs, so a graph
  /// quantized with another bit width fails with the node's name instead of trapping.
  ///
  /// - Throws: `QuantizationError` naming the graph or node at fault.
  public static func runInt4(_ q: QuantizedGraph, input: PackedInt4) throws -> [PackedInt4] {
    let g = q.graph
    guard q.bitWidth == .int4 else {
      throw QuantizationError.invalidParameter(
        name: "bit width of graph '\(g.name)'", value: q.bitWidth.rawValue,
        reason: "runInt4 runs int4 graphs; use run(_:input:) for int8, or quantize with "
          + "bitWidth: .int4")
    }
    try checkInputSize(q, count: input.count)
    var outputs: [PackedInt4] = [input]
    for (i, node) in g.nodes.enumerated().dropFirst() {
      do {
        outputs.append(try int4Layer(i, q: q, outputs: outputs))
      } catch let error as QuantizationError {
        throw QuantizationError.invalidParameter(
          name: "int4 node \(i) '\(node.name)' of '\(g.name)'", value: node.op.kindName,
          reason: "\(error)")
      }
    }
    return outputs
  }

  /// Validates and runs node `i` on the packed outputs of the nodes before it.
  private static func int4Layer(_ i: Int, q: QuantizedGraph, outputs: [PackedInt4]) throws
    -> PackedInt4
  {
    let g = q.graph
    let node = g.nodes[i]
    let x = outputs[node.inputs[0]]
    let xShape = g.nodes[node.inputs[0]].outputShape
    let layer = q.layers[i]
    let bias = layer.bias.isEmpty ? nil : layer.bias
    try layer.output.validate(bitWidth: .int4, what: "output of '\(node.name)'")
    switch node.op {
    case .input:
      return x
    case .conv2d(let a):
      let params = try q.convParams(ofNode: i)
      let w = try int4Weights(layer, node: node.name)
      if a.isPointwise {
        _ = try params.validatePointwiseConv2D(
          inputShape: xShape, filterShape: layer.weightShape, biasCount: bias?.count,
          bitWidth: .int4)
        return IntegerReference.pointwiseConv2DPerChannelInt4(
          input: x, inputShape: xShape, filter: w, filterShape: layer.weightShape, bias: bias,
          params: params)
      }
      _ = try params.validateConv2D(
        inputShape: xShape, filterShape: layer.weightShape, biasCount: bias?.count,
        bitWidth: .int4)
      return IntegerReference.conv2DPerChannelInt4(
        input: x, inputShape: xShape, filter: w, filterShape: layer.weightShape, bias: bias,
        params: params)
    case .depthwiseConv2d:
      let params = try q.convParams(ofNode: i)
      let w = try int4Weights(layer, node: node.name)
      _ = try params.validateDepthwiseConv2D(
        inputShape: xShape, filterShape: layer.weightShape, biasCount: bias?.count,
        bitWidth: .int4)
      return IntegerReference.depthwiseConv2DPerChannelInt4(
        input: x, inputShape: xShape, filter: w, filterShape: layer.weightShape, bias: bias,
        params: params)
    case .add:
      let params = try q.addParams(ofNode: i)
      try params.validate(bitWidth: .int4)
      return IntegerReference.addInt4(x, outputs[node.inputs[1]], params: params)
    case .avgPool, .globalAvgPool:
      let params = try q.poolParams(ofNode: i)
      _ = try params.validate(inputShape: xShape, bitWidth: .int4)
      return IntegerReference.averagePoolInt4(input: x, inputShape: xShape, params: params)
    case .maxPool:
      let params = try q.poolParams(ofNode: i)
      _ = try params.validate(inputShape: xShape, bitWidth: .int4)
      return IntegerReference.maxPoolInt4(input: x, inputShape: xShape, params: params)
    case .linear:
      let params = try q.fullyConnectedParams(ofNode: i)
      let w = try int4Weights(layer, node: node.name)
      let inputShape: Shape = [1, xShape.count]
      let filterShape: Shape = [layer.weightShape.dims.first ?? 0, xShape.count]
      _ = try params.validate(
        inputShape: inputShape, filterShape: filterShape, biasCount: bias?.count,
        perChannel: true, bitWidth: .int4)
      return IntegerReference.fullyConnectedPerChannelInt4(
        input: x, inputShape: inputShape, filter: w, filterShape: filterShape, bias: bias,
        params: params)
    }
  }

  /// The layer's weights packed, after checking their count and the int4 weight range.
  private static func int4Weights(_ layer: QuantizedLayer, node: String) throws(QuantizationError)
    -> PackedInt4
  {
    guard layer.weights.count == layer.weightShape.count else {
      throw .shapeMismatch(
        what: "weights of '\(node)'", expected: "\(layer.weightShape.count) values",
        actual: "\(layer.weights.count)")
    }
    try Int4.validate(
      layer.weights, range: BitWidth.int4.weightRange, what: "int4 weights of '\(node)'")
    return try PackedInt4(packing: layer.weights)
  }
}
