// GreedyBySizePlanner.swift
// TF-Lite Micro's GreedyMemoryPlanner, reimplemented from its documented behaviour (TFLM
// tensorflow/lite/micro/memory_planner/greedy_memory_planner.cc; paper_facts.md §11).
// Not optimal (the problem is NP-complete); LinearPlanner is the baseline it is tested against.

/// TFLM's greedy-by-size placement.
///
/// Step by step:
///
/// 1. Each buffer occupies `alignUp(size, alignment)` bytes for its whole lifetime (TFLM has no
///    shrink, so a `shrink` is ignored — conservative, the plan stays valid).
/// 2. Buffers are sorted by occupied size, descending; ties keep problem order (TFLM's stable
///    bubble sort `ReverseSortInPlace`).
/// 3. The first buffer goes at offset 0.
/// 4. Each next buffer walks the list of placed buffers ordered by offset (a new entry is
///    inserted after entries with an equal offset), visiting only those whose inclusive lifetime
///    intersects its own (`DoesEntryOverlapInTime`). Keeping `candidate` = the highest end seen so
///    far (starting at 0), it takes the first gap `next.offset - candidate >= size`; when the
///    walk runs out it goes at `candidate`, after the last simultaneously active buffer.
///
/// Cost O(n²) for n buffers. Always valid; arena <= `LinearPlanner`'s.
public struct GreedyBySizePlanner: MemoryPlanningAlgorithm {
  /// "GreedyBySize".
  public var name: String { "GreedyBySize" }

  /// Creates the planner.
  public init() {}

  /// Places the buffers as TFLM's `CalculateOffsetsIfNeeded` does (online buffers only).
  public func plan(_ problem: PlanningProblem) throws -> MemoryPlan {
    try problem.validate()
    let offsets = Self.offsets(problem)
    return withProof(MemoryPlan(problem: problem, offsets: offsets, planner: name))
  }

  /// TFLM's offsets for a validated problem (also a candidate of `OursPlanner`).
  static func offsets(_ problem: PlanningProblem) -> [Int] {
    let buffers = problem.buffers
    let sizes = buffers.map { problem.occupiedBytes(of: $0) }
    let order = buffers.indices.sorted { (-sizes[$0], $0) < (-sizes[$1], $1) }
    var offsets = [Int](repeating: -1, count: buffers.count)
    var byOffset: [Int] = []  // placed buffer indices, ordered by offset (stable on ties)
    byOffset.reserveCapacity(buffers.count)
    for buffer in order {
      let wanted = buffers[buffer]
      var candidate = 0
      var position = 0
      while true {
        // Next placed buffer (in offset order) active at the same time as `wanted`.
        while position < byOffset.count {
          let other = buffers[byOffset[position]]
          if other.firstStep <= wanted.lastStep && wanted.firstStep <= other.lastStep { break }
          position += 1
        }
        guard position < byOffset.count else { break }
        let next = byOffset[position]
        if offsets[next] - candidate >= sizes[buffer] { break }
        candidate = max(candidate, offsets[next] + sizes[next])
        position += 1
      }
      offsets[buffer] = candidate
      // Insert after every entry whose offset is <= candidate (TFLM's list insertion).
      var insertAt = byOffset.count
      for (index, placed) in byOffset.enumerated() where offsets[placed] > candidate {
        insertAt = index
        break
      }
      byOffset.insert(buffer, at: insertAt)
    }
    return offsets
  }
}

/// `plan` with `provenOptimal` set when its arena equals the lower bound.
func withProof(_ plan: MemoryPlan) -> MemoryPlan {
  var plan = plan
  plan.provenOptimal = plan.arenaBytes == lowerBound(plan.problem)
  return plan
}
