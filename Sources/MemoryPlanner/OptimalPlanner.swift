// OptimalPlanner.swift
// Exact placement for small problems by branch and bound over placement orders, with a node
// budget so it can never hang (STYLE.md B5.8). Optimal placement is NP-complete (TFLM
// greedy_memory_planner.h), so this is for tests, small subnets and proving heuristics optimal.

/// Branch and bound over "lowest feasible offset" placement orders.
///
/// Search space. Placing buffers one at a time, each at its lowest feasible offset given the
/// buffers already placed, reaches an optimal plan for some order: take an optimal plan, sort its
/// buffers by (offset, index) and re-place them in that order; no offset rises, so repeating this
/// reaches a fixed point that is optimal and is reproduced by its own order, in which offsets are
/// non-decreasing (ties by increasing index). The search therefore only extends a partial plan
/// with a buffer whose lowest feasible offset is above the last placed offset, or equal to it
/// with a larger index.
///
/// Steps:
/// 1. Seed the incumbent with the heuristic portfolio of `OursPlanner` (without its exact step);
///    stop if it equals `lowerBound(problem)`.
/// 2. Depth-first search; children are tried by (lowest feasible offset, larger size first,
///    index). A node is cut when its bound reaches the incumbent. The bound is the max of: the
///    arena of the partial plan; for each unplaced buffer, max(its lowest feasible offset, last
///    offset) + its size; for each step, last offset + bytes of unplaced buffers live then + the
///    parts of placed live buffers above the last offset; and the global lower bound.
/// 3. Stop when the incumbent equals the lower bound, the tree is exhausted (proof), or
///    `nodeBudget` nodes were expanded (no proof unless the bound is met).
///
/// Problems with more than `maxSearchBuffers` buffers skip step 2 (each node costs O(n²)).
public struct OptimalPlanner: MemoryPlanningAlgorithm {
  /// Maximum number of search nodes expanded per problem.
  public var nodeBudget: Int
  /// Problems with more buffers return the seed plan without searching.
  public var maxSearchBuffers: Int

  /// Creates the planner.
  public init(nodeBudget: Int = 100_000, maxSearchBuffers: Int = 32) {
    precondition(nodeBudget >= 0, "nodeBudget must be >= 0")
    self.nodeBudget = nodeBudget
    self.maxSearchBuffers = maxSearchBuffers
  }

  /// "Optimal".
  public var name: String { "Optimal" }

  /// The best plan found; `provenOptimal` tells whether it is proven minimal.
  public func plan(_ problem: PlanningProblem) throws -> MemoryPlan {
    try search(problem).plan
  }

  /// Runs the search and reports its statistics as well as the plan.
  public func search(_ problem: PlanningProblem) throws -> OptimalSearchResult {
    try problem.validate()
    let model = PlacementModel(problem)
    let bound = lowerBound(problem)
    let seed = HeuristicPortfolio(model: model, problem: problem, lowerBound: bound).run()
    return search(problem, model: model, lowerBound: bound, seed: seed)
  }

  /// The search from `seed` offsets (valid, complete) on a validated problem.
  func search(
    _ problem: PlanningProblem, model: PlacementModel, lowerBound bound: Int, seed: [Int]
  ) -> OptimalSearchResult {
    let outcome = exhaustiveSearch(
      problem: problem, model: model, lowerBound: bound, seed: seed, nodeBudget: nodeBudget,
      maxBuffers: maxSearchBuffers)
    let plan = MemoryPlan(
      problem: problem, offsets: outcome.offsets, planner: name,
      provenOptimal: outcome.proven)
    return OptimalSearchResult(
      plan: plan, seedArenaBytes: model.arena(seed), lowerBound: bound,
      nodesExplored: outcome.nodes, exhausted: outcome.exhausted)
  }
}

/// What `OptimalPlanner.search` did.
public struct OptimalSearchResult: Hashable, Sendable {
  /// The best plan; `plan.provenOptimal` is true iff `exhausted` or it meets `lowerBound`.
  public var plan: MemoryPlan
  /// Arena of the heuristic seed the search started from.
  public var seedArenaBytes: Int
  /// `lowerBound(problem)`.
  public var lowerBound: Int
  /// Search nodes expanded (0 when the seed already met the bound or the search was skipped).
  public var nodesExplored: Int
  /// True when the whole tree was searched (or the bound was met): the plan is optimal.
  public var exhausted: Bool
}

/// Result of `exhaustiveSearch`.
struct SearchOutcome {
  var offsets: [Int]
  var nodes: Int
  var exhausted: Bool
  var proven: Bool
}

/// Branch and bound from `seed` (see `OptimalPlanner`), shared with `OursPlanner`.
func exhaustiveSearch(
  problem: PlanningProblem, model: PlacementModel, lowerBound bound: Int, seed: [Int],
  nodeBudget: Int, maxBuffers: Int
) -> SearchOutcome {
  let seedArena = model.arena(seed)
  if seedArena <= bound {
    return SearchOutcome(offsets: seed, nodes: 0, exhausted: true, proven: true)
  }
  guard model.count <= maxBuffers else {
    return SearchOutcome(offsets: seed, nodes: 0, exhausted: false, proven: false)
  }
  var search = BranchAndBound(
    problem: problem, model: model, lowerBound: bound, incumbent: seed, incumbentArena: seedArena,
    budget: nodeBudget)
  var offsets = [Int](repeating: -1, count: model.count)
  let lows = [Int](repeating: 0, count: model.count)
  search.expand(offsets: &offsets, lows: lows, lastOffset: 0, lastIndex: -1, top: 0, placed: 0)
  let exhausted = !search.outOfBudget || search.incumbentArena == bound
  return SearchOutcome(
    offsets: search.incumbent, nodes: search.nodes, exhausted: exhausted,
    proven: exhausted || search.incumbentArena == bound)
}

/// The depth-first search state.
private struct BranchAndBound {
  let model: PlacementModel
  let lowerBound: Int
  let budget: Int
  /// For each step where some buffer starts (where live-byte sums peak): (buffer, bytes at t).
  let liveAtStarts: [[(index: Int, bytes: Int)]]
  var incumbent: [Int]
  var incumbentArena: Int
  var nodes = 0
  var outOfBudget = false
  var done = false

  init(
    problem: PlanningProblem, model: PlacementModel, lowerBound: Int, incumbent: [Int],
    incumbentArena: Int, budget: Int
  ) {
    self.model = model
    self.lowerBound = lowerBound
    self.budget = budget
    self.incumbent = incumbent
    self.incumbentArena = incumbentArena
    let starts = Set(problem.buffers.map(\.firstStep)).sorted()
    liveAtStarts = starts.map { step in
      problem.buffers.indices.compactMap { index in
        let bytes = problem.occupiedBytes(of: problem.buffers[index], atStep: step)
        return bytes > 0 ? (index, bytes) : nil
      }
    }
  }

  /// Lower bound on the arena of every completion of this node.
  func bound(offsets: [Int], lows: [Int], lastOffset: Int, top: Int) -> Int {
    var result = max(top, lowerBound)
    for index in 0..<model.count where offsets[index] < 0 {
      result = max(result, max(lows[index], lastOffset) + model.occupied[index])
    }
    for live in liveAtStarts {
      var above = 0
      for (index, bytes) in live {
        if offsets[index] < 0 {
          above += bytes
        } else {
          above += max(0, offsets[index] + bytes - lastOffset)
        }
      }
      result = max(result, lastOffset + above)
    }
    return result
  }

  mutating func expand(
    offsets: inout [Int], lows: [Int], lastOffset: Int, lastIndex: Int, top: Int, placed: Int
  ) {
    if done { return }
    if placed == model.count {
      if top < incumbentArena {
        incumbentArena = top
        incumbent = offsets
        if top <= lowerBound { done = true }
      }
      return
    }
    if nodes >= budget {
      outOfBudget = true
      done = true
      return
    }
    nodes += 1
    if bound(offsets: offsets, lows: lows, lastOffset: lastOffset, top: top) >= incumbentArena {
      return
    }
    var children: [Int] = []
    for index in 0..<model.count where offsets[index] < 0 {
      if lows[index] > lastOffset || (lows[index] == lastOffset && index > lastIndex) {
        children.append(index)
      }
    }
    children.sort {
      (lows[$0], -model.occupied[$0], $0) < (lows[$1], -model.occupied[$1], $1)
    }
    for child in children {
      let offset = lows[child]
      let childTop = max(top, offset + model.occupied[child])
      if childTop >= incumbentArena { continue }
      offsets[child] = offset
      var childLows = lows
      for neighbor in model.neighbors[child] where offsets[neighbor.index] < 0 {
        childLows[neighbor.index] = pushUp(neighbor.index, from: lows[neighbor.index], offsets)
      }
      expand(
        offsets: &offsets, lows: childLows, lastOffset: offset, lastIndex: child, top: childTop,
        placed: placed + 1)
      offsets[child] = -1
      if done { return }
    }
  }

  /// The lowest feasible offset of `index` that is >= `start` (feasible sets only shrink as
  /// buffers are placed, so the previous lowest offset is a valid start).
  func pushUp(_ index: Int, from start: Int, _ offsets: [Int]) -> Int {
    var x = start
    var moved = true
    while moved {
      moved = false
      for neighbor in model.neighbors[index] where offsets[neighbor.index] >= 0 {
        let y = offsets[neighbor.index]
        if x < y + neighbor.otherBytes && y < x + neighbor.ownBytes {
          x = y + neighbor.otherBytes
          moved = true
        }
      }
    }
    return x
  }
}
