// TrainData.swift
// The datasets `repro train` can train on, as `Training.BatchSource`s: seeded synthetic data,
// any ImageNet-style folder (`<root>/train/<class>/*`, `<root>/val/<class>/*`), Visual Wake
// Words person/non_person folders and Speech Commands v2 (12 classes, MFCC input), all through
// Datasets' loaders, so real data and the bundled proxies `repro prepare-data` writes in the
// same layouts read alike. Each is a `SampleSource` wrapped in `SampleBatchSource`.
//
//   --data               train split (augmentation)             validation split
//   synthetic            seeded class patterns                   same generator, split 1
//   imagefolder:ROOT     ROOT/train, RandomResizedCrop + flip    ROOT/val, resize + centre crop
//   vww:ROOT             ROOT/train/{person,non_person},         ROOT/val/{…}, resize to r×r
//                        RandomResizedCrop + flip                (MIT's VWW eval, no crop)
//                        (ROOT/{person,non_person} without splits: a seeded stratified 90/10)
//   speech:ROOT          files not in either list, time shift    validation_list.txt, no
//                        ±100 ms + background noise              augmentation
//   proxy:NAME[-PROFILE] the bundled proxy in the cache (imagenet, vww, speech), as above
// Speech samples are MFCC [49, 10, 1], not r×r×3: the data dictates the input shape and the
// network is lowered for it (`TrainData.inputShape`, `trainGraph` in Train.swift).

import Datasets
import Foundation
import TensorModule
import Training

/// Which data a training run reads, parsed from `--data`.
public enum TrainDataSpec: Sendable, Hashable, CustomStringConvertible {
  /// `synthetic`: seeded class-pattern images (SyntheticClassification).
  case synthetic
  /// `imagefolder:ROOT`: ImageNet layout with `train` and `val` splits under ROOT.
  case imageFolder(root: String)
  /// `vww:ROOT`: Visual Wake Words, `ROOT/{train,val}/{person,non_person}` (or the two class
  /// folders directly under ROOT, split 90/10 here).
  case visualWakeWords(root: String)
  /// `speech:ROOT`: Speech Commands v2 layout (word folders, `validation_list.txt`,
  /// `testing_list.txt`, `_background_noise_`), 12 classes, MFCC input [49, 10, 1].
  case speechCommands(root: String)

  /// The `KIND:ROOT` prefixes, in the order the help lists them.
  static let rootKinds = ["imagefolder", "vww", "speech"]

  /// Parses `synthetic`, `imagefolder:ROOT`, `vww:ROOT`, `speech:ROOT` or
  /// `proxy:NAME[-PROFILE]` (NAME `imagenet`, `vww` or `speech`; PROFILE `smoke` or `default`,
  /// default `default`): the bundled proxy `repro prepare-data` wrote into the cache
  /// (`$MCU_DATA_DIR`, else `~/.cache/mcunet-repro`), read as the matching real-format kind.
  ///
  /// - Throws: `TrainExperimentError.badDataSpec` for an unknown kind, `.emptyDataRoot` for a
  ///   known kind without a folder, `.proxyNotPrepared` for a proxy not in the cache.
  public init(
    parsing text: String,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws {
    if text == "synthetic" {
      self = .synthetic
      return
    }
    guard let colon = text.firstIndex(of: ":") else {
      throw TrainExperimentError.badDataSpec(text)
    }
    let kind = String(text[..<colon])
    let root = String(text[text.index(after: colon)...])
    if kind == "proxy" {
      self = try Self.proxy(root, text: text, environment: environment)
      return
    }
    guard TrainDataSpec.rootKinds.contains(kind) else {
      throw TrainExperimentError.badDataSpec(text)
    }
    guard !root.isEmpty else { throw TrainExperimentError.emptyDataRoot(kind: kind) }
    switch kind {
    case "imagefolder": self = .imageFolder(root: root)
    case "vww": self = .visualWakeWords(root: root)
    default: self = .speechCommands(root: root)
    }
  }

  /// `proxy:NAME[-PROFILE]` resolved to its folder in the cache.
  static func proxy(_ name: String, text: String, environment: [String: String]) throws
    -> TrainDataSpec
  {
    let parts = name.split(separator: "-", maxSplits: 1).map(String.init)
    let profile = parts.count == 2 ? parts[1] : "default"
    let kinds: [String: ProxyKind] = [
      "imagenet": .imageNet, "vww": .visualWakeWords, "speech": .speechCommands,
    ]
    guard let first = parts.first, let kind = kinds[first], ["smoke", "default"].contains(profile)
    else { throw TrainExperimentError.badDataSpec(text) }
    let root = ProxyLayout.root(
      cacheDirectory: ProxyLayout.defaultCacheDirectory(environment: environment), kind: kind,
      profile: profile)
    guard FileManager.default.fileExists(atPath: root) else {
      throw TrainExperimentError.proxyNotPrepared(name: first, profile: profile, root: root)
    }
    switch kind {
    case .imageNet: return .imageFolder(root: root)
    case .visualWakeWords: return .visualWakeWords(root: root)
    case .speechCommands: return .speechCommands(root: root)
    }
  }

  public var description: String {
    switch self {
    case .synthetic: return "synthetic"
    case .imageFolder(let root): return "imagefolder:\(root)"
    case .visualWakeWords(let root): return "vww:\(root)"
    case .speechCommands(let root): return "speech:\(root)"
    }
  }

  /// A short tag for run names.
  var tag: String {
    switch self {
    case .synthetic: return "synthetic"
    case .imageFolder(let root), .visualWakeWords(let root), .speechCommands(let root):
      return root.split(separator: "/").last.map(String.init) ?? "data"
    }
  }
}

/// The training and validation sources of one run, and what to say about them.
struct TrainData {
  var train: any BatchSource
  var validation: any BatchSource
  /// The training split with the validation split's preprocessing (no augmentation), in a
  /// seeded shuffled order: the calibration set of post-training quantization (`repro deploy`).
  var calibration: any BatchSource
  var classes: Int
  /// The shape `[H, W, C]` of one sample: `[r, r, 3]` for images, `[49, 10, 1]` for speech.
  var inputShape: Shape
  /// Name, split sizes and preprocessing, for the `dataset` attribute.
  var summary: String
}

extension TrainRunConfig {
  /// Training augmentation: torchvision's RandomResizedCrop (area scale from `minCropScale`,
  /// default 0.08) + horizontal flip.
  func trainTransform(resolution: Int) -> ImageTransform {
    guard let minimum = minCropScale else { return .trainAugment(resolution: resolution) }
    return ImageTransform(
      .trainAugment(RandomResizedCrop(scale: minimum...1)), resolution: resolution)
  }

  /// Opens the data of this run at input resolution `resolution` (images; speech ignores it).
  func openData(resolution: Int) throws -> TrainData {
    let spec = try TrainDataSpec(parsing: data)
    switch spec {
    case .synthetic:
      let classes = self.classes ?? 10
      let shape: Shape = [resolution, resolution, 3]
      let signal = Float(syntheticSignal)
      let train = SyntheticClassification.source(
        sampleShape: shape, classes: classes, count: trainSamples, batchSize: batchSize,
        seed: seed, split: 0, shuffle: true, signal: signal)
      let validation = SyntheticClassification.source(
        sampleShape: shape, classes: classes, count: validationSamples, batchSize: batchSize,
        seed: seed, split: 1, shuffle: false, signal: signal)
      // The training samples themselves (synthetic data has no augmentation), in order.
      let calibration = ArrayBatchSource(
        images: train.images, labels: train.labels, sampleShape: shape, batchSize: batchSize,
        shuffle: false)
      return TrainData(
        train: train, validation: validation, calibration: calibration, classes: classes,
        inputShape: shape,
        summary: "synthetic 4×4 class patterns × \(syntheticSignal) + N(0, 1) noise, "
          + "\(classes) classes, train \(trainSamples), val \(validationSamples), \(resolution)²")
    case .imageFolder(let root):
      let trainSet = try ImageFolderDataset(root: root, split: "train")
      let valSet = try ImageFolderDataset(root: root, split: "val")
      let (train, validation, calibration) = try imageSources(
        train: trainSet.samples, validation: valSet.samples, trainSplit: "\(root)/train",
        eval: .imageNetEval(resolution: resolution), resolution: resolution)
      return TrainData(
        train: train, validation: validation, calibration: calibration,
        classes: trainSet.classes.count,
        inputShape: [resolution, resolution, 3],
        summary: "image folder \(root): \(trainSet.classes.count) classes, train "
          + "\(trainSet.count) (RandomResizedCrop scale ≥ \(minCropScale ?? 0.08) + flip), val "
          + "\(valSet.count) (resize + centre crop), \(resolution)²")
    case .visualWakeWords(let root):
      return try openVisualWakeWords(root: root, resolution: resolution)
    case .speechCommands(let root):
      return try openSpeechCommands(root: root)
    }
  }

  /// Image files through the training augmentation and `eval`, as batch sources: training,
  /// validation, and the training files through `eval` in a seeded shuffled order
  /// (calibration).
  private func imageSources(
    train: [LabeledFile], validation: [LabeledFile], trainSplit: String, eval: ImageTransform,
    resolution: Int
  ) throws -> (any BatchSource, any BatchSource, any BatchSource) {
    let trainSource = SampleBatchSource(
      BatchIterator(
        ImageSampleSource(files: train, transform: trainTransform(resolution: resolution)),
        batchSize: batchSize, shuffle: true, dropLast: true, seed: seed, threads: threads))
    let validationSource = SampleBatchSource(
      BatchIterator(
        ImageSampleSource(files: validation, transform: eval),
        batchSize: batchSize, shuffle: false, seed: seed, threads: threads))
    let calibrationSource = SampleBatchSource(
      BatchIterator(
        ImageSampleSource(files: train, transform: eval),
        batchSize: batchSize, shuffle: true, seed: seed, threads: threads))
    guard trainSource.batchesPerEpoch > 0 else {
      throw TrainExperimentError.tooFewSamples(
        split: trainSplit, samples: train.count, batchSize: batchSize)
    }
    return (trainSource, validationSource, calibrationSource)
  }

  /// VWW: `ROOT/train` and `ROOT/val` when both exist, else `ROOT`'s two class folders split
  /// 90/10 per class with the run's seed. Eval resizes to r×r (MIT's VWW eval: no crop).
  private func openVisualWakeWords(root: String, resolution: Int) throws -> TrainData {
    let trainFiles: [LabeledFile]
    let validationFiles: [LabeledFile]
    let layout: String
    if isDirectory("\(root)/train") || isDirectory("\(root)/val") {
      trainFiles = try VisualWakeWordsDataset(directory: "\(root)/train").samples
      validationFiles = try VisualWakeWordsDataset(directory: "\(root)/val").samples
      layout = "train/ and val/"
    } else {
      let all = try VisualWakeWordsDataset(directory: root)
      let (trainIndices, validationIndices) = all.stratifiedSplit(
        validationFraction: 0.1, seed: seed)
      trainFiles = trainIndices.map { all.samples[$0] }
      validationFiles = validationIndices.map { all.samples[$0] }
      layout = "one folder, seeded stratified 90/10 split"
    }
    let (train, validation, calibration) = try imageSources(
      train: trainFiles, validation: validationFiles, trainSplit: "\(root)/train",
      eval: .visualWakeWordsEval(resolution: resolution), resolution: resolution)
    let persons = { (files: [LabeledFile]) in files.filter { $0.label == 1 }.count }
    return TrainData(
      train: train, validation: validation, calibration: calibration,
      classes: VisualWakeWordsDataset.classes.count,
      inputShape: [resolution, resolution, 3],
      summary: "Visual Wake Words \(root) (\(layout)): 2 classes (non_person, person), train "
        + "\(trainFiles.count) (\(persons(trainFiles)) person; RandomResizedCrop scale ≥ "
        + "\(minCropScale ?? 0.08) + flip), val \(validationFiles.count) "
        + "(\(persons(validationFiles)) person; resize to \(resolution)², no crop), \(resolution)²")
  }

  /// Speech Commands v2, 12 classes: training = files in neither list, with TensorFlow's
  /// time shift + background noise; validation = `validation_list.txt`, no augmentation.
  /// The test list is left for the final evaluation.
  private func openSpeechCommands(root: String) throws -> TrainData {
    let trainSet = try SpeechCommandsDataset(root: root, split: .training)
    let valSet = try SpeechCommandsDataset(root: root, split: .validation)
    guard valSet.count > 0 else {
      throw TrainExperimentError.emptySplit(
        split: "\(root)/validation_list.txt",
        fix: "list at least one keyword clip in it (paths relative to ROOT, e.g. yes/x.wav)")
    }
    let trainSource = SpeechSampleSource(trainSet, augmentation: .training)
    let train = SampleBatchSource(
      BatchIterator(
        trainSource, batchSize: batchSize, shuffle: true, dropLast: true, seed: seed,
        threads: threads))
    let validation = SampleBatchSource(
      BatchIterator(
        SpeechSampleSource(valSet, augmentation: .none), batchSize: batchSize, shuffle: false,
        seed: seed, threads: threads))
    let calibration = SampleBatchSource(
      BatchIterator(
        SpeechSampleSource(trainSet, augmentation: .none), batchSize: batchSize, shuffle: true,
        seed: seed, threads: threads))
    guard train.batchesPerEpoch > 0 else {
      throw TrainExperimentError.tooFewSamples(
        split: "\(root) (training split)", samples: trainSet.count, batchSize: batchSize)
    }
    let shape = trainSource.sampleShape
    let noise = trainSet.backgroundNoise.count
    return TrainData(
      train: train, validation: validation, calibration: calibration,
      classes: SpeechCommandsDataset.labels.count,
      inputShape: shape,
      summary: "Speech Commands v2 \(root): 12 classes (_silence_, _unknown_, 10 keywords), "
        + "train \(trainSet.count) (files in neither list; time shift ±100 ms + background noise "
        + "from \(noise) recordings, p 0.8, volume ≤ 0.1), val \(valSet.count) "
        + "(validation_list.txt, no augmentation), MFCC \(shape.dims.map(String.init).joined(separator: "×")) "
        + "(--resolution does not apply)")
  }
}

/// Whether `path` is an existing directory.
private func isDirectory(_ path: String) -> Bool {
  var directory: ObjCBool = false
  return FileManager.default.fileExists(atPath: path, isDirectory: &directory)
    && directory.boolValue
}

/// A Datasets `BatchIterator` as a Training `BatchSource`: the batch order of an epoch is
/// BatchIterator's seeded shuffle, so resuming at (epoch, batch) reloads the same samples.
public struct SampleBatchSource<Source: SampleSource>: BatchSource {
  public let loader: BatchIterator<Source>
  private var batches: [[Int]] = []
  private var epoch = 0
  private var position = 0

  public init(_ loader: BatchIterator<Source>) {
    self.loader = loader
  }

  public var batchesPerEpoch: Int { loader.batchCount }
  public var batchSize: Int { loader.batchSize }

  public mutating func startEpoch(_ epoch: Int, skipping: Int) throws {
    self.epoch = epoch
    batches = loader.order(epoch: epoch)
    position = min(skipping, batches.count)
  }

  public mutating func nextBatch() throws -> TrainingBatch? {
    guard position < batches.count else { return nil }
    let batch = try loader.batch(batches[position], epoch: epoch)
    position += 1
    return TrainingBatch(images: batch.inputs, labels: batch.labels)
  }
}
