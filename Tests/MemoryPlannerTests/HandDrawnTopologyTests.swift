// HandDrawnTopologyTests.swift
// Small graphs drawn in ASCII with every planner's exact arena worked out by hand
// (STYLE.md B6.5; TVM test_fanout docstrings). Steps are op indices; a tensor is live from the
// op that writes it to the last op that reads it, both inclusive. Alignment 1 unless stated.

import MemoryPlanner
import Testing

/// Expected arena bytes of every planner on one problem.
struct ExpectedArenas {
  var lowerBound: Int
  var linear: Int
  var greedy: Int
  var tinyEngineFaithful: Int
  var tinyEngineCorrected: Int
  var optimal: Int
  var ours: Int
}

/// Plans `problem` with every planner and checks each arena against `expected`.
///
/// Also checks that every plan except the faithful TinyEngine one validates. Returns the plans by
/// planner name.
@discardableResult
func checkArenas(
  _ problem: PlanningProblem, _ expected: ExpectedArenas,
  sourceLocation: SourceLocation = #_sourceLocation
) throws -> [String: MemoryPlan] {
  #expect(lowerBound(problem) == expected.lowerBound, "lower bound", sourceLocation: sourceLocation)
  let cases: [(any MemoryPlanningAlgorithm, Int)] = [
    (LinearPlanner(), expected.linear),
    (GreedyBySizePlanner(), expected.greedy),
    (TinyEngineFirstFitPlanner(fidelity: .faithful), expected.tinyEngineFaithful),
    (TinyEngineFirstFitPlanner(fidelity: .corrected), expected.tinyEngineCorrected),
    (OptimalPlanner(), expected.optimal),
    (OursPlanner(), expected.ours),
  ]
  var plans: [String: MemoryPlan] = [:]
  for (planner, arena) in cases {
    let plan = try planner.plan(problem)
    plans[planner.name] = plan
    #expect(plan.arenaBytes == arena, "\(planner.name) arena", sourceLocation: sourceLocation)
    if planner.name != "TinyEngineFirstFit(faithful)" {
      #expect(
        throws: Never.self, "\(planner.name) plan must validate", sourceLocation: sourceLocation
      ) {
        try plan.validate()
      }
    }
  }
  return plans
}

@Suite("Hand-drawn topologies")
struct HandDrawnTopologyTests {
  /// A chain of 4 ops.
  ///
  ///     x(32) ─op0─▶ a(64) ─op1─▶ b(16) ─op2─▶ c(48) ─op3─▶ y(8)
  ///
  ///     lifetimes: x 0...0, a 0...1, b 1...2, c 2...3, y 3...3
  ///     live:      step 0: x+a = 96, step 1: a+b = 80, step 2: b+c = 64, step 3: c+y = 56
  ///
  /// Lower bound 96. Linear = 32+64+16+48+8 = 168. Greedy by size places a(64)@0, c(48)@0 (no
  /// common step with a), x(32) above a @64, b(16) above a and c @64, y(8) above c @48: 96.
  /// TinyEngine uses the same order and the same lowest slots: 96. Optimal and Ours: 96.
  @Test func chainOfFourOps() throws {
    let problem = PlanningProblem(buffers: [
      buf("x", 32, 0...0, .input), buf("a", 64, 0...1), buf("b", 16, 1...2),
      buf("c", 48, 2...3), buf("y", 8, 3...3, .output),
    ])
    let plans = try checkArenas(
      problem,
      ExpectedArenas(
        lowerBound: 96, linear: 168, greedy: 96, tinyEngineFaithful: 96,
        tinyEngineCorrected: 96, optimal: 96, ours: 96))
    #expect(plans["GreedyBySize"]?.offsets == [64, 0, 64, 0, 48])
    #expect(plans["Linear"]?.offsets == [0, 32, 96, 112, 160])
    #expect(plans["Ours"]?.provenOptimal == true)
  }

  /// A fan-out: `a` is read by op1 and op2.
  ///
  ///     x(16) ─op0─▶ a(64) ─op1─▶ b(32)
  ///                   │             │
  ///                   └────▶ op2 ◀──┘ ─▶ c(48) ─op3─▶ y(16)
  ///
  ///     lifetimes: x 0...0, a 0...2, b 1...2, c 2...3, y 3...3
  ///     live:      step 0: 80, step 1: a+b = 96, step 2: a+b+c = 144, step 3: c+y = 64
  ///
  /// Lower bound 144. Linear 176. Greedy: a@0, c@64 (above a), b@112 (above a and c), x@64
  /// (only a is live with it), y@0 (c at 64 leaves a 64-byte gap below): 144. TinyEngine: same.
  @Test func fanOut() throws {
    let problem = PlanningProblem(buffers: [
      buf("x", 16, 0...0, .input), buf("a", 64, 0...2), buf("b", 32, 1...2),
      buf("c", 48, 2...3), buf("y", 16, 3...3, .output),
    ])
    let plans = try checkArenas(
      problem,
      ExpectedArenas(
        lowerBound: 144, linear: 176, greedy: 144, tinyEngineFaithful: 144,
        tinyEngineCorrected: 144, optimal: 144, ours: 144))
    #expect(plans["GreedyBySize"]?.offsets == [64, 0, 112, 64, 0])
  }

  /// A residual block: the skip tensor `s` stays live across the 3 inner ops until the add.
  ///
  ///     x(16) ─op0─▶ s(32) ─op1─▶ e(96) ─op2─▶ d(96) ─op3─▶ p(32) ─op4 add─▶ y(32)
  ///                   └──────────────────── skip ───────────────────┘
  ///
  ///     lifetimes: x 0...0, s 0...4, e 1...2, d 2...3, p 3...4, y 4...4
  ///     live:      step 0: 48, 1: s+e = 128, 2: s+e+d = 224, 3: s+d+p = 160, 4: s+p+y = 96
  ///
  /// Lower bound 224. Linear 304. Greedy: e@0, d@96, s@192 (above e and d), p@0 (below d),
  /// y@32 (above p, below s), x@0: 224. TinyEngine: same order (e, d, s, p, y, x), same slots.
  @Test func residualBlock() throws {
    let problem = PlanningProblem(buffers: [
      buf("x", 16, 0...0, .input), buf("s", 32, 0...4), buf("e", 96, 1...2),
      buf("d", 96, 2...3), buf("p", 32, 3...4), buf("y", 32, 4...4, .output),
    ])
    let plans = try checkArenas(
      problem,
      ExpectedArenas(
        lowerBound: 224, linear: 304, greedy: 224, tinyEngineFaithful: 224,
        tinyEngineCorrected: 224, optimal: 224, ours: 224))
    #expect(plans["GreedyBySize"]?.offsets == [0, 192, 0, 96, 0, 32])
    #expect(plans["TinyEngineFirstFit(corrected)"]?.offsets == [0, 192, 0, 96, 0, 32])
  }

  /// An in-place stride-2 depthwise: op1 overwrites `e` and only its first quarter stays live.
  ///
  ///     x(32) ─op0─▶ e(128) ─op1 dw s2 in place─▶ e[0..<32] ─op2─▶ p(96) ─op3─▶ y(8)
  ///                           └ scratch s(8) at op1
  ///
  ///     lifetimes: x 0...0, e 0...2 (128 B until step 1, 32 B at step 2), s 1...1, p 2...3,
  ///                y 3...3
  ///     live:      step 0: x+e = 160, 1: e+s = 136, 2: 32+p = 128, 3: p+y = 104
  ///
  /// Lower bound 160 (224 without the shrink: step 2 would hold 128+96). Linear 272.
  /// Greedy (TFLM has no shrink): e@0, p@128, x@128, s@128, y@0 → 224.
  /// TinyEngine: e@0; p starts after e's shrink so e carves only [0, 32) → p@32; x@128, s@128
  /// (full e below them), y@0 → 160 = the bound, both fidelities. Optimal and Ours: 160.
  @Test func inPlaceDepthwiseWithStride2Shrink() throws {
    let problem = PlanningProblem(buffers: [
      buf("x", 32, 0...0, .input), buf("e", 128, 0...2, shrinkAfter: 1, to: 32),
      buf("s", 8, 1...1, .scratch), buf("p", 96, 2...3), buf("y", 8, 3...3, .output),
    ])
    let plans = try checkArenas(
      problem,
      ExpectedArenas(
        lowerBound: 160, linear: 272, greedy: 224, tinyEngineFaithful: 160,
        tinyEngineCorrected: 160, optimal: 160, ours: 160))
    #expect(plans["GreedyBySize"]?.offsets == [128, 0, 128, 128, 0])
    #expect(plans["TinyEngineFirstFit(faithful)"]?.offsets == [128, 0, 128, 32, 0])
    var noShrink = problem
    noShrink.buffers[1].shrink = nil
    #expect(lowerBound(noShrink) == 224)
  }

  /// Greedy by size is suboptimal; the exact planner finds the optimum (alignment 16).
  ///
  ///     op0: in(80) + scratch col0(96)            step 0: in+col0 = 176
  ///     op1: reads in, writes out(64), scratch col1(64)   step 1: in+out+col1 = 208
  ///     op2, op3: read out                        steps 2–3: out = 64
  ///
  ///     lifetimes: out 1...3, in 0...1, col0 0...0, col1 1...1
  ///
  /// Lower bound 208. Greedy by size: col0(96)@0, in(80)@96, out(64)@0 (col0 is dead by
  /// then), col1(64): the gap [64, 96) between out and in is 32 B, so col1@176 → 240.
  /// TinyEngine: same order and slots → 240. Optimal: in@0, col0@80, out@80, col1@144 → 208,
  /// proven (it meets the bound). Ours: 208.
  @Test func greedyIsSuboptimalAndOptimalFindsTheBound() throws {
    let problem = PlanningProblem(
      buffers: [
        buf("out", 64, 1...3), buf("in", 80, 0...1, .input),
        buf("col0", 96, 0...0, .scratch), buf("col1", 64, 1...1, .scratch),
      ], alignment: 16)
    let plans = try checkArenas(
      problem,
      ExpectedArenas(
        lowerBound: 208, linear: 304, greedy: 240, tinyEngineFaithful: 240,
        tinyEngineCorrected: 240, optimal: 208, ours: 208))
    #expect(plans["GreedyBySize"]?.offsets == [0, 96, 0, 176])
    #expect(plans["Optimal"]?.provenOptimal == true)
    #expect(plans["GreedyBySize"]?.provenOptimal == false)
    let result = try OptimalPlanner().search(problem)
    #expect(result.lowerBound == 208)
    #expect(result.exhausted)
  }

  /// TinyEngine's identical-lifetime quirk: two scratch buffers of the same op.
  ///
  ///     op0 writes a(64); op1 reads a, writes b(48), uses scratch s(32) and k(16); op2 reads b
  ///
  ///     lifetimes: a 0...1, s 1...1, k 1...1, b 1...2       step 1: a+s+k+b = 160
  ///
  /// TinyEngine's half-open lifetimes of s and k are both [1, 2): its overlap test is false for
  /// identical intervals, so k does not carve s and lands on it. Faithful: a@0, b@64, s@112,
  /// k@112 → arena 144, below the 160-byte bound, and `validate()` reports s/k at step 1.
  /// Corrected: k@144 → 160.
  @Test func tinyEngineIdenticalIntervalQuirkOverlaps() throws {
    let problem = PlanningProblem(buffers: [
      buf("a", 64, 0...1), buf("s", 32, 1...1, .scratch), buf("k", 16, 1...1, .scratch),
      buf("b", 48, 1...2),
    ])
    let faithful = try TinyEngineFirstFitPlanner(fidelity: .faithful).plan(problem)
    let corrected = try TinyEngineFirstFitPlanner(fidelity: .corrected).plan(problem)
    #expect(faithful.offsets == [0, 112, 112, 64])
    #expect(faithful.arenaBytes == 144)
    #expect(faithful.arenaBytes < lowerBound(problem))
    #expect(!faithful.isValid)
    #expect(faithful.provenOptimal == false)
    #expect(
      faithful.validationError
        == .overlap(
          first: "s", firstRange: 112..<144, second: "k", secondRange: 112..<128, step: 1,
          planner: "TinyEngineFirstFit(faithful)"))
    #expect(corrected.offsets == [0, 112, 144, 64])
    #expect(corrected.arenaBytes == 160)
    #expect(corrected.isValid)
  }

  /// TinyEngine's slot-skipping quirk (firstFit.py removes from `slots` while iterating).
  ///
  ///     Q(100) 0...0 ; R1(80) 0...2, shrinks to 20 B after step 0 ; Q2(70) 3...4 ;
  ///     R2(60) 3...3 ; N(30) 1...3
  ///
  /// Placement order by size: Q@0, R1@100 (above Q), Q2@0, R2@70 (above Q2), then N. N starts
  /// after R1's shrink, so R1 carves only [100, 120): slots become [120, SRAM), [0, 100). Q2
  /// carves [0, 70) from [0, 100) → [120, SRAM), [70, 100). R2 = [70, 130) first carves the
  /// touching slot [120, SRAM); removing it shifts [70, 100) into the visited index, so it is
  /// skipped and stays free. Faithful N@70 overlaps R2 at step 3; corrected N@130.
  @Test func tinyEngineSlotSkipQuirkOverlaps() throws {
    let problem = PlanningProblem(buffers: [
      buf("Q", 100, 0...0), buf("R1", 80, 0...2, shrinkAfter: 0, to: 20), buf("Q2", 70, 3...4),
      buf("R2", 60, 3...3), buf("N", 30, 1...3),
    ])
    let faithful = try TinyEngineFirstFitPlanner(fidelity: .faithful).plan(problem)
    let corrected = try TinyEngineFirstFitPlanner(fidelity: .corrected).plan(problem)
    #expect(faithful.offsets == [0, 100, 0, 70, 70])
    #expect(
      faithful.validationError
        == .overlap(
          first: "R2", firstRange: 70..<130, second: "N", secondRange: 70..<100, step: 3,
          planner: "TinyEngineFirstFit(faithful)"))
    #expect(corrected.offsets == [0, 100, 0, 70, 130])
    #expect(corrected.isValid)
    #expect(corrected.arenaBytes == 180)
    #expect(lowerBound(problem) == 180)
  }
}
