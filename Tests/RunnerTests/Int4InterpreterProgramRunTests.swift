// Int4InterpreterProgramRunTests.swift
// The interpreter baseline on int4 models as a real process (DESIGN.md §5): InterpreterProgram's
// C for an int4 QuantizedGraph (the runtime built with the _s4 kernels only, the blob with flag
// bit 0, packed tensors and weights) compiled by Runner like the generated code, and checked
// three ways on seeded random graphs with every op: its output equals the Swift
// IntegerInterpreter's (runInt4) and the generated int4 program's bit for bit; its
// self-checking build passes under ASan + UBSan; and a runtime built without the int4 kernels
// refuses the int4 blob with a clear message.

import CodeGen
import Foundation
import ModelIR
import Quantization
import Runner
import TensorModule
import Testing
import _TestSupport

@Suite struct Int4InterpreterProgramRunTests {
  /// Interpreter and generated int4 code (both built with the I/O main) on two images each:
  /// every output equals IntegerInterpreter's int4 output. `int4every` has conv, depthwise,
  /// pointwise, add, avgpool, GAP and linear on odd sizes; `maxpooled` has max pools and a
  /// 5×5 conv; both end mid-byte.
  @Test(arguments: [("int4every", 61), ("maxpooled", 62)] as [(String, UInt64)])
  func int4InterpreterMatchesGeneratedCodeAndReference(graph: String, seed: UInt64) throws {
    let g = graph == "int4every" ? try TinyGraphs.int4Every() : try TinyGraphs.maxPooled()
    let c = try GeneratedCase(g, seed: seed, inPlace: false, trace: false, bitWidth: .int4)
    let program = try InterpreterProgram.make(q: c.q, name: "\(graph)_interp")
    #expect(program.manifest.precision == "int4")
    let built = try ProgramBuilder().build(program, harness: Harness.ioMain(for: program))
    defer { built.remove() }
    let generated = try ProgramBuilder().build(c.program, harness: Harness.ioMain(for: c.program))
    defer { generated.remove() }
    var rng = SeededGenerator(seed: seed &+ 100)
    let second = RandomQuantizedGraph.input(for: c.q, using: &rng)
    for (input, name) in [(c.input, "image 1"), (second, "image 2")] {
      let expected = try IntegerInterpreter.run(c.q, input: input).last ?? []
      let interpreted = try built.run(input: input)
      assertBitExact(interpreted, expected, "\(graph) \(name): interpreter vs IntegerInterpreter")
      assertBitExact(
        interpreted, try generated.run(input: input), "\(graph) \(name): interpreter vs generated")
    }
    let (output, latency) = try built.benchmark(input: c.input, warmup: 1, iterations: 3)
    assertBitExact(output, c.expected, "\(graph) interpreter output after timing")
    #expect(latency.iterations == 3 && latency.minNanoseconds > 0)
  }

  /// The int4 runtime, kernels and blob under AddressSanitizer and UndefinedBehaviorSanitizer
  /// (STYLE.md B6.6), with the self-checking main (packed input and expected output embedded).
  @Test func int4InterpreterProgramIsCleanUnderSanitizers() throws {
    let c = try GeneratedCase(
      TinyGraphs.int4Every(), seed: 63, inPlace: false, trace: false, bitWidth: .int4)
    let program = try InterpreterProgram.make(q: c.q, name: "int4_asan")
    let main = try Harness.selfCheckMain(for: program, input: c.input, expected: c.expected)
    let built = try ProgramBuilder(options: .sanitized).build(program, harness: main)
    defer { built.remove() }
    let out = try built.runSelfCheck()
    #expect(
      out.exitCode == 0 && !out.wasSignalled && out.stdoutText.hasPrefix("OK"),
      "\(out.command) exited \(out.exitCode):\n\(out.stdoutText)\(out.stderr)")
  }

  /// The int4 program's blob, model.c and model.h on a runtime configured for int8 only (the
  /// int8 program's mcu_interpreter_config.h and _s8 kernels): it links without any _s4 kernel
  /// and init refuses the blob, naming the missing kernel family.
  @Test func runtimeBuiltWithoutInt4KernelsRefusesAnInt4Blob() throws {
    let c = try GeneratedCase(
      TinyGraphs.int4Every(), seed: 64, inPlace: false, trace: false, bitWidth: .int4)
    let int4 = try InterpreterProgram.make(q: c.q, name: "mixed")
    var rng = SeededGenerator(seed: 65)
    let int8Graph = try RandomQuantizedGraph.make(TinyGraphs.int4Every(), using: &rng)
    var program = try InterpreterProgram.make(q: int8Graph, name: "mixed")
    for path in [CodeGen.headerPath, CodeGen.sourcePath] {
      let index = try #require(program.files.firstIndex { $0.path == path })
      program.files[index] = try #require(int4.file(path))
    }
    program.files.removeAll { $0.path == Harness.mainPath }
    let config = try #require(program.file("include/mcu_interpreter_config.h")).contents
    #expect(config.contains("#define MCU_INTERP_WITH_S4 0"))
    let main = CFile(
      path: Harness.mainPath,
      contents: """
        #include <stdio.h>

        #include "model.h"

        int main(void) {
          static uint8_t input[MIXED_INPUT_BYTES];
          static uint8_t output[MIXED_OUTPUT_BYTES];
          const mixed_status status = mixed_invoke(input, output);
          printf("status %d: %s\\n", (int)status, mixed_error_message());
          return 0;
        }

        """)
    let built = try ProgramBuilder().build(program, harness: main)
    defer { built.remove() }
    let out = try built.runSelfCheck()
    #expect(out.exitCode == 0, "\(out.stdoutText)\(out.stderr)")
    #expect(
      out.stdoutText.hasPrefix(
        "status 3: int4 model (blob flags 1), but this runtime was built without the int4 "
          + "kernels: set MCU_INTERP_WITH_S4 to 1 in mcu_interpreter_config.h"),
      "\(out.stdoutText)")
  }
}
