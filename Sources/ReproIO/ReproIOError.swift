// ReproIOError.swift
// Every error ReproIO throws. Each message names the culprit and says what to do (STYLE.md B5.2).

/// An error from reading or writing results files, tables or figures.
public enum ReproIOError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A folder (or one of its parents) could not be created.
  case cannotCreateDirectory(path: String, reason: String)
  /// A folder exists but cannot be written into.
  case directoryNotWritable(path: String)
  /// A file could not be written or renamed into place.
  case cannotWriteFile(path: String, reason: String)
  /// A results file to read does not exist.
  case fileNotFound(path: String)
  /// A file exists but is not an HDF5 results file of this suite.
  case notAResultsFile(path: String, reason: String)
  /// A results file was written with a newer schema than this build reads.
  case unsupportedSchemaVersion(path: String, found: Int64, supported: Int64)
  /// A libhdf5 call failed on `object` (an HDF5 path such as `/table/top1`).
  case hdf5(operation: String, object: String, path: String)
  /// A dataset or attribute has a type or shape that ReproIO does not read.
  case unsupportedData(path: String, object: String, detail: String)
  /// A table is malformed: columns of different lengths, repeated names, bad rows.
  case invalidTable(String)
  /// A column that was asked for does not exist.
  case missingColumn(name: String, available: [String])
  /// A column holds another element type than the one asked for.
  case columnTypeMismatch(name: String, expected: String, actual: String)
  /// A name cannot be stored as an HDF5 link or attribute name, or is reserved.
  case invalidName(String, kind: String, reason: String)
  /// The TrueType font for figures could not be loaded.
  case fontUnavailable(path: String, reason: String)
  /// A chart's inputs are inconsistent (series lengths, empty data …).
  case invalidChart(String)
  /// cairo failed while drawing or writing a figure.
  case drawingFailed(path: String, reason: String)

  /// The user-facing message.
  public var description: String {
    switch self {
    case .cannotCreateDirectory(let path, let reason):
      return "cannot create results folder '\(path)': \(reason). Pass a writable folder with --out."
    case .directoryNotWritable(let path):
      return "results folder '\(path)' is not writable. Fix its permissions or pass another "
        + "folder with --out."
    case .cannotWriteFile(let path, let reason):
      return "cannot write '\(path)': \(reason). Check that the folder exists and is writable "
        + "(--out)."
    case .fileNotFound(let path):
      return "results file '\(path)' does not exist. Run the experiment first "
        + "(swift run repro <experiment>) or check the path."
    case .notAResultsFile(let path, let reason):
      return "'\(path)' is not an HDF5 results file (\(reason)). Re-run the experiment that "
        + "writes it, or check the path."
    case .unsupportedSchemaVersion(let path, let found, let supported):
      return "'\(path)' has schema_version \(found), but this build reads up to \(supported). "
        + "Update the suite or re-run the experiment with this build."
    case .hdf5(let operation, let object, let path):
      return "HDF5 failed to \(operation) '\(object)' in '\(path)'. Inspect the file with "
        + "h5dump; if it is damaged, re-run the experiment."
    case .unsupportedData(let path, let object, let detail):
      return "'\(path)': '\(object)' \(detail). ReproIO reads scalar or 1-D UTF-8 string, "
        + "integer and floating-point data."
    case .invalidTable(let detail):
      return "invalid table: \(detail)"
    case .missingColumn(let name, let available):
      return "no column '\(name)' in the table (columns: \(available.joined(separator: ", "))). "
        + "Check the column name."
    case .columnTypeMismatch(let name, let expected, let actual):
      return "column '\(name)' holds \(actual), not \(expected). Use the accessor for \(actual)."
    case .invalidName(let name, let kind, let reason):
      return "invalid \(kind) name '\(name)': \(reason)."
    case .fontUnavailable(let path, let reason):
      return "cannot load the figure font '\(path)': \(reason). Install it with "
        + "'apt-get install fonts-dejavu-core'."
    case .invalidChart(let detail):
      return "invalid chart: \(detail)"
    case .drawingFailed(let path, let reason):
      return "cairo failed to draw '\(path)': \(reason)."
    }
  }
}
