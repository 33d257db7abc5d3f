// BatchIterator.swift
// Seeded mini-batches of NHWC Float32 + labels. Per epoch e:
//   order    = Fisher–Yates shuffle of 0..<count with a generator of (seed, "order", e)
//              (identity order when shuffle is off);
//   batch b  = order[b*N ..< (b+1)*N] (the short tail dropped when dropLast);
//   sample i = source.sample(i) with a generator of (seed, e, i) of its own,
// so the batches do not depend on the number of decoding threads or on which batches were read.

import Dispatch
import Foundation
import TensorModule

/// One mini-batch.
public struct Batch: Sendable, Equatable {
  /// `[N, H, W, C]` row-major Float32.
  public var inputs: [Float]
  /// `[N, H, W, C]`.
  public var shape: Shape
  /// The label of each sample.
  public var labels: [Int]
  /// The dataset index of each sample.
  public var indices: [Int]
}

/// Batches of a `SampleSource`, deterministic given the seed.
public struct BatchIterator<Source: SampleSource>: Sendable {
  public let source: Source
  public let batchSize: Int
  public let shuffle: Bool
  public let dropLast: Bool
  public let seed: UInt64
  /// Decoding threads per batch (1 or 2 on this project's machines).
  public let threads: Int

  /// - Parameters:
  ///   - shuffle: reshuffle every epoch (training); false keeps dataset order (evaluation).
  ///   - dropLast: drop the final short batch.
  ///   - threads: samples of one batch are decoded on this many threads.
  public init(
    _ source: Source, batchSize: Int, shuffle: Bool, dropLast: Bool = false, seed: UInt64,
    threads: Int = 1
  ) {
    precondition(batchSize > 0, "batch size must be positive")
    precondition(threads >= 1, "threads must be at least 1")
    self.source = source
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.dropLast = dropLast
    self.seed = seed
    self.threads = threads
  }

  /// Batches per epoch.
  public var batchCount: Int {
    dropLast ? source.count / batchSize : (source.count + batchSize - 1) / batchSize
  }

  /// The dataset indices of every batch of `epoch`.
  public func order(epoch: Int) -> [[Int]] {
    var indices = Array(0..<source.count)
    if shuffle {
      var rng = Sampling.generator(seed: seed, stream: 0x4F52_4445_52, index: UInt64(epoch))
      Sampling.shuffle(&indices, &rng)
    }
    return (0..<batchCount).map { b in
      Array(indices[(b * batchSize)..<min((b + 1) * batchSize, indices.count)])
    }
  }

  /// Loads one batch of dataset indices for `epoch`.
  public func batch(_ indices: [Int], epoch: Int) throws -> Batch {
    let dims = source.sampleShape.dims
    let per = dims.reduce(1, *)
    let storage = BatchStorage(count: indices.count * per)
    let workers = min(threads, indices.count)
    let load: @Sendable (Int) -> Void = { worker in
      for slot in stride(from: worker, to: indices.count, by: workers) {
        var rng = Sampling.generator(
          seed: self.seed, stream: UInt64(epoch), index: UInt64(indices[slot]))
        do {
          let image = try self.source.sample(at: indices[slot], rng: &rng)
          precondition(image.data.count == per, "sample \(indices[slot]) has the wrong shape")
          storage.store(image.data, at: slot * per)
        } catch {
          storage.record(error)
        }
      }
    }
    if workers > 1 {
      DispatchQueue.concurrentPerform(iterations: workers, execute: load)
    } else {
      load(0)
    }
    if let error = storage.firstError { throw error }
    return Batch(
      inputs: storage.values, shape: Shape([indices.count] + dims),
      labels: indices.map(source.label(at:)), indices: indices)
  }

  /// Iterates over the batches of `epoch`: `var it = loader.epoch(0); while let b = try it.next()`.
  public func epoch(_ epoch: Int) -> EpochIterator {
    EpochIterator(loader: self, epoch: epoch, batches: order(epoch: epoch))
  }

  /// The batches of one epoch, loaded on demand.
  public struct EpochIterator {
    let loader: BatchIterator
    let epoch: Int
    let batches: [[Int]]
    var position = 0

    /// The next batch, or nil after the last.
    public mutating func next() throws -> Batch? {
      guard position < batches.count else { return nil }
      defer { position += 1 }
      return try loader.batch(batches[position], epoch: epoch)
    }
  }
}

/// The output buffer of one batch, written by several threads at disjoint offsets.
private final class BatchStorage: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var values: [Float]
  private var error: Error?

  init(count: Int) { values = [Float](repeating: 0, count: count) }

  func store(_ data: [Float], at offset: Int) {
    lock.lock()
    defer { lock.unlock() }
    values.replaceSubrange(offset..<(offset + data.count), with: data)
  }

  func record(_ error: Error) {
    lock.lock()
    defer { lock.unlock() }
    if self.error == nil { self.error = error }
  }

  var firstError: Error? {
    lock.lock()
    defer { lock.unlock() }
    return error
  }
}
