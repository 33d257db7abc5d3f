// HeuristicPortfolio.swift
// Internal: the heuristic part of OursPlanner (also OptimalPlanner's seed): several placement
// orders, a two-ended placement, local improvement and seeded perturbations; keeps the best.
// Not public API; OursPlanner's doc comment is the user-facing description.

/// Runs every heuristic of `OursPlanner` on one problem and returns the best offsets.
struct HeuristicPortfolio {
  let model: PlacementModel
  let problem: PlanningProblem
  let lowerBound: Int
  var randomPerturbations = OursPlanner.defaultRandomPerturbations
  var improvementRounds = OursPlanner.defaultImprovementRounds
  /// Fixed seed: the planner is a pure function of the problem.
  var seed: UInt64 = 0x4D43_554E_6574_2020  // "MCUNet  "

  /// The best candidate; ties keep the earliest candidate in the order documented on
  /// `OursPlanner`.
  func run() -> [Int] {
    var best = Best(model: model)
    guard model.count > 0 else { return [] }
    let buffers = problem.buffers
    let size = model.occupied
    let duration = buffers.map { $0.lastStep - $0.firstStep + 1 }
    let profile = problem.liveProfile()
    let pressure = buffers.map { buffer in
      profile[buffer.firstStep...buffer.lastStep].max() ?? 0
    }
    let indices = Array(0..<model.count)

    // 1. The baselines it must never lose to.
    best.offer(LinearPlanner.offsets(problem))
    best.offer(GreedyBySizePlanner.offsets(problem))
    // 2. Lowest-feasible-offset placement in several orders (the first is TinyEngine corrected).
    let orders: [[Int]] = [
      indices.sorted { (-size[$0], $0) < (-size[$1], $1) },
      indices.sorted {
        (-size[$0] * duration[$0], -size[$0], $0) < (-size[$1] * duration[$1], -size[$1], $1)
      },
      indices.sorted { (-duration[$0], -size[$0], $0) < (-duration[$1], -size[$1], $1) },
      indices.sorted {
        (buffers[$0].firstStep, -size[$0], $0) < (buffers[$1].firstStep, -size[$1], $1)
      },
      indices.sorted { (-pressure[$0], -size[$0], $0) < (-pressure[$1], -size[$1], $1) },
    ]
    var bestOrder = orders[0]
    var bestOrderArena = Int.max
    for order in orders {
      let arena = best.offer(model.placeLowest(order: order))
      if arena < bestOrderArena {
        bestOrderArena = arena
        bestOrder = order
      }
      if best.arena <= lowerBound { return best.offsets }
    }
    // 3. Two-ended placement into an arena of exactly the lower bound.
    for order in [orders[3], orders[0], orders[4]] {
      best.offer(model.placeTwoEnded(order: order, capacity: lowerBound))
      if best.arena <= lowerBound { return best.offsets }
    }
    // 4. Local improvement: move a buffer that defines the arena's top to the front.
    var order = bestOrder
    var arena = bestOrderArena
    for _ in 0..<improvementRounds {
      let offsets = model.placeLowest(order: order)
      var improved = false
      for candidate in order where offsets[candidate] + size[candidate] == arena {
        var moved = order.filter { $0 != candidate }
        moved.insert(candidate, at: 0)
        let movedArena = best.offer(model.placeLowest(order: moved))
        if movedArena < arena {
          order = moved
          arena = movedArena
          improved = true
          break
        }
      }
      if !improved || best.arena <= lowerBound { break }
    }
    if best.arena <= lowerBound { return best.offsets }
    // 5. Seeded perturbations: swap a random buffer with a random conflicting neighbour.
    var generator = SplitMix64(seed: seed)
    var position = [Int](repeating: 0, count: model.count)
    for _ in 0..<randomPerturbations {
      for (index, buffer) in order.enumerated() { position[buffer] = index }
      var trial = order
      let swaps = 1 + Int(generator.next() % 3)
      for _ in 0..<swaps {
        let a = Int(generator.next() % UInt64(model.count))
        let neighbors = model.neighbors[a]
        guard !neighbors.isEmpty else { continue }
        let b = neighbors[Int(generator.next() % UInt64(neighbors.count))].index
        trial.swapAt(position[a], position[b])
        position.swapAt(a, b)
      }
      let trialArena = best.offer(model.placeLowest(order: trial))
      if trialArena < arena {
        order = trial
        arena = trialArena
      }
      if best.arena <= lowerBound { break }
    }
    return best.offsets
  }
}

/// The best candidate so far.
private struct Best {
  let model: PlacementModel
  var offsets: [Int] = []
  var arena = Int.max

  /// Records `candidate` if it is smaller (ties keep the earlier one) and returns its arena.
  @discardableResult
  mutating func offer(_ candidate: [Int]) -> Int {
    let candidateArena = model.arena(candidate)
    assert(model.isFeasible(candidate), "portfolio produced an infeasible candidate")
    if candidateArena < arena {
      arena = candidateArena
      offsets = candidate
    }
    return candidateArena
  }
}

/// Sebastiano Vigna's SplitMix64: tiny, seedable, and the same on every platform.
struct SplitMix64: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
