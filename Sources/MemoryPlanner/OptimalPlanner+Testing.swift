// OptimalPlanner+Testing.swift
// Test-only hook (STYLE.md B2 rule 5): run the exact search from a weak seed, so tests can check
// that the branch and bound alone finds the optimum. Not API.

extension OptimalPlanner {
  /// Runs the branch and bound from `LinearPlanner`'s plan instead of the heuristic portfolio.
  @_spi(Testing)
  public func searchFromLinearSeed(_ problem: PlanningProblem) throws -> OptimalSearchResult {
    try problem.validate()
    let model = PlacementModel(problem)
    return search(
      problem, model: model, lowerBound: lowerBound(problem), seed: LinearPlanner.offsets(problem))
  }
}
