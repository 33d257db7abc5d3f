import Foundation
import MemoryPlanner
import ModelIR
import ReproIO

extension MemoryResult {
  /// One row per (model, library), DESIGN.md §4 columns.
  public func table() -> ResultTable {
    func ints(_ f: (MemoryRow) -> Int) -> ColumnValues { .ints(rows.map { Int64(f($0)) }) }
    return ResultTable(columns: [
      Column("model", .strings(rows.map(\.model)), description: "zoo model id"),
      Column(
        "library", .strings(rows.map(\.library)),
        description: "memory model: interpreter (TFLM), tinyengine, ours, bound, bound_inplace"),
      Column("quant", .strings(rows.map(\.precision.rawValue)), description: "int8 or int4"),
      Column("width", .doubles(rows.map(\.width)), description: "width multiplier w"),
      Column("resolution", ints(\.resolution), unit: "px", description: "input resolution r"),
      Column("macs", ints(\.macs), unit: "MAC", description: "multiply-accumulates"),
      Column("params", ints(\.params), description: "trainable parameters (weights, biases, BN)"),
      Column(
        "act_bytes", ints(\.actBytes), unit: "B",
        description: "MIT's Act: max layer input + output (+ residual input)"),
      Column(
        "flash_bytes", ints(\.flashBytes), unit: "B",
        description: "weights + int32 bias + int32 scale per output channel"),
      Column(
        "arena_bytes", ints(\.arenaBytes), unit: "B",
        description: "planned activation arena (scratch included for ours and the bounds)"),
      Column(
        "scratch_bytes", ints(\.scratchBytes), unit: "B",
        description: "im2col + kernel buffers reserved on top of the arena"),
      Column(
        "runtime_bytes", ints(\.runtimeBytes), unit: "B",
        description: "persistent interpreter data (InterpreterOverheadModel)"),
      Column(
        "peak_sram_bytes", ints(\.peakSRAMBytes), unit: "B",
        description: "arena + scratch + runtime"),
      Column(
        "paper_peak_sram_bytes",
        .doubles(rows.map { $0.paperPeakSRAMBytes.map(Double.init) ?? .nan }), unit: "B",
        description: "published peak SRAM (kB × 1024), NaN where none"),
      Column(
        "paper_source", .strings(rows.map(\.paperSource)),
        description: "where the paper number is from"),
      Column(
        "diff_percent",
        .doubles(
          rows.map { r in
            r.paperPeakSRAMBytes.map { 100 * Double(r.peakSRAMBytes - $0) / Double($0) } ?? .nan
          }), unit: "%", description: "(ours − paper) / paper"),
      Column(
        "gap_to_bound_percent", .doubles(rows.map(\.gapToBoundPercent)), unit: "%",
        description: "(peak − in-place lower bound) / in-place lower bound"),
      Column(
        "proven_optimal", ints { $0.provenOptimal ? 1 : 0 },
        description: "1 if the arena is proven optimal for its problem"),
      Column(
        "plan_valid", ints { $0.planValid ? 1 : 0 },
        description: "1 if no two simultaneously live buffers overlap in the plan"),
    ])
  }

  /// Live bytes per step of the in-place execution, one curve per model.
  public func curves() -> [Curve] {
    rows.map(\.model).uniqued().compactMap { id in
      guard let live = liveProfiles[id] else { return nil }
      return Curve(
        name: "live_bytes_\(id)", x: live.indices.map(Double.init), y: live.map(Double.init),
        attributes: ["unit": "B", "description": "activation + scratch bytes live at each step"])
    }
  }

  /// `/models/<id>`: the config, a per-layer table and both plans.
  public func modelRecords() throws -> [ModelRecord] {
    try rows.map(\.model).uniqued().compactMap { id in
      guard let graph = graphs[id], let model = ModelZoo.model(id), let plan = plans[id] else {
        return nil
      }
      let layers = graph.nodes.indices.dropFirst()
      let layerTable = ResultTable(columns: [
        Column("name", .strings(layers.map { graph.nodes[$0].name })),
        Column("op", .strings(layers.map { graph.nodes[$0].op.kindName })),
        Column(
          "output_shape", .strings(layers.map { graph.nodes[$0].outputShape.description })),
        Column("macs", .ints(layers.map { Int64(graph.cost(ofNode: $0).macs) }), unit: "MAC"),
        Column("params", .ints(layers.map { Int64(graph.cost(ofNode: $0).params) })),
      ])
      func planTable(_ p: MemoryPlan) -> ResultTable {
        ResultTable(columns: [
          Column("buffer", .strings(p.problem.buffers.map(\.name))),
          Column("kind", .strings(p.problem.buffers.map(\.kind.rawValue))),
          Column("size_bytes", .ints(p.problem.buffers.map { Int64($0.size) }), unit: "B"),
          Column("first_step", .ints(p.problem.buffers.map { Int64($0.firstStep) })),
          Column("last_step", .ints(p.problem.buffers.map { Int64($0.lastStep) })),
          Column("offset_bytes", .ints(p.offsets.map(Int64.init)), unit: "B"),
        ])
      }
      return ModelRecord(
        id: id,
        attributes: [
          "netconfig_json": .string(try model.config.jsonString()),
          "precision": .string(model.precision.rawValue),
        ],
        tables: [
          "layers": layerTable, "plan_tinyengine": planTable(plan.tinyEngine),
          "plan_ours": planTable(plan.ours),
        ])
    }
  }

  /// The printed table: ours beside the published numbers, KiB with one decimal.
  public func markdown() throws -> String {
    func kb(_ b: Int?) -> String { b.map { String(format: "%.1f", Double($0) / 1024) } ?? "–" }
    func diff(_ r: MemoryRow?) -> String {
      guard let r, let p = r.paperPeakSRAMBytes else { return "–" }
      return String(format: "%+.1f%%", 100 * Double(r.peakSRAMBytes - p) / Double(p))
    }
    var lines: [[String]] = []
    for id in rows.map(\.model).uniqued() {
      let r = rows.filter { $0.model == id }
      func peak(_ lib: String) -> MemoryRow? { r.first { $0.library == lib } }
      guard let first = r.first else { continue }
      let interp = peak("interpreter")
      let te = peak("tinyengine")
      let ours = peak("ours")
      lines.append([
        id, first.precision.rawValue, String(format: "%.1f", Double(first.macs) / 1e6),
        String(format: "%.3f", Double(first.params) / 1e6), kb(first.actBytes),
        kb(first.flashBytes),
        kb(interp?.peakSRAMBytes), kb(interp?.paperPeakSRAMBytes), diff(interp),
        kb(te?.peakSRAMBytes), kb(te?.paperPeakSRAMBytes), diff(te),
        kb(ours?.peakSRAMBytes) + ((ours?.provenOptimal ?? false) ? "*" : ""),
        kb(peak("bound_inplace")?.peakSRAMBytes), kb(peak("bound")?.peakSRAMBytes),
      ])
    }
    let header = [
      "model", "quant", "MACs (M)", "params (M)", "Act (kB)", "Flash (kB)", "TFLM ours",
      "TFLM paper",
      "TFLM diff", "TinyEngine ours", "TinyEngine paper", "TE diff", "Ours", "bound (in-place)",
      "bound",
    ]
    var text = "# Peak SRAM of the released models (kB = 1024 B)\n\n"
    text += "Analytic at paper scale (no data needed). Paper columns: TinyEngine README, STM32H743 "
    text += "(TFLM and TinyEngine peak SRAM). `*`: proven optimal for its problem.\n\n"
    text += markdownTable(
      header: header, rows: lines,
      alignments: [.left, .left] + Array(repeating: .right, count: header.count - 2))
    return text
  }

  /// Grouped bars of peak SRAM per model under each memory model, the in-place bound marked.
  public func chart() -> GroupedBarChart {
    let ids = rows.map(\.model).uniqued()
    func values(_ lib: String) -> [Double] {
      ids.map { id in
        rows.first { $0.model == id && $0.library == lib }.map { Double($0.peakSRAMBytes) / 1024 }
          ?? .nan
      }
    }
    return GroupedBarChart(
      title: "Peak SRAM of the released MCUNet models by memory model",
      categories: ids,
      series: [
        BarSeries(name: "interpreter (TFLM model)", values: values("interpreter")),
        BarSeries(name: "TinyEngine scheduler", values: values("tinyengine")),
        BarSeries(name: "ours (joint plan)", values: values("ours")),
      ],
      yLabel: "peak SRAM (kB)",
      marker: GroupMarker(label: "lower bound (in-place)", values: values("bound_inplace")),
      referenceLines: [
        ReferenceLine(value: 320, label: "320 kB (STM32F746)"),
        ReferenceLine(value: 512, label: "512 kB (STM32H743)"),
      ])
  }
}

extension Array where Element: Hashable {
  /// The elements in first-seen order without repeats.
  func uniqued() -> [Element] {
    var seen = Set<Element>()
    return filter { seen.insert($0).inserted }
  }
}

extension MemoryResult {
  /// ASCII diagrams of the TinyEngine and our plans of every model (`MCU_DEBUG=1`).
  public func planDiagrams() -> String {
    rows.map(\.model).uniqued().compactMap { id in
      plans[id].map { p in
        "== \(id): TinyEngine\n\(p.tinyEngine.asciiDiagram())\n== \(id): ours\n\(p.ours.asciiDiagram())"
      }
    }.joined(separator: "\n")
  }
}
