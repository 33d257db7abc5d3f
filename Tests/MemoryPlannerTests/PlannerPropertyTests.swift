// PlannerPropertyTests.swift
// Seeded property tests over random problems built from random graph topologies
// (STYLE.md B6.5): every plan validates (checked twice: validate() and an independent per-step
// checker), arena >= lower bound, greedy <= linear, Ours <= every heuristic, the exact planner
// matches a brute-force optimum, Ours meets the bound on chains, and everything is
// deterministic. Each failure names its seed.

@_spi(Testing) import MemoryPlanner
import Testing

@Suite("Planner properties on random graphs")
struct PlannerPropertyTests {
  /// Full topology mix (chains, residual blocks, fan-outs, stride-2 in-place shrinks, scratch).
  @Test func everyPlanIsValidAndOrdered() throws {
    var mixed = TopologyMix()
    mixed.maxOps = 24
    for seed in UInt64(0)..<1200 {
      let problem = randomGraphProblem(seed: seed, mix: mixed)
      try checkInvariants(problem, seed: seed)
    }
  }

  /// Larger graphs (up to ~80 buffers), fewer of them.
  @Test func largerGraphsStayValid() throws {
    var mixed = TopologyMix()
    mixed.maxOps = 60
    for seed in UInt64(10_000)..<10_150 {
      let problem = randomGraphProblem(seed: seed, mix: mixed)
      try checkInvariants(problem, seed: seed)
    }
  }

  func checkInvariants(_ problem: PlanningProblem, seed: UInt64) throws {
    let bound = lowerBound(problem)
    #expect(bound == independentLowerBound(problem), "seed \(seed): lower bound")
    let linear = try LinearPlanner().plan(problem)
    let greedy = try GreedyBySizePlanner().plan(problem)
    let corrected = try TinyEngineFirstFitPlanner(fidelity: .corrected).plan(problem)
    let ours = try OursPlanner().plan(problem)
    for plan in [linear, greedy, corrected, ours] {
      #expect(throws: Never.self, "seed \(seed): \(plan.planner) must validate") {
        try plan.validate()
      }
      let overlap = independentOverlap(plan)
      #expect(overlap == nil, "seed \(seed): \(plan.planner) overlaps: \(overlap ?? "")")
      #expect(plan.arenaBytes >= bound, "seed \(seed): \(plan.planner) below the lower bound")
      #expect(
        plan.provenOptimal == (plan.arenaBytes == bound) || plan.planner == "Ours",
        "seed \(seed): \(plan.planner) provenOptimal")
    }
    #expect(linear.arenaBytes == problem.buffers.reduce(0) { $0 + problem.occupiedBytes(of: $1) })
    #expect(greedy.arenaBytes <= linear.arenaBytes, "seed \(seed): greedy > linear")
    #expect(corrected.arenaBytes <= linear.arenaBytes, "seed \(seed): TinyEngine > linear")
    let heuristics = min(linear.arenaBytes, greedy.arenaBytes, corrected.arenaBytes)
    #expect(ours.arenaBytes <= heuristics, "seed \(seed): Ours worse than a heuristic")
    if ours.provenOptimal && problem.buffers.count > 14 {
      #expect(ours.arenaBytes == bound, "seed \(seed): proven without search must meet the bound")
    }

    // TinyEngine faithful: never crashes; validate() agrees with the independent checker.
    let faithful = try TinyEngineFirstFitPlanner(fidelity: .faithful).plan(problem)
    #expect(
      faithful.isValid == (independentOverlap(faithful) == nil),
      "seed \(seed): validate() and the independent checker disagree")
    #expect(faithful.offsets.allSatisfy { $0 >= 0 && $0 % problem.alignment == 0 })

    // Deterministic: the same problem twice gives the same offsets.
    #expect(try OursPlanner().plan(problem).offsets == ours.offsets, "seed \(seed): Ours")
    #expect(try GreedyBySizePlanner().plan(problem).offsets == greedy.offsets, "seed \(seed)")
    #expect(
      try TinyEngineFirstFitPlanner(fidelity: .faithful).plan(problem).offsets
        == faithful.offsets, "seed \(seed)")
  }

  /// Without shrinks and without identical lifetimes, TinyEngine's quirks are harmless: the
  /// skipped slot can only be one that touches the carved range (a real overlap would need a
  /// later, smaller buffer to span an earlier one), so faithful == corrected.
  @Test func faithfulEqualsCorrectedWithoutShrinkOrIdenticalLifetimes() throws {
    var mix = TopologyMix()
    mix.inPlaceStride2 = false
    var compared = 0
    for seed in UInt64(20_000)..<20_600 {
      let problem = randomGraphProblem(seed: seed, mix: mix)
      let lifetimes = problem.buffers.map { [$0.firstStep, $0.lastStep] }
      guard Set(lifetimes).count == lifetimes.count else { continue }
      compared += 1
      let faithful = try TinyEngineFirstFitPlanner(fidelity: .faithful).plan(problem)
      let corrected = try TinyEngineFirstFitPlanner(fidelity: .corrected).plan(problem)
      #expect(faithful.offsets == corrected.offsets, "seed \(seed)")
      #expect(faithful.isValid, "seed \(seed)")
    }
    #expect(compared >= 50, "too few problems without identical lifetimes: \(compared)")
  }

  /// Chains without scratch: Ours meets the bound.
  ///
  /// The bound max_k(|a_{k-1}| + |a_k|) is tight (peers.md §6, even
  /// tensors at the bottom, odd ones at the top). Ours must reach it, also on long chains that
  /// are too big for the exact search.
  @Test func oursMeetsTheBoundOnChains() throws {
    var mix = TopologyMix.chain
    for maxOps in [6, 40, 200] {
      mix.maxOps = maxOps
      for seed in UInt64(30_000)..<UInt64(30_000 + (maxOps == 200 ? 60 : 400)) {
        let problem = randomGraphProblem(seed: seed, mix: mix)
        let plan = try OursPlanner().plan(problem)
        #expect(
          plan.arenaBytes == lowerBound(problem),
          "seed \(seed), maxOps \(maxOps): Ours \(plan.arenaBytes) > bound \(lowerBound(problem))")
        #expect(plan.provenOptimal, "seed \(seed)")
        if maxOps == 6 {
          let optimal = try OptimalPlanner().plan(problem)
          #expect(optimal.arenaBytes == plan.arenaBytes && optimal.provenOptimal, "seed \(seed)")
        }
      }
    }
  }

  /// Chains with one scratch buffer per op: still tight (the scratch fits between the bottom
  /// and top tensors), and Ours still reaches it.
  @Test func oursMeetsTheBoundOnChainsWithScratch() throws {
    var mix = TopologyMix.chain
    mix.scratchPercent = 60
    mix.maxOps = 40
    for seed in UInt64(40_000)..<40_400 {
      let problem = randomGraphProblem(seed: seed, mix: mix)
      let plan = try OursPlanner().plan(problem)
      #expect(plan.arenaBytes == lowerBound(problem), "seed \(seed)")
    }
  }

  /// On small graphs (<= 14 buffers) Ours runs the same exact search as OptimalPlanner with the
  /// same budget, so the offsets are identical; above that Optimal can only be better.
  @Test func optimalAndOursAgreeOnSmallGraphs() throws {
    var mix = TopologyMix()
    mix.maxOps = 9
    var searched = 0
    for seed in UInt64(50_000)..<50_300 {
      let problem = randomGraphProblem(seed: seed, mix: mix)
      let ours = try OursPlanner(exactNodeBudget: 5_000).plan(problem)
      let result = try OptimalPlanner(nodeBudget: 5_000, maxSearchBuffers: 14).search(problem)
      if result.nodesExplored > 0 { searched += 1 }
      #expect(result.plan.isValid, "seed \(seed)")
      #expect(result.plan.arenaBytes <= result.seedArenaBytes, "seed \(seed)")
      #expect(result.nodesExplored <= 5_000, "seed \(seed)")
      if problem.buffers.count <= 14 {
        #expect(result.plan.offsets == ours.offsets, "seed \(seed)")
        #expect(result.plan.provenOptimal == ours.provenOptimal, "seed \(seed)")
      } else {
        #expect(result.plan.arenaBytes <= ours.arenaBytes, "seed \(seed)")
      }
    }
    #expect(searched > 0, "no problem needed the search; the test proves nothing")
  }

  /// Random-interval problems, where the heuristics often miss the bound: Ours is never worse than
  /// a heuristic, equals OptimalPlanner (same budget) up to 14 buffers, and the exact search
  /// sometimes beats every heuristic.
  @Test func harderIntervalProblems() throws {
    var searchWins = 0
    for seed in UInt64(80_000)..<80_300 {
      let count = 4 + Int(seed % 15)  // 4...18 buffers
      let problem = randomIntervalProblem(seed: seed, count: count)
      let bound = lowerBound(problem)
      let ours = try OursPlanner(exactNodeBudget: 1_000).plan(problem)
      let result = try OptimalPlanner(nodeBudget: 1_000, maxSearchBuffers: 18).search(problem)
      let heuristics =
        try [
          LinearPlanner().plan(problem), GreedyBySizePlanner().plan(problem),
          TinyEngineFirstFitPlanner().plan(problem),
        ].map(\.arenaBytes).min() ?? 0
      #expect(ours.isValid && result.plan.isValid, "seed \(seed)")
      #expect(independentOverlap(ours) == nil, "seed \(seed)")
      #expect(ours.arenaBytes >= bound && ours.arenaBytes <= heuristics, "seed \(seed)")
      #expect(result.plan.arenaBytes <= ours.arenaBytes, "seed \(seed)")
      if count <= 14 {
        #expect(result.plan.offsets == ours.offsets, "seed \(seed)")
      }
      if result.plan.arenaBytes < result.seedArenaBytes { searchWins += 1 }
    }
    #expect(searchWins > 0, "the exact search never improved on the portfolio")
  }

  /// The exact planner equals an independent brute-force optimum on tiny random problems with
  /// shrinks, and proves it.
  @Test func optimalMatchesBruteForce() throws {
    var beatsGreedy = 0
    for seed in UInt64(60_000)..<60_400 {
      var rng = TestRNG(seed: seed)
      let count = rng.int(2...5)
      let alignment = rng.chance(30) ? 2 : 1
      var buffers: [BufferRequest] = []
      for index in 0..<count {
        let first = rng.int(0...3)
        let last = first + rng.int(0...3)
        let size = rng.int(1...5)
        var shrink: BufferRequest.Shrink?
        if last > first && rng.chance(30) {
          shrink = .init(afterStep: rng.int(first...(last - 1)), size: rng.int(1...size))
        }
        buffers.append(
          BufferRequest(
            name: "b\(index)", size: size, firstStep: first, lastStep: last, shrink: shrink))
      }
      let problem = PlanningProblem(buffers: buffers, alignment: alignment)
      let optimum = bruteForceOptimum(problem)
      let result = try OptimalPlanner().search(problem)
      #expect(result.plan.arenaBytes == optimum, "seed \(seed): \(buffers)")
      #expect(result.plan.provenOptimal, "seed \(seed)")
      #expect(result.plan.isValid, "seed \(seed)")
      // The branch and bound alone, from the no-reuse plan, must also reach the optimum.
      let unseeded = try OptimalPlanner().searchFromLinearSeed(problem)
      #expect(unseeded.plan.arenaBytes == optimum, "seed \(seed): search alone")
      #expect(unseeded.exhausted && unseeded.plan.isValid, "seed \(seed)")
      #expect(try OursPlanner().plan(problem).arenaBytes == optimum, "seed \(seed)")
      if try GreedyBySizePlanner().plan(problem).arenaBytes > optimum { beatsGreedy += 1 }
    }
    #expect(beatsGreedy > 0, "no case where greedy is suboptimal; the test is too easy")
  }

  /// A node budget bounds the search; the plan stays valid and is not claimed optimal unless
  /// it meets the bound.
  @Test func nodeBudgetIsRespected() throws {
    var mix = TopologyMix()
    mix.maxOps = 10
    for seed in UInt64(70_000)..<70_100 {
      let problem = randomGraphProblem(seed: seed, mix: mix)
      for budget in [0, 1, 10] {
        let result = try OptimalPlanner(nodeBudget: budget).search(problem)
        #expect(result.nodesExplored <= budget, "seed \(seed)")
        #expect(result.plan.isValid, "seed \(seed)")
        #expect(result.plan.arenaBytes <= result.seedArenaBytes, "seed \(seed)")
        #expect(
          result.plan.provenOptimal
            == (result.exhausted || result.plan.arenaBytes == result.lowerBound),
          "seed \(seed), budget \(budget)")
        if budget == 0 {
          #expect(result.exhausted == (result.seedArenaBytes == result.lowerBound))
        }
      }
    }
  }

  /// 240 buffers: every planner returns a valid plan (timings are measured outside the tests).
  @Test func twoHundredBuffers() throws {
    var mix = TopologyMix()
    mix.minOps = 170
    mix.maxOps = 180
    let problem = randomGraphProblem(seed: 7, mix: mix)
    #expect(problem.buffers.count >= 200)
    let planners: [any MemoryPlanningAlgorithm] = [
      LinearPlanner(), GreedyBySizePlanner(), TinyEngineFirstFitPlanner(), OptimalPlanner(),
      OursPlanner(),
    ]
    for planner in planners {
      let plan = try planner.plan(problem)
      try plan.validate()
      #expect(plan.arenaBytes >= lowerBound(problem))
    }
  }
}
