// Deploy+Output.swift
// The files of `repro deploy` (Deploy.swift): deploy.h5 (DESIGN.md §4: one /table row per bit
// width, /models/<model>-<quant> with the netconfig, the generated program's manifest and a
// per-layer table of kernels, plan offsets and quantization), deploy.md, deploy.csv and the
// top-1 bar chart (float vs quantized reference vs generated C).

import CodeGen
import Foundation
import ReproIO

/// Writes `<out>/deploy/` and returns the paths written.
func writeDeployOutputs(
  _ result: DeployResult, config: DeployConfig, trainConfig: TrainRunConfig, profile: Profile,
  out: String, provenance: Provenance
) throws -> [String] {
  // The resolved configuration: the training run's settings where they replaced the config's.
  var resolved = config
  resolved.train = trainConfig
  let output = ExperimentOutput(
    experiment: "deploy", profile: profile, configJSON: jsonString(resolved),
    seed: trainConfig.seed, dataset: result.dataset, provenance: provenance)
  return try output.write(
    to: out, table: result.table(), models: try result.modelRecords(),
    markdown: result.markdown(), figures: [("deploy", result.chart())])
}

extension DeployResult {
  /// One row per bit width (DESIGN.md §4 columns).
  public func table() -> ResultTable {
    func percent(_ value: (DeployRow) -> Double) -> ColumnValues {
      .doubles(rows.map { 100 * value($0) })
    }
    func ints(_ value: (DeployRow) -> Int) -> ColumnValues { .ints(rows.map { Int64(value($0)) }) }
    return ResultTable(columns: [
      Column("model", .strings(rows.map(\.model)), description: "zoo id, config or builder"),
      Column("dataset", .strings(rows.map(\.dataset)), description: "data, split sizes"),
      Column("quant", .strings(rows.map(\.quant)), description: "int8 or int4 (packed)"),
      Column("calibration", .strings(rows.map(\.calibration)), description: "range method"),
      Column("calibration_images", ints(\.calibrationImages), description: "training images"),
      Column("resolution", ints { $0.inputShape[0] }, unit: "px", description: "input height"),
      Column(
        "input_shape", .strings(rows.map { $0.inputShape.map(String.init).joined(separator: "×") }),
        description: "one image, H×W×C"),
      Column("macs", ints(\.macs), unit: "MAC"),
      Column("params", ints(\.params)),
      Column(
        "float_top1", percent(\.floatTop1), unit: "%",
        description: "trained float32 model (Swift, inference mode) on the test images"),
      Column(
        "quant_top1", percent(\.quantTop1), unit: "%",
        description: "Swift integer reference (IntegerInterpreter); ties: lowest class"),
      Column(
        "generated_top1", percent(\.generatedTop1), unit: "%",
        description: "generated C program, compiled with cc and run on the same images"),
      Column(
        "agree", ints(\.agree),
        description: "test images whose generated output bytes equal the reference's"),
      Column("test_images", ints(\.testImages), description: "first N of the validation split"),
      Column(
        "mismatch_indices",
        .strings(rows.map { $0.mismatches.map(String.init).joined(separator: " ") }),
        description: "test images where generated and reference differ (first 100)"),
      Column(
        "peak_sram_bytes", ints(\.peakSRAMBytes), unit: "B",
        description: "arena of the generated code: activations + kernel scratch"),
      Column(
        "flash_bytes", ints(\.flashBytes), unit: "B",
        description: "text + rodata + data of the model and the kernels it links"),
      Column(
        "latency_ms", .doubles(rows.map(\.latencyMilliseconds)), unit: "ms",
        description: "median invoke on this host (x86-64), first test image"),
      Column("latency_min_ms", .doubles(rows.map(\.latencyMinMilliseconds)), unit: "ms"),
      Column("run", .strings(rows.map { _ in run }), description: "training run"),
      Column("weights", .strings(rows.map { _ in weightsPath }), description: "weights.h5 read"),
    ])
  }

  /// The printed table.
  public func markdown() -> String {
    let calibration = rows.first.map { "\($0.calibration), \($0.calibrationImages)" } ?? "–"
    var text = "# Deployment of \(modelID) (training run \(run))\n\n"
    text += "Data: \(dataset).\n\n"
    text += "Trained float model → BN folding → calibration (\(calibration) training images) → "
    text += "post-training quantization → the Swift integer reference and the generated C, both "
    text += "on the same test images. *agree*: images whose generated-code output bytes equal "
    text += "the reference's. Weights: \(weightsPath)"
    text += trained ? " (trained by this run).\n\n" : ".\n\n"
    let table = rows.map { r in
      [
        r.quant, String(format: "%.2f", 100 * r.floatTop1),
        String(format: "%.2f", 100 * r.quantTop1), String(format: "%.2f", 100 * r.generatedTop1),
        "\(r.agree)/\(r.testImages)", String(format: "%.1f", Double(r.peakSRAMBytes) / 1024),
        String(format: "%.1f", Double(r.flashBytes) / 1024),
        String(format: "%.3f", r.latencyMilliseconds),
      ]
    }
    text += markdownTable(
      header: [
        "quant", "float top-1 %", "quantized top-1 % (Swift)", "generated top-1 % (C)", "agree",
        "SRAM (kB)", "Flash (kB)", "latency (ms)",
      ], rows: table, alignments: [Alignment.left] + [Alignment](repeating: .right, count: 7))
    for r in rows where !r.bitExact {
      text += "\n\n\(r.quant): generated output differs from the reference on "
      text += "\(r.testImages - r.agree) images, e.g. "
      text += r.mismatches.prefix(20).map(String.init).joined(separator: ", ")
    }
    return text + "\n"
  }

  /// Top-1 per bit width: float, quantized reference, generated C.
  public func chart() -> GroupedBarChart {
    GroupedBarChart(
      title: "\(modelID): top-1 after deployment", categories: rows.map(\.quant),
      series: [
        BarSeries(name: "float (Swift)", values: rows.map { 100 * $0.floatTop1 }),
        BarSeries(name: "quantized (Swift reference)", values: rows.map { 100 * $0.quantTop1 }),
        BarSeries(name: "generated C", values: rows.map { 100 * $0.generatedTop1 }),
      ], yLabel: "top-1 (%)", showValues: true, size: ChartSize(width: 560, height: 400))
  }

  /// `/models/<model>-<quant>`: the netconfig, the manifest and the per-layer table.
  func modelRecords() throws -> [ModelRecord] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return try rows.map { r in
      let params = Dictionary(zip(r.nodes, r.outputParams), uniquingKeysWith: { a, _ in a })
      let layers = r.manifest.layers
      let table = ResultTable(columns: [
        Column("node", .strings(layers.map(\.node))),
        Column("op", .strings(layers.map(\.op))),
        Column("kernel", .strings(layers.map(\.kernel)), description: "C function"),
        Column("in_place", .ints(layers.map { $0.inPlace ? 1 : 0 })),
        Column(
          "output_offset", .ints(layers.map { Int64($0.outputOffset) }), unit: "B",
          description: "arena offset of the output"),
        Column("output_bytes", .ints(layers.map { Int64($0.outputBytes) }), unit: "B"),
        Column("scratch_bytes", .ints(layers.map { Int64($0.scratchBytes) }), unit: "B"),
        Column(
          "output_scale", .doubles(layers.map { Double(params[$0.node]?.scale ?? .nan) })),
        Column(
          "output_zero_point", .ints(layers.map { Int64(params[$0.node]?.zeroPoint ?? 0) })),
      ])
      return ModelRecord(
        id: "\(r.model)-\(r.quant)",
        attributes: [
          "netconfig_json": .string(netConfigJSON), "quant": .string(r.quant),
          "manifest_json": .string(String(decoding: try encoder.encode(r.manifest), as: UTF8.self)),
          "planner": .string(r.manifest.planner),
          "arena_bytes": .int(Int64(r.manifest.arenaBytes)),
        ], tables: ["layers": table])
    }
  }
}
