import Foundation
import ReproIO

extension [EngineRow] {
  /// One row per (model, library), DESIGN.md §4 columns.
  public func engineTable() -> ResultTable {
    ResultTable(columns: [
      Column("model", .strings(map(\.model)), description: "zoo model id (seeded random weights)"),
      Column(
        "library", .strings(map(\.library)),
        description:
          "interpreter (TFLM-style runtime), generated (TinyEngine-style C, all optimisations)"
          + " or a Fig. 5 step between them: codegen-generic, codegen-inplace,"
          + " codegen-specialized"),
      Column(
        "quant", .strings(map(\.quant)),
        description: "int8, or int4 (packed two per byte, generic *_s4 kernels, out of place)"),
      Column("resolution", .ints(map { Int64($0.resolution) }), unit: "px"),
      Column("macs", .ints(map { Int64($0.macs) }), unit: "MAC"),
      Column(
        "latency_ms", .doubles(map(\.latencyMilliseconds)), unit: "ms",
        description: "median invoke time on this host (x86-64), timed inside the C program"),
      Column("latency_min_ms", .doubles(map(\.latencyMinMilliseconds)), unit: "ms"),
      Column(
        "instructions", .doubles(map { $0.instructions.map(Double.init) ?? .nan }),
        description:
          "instructions of one inference (valgrind --tool=callgrind, toggle-collect on the"
          + " invoke function); NaN when not counted"),
      Column(
        "peak_sram_bytes", .ints(map { Int64($0.peakSRAMBytes) }), unit: "B",
        description: "arena (+ the interpreter's persistent data)"),
      Column("arena_bytes", .ints(map { Int64($0.arenaBytes) }), unit: "B"),
      Column(
        "flash_bytes", .ints(map { Int64($0.flashBytes) }), unit: "B",
        description: "text + rodata + data of the model and the kernels it links"),
      Column("code_bytes", .ints(map { Int64($0.codeBytes) }), unit: "B", description: "text only"),
      Column(
        "bit_exact", .ints(map { $0.bitExact ? 1 : 0 }),
        description: "1 when the output equals the Swift integer reference"),
      Column(
        "paper_latency_ms", .doubles(map { $0.paperLatencyMilliseconds ?? .nan }), unit: "ms",
        description: "TinyEngine README, STM32H743 (ratios, not ms, are comparable)"),
    ])
  }

  /// The rows of the generated code and the interpreter (the main comparison).
  var mainRows: [EngineRow] {
    modelOrder.flatMap { m in
      [EngineLibrary.generated, .interpreter].compactMap { lib in
        first { $0.label == m && $0.library == lib.rawValue }
      }
    }
  }

  /// Model labels (`EngineRow.label`: int4 runs apart) in first-seen order.
  var modelOrder: [String] {
    var models: [String] = []
    for r in self where !models.contains(r.label) { models.append(r.label) }
    return models
  }

  public func engineMarkdown() -> String {
    var text = "# Generated code vs interpreter on this host (x86-64, seeded random weights)\n\n"
    text += "Latency is the median of the timed invokes; compare ratios with the paper, not ms. "
    text += "Instructions: callgrind, one inference.\n\n"
    let rows = mainRows.map { r in
      [
        r.label, r.library, String(format: "%.1f", Double(r.macs) / 1e6),
        String(format: "%.2f", r.latencyMilliseconds), Self.millions(r.instructions),
        String(format: "%.1f", Double(r.peakSRAMBytes) / 1024),
        String(format: "%.1f", Double(r.flashBytes) / 1024), r.bitExact ? "yes" : "NO",
        r.paperLatencyMilliseconds.map { String(format: "%.0f", $0) } ?? "–",
      ]
    }
    text += markdownTable(
      header: [
        "model", "library", "MACs (M)", "latency (ms)", "instructions (M)", "SRAM (kB)",
        "Flash (kB)", "bit-exact", "paper latency (ms, H743; TinyEngine / TFLM)",
      ], rows: rows, alignments: [Alignment.left, .left] + [Alignment](repeating: .right, count: 7))
    var ratios: [String] = []
    for m in modelOrder {
      guard let g = first(where: { $0.label == m && $0.library == "generated" }),
        let i = first(where: { $0.label == m && $0.library == "interpreter" })
      else { continue }
      var line = String(
        format: "- %@: interpreter / generated: latency %.2f×", m,
        i.latencyMilliseconds / g.latencyMilliseconds)
      if let gi = g.instructions, let ii = i.instructions {
        line += String(format: ", instructions %.2f×", Double(ii) / Double(gi))
      }
      line += String(
        format: ", SRAM %.2f×, Flash %.2f×", Double(i.peakSRAMBytes) / Double(g.peakSRAMBytes),
        Double(i.flashBytes) / Double(g.flashBytes))
      if g.quant == "int8", let pt = paperLatency[g.model], let tflm = pt.tflm {
        line += String(
          format: " (paper, TFLM / TinyEngine on STM32H743: %.1f×)", tflm / pt.tinyEngine)
      }
      ratios.append(line)
    }
    if !ratios.isEmpty { text += "\n\n" + ratios.joined(separator: "\n") + "\n" }
    let breakdown = breakdownMarkdown()
    if !breakdown.isEmpty { text += "\n" + breakdown }
    return text
  }

  /// The Fig. 5 table: each optimisation switched on in turn, per breakdown model.
  func breakdownMarkdown() -> String {
    var table: [[String]] = []
    for m in modelOrder {
      let steps = EngineLibrary.allCases.compactMap { lib in
        first { $0.label == m && $0.library == lib.rawValue }.map { (lib, $0) }
      }
      guard steps.count == EngineLibrary.allCases.count,
        let base = steps.first?.1
      else { continue }
      for (lib, r) in steps {
        table.append([
          m, lib.label, String(format: "%.2f", r.latencyMilliseconds),
          String(format: "%.0f", Double(r.macs) / r.latencyMilliseconds / 1e3),
          Self.millions(r.instructions),
          String(format: "%.2f×", base.latencyMilliseconds / r.latencyMilliseconds),
          r.instructions.flatMap { i in
            base.instructions.map { String(format: "%.2f×", Double($0) / Double(i)) }
          } ?? "–",
          String(format: "%.1f", Double(r.peakSRAMBytes) / 1024),
          String(format: "%.1f", Double(r.flashBytes) / 1024), r.bitExact ? "yes" : "NO",
        ])
      }
    }
    guard !table.isEmpty else { return "" }
    return "## Optimisation breakdown (paper Fig. 5), each step adding to the previous\n\n"
      + markdownTable(
        header: [
          "model", "step", "latency (ms)", "MMAC/s", "instructions (M)", "speed-up",
          "instr. ratio", "SRAM (kB)", "Flash (kB)", "bit-exact",
        ], rows: table,
        alignments: [Alignment.left, .left] + [Alignment](repeating: .right, count: 8)) + "\n"
  }

  static func millions(_ count: Int?) -> String {
    count.map { String(format: "%.1f", Double($0) / 1e6) } ?? "–"
  }

  /// Fig. 5 as two grouped bar charts over the breakdown models: speed (MMAC/s) and peak SRAM
  /// per step.
  public func breakdownCharts() -> [(name: String, chart: any Chart)] {
    let models = modelOrder.filter { m in
      EngineLibrary.allCases.allSatisfy { lib in
        contains { $0.label == m && $0.library == lib.rawValue }
      }
    }
    guard !models.isEmpty else { return [] }
    func series(_ value: (EngineRow) -> Double) -> [BarSeries] {
      EngineLibrary.allCases.map { lib in
        BarSeries(
          name: lib.label,
          values: models.map { m in
            first { $0.label == m && $0.library == lib.rawValue }.map(value) ?? .nan
          })
      }
    }
    return [
      (
        "engine-breakdown-speed",
        GroupedBarChart(
          title: "Optimisation breakdown: speed on this host (Fig. 5)", categories: models,
          series: series { Double($0.macs) / $0.latencyMilliseconds / 1e3 },
          yLabel: "million MAC/s", showValues: true)
      ),
      (
        "engine-breakdown-sram",
        GroupedBarChart(
          title: "Optimisation breakdown: peak SRAM (Fig. 5)", categories: models,
          series: series { Double($0.peakSRAMBytes) / 1024 }, yLabel: "peak SRAM (kB)",
          showValues: true)
      ),
    ]
  }

  public func engineChart() -> GroupedBarChart {
    let models = modelOrder
    let libraries = ["generated", "interpreter"].filter { lib in contains { $0.library == lib } }
    return GroupedBarChart(
      title: "Latency per inference on this host", categories: models,
      series: libraries.map { lib in
        BarSeries(
          name: lib,
          values: models.map { m in
            first { $0.label == m && $0.library == lib }?.latencyMilliseconds ?? .nan
          })
      }, yLabel: "latency (ms)", showValues: true)
  }
}

/// `repro engine`: generated C vs the interpreter baseline on the zoo models (paper Fig. 4–6,
/// TinyEngine README table). Writes `<out>/engine/`.
public func runEngineExperiment(
  profile: Profile, out: String, configPath: String? = nil, keepProgramsIn keep: String? = nil,
  showProgress: Bool = true
) throws -> (rows: [EngineRow], files: [String]) {
  let provenance = Provenance.current()
  let config = try loadExperimentConfig(
    EngineConfig.self, experiment: "engine", profile: profile, path: configPath,
    builtIn: EngineConfig.builtIn)
  let rows = try measureEngine(
    config, keepProgramsIn: keep,
    progress: ProgressReporter(
      "engine", total: config.models.count + config.int4Models.count, enabled: showProgress))
  let output = ExperimentOutput(
    experiment: "engine", profile: profile, configJSON: jsonString(config), seed: config.seed,
    dataset: "none (seeded random weights and inputs, paper-scale models)", provenance: provenance)
  let files = try output.write(
    to: out, table: rows.engineTable(), markdown: rows.engineMarkdown(),
    figures: [("engine", rows.engineChart())] + rows.breakdownCharts())
  return (rows, files)
}
