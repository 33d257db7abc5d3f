// StreamHarnessTests.swift
// The streaming harness (Harness.streamMain + BuiltProgram.runMany): many inputs through one
// process, every output bit-exact to the Swift IntegerInterpreter's, int8 and packed int4; the
// same build also serves run(input:) and benchmark(input:); short records and size errors are
// reported.

import CodeGen
import Foundation
import ModelIR
import Quantization
import Runner
import TensorModule
import Testing
import _TestSupport

@Suite struct StreamHarnessTests {
  /// `count` seeded random inputs for `c`'s graph and the interpreter's output of each.
  func inputsAndExpected(_ c: GeneratedCase, count: Int, seed: UInt64) throws
    -> (inputs: [[Int8]], expected: [[Int8]])
  {
    var rng = SeededGenerator(seed: seed)
    let inputs = (0..<count).map { _ in RandomQuantizedGraph.input(for: c.q, using: &rng) }
    let expected = try inputs.map { try IntegerInterpreter.run(c.q, input: $0).last ?? [] }
    return (inputs, expected)
  }

  @Test func int8StreamMatchesInterpreterForEveryInput() throws {
    let c = try GeneratedCase(TinyGraphs.residual(), seed: 31, trace: false)
    let (inputs, expected) = try inputsAndExpected(c, count: 9, seed: 32)
    let built = try ProgramBuilder().build(c.program, harness: Harness.streamMain(for: c.program))
    defer { built.remove() }
    // Two processes of 4 and one of 1: records are split and numbered across chunks.
    let outputs = try built.runMany(inputs: inputs, maxInputsPerProcess: 4)
    #expect(outputs.count == inputs.count)
    for (i, (output, reference)) in zip(outputs, expected).enumerated() {
      assertBitExact(output, reference, "input \(i)")
    }
    #expect(Set(expected).count > 1, "the inputs must give different outputs")
    #expect(try built.runMany(inputs: []) == [])
    // One record: the I/O main's contract, timing included.
    assertBitExact(try built.run(input: inputs[3]), expected[3], "run(input:)")
    let (output, latency) = try built.benchmark(input: inputs[5], warmup: 1, iterations: 3)
    assertBitExact(output, expected[5], "benchmark(input:)")
    #expect(latency.iterations == 3 && latency.minNanoseconds > 0)
  }

  /// int4: 13×11×3 inputs (429 values, an odd count) pack into 215 bytes per record, so every
  /// record but the first starts after a half-filled byte if records were not packed apart.
  @Test func int4StreamPacksEachRecordAndMatchesInterpreter() throws {
    let c = try GeneratedCase(
      TinyGraphs.int4Every(), seed: 33, inPlace: false, trace: false, bitWidth: .int4)
    let (inputs, expected) = try inputsAndExpected(c, count: 5, seed: 34)
    let built = try ProgramBuilder().build(c.program, harness: Harness.streamMain(for: c.program))
    defer { built.remove() }
    let outputs = try built.runMany(inputs: inputs)
    #expect(outputs.count == inputs.count)
    for (i, (output, reference)) in zip(outputs, expected).enumerated() {
      assertBitExact(output, reference, "int4 input \(i)")
      #expect(output.allSatisfy { (-8...7).contains($0) })
    }
  }

  @Test func shortRecordsAndWrongSizesAreReported() throws {
    let c = try GeneratedCase(TinyGraphs.chain(), seed: 35, trace: false)
    let built = try ProgramBuilder().build(c.program, harness: Harness.streamMain(for: c.program))
    defer { built.remove() }
    let bytes = c.input.map { UInt8(bitPattern: $0) }
    let out = try ProcessRunner().runAllowingFailure(
      built.executable, [], input: bytes + bytes.prefix(10))
    #expect(out.exitCode == 66)
    #expect(out.stderr.contains("record 1: read 10 of \(bytes.count) input bytes"))
    #expect(out.stdout.count == c.expected.count, "the whole first record was answered")
    #expect(throws: CodeGenError.harnessSizeMismatch(what: "input 1", expected: 396, actual: 3)) {
      try built.runMany(inputs: [c.input, [1, 2, 3]])
    }
    // A one-shot I/O main answers only the first record.
    let io = try ProgramBuilder().build(c.program, harness: Harness.ioMain(for: c.program))
    defer { io.remove() }
    do {
      _ = try io.runMany(inputs: [c.input, c.input])
      Issue.record("an I/O main cannot answer two records")
    } catch {
      #expect("\(error)".contains("was the program built with Harness.streamMain?"))
    }
  }
}
