// InterpreterProgramRunTests.swift
// The interpreter baseline as a real process (DESIGN.md §5): InterpreterProgram's C (the
// runtime, the generic kernels, the blob as Flash data) built by Runner exactly like the
// generated code (cc -std=c99 -Wall -Wextra -Werror -O2), and checked three ways: its output
// equals the Swift IntegerInterpreter's and the generated program's byte for byte, its
// self-checking build passes (once under ASan + UBSan), and it is timed inside C.

import CodeGen
import Foundation
import ModelIR
import Quantization
import Runner
import TensorModule
import Testing
import _TestSupport

@Suite struct InterpreterProgramRunTests {
  /// Builds `program` with the self-checking main for `c`'s input and reference output and
  /// asserts that it exits 0 and prints OK.
  func expectSelfCheckPasses(
    _ program: CProgram, _ c: GeneratedCase, options: CompileOptions = CompileOptions(),
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let main = try Harness.selfCheckMain(for: program, input: c.input, expected: c.expected)
    let built = try ProgramBuilder(options: options).build(program, harness: main)
    defer { built.remove() }
    let out = try built.runSelfCheck()
    #expect(
      out.exitCode == 0 && !out.wasSignalled && out.stdoutText.hasPrefix("OK"),
      "\(out.command) exited \(out.exitCode):\n\(out.stdoutText)\(out.stderr)",
      sourceLocation: sourceLocation)
  }

  /// Interpreter, generated code and IntegerInterpreter agree on the residual graph; the I/O
  /// harness times the interpreter in C; the blob is read-only data of model.o and the arena
  /// its bss, the runtime and kernels are the other objects.
  @Test func interpreterMatchesGeneratedCodeAndReference() throws {
    let c = try GeneratedCase(TinyGraphs.residual(), seed: 31, trace: false)
    let program = try InterpreterProgram.make(q: c.q, name: "residual_interp")
    let built = try ProgramBuilder().build(program, harness: Harness.ioMain(for: program))
    defer { built.remove() }
    let generated = try ProgramBuilder().build(c.program, harness: Harness.ioMain(for: c.program))
    defer { generated.remove() }
    let interpreted = try built.run(input: c.input)
    assertBitExact(interpreted, c.expected, "interpreter vs IntegerInterpreter")
    assertBitExact(interpreted, try generated.run(input: c.input), "interpreter vs generated")
    let (output, latency) = try built.benchmark(input: c.input, warmup: 1, iterations: 5)
    assertBitExact(output, c.expected, "interpreter output after timing")
    #expect(latency.iterations == 5 && latency.minNanoseconds > 0)
    let blob = try ModelBlob(c.q)
    #expect(built.flash.model.rodata >= blob.bytes.count)
    #expect(built.flash.model.bss >= program.manifest.arenaBytes)
    #expect(built.flash.kernels.text > 0)
  }

  /// Every op code (the chain and corner graphs of the generated-code tests), self-checking.
  @Test(arguments: ["chain", "mbnet"])
  func interpreterProgramSelfChecks(graph: String) throws {
    let g = graph == "chain" ? try TinyGraphs.chain() : try TinyGraphs.mbnet()
    let c = try GeneratedCase(g, seed: 32, trace: false)
    try expectSelfCheckPasses(try InterpreterProgram.make(q: c.q, name: "\(graph)_interp"), c)
  }

  /// The runtime under AddressSanitizer and UndefinedBehaviorSanitizer (STYLE.md B6.6).
  @Test func interpreterProgramIsCleanUnderSanitizers() throws {
    let c = try GeneratedCase(TinyGraphs.residual(), seed: 33, trace: false)
    try expectSelfCheckPasses(
      try InterpreterProgram.make(q: c.q, name: "residual_asan"), c, options: .sanitized)
  }

  /// mcunet-in0 (r = 48): interpreter and generated code, same compiler and flags, same output;
  /// prints both latencies and memory figures. Slow (two large C files).
  @Test(.enabled(if: ProcessInfo.processInfo.environment["MCU_SLOW_TESTS"] == "1"))
  func mcunetIn0InterpreterMatchesGeneratedCode() throws {
    guard let zoo = ModelZoo.model("mcunet-in0") else {
      Issue.record("mcunet-in0 is not in the zoo")
      return
    }
    let c = try GeneratedCase(try zoo.graph(), seed: 48, trace: false)
    let program = try InterpreterProgram.make(q: c.q, name: "mcunet_in0_interp")
    let built = try ProgramBuilder().build(program, harness: Harness.ioMain(for: program))
    defer { built.remove() }
    let generated = try ProgramBuilder().build(c.program, harness: Harness.ioMain(for: c.program))
    defer { generated.remove() }
    let (interpreted, interpreterLatency) = try built.benchmark(
      input: c.input, warmup: 3, iterations: 21)
    let (fromGenerated, generatedLatency) = try generated.benchmark(
      input: c.input, warmup: 3, iterations: 21)
    assertBitExact(interpreted, c.expected, "mcunet-in0 interpreter vs IntegerInterpreter")
    assertBitExact(interpreted, fromGenerated, "mcunet-in0 interpreter vs generated")
    print(
      "mcunet-in0 interpreter: arena \(program.manifest.arenaBytes) B (planned "
        + "\(program.manifest.activationBytes)), flash model \(built.flash.model.flash) B + "
        + "runtime/kernels \(built.flash.kernels.flash) B, median "
        + "\(interpreterLatency.medianMilliseconds) ms; generated: arena "
        + "\(c.program.manifest.arenaBytes) B, median \(generatedLatency.medianMilliseconds) ms")
  }
}
