import TensorModule

/// One node of a `Graph`: an op, the nodes whose outputs it reads, and its inferred output shape.
public struct Node: Hashable, Sendable {
  public var name: String
  public var op: Op
  /// Indices of the producing nodes, all smaller than this node's own index.
  public var inputs: [Int]
  /// Output shape: [1, H, W, C] for spatial tensors, [1, C] after `linear`.
  public var outputShape: Shape

  /// Output elements (= int8 bytes).
  public var outputElements: Int { outputShape.count }
}

/// A dataflow graph of NHWC ops in execution order (a topological order by construction).
///
/// Node 0 is the `input`; the last node is the graph output. Shapes are inferred when a node is
/// appended, and every error names the node and says how to fix it. Build one with
/// `GraphBuilder` or from a network config (`NetConfig.makeGraph()`).
public struct Graph: Hashable, Sendable {
  public var name: String
  public internal(set) var nodes: [Node]

  init(name: String, nodes: [Node]) {
    self.name = name
    self.nodes = nodes
  }

  public var input: Node { nodes[0] }
  public var output: Node { nodes[nodes.count - 1] }

  /// For each node, the indices of the nodes that read its output, in execution order.
  public var consumers: [[Int]] {
    var result = Array(repeating: [Int](), count: nodes.count)
    for (i, node) in nodes.enumerated() {
      for j in node.inputs { result[j].append(i) }
    }
    return result
  }

  /// Re-checks every invariant (input first, inputs precede their consumers, arity, shapes, one
  /// output). Graphs made by `GraphBuilder` already satisfy them; this guards hand-edited ones.
  public func validate() throws {
    var builder = GraphBuilder(name: name)
    guard let first = nodes.first, case .input(let h, let w, let c) = first.op else {
      throw GraphError.missingInput(graph: name)
    }
    _ = try builder.addInput(height: h, width: w, channels: c, name: first.name)
    for node in nodes.dropFirst() {
      let rebuilt = try builder.add(node.op, inputs: node.inputs, name: node.name)
      if builder.graph.nodes[rebuilt].outputShape != node.outputShape {
        throw GraphError.shapeMismatch(
          node: node.name, stored: node.outputShape,
          inferred: builder.graph.nodes[rebuilt].outputShape)
      }
    }
    let consumers = self.consumers
    for (i, node) in nodes.enumerated().dropLast() where consumers[i].isEmpty {
      throw GraphError.danglingNode(node: node.name)
    }
  }
}

/// Appends nodes one at a time, inferring and checking shapes as it goes.
public struct GraphBuilder: Sendable {
  public private(set) var graph: Graph

  public init(name: String) {
    graph = Graph(name: name, nodes: [])
  }

  /// Adds the graph input [1, H, W, C]; must be the first node.
  @discardableResult
  public mutating func addInput(height: Int, width: Int, channels: Int, name: String = "input")
    throws -> Int
  {
    guard graph.nodes.isEmpty else { throw GraphError.inputNotFirst(node: name) }
    guard height > 0, width > 0, channels > 0 else {
      throw GraphError.invalidAttribute(
        node: name, detail: "input shape \(height)×\(width)×\(channels) must be positive")
    }
    graph.nodes.append(
      Node(
        name: name, op: .input(height: height, width: width, channels: channels), inputs: [],
        outputShape: [1, height, width, channels]))
    return 0
  }

  /// Adds `op` reading the outputs of `inputs`; returns the new node's index.
  @discardableResult
  public mutating func add(_ op: Op, inputs: [Int], name: String) throws -> Int {
    let index = graph.nodes.count
    guard index > 0 else { throw GraphError.missingInput(graph: graph.name) }
    if case .input = op { throw GraphError.inputNotFirst(node: name) }
    guard inputs.count == op.arity else {
      throw GraphError.wrongArity(
        node: name, op: op.kindName, expected: op.arity, got: inputs.count)
    }
    for i in inputs where i < 0 || i >= index {
      throw GraphError.badInputReference(node: name, input: i, nodeCount: index)
    }
    let shapes = inputs.map { graph.nodes[$0].outputShape }
    let shape = try inferShape(op, inputShapes: shapes, node: name)
    graph.nodes.append(Node(name: name, op: op, inputs: inputs, outputShape: shape))
    return index
  }

  private func inferShape(_ op: Op, inputShapes: [Shape], node: String) throws -> Shape {
    func spatial(_ s: Shape) throws -> (h: Int, w: Int, c: Int) {
      guard s.rank == 4 else {
        throw GraphError.invalidAttribute(
          node: node, detail: "expects a [1, H, W, C] input, got \(s); insert it before `linear`")
      }
      return (s[1], s[2], s[3])
    }
    func window(_ size: Int, _ k: Int, _ s: Int, _ p0: Int, _ p1: Int, _ axis: String) throws -> Int
    {
      guard k > 0, s > 0, p0 >= 0, p1 >= 0 else {
        throw GraphError.invalidAttribute(
          node: node, detail: "kernel \(k), stride \(s), padding \(p0)/\(p1) must be positive")
      }
      let padded = size + p0 + p1
      guard padded >= k else {
        throw GraphError.invalidAttribute(
          node: node,
          detail: "\(axis) \(size) + padding \(p0 + p1) is smaller than the kernel \(k); "
            + "raise the input resolution or drop a stride-2 stage")
      }
      return (padded - k) / s + 1
    }
    switch op {
    case .input:
      throw GraphError.inputNotFirst(node: node)
    case .conv2d(let a):
      let (h, w, _) = try spatial(inputShapes[0])
      guard a.outChannels > 0 else {
        throw GraphError.invalidAttribute(node: node, detail: "outChannels must be positive")
      }
      let oh = try window(h, a.kernelH, a.stride, a.padding.top, a.padding.bottom, "height")
      let ow = try window(w, a.kernelW, a.stride, a.padding.left, a.padding.right, "width")
      return [1, oh, ow, a.outChannels]
    case .depthwiseConv2d(let a):
      let (h, w, c) = try spatial(inputShapes[0])
      let oh = try window(h, a.kernelH, a.stride, a.padding.top, a.padding.bottom, "height")
      let ow = try window(w, a.kernelW, a.stride, a.padding.left, a.padding.right, "width")
      return [1, oh, ow, c]
    case .add:
      guard inputShapes[0] == inputShapes[1] else {
        throw GraphError.invalidAttribute(
          node: node,
          detail: "adds \(inputShapes[0]) and \(inputShapes[1]); a residual needs equal shapes "
            + "(stride 1 and cIn == cOut)")
      }
      return inputShapes[0]
    case .avgPool(let a), .maxPool(let a):
      let (h, w, c) = try spatial(inputShapes[0])
      let oh = try window(h, a.kernelH, a.stride, a.padding.top, a.padding.bottom, "height")
      let ow = try window(w, a.kernelW, a.stride, a.padding.left, a.padding.right, "width")
      return [1, oh, ow, c]
    case .globalAvgPool:
      let (_, _, c) = try spatial(inputShapes[0])
      return [1, 1, 1, c]
    case .linear(let a):
      guard a.outFeatures > 0 else {
        throw GraphError.invalidAttribute(node: node, detail: "outFeatures must be positive")
      }
      return [1, a.outFeatures]
    }
  }
}

/// Errors of graph construction and validation. Each message names the node and the fix.
public enum GraphError: Error, Equatable, CustomStringConvertible {
  case missingInput(graph: String)
  case inputNotFirst(node: String)
  case wrongArity(node: String, op: String, expected: Int, got: Int)
  case badInputReference(node: String, input: Int, nodeCount: Int)
  case invalidAttribute(node: String, detail: String)
  case shapeMismatch(node: String, stored: Shape, inferred: Shape)
  case danglingNode(node: String)

  public var description: String {
    switch self {
    case .missingInput(let g):
      return "graph '\(g)' has no input node; add one with addInput(height:width:channels:) first"
    case .inputNotFirst(let n):
      return "node '\(n)': the input must be the graph's first and only input node"
    case .wrongArity(let n, let op, let e, let g):
      return "node '\(n)': \(op) takes \(e) input(s) but was given \(g)"
    case .badInputReference(let n, let i, let count):
      return "node '\(n)' reads node \(i), but only nodes 0..<\(count) precede it; "
        + "nodes must be added in execution order"
    case .invalidAttribute(let n, let d):
      return "node '\(n)': \(d)"
    case .shapeMismatch(let n, let s, let i):
      return
        "node '\(n)': stored output shape \(s) differs from the inferred \(i); rebuild the graph"
    case .danglingNode(let n):
      return "node '\(n)' is never read and is not the output; remove it or connect it"
    }
  }
}
