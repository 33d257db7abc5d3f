// ValidationAndDiagramTests.swift
// Error messages name the culprit and the fix (STYLE.md B5.7), validate() catches hand-made
// bad plans, the lower bound and live bytes follow the shrink semantics, and the ASCII diagram
// of a small plan equals a golden string.

import Foundation
import MemoryPlanner
import Testing

@Suite("Validation, errors, lower bound and diagram")
struct ValidationAndDiagramTests {
  /// The in-place depthwise problem of HandDrawnTopologyTests.
  let dwProblem = PlanningProblem(buffers: [
    buf("x", 32, 0...0, .input), buf("e", 128, 0...2, shrinkAfter: 1, to: 32),
    buf("s", 8, 1...1, .scratch), buf("p", 96, 2...3), buf("y", 8, 3...3, .output),
  ])

  func message(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch {
      return "\(error)"
    }
  }

  @Test func validateCatchesAHandMadeOverlap() {
    // p [32, 128) and e: e has shrunk to [0, 32) at step 2, so p at 16 overlaps bytes 16..<32.
    let plan = MemoryPlan(problem: dwProblem, offsets: [128, 0, 128, 16, 0], planner: "hand")
    #expect(
      message { try plan.validate() }
        == "e [0, 32) and p [16, 112) overlap at step 2 — the plan from hand is invalid; use a "
        + "planner that guarantees valid plans (e.g. OursPlanner or "
        + "TinyEngineFirstFitPlanner(fidelity: .corrected))")
    // Touching is fine: p at 32 sits exactly on the shrunk e.
    let touching = MemoryPlan(problem: dwProblem, offsets: [128, 0, 128, 32, 0], planner: "hand")
    #expect(touching.isValid)
    // Before the shrink e is full: s at 120 overlaps e's [0, 128) at step 1.
    let early = MemoryPlan(problem: dwProblem, offsets: [128, 0, 120, 32, 0], planner: "hand")
    #expect(
      early.validationError
        == .overlap(
          first: "e", firstRange: 0..<128, second: "s", secondRange: 120..<128, step: 1,
          planner: "hand"))
  }

  @Test func validateChecksOffsets() {
    let aligned = PlanningProblem(buffers: [buf("a", 10, 0...0), buf("b", 4, 1...1)], alignment: 8)
    #expect(
      message { try MemoryPlan(problem: aligned, offsets: [0, 4], planner: "hand").validate() }
        == "b: offset 4 is not a multiple of the alignment 8 — round it up to 8")
    #expect(
      message { try MemoryPlan(problem: aligned, offsets: [0], planner: "hand").validate() }
        == "the plan has 1 offsets for 2 buffers — a plan needs exactly one offset per buffer; "
        + "re-run the planner on this problem")
    #expect(
      message { try MemoryPlan(problem: aligned, offsets: [-8, 0], planner: "hand").validate() }
        == "a: offset -8 is negative — offsets start at 0 in the arena")
    // Aligned sizes count: a occupies 16 bytes, so b at 8 overlaps it when both are live.
    let both = PlanningProblem(buffers: [buf("a", 10, 0...1), buf("b", 4, 1...1)], alignment: 8)
    #expect(!MemoryPlan(problem: both, offsets: [0, 8], planner: "hand").isValid)
    #expect(MemoryPlan(problem: both, offsets: [0, 16], planner: "hand").isValid)
  }

  @Test func invalidProblemsAreRejectedWithFixes() {
    let cases: [(PlanningProblem, String)] = [
      (
        PlanningProblem(buffers: [buf("expand_out", 0, 0...1)]),
        "expand_out: size 0 — every buffer must have a positive size; drop zero-byte buffers "
          + "before planning"
      ),
      (
        PlanningProblem(buffers: [buf("a", 4, 0...0), buf("t", 4, 5...5)], stepCount: 6)
          .with { $0.buffers[1].lastStep = 2 },
        "t: lastStep 2 < firstStep 5 — a buffer must be live for at least one step; set "
          + "lastStep to the last step that reads it (>= firstStep)"
      ),
      (
        PlanningProblem(buffers: [buf("t", 4, 0...9)], stepCount: 8),
        "t: lastStep 9 is outside the problem's 8 steps (0...7) — raise stepCount or fix the "
          + "buffer's liveness"
      ),
      (
        PlanningProblem(buffers: [buf("t", 4, 0...2)]).with { $0.buffers[0].firstStep = -1 },
        "t: firstStep -1 is negative — steps are op indices starting at 0"
      ),
      (
        PlanningProblem(buffers: [buf("dw", 64, 0...2, shrinkAfter: 2, to: 16)]),
        "dw: shrink after step 2 is outside its lifetime 0...2 — afterStep must be in 0..<2 "
          + "(the in-place op's step, with a later reader)"
      ),
      (
        PlanningProblem(buffers: [buf("dw", 64, 0...2, shrinkAfter: 1, to: 65)]),
        "dw: shrink keeps 65 bytes of 64 — the kept size must be in 1...64 (TinyEngine keeps "
          + "ceil(size / 4))"
      ),
      (
        PlanningProblem(buffers: [buf("a", 4, 0...0), buf("a", 4, 1...1)]),
        "a: the name is used by buffers 0 and 1 — every buffer needs a unique name; suffix the "
          + "duplicates (e.g. a#1)"
      ),
      (
        PlanningProblem(buffers: [buf("a", 4, 0...0)], alignment: 0),
        "alignment 0 is invalid — use a positive power of two such as 1, 4 (TinyEngine) or 16 "
          + "(TFLM)"
      ),
    ]
    let planners: [any MemoryPlanningAlgorithm] = [
      LinearPlanner(), GreedyBySizePlanner(), TinyEngineFirstFitPlanner(fidelity: .faithful),
      TinyEngineFirstFitPlanner(), OptimalPlanner(), OursPlanner(),
    ]
    for (problem, expected) in cases {
      #expect(message { try problem.validate() } == expected)
      for planner in planners {
        #expect(message { _ = try planner.plan(problem) } == expected, "\(planner.name)")
      }
    }
  }

  @Test func tinyEngineSRAMBudgetThrows() {
    let problem = PlanningProblem(buffers: [buf("a", 64, 0...1), buf("b", 48, 1...2)])
    let planner = TinyEngineFirstFitPlanner(fidelity: .faithful, sramBytes: 100)
    #expect(
      message { _ = try planner.plan(problem) }
        == "b: no free slot of 48 bytes in the 100-byte arena — raise the SRAM budget or shrink "
        + "the model")
    #expect(throws: Never.self) {
      _ = try TinyEngineFirstFitPlanner(fidelity: .faithful, sramBytes: 112).plan(problem)
    }
  }

  @Test func lowerBoundAndLiveBytesFollowTheShrink() throws {
    let plan = try OursPlanner().plan(dwProblem)
    #expect((0..<4).map { plan.liveBytes(atStep: $0) } == [160, 136, 128, 104])
    #expect(dwProblem.liveProfile() == [160, 136, 128, 104])
    #expect(plan.liveBytes(atStep: 7) == 0)
    // Alignment applies to the kept bytes too: 130 -> 144 until step 1, ceil(130/4) = 33 -> 48.
    let aligned = PlanningProblem(
      buffers: [buf("e", 130, 0...2, shrinkAfter: 1, to: 33), buf("p", 10, 2...2)],
      alignment: 16)
    #expect(aligned.liveProfile() == [144, 144, 64])
    #expect(lowerBound(aligned) == 144)
    #expect(lowerBound(PlanningProblem(buffers: [])) == 0)
    #expect(try OursPlanner().plan(PlanningProblem(buffers: [])).arenaBytes == 0)
  }

  @Test func codableRoundTrip() throws {
    let plan = try OursPlanner().plan(dwProblem)
    let data = try JSONEncoder().encode(plan)
    #expect(try JSONDecoder().decode(MemoryPlan.self, from: data) == plan)
  }

  /// Golden: the in-place depthwise plan from Ours at 40 columns.
  @Test func asciiDiagramGolden() throws {
    let plan = try OursPlanner().plan(dwProblem)
    let golden = """
      plan Ours: arena 160 B, lower bound 160 B (proven optimal), 5 buffers, 4 steps, alignment 1
      step |0                                    160| live B
         0 |1111111111111111111111111111111100000000| 160
         1 |1111111111111111111111111111111122......| 136
         2 |11111111333333333333333333333333........| 128
         3 |44......333333333333333333333333........| 104
      legend (symbol, name, kind, bytes, occupied [offset, end), steps, shrink):
        0  x  input        32 B  [128, 160)  steps 0...0
        1  e  activation  128 B  [0, 128)    steps 0...2, shrinks to 32 B after step 1
        2  s  scratch       8 B  [128, 136)  steps 1...1
        3  p  activation   96 B  [32, 128)   steps 2...3
        4  y  output        8 B  [0, 8)      steps 3...3
      peak live 160 B at step 0

      """
    #expect(plan.asciiDiagram(columns: 40) == golden)
  }

  /// An invalid plan shows `!` where buffers collide and ends with the validation error.
  @Test func asciiDiagramMarksOverlaps() {
    let plan = MemoryPlan(problem: dwProblem, offsets: [0, 0, 128, 32, 0], planner: "hand")
    let lines = plan.asciiDiagram(columns: 40).split(separator: "\n")
    // Arena 136 B over 40 columns: x [0, 32) -> columns 0..<9, e [0, 128) -> 0..<37.
    #expect(lines[2] == "   0 |!!!!!!!!!1111111111111111111111111111...| 160")
    #expect(lines.last?.hasPrefix("INVALID: x [0, 32) and e [0, 128) overlap at step 0") == true)
  }
}

extension PlanningProblem {
  /// A copy changed by `body` (builds problems the initializer would not).
  func with(_ body: (inout PlanningProblem) -> Void) -> PlanningProblem {
    var copy = self
    body(&copy)
    return copy
  }
}
