// SampleSource.swift
// The bridge from a dataset to batches: a SampleSource turns item i into a labelled Float32 HWC
// sample, drawing augmentation from a generator that belongs to that item alone. Image folders
// (ImageNet-style, VWW) and Speech Commands (MFCC) each have one.

import TensorModule

/// Indexable labelled samples of one fixed shape `[H, W, C]`.
public protocol SampleSource: Sendable {
  /// Number of samples.
  var count: Int { get }
  /// The shape `[H, W, C]` of every sample.
  var sampleShape: Shape { get }
  /// The label of sample `index` (cheap: no decoding).
  func label(at index: Int) -> Int
  /// Loads sample `index`; `rng` is that sample's own generator for this epoch.
  func sample(at index: Int, rng: inout SeededGenerator) throws -> FloatImage
}

/// Images from class folders through an `ImageTransform`.
public struct ImageSampleSource: SampleSource {
  public let files: [LabeledFile]
  public let transform: ImageTransform

  /// Samples `files` (e.g. `ImageFolderDataset.samples`) through `transform`.
  public init(files: [LabeledFile], transform: ImageTransform) {
    self.files = files
    self.transform = transform
  }

  /// All images of an ImageNet-style split.
  public init(_ dataset: ImageFolderDataset, transform: ImageTransform) {
    self.init(files: dataset.samples, transform: transform)
  }

  public var count: Int { files.count }
  public var sampleShape: Shape {
    [transform.resolution, transform.resolution, transform.channels]
  }
  public func label(at index: Int) -> Int { files[index].label }

  public func sample(at index: Int, rng: inout SeededGenerator) throws -> FloatImage {
    transform.apply(try ImageDecoder.read(path: files[index].path), rng: &rng)
  }
}

/// Speech Commands clips → (augmentation) → MFCC `[49, 10, 1]`.
public struct SpeechSampleSource: SampleSource {
  public let dataset: SpeechCommandsDataset
  public let augmentation: SpeechAugmentation
  public let frontEnd: MFCC

  /// MFCC samples of `dataset` with `augmentation` (`.training` or `.none`).
  public init(
    _ dataset: SpeechCommandsDataset, augmentation: SpeechAugmentation, frontEnd: MFCC = MFCC()
  ) {
    self.dataset = dataset
    self.augmentation = augmentation
    self.frontEnd = frontEnd
  }

  public var count: Int { dataset.count }
  public var sampleShape: Shape {
    let c = frontEnd.config
    return [c.frames(forSamples: SpeechCommandsDataset.clipSamples), c.coefficients, 1]
  }
  public func label(at index: Int) -> Int { dataset.items[index].label }

  public func sample(at index: Int, rng: inout SeededGenerator) throws -> FloatImage {
    let clip = try dataset.waveform(at: index)
    let augmented = augmentation.apply(
      clip, isSilence: dataset.items[index].path == nil, noise: dataset.backgroundNoise, rng: &rng)
    return frontEnd.image(augmented)
  }
}

/// A subset of another source, by index (e.g. a stratified VWW split).
public struct SubsetSource<Base: SampleSource>: SampleSource {
  public let base: Base
  public let indices: [Int]

  public init(_ base: Base, indices: [Int]) {
    self.base = base
    self.indices = indices
  }

  public var count: Int { indices.count }
  public var sampleShape: Shape { base.sampleShape }
  public func label(at index: Int) -> Int { base.label(at: indices[index]) }
  public func sample(at index: Int, rng: inout SeededGenerator) throws -> FloatImage {
    try base.sample(at: indices[index], rng: &rng)
  }
}
