// TrainDataTests.swift
// `repro train --data`: parsing of every spec (good and bad, with messages that name the
// culprit and the fix), and tiny end-to-end runs of `runTraining` on Visual Wake Words PNG
// folders and a Speech Commands WAV tree that the tests write themselves.

import Datasets
import Foundation
import ModelIR
import ReproIO
import TensorModule
import Testing
import Training

@testable import Experiments

@Suite struct TrainDataTests {
  // MARK: - Fixtures

  /// Runs `body` with a fresh temporary directory that is removed afterwards.
  func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
    let path = NSTemporaryDirectory() + "train-data-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    try body(path)
  }

  /// Writes `bytes` to `path`, creating the parent folders.
  func write(_ bytes: [UInt8], to path: String) throws {
    let parent = (path as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }

  /// A 12×12 RGB PNG: a bright square in the centre for person, flat gray otherwise.
  func png(person: Bool, seed: Int) throws -> [UInt8] {
    var pixels: [UInt8] = []
    for y in 0..<12 {
      for x in 0..<12 {
        let inside = person && (4..<8).contains(y) && (4..<8).contains(x)
        for c in 0..<3 { pixels.append(UInt8(inside ? 230 : (60 + 7 * seed + 11 * c) % 256)) }
      }
    }
    return try PNGCodec.encode(ByteImage(height: 12, width: 12, channels: 3, pixels: pixels))
  }

  /// `<root>/<split>/{person,non_person}/*.png` with `count` images per class and split.
  func writeVWWTree(_ root: String, splits: [String], count: Int) throws {
    for split in splits {
      let folder = split.isEmpty ? root : "\(root)/\(split)"
      for i in 0..<count {
        try write(try png(person: true, seed: i), to: "\(folder)/person/p\(i).png")
        try write(try png(person: false, seed: i), to: "\(folder)/non_person/n\(i).png")
      }
    }
  }

  /// Speech Commands v2 layout: each keyword spoken by 3 speakers (aaaa in the validation
  /// list, bbbb in the testing list, cccc training), an unknown word "cat" with 4 training
  /// clips, one noise recording. Clips are 0.5 s tones whose pitch depends on the word.
  func writeSpeechTree(_ root: String) throws {
    var validation: [String] = []
    var testing: [String] = []
    func tone(_ hz: Double) -> [UInt8] {
      let samples = (0..<8000).map { Int16(8000 * sin(2 * Double.pi * hz * Double($0) / 16_000)) }
      return WAVCodec.encode(WAVAudio(sampleRate: 16_000, samples: samples))
    }
    for (k, word) in SpeechCommandsDataset.keywords.enumerated() {
      for speaker in ["aaaa", "bbbb", "cccc"] {
        let relative = "\(word)/\(speaker)_nohash_0.wav"
        try write(tone(200 + 150 * Double(k)), to: root + "/" + relative)
        if speaker == "aaaa" { validation.append(relative) }
        if speaker == "bbbb" { testing.append(relative) }
      }
    }
    for i in 0..<4 { try write(tone(3000), to: root + "/cat/dddd_nohash_\(i).wav") }
    let noise = (0..<20_000).map { Int16(($0 * 7919) % 2001 - 1000) }
    try write(
      WAVCodec.encode(WAVAudio(sampleRate: 16_000, samples: noise)),
      to: root + "/_background_noise_/hum.wav")
    try write(Array(validation.joined(separator: "\n").utf8), to: root + "/validation_list.txt")
    try write(Array(testing.joined(separator: "\n").utf8), to: root + "/testing_list.txt")
  }

  /// A one-epoch run of mbv2-w0.35 with batch 4 on `data`.
  func tinyConfig(data: String, resolution: Int = 16) -> TrainRunConfig {
    var config = TrainRunConfig.builtIn(.smoke)
    config.data = data
    config.resolution = resolution
    config.epochs = 1
    config.warmupEpochs = 0
    config.batchSize = 4
    config.threads = 1
    return config
  }

  // MARK: - Parsing

  @Test func everyDataSpecParsesAndPrintsBack() throws {
    let cases: [(String, TrainDataSpec)] = [
      ("synthetic", .synthetic),
      ("imagefolder:/data/imagenet", .imageFolder(root: "/data/imagenet")),
      ("vww:/data/vww", .visualWakeWords(root: "/data/vww")),
      ("speech:relative/speech", .speechCommands(root: "relative/speech")),
      ("vww:/odd:name", .visualWakeWords(root: "/odd:name")),
    ]
    for (text, spec) in cases {
      #expect(try TrainDataSpec(parsing: text) == spec, "\(text)")
      #expect(spec.description == text)
    }
    #expect(
      TrainDataSpec.speechCommands(root: "/c/speech-commands-proxy-smoke").tag
        == "speech-commands-proxy-smoke")
    #expect(TrainDataSpec.visualWakeWords(root: "/c/vww-proxy-smoke/").tag == "vww-proxy-smoke")
  }

  /// `proxy:NAME[-PROFILE]` resolves to `$MCU_DATA_DIR/<kind>-proxy-<profile>` and says how
  /// to prepare a missing one.
  @Test func proxySpecsResolveInTheCacheOrSayHowToPrepareThem() throws {
    let cache = NSTemporaryDirectory() + "proxy-spec-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: cache) }
    let environment = ["MCU_DATA_DIR": cache]
    for folder in ["imagenet-proxy-default", "vww-proxy-smoke", "speech-commands-proxy-default"] {
      try FileManager.default.createDirectory(
        atPath: cache + "/" + folder, withIntermediateDirectories: true)
    }
    #expect(
      try TrainDataSpec(parsing: "proxy:imagenet", environment: environment)
        == .imageFolder(root: cache + "/imagenet-proxy-default"))
    #expect(
      try TrainDataSpec(parsing: "proxy:vww-smoke", environment: environment)
        == .visualWakeWords(root: cache + "/vww-proxy-smoke"))
    #expect(
      try TrainDataSpec(parsing: "proxy:speech-default", environment: environment)
        == .speechCommands(root: cache + "/speech-commands-proxy-default"))
    let missing = cache + "/vww-proxy-default"
    #expect(
      throws: TrainExperimentError.proxyNotPrepared(name: "vww", profile: "default", root: missing)
    ) { try TrainDataSpec(parsing: "proxy:vww", environment: environment) }
    let message =
      "\(TrainExperimentError.proxyNotPrepared(name: "vww", profile: "default", root: missing))"
    #expect(message.contains("Scripts/prepare-data.sh default") && message.contains(missing))
    for text in ["proxy:cifar", "proxy:imagenet-full", "proxy:"] {
      #expect(throws: TrainExperimentError.badDataSpec(text), "\(text)") {
        try TrainDataSpec(parsing: text, environment: environment)
      }
    }
  }

  @Test func badDataSpecsNameTheCulpritAndTheFix() throws {
    for text in ["imagenet", "kws:/data", "VWW:/data", "Synthetic", "", ":/data", "speech"] {
      #expect(throws: TrainExperimentError.badDataSpec(text), "\(text)") {
        try TrainDataSpec(parsing: text)
      }
    }
    let unknown = "\(TrainExperimentError.badDataSpec("kws:/data"))"
    #expect(unknown.hasPrefix("unknown --data 'kws:/data'; use 'synthetic', 'imagefolder:ROOT'"))
    #expect(unknown.contains("'vww:ROOT'") && unknown.contains("'speech:ROOT'"))
    for kind in ["imagefolder", "vww", "speech"] {
      #expect(throws: TrainExperimentError.emptyDataRoot(kind: kind)) {
        try TrainDataSpec(parsing: "\(kind):")
      }
    }
    #expect(
      "\(TrainExperimentError.emptyDataRoot(kind: "speech"))"
        == "--data 'speech:' names no folder; write 'speech:ROOT' with the dataset's folder, "
        + "e.g. 'speech:~/.cache/mcunet-repro/speech-commands-proxy-default'")
  }

  @Test func missingFoldersAreNamed() throws {
    try withTemporaryDirectory { root in
      try writeVWWTree(root, splits: ["train"], count: 1)
      // train/ exists but val/ does not: the missing class folder is named.
      var text = ""
      do {
        _ = try tinyConfig(data: "vww:\(root)").openData(resolution: 16)
      } catch { text = "\(error)" }
      #expect(text.contains("\(root)/val/non_person"), "\(text)")
      text = ""
      do {
        _ = try tinyConfig(data: "speech:\(root)/nothing").openData(resolution: 16)
      } catch { text = "\(error)" }
      #expect(text.contains("\(root)/nothing") && text.contains("prepare-data"), "\(text)")
    }
  }

  // MARK: - Visual Wake Words

  @Test func vwwTrainsEndToEndAtTheGivenResolution() throws {
    try withTemporaryDirectory { dir in
      let root = dir + "/vww-tiny"
      try writeVWWTree(root, splits: ["train", "val"], count: 4)
      let result = try runTraining(
        tinyConfig(data: "vww:\(root)"), profile: .smoke, out: dir + "/out", showProgress: false)
      #expect(result.run == "mbv2-w0.35-r16-vww-tiny-s0")
      #expect(result.inputShape == [16, 16, 3] && result.resolution == 16)
      #expect(result.history.count == 1 && result.history[0].trainLoss.isFinite)
      #expect((0...1).contains(result.finalTop1))
      #expect(result.dataset.hasPrefix("Visual Wake Words \(root) (train/ and val/): 2 classes"))
      #expect(result.dataset.contains("train 8 (4 person;") && result.dataset.contains("val 8"))
      let (tensors, attributes) = try TensorFile.read("\(result.directory)/weights.h5")
      #expect(tensors.last { $0.name == "classifier.weight" }?.shape.first == 2)
      #expect(attributes["input_shape"] == .string("16×16×3"))
      let file = try ResultsFile(contentsOf: "\(result.directory)/train.h5")
      #expect(try file.table.strings("input_shape") == ["16×16×3"])
    }
  }

  @Test func vwwWithoutSplitsIsSplitStratified() throws {
    try withTemporaryDirectory { root in
      try writeVWWTree(root, splits: [""], count: 10)
      let data = try tinyConfig(data: "vww:\(root)").openData(resolution: 16)
      #expect(data.classes == 2 && data.inputShape == [16, 16, 3])
      #expect(data.train.batchesPerEpoch == 4, "18 training images, batch 4, last dropped")
      #expect(data.summary.contains("seeded stratified 90/10 split"))
      #expect(data.summary.contains("train 18 (9 person;") && data.summary.contains("val 2 (1"))
    }
  }

  // MARK: - Speech Commands

  /// The calibration source of `repro deploy` is the training split through the evaluation
  /// preprocessing: every training image once, identical on every read (no augmentation). The
  /// tree's train and val folders hold the same PNGs, so it yields the validation images.
  @Test func calibrationSourceIsTheTrainingSplitWithEvaluationPreprocessing() throws {
    try withTemporaryDirectory { root in
      try writeVWWTree(root, splits: ["train", "val"], count: 3)
      var data = try tinyConfig(data: "vww:\(root)").openData(resolution: 16)
      func images(_ source: inout any BatchSource) throws -> (images: [[Float]], labels: [Int]) {
        try source.startEpoch(0, skipping: 0)
        var result: (images: [[Float]], labels: [Int]) = ([], [])
        while let batch = try source.nextBatch() {
          let per = batch.images.count / batch.count
          for i in 0..<batch.count {
            result.images.append(Array(batch.images[(i * per)..<((i + 1) * per)]))
          }
          result.labels += batch.labels
        }
        return result
      }
      let first = try images(&data.calibration)
      let again = try images(&data.calibration)
      let validation = try images(&data.validation)
      #expect(first.images.count == 6 && first.labels.sorted() == [0, 0, 0, 1, 1, 1])
      #expect(first.images == again.images && first.labels == again.labels)
      #expect(Set(first.images) == Set(validation.images))
    }
  }

  @Test func speechTrainsEndToEndOnTheMFCCInput() throws {
    try withTemporaryDirectory { dir in
      let root = dir + "/speech-tiny"
      try writeSpeechTree(root)
      var config = tinyConfig(data: "speech:\(root)", resolution: 32)
      config.model = "mbv2"
      config.width = 0.2
      let result = try runTraining(config, profile: .smoke, out: dir + "/out", showProgress: false)
      #expect(result.run == "mbv2-w0.2-in49x10x1-speech-tiny-s0")
      #expect(result.inputShape == [49, 10, 1] && result.resolution == 49)
      #expect(result.history.count == 1 && result.history[0].trainLoss.isFinite)
      // Training: 10 keywords + ceil(1) silence + 1 unknown ("cat" is training only), so
      // validation has 10 keywords + 1 silence.
      #expect(result.dataset.contains("train 12 (files in neither list; time shift ±100 ms"))
      #expect(result.dataset.contains("val 11 (validation_list.txt, no augmentation)"))
      #expect(result.dataset.contains("MFCC 49×10×1"))
      let (tensors, attributes) = try TensorFile.read("\(result.directory)/weights.h5")
      let firstConv = try #require(tensors.first { $0.name == "first_conv.weight" })
      #expect(firstConv.shape.last == 1, "one input channel (OHWI)")
      #expect(tensors.last { $0.name == "classifier.weight" }?.shape.first == 12)
      #expect(attributes["input_shape"] == .string("49×10×1"))
      guard case .string(let json) = attributes["netconfig_json"] else {
        Issue.record("weights.h5 has no netconfig_json")
        return
      }
      let saved = try JSONDecoder().decode(NetConfig.self, from: Data(json.utf8))
      #expect(saved.firstConv.inChannels == 1 && saved.classifier.outFeatures == 12)
    }
  }

  @Test func speechGraphFollowsTheDataShape() throws {
    var config = try #require(ModelZoo.model("mbv2-w0.35")).config
    let graph = try trainGraph(&config, inputShape: [49, 10, 1])
    #expect(graph.input.outputShape == [1, 49, 10, 1])
    #expect(graph.nodes[1].outputShape == [1, 25, 5, 16], "first conv, stride 2, pad 1")
    #expect(config.firstConv.inChannels == 1)
    let square = try trainGraph(&config, inputShape: [49, 49, 1])
    #expect(square.nodes.dropFirst().map(\.op) == graph.nodes.dropFirst().map(\.op))
    #expect(square.params == graph.params, "weights do not depend on H and W")
    // Square RGB input is exactly the config's own lowering.
    var rgb = try #require(ModelZoo.model("mbv2-w0.35")).config
    #expect(try trainGraph(&rgb, inputShape: [32, 32, 3]) == rgb.makeGraph(resolution: 32))
  }

  @Test func speechWithAnEmptyValidationListSaysHowToFixIt() throws {
    try withTemporaryDirectory { root in
      try writeSpeechTree(root)
      try write([], to: root + "/validation_list.txt")
      #expect(
        throws: TrainExperimentError.emptySplit(
          split: "\(root)/validation_list.txt",
          fix: "list at least one keyword clip in it (paths relative to ROOT, e.g. yes/x.wav)")
      ) {
        try tinyConfig(data: "speech:\(root)").openData(resolution: 16)
      }
    }
  }
}
