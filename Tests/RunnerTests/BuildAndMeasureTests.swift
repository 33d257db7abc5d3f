// BuildAndMeasureTests.swift
// The I/O harness (raw bytes in, raw bytes out), the latency measured inside C, Flash from
// `size -A`, the compile-error report, and the bit-exact zoo model (mcunet-in0 at its real
// 48×48 resolution, gated behind MCU_SLOW_TESTS=1).

import CodeGen
import Foundation
import MemoryPlanner
import ModelIR
import Quantization
import Runner
import TensorModule
import Testing
import _TestSupport

@Suite struct BuildAndMeasureTests {

  @Test func ioHarnessOutputAndLatencyAndFlash() throws {
    let c = try GeneratedCase(TinyGraphs.residual(), seed: 21, trace: false)
    let built = try ProgramBuilder().build(c.program, harness: Harness.ioMain(for: c.program))
    defer { built.remove() }
    assertBitExact(try built.run(input: c.input), c.expected, "stdout of the I/O harness")
    let path = built.directory + "/input.bin"
    try Data(c.input.map { UInt8(bitPattern: $0) }).write(to: URL(fileURLWithPath: path))
    let fromFile = try ProcessRunner().run(built.executable, [path])
    assertBitExact(fromFile.stdout.map { Int8(bitPattern: $0) }, c.expected, "input from a file")
    let (output, latency) = try built.benchmark(input: c.input, warmup: 2, iterations: 5)
    assertBitExact(output, c.expected, "stdout after timing")
    #expect(latency.iterations == 5)
    #expect(latency.minNanoseconds > 0)
    #expect(latency.minNanoseconds <= latency.medianNanoseconds)
    #expect(latency.medianNanoseconds <= latency.maxNanoseconds)
    // Weights, biases, multipliers and shifts are read-only data of model.o.
    #expect(built.flash.model.rodata >= c.program.manifest.constantBytes)
    #expect(built.flash.model.bss >= c.program.manifest.arenaBytes)
    #expect(built.flash.kernels.text > 0)
    #expect(built.objectSizes["main.o"] == nil)
  }

  @Test func compileErrorsCarryTheCommandAndStderr() throws {
    let c = try GeneratedCase(TinyGraphs.chain(), seed: 22, trace: false)
    let broken = CFile(path: "main.c", contents: "int main(void) { return undefined_name; }\n")
    do {
      _ = try ProgramBuilder().build(c.program, harness: broken)
      Issue.record("a program with an undeclared name compiled")
    } catch let error as RunnerError {
      guard case .compileFailed(let command, _, let stderr) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(command.contains("-Werror") && command.contains("main.c"))
      #expect(stderr.contains("undefined_name"))
      #expect(error.description.contains("compiling failed"))
    }
  }

  @Test func sectionSizesParseSizeDashA() throws {
    let text = """
      model.o  :
      section              size   addr
      .text                 420      0
      .data                   8      0
      .bss                47104      0
      .rodata              9000      0
      .data.rel.ro.local     64      0
      .comment               40      0
      Total               56636
      """
    let sizes = try SectionSizes.parse(sizeOutput: text, command: "size -A model.o")
    #expect(sizes == SectionSizes(text: 420, rodata: 9064, data: 8, bss: 47104))
    #expect(sizes.flash == 9492)
    #expect(throws: RunnerError.self) { try SectionSizes.parse(sizeOutput: "", command: "size") }
  }

  /// mcunet-in0 (r = 48) with seeded random weights: the raw output bytes of the compiled
  /// program equal the interpreter's. Slow (large C file, debug-mode interpreter).
  @Test(.enabled(if: ProcessInfo.processInfo.environment["MCU_SLOW_TESTS"] == "1"))
  func mcunetIn0OutputIsBitExact() throws {
    guard let zoo = ModelZoo.model("mcunet-in0") else {
      Issue.record("mcunet-in0 is not in the zoo")
      return
    }
    var rng = SeededGenerator(seed: 48)
    let q = try RandomQuantizedGraph.make(try zoo.graph(), using: &rng)
    let input = RandomQuantizedGraph.input(for: q, using: &rng)
    let expected = try IntegerInterpreter.run(q, input: input).last ?? []
    let problem = q.graph.memoryProblem(.tinyEngine(inPlaceDepthwise: true))
    let plan = try OursPlanner().plan(problem.problem)
    let program = try CodeGen.generate(
      q, plan: plan, problem: problem, options: CodeGenOptions(name: "mcunet_in0"))
    let built = try ProgramBuilder().build(program, harness: Harness.ioMain(for: program))
    defer { built.remove() }
    let (output, latency) = try built.benchmark(input: input, warmup: 3, iterations: 21)
    assertBitExact(output, expected, "mcunet-in0 output")
    print(
      "mcunet-in0: arena \(program.manifest.arenaBytes) B (activations "
        + "\(program.manifest.activationBytes), scratch \(program.manifest.scratchBytes)), "
        + "flash model \(built.flash.model.flash) B + kernels \(built.flash.kernels.flash) B, "
        + "latency median \(latency.medianMilliseconds) ms")
  }
}
