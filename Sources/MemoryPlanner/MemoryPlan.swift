// MemoryPlan.swift
// A planner's answer: one arena offset per buffer, the arena size it implies and an exact
// validity check (no two buffers live at the same step share a byte; TFLM
// `DoAnyBuffersOverlap`, TVM `_verify_all_conflicts`).
// Not a code generator: CodeGen turns a plan into C arrays.

/// Offsets for every buffer of `problem`, produced by `planner`.
public struct MemoryPlan: Hashable, Sendable, Codable {
  /// The problem this plan places.
  public var problem: PlanningProblem
  /// `offsets[i]` is the byte offset of `problem.buffers[i]` in the arena.
  public var offsets: [Int]
  /// Name of the algorithm that produced the plan, such as "GreedyBySize".
  public var planner: String
  /// True when the arena is known to be minimal.
  ///
  /// Either it equals `lowerBound(problem)` or an exhaustive search finished. False means
  /// "not proven", not "not optimal".
  public var provenOptimal: Bool

  /// Creates a plan; call `validate()` to check it.
  public init(
    problem: PlanningProblem, offsets: [Int], planner: String, provenOptimal: Bool = false
  ) {
    self.problem = problem
    self.offsets = offsets
    self.planner = planner
    self.provenOptimal = provenOptimal
  }

  /// Arena bytes the plan needs: `max(offset + occupied size)` over buffers (0 when empty).
  ///
  /// Uses each buffer's full aligned size, as TFLM's `GetMaximumMemorySize` and TinyEngine's
  /// `get_peak` do.
  public var arenaBytes: Int {
    var arena = 0
    for (index, buffer) in problem.buffers.enumerated() where index < offsets.count {
      arena = max(arena, offsets[index] + problem.occupiedBytes(of: buffer))
    }
    return arena
  }

  /// Sum of occupied bytes of the buffers live at `step` (with shrink); independent of offsets.
  public func liveBytes(atStep step: Int) -> Int {
    problem.liveBytes(atStep: step)
  }

  /// The offset of the buffer called `name`, or nil when there is none.
  public func offset(of name: String) -> Int? {
    guard let index = problem.buffers.firstIndex(where: { $0.name == name }),
      index < offsets.count
    else { return nil }
    return offsets[index]
  }

  /// Checks the problem, the offsets and that no two live buffers overlap.
  ///
  /// Order: the problem, then every offset (count, sign, alignment), then that no two buffers
  /// live at a common step have intersecting occupied ranges at that step (with shrink). Throws
  /// the first violation; for overlaps, the lowest pair of buffer indices and their first common
  /// step.
  public func validate() throws {
    try problem.validate()
    let buffers = problem.buffers
    guard offsets.count == buffers.count else {
      throw PlannerError.offsetCountMismatch(offsets: offsets.count, buffers: buffers.count)
    }
    for (index, buffer) in buffers.enumerated() {
      let offset = offsets[index]
      if offset < 0 { throw PlannerError.negativeOffset(buffer: buffer.name, offset: offset) }
      if offset % problem.alignment != 0 {
        throw PlannerError.misaligned(
          buffer: buffer.name, offset: offset, alignment: problem.alignment)
      }
    }
    if let (i, j, step) = firstConflict() {
      let a = buffers[i]
      let b = buffers[j]
      let aBytes = problem.occupiedBytes(of: a, atStep: step)
      let bBytes = problem.occupiedBytes(of: b, atStep: step)
      throw PlannerError.overlap(
        first: a.name, firstRange: offsets[i]..<(offsets[i] + aBytes),
        second: b.name, secondRange: offsets[j]..<(offsets[j] + bBytes), step: step,
        planner: planner)
    }
  }

  /// Whether `validate()` succeeds.
  public var isValid: Bool { validationError == nil }

  /// The error `validate()` throws, or nil for a valid plan.
  public var validationError: PlannerError? {
    do {
      try validate()
      return nil
    } catch let error as PlannerError {
      return error
    } catch {
      preconditionFailure("validate() throws only PlannerError, got \(error)")
    }
  }

  /// The lexicographically first overlapping pair `(i, j)`, `i < j`, and its first common step.
  ///
  /// Sizes only shrink over a lifetime and a shrink keeps the low end, so a pair overlaps at some
  /// common step iff it overlaps at the first one, `max(firstStep)`.
  func firstConflict() -> (Int, Int, Int)? {
    let buffers = problem.buffers
    // Candidate pairs come from a sweep over lifetimes sorted by firstStep; keep the
    // lexicographically smallest conflicting pair so the report is deterministic.
    let order = buffers.indices.sorted {
      (buffers[$0].firstStep, $0) < (buffers[$1].firstStep, $1)
    }
    var best: (Int, Int, Int)?
    for (position, i) in order.enumerated() {
      let a = buffers[i]
      var next = position + 1
      while next < order.count, buffers[order[next]].firstStep <= a.lastStep {
        let j = order[next]
        next += 1
        let step = buffers[j].firstStep  // >= a.firstStep: the first common step
        let aEnd = offsets[i] + problem.occupiedBytes(of: a, atStep: step)
        let bEnd = offsets[j] + problem.occupiedBytes(of: buffers[j], atStep: step)
        guard offsets[i] < bEnd && offsets[j] < aEnd else { continue }
        let pair = (min(i, j), max(i, j), step)
        if let current = best, (current.0, current.1) <= (pair.0, pair.1) { continue }
        best = pair
      }
    }
    return best
  }
}
