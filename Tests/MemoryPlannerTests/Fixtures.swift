// Fixtures.swift
// Test-only helpers: a seeded RNG, random problems built from graph topologies, an independent
// overlap checker and lower bound, and an independent brute-force optimum for tiny problems.

import MemoryPlanner

/// SplitMix64 (Vigna); the test target does not depend on TensorModule's generator.
struct TestRNG {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in `range` (modulo bias is irrelevant here).
  mutating func int(_ range: ClosedRange<Int>) -> Int {
    range.lowerBound + Int(next() % UInt64(range.count))
  }

  /// True with probability `percent`/100.
  mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
}

/// Shorthand for a buffer in hand-drawn tests.
func buf(
  _ name: String, _ size: Int, _ steps: ClosedRange<Int>, _ kind: BufferRequest.Kind = .activation,
  shrinkAfter: Int? = nil, to kept: Int = 0
) -> BufferRequest {
  BufferRequest(
    name: name, size: size, firstStep: steps.lowerBound, lastStep: steps.upperBound,
    shrink: shrinkAfter.map { BufferRequest.Shrink(afterStep: $0, size: kept) }, kind: kind)
}

/// Which building blocks a random graph may use.
struct TopologyMix {
  var residual = true
  var fanOut = true
  var inPlaceStride2 = true
  var scratchPercent = 30
  var minOps = 2
  var maxOps = 24
  var alignments = [1, 4, 16]
  var sizeScale = [1, 4, 16, 64]

  static let chain = TopologyMix(
    residual: false, fanOut: false, inPlaceStride2: false, scratchPercent: 0)
}

/// A random problem from a random op sequence.
///
/// Blocks: chains, residual blocks (the skip tensor stays
/// live until the add), fan-outs (a tensor read by two later ops), TinyEngine stride-2 in-place
/// depthwise ops (the input buffer shrinks to ceil(size/4) after the op) and per-op scratch
/// buffers. Lifetimes follow TFLM: first = producing op, last = last reading op.
func randomGraphProblem(seed: UInt64, mix: TopologyMix) -> PlanningProblem {
  var rng = TestRNG(seed: seed)
  var buffers: [BufferRequest] = []
  var step = 0
  func size() -> Int { rng.int(1...64) * mix.sizeScale[rng.int(0...(mix.sizeScale.count - 1))] }
  func produce(_ kind: BufferRequest.Kind = .activation) -> Int {
    buffers.append(
      BufferRequest(
        name: "t\(buffers.count)", size: size(), firstStep: step, lastStep: step, kind: kind))
    return buffers.count - 1
  }
  func read(_ index: Int) { buffers[index].lastStep = max(buffers[index].lastStep, step) }
  func maybeScratch() {
    if rng.chance(mix.scratchPercent) {
      buffers.append(
        BufferRequest(
          name: "s\(buffers.count)", size: size(), firstStep: step, lastStep: step,
          kind: .scratch))
    }
  }
  /// One op reading `input`, returning its new output.
  func op(reading inputs: [Int]) -> Int {
    for input in inputs { read(input) }
    let output = produce()
    maybeScratch()
    step += 1
    return output
  }

  var current = produce(.input)
  let opCount = rng.int(max(2, mix.minOps)...max(2, mix.minOps, mix.maxOps))
  while step < opCount {
    switch rng.int(0...9) {
    case 0...1 where mix.residual:
      let skip = current
      for _ in 0..<rng.int(1...3) { current = op(reading: [current]) }
      current = op(reading: [skip, current])
    case 2 where mix.fanOut:
      let a = current
      let b = op(reading: [a])
      if rng.chance(50) {
        current = op(reading: [a, b])
      } else {
        let c = op(reading: [a])
        current = op(reading: [b, c])
      }
    case 3 where mix.inPlaceStride2 && buffers[current].shrink == nil:
      // The depthwise op at `step` rewrites `current` in place; the next op reads it.
      read(current)
      let full = buffers[current].size
      buffers[current].shrink = .init(afterStep: step, size: (full + 3) / 4)
      maybeScratch()
      step += 1
      current = op(reading: [current])
    default:
      current = op(reading: [current])
    }
  }
  buffers[current].kind = .output
  let alignment = mix.alignments[rng.int(0...(mix.alignments.count - 1))]
  return PlanningProblem(buffers: buffers, alignment: alignment, stepCount: step)
}

/// Independent check of a plan, step by step.
///
/// For every step and every pair of buffers live then, their
/// occupied ranges at that step (aligned size, shrink size after the shrink) are disjoint.
/// Returns a description of the first overlap, or nil.
func independentOverlap(_ plan: MemoryPlan) -> String? {
  let problem = plan.problem
  func occupied(_ b: BufferRequest, _ t: Int) -> Int {
    guard b.firstStep <= t && t <= b.lastStep else { return 0 }
    let bytes = (b.shrink.map { t > $0.afterStep } ?? false) ? b.shrink?.size ?? 0 : b.size
    return (bytes + problem.alignment - 1) / problem.alignment * problem.alignment
  }
  for t in 0..<problem.stepCount {
    let live = problem.buffers.indices.filter { occupied(problem.buffers[$0], t) > 0 }
    for (n, i) in live.enumerated() {
      for j in live[(n + 1)...] {
        let a = plan.offsets[i]..<(plan.offsets[i] + occupied(problem.buffers[i], t))
        let b = plan.offsets[j]..<(plan.offsets[j] + occupied(problem.buffers[j], t))
        if a.overlaps(b) {
          return "\(problem.buffers[i].name) \(a) and \(problem.buffers[j].name) \(b) at step \(t)"
        }
      }
    }
  }
  return nil
}

/// Independent lower bound: max over steps of the sum of occupied bytes, computed per step.
func independentLowerBound(_ problem: PlanningProblem) -> Int {
  var best = 0
  for t in 0..<max(problem.stepCount, 1) {
    var sum = 0
    for b in problem.buffers where b.firstStep <= t && t <= b.lastStep {
      let bytes = (b.shrink.map { t > $0.afterStep } ?? false) ? b.shrink?.size ?? 0 : b.size
      sum += (bytes + problem.alignment - 1) / problem.alignment * problem.alignment
    }
    best = max(best, sum)
  }
  return best
}

/// Exact optimum by plain enumeration of offsets.
///
/// Offsets are multiples of the alignment, enumerated buffer by buffer, with the best arena so far
/// as the only pruning. Independent of the planners' model; for tiny problems only.
func bruteForceOptimum(_ problem: PlanningProblem) -> Int {
  let a = problem.alignment
  let buffers = problem.buffers
  func occupied(_ b: BufferRequest, _ t: Int) -> Int {
    guard b.firstStep <= t && t <= b.lastStep else { return 0 }
    let bytes = (b.shrink.map { t > $0.afterStep } ?? false) ? b.shrink?.size ?? 0 : b.size
    return (bytes + a - 1) / a * a
  }
  let full = buffers.map { ($0.size + a - 1) / a * a }
  var best = full.reduce(0, +)
  var offsets = [Int](repeating: 0, count: buffers.count)
  func fits(_ i: Int) -> Bool {
    for j in 0..<i {
      let first = max(buffers[i].firstStep, buffers[j].firstStep)
      let last = min(buffers[i].lastStep, buffers[j].lastStep)
      guard first <= last else { continue }
      for t in first...last {
        let x = offsets[i]..<(offsets[i] + occupied(buffers[i], t))
        let y = offsets[j]..<(offsets[j] + occupied(buffers[j], t))
        if x.overlaps(y) { return false }
      }
    }
    return true
  }
  func place(_ i: Int, _ top: Int) {
    if top >= best { return }
    if i == buffers.count {
      best = top
      return
    }
    var offset = 0
    while offset + full[i] < best {
      offsets[i] = offset
      if fits(i) { place(i + 1, max(top, offset + full[i])) }
      offset += a
    }
  }
  place(0, 0)
  return best
}

/// A random problem of `count` buffers with random short lifetimes.
///
/// About `count / 2` steps, sizes that are multiples of 16 (alignment 16) and ~20 % stride-2
/// shrinks. Harder than graph
/// problems: the heuristics often miss the lower bound, so the exact search has work to do.
func randomIntervalProblem(seed: UInt64, count: Int) -> PlanningProblem {
  var rng = TestRNG(seed: seed)
  let steps = max(3, count / 2)
  var buffers: [BufferRequest] = []
  for index in 0..<count {
    let first = rng.int(0...(steps - 1))
    let last = min(steps - 1, first + rng.int(0...3))
    let size = rng.int(1...16) * 16
    var shrink: BufferRequest.Shrink?
    if last > first && rng.chance(20) {
      shrink = .init(afterStep: rng.int(first...(last - 1)), size: (size + 3) / 4)
    }
    buffers.append(
      BufferRequest(name: "b\(index)", size: size, firstStep: first, lastStep: last, shrink: shrink)
    )
  }
  return PlanningProblem(buffers: buffers, alignment: 16, stepCount: steps)
}
