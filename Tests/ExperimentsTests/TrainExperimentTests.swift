// TrainExperimentTests.swift
// `repro bench train` and `repro train` end to end at smoke size: the files exist and read
// back (results table, curves, weights named after the IR), a finished run resumed from its
// checkpoint rewrites the same weights, and bad options are named with a fix.

import Foundation
import ModelIR
import ReproIO
import Testing
import Training
import _TestSupport

@testable import Experiments

@Suite struct TrainExperimentTests {
  func temporaryDirectory() throws -> String {
    let dir = NSTemporaryDirectory() + "train-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  static var root: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
  }

  @Test func benchTrainSmokeWritesTheThroughputTable() throws {
    let out = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: out) }
    let (result, files) = try runBenchTrain(profile: .smoke, out: out, showProgress: false)
    for name in ["bench-train.h5", "bench-train.md", "bench-train.csv", "bench-train.png"] {
      #expect(files.contains("\(out)/bench-train/\(name)"))
    }
    let file = try ResultsFile(contentsOf: "\(out)/bench-train/bench-train.h5")
    #expect(try file.table.strings("model") == ["mbv2-w0.35", "mcunet-in3"])
    #expect(try file.table.ints("resolution") == [32, 32])
    #expect(try file.table.doubles("images_per_s").allSatisfy { $0 > 0 })
    #expect(try file.table.doubles("pytorch_images_per_s").allSatisfy(\.isNaN), "no anchor at r32")
    #expect(try file.table.strings("blas_core") == [result.blasCore, result.blasCore])
    #expect(!result.blasCore.isEmpty)
    // One epoch of `repro train --profile smoke` (synthetic data: always there).
    let epoch = try #require(result.epoch)
    #expect(epoch.profile == .smoke && epoch.model == "mbv2-w0.35" && epoch.seconds > 0)
    #expect(epoch.images == TrainRunConfig.builtIn(.smoke).trainSamples)
    let record = try #require(file.models.first { $0.id == "mbv2-w0.35" })
    let table = try #require(record.tables["epoch"])
    #expect(try table.doubles("epoch_s") == [epoch.seconds])
    #expect(try table.ints("images") == [Int64(epoch.images)])
  }

  @Test func anEpochWithoutItsDataSaysWhyInTheTable() {
    let result = BenchTrainResult(
      rows: [], epochSkipped: "the imagenet proxy (default) is not prepared", blasCore: "Zen",
      blasThreads: 2)
    #expect(result.markdown().contains("not timed (the imagenet proxy (default) is not prepared)"))
    #expect(result.epochRecords().isEmpty)
    #expect(result.pytorchSeriesName == "PyTorch CPU (not measured)")
  }

  @Test func pytorchAnchorsAreTheAnchorsFile() {
    #expect(PyTorchTrainingAnchors.value(model: "mbv2-w0.35", resolution: 144, batch: 64) == 144)
    #expect(PyTorchTrainingAnchors.value(model: "mcunet-in3", resolution: 48, batch: 64) == 486)
    #expect(PyTorchTrainingAnchors.value(model: "mcunet-in3", resolution: 48, batch: 32) == nil)
  }

  static func smokeConfig() -> TrainRunConfig {
    var config = TrainRunConfig.builtIn(.smoke)
    config.trainSamples = 32
    config.validationSamples = 16
    return config
  }

  @Test func trainSmokeWritesCurvesTableAndIRNamedWeights() throws {
    let out = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: out) }
    let config = Self.smokeConfig()
    let result = try runTraining(config, profile: .smoke, out: out, showProgress: false)
    #expect(result.run == "mbv2-w0.35-r32-synthetic-s0")
    let dir = "\(out)/train/\(result.run)"
    for name in [
      "train.h5", "train.md", "train.csv", "weights.h5", "checkpoint.bin", "learning_curve.png",
      "accuracy_curve.png",
    ] {
      #expect(FileManager.default.fileExists(atPath: "\(dir)/\(name)"), "\(name)")
    }
    let file = try ResultsFile(contentsOf: "\(dir)/train.h5")
    #expect(file.attributes["experiment"] == .string("train"))
    #expect(file.table.rowCount == 1)
    #expect(try file.table.ints("epochs") == [2])
    let loss = try #require(file.curves.first { $0.name == "train_loss" })
    #expect(loss.x == [1, 2] && loss.y.allSatisfy(\.isFinite))
    let top1 = try #require(file.curves.first { $0.name == "val_top1" })
    #expect(top1.y.allSatisfy { (0...100).contains($0) })

    let (tensors, attributes) = try TensorFile.read("\(dir)/weights.h5")
    let graph = try #require(ModelZoo.model("mbv2-w0.35")).config.makeGraph(resolution: 32)
    let model = try GraphModel(graph: graph)
    #expect(tensors.map(\.name).count == model.tensorNames.count)
    #expect(tensors.first?.name == "first_conv.weight")
    #expect(tensors.first?.shape == [16, 3, 3, 3], "OHWI")
    #expect(tensors.last?.name == "feature_mix.bn.running_var")
    #expect(attributes["model"] == .string("mbv2-w0.35"))
    #expect(try file.table.doubles("top1") == [100 * result.finalTop1])
  }

  @Test func resumingAFinishedRunRewritesTheSameWeights() throws {
    let out = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: out) }
    var config = Self.smokeConfig()
    config.epochs = 1
    config.warmupEpochs = 0
    let first = try runTraining(config, profile: .smoke, out: out, showProgress: false)
    let weights = try TensorFile.read("\(first.directory)/weights.h5").tensors
    let again = try runTraining(
      config, profile: .smoke, out: out, resume: true, showProgress: false)
    #expect(again.history == first.history)
    #expect(try TensorFile.read("\(again.directory)/weights.h5").tensors == weights)
    config.epochs = 2
    do {
      _ = try runTraining(config, profile: .smoke, out: out, resume: true, showProgress: false)
      Issue.record("resuming with other options must fail")
    } catch {
      #expect("\(error)".contains("the run was started with other training options"))
    }
  }

  @Test func badOptionsAreNamedWithAFix() throws {
    let out = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: out) }
    var config = Self.smokeConfig()
    config.data = "imagenet"
    #expect(throws: TrainExperimentError.badDataSpec("imagenet")) {
      try runTraining(config, profile: .smoke, out: out, showProgress: false)
    }
    #expect(
      "\(TrainExperimentError.badDataSpec("imagenet"))".hasPrefix(
        "unknown --data 'imagenet'; use 'synthetic', 'imagefolder:ROOT'"))
    config = Self.smokeConfig()
    config.model = "mbv2"
    #expect(throws: TrainExperimentError.builderNeedsWidth("mbv2")) {
      try runTraining(config, profile: .smoke, out: out, showProgress: false)
    }
    config = Self.smokeConfig()
    do {
      _ = try runTraining(config, profile: .smoke, out: out, resume: true, showProgress: false)
      Issue.record("resume without a checkpoint must fail")
    } catch {
      #expect("\(error)".contains("--resume was given but"))
    }
  }

  @Test func committedConfigsEqualBuiltIn() throws {
    for profile in Profile.allCases {
      let train = try loadExperimentConfig(
        TrainRunConfig.self, experiment: "train", profile: profile,
        path: Self.root + "/experiments/train.json", builtIn: TrainRunConfig.builtIn)
      #expect(train == TrainRunConfig.builtIn(profile), "\(profile)")
      let bench = try loadExperimentConfig(
        BenchTrainConfig.self, experiment: "bench-train", profile: profile,
        path: Self.root + "/experiments/bench-train.json", builtIn: BenchTrainConfig.builtIn)
      #expect(bench == BenchTrainConfig.builtIn(profile), "\(profile)")
    }
  }
}
