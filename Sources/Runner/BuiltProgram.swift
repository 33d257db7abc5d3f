// BuiltProgram.swift
// A compiled generated program: run it on raw input bytes, time it (the median is measured
// inside the C main with clock_gettime, so process start-up is excluded), run its self-check,
// read its Flash from the object sizes. Not the compiler invocation (ProgramBuilder).

import CodeGen
import Foundation

/// Latency of one invoke, measured inside the program.
public struct Latency: Hashable, Sendable, Codable {
  public var medianNanoseconds: Int
  public var minNanoseconds: Int
  public var maxNanoseconds: Int
  public var iterations: Int

  /// The median in milliseconds.
  public var medianMilliseconds: Double { Double(medianNanoseconds) / 1e6 }

  /// Parses the `latency_ns median=… min=… max=… iterations=…` line of `Harness.ioMain`.
  ///
  /// - Throws: `RunnerError.unparsableOutput` when the line is missing.
  public static func parse(_ text: String, command: String) throws -> Latency {
    for line in text.split(separator: "\n") where line.hasPrefix("latency_ns ") {
      var values: [String: Int] = [:]
      for field in line.split(separator: " ").dropFirst() {
        let pair = field.split(separator: "=", maxSplits: 1)
        if pair.count == 2, let value = Int(pair[1]) { values[String(pair[0])] = value }
      }
      if let median = values["median"], let low = values["min"], let high = values["max"],
        let iterations = values["iterations"]
      {
        return Latency(
          medianNanoseconds: median, minNanoseconds: low, maxNanoseconds: high,
          iterations: iterations)
      }
    }
    throw RunnerError.unparsableOutput(
      command: command, expected: "`latency_ns median=… iterations=…` line", output: text)
  }
}

/// An executable built by `ProgramBuilder` and the measurements of its objects.
public struct BuiltProgram: Sendable {
  /// The program's name (also the executable's file name).
  public var name: String
  public var manifest: Manifest
  /// The build folder (sources, objects, executable); `remove()` deletes it.
  public var directory: String
  public var executable: String
  /// The compile command line, `cd <folder> && cc …`.
  public var compileCommand: String
  /// The link command line.
  public var linkCommand: String
  /// `size -A` of every object except the harness, by object file name.
  public var objectSizes: [String: SectionSizes]
  /// Flash of the model object and the kernel objects.
  public var flash: FlashReport
  public var options: CompileOptions
  public var runner: ProcessRunner

  /// Runs the I/O harness on `input` (written to its stdin) and returns the raw output bytes.
  ///
  /// For an int4 program (`manifest.precision == "int4"`) `input` and the result are int4
  /// VALUES in `-8...7`, one per element, as `Harness.selfCheckMain` takes them; the program
  /// reads and writes them packed two per byte (`Harness.ioBytes` / `ioValues`).
  ///
  /// - Throws: `RunnerError.nonZeroExit` / `.signalled` with the command and stderr (e.g. a
  ///   sanitizer report), or `.unparsableOutput` when the output has the wrong size;
  ///   `CodeGenError.harnessValueOutOfRange` for an int4 input value outside `-8...7`.
  public func run(input: [Int8]) throws -> [Int8] {
    try run(input: input, arguments: []).output
  }

  /// Runs a streaming harness (`Harness.streamMain`) over `inputs` and returns one output per
  /// input, in order: the inputs are written to the program's stdin back to back and its
  /// stdout is split into output records. int4 programs take and return VALUES, as
  /// `run(input:)`; each record is packed on its own.
  ///
  /// At most `maxInputsPerProcess` inputs go through one process (each process has the
  /// builder's time limit), so a large test set costs a few process starts, not one per image.
  ///
  /// - Throws: `CodeGenError.harnessSizeMismatch` naming the first input of the wrong size,
  ///   `.harnessValueOutOfRange` for an int4 value outside `-8...7`, the errors of a failing
  ///   run, or `RunnerError.unparsableOutput` when the output is not one record per input (a
  ///   program built with `Harness.ioMain` answers only the first).
  public func runMany(inputs: [[Int8]], maxInputsPerProcess: Int = 4096) throws -> [[Int8]] {
    precondition(maxInputsPerProcess > 0, "maxInputsPerProcess must be positive")
    let inputElements = manifest.inputShape.reduce(1, *)
    for (i, input) in inputs.enumerated() where input.count != inputElements {
      throw CodeGenError.harnessSizeMismatch(
        what: "input \(i)", expected: inputElements, actual: input.count)
    }
    var outputs: [[Int8]] = []
    outputs.reserveCapacity(inputs.count)
    for start in stride(from: 0, to: inputs.count, by: maxInputsPerProcess) {
      let chunk = inputs[start..<min(start + maxInputsPerProcess, inputs.count)]
      outputs += try runStream(chunk, firstIndex: start)
    }
    return outputs
  }

  /// One process over `inputs` (numbered from `firstIndex` in error messages).
  private func runStream(_ inputs: ArraySlice<[Int8]>, firstIndex: Int) throws -> [[Int8]] {
    var bytes: [UInt8] = []
    for (i, input) in zip(firstIndex..., inputs) {
      bytes += try Harness.ioBytes(input, manifest: manifest, what: "input \(i)")
    }
    let out = try runner.run(executable, [], input: bytes, timeout: options.timeout)
    let elements = manifest.outputShape.reduce(1, *)
    let record = Harness.ioByteCount(elements, manifest: manifest)
    guard out.stdout.count == record * inputs.count else {
      throw RunnerError.unparsableOutput(
        command: out.command,
        expected: "\(inputs.count) output records of \(record) bytes (got \(out.stdout.count) "
          + "bytes; was the program built with Harness.streamMain?)", output: out.stderr)
    }
    return (0..<inputs.count).map { k in
      Harness.ioValues(
        Array(out.stdout[(k * record)..<((k + 1) * record)]), count: elements, manifest: manifest)
    }
  }

  /// Runs `warmup` untimed and `iterations` timed invokes inside the program and returns the
  /// output and the latency it printed (int4 programs: values, as `run(input:)`).
  public func benchmark(input: [Int8], warmup: Int = 3, iterations: Int = 20) throws
    -> (output: [Int8], latency: Latency)
  {
    let result = try run(input: input, arguments: ["--bench", "\(warmup)", "\(iterations)"])
    return (
      result.output, try Latency.parse(result.process.stderr, command: result.process.command)
    )
  }

  /// Runs a self-checking harness and returns its output whatever its exit status (the
  /// caller asserts `exitCode`: 0 passed, `Harness.mismatchExitCode` mismatches).
  public func runSelfCheck() throws -> ProcessOutput {
    try runner.runAllowingFailure(executable, [], timeout: options.timeout)
  }

  /// Runs a self-checking harness and throws `RunnerError.selfCheckFailed`, carrying its
  /// report of mismatched indices, unless it exits with 0.
  public func checkSelf() throws {
    let out = try runSelfCheck()
    guard out.exitCode == 0, !out.wasSignalled else {
      throw RunnerError.selfCheckFailed(
        command: out.command, exitCode: out.exitCode, report: out.stdoutText + out.stderr)
    }
  }

  /// Instructions executed by `function` and everything it calls during one run on `input`,
  /// counted by `valgrind --tool=callgrind --toggle-collect=<function>` (exact and repeatable
  /// on a noisy machine, unlike time). Pass the function that does one inference
  /// (`<name>_invoke`, or `mcu_interp_invoke` to leave the interpreter's one-time set-up out).
  ///
  /// - Throws: `RunnerError.executableNotFound` when valgrind is not installed, the errors of
  ///   a failing run, or `.unparsableOutput` when valgrind prints no `Collected` line.
  public func instructionCount(input: [Int8], function: String) throws -> Int {
    let bytes = try Harness.ioBytes(input, manifest: manifest, what: "input")
    let out = try runner.run(
      "valgrind",
      [
        "--tool=callgrind", "--callgrind-out-file=\(directory)/callgrind.out",
        "--toggle-collect=\(function)", executable,
      ], input: bytes, timeout: options.timeout * 20)
    return try Self.parseCollected(out.stderr, command: out.command)
  }

  /// The count of valgrind's `==pid== Collected : N` line.
  static func parseCollected(_ text: String, command: String) throws -> Int {
    for line in text.split(separator: "\n") {
      guard let range = line.range(of: "Collected :") else { continue }
      let digits = line[range.upperBound...].filter { $0.isNumber }
      if let count = Int(digits) { return count }
    }
    throw RunnerError.unparsableOutput(
      command: command, expected: "valgrind's `Collected : N` line", output: text)
  }

  /// Deletes the build folder.
  public func remove() {
    try? FileManager.default.removeItem(atPath: directory)
  }

  private func run(input: [Int8], arguments: [String]) throws
    -> (output: [Int8], process: ProcessOutput)
  {
    let bytes = try Harness.ioBytes(input, manifest: manifest, what: "input")
    let out = try runner.run(executable, arguments, input: bytes, timeout: options.timeout)
    let elements = manifest.outputShape.reduce(1, *)
    let expected = Harness.ioByteCount(elements, manifest: manifest)
    guard out.stdout.count == expected else {
      throw RunnerError.unparsableOutput(
        command: out.command, expected: "\(expected) output bytes (got \(out.stdout.count))",
        output: out.stderr)
    }
    return (Harness.ioValues(out.stdout, count: elements, manifest: manifest), out)
  }
}
