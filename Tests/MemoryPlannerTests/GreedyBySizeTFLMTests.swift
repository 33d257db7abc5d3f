// GreedyBySizeTFLMTests.swift
// GreedyBySizePlanner against the cases of TFLM's greedy_memory_planner_test.cc (exact offsets
// and arena sizes as asserted there; TFLM passes sizes unaligned, so alignment is 1).

import MemoryPlanner
import Testing
import _TestSupport

@Suite("GreedyBySize reproduces TFLM")
struct GreedyBySizeTFLMTests {
  /// TFLM buffers: (size, first_time_used, last_time_used).
  func problem(_ buffers: [(Int, Int, Int)]) -> PlanningProblem {
    PlanningProblem(
      buffers: buffers.enumerated().map { index, b in
        BufferRequest(name: "b\(index)", size: b.0, firstStep: b.1, lastStep: b.2)
      })
  }

  /// TFLM TestGreedyBasics: two buffers with disjoint lifetimes share offset 0; arena 20.
  @Test func greedyBasics() throws {
    let plan = try GreedyBySizePlanner().plan(problem([(10, 0, 1), (20, 2, 3)]))
    #expect(plan.offsets == [0, 0])
    #expect(plan.arenaBytes == 20)
    #expect(plan.isValid)
  }

  /// TFLM TestGreedyMedium: offsets 50, 70, 40, 0, 0 and arena 90.
  @Test func greedyMedium() throws {
    let plan = try GreedyBySizePlanner().plan(
      problem([(10, 0, 1), (20, 1, 2), (30, 2, 3), (40, 3, 4), (50, 0, 1)]))
    assertBitExact(plan.offsets, [50, 70, 40, 0, 0], "TestGreedyMedium offsets")
    #expect(plan.arenaBytes == 90)
    #expect(plan.isValid)
  }

  /// TFLM TestOverlapCase: arena 120 (the 20-byte buffer sits above the 100-byte one).
  @Test func overlapCase() throws {
    let plan = try GreedyBySizePlanner().plan(problem([(100, 0, 1), (50, 2, 3), (20, 1, 2)]))
    #expect(plan.offsets == [0, 0, 100])
    #expect(plan.arenaBytes == 120)
  }

  /// TFLM TestPersonDetectionModel: the 250 KB MobileNet's 30 buffers.
  ///
  /// TFLM only asserts no
  /// overlap and an arena below the 241,027-byte sum. By hand: 36,864@0 (step 2–3), the
  /// 18,432-byte buffers alternate 0 / 18,432 / 36,864, and the long-lived 9,216-byte input
  /// goes above them all at 55,296, so the arena is 64,512 = the bound at step 2
  /// (9,216 + 36,864 + 18,432).
  @Test func personDetectionModel() throws {
    let buffers = [
      (9216, 0, 29), (3, 28, 29), (256, 27, 28), (2304, 26, 27), (2304, 25, 26),
      (2304, 24, 25), (1152, 23, 24), (4608, 22, 23), (4608, 21, 22), (4608, 20, 21),
      (4608, 19, 20), (4608, 18, 19), (4608, 17, 18), (4608, 16, 17), (4608, 15, 16),
      (4608, 14, 15), (4608, 13, 14), (4608, 12, 13), (2304, 11, 12), (9216, 10, 11),
      (9216, 9, 10), (9216, 8, 9), (4608, 7, 8), (18432, 6, 7), (18432, 5, 6),
      (18432, 4, 5), (9216, 3, 4), (36864, 2, 3), (18432, 1, 2), (18432, 0, 1),
    ]
    let problem = problem(buffers)
    let plan = try GreedyBySizePlanner().plan(problem)
    try plan.validate()
    #expect(independentOverlap(plan) == nil)
    #expect(plan.arenaBytes < 241_027)
    #expect(lowerBound(problem) == 64_512)
    #expect(plan.arenaBytes == 64_512)
    #expect(plan.offsets[0] == 55_296)
    #expect(plan.offsets[27] == 0)
    #expect(plan.provenOptimal)
  }

  /// TFLM TestReverseSortInPlace case c: ties keep insertion order.
  ///
  /// Sizes 1...10 repeated ten times sort to ids 9, 19, …, 99, 8, 18, …. With every buffer live at
  /// step 0 the greedy planner stacks them in that order, so offsets are prefix sums over it.
  @Test func stableDescendingOrderMatchesReverseSortInPlace() throws {
    let sizes = (0..<100).map { $0 % 10 + 1 }
    let plan = try GreedyBySizePlanner().plan(problem(sizes.map { ($0, 0, 0) }))
    let expectedIds = (0..<10).flatMap { rank in (0..<10).map { 10 * $0 + 9 - rank } }
    var expected = [Int](repeating: 0, count: 100)
    var next = 0
    for id in expectedIds {
      expected[id] = next
      next += sizes[id]
    }
    assertBitExact(plan.offsets, expected, "stacked offsets in TFLM's sorted order")
    #expect(plan.arenaBytes == sizes.reduce(0, +))
  }

  /// Sizes are aligned up before sorting and placing (TFLM aligns in the allocator, to 16).
  @Test func alignsSizesBeforePlacing() throws {
    let problem = PlanningProblem(
      buffers: [buf("a", 17, 0...1), buf("b", 20, 0...0), buf("c", 1, 1...1)], alignment: 16)
    let plan = try GreedyBySizePlanner().plan(problem)
    // a (32) and b (32) tie: a first @0, b @32; c (16) is live with a only → the gap above a.
    #expect(plan.offsets == [0, 32, 32])
    #expect(plan.arenaBytes == 64)
    #expect(plan.offsets.allSatisfy { $0 % 16 == 0 })
  }
}
