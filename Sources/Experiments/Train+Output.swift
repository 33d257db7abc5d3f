// Train+Output.swift
// The files of one `repro train` run (layout in Train.swift): results file, Markdown/CSV row,
// weights file and the learning curves.

import Foundation
import ModelIR
import ReproIO
import Training

/// Writes train.h5, train.md, train.csv, weights.h5 and the curves; returns the paths.
func writeTrainOutputs(
  _ result: TrainRunResult, trainer: Trainer, netConfig: NetConfig, config: TrainRunConfig,
  profile: Profile, provenance: Provenance
) throws -> [String] {
  let directory = result.directory
  let output = ExperimentOutput(
    experiment: "train", profile: profile, configJSON: jsonString(config), seed: config.seed,
    dataset: result.dataset, provenance: provenance)
  var attributes = output.attributes
  attributes["run"] = .string(result.run)
  attributes["blas_core"] = .string(result.blasCore)
  let table = result.table(config: config)
  let record = try modelRecord(result, graph: trainer.model.graph, netConfig: netConfig)
  var files: [String] = []
  let h5 = "\(directory)/train.h5"
  try ResultsFile(
    attributes: attributes, table: table, curves: result.curves(), models: [record]
  ).write(to: h5)
  files.append(h5)
  let md = "\(directory)/train.md"
  try AtomicFile.write(try result.markdown(table), to: md)
  let csv = "\(directory)/train.csv"
  try AtomicFile.write(try table.csv(), to: csv)
  files += [md, csv]

  let weights = "\(directory)/weights.h5"
  let tensors = trainer.model.exportedTensors().map {
    NamedTensor(name: $0.name, shape: $0.tensor.shape.dims, values: $0.tensor.storage)
  }
  try TensorFile.write(
    tensors,
    attributes: [
      "model": .string(result.modelID), "run": .string(result.run),
      "netconfig_json": .string(try netConfig.jsonString()),
      "resolution": .int(Int64(result.resolution)),
      "input_shape": .string(result.inputShape.map(String.init).joined(separator: "×")),
      "git_commit": .string(provenance.gitCommit),
      "layout": .string("conv OHWI [cOut, kH, kW, cIn]; depthwise [kH, kW, C]; linear [out, in]"),
    ], to: weights)
  files.append(weights)
  for (name, chart) in result.charts() {
    for ext in ["png", "pdf"] {
      let path = "\(directory)/\(name).\(ext)"
      try chart.write(to: path)
      files.append(path)
    }
  }
  return files
}

/// `/models/<id>`: the config and a per-layer table of the trained graph.
private func modelRecord(_ result: TrainRunResult, graph: Graph, netConfig: NetConfig) throws
  -> ModelRecord
{
  let layers = Array(graph.nodes.indices.dropFirst())
  let table = ResultTable(columns: [
    Column("name", .strings(layers.map { graph.nodes[$0].name })),
    Column("op", .strings(layers.map { graph.nodes[$0].op.kindName })),
    Column("output_shape", .strings(layers.map { graph.nodes[$0].outputShape.description })),
    Column("macs", .ints(layers.map { Int64(graph.cost(ofNode: $0).macs) }), unit: "MAC"),
    Column("params", .ints(layers.map { Int64(graph.cost(ofNode: $0).params) })),
  ])
  return ModelRecord(
    id: result.modelID, attributes: ["netconfig_json": .string(try netConfig.jsonString())],
    tables: ["layers": table])
}

extension TrainRunResult {
  /// The one-row results table.
  func table(config: TrainRunConfig) -> ResultTable {
    let last = history.last
    let seconds = history.map(\.seconds)
    let meanSeconds = seconds.isEmpty ? Double.nan : seconds.reduce(0, +) / Double(seconds.count)
    return ResultTable(columns: [
      Column("model", .strings([modelID]), description: "zoo id, config file or builder"),
      Column("dataset", .strings([dataset]), description: "data, classes, split sizes"),
      Column(
        "resolution", .ints([Int64(resolution)]), unit: "px",
        description: "input side; for non-square input (speech MFCC) its height"),
      Column(
        "input_shape", .strings([inputShape.map(String.init).joined(separator: "×")]),
        description: "one sample, H×W×C"),
      Column("epochs", .ints([Int64(history.count)])),
      Column("batch", .ints([Int64(config.batchSize)])),
      Column("macs", .ints([Int64(macs)]), unit: "MAC"),
      Column("params", .ints([Int64(params)])),
      Column(
        "top1", .doubles([100 * finalTop1]), unit: "%",
        description: "validation top-1 after the last epoch (float32)"),
      Column(
        "best_top1", .doubles([100 * (history.compactMap(\.validationTop1).max() ?? .nan)]),
        unit: "%", description: "best validation top-1 over the epochs"),
      Column("train_loss", .doubles([last?.trainLoss ?? .nan]), description: "last epoch mean"),
      Column("val_loss", .doubles([last?.validationLoss ?? .nan]), description: "last epoch"),
      Column(
        "seconds_per_epoch", .doubles([meanSeconds]), unit: "s",
        description: "mean wall-clock time of the training steps of an epoch"),
      Column("blas_core", .strings([blasCore]), description: "OpenBLAS kernels"),
    ])
  }

  /// /curves: per-epoch training and validation numbers (x = epoch, 1-based).
  func curves() -> [Curve] {
    let x = history.map { Double($0.epoch + 1) }
    func curve(_ name: String, _ y: [Double], _ description: String) -> Curve {
      Curve(
        name: name, x: x, y: y,
        attributes: ["x_label": "epoch", "description": .string(description)])
    }
    return [
      curve("train_loss", history.map(\.trainLoss), "mean training loss over the epoch"),
      curve("val_top1", history.map { 100 * ($0.validationTop1 ?? .nan) }, "validation top-1 %"),
      curve("train_top1", history.map { 100 * $0.trainTop1 }, "training top-1 % during the epoch"),
      curve("val_loss", history.map { $0.validationLoss ?? .nan }, "validation loss"),
      curve("learning_rate", history.map(\.learningRate), "learning rate of the epoch's last step"),
    ]
  }

  /// The learning curves: loss and top-1 per epoch.
  func charts() -> [(String, any Chart)] {
    let c = Dictionary(uniqueKeysWithValues: curves().map { ($0.name, $0) })
    func series(_ name: String, _ label: String) -> [LineSeries] {
      guard let curve = c[name] else { return [] }
      var s = LineSeries(curve, style: .lineAndPoints)
      s.name = label
      return [s]
    }
    let loss = LinePlot(
      title: "\(modelID) \(inputTag): loss", xLabel: "epoch", yLabel: "cross-entropy",
      series: series("train_loss", "train") + series("val_loss", "validation"))
    let top1 = LinePlot(
      title: "\(modelID) \(inputTag): top-1", xLabel: "epoch", yLabel: "top-1 (%)",
      series: series("train_top1", "train (during the epoch)") + series("val_top1", "validation"))
    return [("learning_curve", loss), ("accuracy_curve", top1)]
  }

  /// The printed summary: the one-row table and the per-epoch history.
  func markdown(_ table: ResultTable) throws -> String {
    let epochs = history.map { r -> [String] in
      [
        "\(r.epoch + 1)", String(format: "%.4f", r.trainLoss),
        String(format: "%.2f", 100 * r.trainTop1),
        r.validationLoss.map { String(format: "%.4f", $0) } ?? "–",
        r.validationTop1.map { String(format: "%.2f", 100 * $0) } ?? "–",
        String(format: "%.4g", r.learningRate), String(format: "%.1f", r.seconds),
      ]
    }
    return "Training run \(run) (\(dataset))\n\n" + (try table.markdown()) + "\n"
      + markdownTable(
        header: ["epoch", "train loss", "train top-1 %", "val loss", "val top-1 %", "lr", "s"],
        rows: epochs, alignments: Array(repeating: .right, count: 7))
  }
}
