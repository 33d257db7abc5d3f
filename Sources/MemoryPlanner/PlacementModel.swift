// PlacementModel.swift
// Internal: the pairwise conflict structure of a problem and the lowest/highest feasible offset
// primitives shared by the corrected first fit, the heuristic portfolio and the exact search.
// Not public API (STYLE.md B2 rule 5).

/// Precomputed conflicts of a validated problem under the exact overlap semantics.
///
/// Buffers `a` and `b` conflict iff their lifetimes intersect. Occupied sizes only shrink over a
/// lifetime and a shrink keeps the buffer's low end, so the pair is disjoint at every common step
/// iff it is disjoint at the first common step `t0 = max(firstStep)`. Placing `a` at `x` next to
/// `b` at `y` is therefore legal iff `x + a(t0) <= y` or `x >= y + b(t0)`: the forbidden set of
/// `x` is the open interval `(y - a(t0), y + b(t0))`.
struct PlacementModel: Sendable {
  /// One conflicting buffer and the bytes both occupy at the first common step.
  struct Neighbor: Sendable {
    var index: Int
    /// Bytes of the buffer owning this list at `t0`.
    var ownBytes: Int
    /// Bytes of `index` at `t0`.
    var otherBytes: Int
  }

  let count: Int
  let alignment: Int
  /// Full aligned size of each buffer (what the arena size counts).
  let occupied: [Int]
  let neighbors: [[Neighbor]]

  init(_ problem: PlanningProblem) {
    let buffers = problem.buffers
    count = buffers.count
    alignment = problem.alignment
    occupied = buffers.map { problem.occupiedBytes(of: $0) }
    var lists = [[Neighbor]](repeating: [], count: buffers.count)
    let order = buffers.indices.sorted {
      (buffers[$0].firstStep, $0) < (buffers[$1].firstStep, $1)
    }
    for (position, i) in order.enumerated() {
      var next = position + 1
      while next < order.count, buffers[order[next]].firstStep <= buffers[i].lastStep {
        let j = order[next]
        next += 1
        let step = buffers[j].firstStep
        let iBytes = problem.occupiedBytes(of: buffers[i], atStep: step)
        let jBytes = problem.occupiedBytes(of: buffers[j], atStep: step)
        lists[i].append(Neighbor(index: j, ownBytes: iBytes, otherBytes: jBytes))
        lists[j].append(Neighbor(index: i, ownBytes: jBytes, otherBytes: iBytes))
      }
    }
    neighbors = lists
  }

  /// The lowest offset >= 0 at which `buffer` avoids every placed neighbor.
  ///
  /// Placed means `offsets[j] >= 0`. `scratch` is reused storage for the forbidden intervals.
  func lowestFeasibleOffset(
    of buffer: Int, offsets: [Int], scratch: inout [(low: Int, high: Int)]
  ) -> Int {
    scratch.removeAll(keepingCapacity: true)
    for neighbor in neighbors[buffer] where offsets[neighbor.index] >= 0 {
      let y = offsets[neighbor.index]
      scratch.append((y - neighbor.ownBytes, y + neighbor.otherBytes))
    }
    scratch.sort { $0.low < $1.low }
    var x = 0
    for interval in scratch {
      // Forbidden iff low < x < high. Intervals are sorted by low, so once x <= low every
      // remaining interval starts at or above x.
      if x <= interval.low { break }
      x = max(x, interval.high)
    }
    return x
  }

  /// The highest offset with `offset + occupied <= capacity` at which `buffer` avoids every
  /// placed neighbor, or nil when there is none.
  func highestFeasibleOffset(
    of buffer: Int, offsets: [Int], capacity: Int, scratch: inout [(low: Int, high: Int)]
  ) -> Int? {
    scratch.removeAll(keepingCapacity: true)
    for neighbor in neighbors[buffer] where offsets[neighbor.index] >= 0 {
      let y = offsets[neighbor.index]
      scratch.append((y - neighbor.ownBytes, y + neighbor.otherBytes))
    }
    scratch.sort { $0.high > $1.high }
    var x = (capacity - occupied[buffer]) / alignment * alignment
    for interval in scratch {
      if x >= interval.high { break }
      if x > interval.low { x = interval.low }
    }
    return x >= 0 ? x : nil
  }

  /// Offsets from placing buffers in `order`, each at its lowest feasible offset.
  func placeLowest(order: [Int]) -> [Int] {
    var offsets = [Int](repeating: -1, count: count)
    var scratch: [(low: Int, high: Int)] = []
    for buffer in order {
      offsets[buffer] = lowestFeasibleOffset(of: buffer, offsets: offsets, scratch: &scratch)
    }
    return offsets
  }

  /// Offsets from placing buffers in `order` into a target arena of `capacity` bytes.
  ///
  /// Each buffer prefers an end of the arena: offset 0 if feasible, else flush against the top,
  /// else the lowest feasible offset if it fits, else the highest that fits, else the lowest
  /// feasible (which exceeds `capacity`). On a chain with capacity = lower bound this alternates
  /// tensors between the bottom and the top (peers.md §6, "two large memory buffers").
  func placeTwoEnded(order: [Int], capacity: Int) -> [Int] {
    var offsets = [Int](repeating: -1, count: count)
    var scratch: [(low: Int, high: Int)] = []
    for buffer in order {
      let low = lowestFeasibleOffset(of: buffer, offsets: offsets, scratch: &scratch)
      let size = occupied[buffer]
      if low == 0 {
        offsets[buffer] = 0
        continue
      }
      let high = highestFeasibleOffset(
        of: buffer, offsets: offsets, capacity: capacity, scratch: &scratch)
      if let high, high + size == capacity {
        offsets[buffer] = high
      } else if low + size <= capacity {
        offsets[buffer] = low
      } else {
        offsets[buffer] = high ?? low
      }
    }
    return offsets
  }

  /// `max(offset + occupied)` over placed buffers.
  func arena(_ offsets: [Int]) -> Int {
    var arena = 0
    for index in 0..<count where offsets[index] >= 0 {
      arena = max(arena, offsets[index] + occupied[index])
    }
    return arena
  }

  /// Whether `offsets` (all placed) satisfy every pairwise constraint.
  func isFeasible(_ offsets: [Int]) -> Bool {
    for i in 0..<count {
      for neighbor in neighbors[i] where neighbor.index > i {
        let x = offsets[i]
        let y = offsets[neighbor.index]
        if x < y + neighbor.otherBytes && y < x + neighbor.ownBytes { return false }
      }
    }
    return true
  }
}
