// ResultTable+Text.swift
// Markdown (GitHub pipe tables) and CSV (RFC 4180) renderings of a ResultTable: the
// `<experiment>.md` printed table and a spreadsheet-friendly copy.

import Foundation

/// Horizontal alignment of a Markdown table column.
public enum Alignment: Sendable {
  case left, right, center
}

/// A GitHub-flavoured pipe table.
///
/// Cells are padded to the column width so the source reads as
/// a table too; `|` in a cell is escaped and newlines become spaces. Missing alignments are
/// `.left`.
public func markdownTable(header: [String], rows: [[String]], alignments: [Alignment]) -> String {
  let columnCount = max(header.count, rows.map(\.count).max() ?? 0)
  func cells(_ row: [String]) -> [String] {
    (0..<columnCount).map { index in
      let cell = index < row.count ? row[index] : ""
      return cell.replacingOccurrences(of: "|", with: "\\|")
        .replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
    }
  }
  let headerCells = cells(header)
  let bodyCells = rows.map(cells)
  let aligns = (0..<columnCount).map { $0 < alignments.count ? alignments[$0] : .left }
  let widths = (0..<columnCount).map { index in
    ([headerCells] + bodyCells).map { $0[index].count }.reduce(3, max)
  }
  func line(_ row: [String]) -> String {
    let padded = row.indices.map { index -> String in
      let fill = String(repeating: " ", count: widths[index] - row[index].count)
      switch aligns[index] {
      case .right: return fill + row[index]
      case .left: return row[index] + fill
      case .center:
        let half = fill.count / 2
        return String(fill.prefix(half)) + row[index] + String(fill.dropFirst(half))
      }
    }
    return "| " + padded.joined(separator: " | ") + " |"
  }
  let rule = (0..<columnCount).map { index -> String in
    let dashes = String(repeating: "-", count: widths[index] - 1)
    switch aligns[index] {
    case .left: return ":" + dashes
    case .right: return dashes + ":"
    case .center: return ":" + String(dashes.dropFirst()) + ":"
    }
  }
  let ruleLine = "| " + rule.joined(separator: " | ") + " |"
  return ([line(headerCells), ruleLine] + bodyCells.map(line)).joined(separator: "\n") + "\n"
}

/// How `ResultTable.markdown` renders numbers and headers.
public struct TableFormat: Sendable {
  /// Decimals for float64 columns.
  public var decimals: Int
  /// Per-column overrides of `decimals`.
  public var decimalsByColumn: [String: Int]
  /// Whether headers show the unit, as "latency_ms (ms)"; columns without unit are unchanged.
  public var unitsInHeader: Bool
  /// Text for NaN cells.
  public var missing: String

  /// A format; the default prints floats with 2 decimals, headers without units, NaN as "–".
  public init(
    decimals: Int = 2, decimalsByColumn: [String: Int] = [:], unitsInHeader: Bool = false,
    missing: String = "–"
  ) {
    self.decimals = decimals
    self.decimalsByColumn = decimalsByColumn
    self.unitsInHeader = unitsInHeader
    self.missing = missing
  }
}

extension ResultTable {
  /// The table as a GitHub pipe table: strings left-aligned, numbers right-aligned, integers
  /// plain and floats with the format's decimals.
  ///
  /// - Parameters:
  ///   - names: The columns to show, in order; nil shows all.
  ///   - format: Decimals, units and the text for NaN.
  /// - Returns: The Markdown text, ending with a newline.
  /// - Throws: `ReproIOError.missingColumn` for an unknown name.
  public func markdown(columns names: [String]? = nil, format: TableFormat = TableFormat()) throws
    -> String
  {
    let chosen = try selected(names)
    let header = chosen.map { column in
      format.unitsInHeader && !column.unit.isEmpty ? "\(column.name) (\(column.unit))" : column.name
    }
    let rows = (0..<rowCount).map { row in
      chosen.map { column -> String in
        switch column.values[row] {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d):
          guard d.isFinite else { return d.isNaN ? format.missing : String(d) }
          let decimals = format.decimalsByColumn[column.name] ?? format.decimals
          return String(format: "%.\(max(0, decimals))f", d)
        }
      }
    }
    let alignments = chosen.map { column -> Alignment in
      if case .strings = column.values { return .left }
      return .right
    }
    return markdownTable(header: header, rows: rows, alignments: alignments)
  }

  /// The table as CSV (RFC 4180), optionally restricted to `names`.
  ///
  /// A header row of column names, CRLF line ends, fields with commas, quotes or line breaks
  /// quoted with doubled quotes. Floats keep full precision
  /// (shortest round-trip form); NaN is written as "NaN".
  public func csv(columns names: [String]? = nil) throws -> String {
    let chosen = try selected(names)
    func field(_ text: String) -> String {
      guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
      else { return text }
      return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    var lines = [chosen.map { field($0.name) }.joined(separator: ",")]
    for row in 0..<rowCount {
      lines.append(
        chosen.map { column -> String in
          switch column.values[row] {
          case .string(let s): return field(s)
          case .int(let i): return String(i)
          case .double(let d): return d.isNaN ? "NaN" : String(d)
          }
        }.joined(separator: ","))
    }
    return lines.joined(separator: "\r\n") + "\r\n"
  }

  private func selected(_ names: [String]?) throws -> [Column] {
    guard let names else { return columns }
    return try names.map { name in
      guard let column = column(named: name) else {
        throw ReproIOError.missingColumn(name: name, available: columnNames)
      }
      return column
    }
  }
}
