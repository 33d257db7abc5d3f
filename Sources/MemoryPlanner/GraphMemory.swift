import Kernels
import ModelIR

/// How a graph is executed, which decides its buffers, their lifetimes and their alignment.
///
/// Every model runs one operator at a time in graph order and materialises whole tensors; the
/// models differ in which extra tensors exist and which buffers may be shared.
public enum ExecutionModel: Hashable, Sendable {
  /// TensorFlow Lite Micro: explicit PAD ops (each writing a padded copy of its input) where
  /// the exported graph has them, 16-byte alignment, no in-place ops, reference kernels without
  /// scratch (paper_facts.md §11).
  case interpreter(pad: ExplicitPadding)
  /// TinyEngine: PAD folded into the kernels, sizes rounded up to 4 bytes, depthwise convs in
  /// place (their output overwrites their input; after a stride-2 one only a quarter stays
  /// live), scratch from TinyEngine's kernels (paper_facts.md §10).
  case tinyEngine(inPlaceDepthwise: Bool)
}

/// Which convolutions a TFLite export precedes with an explicit PAD op.
public enum ExplicitPadding: String, Hashable, Sendable, Codable {
  /// Every k > 1 convolution (MIT's exporter with `USE_TORCH_PADDING`): TinyEngine README's
  /// TFLM/CMSIS-NN peak-SRAM figures are arenas of such graphs (anchors.md).
  case everySpatialConv
  /// Only stride-2 k > 1 convolutions, where TensorFlow's SAME padding would differ from
  /// PyTorch's symmetric k/2 (at stride 1 they agree and SAME is used): a Keras rebuild of the
  /// configs. TFLM's planned arena of these graphs is reproduced byte for byte (anchors.md).
  case strideTwoOnly
  /// No PAD ops: the kernels pad internally (the project's own interpreter runtime).
  case none
}

/// A graph's buffers as a planning problem, with the per-step scratch of its kernels.
public struct GraphMemoryProblem: Sendable {
  /// Activation (and input/output) buffers only; scratch is listed per step.
  public var problem: PlanningProblem
  /// The op executed at each step (PAD ops included for the interpreter).
  public var stepNames: [String]
  /// Scratch of the kernel run at each step.
  public var scratch: [ScratchBytes]

  /// The same problem with each step's scratch as buffers live only at that step, so a
  /// planner can place scratch and activations jointly (`im2col` and `kernel` separately).
  public var withScratchBuffers: PlanningProblem {
    var p = problem
    for (step, s) in scratch.enumerated() {
      for (part, bytes) in [("im2col", s.im2col), ("kernel", s.kernel)] where bytes > 0 {
        p.buffers.append(
          BufferRequest(
            name: "\(stepNames[step]).\(part)", size: bytes, firstStep: step, lastStep: step,
            kind: .scratch))
      }
    }
    return p
  }

  /// Largest `im2col` and `kernel` scratch of any step (TinyEngine reserves both on top).
  public var maxScratch: ScratchBytes {
    ScratchBytes(
      im2col: scratch.map(\.im2col).max() ?? 0, kernel: scratch.map(\.kernel).max() ?? 0)
  }
}

extension Graph {
  /// The buffers of this graph under `model`, activations at `precision`.
  public func memoryProblem(_ model: ExecutionModel, precision: Precision = .int8)
    -> GraphMemoryProblem
  {
    var ops: [VirtualOp] = []
    var tensors: [VirtualTensor] = [
      VirtualTensor(name: nodes[0].name, bytes: precision.bytes(nodes[0].outputElements))
    ]
    // tensorOf[node] = the tensor holding that node's output.
    var tensorOf = [0]
    let consumers = self.consumers
    let library: KernelLibrary
    let inPlace: Bool
    switch model {
    case .interpreter:
      library = .tflmReference
      inPlace = false
    case .tinyEngine(let p):
      library = .tinyEngine
      inPlace = p
    }

    for (i, node) in nodes.enumerated().dropFirst() {
      var inputs = node.inputs.map { tensorOf[$0] }
      if case .interpreter(let policy) = model, let pad = explicitPadding(of: node.op, policy),
        !pad.isZero
      {
        // TFLite's PAD op writes a padded copy [1, H + pt + pb, W + pl + pr, C].
        let s = nodes[node.inputs[0]].outputShape
        let padded = (s[1] + pad.top + pad.bottom) * (s[2] + pad.left + pad.right) * s[3]
        tensors.append(VirtualTensor(name: "\(node.name).pad", bytes: precision.bytes(padded)))
        ops.append(
          VirtualOp(
            name: "\(node.name).pad", inputs: inputs, output: tensors.count - 1, scratch: .none,
            inPlaceOf: nil, stride2: false))
        inputs = [tensors.count - 1]
      }
      tensors.append(VirtualTensor(name: node.name, bytes: precision.bytes(node.outputElements)))
      var inPlaceOf: Int?
      var stride2 = false
      if inPlace, case .depthwiseConv2d(let a) = node.op, consumers[node.inputs[0]] == [i],
        node.inputs[0] != 0
      {
        inPlaceOf = inputs[0]
        stride2 = a.stride == 2
      }
      ops.append(
        VirtualOp(
          name: node.name, inputs: inputs, output: tensors.count - 1,
          scratch: scratch(ofNode: i, library: library, inPlaceDepthwise: inPlace),
          inPlaceOf: inPlaceOf, stride2: stride2))
      tensorOf.append(tensors.count - 1)
    }
    let alignment: Int
    switch model {
    case .interpreter: alignment = 16
    case .tinyEngine: alignment = 4
    }
    return makeProblem(ops: ops, tensors: tensors, alignment: alignment)
  }

  /// The padding TFLite executes as a separate PAD op under `policy`, or nil.
  func explicitPadding(of op: Op, _ policy: ExplicitPadding) -> Padding? {
    let (k, stride, padding): (Int, Int, Padding)
    switch op {
    case .conv2d(let a): (k, stride, padding) = (max(a.kernelH, a.kernelW), a.stride, a.padding)
    case .depthwiseConv2d(let a):
      (k, stride, padding) = (max(a.kernelH, a.kernelW), a.stride, a.padding)
    default: return nil
    }
    guard k > 1, !padding.isZero else { return nil }
    switch policy {
    case .everySpatialConv: return padding
    case .strideTwoOnly: return stride == 2 ? padding : nil
    case .none: return nil
    }
  }
}

/// A tensor of the executed sequence (graph tensors plus PAD copies).
private struct VirtualTensor {
  var name: String
  var bytes: Int
}

/// One executed op; `inPlaceOf` names the input tensor whose buffer the output reuses.
private struct VirtualOp {
  var name: String
  var inputs: [Int]
  var output: Int
  var scratch: ScratchBytes
  var inPlaceOf: Int?
  var stride2: Bool
}

private func makeProblem(ops: [VirtualOp], tensors: [VirtualTensor], alignment: Int)
  -> GraphMemoryProblem
{
  // Lifetimes: produced at its op's step (the graph input at step 0), live through its last
  // reader; the graph output stays live to the last step.
  var first = Array(repeating: 0, count: tensors.count)
  var last = Array(repeating: 0, count: tensors.count)
  for (step, op) in ops.enumerated() {
    first[op.output] = step
    last[op.output] = max(last[op.output], step)
    for t in op.inputs { last[t] = max(last[t], step) }
  }
  last[ops[ops.count - 1].output] = ops.count - 1

  // In-place ops: the output shares the input's buffer (union-find to the root buffer).
  var owner = Array(tensors.indices)
  func root(_ t: Int) -> Int {
    var t = t
    while owner[t] != t { t = owner[t] }
    return t
  }
  var shrinkAfter: [Int: (step: Int, bytes: Int)] = [:]
  for (step, op) in ops.enumerated() {
    guard let source = op.inPlaceOf else { continue }
    let r = root(source)
    owner[op.output] = r
    if op.stride2 {
      // TinyEngine keeps ceil(size/4) live after a stride-2 in-place depthwise; we keep the
      // actual output size (which is larger than a quarter for odd input sizes).
      shrinkAfter[r] = (step, tensors[op.output].bytes)
    }
  }
  var buffers: [BufferRequest] = []
  for t in tensors.indices where root(t) == t {
    let members = tensors.indices.filter { root($0) == t }
    let lastStep = members.map { last[$0] }.max() ?? last[t]
    let size = members.map { tensors[$0].bytes }.max() ?? tensors[t].bytes
    var request = BufferRequest(
      name: tensors[t].name, size: size, firstStep: first[t], lastStep: lastStep,
      kind: t == 0 ? .input : (members.contains(ops[ops.count - 1].output) ? .output : .activation))
    if let s = shrinkAfter[t], s.step < lastStep {
      request.shrink = BufferRequest.Shrink(afterStep: s.step, size: s.bytes)
    }
    buffers.append(request)
  }
  return GraphMemoryProblem(
    problem: PlanningProblem(buffers: buffers, alignment: alignment, stepCount: ops.count),
    stepNames: ops.map(\.name), scratch: ops.map(\.scratch))
}
