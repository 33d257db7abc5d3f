/// How big an experiment run is (DESIGN.md §1).
public enum Profile: String, CaseIterable, Sendable, Codable {
  /// Seconds to two minutes; CI and tests. Tiny data, tiny search, one epoch.
  case smoke
  /// What a bare `repro <name>` runs on a 2-core laptop with the bundled proxy data.
  case `default`
  /// Paper scale on the real datasets given by path.
  case full
}

/// One experiment of the suite: its command name, the paper artifact it reproduces and where
/// its results go.
public struct ExperimentInfo: Sendable, Hashable {
  public var name: String
  public var artifact: String
  public var summary: String
  /// False for experiments a later issue will add (listed so `repro list` shows the plan).
  public var available: Bool

  /// Results folder of this experiment under `out`.
  public func resultsDirectory(under out: String) -> String { "\(out)/\(name)" }
}

/// Every experiment of DESIGN.md §1, in the order of the paper.
public let experimentCatalog: [ExperimentInfo] = [
  ExperimentInfo(
    name: "memory", artifact: "Fig. 1-style memory figures; TinyEngine README SRAM/Flash",
    summary: "MACs, params, Act, Flash and peak SRAM of every released config under each memory "
      + "planner, against the lower bound", available: true),
  ExperimentInfo(
    name: "engine", artifact: "Fig. 4, 5, 6; TinyEngine README table",
    summary: "generated code vs interpreter: latency, peak SRAM, Flash, bit-exactness",
    available: true),
  ExperimentInfo(
    name: "deploy", artifact: "§4 deployment path (Table 2's accuracy on generated code)",
    summary: "a trained model quantized (int8/int4), generated, compiled and run on the test "
      + "set: float vs integer reference vs generated top-1, agreement, SRAM, Flash, latency",
    available: true),
  ExperimentInfo(
    name: "search-space", artifact: "Fig. 3, Table 6",
    summary: "FLOPs CDF of the W×R search spaces under 320 kB / 1 MB", available: false),
  ExperimentInfo(
    name: "table2", artifact: "Table 2",
    summary: "ImageNet top-1 under 320 kB / 1 MB: {S-MbV2, S-Proxyless, TinyNAS} × "
      + "{interpreter, TinyEngine}", available: false),
  ExperimentInfo(
    name: "table3", artifact: "Table 3", summary: "the same under 5 / 10 FPS latency limits",
    available: false),
  ExperimentInfo(
    name: "table4", artifact: "Table 4 + MCUNetV2 int8/int4 rows",
    summary: "int8 vs int4 under the four MCU budgets", available: false),
  ExperimentInfo(
    name: "vww", artifact: "Fig. 9 (top)",
    summary: "Visual Wake Words: accuracy vs latency and SRAM",
    available: false),
  ExperimentInfo(
    name: "kws", artifact: "Fig. 9 (bottom)",
    summary: "Speech Commands: accuracy vs latency and SRAM", available: false),
  ExperimentInfo(
    name: "sensitivity", artifact: "Fig. 12", summary: "chosen (w, r) for each SRAM × Flash cell",
    available: false),
  ExperimentInfo(
    name: "evolution", artifact: "Fig. 13", summary: "evolution vs random search", available: false),
]
