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
  /// Bytes of the planner's arena: activations, plus scratch when it was planned jointly.
  public var activationBytes: Int
  /// Kernel scratch: the region after the activations (`split`), or for `joint` the largest
  /// single need (already inside `activationBytes`).
  public var scratchBytes: Int
  /// `split` (TinyEngine's [arena | scratch]) or `joint` (scratch placed by the planner).
  public var scratchLayout: String
  /// Bytes of the constant (Flash) data: weights, biases, multipliers and shifts.
  public var constantBytes: Int
  /// One entry per executed node, in order.
  public var layers: [ManifestLayer]
  /// Whether the model calls `<name>_trace_layer` after every layer (test builds only).
  public var tracesLayers: Bool

  public init(
    model: String, kind: String, planner: String, arenaBytes: Int, kernels: [String],
    roundingMode: String, precision: String, inputShape: [Int], outputShape: [Int],
    activationBytes: Int? = nil, scratchBytes: Int = 0, scratchLayout: String = "split",
    constantBytes: Int = 0, layers: [ManifestLayer] = [], tracesLayers: Bool = false
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
    self.activationBytes = activationBytes ?? arenaBytes
    self.scratchBytes = scratchBytes
    self.scratchLayout = scratchLayout
    self.constantBytes = constantBytes
    self.layers = layers
    self.tracesLayers = tracesLayers
  }
}

/// One executed node of a generated program: its kernel and where its tensors live.
public struct ManifestLayer: Hashable, Sendable, Codable {
  /// The graph node's name.
  public var node: String
  /// The node's op (`conv2d`, `depthwise`, `pointwise`, `add`, …).
  public var op: String
  /// C symbol of the kernel that runs it.
  public var kernel: String
  /// Whether that kernel is a generated specialization.
  public var specialized: Bool
  /// Whether the kernel takes the folded bias.
  public var biasFolded: Bool
  /// Whether the output overwrites the input (in-place depthwise).
  public var inPlace: Bool
  /// Arena offsets of the inputs.
  public var inputOffsets: [Int]
  /// Arena offset of the output.
  public var outputOffset: Int
  /// Bytes of the output.
  public var outputBytes: Int
  /// Arena offset of the kernel's scratch, if it needs any.
  public var scratchOffset: Int?
  /// Scratch bytes the kernel needs.
  public var scratchBytes: Int

  public init(
    node: String, op: String, kernel: String, specialized: Bool, biasFolded: Bool,
    inPlace: Bool, inputOffsets: [Int], outputOffset: Int, outputBytes: Int,
    scratchOffset: Int?, scratchBytes: Int
  ) {
    self.node = node
    self.op = op
    self.kernel = kernel
    self.specialized = specialized
    self.biasFolded = biasFolded
    self.inPlace = inPlace
    self.inputOffsets = inputOffsets
    self.outputOffset = outputOffset
    self.outputBytes = outputBytes
    self.scratchOffset = scratchOffset
    self.scratchBytes = scratchBytes
  }
}
