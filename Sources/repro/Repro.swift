import ArgumentParser
import Datasets
import Experiments
import Foundation

@main
struct Repro: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "repro",
    abstract: "Reproduce the tables and figures of MCUNet (Lin et al., NeurIPS 2020).",
    subcommands: [
      List.self, PrepareData.self, Memory.self, Engine.self, TrainCommand.self, BenchCommand.self,
      DeployCommand.self,
    ])
}

/// Options every experiment takes (DESIGN.md §1).
struct ExperimentOptions: ParsableArguments {
  @Option(help: "smoke | default | full")
  var profile: Profile = .default

  @Option(help: "Results folder; each experiment writes <out>/<experiment>/.")
  var out: String = "results"

  @Option(help: "Experiment config (default: experiments/<experiment>.json, else built in).")
  var config: String?

  @Flag(help: "No progress lines on stderr.")
  var quiet = false
}

extension Profile: ExpressibleByArgument {}

struct List: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List every experiment, the paper artifact it reproduces and its output path.")

  @Option(help: "Results folder shown in the paths.")
  var out: String = "results"

  func run() {
    for e in experimentCatalog {
      let status = e.available ? "" : "  (not yet available)"
      print("\(e.name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(e.artifact)\(status)")
      print("  \(e.summary)")
      print("  → \(e.resultsDirectory(under: out))/\(e.name).h5, .md, .csv, .png\n")
    }
  }
}

struct Memory: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Peak SRAM, Flash, MACs and params of the released models under every planner.")

  @OptionGroup var options: ExperimentOptions

  func run() throws {
    try reportingErrors {
      let (result, files) = try runMemoryExperiment(
        profile: options.profile, out: options.out, configPath: options.config,
        showProgress: !options.quiet)
      print(try result.markdown())
      if debugLevel >= 1 { print(result.planDiagrams()) }
      print("wrote:\n  " + files.joined(separator: "\n  "))
    }
  }
}

/// Runs a command's body; an error is printed as `error: …` on stderr (not as a usage
/// message) and the process exits with status 1. `ExitCode`s pass through unchanged.
func reportingErrors(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let exit as ExitCode {
    throw exit
  } catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    throw ExitCode.failure
  }
}

/// Throws a usage error naming the first option given with a value ≤ 0.
func requirePositive(_ options: KeyValuePairs<String, Int?>) throws {
  for (name, value) in options {
    if let value, value <= 0 { throw ValidationError("\(name) must be positive, got \(value)") }
  }
}

/// `MCU_DEBUG` level (README, "Debug switches").
var debugLevel: Int {
  Int(ProcessInfo.processInfo.environment["MCU_DEBUG"] ?? "") ?? 0
}

struct PrepareData: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "prepare-data",
    abstract: "Write the bundled proxy datasets into the cache (run Scripts/prepare-data.sh).")

  @Option(help: "smoke | default | full (full prepares the default-size proxies)")
  var profile: Profile = .default

  @Option(help: "Cache folder (default: $MCU_DATA_DIR or ~/.cache/mcunet-repro).")
  var cache: String?

  @Flag(help: "No progress bars on stderr.")
  var quiet = false

  func run() throws {
    try reportingErrors {
      let prepared = try runPrepareData(
        profile: profile == .full ? .default : profile, cacheDirectory: cache,
        showProgress: !quiet)
      for (kind, root) in prepared.roots.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
        let reused = prepared.reused.contains(kind) ? " (reused)" : ""
        print("\(kind.rawValue): \(root)\(reused)")
      }
    }
  }
}

struct Engine: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Generated C vs the interpreter baseline: latency, SRAM, Flash, bit-exactness.")

  @OptionGroup var options: ExperimentOptions

  @Option(
    help: ArgumentHelp(
      "Keep every generated program (C sources, objects, executable) in DIR/<model>/<library>/.",
      valueName: "DIR"))
  var keepPrograms: String?

  func run() throws {
    try reportingErrors {
      let (rows, files) = try runEngineExperiment(
        profile: options.profile, out: options.out, configPath: options.config,
        keepProgramsIn: keepPrograms, showProgress: !options.quiet)
      print(rows.engineMarkdown())
      print("wrote:\n  " + files.joined(separator: "\n  "))
      if rows.contains(where: { !$0.bitExact }) {
        FileHandle.standardError.write(Data("error: an output differs from the reference\n".utf8))
        throw ExitCode.failure
      }
    }
  }
}
