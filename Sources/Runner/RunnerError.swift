// RunnerError.swift
// Errors of external processes (STYLE.md B5.3): every case carries the full command line and
// the captured stderr, so a failure can be reproduced by pasting the command into a shell.

/// Why running an external program failed.
public enum RunnerError: Error, CustomStringConvertible, Equatable {
  /// No executable of this name was found on the search path.
  case executableNotFound(name: String, searchPath: String)
  /// The process could not be started (missing file, no execute permission, …).
  case launchFailed(command: String, reason: String)
  /// The process ran and exited with a non-zero status.
  case nonZeroExit(command: String, exitCode: Int32, stderr: String)
  /// The process was killed by a signal it did not handle.
  case signalled(command: String, signal: Int32, stderr: String)
  /// The process did not finish within the time limit and was killed.
  case timedOut(command: String, seconds: Double, stderr: String)
  /// The C compiler or linker rejected a generated program.
  case compileFailed(command: String, exitCode: Int32, stderr: String)
  /// A self-checking program ran but reported mismatches or an error status.
  case selfCheckFailed(command: String, exitCode: Int32, report: String)
  /// A program's output did not have the expected form.
  case unparsableOutput(command: String, expected: String, output: String)
  /// A file or folder of a build could not be written.
  case fileSystem(path: String, reason: String)

  public var description: String {
    switch self {
    case .executableNotFound(let name, let searchPath):
      return "'\(name)' was not found on PATH (\(searchPath)); install it (for the data tools: "
        + "Scripts/prepare-data.sh installs espeak-ng, sox and flite) or pass its full path."
    case .launchFailed(let command, let reason):
      return "could not start `\(command)`: \(reason)"
    case .nonZeroExit(let command, let exitCode, let stderr):
      return "`\(command)` exited with status \(exitCode)" + RunnerError.tail(stderr)
    case .signalled(let command, let signal, let stderr):
      return "`\(command)` was killed by signal \(signal)" + RunnerError.tail(stderr)
    case .timedOut(let command, let seconds, let stderr):
      return "`\(command)` did not finish within \(seconds) s and was killed"
        + RunnerError.tail(stderr)
    case .compileFailed(let command, let exitCode, let stderr):
      return "compiling failed (status \(exitCode)): `\(command)`" + RunnerError.tail(stderr)
        + "\nIf the error is in generated code, that is a CodeGen bug: report it with the command."
    case .selfCheckFailed(let command, let exitCode, let report):
      return "self-check `\(command)` failed with status \(exitCode)" + RunnerError.tail(report)
    case .unparsableOutput(let command, let expected, let output):
      return "`\(command)` printed no \(expected)" + RunnerError.tail(output)
    case .fileSystem(let path, let reason):
      return "cannot write '\(path)': \(reason); check that the temporary folder is writable "
        + "(TMPDIR)"
    }
  }

  /// The last lines of a tool's stderr, indented, or a note that it printed nothing.
  static func tail(_ stderr: String, maxLines: Int = 20) -> String {
    let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false)
      .map(String.init).filter { !$0.isEmpty }
    if lines.isEmpty { return " (stderr was empty)" }
    let shown = lines.suffix(maxLines).map { "  " + $0 }.joined(separator: "\n")
    return "; stderr:\n" + shown
  }
}
