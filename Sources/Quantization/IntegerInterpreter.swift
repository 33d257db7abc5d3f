import ModelIR
import TensorModule

/// Runs a `QuantizedGraph` with the integer reference kernels: the specification that the C
/// kernels, the generated code and the interpreter baseline must match bit for bit.
public enum IntegerInterpreter {
  /// Every node's output for one input image (`input` is [1, H, W, C], NHWC), in node order;
  /// the last entry is the graph output.
  ///
  /// int8 graphs take and return int8 values. int4 graphs (`q.bitWidth == .int4`) take and
  /// return int4 VALUES, one per Int8 element in `-8...7` (unpacked; see `runInt4` for the
  /// packed form, which is what generated code stores): the input must already be quantized
  /// to int4 with the graph input's parameters (`quantize(_:params:bitWidth: .int4)`).
  ///
  /// - Throws: `QuantizationError` for an input of the wrong size or, for int4, outside
  ///   `-8...7`, and for invalid layer parameters or weights (int4 checks every layer first).
  public static func run(_ q: QuantizedGraph, input: [Int8]) throws -> [[Int8]] {
    if q.bitWidth == .int4 {
      try checkInputSize(q, count: input.count)
      try Int4.validate(
        input, range: BitWidth.int4.activationRange, what: "int4 input of '\(q.graph.name)'")
      return try runInt4(q, input: PackedInt4(packing: input)).map { $0.unpacked() }
    }
    let g = q.graph
    try checkInputSize(q, count: input.count)
    var outputs: [[Int8]] = [input]
    for (i, node) in g.nodes.enumerated().dropFirst() {
      let x = outputs[node.inputs[0]]
      let xShape = g.nodes[node.inputs[0]].outputShape
      let layer = q.layers[i]
      let y: [Int8]
      switch node.op {
      case .input:
        y = x
      case .conv2d(let a):
        let params = try q.convParams(ofNode: i)
        if a.isPointwise {
          y = IntegerReference.pointwiseConv2DPerChannel(
            input: x, inputShape: xShape, filter: layer.weights, filterShape: layer.weightShape,
            bias: layer.bias, params: params)
        } else {
          y = IntegerReference.conv2DPerChannel(
            input: x, inputShape: xShape, filter: layer.weights, filterShape: layer.weightShape,
            bias: layer.bias, params: params)
        }
      case .depthwiseConv2d:
        y = IntegerReference.depthwiseConv2DPerChannel(
          input: x, inputShape: xShape, filter: layer.weights, filterShape: layer.weightShape,
          bias: layer.bias, params: try q.convParams(ofNode: i))
      case .add:
        y = IntegerReference.add(x, outputs[node.inputs[1]], params: try q.addParams(ofNode: i))
      case .avgPool(let a):
        y = IntegerReference.averagePool(
          input: x, inputShape: xShape,
          params: PoolParams(
            filterH: a.kernelH, filterW: a.kernelW, strideH: a.stride, strideW: a.stride,
            padTop: a.padding.top, padLeft: a.padding.left, padBottom: a.padding.bottom,
            padRight: a.padding.right))
      case .maxPool:
        y = IntegerReference.maxPool(
          input: x, inputShape: xShape, params: try q.poolParams(ofNode: i))
      case .globalAvgPool:
        y = IntegerReference.globalAveragePool(input: x, inputShape: xShape)
      case .linear:
        let cIn = xShape.count
        y = IntegerReference.fullyConnectedPerChannel(
          input: x, inputShape: [1, cIn], filter: layer.weights,
          filterShape: [layer.weightShape[0], cIn], bias: layer.bias,
          params: try q.fullyConnectedParams(ofNode: i))
      }
      outputs.append(y)
    }
    return outputs
  }

  static func checkInputSize(_ q: QuantizedGraph, count: Int) throws(QuantizationError) {
    let g = q.graph
    guard count == g.input.outputElements else {
      throw .shapeMismatch(
        what: "input of '\(g.name)'", expected: "\(g.input.outputShape)",
        actual: "\(count) values")
    }
  }
}
