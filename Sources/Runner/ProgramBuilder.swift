// ProgramBuilder.swift
// Writes a generated `CProgram` and its harness `main.c` into a fresh temporary folder, compiles
// every source to an object with the machine's C compiler (warnings are errors), links the
// executable and measures the objects with `size -A` (DESIGN.md §5: real compiler, real process).
// Not the code generator (CodeGen) and not the measurement of latency (BuiltProgram).

import CodeGen
import Foundation

/// Compiles generated programs.
///
/// ```swift
/// let program = try CodeGen.generate(q, plan: plan, problem: problem)
/// let built = try ProgramBuilder().build(program, harness: Harness.ioMain(for: program))
/// defer { built.remove() }
/// let output = try built.run(input: image)
/// ```
public struct ProgramBuilder: Sendable {
  public var options: CompileOptions
  /// Runs the compiler, `size` and the programs.
  public var runner: ProcessRunner

  /// Creates a builder.
  public init(options: CompileOptions = CompileOptions(), runner: ProcessRunner = ProcessRunner()) {
    self.options = options
    self.runner = runner
  }

  /// Builds `program` with `harness` as its `main.c`.
  ///
  /// Steps: write the files; `cc <flags> -Iinclude -c <every .c>` in the folder; link
  /// `cc <flags> -o <name> <objects>`; `size -A` of every object except `main.o`.
  ///
  /// - Throws: `RunnerError.compileFailed` with the full command and the compiler's stderr
  ///   (the folder is kept when `options.keepFailedBuilds`), `RunnerError.fileSystem`, or the
  ///   errors of `ProcessRunner`.
  public func build(_ program: CProgram, harness: CFile) throws -> BuiltProgram {
    let directory = try Self.makeTemporaryDirectory()
    do {
      return try build(program, harness: harness, in: directory)
    } catch {
      if !options.keepFailedBuilds { try? FileManager.default.removeItem(atPath: directory) }
      throw error
    }
  }

  private func build(_ program: CProgram, harness: CFile, in directory: String) throws
    -> BuiltProgram
  {
    let files = program.files.filter { $0.path != harness.path } + [harness]
    for file in files { try Self.write(file, into: directory) }
    let sources = files.map(\.path).filter { $0.hasSuffix(".c") }
    let objects = sources.map { Self.objectName($0) }
    let dirRunner = ProcessRunner(
      environment: runner.environment, workingDirectory: directory)
    let compile = try compiler(
      dirRunner, options.flags + ["-Iinclude", "-c"] + sources)
    let executable = program.name
    let link = try compiler(dirRunner, options.flags + ["-o", executable] + objects)
    var sizes: [String: SectionSizes] = [:]
    for object in objects where object != Self.objectName(harness.path) {
      let out = try dirRunner.run("size", ["-A", object], timeout: options.timeout)
      sizes[object] = try SectionSizes.parse(sizeOutput: out.stdoutText, command: out.command)
    }
    let modelObject = Self.objectName(CodeGen.sourcePath)
    let kernels = sizes.filter { $0.key != modelObject }.values.reduce(SectionSizes(), +)
    return BuiltProgram(
      name: program.name, manifest: program.manifest, directory: directory,
      executable: directory + "/" + executable, compileCommand: compile, linkCommand: link,
      objectSizes: sizes,
      flash: FlashReport(model: sizes[modelObject] ?? SectionSizes(), kernels: kernels),
      options: options, runner: runner)
  }

  /// Runs the compiler; a non-zero exit becomes `RunnerError.compileFailed`. Returns the
  /// command line.
  private func compiler(_ dirRunner: ProcessRunner, _ arguments: [String]) throws -> String {
    let out = try dirRunner.runAllowingFailure(
      options.compiler, arguments, timeout: options.timeout)
    let command = "cd \(dirRunner.workingDirectory ?? ".") && " + out.command
    guard out.exitCode == 0, !out.wasSignalled else {
      throw RunnerError.compileFailed(command: command, exitCode: out.exitCode, stderr: out.stderr)
    }
    return command
  }

  /// `a/b.c` → `b.o` (the compiler's `-c` output name in the working folder).
  static func objectName(_ source: String) -> String {
    let base = source.split(separator: "/").last.map(String.init) ?? source
    return String(base.dropLast(2)) + ".o"
  }

  // MARK: - Files

  static func makeTemporaryDirectory() throws -> String {
    let base = NSTemporaryDirectory()
    let template = (base.hasSuffix("/") ? base : base + "/") + "mcu-codegen-XXXXXX"
    var bytes = Array(template.utf8CString)
    let made = bytes.withUnsafeMutableBufferPointer { buffer -> Bool in
      guard let start = buffer.baseAddress else { return false }
      return mkdtemp(start) != nil
    }
    guard made else {
      throw RunnerError.fileSystem(path: template, reason: String(cString: strerror(errno)))
    }
    // mkdtemp replaced the Xs in place; drop the terminating NUL.
    return String(decoding: bytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  static func write(_ file: CFile, into directory: String) throws {
    let path = directory + "/" + file.path
    let folder = (path as NSString).deletingLastPathComponent
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      try file.contents.write(toFile: path, atomically: false, encoding: .utf8)
    } catch {
      throw RunnerError.fileSystem(path: path, reason: "\(error)")
    }
  }
}
