// Fixtures.swift
// The small graph of the CodeGen snapshot and validation tests, and the one-call pipeline to a
// generated program.

import CodeGen
import MemoryPlanner
import ModelIR
import Quantization
import TensorModule

enum Fixtures {
  /// input 7×7×3 → first conv 3×3 s2 (4, relu6) → dw 3×3 s1 (relu6; not in place: the conv
  /// output is also read by the add) → pw 4 → add → pw 8 (relu6) → dw 5×5 s2 (in place) →
  /// GAP → linear 3.
  ///
  /// ```
  ///  input ─ conv ─┬─ dw3 ─ pw ─┬─ add ─ expand ─ dw5 ─ gap ─ classifier
  ///                └────────────┘
  /// ```
  static func tinyBlock() throws -> Graph {
    var b = GraphBuilder(name: "tiny_block")
    let input = try b.addInput(height: 7, width: 7, channels: 3)
    let conv = try b.add(
      .conv2d(.init(outChannels: 4, kernel: 3, stride: 2, activation: .relu6)),
      inputs: [input], name: "conv")
    var x = try b.add(
      .depthwiseConv2d(.init(kernel: 3, stride: 1, activation: .relu6)), inputs: [conv],
      name: "dw3")
    x = try b.add(
      .conv2d(.init(outChannels: 4, kernel: 1, stride: 1, activation: .none)), inputs: [x],
      name: "pw")
    x = try b.add(.add(activation: .none), inputs: [conv, x], name: "add")
    x = try b.add(
      .conv2d(.init(outChannels: 8, kernel: 1, stride: 1, activation: .relu6)), inputs: [x],
      name: "expand")
    x = try b.add(
      .depthwiseConv2d(.init(kernel: 5, stride: 2, activation: .relu6)), inputs: [x],
      name: "dw5")
    x = try b.add(.globalAvgPool, inputs: [x], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: 3)), inputs: [x], name: "classifier")
    return b.graph
  }

  /// `tinyBlock` quantized with seeded random weights.
  static func quantized(seed: UInt64 = 7, bitWidth: BitWidth = .int8) throws -> QuantizedGraph {
    var rng = SeededGenerator(seed: seed)
    return try RandomQuantizedGraph.make(tinyBlock(), bitWidth: bitWidth, using: &rng)
  }

  /// The TinyEngine execution model's problem of `q` and a GreedyBySize plan of it.
  static func planned(_ q: QuantizedGraph, joint: Bool = false) throws
    -> (GraphMemoryProblem, MemoryPlan)
  {
    let problem = q.graph.memoryProblem(.tinyEngine(inPlaceDepthwise: true))
    let plan = try GreedyBySizePlanner().plan(joint ? problem.withScratchBuffers : problem.problem)
    return (problem, plan)
  }
}
