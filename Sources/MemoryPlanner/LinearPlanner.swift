// LinearPlanner.swift
// No reuse: buffers are stacked in problem order (TFLM linear_memory_planner.cc). Trivially
// correct, so it is the baseline every other planner is tested against (STYLE.md B6.5).

/// Places buffer `i` at the sum of the occupied sizes of buffers `0..<i`; arena = Σ sizes.
public struct LinearPlanner: MemoryPlanningAlgorithm {
  /// "Linear".
  public var name: String { "Linear" }

  /// Creates the planner.
  public init() {}

  /// Stacks the buffers in order.
  public func plan(_ problem: PlanningProblem) throws -> MemoryPlan {
    try problem.validate()
    return withProof(MemoryPlan(problem: problem, offsets: Self.offsets(problem), planner: name))
  }

  /// Prefix sums of the occupied sizes.
  static func offsets(_ problem: PlanningProblem) -> [Int] {
    var offsets: [Int] = []
    offsets.reserveCapacity(problem.buffers.count)
    var next = 0
    for buffer in problem.buffers {
      offsets.append(next)
      next += problem.occupiedBytes(of: buffer)
    }
    return offsets
  }
}
