// CodeGenError.swift
// Why a model cannot be turned into C (STYLE.md B5.2): every case names the node, buffer or
// option at fault, and every message says what to do. Checked at generate time so that the
// emitted C can run without checks (B5.6).

/// A model, plan or option that `CodeGen.generate` rejects.
public enum CodeGenError: Error, Equatable, CustomStringConvertible {
  /// The program name is not a C identifier.
  case invalidName(String)
  /// The graph is quantized to a bit width the generator does not emit yet.
  case unsupportedPrecision(graph: String, bitWidth: String)
  /// No kernel exists for this node's op.
  case unsupportedOp(node: String, op: String)
  /// The planning problem's steps are not the graph's nodes in order.
  case stepMismatch(expected: [String], found: [String])
  /// The plan failed its own validation (overlapping or misaligned buffers).
  case invalidPlan(planner: String, reason: String)
  /// The plan does not place the problem's buffer, or places it with another size.
  case planMismatch(buffer: String, detail: String)
  /// No plan buffer holds this node's output.
  case missingBuffer(node: String)
  /// The buffer holding a node's output is too small for it at some step where it is live.
  case bufferTooSmall(node: String, buffer: String, step: Int, bytes: Int, needed: Int)
  /// The buffer holding a node's output is not live at a step that writes or reads it.
  case bufferNotLive(node: String, buffer: String, step: Int)
  /// The plan runs a node in place although that is unsafe.
  case inPlaceNotAllowed(node: String, reason: String)
  /// The joint plan has no scratch buffer for a kernel that needs one.
  case missingScratch(node: String, kernel: String, bytes: Int)
  /// The plan's scratch buffer is smaller than the kernel needs.
  case scratchTooSmall(node: String, kernel: String, planned: Int, needed: Int)
  /// The node's quantization parameters or weights are invalid.
  case invalidQuantization(node: String, reason: String)
  /// A harness was given data whose size differs from the program's tensors.
  case harnessSizeMismatch(what: String, expected: Int, actual: Int)
  /// An int4 program's harness was given a value outside int4's range.
  case harnessValueOutOfRange(what: String, index: Int, value: Int)

  public var description: String {
    switch self {
    case .invalidName(let name):
      return "program name '\(name)' is not a C identifier; use letters, digits and '_' "
        + "(not starting with a digit), e.g. 'model' or 'mcunet_in0'"
    case .unsupportedPrecision(let graph, let bits):
      return "graph '\(graph)' is quantized to \(bits), which code generation does not emit; "
        + "quantize with bitWidth: .int8 or .int4"
    case .unsupportedOp(let node, let op):
      return "node '\(node)': no C kernel for op '\(op)'; replace the op or add a kernel "
        + "(STYLE.md B9)"
    case .stepMismatch(let expected, let found):
      return "the planning problem's steps \(Self.list(found)) are not the graph's nodes "
        + "\(Self.list(expected)); build it with "
        + "graph.memoryProblem(.tinyEngine(inPlaceDepthwise:)) of the same graph "
        + "(the interpreter model adds PAD steps)"
    case .invalidPlan(let planner, let reason):
      return "the plan of '\(planner)' is invalid: \(reason); plan the problem again with a "
        + "validating planner (OursPlanner, GreedyBySizePlanner)"
    case .planMismatch(let buffer, let detail):
      return "buffer '\(buffer)': \(detail); plan problem.problem (or "
        + "problem.withScratchBuffers) of the GraphMemoryProblem passed to generate"
    case .missingBuffer(let node):
      return "node '\(node)': the plan has no buffer for its output; plan the problem "
        + "graph.memoryProblem(...) of this graph"
    case .bufferTooSmall(let node, let buffer, let step, let bytes, let needed):
      return "node '\(node)': buffer '\(buffer)' keeps \(bytes) bytes at step \(step) but the "
        + "tensor needs \(needed); the problem was built for another graph or precision"
    case .bufferNotLive(let node, let buffer, let step):
      return "node '\(node)': buffer '\(buffer)' is not live at step \(step), where the tensor "
        + "is written or read; rebuild the problem from this graph"
    case .inPlaceNotAllowed(let node, let reason):
      return "node '\(node)' runs in place, but \(reason); build the problem with "
        + ".tinyEngine(inPlaceDepthwise: false)"
    case .missingScratch(let node, let kernel, let bytes):
      return "node '\(node)': kernel \(kernel) needs \(bytes) scratch bytes but the joint plan "
        + "has no '\(node).im2col' buffer; plan problem.withScratchBuffers, or "
        + "problem.problem alone for TinyEngine's [arena | scratch] layout"
    case .scratchTooSmall(let node, let kernel, let planned, let needed):
      return "node '\(node)': the plan reserves \(planned) scratch bytes but kernel \(kernel) "
        + "needs \(needed); plan problem.withKernelScratch(of: graph).withScratchBuffers, which "
        + "reserves what the selected kernels use"
    case .invalidQuantization(let node, let reason):
      return "node '\(node)': \(reason); re-quantize the graph (QuantizedGraph)"
    case .harnessSizeMismatch(let what, let expected, let actual):
      return "the self-check \(what) has \(actual) bytes but the program's tensor has "
        + "\(expected); pass the interpreter's output of this graph for this input"
    case .harnessValueOutOfRange(let what, let index, let value):
      return "the self-check \(what) of an int4 program holds \(value) at index \(index), "
        + "outside -8...7; pass int4 values (IntegerInterpreter.run of the int4 graph), "
        + "not packed bytes or int8 data"
    }
  }

  private static func list(_ names: [String]) -> String {
    let shown = names.prefix(4).joined(separator: ", ")
    return "[" + shown + (names.count > 4 ? ", … (\(names.count))" : "") + "]"
  }
}
