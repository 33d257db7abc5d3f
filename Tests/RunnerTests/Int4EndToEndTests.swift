// Int4EndToEndTests.swift
// Generate, compile, run and self-check an int4 graph with every op (STYLE.md B6.6): generic
// `*_s4` kernels, packed weights and packed arena buffers, out-of-place depthwise; every layer's
// packed output must equal the Swift IntegerInterpreter's int4 output bit for bit.

import CodeGen
import Kernels
import MemoryPlanner
import ModelIR
import Quantization
import Runner
import Testing

@Suite struct Int4EndToEndTests {
  static let int4Kernels = [
    "mcu_conv2d_s4", "mcu_pointwise_conv2d_s4", "mcu_depthwise_conv2d_s4", "mcu_add_s4",
    "mcu_avgpool_s4", "mcu_global_avgpool_s4", "mcu_fully_connected_per_channel_s4",
  ]

  func expectPassed(_ out: ProcessOutput, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(
      out.exitCode == 0 && !out.wasSignalled,
      "\(out.command) exited \(out.exitCode):\n\(out.stdoutText)\(out.stderr)",
      sourceLocation: sourceLocation)
    #expect(out.stdoutText.hasPrefix("OK"), sourceLocation: sourceLocation)
  }

  /// Every layer traced, under ASan + UBSan; only generic s4 kernels, nothing in place, and
  /// every buffer and weight array sized in packed bytes.
  @Test func everyOpMatchesInterpreterLayerByLayerUnderSanitizers() throws {
    let c = try GeneratedCase(TinyGraphs.int4Every(), seed: 41, inPlace: false, bitWidth: .int4)
    let manifest = c.program.manifest
    #expect(manifest.precision == "int4")
    #expect(Set(manifest.kernels) == Set(Self.int4Kernels))
    #expect(manifest.layers.allSatisfy { !$0.specialized && !$0.inPlace && !$0.biasFolded })
    for (layer, node) in zip(manifest.layers, c.q.graph.nodes.dropFirst()) {
      #expect(layer.outputBytes == (node.outputElements + 1) / 2, "\(layer.node)")
    }
    let int4Plan = try GreedyBySizePlanner().plan(
      c.q.graph.memoryProblem(.tinyEngine(inPlaceDepthwise: false), precision: .int4).problem)
    #expect(manifest.activationBytes == int4Plan.arenaBytes)
    let header = try #require(c.program.file(CodeGen.headerPath)).contents
    #expect(header.contains("#define INT4EVERY_INPUT_BYTES \((13 * 11 * 3 + 1) / 2)"))
    #expect(header.contains("#define INT4EVERY_OUTPUT_BYTES 5"))
    let source = try #require(c.program.file(CodeGen.sourcePath)).contents
    // 3×3×3 weights for each of 7 channels, packed: 189 values in 95 bytes.
    #expect(source.contains("static const uint8_t l1_first_conv_weights[95] = {"))
    #expect(source.contains("static int32_t arena_words[(INT4EVERY_ARENA_BYTES + 3) / 4];"))
    #expect(source.contains("static uint8_t *const arena = (uint8_t *)arena_words;"))
    expectPassed(try c.runSelfCheck(options: .sanitized))
  }

  /// Max pool on packed int4 tensors (odd element counts, so half-filled bytes), traced.
  @Test func maxPoolMatchesInterpreterLayerByLayer() throws {
    let c = try GeneratedCase(
      TinyGraphs.maxPooled(), seed: 43, inPlace: false, bitWidth: .int4)
    #expect(c.program.manifest.kernels.contains("mcu_maxpool_s4"))
    expectPassed(try c.runSelfCheck())
  }

  /// Single rounding, the shipped untraced form, planned with the kernels' scratch: the packed
  /// int4 kernels need none, so the joint problem has no scratch buffer and the arena is the
  /// activations alone.
  @Test func singleRoundingUntracedJointPlanMatchesInterpreter() throws {
    let c = try GeneratedCase(
      TinyGraphs.int4Every(), seed: 42, inPlace: false, joint: true, trace: false,
      bitWidth: .int4, roundingMode: .singleRounding)
    #expect(c.program.manifest.scratchBytes == 0)
    #expect(c.program.manifest.arenaBytes == c.program.manifest.activationBytes)
    expectPassed(try c.runSelfCheck())
  }

  /// A wrong expected int4 value fails with status 1 at its packed byte index.
  @Test func selfCheckReportsTheMismatchedPackedByte() throws {
    let c = try GeneratedCase(
      TinyGraphs.int4Every(), seed: 43, inPlace: false, trace: false, bitWidth: .int4)
    var wrong = c.expected
    wrong[6] = wrong[6] == 0 ? 1 : 0
    let out = try c.runSelfCheck(expected: wrong)
    #expect(out.exitCode == Harness.mismatchExitCode)
    #expect(out.stdoutText.contains("MISMATCH run 1 index 3:"), "\(out.stdoutText)")
    #expect(out.stdoutText.contains("FAIL: 1 of 5 output bytes differ"))
  }

  /// Packed bytes passed where int4 values are expected are refused, naming the array.
  @Test func harnessRejectsValuesOutsideInt4() throws {
    let c = try GeneratedCase(
      TinyGraphs.int4Every(), seed: 44, inPlace: false, trace: false, bitWidth: .int4)
    var input = c.input
    input[5] = 100
    #expect(
      throws: CodeGenError.harnessValueOutOfRange(what: "input_data", index: 5, value: 100)
    ) {
      _ = try Harness.selfCheckMain(for: c.program, input: input, expected: c.expected)
    }
  }
}
