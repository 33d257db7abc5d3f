// ProcessRunner.swift
// Runs one external program with arguments (no shell), captures stdout and stderr, enforces an
// optional time limit, and turns failures into RunnerError values that name the whole command.
// Not a shell: no globbing, pipes or redirections; pass every argument separately.

import Foundation

/// What a finished process left behind.
public struct ProcessOutput: Sendable, Equatable {
  /// The full command line, shell-quoted (for logs and error messages).
  public var command: String
  /// The exit status (`0` is success). For a process killed by a signal, the signal number.
  public var exitCode: Int32
  /// Whether the process was terminated by a signal rather than exiting.
  public var wasSignalled: Bool
  /// Everything the process wrote to standard output.
  public var stdout: [UInt8]
  /// Everything the process wrote to standard error, decoded as UTF-8 (lossy).
  public var stderr: String
  /// Wall-clock seconds from launch to exit.
  public var seconds: Double

  /// Standard output decoded as UTF-8 (lossy).
  public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs external programs. A value type: configuration travels in the struct, and each call is
/// independent, so one runner may be used from several threads at once.
///
/// ```swift
/// let runner = ProcessRunner()
/// let out = try runner.run("/usr/bin/sox", ["in.wav", "-r", "16000", "out.wav"], timeout: 30)
/// ```
public struct ProcessRunner: Sendable {
  /// Extra environment variables, added to (and overriding) the inherited environment.
  public var environment: [String: String]
  /// Working directory of the child; nil keeps the caller's.
  public var workingDirectory: String?

  /// Creates a runner that inherits the environment, adding `environment`.
  public init(environment: [String: String] = [:], workingDirectory: String? = nil) {
    self.environment = environment
    self.workingDirectory = workingDirectory
  }

  /// Runs `executable` with `arguments` and returns its output; throws unless it exits with 0.
  ///
  /// - Parameters:
  ///   - executable: a path, or a bare name looked up on `PATH` (`findExecutable`).
  ///   - arguments: passed verbatim, without a shell.
  ///   - input: bytes written to the child's standard input (it sees end-of-file after them).
  ///   - timeout: seconds after which the child is killed (SIGTERM, then SIGKILL) and
  ///     `RunnerError.timedOut` is thrown; nil waits forever.
  public func run(
    _ executable: String, _ arguments: [String], input: [UInt8] = [], timeout: Double? = nil
  ) throws -> ProcessOutput {
    let output = try runAllowingFailure(executable, arguments, input: input, timeout: timeout)
    if output.wasSignalled {
      throw RunnerError.signalled(
        command: output.command, signal: output.exitCode, stderr: output.stderr)
    }
    if output.exitCode != 0 {
      throw RunnerError.nonZeroExit(
        command: output.command, exitCode: output.exitCode, stderr: output.stderr)
    }
    return output
  }

  /// Runs a program and returns its output whatever its exit status; throws only when it
  /// cannot be started or exceeds `timeout`.
  public func runAllowingFailure(
    _ executable: String, _ arguments: [String], input: [UInt8] = [], timeout: Double? = nil
  ) throws -> ProcessOutput {
    let path = try resolve(executable)
    let command = ProcessRunner.commandLine(path, arguments)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    if let workingDirectory {
      process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
    }
    let pipes = (out: Pipe(), err: Pipe(), in: Pipe())
    process.standardOutput = pipes.out
    process.standardError = pipes.err
    process.standardInput = pipes.in
    let exited = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in exited.signal() }
    let start = DispatchTime.now()
    do {
      try process.run()
    } catch {
      throw RunnerError.launchFailed(command: command, reason: "\(error)")
    }
    let readers = OutputReaders(out: pipes.out, err: pipes.err)
    feed(input, to: pipes.in)
    let finished = waitForExit(process, exited: exited, timeout: timeout)
    let (out, err) = readers.collect(waitSeconds: finished ? nil : 2)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    let stderr = String(decoding: err, as: UTF8.self)
    if !finished {
      throw RunnerError.timedOut(command: command, seconds: timeout ?? 0, stderr: stderr)
    }
    return ProcessOutput(
      command: command, exitCode: process.terminationStatus,
      wasSignalled: process.terminationReason == .uncaughtSignal,
      stdout: out, stderr: stderr, seconds: seconds)
  }

  /// Resolves a bare program name on `PATH`; paths containing `/` are returned unchanged.
  private func resolve(_ executable: String) throws -> String {
    if executable.contains("/") { return executable }
    let searchPath = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? ""
    guard let found = ProcessRunner.findExecutable(executable, searchPath: searchPath) else {
      throw RunnerError.executableNotFound(name: executable, searchPath: searchPath)
    }
    return found
  }

  /// Writes `input` to the child's stdin on a background queue, then closes it.
  private func feed(_ input: [UInt8], to pipe: Pipe) {
    let handle = pipe.fileHandleForWriting
    if input.isEmpty {
      try? handle.close()
      return
    }
    let data = Data(input)
    DispatchQueue.global().async {
      // A child that exits without reading raises EPIPE here; its status tells the story.
      try? handle.write(contentsOf: data)
      try? handle.close()
    }
  }

  /// Waits for the child; on timeout sends SIGTERM, then SIGKILL after one second.
  private func waitForExit(
    _ process: Process, exited: DispatchSemaphore, timeout: Double?
  ) -> Bool {
    guard let timeout else {
      exited.wait()
      return true
    }
    if exited.wait(timeout: .now() + timeout) == .success { return true }
    process.terminate()
    if exited.wait(timeout: .now() + 1) == .timedOut {
      kill(process.processIdentifier, SIGKILL)
      exited.wait()
    }
    return false
  }

  // MARK: - PATH lookup and quoting

  /// The first executable file named `name` in the colon-separated `searchPath`
  /// (default: this process's `PATH`), or nil.
  public static func findExecutable(_ name: String, searchPath: String? = nil) -> String? {
    if name.contains("/") { return isExecutableFile(name) ? name : nil }
    let path = searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") where !directory.isEmpty {
      let candidate = directory.hasSuffix("/") ? "\(directory)\(name)" : "\(directory)/\(name)"
      if isExecutableFile(candidate) { return candidate }
    }
    return nil
  }

  private static func isExecutableFile(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    return exists && !isDirectory.boolValue && access(path, X_OK) == 0
  }

  /// The command line as a POSIX shell would need it typed: arguments with spaces, quotes or
  /// other special characters are single-quoted.
  public static func commandLine(_ executable: String, _ arguments: [String]) -> String {
    ([executable] + arguments).map(shellQuoted).joined(separator: " ")
  }

  static func shellQuoted(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=+:,%@")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}

/// Drains a child's stdout and stderr on two background threads, so that neither pipe can fill
/// up and block the child while the parent waits for it.
private final class OutputReaders: @unchecked Sendable {
  private let lock = NSLock()
  private var out: [UInt8] = []
  private var err: [UInt8] = []
  private let group = DispatchGroup()
  private let handles: (FileHandle, FileHandle)

  init(out: Pipe, err: Pipe) {
    handles = (out.fileHandleForReading, err.fileHandleForReading)
    drain(handles.0) { bytes in self.out = bytes }
    drain(handles.1) { bytes in self.err = bytes }
  }

  private func drain(_ handle: FileHandle, store: @escaping @Sendable ([UInt8]) -> Void) {
    group.enter()
    DispatchQueue.global().async {
      let data = (try? handle.readToEnd()) ?? Data()
      self.lock.lock()
      store([UInt8](data))
      self.lock.unlock()
      self.group.leave()
    }
  }

  /// The captured bytes. After a timeout a grandchild may still hold the pipes open, so the
  /// wait is bounded and whatever arrived is returned.
  func collect(waitSeconds: Double?) -> ([UInt8], [UInt8]) {
    if let waitSeconds {
      _ = group.wait(timeout: .now() + waitSeconds)
    } else {
      group.wait()
    }
    lock.lock()
    defer { lock.unlock() }
    return (out, err)
  }
}
