// BufferMap.swift
// Which plan buffer holds each node's output. Buffer names are node names (MemoryPlanner's
// `Graph.memoryProblem`); a depthwise node without a buffer of its own runs in place in its
// input's buffer, as the TinyEngine execution model merges them. Checks that each tensor fits
// its buffer at every step from its producer to its last reader, so that a plan of another graph
// is rejected instead of generating code that overwrites live data.

import MemoryPlanner
import ModelIR

struct BufferMap {
  /// `buffer[i]`: index into `plan.problem.buffers` of node i's output.
  var buffer: [Int]
  /// `offset[i]`: arena offset of node i's output.
  var offset: [Int]
  /// `inPlace[i]`: node i is a depthwise conv writing over its input.
  var inPlace: [Bool]

  /// `precision` sizes the tensors (int4: packed, `(count + 1) / 2` bytes) and forbids in-place
  /// depthwise for int4, which has no in-place kernel.
  init(graph: Graph, plan: MemoryPlan, precision: Precision = .int8) throws {
    let buffers = plan.problem.buffers
    var byName: [String: Int] = [:]
    for (k, b) in buffers.enumerated() where byName[b.name] == nil { byName[b.name] = k }
    buffer = []
    inPlace = []
    for (i, node) in graph.nodes.enumerated() {
      if let k = byName[node.name] {
        buffer.append(k)
        inPlace.append(false)
      } else if case .depthwiseConv2d = node.op, let producer = node.inputs.first {
        guard precision == .int8 else {
          throw CodeGenError.inPlaceNotAllowed(
            node: node.name,
            reason: "int4 graphs have no in-place depthwise kernel (only the generic "
              + "mcu_depthwise_conv2d_s4); for int4 use "
              + "memoryProblem(.tinyEngine(inPlaceDepthwise: false), precision: .int4)")
        }
        try Self.checkInPlace(i, graph: graph)
        buffer.append(buffer[producer])
        inPlace.append(true)
      } else {
        throw CodeGenError.missingBuffer(node: node.name)
      }
    }
    offset = buffer.map { plan.offsets[$0] }
    try checkLifetimes(graph: graph, problem: plan.problem, precision: precision)
  }

  /// In place is safe when the depthwise node is its input's only reader and its output is no
  /// larger than its input (the kernel's write-back then only touches consumed slots).
  private static func checkInPlace(_ i: Int, graph: Graph) throws {
    let node = graph.nodes[i]
    let producer = node.inputs[0]
    guard producer != 0 else {
      throw CodeGenError.inPlaceNotAllowed(
        node: node.name, reason: "its input is the graph input, which the caller owns")
    }
    let readers = graph.consumers[producer]
    guard readers == [i] else {
      throw CodeGenError.inPlaceNotAllowed(
        node: node.name,
        reason: "its input '\(graph.nodes[producer].name)' has \(readers.count) readers")
    }
    guard node.outputElements <= graph.nodes[producer].outputElements else {
      throw CodeGenError.inPlaceNotAllowed(
        node: node.name, reason: "its output is larger than its input")
    }
  }

  /// Every tensor fits its buffer from its producing step through its last reader (the graph
  /// output through the last step). Node i runs at step i − 1; the input is live from step 0.
  private func checkLifetimes(graph: Graph, problem: PlanningProblem, precision: Precision)
    throws
  {
    let consumers = graph.consumers
    let lastStep = graph.nodes.count - 2
    for (i, node) in graph.nodes.enumerated() {
      let first = max(i - 1, 0)
      let readers = consumers[i].map { $0 - 1 }
      let last = i == graph.nodes.count - 1 ? lastStep : (readers.max() ?? first)
      let request = problem.buffers[buffer[i]]
      for step in first...max(first, last) {
        let bytes = request.requestedBytes(atStep: step)
        if bytes == 0 {
          throw CodeGenError.bufferNotLive(node: node.name, buffer: request.name, step: step)
        }
        let needed = precision.bytes(node.outputElements)
        if bytes < needed {
          throw CodeGenError.bufferTooSmall(
            node: node.name, buffer: request.name, step: step, bytes: bytes, needed: needed)
        }
      }
    }
  }
}
