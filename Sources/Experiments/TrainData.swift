// TrainData.swift
// The datasets `repro train` can train on, as `Training.BatchSource`s: seeded synthetic data,
// and any ImageNet-style folder (`<root>/train/<class>/*`, `<root>/val/<class>/*`) through
// Datasets' loaders — real ImageNet, or the bundled proxies `repro prepare-data` writes in the
// same layout (Fashion-MNIST as class folders). VWW and Speech Commands plug in the same way:
// a `SampleSource` wrapped in `SampleBatchSource`.

import Datasets
import TensorModule
import Training

/// Which data a training run reads, parsed from `--data`.
public enum TrainDataSpec: Sendable, Hashable, CustomStringConvertible {
  /// `synthetic`: seeded class-pattern images (SyntheticClassification).
  case synthetic
  /// `imagefolder:ROOT`: ImageNet layout with `train` and `val` splits under ROOT.
  case imageFolder(root: String)

  /// Parses `synthetic` or `imagefolder:ROOT`.
  public init(parsing text: String) throws {
    if text == "synthetic" {
      self = .synthetic
    } else if text.hasPrefix("imagefolder:"), text.count > "imagefolder:".count {
      self = .imageFolder(root: String(text.dropFirst("imagefolder:".count)))
    } else {
      throw TrainExperimentError.badDataSpec(text)
    }
  }

  public var description: String {
    switch self {
    case .synthetic: return "synthetic"
    case .imageFolder(let root): return "imagefolder:\(root)"
    }
  }

  /// A short tag for run names.
  var tag: String {
    switch self {
    case .synthetic: return "synthetic"
    case .imageFolder(let root): return root.split(separator: "/").last.map(String.init) ?? "data"
    }
  }
}

/// The training and validation sources of one run, and what to say about them.
struct TrainData {
  var train: any BatchSource
  var validation: any BatchSource
  var classes: Int
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

  /// Opens the data of this run at input resolution `resolution`.
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
      return TrainData(
        train: train, validation: validation, classes: classes,
        summary: "synthetic 4×4 class patterns × \(syntheticSignal) + N(0, 1) noise, "
          + "\(classes) classes, train \(trainSamples), val \(validationSamples), \(resolution)²")
    case .imageFolder(let root):
      let trainSet = try ImageFolderDataset(root: root, split: "train")
      let valSet = try ImageFolderDataset(root: root, split: "val")
      let train = SampleBatchSource(
        BatchIterator(
          ImageSampleSource(trainSet, transform: trainTransform(resolution: resolution)),
          batchSize: batchSize, shuffle: true, dropLast: true, seed: seed, threads: threads))
      let validation = SampleBatchSource(
        BatchIterator(
          ImageSampleSource(valSet, transform: .imageNetEval(resolution: resolution)),
          batchSize: batchSize, shuffle: false, seed: seed, threads: threads))
      guard train.batchesPerEpoch > 0 else {
        throw TrainExperimentError.tooFewSamples(
          split: "\(root)/train", samples: trainSet.count, batchSize: batchSize)
      }
      return TrainData(
        train: train, validation: validation, classes: trainSet.classes.count,
        summary: "image folder \(root): \(trainSet.classes.count) classes, train "
          + "\(trainSet.count) (RandomResizedCrop scale ≥ \(minCropScale ?? 0.08) + flip), val \(valSet.count) (resize + centre "
          + "crop), \(resolution)²")
    }
  }
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
