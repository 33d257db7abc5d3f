import Foundation
import ReproIO

/// Writes one experiment run to `<out>/<experiment>/`: `<experiment>.h5` (DESIGN.md §4, with
/// the provenance attributes), `<experiment>.md`, `<experiment>.csv` and the figures (PNG and
/// PDF). Every file is written atomically.
public struct ExperimentOutput {
  public var experiment: String
  public var profile: Profile
  public var configJSON: String
  public var seed: UInt64
  /// Dataset name, split sizes and any scaling applied ("none (analytic)" when no data).
  public var dataset: String
  public var provenance: Provenance

  public init(
    experiment: String, profile: Profile, configJSON: String, seed: UInt64, dataset: String,
    provenance: Provenance
  ) {
    self.experiment = experiment
    self.profile = profile
    self.configJSON = configJSON
    self.seed = seed
    self.dataset = dataset
    self.provenance = provenance
  }

  /// The root attributes of the results file.
  public var attributes: [String: AttributeValue] {
    [
      "experiment": .string(experiment), "profile": .string(profile.rawValue),
      "git_commit": .string(provenance.gitCommit),
      "swift_version": .string(provenance.swiftVersion),
      "host": .string(provenance.host), "started_at": .string(provenance.startedAt),
      "finished_at": .string(Provenance.timestamp()), "config_json": .string(configJSON),
      "seed": .int(Int64(seed)), "dataset": .string(dataset),
    ]
  }

  /// Writes everything and returns the paths written.
  @discardableResult
  public func write(
    to out: String, table: ResultTable, curves: [Curve] = [], models: [ModelRecord] = [],
    markdown: String, figures: [(name: String, chart: any Chart)]
  ) throws -> [String] {
    let directory = "\(out)/\(experiment)"
    try ensureDirectory(directory)
    var written: [String] = []
    let h5 = "\(directory)/\(experiment).h5"
    try ResultsFile(attributes: attributes, table: table, curves: curves, models: models)
      .write(to: h5)
    written.append(h5)
    let md = "\(directory)/\(experiment).md"
    try AtomicFile.write(markdown, to: md)
    written.append(md)
    let csv = "\(directory)/\(experiment).csv"
    try AtomicFile.write(try table.csv(), to: csv)
    written.append(csv)
    for (name, chart) in figures {
      for ext in ["png", "pdf"] {
        let path = "\(directory)/\(name).\(ext)"
        try chart.write(to: path)
        written.append(path)
      }
    }
    return written
  }
}

/// Errors of experiment set-up, each naming the culprit and the fix.
public enum ExperimentError: Error, Equatable, CustomStringConvertible {
  case unknownModel(String, known: [String])
  case badConfig(path: String, detail: String)

  public var description: String {
    switch self {
    case .unknownModel(let id, let known):
      return "unknown model '\(id)'; known models: \(known.joined(separator: ", "))"
    case .badConfig(let path, let detail):
      return
        "experiment config '\(path)': \(detail); fix the file or delete it to use the built-in "
        + "configuration"
    }
  }
}
