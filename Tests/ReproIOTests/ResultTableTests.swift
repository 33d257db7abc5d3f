// ResultTableTests.swift
// Building tables row by row, validation messages, typed lookups, and literal Markdown and CSV
// goldens.

import Testing

@testable import ReproIO

/// Two models, one with an unknown accuracy (NaN) and a "|" in its name.
func memoryTable() throws -> ResultTable {
  var table = ResultTable(columns: [
    Column("model", .strings([])),
    Column("peak_sram_bytes", .ints([]), unit: "bytes"),
    Column("top1", .doubles([]), unit: "%"),
  ])
  try table.append(row: ["model": "mcunet-320kb", "peak_sram_bytes": 239_616, "top1": 70.7])
  try table.append(row: ["model": "mbv2|w0.35", "peak_sram_bytes": 1000, "top1": .double(.nan)])
  return table
}

@Suite struct ResultTableTests {
  @Test func appendBuildsColumnsAndWidensIntsInFloatColumns() throws {
    var table = try memoryTable()
    try table.append(row: ["model": "x", "peak_sram_bytes": 1, "top1": 50])
    #expect(table.rowCount == 3)
    #expect(try table.strings("model") == ["mcunet-320kb", "mbv2|w0.35", "x"])
    #expect(try table.ints("peak_sram_bytes") == [239_616, 1000, 1])
    #expect(try table.doubles("peak_sram_bytes") == [239_616, 1000, 1])
    #expect(try table.doubles("top1")[2] == 50)
    #expect(table.row(0)["model"] == "mcunet-320kb")
    #expect(table.column(named: "top1")?.unit == "%")
    #expect(table.column(named: "nope") == nil)
  }

  @Test func badRowsAreRejectedAndLeaveTheTableUnchanged() throws {
    var table = try memoryTable()
    let before = table
    let missing = #expect(throws: ReproIOError.self) {
      try table.append(row: ["model": "x", "peak_sram_bytes": 1])
    }
    #expect(missing?.description == "invalid table: row has no value for column 'top1'")
    let wrongType = #expect(throws: ReproIOError.self) {
      try table.append(row: ["model": "x", "peak_sram_bytes": 1.5, "top1": 1])
    }
    #expect(
      wrongType?.description
        == "invalid table: cell double(1.5) does not fit column 'peak_sram_bytes' of int64")
    let unknown = #expect(throws: ReproIOError.self) {
      try table.append(row: ["model": "x", "peak_sram_bytes": 1, "top1": 1, "flash": 2])
    }
    #expect(
      unknown?.description
        == "invalid table: row has cells for undeclared columns [\"flash\"]; declare them first")
    #expect(table == before)
  }

  @Test func validateNamesTheCulprit() throws {
    let ragged = ResultTable(columns: [
      Column("model", .strings(["a", "b"])), Column("top1", .doubles([1])),
    ])
    #expect(
      #expect(throws: ReproIOError.self) { try ragged.validate() }?.description
        == "invalid table: column 'top1' has 1 values but 'model' has 2; every column needs one "
        + "value per row")
    let repeated = ResultTable(columns: [Column("a", .ints([])), Column("a", .ints([]))])
    #expect(
      #expect(throws: ReproIOError.self) { try repeated.validate() }?.description
        == "invalid table: column name 'a' appears twice")
    let slashed = ResultTable(columns: [Column("a/b", .ints([]))])
    #expect(
      #expect(throws: ReproIOError.self) { try slashed.validate() }?.description
        == "invalid column name 'a/b': names must not contain '/' (HDF5 paths use it).")
  }

  @Test func typedLookupsExplainMistakes() throws {
    let table = try memoryTable()
    #expect(
      #expect(throws: ReproIOError.self) { try table.ints("top1") }?.description
        == "column 'top1' holds float64, not int64. Use the accessor for float64.")
    #expect(
      #expect(throws: ReproIOError.self) { try table.doubles("flash") }?.description
        == "no column 'flash' in the table (columns: model, peak_sram_bytes, top1). Check the "
        + "column name.")
  }

  @Test func markdownGolden() throws {
    let markdown = try memoryTable().markdown(
      format: TableFormat(decimals: 1, unitsInHeader: true))
    #expect(
      markdown == """
        | model        | peak_sram_bytes (bytes) | top1 (%) |
        | :----------- | ----------------------: | -------: |
        | mcunet-320kb |                  239616 |     70.7 |
        | mbv2\\|w0.35  |                    1000 |        – |

        """)
  }

  @Test func markdownSelectsColumnsAndDecimals() throws {
    let markdown = try memoryTable().markdown(
      columns: ["top1", "model"], format: TableFormat(decimalsByColumn: ["top1": 3]))
    #expect(
      markdown == """
        |   top1 | model        |
        | -----: | :----------- |
        | 70.700 | mcunet-320kb |
        |      – | mbv2\\|w0.35  |

        """)
  }

  @Test func markdownTableAlignsAndPadsShortRows() {
    let text = markdownTable(
      header: ["a", "bb"], rows: [["x"], ["long cell", "2"]], alignments: [.center, .right])
    #expect(
      text == """
        |     a     |  bb |
        | :-------: | --: |
        |     x     |     |
        | long cell |   2 |

        """)
  }

  @Test func csvGoldenQuotesPerRFC4180() throws {
    let table = ResultTable(columns: [
      Column("name", .strings(["plain", "a,b", "say \"hi\"", "two\nlines"])),
      Column("value", .doubles([0.1, 1e-05, .nan, 2.5])),
      Column("count", .ints([1, -2, 0, Int64.max])),
    ])
    #expect(
      try table.csv()
        == "name,value,count\r\nplain,0.1,1\r\n\"a,b\",1e-05,-2\r\n\"say \"\"hi\"\"\",NaN,0\r\n"
        + "\"two\nlines\",2.5,9223372036854775807\r\n")
    #expect(try table.csv(columns: ["count"]) == "count\r\n1\r\n-2\r\n0\r\n9223372036854775807\r\n")
  }
}
