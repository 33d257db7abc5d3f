// ResultsFileHDF5Tests.swift
// Round trips through libhdf5, the DESIGN.md §4 layout as seen by independent readers (h5dump,
// h5py), atomic replacement and the error messages for bad paths and foreign files.

import Foundation
import Testing

@testable import ReproIO

/// A results file using every feature: all column types, unicode and empty strings, extreme
/// integers, a non-alphabetical column order, curves with and without bands, models with
/// sub-tables (one of them empty).
func sampleResultsFile() -> ResultsFile {
  let table = ResultTable(columns: [
    Column(
      "zeta_model", .strings(["mcunet-320kb", "", "proxyless µ-✓ 日本"]), description: "model"),
    Column(
      "peak_sram_bytes", .ints([Int64.max, 0, Int64.min]), unit: "bytes",
      description: "activation arena + scratch + runtime"),
    Column("alpha_top1", .doubles([70.7, -0.25, 1e-300]), unit: "%", description: "top-1 (µ)"),
  ])
  let layers = ResultTable(columns: [
    Column("layer", .strings(["conv0", "mb1"])), Column("macs", .ints([1_769_472, 3_538_944])),
  ])
  let plan = ResultTable(columns: [
    Column("buffer", .strings([])), Column("offset_bytes", .ints([]), unit: "bytes"),
  ])
  return ResultsFile(
    attributes: [
      "experiment": "memory", "profile": "smoke", "seed": 42, "ratio": 0.5,
      "config_json": "{\"budget_kb\": 320, \"name\": \"µ\"}", "empty": "",
      "widths": .doubles([0.35, 0.5, 1.0]), "resolutions": .ints([96, 128, 160]),
      "no_values": .ints([]),
    ],
    table: table,
    curves: [
      Curve(
        name: "search_progress", x: [1, 2, 3], y: [40, 50, 55], yMin: [38, 49, 54],
        yMax: [42, 52, 57], attributes: ["x_label": "evaluated subnets"]),
      Curve(name: "flops_cdf", x: [10, 20], y: [0.5, 1]),
      Curve(name: "empty", x: [], y: []),
    ],
    models: [
      ModelRecord(
        id: "mcunet-in1", attributes: ["netconfig_json": "{\"blocks\": []}", "resolution": 160],
        tables: ["layers": layers, "plan": plan]),
      ModelRecord(id: "bare"),
    ])
}

@Suite struct ResultsFileHDF5Tests {
  @Test func roundTripPreservesEveryValueAndOrder() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    let original = sampleResultsFile()
    try original.write(to: folder.file("memory.h5"))
    let read = try ResultsFile(contentsOf: folder.file("memory.h5"))
    #expect(read == original)
    #expect(read.table.columnNames == ["zeta_model", "peak_sram_bytes", "alpha_top1"])
    #expect(read.curves.map(\.name) == ["search_progress", "flops_cdf", "empty"])
    #expect(read.models.map(\.id) == ["mcunet-in1", "bare"])
    #expect(read.schemaVersion == ResultsFile.currentSchemaVersion)
    #expect(try folder.listing() == ["memory.h5"])
  }

  @Test func emptyTablesRoundTrip() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    for table in [
      ResultTable(),
      ResultTable(columns: [Column("model", .strings([])), Column("top1", .doubles([]))]),
    ] {
      let file = ResultsFile(attributes: ["experiment": "empty"], table: table)
      try file.write(to: folder.file("empty.h5"))
      let read = try ResultsFile(contentsOf: folder.file("empty.h5"))
      #expect(read == file)
      #expect(read.table.rowCount == 0)
    }
  }

  @Test func nonFiniteDoublesRoundTrip() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    let values = [Double.nan, .infinity, -.infinity, -0.0]
    let file = ResultsFile(table: ResultTable(columns: [Column("x", .doubles(values))]))
    try file.write(to: folder.file("nan.h5"))
    let read = try ResultsFile(contentsOf: folder.file("nan.h5")).table.doubles("x")
    #expect(read[0].isNaN && read[1] == .infinity && read[2] == -.infinity)
    #expect(read[3] == 0 && read[3].sign == .minus)
  }

  @Test func failedWriteLeavesPreviousFileAndNoTemporary() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    let path = folder.file("memory.h5")
    let good = sampleResultsFile()
    try good.write(to: path)
    var bad = good
    bad.models[0].tables["layers"]?.columns[1].values = .ints([1])  // 2 layers, 1 MAC count
    #expect(throws: ReproIOError.self) { try bad.write(to: path) }
    #expect(try ResultsFile(contentsOf: path) == good)
    #expect(try folder.listing() == ["memory.h5"])
  }

  @Test func writingUnderARegularFileNamesTheFile() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    try AtomicFile.write("not a folder", to: folder.file("blocker"))
    let target = folder.file("blocker/memory.h5")
    let error = #expect(throws: ReproIOError.self) { try sampleResultsFile().write(to: target) }
    #expect(
      error?.description
        == "cannot write '\(target)': '\(folder.file("blocker"))' is a file, not a folder. "
        + "Check that the folder exists and is writable (--out).")
  }

  @Test func reservedSchemaVersionAttributeIsRejected() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    let file = ResultsFile(attributes: ["schema_version": 7])
    let error = #expect(throws: ReproIOError.self) { try file.write(to: folder.file("x.h5")) }
    #expect(
      error?.description == "invalid root attribute name 'schema_version': it is reserved; set "
        + "ResultsFile.schemaVersion instead.")
    #expect(try folder.listing().isEmpty)
  }

  @Test func readingMissingOrForeignFilesExplainsWhy() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    let missing = folder.file("absent.h5")
    #expect(
      #expect(throws: ReproIOError.self) { try ResultsFile(contentsOf: missing) }?.description
        == "results file '\(missing)' does not exist. Run the experiment first "
        + "(swift run repro <experiment>) or check the path.")

    let text = folder.file("memory.h5")
    try AtomicFile.write("a,b\n1,2\n", to: text)
    #expect(
      #expect(throws: ReproIOError.self) { try ResultsFile(contentsOf: text) }?.description
        == "'\(text)' is not an HDF5 results file (not an HDF5 file). Re-run the experiment "
        + "that writes it, or check the path.")

    // The failure was cleared from this thread's HDF5 error stack, so libhdf5 does not print
    // "infinite loop closing library" when the test process exits (native-deps.md §1).
    #expect(H5Session.pendingErrorRecords == 0)

    let bare = folder.file("bare.h5")
    let session = H5Session(path: bare)
    _ = try session.createFile(at: bare)
    #expect(session.closeAll())
    #expect(
      #expect(throws: ReproIOError.self) { try ResultsFile(contentsOf: bare) }?.description
        == "'\(bare)' is not an HDF5 results file (missing attribute schema_version). Re-run the "
        + "experiment that writes it, or check the path.")
  }

  @Test func newerSchemaVersionIsRefused() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    var file = ResultsFile()
    file.schemaVersion = ResultsFile.currentSchemaVersion + 1
    try file.write(to: folder.file("future.h5"))
    let error = #expect(throws: ReproIOError.self) {
      try ResultsFile(contentsOf: folder.file("future.h5"))
    }
    #expect(
      error
        == .unsupportedSchemaVersion(
          path: folder.file("future.h5"), found: ResultsFile.currentSchemaVersion + 1,
          supported: ResultsFile.currentSchemaVersion))
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/h5dump")))
  func h5dumpSeesTheLayout() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    try sampleResultsFile().write(to: folder.file("memory.h5"))
    let (status, dump, _) = try run("/usr/bin/h5dump", ["-A", folder.file("memory.h5")])
    #expect(status == 0)
    for needle in [
      "GROUP \"table\"", "DATASET \"zeta_model\"", "DATASET \"peak_sram_bytes\"",
      "DATASET \"alpha_top1\"", "H5T_CSET_UTF8", "H5T_STD_I64LE", "H5T_IEEE_F64LE",
      "ATTRIBUTE \"schema_version\"", "ATTRIBUTE \"unit\"", "ATTRIBUTE \"column_order\"",
      "GROUP \"search_progress\"", "DATASET \"y_min\"", "GROUP \"layers\"",
    ] {
      #expect(dump.contains(needle), "h5dump output lacks \(needle)")
    }
  }

  @Test(.enabled(if: pythonHasH5py))
  func h5pyReadsColumnsAndAttributes() throws {
    let folder = try TestFolder()
    defer { folder.remove() }
    let path = folder.file("memory.h5")
    try sampleResultsFile().write(to: path)
    let script = """
      import h5py, json, sys
      f = h5py.File(sys.argv[1], "r")
      t = f["table"]
      print(json.dumps({
        "string_encoding": h5py.check_string_dtype(t["zeta_model"].dtype).encoding,
        "models": list(t["zeta_model"].asstr()[()]),
        "sram": [int(v) for v in t["peak_sram_bytes"][()]],
        "top1": [float(v) for v in t["alpha_top1"][()]],
        "unit_is_str": isinstance(t["peak_sram_bytes"].attrs["unit"], str),
        "unit": t["peak_sram_bytes"].attrs["unit"],
        "order": [str(v) for v in t.attrs["column_order"]],
        "experiment": f.attrs["experiment"], "seed": int(f.attrs["seed"]),
        "schema_version": int(f.attrs["schema_version"]),
        "widths": [float(v) for v in f.attrs["widths"]],
        "band": [float(v) for v in f["curves/search_progress/y_max"][()]],
        "netconfig": f["models/mcunet-in1"].attrs["netconfig_json"],
      }))
      """
    let (status, stdout, stderr) = try run("/usr/bin/env", ["python3", "-c", script, path])
    try #require(status == 0, "python3 failed: \(stderr)")
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
    #expect(json["string_encoding"] as? String == "utf-8")
    #expect(json["models"] as? [String] == ["mcunet-320kb", "", "proxyless µ-✓ 日本"])
    #expect(json["sram"] as? [Int] == [Int.max, 0, Int.min])
    #expect(json["top1"] as? [Double] == [70.7, -0.25, 1e-300])
    #expect(json["unit_is_str"] as? Bool == true && json["unit"] as? String == "bytes")
    #expect(json["order"] as? [String] == ["zeta_model", "peak_sram_bytes", "alpha_top1"])
    #expect(json["experiment"] as? String == "memory" && json["seed"] as? Int == 42)
    #expect(json["schema_version"] as? Int == Int(ResultsFile.currentSchemaVersion))
    #expect(json["widths"] as? [Double] == [0.35, 0.5, 1.0])
    #expect(json["band"] as? [Double] == [42, 52, 57])
    #expect(json["netconfig"] as? String == "{\"blocks\": []}")
  }
}
