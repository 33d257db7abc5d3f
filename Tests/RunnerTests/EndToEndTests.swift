// EndToEndTests.swift
// Generate, compile with cc -Wall -Wextra -Werror, run, self-check (STYLE.md B6.6): the generated
// program's output must equal the Swift IntegerInterpreter's bit for bit, and the test asserts
// the exit status of the self-checking binary (0 = every byte equal).

import CodeGen
import Kernels
import MemoryPlanner
import ModelIR
import Runner
import Testing

@Suite struct EndToEndTests {
  /// Asserts a self-check passed, printing its report otherwise.
  func expectPassed(_ out: ProcessOutput, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(
      out.exitCode == 0 && !out.wasSignalled,
      "\(out.command) exited \(out.exitCode):\n\(out.stdoutText)\(out.stderr)",
      sourceLocation: sourceLocation)
    #expect(out.stdoutText.hasPrefix("OK"), sourceLocation: sourceLocation)
  }

  /// The int16 specializations at their edges, under ASan + UBSan: regular convs with odd
  /// output channels (the one-channel tail) on odd widths (the one-pixel tail), 3×3 and a
  /// strided 5×5, then pointwise and linear with odd cOut and cIn not a multiple of 16.
  @Test func specializedConvTailsMatchInterpreterUnderSanitizers() throws {
    var b = GraphBuilder(name: "convtails")
    var x = try b.addInput(height: 9, width: 7, channels: 5)
    x = try b.add(
      .conv2d(.init(outChannels: 7, kernel: 3, stride: 1, activation: .relu6)), inputs: [x],
      name: "k3")
    x = try b.add(
      .conv2d(.init(outChannels: 3, kernel: 5, stride: 2, activation: .relu)), inputs: [x],
      name: "k5s2")
    x = try b.add(
      .conv2d(.init(outChannels: 5, kernel: 1, stride: 1, activation: .none)), inputs: [x],
      name: "pw")
    try b.add(.linear(LinearAttributes(outFeatures: 3)), inputs: [x], name: "fc")
    let c = try GeneratedCase(b.graph, seed: 21)
    let kernels = c.program.manifest.kernels
    #expect(kernels.contains("mcu_conv2d_s8_k3x3_s1_p1_cin5"))
    #expect(kernels.contains("mcu_conv2d_s8_k5x5_s2_p2_cin7"))
    #expect(kernels.contains("mcu_pwconv_s8_cin3"))
    #expect(kernels.contains { $0.hasPrefix("mcu_fc_s8_cin") })
    expectPassed(try c.runSelfCheck(options: .sanitized))
  }

  @Test func chainWithSpecializedConvAndPoolMatchesInterpreter() throws {
    let c = try GeneratedCase(TinyGraphs.chain(), seed: 11)
    #expect(c.program.manifest.kernels.contains("mcu_conv2d_s8_k5x5_s1_p2_cin8"))
    #expect(c.program.manifest.kernels.contains("mcu_avgpool_s8"))
    expectPassed(try c.runSelfCheck())
  }

  /// Max pool (odd maps, floor division, asymmetric padding) between generic 5×5 and
  /// specialized-or-generic 3×3 convs, layer by layer against the interpreter.
  @Test func maxPoolGraphMatchesInterpreter() throws {
    let c = try GeneratedCase(TinyGraphs.maxPooled(), seed: 14)
    #expect(
      c.q.graph.nodes.map(\.outputShape.dims) == [
        [1, 13, 11, 3], [1, 13, 11, 8], [1, 6, 5, 8], [1, 6, 5, 12], [1, 3, 3, 12], [1, 4],
      ])
    #expect(c.program.manifest.kernels.contains("mcu_maxpool_s8"))
    #expect(c.program.manifest.layers.filter { $0.kernel == "mcu_maxpool_s8" }.count == 2)
    expectPassed(try c.runSelfCheck())
  }

  /// The same graph under ASan + UBSan, generic kernels only, joint scratch plan.
  @Test func maxPoolGraphMatchesInterpreterUnderSanitizers() throws {
    let c = try GeneratedCase(TinyGraphs.maxPooled(), seed: 15, joint: true, specialize: false)
    expectPassed(try c.runSelfCheck(options: .sanitized))
  }

  /// The residual block with a stride-2 in-place depthwise, under ASan + UBSan.
  @Test func residualBlockMatchesInterpreterUnderSanitizers() throws {
    let c = try GeneratedCase(TinyGraphs.residual(), seed: 12)
    #expect(c.program.manifest.kernels.contains("mcu_dwconv_s8_k3x3_s2_inplace"))
    #expect(c.program.manifest.layers.contains { $0.node == "b1.dw" && $0.inPlace })
    expectPassed(try c.runSelfCheck(options: .sanitized))
  }

  /// First conv, every depthwise specialization in place, pointwise with cIn fixed below 16
  /// (one dot product per output), at 16 and 48 (no remainder loop) and at 12 + 24 = 36 (a
  /// multiple-of-16 loop plus a remainder loop), the residual add, GAP, linear.
  @Test func specializedKernelsMatchInterpreter() throws {
    let c = try GeneratedCase(TinyGraphs.mbnet(), seed: 13)
    let kernels = Set(c.program.manifest.kernels)
    for symbol in [
      "mcu_conv2d_s8_k3x3_s2_p1_cin3", "mcu_pwconv_s8_cin8", "mcu_pwconv_s8_cin12",
      "mcu_pwconv_s8_cin16", "mcu_pwconv_s8_cin36",
      "mcu_pwconv_s8_cin24", "mcu_pwconv_s8_cin48", "mcu_fc_s8_cin24", "mcu_resadd_s8",
      "mcu_dwconv_s8_k3x3_s1_inplace",
      "mcu_dwconv_s8_k3x3_s2_inplace", "mcu_dwconv_s8_k5x5_s1_inplace",
      "mcu_dwconv_s8_k5x5_s2_inplace", "mcu_dwconv_s8_k7x7_s1_inplace",
      "mcu_dwconv_s8_k7x7_s2_inplace",
    ] {
      #expect(kernels.contains(symbol), "missing \(symbol)")
    }
    expectPassed(try c.runSelfCheck())
  }

  /// The vectorised depthwise row blocks (and their tails) and split pointwise loops on maps
  /// wider than one block, under ASan + UBSan.
  @Test func wideMapsMatchInterpreterUnderSanitizers() throws {
    let c = try GeneratedCase(TinyGraphs.wide(), seed: 18)
    for symbol in [
      "mcu_dwconv_s8_k3x3_s1_inplace", "mcu_dwconv_s8_k5x5_s2_inplace",
      "mcu_dwconv_s8_k7x7_s1_inplace", "mcu_dwconv_s8_k3x3_s2_inplace", "mcu_pwconv_s8_cin20",
      "mcu_pwconv_s8_cin40",
    ] {
      #expect(c.program.manifest.kernels.contains(symbol), "missing \(symbol)")
    }
    expectPassed(try c.runSelfCheck(options: .sanitized))
  }

  /// The specializations with every pointwise cIn read at run time (`mcu_pwconv_s8`).
  @Test func runTimeChannelPointwiseMatchesInterpreter() throws {
    let c = try GeneratedCase(
      TinyGraphs.mbnet(), seed: 16, kernels: KernelSelectionOptions(pointwiseChannels: []))
    #expect(c.program.manifest.kernels.contains("mcu_pwconv_s8"))
    #expect(!c.program.manifest.kernels.contains { $0.hasPrefix("mcu_pwconv_s8_cin") })
    expectPassed(try c.runSelfCheck())
  }

  /// The same graph with generic kernels only, with single rounding, and out of place.
  @Test(arguments: ["generic", "outOfPlace"])
  func genericKernelsMatchInterpreter(variant: String) throws {
    let c = try GeneratedCase(
      TinyGraphs.mbnet(), seed: 14, inPlace: variant != "outOfPlace",
      specialize: variant != "generic")
    if variant == "generic" {
      #expect(c.program.manifest.kernels.contains("mcu_depthwise_conv2d_s8_inplace"))
    } else {
      #expect(c.program.manifest.kernels.contains("mcu_depthwise_conv2d_s8"))
    }
    #expect(!c.program.manifest.kernels.contains { $0.hasPrefix("mcu_dwconv") })
    expectPassed(try c.runSelfCheck())
  }

  /// Scratch placed by the planner among the activations (one joint plan).
  @Test func jointScratchPlanMatchesInterpreter() throws {
    let c = try GeneratedCase(
      TinyGraphs.mbnet(), seed: 15, joint: true, planner: TinyEngineFirstFitPlanner())
    #expect(c.program.manifest.scratchLayout == "joint")
    #expect(c.program.manifest.arenaBytes == c.program.manifest.activationBytes)
    expectPassed(try c.runSelfCheck())
  }

  /// The shipped form, without layer tracing, checks the final output only.
  @Test func untracedProgramMatchesInterpreter() throws {
    let c = try GeneratedCase(TinyGraphs.mbnet(), seed: 17, trace: false)
    #expect(c.program.file(CodeGen.sourcePath)?.contents.contains("trace_layer") == false)
    expectPassed(try c.runSelfCheck())
  }

  /// A wrong expected layer output must fail with status 1 and name the layer.
  @Test func selfCheckNamesTheFirstWrongLayer() throws {
    var c = try GeneratedCase(TinyGraphs.residual(), seed: 18)
    c.layerOutputs[4][2] = c.layerOutputs[4][2] == 0 ? 1 : 0
    let out = try c.runSelfCheck()
    #expect(out.exitCode == Harness.mismatchExitCode)
    #expect(out.stdoutText.contains("MISMATCH layer 4 (b2.expand) index 2:"))
    #expect(out.stdoutText.contains("FAIL: 1 layer output bytes differ (run 1)"))
  }

  /// A wrong expected output must fail with status 1 and list the mismatched indices.
  @Test func selfCheckReportsMismatchedIndices() throws {
    let c = try GeneratedCase(TinyGraphs.residual(), seed: 16, trace: false)
    var wrong = c.expected
    wrong[3] = wrong[3] == 0 ? 1 : 0
    wrong[7] = wrong[7] == 5 ? 6 : 5
    let out = try c.runSelfCheck(expected: wrong)
    #expect(out.exitCode == Harness.mismatchExitCode)
    #expect(out.stdoutText.contains("MISMATCH run 1 index 3:"))
    #expect(out.stdoutText.contains("MISMATCH run 1 index 7:"))
    #expect(out.stdoutText.contains("FAIL: 2 of 10 output bytes differ"))
  }
}
