// DeployExperimentTests.swift
// `repro deploy` end to end at smoke size: a model trained on synthetic data is quantized,
// generated, compiled and run on the test images, and the generated code agrees with the Swift
// integer reference on every image; weights load from a `repro train` run folder (int8 and
// int4); the same weights give the same results; missing, damaged and mismatched weights,
// data of another shape and an unwritable output folder are named with a fix.

import Foundation
import ModelIR
import ReproIO
import Testing
import Training

@testable import Experiments

@Suite struct DeployExperimentTests {
  /// Runs `body` with a fresh temporary directory that is removed afterwards.
  func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
    let path = NSTemporaryDirectory() + "deploy-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    try body(path)
  }

  /// The smoke profile, smaller still so the debug build trains it in a few seconds: one
  /// epoch of 2 batches, 16 test images.
  static func smokeConfig() -> DeployConfig {
    var config = DeployConfig.builtIn(.smoke)
    config.train.trainSamples = 32
    config.train.validationSamples = 16
    config.train.epochs = 1
    config.train.warmupEpochs = 0
    config.calibrationSamples = 16
    config.iterations = 3
    return config
  }

  /// `row` without its timings (the only numbers allowed to differ between runs).
  static func untimed(_ row: DeployRow) -> DeployRow {
    var r = row
    r.latencyMilliseconds = 0
    r.latencyMinMilliseconds = 0
    return r
  }

  /// The fields (by label) in which two row lists differ, with both values, for a failure
  /// message that says what changed.
  static func differences(_ a: [DeployRow], _ b: [DeployRow]) -> [String] {
    guard a.count == b.count else { return ["row count \(a.count) vs \(b.count)"] }
    var out: [String] = []
    for (x, y) in zip(a, b) where x != y {
      for (f, g) in zip(Mirror(reflecting: x).children, Mirror(reflecting: y).children)
      where String(describing: f.value) != String(describing: g.value) {
        out.append(
          "\(x.quant).\(f.label ?? "?"): \(String(describing: f.value).prefix(200)) vs "
            + "\(String(describing: g.value).prefix(200))")
      }
    }
    return out
  }

  @Test func smokeProfileTrainsThenDeploysInt8BitExactly() throws {
    try withTemporaryDirectory { out in
      let config = Self.smokeConfig()
      let result = try runDeploy(config, profile: .smoke, out: out, showProgress: false)
      let row = try #require(result.rows.first)
      #expect(result.rows.count == 1 && row.quant == "int8")
      #expect(result.trained)
      #expect(result.weightsPath == "\(out)/deploy/train/\(result.run)/weights.h5")
      #expect(row.testImages == 16 && row.agree == row.testImages, "\(row.mismatches)")
      #expect(row.generatedTop1 == row.quantTop1)
      #expect(abs(row.quantTop1 - row.floatTop1) <= 0.25, "int8 strays from float")
      #expect(row.calibrationImages == 16 && row.inputShape == [32, 32, 3])
      #expect(row.peakSRAMBytes == row.manifest.arenaBytes && row.peakSRAMBytes > 0)
      #expect(row.flashBytes > row.params, "int8 weights alone take a byte per parameter")
      #expect(row.latencyMilliseconds > 0)
      for name in ["deploy.h5", "deploy.md", "deploy.csv", "deploy.png", "deploy.pdf"] {
        #expect(result.files.contains("\(out)/deploy/\(name)"), "\(name)")
      }
      let file = try ResultsFile(contentsOf: "\(out)/deploy/deploy.h5")
      #expect(file.attributes["experiment"] == .string("deploy"))
      #expect(try file.table.strings("quant") == ["int8"])
      #expect(try file.table.ints("agree") == [16] && file.table.ints("test_images") == [16])
      #expect(try file.table.doubles("generated_top1") == [100 * row.generatedTop1])
      #expect(try file.table.ints("peak_sram_bytes") == [Int64(row.peakSRAMBytes)])
      let model = try #require(file.models.first)
      #expect(model.id == "mbv2-w0.35-int8")
      #expect(model.tables["layers"]?.rowCount == row.manifest.layers.count)
      #expect(
        try String(contentsOfFile: "\(out)/deploy/deploy.md", encoding: .utf8).contains(
          "| int8  |"))

      // The same weights, read back from the file: the same numbers (timings aside).
      var again = config
      again.weights = result.weightsPath
      let second = try runDeploy(again, profile: .smoke, out: out, showProgress: false)
      #expect(!second.trained)
      let differences = Self.differences(
        second.rows.map(Self.untimed), result.rows.map(Self.untimed))
      #expect(differences.isEmpty, "the second deploy differs: \(differences)")
    }
  }

  /// A run folder written by `repro train` (runTraining) at 16×16, given as a folder: its
  /// train.h5 supplies the data settings and the weights the input shape; int8 and packed int4
  /// both agree with the reference (compiled at -O0 here; the smoke test compiles at -O2).
  @Test func weightsFromATrainRunFolderDeployInt8AndInt4() throws {
    try withTemporaryDirectory { out in
      var config = Self.smokeConfig()
      config.train.resolution = 16
      config.optimization = "-O0"
      let run = try runTraining(config.train, profile: .smoke, out: out, showProgress: false)
      config.weights = run.directory
      config.train.validationSamples = 999  // replaced by the run's own train.h5
      config.testSamples = 8
      config.bitWidths = try DeployConfig.bitWidths(parsing: "int8,int4")
      let result = try runDeploy(config, profile: .smoke, out: out, showProgress: false)
      #expect(result.run == run.run)
      #expect(result.weightsPath == run.directory + "/weights.h5")
      #expect(result.dataset.contains("val 16"), "\(result.dataset)")
      #expect(result.rows.map(\.quant) == ["int8", "int4"])
      for row in result.rows {
        #expect(row.testImages == 8 && row.agree == 8, "\(row.quant): \(row.mismatches)")
        #expect(row.floatTop1 == result.rows[0].floatTop1 && row.inputShape == [16, 16, 3])
      }
      let int4 = result.rows[1]
      #expect(int4.manifest.precision == "int4")
      #expect(int4.peakSRAMBytes < result.rows[0].peakSRAMBytes, "packed activations")
      #expect(int4.flashBytes < result.rows[0].flashBytes, "packed weights")
    }
  }

  // MARK: - Errors

  /// Expects `runDeploy` to throw an error whose message contains every fragment.
  func expectDeployFails(
    _ config: DeployConfig, out: String, _ fragments: [String],
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    do {
      _ = try runDeploy(config, profile: .smoke, out: out, showProgress: false)
      Issue.record("deploy did not fail", sourceLocation: sourceLocation)
    } catch {
      for fragment in fragments {
        #expect("\(error)".contains(fragment), "\(error)", sourceLocation: sourceLocation)
      }
    }
  }

  /// A weights file of mbv2 at `width` with a smoke-sized 10-class head, as `repro train`
  /// writes it, but with the model's initial tensors (nothing here needs training).
  func writeWeights(to path: String, width: Double, netConfigWidth: Double? = nil) throws {
    var netConfig = scaledMobileNetV2(width: width, resolution: 32, classes: 10)
    let model = try GraphModel(graph: netConfig.makeGraph(resolution: 32))
    if let other = netConfigWidth {
      netConfig = scaledMobileNetV2(width: other, resolution: 32, classes: 10)
    }
    let tensors = model.exportedTensors().map {
      NamedTensor(name: $0.name, shape: $0.tensor.shape.dims, values: $0.tensor.storage)
    }
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try TensorFile.write(
      tensors,
      attributes: [
        "model": "mbv2", "netconfig_json": .string(try netConfig.jsonString()),
        "input_shape": "32×32×3",
      ], to: path)
  }

  @Test func missingAndDamagedWeightsAreNamedWithAFix() throws {
    try withTemporaryDirectory { out in
      var config = Self.smokeConfig()
      config.weights = "\(out)/no-such-run"
      expectDeployFails(
        config, out: out,
        ["weights '\(out)/no-such-run' do not exist", "or leave --weights out to train first"])
      config.weights = out  // a folder without weights.h5
      expectDeployFails(config, out: out, ["weights '\(out)/weights.h5' do not exist"])
      let damaged = "\(out)/damaged/weights.h5"
      try FileManager.default.createDirectory(
        atPath: "\(out)/damaged", withIntermediateDirectories: true)
      try Data("not hdf5 at all".utf8).write(to: URL(fileURLWithPath: damaged))
      config.weights = damaged
      expectDeployFails(
        config, out: out, ["weights '\(damaged)' cannot be read (not an HDF5 file)", "re-run"])
      let bare = "\(out)/bare/weights.h5"
      try FileManager.default.createDirectory(
        atPath: "\(out)/bare", withIntermediateDirectories: true)
      try TensorFile.write([NamedTensor(name: "w", shape: [1], values: [0])], to: bare)
      config.weights = bare
      expectDeployFails(config, out: out, ["have no 'netconfig_json' attribute"])
    }
  }

  @Test func weightsOfAnotherModelOrDataAreRefused() throws {
    try withTemporaryDirectory { out in
      var config = Self.smokeConfig()
      let other = "\(out)/other/weights.h5"
      // Tensors of mbv2-w0.5 labelled with the netconfig of mbv2-w0.35.
      try writeWeights(to: other, width: 0.5, netConfigWidth: 0.35)
      config.weights = other
      expectDeployFails(
        config, out: out,
        [
          "weights '\(other)' do not match model 'mbv2'", "has shape", "but the model needs",
        ])
      let fitting = "\(out)/fitting/weights.h5"
      try writeWeights(to: fitting, width: 0.35)
      config.weights = fitting
      config.train.classes = 5
      expectDeployFails(
        config, out: out,
        [
          "the data does not fit the weights", "gives 5 classes of 32×32×3 inputs",
          "the model has 10 classes",
        ])
    }
  }

  @Test func badOptionsAndAnUnwritableOutputFailBeforeAnyWork() throws {
    try withTemporaryDirectory { out in
      let blocker = "\(out)/file"
      try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
      expectDeployFails(
        Self.smokeConfig(), out: "\(blocker)/results",
        ["cannot create results folder", "Pass a writable folder with --out"])
      var config = Self.smokeConfig()
      config.calibration = "median"
      expectDeployFails(config, out: out, ["deploy option calibration = median is invalid"])
      config = Self.smokeConfig()
      config.calibrationSamples = 0
      expectDeployFails(config, out: out, ["calibrationSamples = 0"])
      #expect(throws: DeployError.self) { try DeployConfig.bitWidths(parsing: "int8,int2") }
      #expect(
        try DeployConfig.bitWidths(parsing: "int4, int8").map(\.rawValue) == ["int4", "int8"])
      #expect(!FileManager.default.fileExists(atPath: "\(out)/deploy"), "nothing was written")
    }
  }

  @Test func committedConfigEqualsBuiltIn() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().path
    for profile in Profile.allCases {
      let loaded = try loadExperimentConfig(
        DeployConfig.self, experiment: "deploy", profile: profile,
        path: root + "/experiments/deploy.json", builtIn: DeployConfig.builtIn)
      #expect(loaded == DeployConfig.builtIn(profile), "\(profile)")
      #expect(loaded.train == TrainRunConfig.builtIn(profile), "the train profile of \(profile)")
    }
  }
}
