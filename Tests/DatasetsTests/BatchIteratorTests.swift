// BatchIteratorTests.swift
// Seeded batching: permutations per epoch, determinism, drop-last, identical results on 1 and 2
// decoding threads, per-sample generators, and error propagation.

import TensorModule
import Testing
import _TestSupport

@testable import Datasets

/// Sample i is a [1, 2, 1] image (i, noise) whose noise comes from the sample's generator.
private struct CountingSource: SampleSource {
  var count: Int
  var failAt: Int? = nil
  var sampleShape: Shape { [1, 2, 1] }
  func label(at index: Int) -> Int { index % 3 }
  func sample(at index: Int, rng: inout SeededGenerator) throws -> FloatImage {
    if index == failAt { throw DatasetError.corruptImage(path: "item\(index)", reason: "test") }
    return FloatImage(
      height: 1, width: 2, channels: 1, data: [Float(index), Float(Sampling.unit(&rng))])
  }
}

@Suite struct BatchIteratorTests {
  private func all(_ loader: BatchIterator<CountingSource>, epoch: Int) throws -> [Batch] {
    var batches: [Batch] = []
    var it = loader.epoch(epoch)
    while let batch = try it.next() { batches.append(batch) }
    return batches
  }

  @Test func everyEpochIsAPermutationAndSeeded() throws {
    let loader = BatchIterator(CountingSource(count: 10), batchSize: 4, shuffle: true, seed: 1)
    let e0 = try all(loader, epoch: 0)
    #expect(e0.map(\.labels.count) == [4, 4, 2])
    let order = e0.flatMap(\.indices)
    #expect(order.sorted() == Array(0..<10) && order != Array(0..<10))
    #expect(try all(loader, epoch: 0) == e0)
    #expect(try all(loader, epoch: 1).flatMap(\.indices) != order)
    let other = BatchIterator(CountingSource(count: 10), batchSize: 4, shuffle: true, seed: 2)
    #expect(try all(other, epoch: 0).flatMap(\.indices) != order)
    for batch in e0 {
      #expect(batch.shape == Shape([batch.indices.count, 1, 2, 1]))
      #expect(batch.labels == batch.indices.map { $0 % 3 })
      #expect(
        stride(from: 0, to: batch.inputs.count, by: 2).map { Int(batch.inputs[$0]) }
          == batch.indices)
    }
  }

  @Test func dropLastAndUnshuffledOrder() throws {
    let loader = BatchIterator(
      CountingSource(count: 10), batchSize: 4, shuffle: false, dropLast: true, seed: 1)
    #expect(loader.batchCount == 2)
    #expect(try all(loader, epoch: 3).map(\.indices) == [[0, 1, 2, 3], [4, 5, 6, 7]])
  }

  @Test func twoThreadsGiveTheSameBatchesAsOne() throws {
    withEvery("batchSize", in: [1, 3, 7]) { batchSize in
      let one = BatchIterator(
        CountingSource(count: 11), batchSize: batchSize, shuffle: true, seed: 9, threads: 1)
      let two = BatchIterator(
        CountingSource(count: 11), batchSize: batchSize, shuffle: true, seed: 9, threads: 2)
      #expect((try? all(one, epoch: 2)) == (try? all(two, epoch: 2)))
    }
  }

  @Test func aSampleDrawsTheSameAugmentationWhicheverBatchItIsIn() throws {
    let a = BatchIterator(CountingSource(count: 8), batchSize: 8, shuffle: false, seed: 4)
    let b = BatchIterator(CountingSource(count: 8), batchSize: 3, shuffle: true, seed: 4)
    let noiseA = Dictionary(
      uniqueKeysWithValues: try all(a, epoch: 0).flatMap { batch in
        batch.indices.enumerated().map { ($1, batch.inputs[2 * $0 + 1]) }
      })
    for batch in try all(b, epoch: 0) {
      for (slot, index) in batch.indices.enumerated() {
        #expect(batch.inputs[2 * slot + 1] == noiseA[index])
      }
    }
  }

  @Test func loadingErrorsPropagateOnEveryThreadCount() {
    withEvery("threads", in: [1, 2]) { threads in
      let loader = BatchIterator(
        CountingSource(count: 6, failAt: 4), batchSize: 6, shuffle: false, seed: 0,
        threads: threads)
      let text = errorText { _ = try loader.batch(Array(0..<6), epoch: 0) }
      #expect(text.contains("corrupt image item4"))
    }
  }
}
