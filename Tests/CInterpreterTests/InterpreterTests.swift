// InterpreterTests.swift
// The C interpreter runtime, in-process: bit-exact with IntegerInterpreter.run (the spec) on
// three tiny graphs that use every op code, in both rounding modes, and on mcunet-in0 at its
// real resolution 48; its run-time plan equals MemoryPlanner's GreedyBySizePlanner offset for
// offset; its persistent tail is exactly the struct sizes ModelBlob assumes.

import CInterpreter
import CodeGen
import MemoryPlanner
import ModelIR
import Quantization
import Testing
import _TestSupport

@Suite struct InterpreterTests {
  /// A quantized graph, its blob, an input and the reference output, and the Swift plan.
  struct Case {
    var q: QuantizedGraph
    var blob: ModelBlob
    var input: [Int8]
    var expected: [Int8]
    var problem: PlanningProblem
    var plan: MemoryPlan

    init(
      _ graph: Graph, seed: UInt64, rounding: RoundingMode = .doubleRounding,
      calibrationImages: Int = 4
    ) throws {
      q = try TestQuantizer.make(
        graph, seed: seed, rounding: rounding, calibrationImages: calibrationImages)
      blob = try ModelBlob(q)
      input = TestQuantizer.input(for: q, seed: seed &+ 1)
      expected = try IntegerInterpreter.run(q, input: input).last ?? []
      problem = graph.memoryProblem(.interpreter(pad: .none)).problem
      plan = try GreedyBySizePlanner().plan(problem)
    }
  }

  @Test(arguments: TestGraphs.tinyNames)
  func tinyGraphMatchesIntegerInterpreterBitExactly(name: String) throws {
    try withEvery("rounding", in: RoundingMode.allCases) { rounding in
      let c = try Case(TestGraphs.named(name), seed: 41, rounding: rounding)
      let runtime = Runtime(blob: c.blob.bytes)
      #expect(runtime.initStatus == MCU_INTERP_OK, "\(runtime.message)")
      let first = runtime.invoke(c.input)
      #expect(first.status == MCU_INTERP_OK, "\(runtime.message)")
      assertBitExact(first.output, c.expected, "\(name) output")
      // The outputs must exercise the requantization, not sit on one clamp value.
      #expect(Set(c.expected).count >= min(4, c.expected.count), "degenerate \(c.expected)")
      // A second image through the same interpreter: nothing leaks between invokes.
      let other = TestQuantizer.input(for: c.q, seed: 97)
      let second = runtime.invoke(other)
      assertBitExact(
        second.output, try IntegerInterpreter.run(c.q, input: other).last ?? [],
        "\(name) second invoke")
    }
  }

  /// The runtime's greedy plan, computed in C at init, is MemoryPlanner's: same head size and
  /// the same offset for every tensor (tensor i is node i, as buffer i of the problem).
  @Test(arguments: TestGraphs.tinyNames)
  func runTimePlanEqualsSwiftGreedyPlanner(name: String) throws {
    let c = try Case(TestGraphs.named(name), seed: 5)
    let runtime = Runtime(blob: c.blob.bytes)
    #expect(runtime.initStatus == MCU_INTERP_OK, "\(runtime.message)")
    #expect(c.problem.buffers.map(\.name) == c.q.graph.nodes.map(\.name))
    #expect(runtime.tensorOffsets == c.plan.offsets)
    #expect(runtime.arenaUsed?.planned == c.plan.arenaBytes)
    #expect(runtime.arenaUsed?.persistent == c.blob.persistentBytes)
    #expect(runtime.required.bytes == c.blob.arenaBytes(plannedBytes: c.plan.arenaBytes))
    #expect(runtime.required.exact)
  }

  /// mcunet-in0 (r = 48) end to end: bit-exact, the plan equals the Swift planner's, and the
  /// memory numbers are pinned (STYLE.md B6.9). TFLM (anchors.md) needs 87040 B of head with
  /// explicit PAD ops and a 76736 B tail, mostly per-channel multipliers and shifts computed at
  /// Prepare; this runtime reads those from the blob (Flash), so its tail is structs only.
  @Test func mcunetIn0MatchesIntegerInterpreterAndSwiftPlan() throws {
    let graph = try TestGraphs.mcunetIn0()
    #expect(graph.input.outputShape.dims == [1, 48, 48, 3])
    let c = try Case(graph, seed: 2020, calibrationImages: 1)
    let runtime = Runtime(blob: c.blob.bytes)
    #expect(runtime.initStatus == MCU_INTERP_OK, "\(runtime.message)")
    let result = runtime.invoke(c.input)
    #expect(result.status == MCU_INTERP_OK, "\(runtime.message)")
    assertBitExact(result.output, c.expected, "mcunet-in0 logits")
    #expect(Set(c.expected).count >= 32, "only \(Set(c.expected).count) distinct logits")
    #expect(runtime.tensorOffsets == c.plan.offsets)
    #expect(runtime.arenaUsed?.planned == c.plan.arenaBytes)
    #expect(runtime.arenaUsed?.persistent == c.blob.persistentBytes)
    // Pinned numbers (bytes). The caller-owned mcu_interpreter object is outside the arena.
    #expect(c.blob.tensorCount == 56 && c.blob.opCount == 55)
    #expect(c.plan.arenaBytes == 46080)  // TFLM with PAD ops: 87040
    #expect(c.blob.persistentBytes == 5312)  // TFLM: 76736
    #expect(c.blob.arenaBytes(plannedBytes: c.plan.arenaBytes) == 51392)  // TFLM: 163776
    #expect(c.blob.bytes.count == 834368)
    #expect(MemoryLayout<mcu_interpreter>.size <= 320)
  }

  /// Each tiny graph's blob, together: every op code of format version 1 occurs.
  @Test func tinyGraphsCoverEveryOpCode() throws {
    var codes = Set<UInt8>()
    for name in TestGraphs.tinyNames {
      let blob = try ModelBlob(TestQuantizer.make(TestGraphs.named(name), seed: 1)).bytes
      let layout = BlobLayout(blob)
      for k in 0..<(blob.u32(at: 12) & 0xFFFF) - 1 { codes.insert(blob[layout.op(k, 0)]) }
    }
    #expect(codes == Set(ModelBlob.OpCode.allCases.map(\.rawValue)))
  }

  /// The Swift writer and the C reader agree on every constant of the format and on the sizes
  /// of the structs the runtime keeps in the arena.
  @Test func formatConstantsAndStructSizesAgreeWithTheCHeader() {
    #expect(Int(MCUB_VERSION) == ModelBlob.version)
    #expect(Int(MCUB_FLAG_INT4) == ModelBlob.int4Flag)
    #expect(Int(MCUB_HEADER_BYTES) == ModelBlob.headerBytes)
    #expect(Int(MCUB_TENSOR_ENTRY_BYTES) == ModelBlob.tensorEntryBytes)
    #expect(Int(MCUB_OP_ENTRY_BYTES) == ModelBlob.opEntryBytes)
    #expect(Int(MCUB_ALIGNMENT) == ModelBlob.alignment)
    #expect(Int(MCUB_NO_TENSOR) == ModelBlob.noTensor)
    #expect(UInt32(MCUB_NO_BIAS) == ModelBlob.noBias)
    #expect(Int(MCUB_MAX_TENSOR_BYTES) == ModelBlob.maxTensorBytes)
    #expect(Int(MCUB_MAX_DEPTH) == ConvParams.maxAccumulationDepth)
    #expect(MemoryLayout<mcu_interp_tensor>.size == ModelBlob.tensorStructBytes)
    #expect(MemoryLayout<mcu_interp_node>.size == ModelBlob.nodeStructBytes)
    let pairs: [(mcub_opcode, ModelBlob.OpCode)] = [
      (MCUB_OP_CONV2D, .conv2d), (MCUB_OP_DEPTHWISE_CONV2D, .depthwiseConv2d),
      (MCUB_OP_POINTWISE_CONV2D, .pointwiseConv2d), (MCUB_OP_FULLY_CONNECTED, .fullyConnected),
      (MCUB_OP_ADD, .add), (MCUB_OP_AVGPOOL, .avgPool), (MCUB_OP_GLOBAL_AVGPOOL, .globalAvgPool),
      (MCUB_OP_MAXPOOL, .maxPool),
    ]
    for (c, swift) in pairs { #expect(UInt8(c.rawValue) == swift.rawValue) }
  }
}
