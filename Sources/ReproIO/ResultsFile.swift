// ResultsFile.swift
// The in-memory form of one experiment's HDF5 results file (DESIGN.md §4): root provenance
// attributes, the results table, plotted curves and deployed models. I/O is in ResultsFile+HDF5.

/// A scalar or 1-D attribute value, stored as an HDF5 attribute.
public enum AttributeValue: Equatable, Sendable, ExpressibleByStringLiteral,
  ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral
{
  /// Variable-length UTF-8 string (h5py reads it as `str`).
  case string(String)
  /// int64 scalar.
  case int(Int64)
  /// float64 scalar.
  case double(Double)
  /// 1-D int64 array.
  case ints([Int64])
  /// 1-D float64 array.
  case doubles([Double])

  /// A string attribute from a literal.
  public init(stringLiteral value: String) { self = .string(value) }
  /// An integer attribute from a literal.
  public init(integerLiteral value: Int64) { self = .int(value) }
  /// A float attribute from a literal.
  public init(floatLiteral value: Double) { self = .double(value) }

  /// The string, if this is a string attribute.
  public var string: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  /// The integer, if this is an integer attribute.
  public var int: Int64? {
    if case .int(let value) = self { return value }
    return nil
  }

  /// The number, if this is a float or integer attribute.
  public var double: Double? {
    switch self {
    case .double(let value): return value
    case .int(let value): return Double(value)
    default: return nil
    }
  }
}

extension AttributeValue {
  /// The values as a one-element column (scalars) or the array itself, and whether the HDF5
  /// attribute is a scalar.
  var storage: (values: ColumnValues, scalar: Bool) {
    switch self {
    case .string(let s): return (.strings([s]), true)
    case .int(let i): return (.ints([i]), true)
    case .double(let d): return (.doubles([d]), true)
    case .ints(let array): return (.ints(array), false)
    case .doubles(let array): return (.doubles(array), false)
    }
  }
}

/// A plotted curve: `y` over `x`, optionally with a min/max band (over seeds, say).
public struct Curve: Equatable, Sendable {
  /// Curve name; also its HDF5 group name under `/curves`.
  public var name: String
  /// Abscissae.
  public var x: [Double]
  /// Ordinates, one per `x`.
  public var y: [Double]
  /// Lower edge of the band, one per `x`, or nil.
  public var yMin: [Double]?
  /// Upper edge of the band, one per `x`, or nil.
  public var yMax: [Double]?
  /// Attributes of the curve group (axis labels, units, which series it belongs to …).
  public var attributes: [String: AttributeValue]

  /// A curve; the band arrays, when given, must have the length of `x`.
  public init(
    name: String, x: [Double], y: [Double], yMin: [Double]? = nil, yMax: [Double]? = nil,
    attributes: [String: AttributeValue] = [:]
  ) {
    self.name = name
    self.x = x
    self.y = y
    self.yMin = yMin
    self.yMax = yMax
    self.attributes = attributes
  }

  /// Throws unless the name is valid and every array has the length of `x`.
  public func validate() throws {
    try Naming.check(name, kind: "curve")
    for (label, array) in [("y", y), ("y_min", yMin), ("y_max", yMax)] {
      guard let array, array.count != x.count else { continue }
      throw ReproIOError.invalidTable(
        "curve '\(name)' has \(x.count) x values but \(array.count) \(label) values")
    }
  }
}

/// A deployed model: its attributes and named sub-tables.
///
/// Attributes hold the netconfig JSON and the like; sub-tables are, for instance, "layers"
/// (per-layer MACs and activation bytes) and "plan" (the memory plan).
public struct ModelRecord: Equatable, Sendable {
  /// Model identifier; also its HDF5 group name under `/models`.
  public var id: String
  /// Attributes of the model group, such as `netconfig_json`.
  public var attributes: [String: AttributeValue]
  /// Sub-tables stored as groups of column datasets under `/models/<id>/<name>`.
  public var tables: [String: ResultTable]

  /// A model record.
  public init(
    id: String, attributes: [String: AttributeValue] = [:], tables: [String: ResultTable] = [:]
  ) {
    self.id = id
    self.attributes = attributes
    self.tables = tables
  }
}

/// Everything one experiment run writes to `results/<experiment>/<experiment>.h5`.
public struct ResultsFile: Equatable, Sendable {
  /// The layout version written to the root attribute `schema_version`.
  public static let currentSchemaVersion: Int64 = 1

  /// Layout version of this file; `currentSchemaVersion` for new files.
  public var schemaVersion: Int64
  /// Root provenance attributes (DESIGN.md §4); `schema_version` is reserved.
  ///
  /// Expected keys: experiment, profile, git_commit, swift_version, host, started_at,
  /// finished_at, config_json, seed, dataset.
  public var attributes: [String: AttributeValue]
  /// The results table, `/table`.
  public var table: ResultTable
  /// Plotted curves, `/curves/<name>`, in order.
  public var curves: [Curve]
  /// Deployed models, `/models/<id>`, in order.
  public var models: [ModelRecord]

  /// A results file of the current schema version.
  public init(
    attributes: [String: AttributeValue] = [:], table: ResultTable = ResultTable(),
    curves: [Curve] = [], models: [ModelRecord] = []
  ) {
    self.schemaVersion = Self.currentSchemaVersion
    self.attributes = attributes
    self.table = table
    self.curves = curves
    self.models = models
  }
}
