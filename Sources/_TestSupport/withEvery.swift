import Testing

/// Runs `body` for every value in `values`, recording which value was active when an
/// expectation failed (swift-collections' `withEvery`, STYLE.md B6.4). Nest calls to sweep a
/// grid; the helpers below put the whole trace, e.g. `k: 5, stride: 2, cIn: 17`, in front of
/// every failure they record.
public func withEvery<S: Sequence>(
  _ label: String, in values: S, _ body: (S.Element) throws -> Void
) rethrows {
  for value in values {
    try Trace.$frames.withValue(Trace.frames + ["\(label): \(value)"]) {
      try body(value)
    }
  }
}

/// The active `withEvery` trace of the current task.
public enum Trace {
  @TaskLocal static var frames: [String] = []

  /// The current trace as `a: 1, b: 2`, or an empty string outside any sweep.
  public static var current: String { frames.joined(separator: ", ") }

  /// `message` prefixed with the current trace, if any.
  public static func annotate(_ message: String) -> String {
    current.isEmpty ? message : "[\(current)] \(message)"
  }
}
