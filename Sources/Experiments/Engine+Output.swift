import Foundation
import ReproIO

extension [EngineRow] {
  /// One row per (model, library), DESIGN.md §4 columns.
  public func engineTable() -> ResultTable {
    ResultTable(columns: [
      Column("model", .strings(map(\.model)), description: "zoo model id (seeded random weights)"),
      Column(
        "library", .strings(map(\.library)),
        description: "generated (TinyEngine-style C) or interpreter"),
      Column("quant", .strings(map { _ in "int8" }), description: "arithmetic"),
      Column("resolution", .ints(map { Int64($0.resolution) }), unit: "px"),
      Column("macs", .ints(map { Int64($0.macs) }), unit: "MAC"),
      Column(
        "latency_ms", .doubles(map(\.latencyMilliseconds)), unit: "ms",
        description: "median invoke time on this host (x86-64), timed inside the C program"),
      Column("latency_min_ms", .doubles(map(\.latencyMinMilliseconds)), unit: "ms"),
      Column(
        "instructions", .doubles(map { _ in .nan }),
        description: "callgrind instruction count (not measured by this run)"),
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

  public func engineMarkdown() -> String {
    var text = "# Generated code vs interpreter on this host (x86-64, seeded random weights)\n\n"
    text += "Latency is the median of the timed invokes; compare ratios with the paper, not ms.\n\n"
    let rows = map { r in
      [
        r.model, r.library, String(format: "%.1f", Double(r.macs) / 1e6),
        String(format: "%.2f", r.latencyMilliseconds),
        String(format: "%.1f", Double(r.peakSRAMBytes) / 1024),
        String(format: "%.1f", Double(r.flashBytes) / 1024), r.bitExact ? "yes" : "NO",
        r.paperLatencyMilliseconds.map { String(format: "%.0f", $0) } ?? "–",
      ]
    }
    text += markdownTable(
      header: [
        "model", "library", "MACs (M)", "latency (ms)", "SRAM (kB)", "Flash (kB)", "bit-exact",
        "paper latency (ms, H743; TinyEngine / TFLM)",
      ], rows: rows, alignments: [Alignment.left, .left] + [Alignment](repeating: .right, count: 6))
    var ratios: [String] = []
    var models: [String] = []
    for r in self where !models.contains(r.model) { models.append(r.model) }
    for m in models {
      guard let g = first(where: { $0.model == m && $0.library == "generated" }),
        let i = first(where: { $0.model == m && $0.library == "interpreter" })
      else { continue }
      var line = String(
        format:
          "- %@: interpreter / generated: latency %.2f×, SRAM %.2f×, Flash %.2f×",
        m, i.latencyMilliseconds / g.latencyMilliseconds,
        Double(i.peakSRAMBytes) / Double(g.peakSRAMBytes),
        Double(i.flashBytes) / Double(g.flashBytes))
      if let pt = paperLatency[m], let tflm = pt.tflm {
        line += String(
          format: " (paper, TFLM / TinyEngine on STM32H743: %.1f×)", tflm / pt.tinyEngine)
      }
      ratios.append(line)
    }
    if !ratios.isEmpty { text += "\n\n" + ratios.joined(separator: "\n") + "\n" }
    return text
  }

  public func engineChart() -> GroupedBarChart {
    var models: [String] = []
    for r in self where !models.contains(r.model) { models.append(r.model) }
    let libraries = ["generated", "interpreter"].filter { lib in contains { $0.library == lib } }
    return GroupedBarChart(
      title: "Latency per inference on this host", categories: models,
      series: libraries.map { lib in
        BarSeries(
          name: lib,
          values: models.map { m in
            first { $0.model == m && $0.library == lib }?.latencyMilliseconds ?? .nan
          })
      }, yLabel: "latency (ms)", showValues: true)
  }
}

/// `repro engine`: generated C vs the interpreter baseline on the zoo models (paper Fig. 4–6,
/// TinyEngine README table). Writes `<out>/engine/`.
public func runEngineExperiment(
  profile: Profile, out: String, configPath: String? = nil, showProgress: Bool = true
) throws -> (rows: [EngineRow], files: [String]) {
  let provenance = Provenance.current()
  let config = try loadExperimentConfig(
    EngineConfig.self, experiment: "engine", profile: profile, path: configPath,
    builtIn: EngineConfig.builtIn)
  let rows = try measureEngine(
    config, progress: ProgressReporter("engine", total: config.models.count, enabled: showProgress))
  let output = ExperimentOutput(
    experiment: "engine", profile: profile, configJSON: jsonString(config), seed: config.seed,
    dataset: "none (seeded random weights and inputs, paper-scale models)", provenance: provenance)
  let files = try output.write(
    to: out, table: rows.engineTable(), markdown: rows.engineMarkdown(),
    figures: [("engine", rows.engineChart())])
  return (rows, files)
}
