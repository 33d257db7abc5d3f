// Parallel.swift
// Splits a range of independent rows over the cores with `DispatchQueue.concurrentPerform`.
// Used only by the hand-written loops; GEMMs get their threads from OpenBLAS instead, and the
// two never overlap in time.

import Dispatch
import Foundation

/// A split of `0..<count` into contiguous chunks, one per worker.
struct WorkSplit {
  let count: Int
  let chunks: Int

  /// Splits `count` rows into as many chunks as there are cores, but keeps at least
  /// `minimumRows` rows per chunk so that small problems stay on the calling thread.
  init(count: Int, minimumRows: Int) {
    self.count = count
    chunks = max(1, min(Self.cores, count / max(minimumRows, 1)))
  }

  /// The cores the hand loops split their rows over.
  static let cores = ProcessInfo.processInfo.activeProcessorCount

  /// The rows of chunk `i` (balanced to within one row).
  func range(_ i: Int) -> Range<Int> {
    (count * i / chunks)..<(count * (i + 1) / chunks)
  }

  /// Runs `body(chunk, rows)` for every chunk, concurrently when there is more than one.
  ///
  /// `body` must only write memory that belongs to its own rows or its own chunk. That contract
  /// is what makes handing the (non-`Sendable`) closure and the raw pointers it captures to
  /// other threads sound; the kernels keep it by construction, and the tests compare every
  /// parallel kernel with its serial reference.
  func run(_ body: (Int, Range<Int>) -> Void) {
    if chunks == 1 {
      body(0, 0..<count)
      return
    }
    withoutActuallyEscaping(body) { body in
      let shared = UncheckedSendable(value: body)
      let split = self
      DispatchQueue.concurrentPerform(iterations: chunks) { shared.value($0, split.range($0)) }
    }
  }
}

/// Carries a value across threads whose safety the caller guarantees (see `WorkSplit.run`).
private struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
}

/// Rows of roughly this many float operations are worth handing to another thread; below it,
/// the dispatch overhead (a few microseconds) dominates.
enum Grain {
  static let flops = 1 << 15

  /// Minimum rows per chunk when each row costs `flopsPerRow`.
  static func rows(flopsPerRow: Int) -> Int { max(1, flops / max(flopsPerRow, 1)) }
}
