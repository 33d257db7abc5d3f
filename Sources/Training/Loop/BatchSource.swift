// BatchSource.swift
// The one thing the training loop needs from a dataset: numbered epochs of labelled NHWC
// batches in a seeded order. Datasets' loaders (image folders, VWW, Speech Commands) are adapted
// to it in Experiments; `ArrayBatchSource` serves samples held in memory and
// `SyntheticClassification` makes seeded random ones for tests and benchmarks.

import TensorModule

/// One mini-batch: `count` samples of `sampleShape` ([H, W, C]), NHWC row-major.
public struct TrainingBatch: Sendable, Hashable {
  /// [count, H, W, C] flattened.
  public var images: [Float]
  /// One label per sample, each in 0..<classes.
  public var labels: [Int]

  public init(images: [Float], labels: [Int]) {
    self.images = images
    self.labels = labels
  }

  /// Samples in the batch.
  public var count: Int { labels.count }
}

/// A dataset as the training loop sees it: epochs of batches whose order depends only on the
/// source's own seed and the epoch number.
///
/// That contract is what makes training deterministic and resumable: `Trainer` restarts an
/// interrupted epoch with `startEpoch(e, skipping: k)` and must see the same batches k, k+1, …
/// that an uninterrupted run saw.
public protocol BatchSource {
  /// Batches in every epoch (the schedule's steps per epoch).
  var batchesPerEpoch: Int { get }
  /// The nominal batch size (the learning rate scales with it).
  var batchSize: Int { get }
  /// Positions the source before batch `skipping` of `epoch`.
  mutating func startEpoch(_ epoch: Int, skipping: Int) throws
  /// The next batch of the current epoch, or nil after its last.
  mutating func nextBatch() throws -> TrainingBatch?
}

/// Samples held in memory, batched in a seeded order: each epoch is a Fisher–Yates shuffle of
/// the sample indices with a generator derived from (seed, epoch) (identity order without
/// shuffling); the short last batch is kept unless `dropLast`.
public struct ArrayBatchSource: BatchSource, Sendable {
  /// [count, H, W, C] flattened.
  public let images: [Float]
  public let labels: [Int]
  /// [H, W, C] of one sample.
  public let sampleShape: Shape
  public let batchSize: Int
  public let shuffle: Bool
  public let dropLast: Bool
  public let seed: UInt64
  private var order: [Int] = []
  private var position = 0

  /// - Precondition: `images.count == labels.count · sampleShape.count`, at least one batch.
  public init(
    images: [Float], labels: [Int], sampleShape: Shape, batchSize: Int, shuffle: Bool,
    dropLast: Bool = false, seed: UInt64 = 0
  ) {
    precondition(batchSize > 0, "batch size must be positive")
    precondition(
      images.count == labels.count * sampleShape.count,
      "\(images.count) image values for \(labels.count) samples of \(sampleShape)")
    precondition(
      dropLast ? labels.count >= batchSize : !labels.isEmpty, "too few samples for one batch")
    self.images = images
    self.labels = labels
    self.sampleShape = sampleShape
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.dropLast = dropLast
    self.seed = seed
  }

  /// Samples held.
  public var count: Int { labels.count }

  public var batchesPerEpoch: Int {
    dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
  }

  /// The sample indices of `epoch` in batch order.
  public func order(epoch: Int) -> [Int] {
    var indices = Array(0..<count)
    guard shuffle else { return indices }
    var rng = SeededGenerator(seed: StreamSeed.derive(seed, stream: 0x5348_5546, index: epoch))
    for i in stride(from: indices.count - 1, to: 0, by: -1) {
      indices.swapAt(i, Int(rng.next() % UInt64(i + 1)))
    }
    return indices
  }

  public mutating func startEpoch(_ epoch: Int, skipping: Int) throws {
    precondition(skipping >= 0 && skipping <= batchesPerEpoch, "cannot skip \(skipping) batches")
    order = order(epoch: epoch)
    position = skipping
  }

  public mutating func nextBatch() throws -> TrainingBatch? {
    guard position < batchesPerEpoch else { return nil }
    let start = position * batchSize
    let indices = order[start..<min(start + batchSize, count)]
    position += 1
    let per = sampleShape.count
    var batch = TrainingBatch(images: [], labels: indices.map { labels[$0] })
    batch.images.reserveCapacity(indices.count * per)
    for i in indices { batch.images.append(contentsOf: images[(i * per)..<((i + 1) * per)]) }
    return batch
  }
}

/// Seeded synthetic classification data: class c has a random coarse pattern (a 4×4 grid of
/// standard normal colours per channel, blown up to H×W by nearest neighbour), and each sample
/// is its class pattern times `signal` plus standard normal pixel noise. The patterns are
/// spatially coherent, so convolutions and global pooling can pick them up and accuracy rises
/// above chance, while nothing is learnt from a real dataset.
///
/// Train and validation splits share the patterns (same `seed`) and differ in `split`.
public enum SyntheticClassification {
  /// Side of the coarse grid of each class pattern.
  public static let gridSide = 4

  /// `count` samples of `sampleShape` ([H, W, C]) with labels drawn uniformly from 0..<classes.
  public static func make(
    sampleShape: Shape, classes: Int, count: Int, seed: UInt64, split: Int = 0,
    signal: Float = 0.5
  ) -> (images: [Float], labels: [Int]) {
    precondition(classes > 1 && count > 0, "need at least 2 classes and 1 sample")
    precondition(sampleShape.rank == 3, "samples are [H, W, C], got \(sampleShape)")
    let (h, w, c, g) = (sampleShape[0], sampleShape[1], sampleShape[2], gridSide)
    var patternRNG = SeededGenerator(seed: StreamSeed.derive(seed, stream: 0x5052_4F54, index: 0))
    let grids = (0..<(classes * g * g * c)).map { _ in Float(ParameterInit.normal(&patternRNG)) }
    var rng = SeededGenerator(seed: StreamSeed.derive(seed, stream: 0x5350_4C54, index: split))
    var images = [Float]()
    images.reserveCapacity(count * sampleShape.count)
    var labels = [Int]()
    for _ in 0..<count {
      let label = Int(rng.next() % UInt64(classes))
      labels.append(label)
      for y in 0..<h {
        for x in 0..<w {
          let cell = ((label * g + y * g / h) * g + x * g / w) * c
          for ch in 0..<c {
            images.append(signal * grids[cell + ch] + Float(ParameterInit.normal(&rng)))
          }
        }
      }
    }
    return (images, labels)
  }

  /// A batch source over `make(...)`'s samples.
  public static func source(
    sampleShape: Shape, classes: Int, count: Int, batchSize: Int, seed: UInt64, split: Int = 0,
    shuffle: Bool = true, signal: Float = 0.5
  ) -> ArrayBatchSource {
    let data = make(
      sampleShape: sampleShape, classes: classes, count: count, seed: seed, split: split,
      signal: signal)
    return ArrayBatchSource(
      images: data.images, labels: data.labels, sampleShape: sampleShape, batchSize: batchSize,
      shuffle: shuffle, seed: StreamSeed.derive(seed, stream: 0x4F524452, index: split))
  }
}

/// Independent generator seeds derived from one seed, a stream tag and an index (SplitMix64
/// finaliser), so that e.g. epoch 3's shuffle does not depend on how many numbers epoch 2 drew.
public enum StreamSeed {
  /// A seed for (seed, stream, index).
  public static func derive(_ seed: UInt64, stream: UInt64, index: Int) -> UInt64 {
    var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* (stream &+ 1)
    z ^= UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
