/// A generated C program held in memory: its files and a versioned manifest. Generation is a
/// pure function returning one of these; `Runner` writes it to disk, compiles and runs it
/// (STYLE.md B1: "CodeGen returns files in memory").
public struct CProgram: Hashable, Sendable {
  /// The program's name, a valid C identifier (used for the entry point `<name>_invoke`).
  public var name: String
  /// Files in a stable order (relative paths such as `model.c`, `include/model.h`).
  public var files: [CFile]
  public var manifest: Manifest

  public init(name: String, files: [CFile], manifest: Manifest) {
    self.name = name
    self.files = files
    self.manifest = manifest
  }

  /// The file at `path`, if present.
  public func file(_ path: String) -> CFile? { files.first { $0.path == path } }

  /// The C sources to compile (every `.c` file).
  public var sources: [String] { files.map(\.path).filter { $0.hasSuffix(".c") } }
}

/// One file of a `CProgram`.
public struct CFile: Hashable, Sendable {
  public var path: String
  public var contents: String

  public init(path: String, contents: String) {
    self.path = path
    self.contents = contents
  }
}

/// `manifest.json` of a generated program, in the spirit of microTVM's Model Library Format
/// metadata: what was generated, from what, with which planner and arithmetic.
public struct Manifest: Hashable, Sendable, Codable {
  /// Bumped whenever the generated layout or the manifest's meaning changes.
  public static let currentVersion = 1

  public var version: Int
  public var model: String
  /// `generated` (TinyEngine-style code) or `interpreter` (the runtime baseline).
  public var kind: String
  /// Memory planner that placed the arena.
  public var planner: String
  public var arenaBytes: Int
  /// C symbols of the kernels the program calls, in first-use order.
  public var kernels: [String]
  /// `doubleRounding` or `singleRounding`.
  public var roundingMode: String
  /// `int8` or `int4`.
  public var precision: String
  public var inputShape: [Int]
  public var outputShape: [Int]

  public init(
    model: String, kind: String, planner: String, arenaBytes: Int, kernels: [String],
    roundingMode: String, precision: String, inputShape: [Int], outputShape: [Int]
  ) {
    self.version = Self.currentVersion
    self.model = model
    self.kind = kind
    self.planner = planner
    self.arenaBytes = arenaBytes
    self.kernels = kernels
    self.roundingMode = roundingMode
    self.precision = precision
    self.inputShape = inputShape
    self.outputShape = outputShape
  }
}
