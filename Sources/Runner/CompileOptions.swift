// CompileOptions.swift
// How generated C is compiled (DESIGN.md §5: the machine's cc, warnings as errors; STYLE.md
// B6.6: one sanitizer build): compiler, optimization level, sanitizers, extra flags, limits.

/// Options of `ProgramBuilder`.
public struct CompileOptions: Hashable, Sendable {
  /// An optimization level flag.
  public enum Optimization: String, Hashable, Sendable, Codable, CaseIterable {
    case o0 = "-O0"
    case o1 = "-O1"
    case o2 = "-O2"
    case o3 = "-O3"
    case os = "-Os"
  }

  /// The C compiler: a name looked up on PATH (`cc`, `gcc`, `clang`) or a path.
  public var compiler: String
  public var optimization: Optimization
  /// Sanitizers for `-fsanitize=` (e.g. `["address", "undefined"]`); empty for none.
  public var sanitizers: [String]
  /// Flags appended to every compile and link command.
  public var extraFlags: [String]
  /// Seconds after which a compile, link or run is killed.
  public var timeout: Double
  /// Keep the build folder when compiling fails (for inspection); removed otherwise.
  public var keepFailedBuilds: Bool

  /// Creates options; the default is `cc -std=c99 -O2 -Wall -Wextra -Werror`.
  public init(
    compiler: String = "cc", optimization: Optimization = .o2, sanitizers: [String] = [],
    extraFlags: [String] = [], timeout: Double = 300, keepFailedBuilds: Bool = false
  ) {
    self.compiler = compiler
    self.optimization = optimization
    self.sanitizers = sanitizers
    self.extraFlags = extraFlags
    self.timeout = timeout
    self.keepFailedBuilds = keepFailedBuilds
  }

  /// AddressSanitizer and UndefinedBehaviorSanitizer, aborting on the first report.
  public static let sanitized = CompileOptions(sanitizers: ["address", "undefined"])

  /// The language and warning flags every build uses.
  public static let strictFlags = ["-std=c99", "-Wall", "-Wextra", "-Werror"]

  /// Flags of the compile and the link step (sanitizers must be on both).
  public var flags: [String] {
    var flags = Self.strictFlags + [optimization.rawValue]
    if !sanitizers.isEmpty {
      flags += [
        "-fsanitize=" + sanitizers.joined(separator: ","), "-fno-sanitize-recover=all",
        "-fno-omit-frame-pointer", "-g",
      ]
    }
    return flags + extraFlags
  }
}
