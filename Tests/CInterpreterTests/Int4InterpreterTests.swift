// Int4InterpreterTests.swift
// The C interpreter on int4 models (blob flag bit 0), in-process: bit-exact with
// IntegerInterpreter.runInt4 (the spec) on seeded random int4 graphs that together use every
// op code, with odd channel and element counts so packed tensors and weights end mid-byte, in
// both rounding modes; its run-time plan is MemoryPlanner's greedy plan of the PACKED sizes;
// and InterpreterProgram packages an int4 model with the _s4 kernels only, behind the generated
// int4 code's uint8_t API.

import CInterpreter
import CodeGen
import MemoryPlanner
import ModelIR
import Quantization
import Testing
import _TestSupport

@Suite struct Int4InterpreterTests {
  /// An int4 quantized graph, its blob, a packed input and the packed reference output.
  struct Case {
    var q: QuantizedGraph
    var blob: ModelBlob
    var input: PackedInt4
    var expected: PackedInt4

    init(_ graph: Graph, seed: UInt64, rounding: RoundingMode = .doubleRounding) throws {
      q = try TestQuantizer.make(graph, seed: seed, rounding: rounding, bitWidth: .int4)
      blob = try ModelBlob(q)
      input = try PackedInt4(packing: TestQuantizer.input(for: q, seed: seed &+ 1))
      expected = try #require(try IntegerInterpreter.runInt4(q, input: input).last)
    }
  }

  /// The four tiny graphs of the int8 tests quantized to int4, plus `int4every` (every op code
  /// in one graph), over three seeds and both rounding modes; a second image through the same
  /// interpreter checks that nothing leaks between invokes.
  @Test(arguments: TestGraphs.tinyNames + ["int4every"])
  func int4GraphMatchesRunInt4BitExactly(name: String) throws {
    try withEvery("seed", in: [7, 8, 9] as [UInt64]) { seed in
      try withEvery("rounding", in: RoundingMode.allCases) { rounding in
        let c = try Case(TestGraphs.named(name), seed: seed, rounding: rounding)
        #expect(c.blob.bitWidth == .int4)
        let runtime = Runtime(blob: c.blob.bytes)
        #expect(runtime.initStatus == MCU_INTERP_OK, "\(runtime.message)")
        #expect(runtime.isInt4)
        let first = runtime.invoke(packed: c.input.bytes)
        #expect(first.status == MCU_INTERP_OK, "\(runtime.message)")
        assertBitExact(first.output, c.expected.bytes, "\(name) packed output")
        let other = try PackedInt4(packing: TestQuantizer.input(for: c.q, seed: seed &+ 50))
        let second = runtime.invoke(packed: other.bytes)
        let reference = try #require(try IntegerInterpreter.runInt4(c.q, input: other).last)
        assertBitExact(second.output, reference.bytes, "\(name) second invoke")
      }
    }
  }

  /// The outputs exercise the requantization: over the seeds, the int4 logits of every graph
  /// take several values, not one clamp value.
  @Test(arguments: TestGraphs.tinyNames + ["int4every"])
  func int4OutputsAreNotDegenerate(name: String) throws {
    var values = Set<Int8>()
    for seed: UInt64 in [7, 8, 9] {
      values.formUnion(try Case(TestGraphs.named(name), seed: seed).expected.unpacked())
    }
    #expect(values.count >= 4, "\(name): only \(values.sorted())")
  }

  /// Odd sizes really occur: in `int4every`, tensors and weight arrays with an odd number of
  /// elements (a half-used last byte), so the packing edge is exercised.
  @Test func int4EveryHasOddTensorsAndWeights() throws {
    let q = try TestQuantizer.make(TestGraphs.int4Every(), seed: 7, bitWidth: .int4)
    let oddTensors = q.graph.nodes.filter { $0.outputElements % 2 == 1 }.map(\.name)
    let oddWeights = q.layers.enumerated().filter { !$1.weights.isEmpty }
      .filter { $1.weights.count % 2 == 1 }.map { q.graph.nodes[$0.offset].name }
    #expect(oddTensors.count >= 8, "\(oddTensors)")
    #expect(oddWeights.count == 7, "\(oddWeights)")
  }

  /// The plan the runtime computes at init is the Swift greedy plan of the PACKED problem
  /// (`precision: .int4`): same head and offset for every tensor; smaller than the int8 plan.
  @Test(arguments: TestGraphs.tinyNames + ["int4every"])
  func runTimePlanEqualsSwiftGreedyPlannerOnPackedSizes(name: String) throws {
    let c = try Case(TestGraphs.named(name), seed: 5)
    let problem = c.q.graph.memoryProblem(.interpreter(pad: .none), precision: .int4).problem
    let plan = try GreedyBySizePlanner().plan(problem)
    let runtime = Runtime(blob: c.blob.bytes)
    #expect(runtime.initStatus == MCU_INTERP_OK, "\(runtime.message)")
    #expect(
      problem.buffers.map(\.size)
        == c.q.graph.nodes.map { ($0.outputElements + 1) / 2 })
    #expect(runtime.tensorOffsets == plan.offsets)
    #expect(runtime.arenaUsed?.planned == plan.arenaBytes)
    #expect(runtime.arenaUsed?.persistent == c.blob.persistentBytes)
    #expect(runtime.required.bytes == c.blob.arenaBytes(plannedBytes: plan.arenaBytes))
    let int8Plan = try GreedyBySizePlanner().plan(
      c.q.graph.memoryProblem(.interpreter(pad: .none)).problem)
    #expect(plan.arenaBytes < int8Plan.arenaBytes)
    // Exactly the required arena works; one byte less does not.
    let needed = runtime.required.bytes
    #expect(Runtime(blob: c.blob.bytes, arenaBytes: needed).initStatus == MCU_INTERP_OK)
    #expect(
      Runtime(blob: c.blob.bytes, arenaBytes: needed - 1).initStatus
        == MCU_INTERP_ARENA_TOO_SMALL)
  }

  /// InterpreterProgram for an int4 model: the runtime configured for the _s4 kernels only,
  /// exactly those kernel sources, the uint8_t API with packed sizes, the packed plan's arena.
  @Test func int4ProgramHoldsS4KernelsPackedApiAndExactArena() throws {
    let q = try TestQuantizer.make(TestGraphs.int4Every(), seed: 21, bitWidth: .int4)
    let program = try InterpreterProgram.make(q: q, name: "int4_interp")
    let paths = Set(program.files.map(\.path))
    for path in [
      "include/mcu_interpreter.h", "include/mcu_interpreter_config.h", "include/mcu_int4.h",
      "mcu_interpreter.c", "mcu_conv_s4.c", "mcu_fully_connected_s4.c", "mcu_add_s4.c",
      "mcu_avgpool_s4.c", "mcu_maxpool_s4.c",
    ] {
      #expect(paths.contains(path), "missing \(path)")
    }
    #expect(!paths.contains { $0.hasSuffix("_s8.c") }, "\(paths.sorted())")
    #expect(paths.filter { $0 == "include/mcu_interpreter_config.h" }.count == 1)
    let config = try #require(program.file("include/mcu_interpreter_config.h")).contents
    #expect(config.contains("#define MCU_INTERP_WITH_S8 0"))
    #expect(config.contains("#define MCU_INTERP_WITH_S4 1"))
    #expect(program.manifest.precision == "int4")
    #expect(program.manifest.kernels == InterpreterProgram.int4Kernels)
    for (layer, node) in zip(program.manifest.layers, q.graph.nodes.dropFirst()) {
      #expect(layer.outputBytes == (node.outputElements + 1) / 2, "\(layer.node)")
      #expect(layer.kernel.hasSuffix("_s4"), "\(layer.node): \(layer.kernel)")
    }

    let blob = try ModelBlob(q)
    let plan = try GreedyBySizePlanner().plan(
      q.graph.memoryProblem(.interpreter(pad: .none), precision: .int4).problem)
    let arena = blob.arenaBytes(plannedBytes: plan.arenaBytes)
    #expect(program.manifest.arenaBytes == arena)
    #expect(program.manifest.activationBytes == plan.arenaBytes)
    let header = try #require(program.file("include/model.h")).contents
    for line in [
      "#define INT4_INTERP_INPUT_BYTES \((13 * 9 * 3 + 1) / 2)",
      "#define INT4_INTERP_OUTPUT_BYTES 5", "#define INT4_INTERP_ARENA_BYTES \(arena)",
      "int4_interp_status int4_interp_invoke(const uint8_t *input, uint8_t *output);",
    ] {
      #expect(header.contains(line), "model.h lacks \(line)")
    }
    let source = try #require(program.file("model.c")).contents
    #expect(source.contains("int4_interp_status int4_interp_invoke(const uint8_t *input"))
    #expect(Runtime(blob: blob.bytes, arenaBytes: arena).initStatus == MCU_INTERP_OK)
  }
}
