// ResultTable.swift
// The in-memory form of `/table` (DESIGN.md §4): ordered, typed columns of equal length, one row
// per measured configuration. Stored in HDF5 by ResultsFile+HDF5, printed by ResultTable+Text.

/// The values of one column: UTF-8 strings, 64-bit integers or 64-bit floats.
public enum ColumnValues: Equatable, Sendable {
  case strings([String])
  case ints([Int64])
  case doubles([Double])

  /// Number of values (rows).
  public var count: Int {
    switch self {
    case .strings(let v): return v.count
    case .ints(let v): return v.count
    case .doubles(let v): return v.count
    }
  }

  /// The element type as users see it: "strings", "int64" or "float64".
  public var typeName: String {
    switch self {
    case .strings: return "strings"
    case .ints: return "int64"
    case .doubles: return "float64"
    }
  }

  /// The value at `row` as a cell.
  public subscript(row: Int) -> CellValue {
    switch self {
    case .strings(let v): return .string(v[row])
    case .ints(let v): return .int(v[row])
    case .doubles(let v): return .double(v[row])
    }
  }
}

/// One cell of a row, used to build tables row by row.
///
/// Literals work: `"mcunet"`, `42`, `70.7`.
public enum CellValue: Equatable, Sendable, ExpressibleByStringLiteral,
  ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral
{
  case string(String)
  case int(Int64)
  case double(Double)

  /// A string cell from a literal.
  public init(stringLiteral value: String) { self = .string(value) }
  /// An integer cell from a literal.
  public init(integerLiteral value: Int64) { self = .int(value) }
  /// A float cell from a literal.
  public init(floatLiteral value: Double) { self = .double(value) }
}

/// One named, typed column with its unit and description (stored as HDF5 attributes).
public struct Column: Equatable, Sendable {
  /// Column name; also the HDF5 dataset name, so it may not contain "/".
  public var name: String
  /// Unit such as "bytes", "ms", "%" or "" for none.
  public var unit: String
  /// One sentence saying what the column measures.
  public var description: String
  /// The values, one per row.
  public var values: ColumnValues

  /// A column; pass empty values such as `.doubles([])` to declare it and append rows later.
  public init(_ name: String, _ values: ColumnValues, unit: String = "", description: String = "") {
    self.name = name
    self.unit = unit
    self.description = description
    self.values = values
  }
}

/// An ordered list of equal-length columns: one row per measured configuration.
///
/// Build it column by column, or declare empty columns and `append(row:)`:
/// ```swift
/// var table = ResultTable(columns: [
///   Column("model", .strings([])), Column("peak_sram_bytes", .ints([]), unit: "bytes")])
/// try table.append(row: ["model": "mcunet-320kb", "peak_sram_bytes": 239_616])
/// ```
public struct ResultTable: Equatable, Sendable {
  /// The columns, in display and storage order.
  public var columns: [Column]

  /// A table with the given columns.
  public init(columns: [Column] = []) {
    self.columns = columns
  }

  /// Number of rows: the length of the first column (0 for a table without columns).
  public var rowCount: Int { columns.first?.values.count ?? 0 }

  /// Column names in order.
  public var columnNames: [String] { columns.map(\.name) }

  /// Throws unless names are unique and valid and every column has `rowCount` values.
  public func validate() throws {
    var seen = Set<String>()
    for column in columns {
      try Naming.check(column.name, kind: "column")
      guard seen.insert(column.name).inserted else {
        throw ReproIOError.invalidTable("column name '\(column.name)' appears twice")
      }
      if column.values.count != rowCount {
        throw ReproIOError.invalidTable(
          "column '\(column.name)' has \(column.values.count) values but '\(columns[0].name)' "
            + "has \(rowCount); every column needs one value per row")
      }
    }
  }

  /// The column called `name`, or nil.
  public func column(named name: String) -> Column? {
    columns.first { $0.name == name }
  }

  /// The string values of column `name`.
  public func strings(_ name: String) throws -> [String] {
    let column = try require(name)
    guard case .strings(let values) = column.values else { throw mismatch(column, "strings") }
    return values
  }

  /// The integer values of column `name`.
  public func ints(_ name: String) throws -> [Int64] {
    let column = try require(name)
    guard case .ints(let values) = column.values else { throw mismatch(column, "int64") }
    return values
  }

  /// The values of column `name` as doubles; integer columns are converted.
  public func doubles(_ name: String) throws -> [Double] {
    let column = try require(name)
    switch column.values {
    case .doubles(let values): return values
    case .ints(let values): return values.map(Double.init)
    case .strings: throw mismatch(column, "float64")
    }
  }

  /// Row `index` as a dictionary from column name to cell.
  public func row(_ index: Int) -> [String: CellValue] {
    precondition(index >= 0 && index < rowCount, "row \(index) out of 0..<\(rowCount)")
    return Dictionary(uniqueKeysWithValues: columns.map { ($0.name, $0.values[index]) })
  }

  /// Appends one row.
  ///
  /// `row` must give a value for every declared column and no others; an
  /// integer cell is accepted in a float64 column. On error the table is unchanged.
  public mutating func append(row: [String: CellValue]) throws {
    let unknown = Set(row.keys).subtracting(columnNames)
    guard unknown.isEmpty else {
      throw ReproIOError.invalidTable(
        "row has cells for undeclared columns \(unknown.sorted()); declare them first")
    }
    var updated = columns
    for index in updated.indices {
      let name = updated[index].name
      guard let cell = row[name] else {
        throw ReproIOError.invalidTable("row has no value for column '\(name)'")
      }
      switch (updated[index].values, cell) {
      case (.strings(let v), .string(let s)): updated[index].values = .strings(v + [s])
      case (.ints(let v), .int(let i)): updated[index].values = .ints(v + [i])
      case (.doubles(let v), .double(let d)): updated[index].values = .doubles(v + [d])
      case (.doubles(let v), .int(let i)): updated[index].values = .doubles(v + [Double(i)])
      default:
        throw ReproIOError.invalidTable(
          "cell \(cell) does not fit column '\(name)' of \(updated[index].values.typeName)")
      }
    }
    columns = updated
  }

  private func require(_ name: String) throws -> Column {
    guard let column = column(named: name) else {
      throw ReproIOError.missingColumn(name: name, available: columnNames)
    }
    return column
  }

  private func mismatch(_ column: Column, _ expected: String) -> ReproIOError {
    .columnTypeMismatch(name: column.name, expected: expected, actual: column.values.typeName)
  }
}

/// Rules for names that become HDF5 link names.
enum Naming {
  /// Throws unless `name` is non-empty, not "." or "..", and has no "/" or NUL.
  static func check(_ name: String, kind: String) throws {
    let reason: String
    if name.isEmpty {
      reason = "names must not be empty"
    } else if name == "." || name == ".." {
      reason = "'.' and '..' are not allowed"
    } else if name.contains("/") || name.contains("\0") {
      reason = "names must not contain '/' (HDF5 paths use it)"
    } else {
      return
    }
    throw ReproIOError.invalidName(name, kind: kind, reason: reason)
  }
}
