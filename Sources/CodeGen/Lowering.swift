// Lowering.swift
// The prepare step of code generation (TFLM's "Prepare", STYLE.md B5.2): checks that the plan
// belongs to the graph, maps every node onto arena offsets (in place where the plan merged a
// depthwise output into its input's buffer), chooses each node's kernel, places its scratch and
// folds biases for specialized kernels. Everything that can fail fails here, with the node's
// name; the emitters that follow cannot fail. Not C text (ModelSource.swift).

import Kernels
import MemoryPlanner
import ModelIR
import Quantization

/// Where a generated program keeps kernel scratch.
public enum ScratchLayout: String, Hashable, Sendable, Codable {
  /// Scratch buffers (`<node>.im2col`) are placed by the planner among the activations
  /// (a plan of `GraphMemoryProblem.withScratchBuffers`).
  case joint
  /// TinyEngine's `[arena | sbuf]`: one scratch region after the activation arena, as large as
  /// the largest need of any kernel (TinyEngine's `kbuf` is empty: no kernel widens weights).
  case split
}

/// One node lowered onto the arena.
struct LoweredLayer {
  /// Node index in the graph.
  var index: Int
  /// C identifier prefix of the node's arrays (`l<index>_<sanitized name>`).
  var ident: String
  var kernel: KernelSpec
  var inputOffsets: [Int]
  var outputOffset: Int
  var inPlace: Bool
  /// Arena offset and size of the kernel's scratch (nil when it needs none).
  var scratch: (offset: Int, bytes: Int)?
  /// The bias the kernel takes: raw, or folded (`b − zp_in·Σw`) for specializations.
  var bias: [Int32]
}

/// A graph with every node lowered and the arena laid out.
struct LoweredModel {
  var q: QuantizedGraph
  var layers: [LoweredLayer]
  var layout: ScratchLayout
  /// Bytes of the planner's arena (activations; for `.joint` also the scratch).
  var plannedBytes: Int
  /// Scratch bytes: the `.split` region, or for `.joint` the largest single need (inside).
  var scratchBytes: Int
  /// The one static arena: `plannedBytes` plus the `.split` scratch region.
  var arenaBytes: Int
  var inputOffset: Int
  var outputOffset: Int
  var planner: String
}

extension LoweredModel {
  /// Lowers `q` onto `plan` (see the file header); throws `CodeGenError`.
  init(
    _ q: QuantizedGraph, plan: MemoryPlan, problem: GraphMemoryProblem,
    options: CodeGenOptions
  ) throws {
    let graph = q.graph
    try Self.checkSteps(graph, problem)
    try Self.checkPlan(plan, problem)
    let buffers = try BufferMap(graph: graph, plan: plan, precision: q.precision)
    let layout: ScratchLayout =
      plan.problem.buffers.contains { $0.kind == .scratch } ? .joint : .split
    var layers: [LoweredLayer] = []
    for i in graph.nodes.indices.dropFirst() {
      layers.append(try Self.lowerNode(i, q: q, buffers: buffers, options: options))
    }
    let planned = plan.arenaBytes
    let sbufOffset = PlanningProblem.alignUp(planned, to: 4)
    let need = layers.compactMap { $0.scratch?.bytes }.max() ?? 0
    if layout == .joint {
      for k in layers.indices where layers[k].scratch != nil {
        let offset = try Self.jointScratch(layers[k], graph: graph, plan: plan)
        layers[k].scratch?.offset = offset
      }
    } else {
      for k in layers.indices where layers[k].scratch != nil {
        layers[k].scratch?.offset = sbufOffset
      }
    }
    // The widening kernels keep int16 in their scratch (the split region is 4-aligned).
    for layer in layers where layer.kernel.scratchArgument && !layer.kernel.inPlace {
      if let offset = layer.scratch?.offset, offset % 2 != 0 {
        throw CodeGenError.invalidPlan(
          planner: plan.planner,
          reason: "node '\(graph.nodes[layer.index].name)': scratch at odd offset \(offset), "
            + "but kernel \(layer.kernel.symbol) keeps int16 there; plan with alignment >= 2")
      }
    }
    let split = layout == .split && need > 0
    self.init(
      q: q, layers: layers, layout: layout, plannedBytes: planned, scratchBytes: need,
      arenaBytes: split ? sbufOffset + PlanningProblem.alignUp(need, to: 4) : planned,
      inputOffset: buffers.offset[0], outputOffset: buffers.offset[graph.nodes.count - 1],
      planner: plan.planner)
  }

  /// The problem's steps must be the graph's nodes 1..<n in order.
  private static func checkSteps(_ graph: Graph, _ problem: GraphMemoryProblem) throws {
    let expected = graph.nodes.dropFirst().map(\.name)
    guard problem.stepNames == expected else {
      throw CodeGenError.stepMismatch(expected: expected, found: problem.stepNames)
    }
  }

  /// The plan must be valid and place every buffer of the problem with the same request.
  private static func checkPlan(_ plan: MemoryPlan, _ problem: GraphMemoryProblem) throws {
    if let error = plan.validationError {
      throw CodeGenError.invalidPlan(planner: plan.planner, reason: "\(error)")
    }
    let placed = Dictionary(
      plan.problem.buffers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    for buffer in problem.problem.buffers {
      guard let other = placed[buffer.name] else {
        throw CodeGenError.planMismatch(buffer: buffer.name, detail: "the plan does not place it")
      }
      guard other == buffer else {
        throw CodeGenError.planMismatch(
          buffer: buffer.name,
          detail: "the plan places \(other.size) bytes over steps "
            + "\(other.firstStep)...\(other.lastStep), the problem asks for \(buffer.size) "
            + "over \(buffer.firstStep)...\(buffer.lastStep)")
      }
    }
  }

  /// The offset of the joint plan's `<node>.im2col` buffer, checked against the kernel's need.
  private static func jointScratch(_ layer: LoweredLayer, graph: Graph, plan: MemoryPlan)
    throws -> Int
  {
    let name = graph.nodes[layer.index].name
    let needed = layer.scratch?.bytes ?? 0
    guard let k = plan.problem.buffers.firstIndex(where: { $0.name == "\(name).im2col" }) else {
      throw CodeGenError.missingScratch(node: name, kernel: layer.kernel.symbol, bytes: needed)
    }
    let planned = plan.problem.buffers[k].size
    guard planned >= needed else {
      throw CodeGenError.scratchTooSmall(
        node: name, kernel: layer.kernel.symbol, planned: planned, needed: needed)
    }
    return plan.offsets[k]
  }

  /// Chooses node `i`'s kernel, folds its bias and records its offsets.
  private static func lowerNode(
    _ i: Int, q: QuantizedGraph, buffers: BufferMap, options: CodeGenOptions
  ) throws -> LoweredLayer {
    let graph = q.graph
    let node = graph.nodes[i]
    try QuantizationCheck.check(node: i, of: q)
    guard
      var kernel = graph.kernel(
        forNode: i, precision: q.precision, inPlace: buffers.inPlace[i],
        options: options.kernels)
    else {
      throw CodeGenError.unsupportedOp(node: node.name, op: node.op.kindName)
    }
    let layer = q.layers[i]
    var bias = layer.bias.isEmpty ? [Int32](repeating: 0, count: outputChannels(node)) : layer.bias
    // The specialized linear kernel has no filter offset (zero for symmetric weights).
    if kernel.isSpecialized, kernel.op == .fullyConnected,
      try q.fullyConnectedParams(ofNode: i).filterOffset != 0
    {
      kernel = kernel.genericFallback
    }
    if kernel.foldsBias {
      let inputOffset = -q.layers[node.inputs[0]].output.zeroPoint
      if let folded = BiasFolding.fold(
        bias: bias, weights: layer.weights, op: node.op, inputOffset: inputOffset)
      {
        bias = folded
      } else {
        kernel = kernel.genericFallback
      }
    }
    if kernel.foldsBias,
      !RequantizationBound.holds(
        weights: layer.weights, foldedBias: bias, op: node.op,
        multipliers: try outputMultipliers(ofNode: i, q: q))
    {
      kernel = kernel.genericFallback
      bias = layer.bias.isEmpty ? [Int32](repeating: 0, count: outputChannels(node)) : layer.bias
    }
    let scratch = kernel.scratchBytes(forNode: i, in: graph)
    return LoweredLayer(
      index: i, ident: CIdentifier.layer(i, name: node.name), kernel: kernel,
      inputOffsets: node.inputs.map { buffers.offset[$0] }, outputOffset: buffers.offset[i],
      inPlace: buffers.inPlace[i], scratch: scratch > 0 ? (0, scratch) : nil, bias: bias)
  }

  private static func outputMultipliers(ofNode i: Int, q: QuantizedGraph) throws
    -> [FixedPointMultiplier]
  {
    if case .linear = q.graph.nodes[i].op {
      return try q.fullyConnectedParams(ofNode: i).outputMultipliers
    }
    return try q.convParams(ofNode: i).outputMultipliers
  }

  private static func outputChannels(_ node: Node) -> Int {
    node.outputShape.dims.last ?? 0
  }
}

extension QuantizedGraph {
  /// The deployment precision of the graph's tensors (packed two per byte for int4).
  var precision: Precision {
    switch bitWidth {
    case .int8: return .int8
    case .int4: return .int4
    }
  }
}
