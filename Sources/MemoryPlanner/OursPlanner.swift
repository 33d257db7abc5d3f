// OursPlanner.swift
// The suite's own planner: a deterministic portfolio of heuristics plus local search, finished
// by the exact search on small problems. Never worse than Linear, GreedyBySize (TFLM) or
// TinyEngine first fit (corrected), because their plans are among its candidates.
// Not a new algorithm; the gain over TFLM/TinyEngine comes from trying more orders.

/// Best of several placements; deterministic (fixed internal seed).
///
/// Steps, stopping as soon as a candidate's arena equals `lowerBound(problem)` (proven optimal):
/// 1. Candidates `LinearPlanner` and `GreedyBySizePlanner` (TFLM's gap rule, exact offsets).
/// 2. Lowest-feasible-offset placement (exact overlap semantics, shrink-aware) in five orders:
///    size descending (= `TinyEngineFirstFitPlanner(.corrected)`), size × lifetime descending,
///    lifetime descending, first step ascending, and peak live bytes over the buffer's lifetime
///    descending; every tie is broken by larger size, then problem index.
/// 3. Two-ended placement into an arena of exactly the lower bound (offset 0 if free, else flush
///    with the top, else lowest, else highest that fits) in the first-step, size and pressure
///    orders; on chains this is the even/odd alternation that meets the bound (peers.md §6).
/// 4. Local improvement on the best order of step 2: up to `improvementRounds` times, move a
///    buffer whose end defines the arena to the front of the order and re-place; keep the first
///    move that lowers the arena, stop when none does.
/// 5. `randomPerturbations` hill-climbing trials: swap 1–3 random buffers with random
///    conflicting neighbours in the current order (SplitMix64, fixed seed), keep improvements.
/// 6. If the problem has at most `exactThreshold` buffers and the best is above the lower bound,
///    `OptimalPlanner`'s branch and bound from that plan with `exactNodeBudget` nodes.
///
/// Every candidate is valid by construction; the result is also checked with `validate()`.
/// With the default portfolio settings, for problems with at most `exactThreshold` buffers the
/// result equals `OptimalPlanner(nodeBudget: exactNodeBudget).plan(problem)`.
/// Cost: O(k · (n log n + conflicts)) for k ≈ 15 + rounds + perturbations placements.
public struct OursPlanner: MemoryPlanningAlgorithm {
  /// Default of `randomPerturbations`.
  public static let defaultRandomPerturbations = 16
  /// Default of `improvementRounds`.
  public static let defaultImprovementRounds = 32

  /// Problems with at most this many buffers finish with the exact search.
  public var exactThreshold: Int
  /// Node budget of the exact search.
  public var exactNodeBudget: Int
  /// Number of seeded perturbation trials (step 5).
  public var randomPerturbations: Int
  /// Maximum local-improvement rounds (step 4).
  public var improvementRounds: Int

  /// Creates the planner.
  public init(
    exactThreshold: Int = 14, exactNodeBudget: Int = 20_000,
    randomPerturbations: Int = OursPlanner.defaultRandomPerturbations,
    improvementRounds: Int = OursPlanner.defaultImprovementRounds
  ) {
    self.exactThreshold = exactThreshold
    self.exactNodeBudget = exactNodeBudget
    self.randomPerturbations = randomPerturbations
    self.improvementRounds = improvementRounds
  }

  /// "Ours".
  public var name: String { "Ours" }

  /// The best valid plan of the portfolio (see the type's documentation).
  public func plan(_ problem: PlanningProblem) throws -> MemoryPlan {
    try problem.validate()
    let model = PlacementModel(problem)
    let bound = lowerBound(problem)
    var portfolio = HeuristicPortfolio(model: model, problem: problem, lowerBound: bound)
    portfolio.randomPerturbations = randomPerturbations
    portfolio.improvementRounds = improvementRounds
    let seed = portfolio.run()
    let outcome = exhaustiveSearch(
      problem: problem, model: model, lowerBound: bound, seed: seed, nodeBudget: exactNodeBudget,
      maxBuffers: exactThreshold)
    let plan = MemoryPlan(
      problem: problem, offsets: outcome.offsets, planner: name, provenOptimal: outcome.proven)
    try plan.validate()
    return plan
  }
}
