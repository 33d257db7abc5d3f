import ModelIR
import TensorModule

/// Runs a `QuantizedGraph` with the integer reference kernels: the specification that the C
/// kernels, the generated code and the interpreter baseline must match bit for bit.
public enum IntegerInterpreter {
  /// Every node's int8 output for one input image (`input` is [1, H, W, C] int8, NHWC), in
  /// node order; the last entry is the graph output.
  public static func run(_ q: QuantizedGraph, input: [Int8]) throws -> [[Int8]] {
    guard q.bitWidth == .int8 else {
      throw QuantizationError.invalidParameter(
        name: "bit width of graph '\(q.graph.name)'", value: q.bitWidth.rawValue,
        reason: "the graph interpreter runs int8 graphs; int4 layers use the Int4 kernels")
    }
    let g = q.graph
    guard input.count == g.input.outputElements else {
      throw QuantizationError.shapeMismatch(
        what: "input of '\(g.name)'", expected: "\(g.input.outputShape)",
        actual: "\(input.count) values")
    }
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
}
