// MemoryPlanner.swift
// The planner protocol. MemoryPlanner places buffers (sizes + inclusive op-step lifetimes) in
// one SRAM arena (MCUNet §3.2 "memory scheduling"; TFLM memory_planner/, TinyEngine allocator/).
// Planners: LinearPlanner (no reuse, the trivially correct baseline), GreedyBySizePlanner
// (TFLM), TinyEngineFirstFitPlanner (TinyEngine, faithful or corrected), OptimalPlanner (branch
// and bound, small problems) and OursPlanner (portfolio + local search + exact when small).
// Not a graph pass: it never sees ops, shapes or math (STYLE.md B2 rule 1).

/// An algorithm that places every buffer of a problem at an arena offset.
public protocol MemoryPlanningAlgorithm: Sendable {
  /// Short name recorded in plans, manifests and diagrams.
  var name: String { get }
  /// Validates `problem` (throws `PlannerError`) and returns a plan. Every planner except
  /// `TinyEngineFirstFitPlanner(fidelity: .faithful)` returns only plans that pass `validate()`.
  func plan(_ problem: PlanningProblem) throws -> MemoryPlan
}
