// TinyGraphs.swift
// The tiny graphs the end-to-end tests compile and run, and the one-call pipeline
// graph -> random QuantizedGraph -> plan -> CodeGen -> cc -> self-checking binary.

import CodeGen
import Kernels
import MemoryPlanner
import ModelIR
import Quantization
import Runner
import TensorModule
import Testing

enum TinyGraphs {
  /// input 11×9×4 → pw 8 relu6 → conv 5×5 s1 (generic) relu6 → dw 3×3 s1 → pw 6 →
  /// avgpool 2×2 s2 → linear 5. Odd sizes; the 5×5 conv and the pool use generic kernels.
  static func chain() throws -> Graph {
    var b = GraphBuilder(name: "chain")
    var x = try b.addInput(height: 11, width: 9, channels: 4)
    x = try b.add(
      .conv2d(.init(outChannels: 8, kernel: 1, stride: 1, activation: .relu6)),
      inputs: [x], name: "expand")
    x = try b.add(
      .conv2d(.init(outChannels: 8, kernel: 5, stride: 1, activation: .relu6)),
      inputs: [x], name: "conv5")
    x = try b.add(
      .depthwiseConv2d(.init(kernel: 3, stride: 1, activation: .relu6)),
      inputs: [x], name: "dw3")
    x = try b.add(
      .conv2d(.init(outChannels: 6, kernel: 1, stride: 1, activation: .none)),
      inputs: [x], name: "project")
    x = try b.add(.avgPool(PoolAttributes(kernel: 2, stride: 2)), inputs: [x], name: "pool")
    try b.add(.linear(LinearAttributes(outFeatures: 5)), inputs: [x], name: "classifier")
    return b.graph
  }

  /// SmallCifar in miniature, odd sizes: input 13×11×3 → conv 5×5 s1 bias relu 8 → maxpool
  /// 2×2 s2 (floor: 6×5) → conv 3×3 s1 relu 12 → maxpool 3×3 s2 padded 1/1/0/1 (3×3) →
  /// linear 4.
  static func maxPooled() throws -> Graph {
    var b = GraphBuilder(name: "maxpooled")
    var x = try b.addInput(height: 13, width: 11, channels: 3)
    x = try b.add(
      .conv2d(
        .init(
          outChannels: 8, kernel: 5, stride: 1, batchNorm: false, bias: true, activation: .relu)),
      inputs: [x], name: "conv1")
    x = try b.add(.maxPool(PoolAttributes(kernel: 2, stride: 2)), inputs: [x], name: "pool1")
    x = try b.add(
      .conv2d(.init(outChannels: 12, kernel: 3, stride: 1, activation: .relu)),
      inputs: [x], name: "conv2")
    x = try b.add(
      .maxPool(
        PoolAttributes(kernel: 3, stride: 2, padding: Padding(top: 1, left: 1, bottom: 0, right: 1))
      ),
      inputs: [x], name: "pool2")
    try b.add(.linear(LinearAttributes(outFeatures: 4)), inputs: [x], name: "classifier")
    return b.graph
  }

  /// input 16×16×8 → MBConv (e3, dw 3×3 stride 2) 8 → 16 → MBConv (e3, dw 5×5 s1) 16 → 16
  /// with a residual add → GAP → linear 10.
  static func residual() throws -> Graph {
    var b = GraphBuilder(name: "residual")
    var x = try b.addInput(height: 16, width: 16, channels: 8)
    x = try mbconv(&b, x, expand: 24, kernel: 3, stride: 2, out: 16, name: "b1")
    let skip = x
    x = try mbconv(&b, x, expand: 48, kernel: 5, stride: 1, out: 16, name: "b2")
    x = try b.add(.add(activation: .none), inputs: [skip, x], name: "b2.add")
    x = try b.add(.globalAvgPool, inputs: [x], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: 10)), inputs: [x], name: "classifier")
    return b.graph
  }

  /// First conv 3×3 s2 on 3 channels, then in-place depthwise of every specialized shape
  /// (k3 s1, k7 s2, k5 s1 with a residual, k3 s2, k5 s2, k7 s1 on a 2×2 map whose padding
  /// exceeds it), pointwise layers, GAP and a linear classifier. Input 25×25 (odd sizes).
  static func mbnet() throws -> Graph {
    var b = GraphBuilder(name: "mbnet")
    var x = try b.addInput(height: 25, width: 25, channels: 3)
    x = try b.add(
      .conv2d(.init(outChannels: 8, kernel: 3, stride: 2, activation: .relu6)),
      inputs: [x], name: "first_conv")
    x = try b.add(
      .depthwiseConv2d(.init(kernel: 3, stride: 1, activation: .relu6)),
      inputs: [x], name: "b0.dw")
    x = try b.add(
      .conv2d(.init(outChannels: 8, kernel: 1, stride: 1, activation: .none)),
      inputs: [x], name: "b0.project")
    x = try mbconv(&b, x, expand: 24, kernel: 7, stride: 2, out: 12, name: "b1")
    let skip = x
    x = try mbconv(&b, x, expand: 36, kernel: 5, stride: 1, out: 12, name: "b2")
    x = try b.add(.add(activation: .none), inputs: [skip, x], name: "b2.add")
    x = try mbconv(&b, x, expand: 36, kernel: 3, stride: 2, out: 16, name: "b3")
    x = try mbconv(&b, x, expand: 48, kernel: 5, stride: 2, out: 16, name: "b4")
    x = try mbconv(&b, x, expand: 48, kernel: 7, stride: 1, out: 24, name: "b5")
    x = try b.add(.globalAvgPool, inputs: [x], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: 10)), inputs: [x], name: "classifier")
    return b.graph
  }

  /// Maps wide enough for the depthwise kernels' 16-column blocks: 35 columns (two blocks and
  /// a tail of 3) for k3 s1 and k5 s2, 18 (one block and a tail of 2) for k7 s1 and k3 s2;
  /// pointwise cIn 8, 20 (16 + 4) and 40 (32 + 8).
  static func wide() throws -> Graph {
    var b = GraphBuilder(name: "wide")
    var x = try b.addInput(height: 70, width: 70, channels: 3)
    x = try b.add(
      .conv2d(.init(outChannels: 8, kernel: 3, stride: 2, activation: .relu6)),
      inputs: [x], name: "first_conv")
    x = try b.add(
      .depthwiseConv2d(.init(kernel: 3, stride: 1, activation: .relu6)),
      inputs: [x], name: "b0.dw")
    x = try mbconv(&b, x, expand: 20, kernel: 5, stride: 2, out: 8, name: "b1")
    let skip = x
    x = try mbconv(&b, x, expand: 40, kernel: 7, stride: 1, out: 8, name: "b2")
    x = try b.add(.add(activation: .none), inputs: [skip, x], name: "b2.add")
    x = try mbconv(&b, x, expand: 20, kernel: 3, stride: 2, out: 8, name: "b3")
    x = try b.add(.globalAvgPool, inputs: [x], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: 5)), inputs: [x], name: "classifier")
    return b.graph
  }

  /// Every op of an int4 model, on odd sizes and channel counts so tensors end mid-byte:
  /// input 13×11×3 → conv 3×3 s2 (7, relu6) → MBConv (e3: pw 21, dw 3×3 s1, pw 7) with a
  /// residual add → dw 5×5 s2 (relu) → avgpool 2×2 s1 → pw 5 → GAP → linear 9.
  static func int4Every() throws -> Graph {
    var b = GraphBuilder(name: "int4every")
    var x = try b.addInput(height: 13, width: 11, channels: 3)
    x = try b.add(
      .conv2d(.init(outChannels: 7, kernel: 3, stride: 2, activation: .relu6)),
      inputs: [x], name: "first_conv")
    let skip = x
    x = try mbconv(&b, x, expand: 21, kernel: 3, stride: 1, out: 7, name: "b1")
    x = try b.add(.add(activation: .none), inputs: [skip, x], name: "b1.add")
    x = try b.add(
      .depthwiseConv2d(.init(kernel: 5, stride: 2, activation: .relu)), inputs: [x],
      name: "dw5")
    x = try b.add(.avgPool(PoolAttributes(kernel: 2, stride: 1)), inputs: [x], name: "pool")
    x = try b.add(
      .conv2d(.init(outChannels: 5, kernel: 1, stride: 1, activation: .none)), inputs: [x],
      name: "project")
    x = try b.add(.globalAvgPool, inputs: [x], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: 9)), inputs: [x], name: "classifier")
    return b.graph
  }

  /// Expand pw (relu6) → depthwise (relu6) → project pw (linear).
  static func mbconv(
    _ b: inout GraphBuilder, _ x: Int, expand: Int, kernel: Int, stride: Int, out: Int,
    name: String
  ) throws -> Int {
    var y = try b.add(
      .conv2d(.init(outChannels: expand, kernel: 1, stride: 1, activation: .relu6)),
      inputs: [x], name: "\(name).expand")
    y = try b.add(
      .depthwiseConv2d(.init(kernel: kernel, stride: stride, activation: .relu6)),
      inputs: [y], name: "\(name).dw")
    return try b.add(
      .conv2d(.init(outChannels: out, kernel: 1, stride: 1, activation: .none)),
      inputs: [y], name: "\(name).project")
  }
}

/// One generated model with its reference data.
struct GeneratedCase {
  var q: QuantizedGraph
  var input: [Int8]
  /// Every node's output from the integer interpreter.
  var layerOutputs: [[Int8]]
  var expected: [Int8]
  var program: CProgram

  /// Quantizes `graph` randomly (`seed`), plans it and generates C; `trace` makes the model
  /// report every layer to the self-checking harness. `bitWidth: .int4` quantizes to int4 and
  /// plans packed buffers (`precision: .int4`); the data are int4 values, which the harness
  /// packs.
  init(
    _ graph: Graph, seed: UInt64, inPlace: Bool = true, joint: Bool = false,
    specialize: Bool = true, kernels: KernelSelectionOptions? = nil, trace: Bool = true,
    planner: any MemoryPlanningAlgorithm = GreedyBySizePlanner(), bitWidth: BitWidth = .int8,
    roundingMode: RoundingMode = .doubleRounding
  ) throws {
    var rng = SeededGenerator(seed: seed)
    q = try RandomQuantizedGraph.make(
      graph, roundingMode: roundingMode, bitWidth: bitWidth, using: &rng)
    input = RandomQuantizedGraph.input(for: q, using: &rng)
    layerOutputs = try IntegerInterpreter.run(q, input: input)
    expected = layerOutputs.last ?? []
    let problem = graph.memoryProblem(
      .tinyEngine(inPlaceDepthwise: inPlace), precision: bitWidth == .int4 ? .int4 : .int8)
    let options = kernels ?? (specialize ? KernelSelectionOptions() : .genericOnly)
    let scratch = problem.withKernelScratch(
      of: graph, precision: bitWidth == .int4 ? .int4 : .int8, options: options)
    let plan = try planner.plan(joint ? scratch.withScratchBuffers : problem.problem)
    program = try CodeGen.generate(
      q, plan: plan, problem: problem,
      options: CodeGenOptions(
        name: graph.name, kernels: options, traceLayers: trace))
  }

  /// Builds the self-checking binary, runs it and returns its output (build folder removed).
  func runSelfCheck(options: CompileOptions = CompileOptions(), expected: [Int8]? = nil)
    throws -> ProcessOutput
  {
    let main = try Harness.selfCheckMain(
      for: program, input: input, expected: expected ?? self.expected, layerOutputs: layerOutputs)
    let built = try ProgramBuilder(options: options).build(program, harness: main)
    defer { built.remove() }
    return try built.runSelfCheck()
  }
}
