import Foundation
import Kernels
import MemoryPlanner
import ModelIR
import ReproIO

/// Configuration of `repro memory` (experiments/memory.json). Analytic: every profile runs at
/// paper scale and needs no data, so the profiles differ only in which models they cover.
public struct MemoryConfig: Codable, Sendable, Hashable {
  /// Zoo model ids (`ModelZoo`).
  public var models: [String]
  /// Run the exact planner on problems with at most this many buffers (it is also bounded by
  /// a node budget, so it cannot hang).
  public var exactPlannerBufferLimit: Int
  /// Which convolutions the interpreter's graph pads explicitly (`everySpatialConv` is what
  /// TinyEngine's README measured TFLM on).
  public var interpreterPadding: ExplicitPadding

  public init(
    models: [String], exactPlannerBufferLimit: Int = 14,
    interpreterPadding: ExplicitPadding = .everySpatialConv
  ) {
    self.models = models
    self.exactPlannerBufferLimit = exactPlannerBufferLimit
    self.interpreterPadding = interpreterPadding
  }

  /// The built-in configuration of each profile (experiments/memory.json states the same).
  public static func builtIn(_ profile: Profile) -> MemoryConfig {
    MemoryConfig(models: ModelZoo.all.map(\.id))
  }
}

/// Peak SRAM of one model under one memory model ("library").
public struct MemoryRow: Sendable, Hashable {
  public var model: String
  /// `interpreter`, `tinyengine`, `ours`, `bound`, `bound_inplace`.
  public var library: String
  public var precision: Precision
  public var width: Double
  public var resolution: Int
  public var macs: Int
  public var params: Int
  public var actBytes: Int
  public var flashBytes: Int
  /// Planned activation arena (for the bounds: the bound itself without scratch).
  public var arenaBytes: Int
  /// Scratch on top of the arena (im2col and kernel buffers); 0 where planned inside it.
  public var scratchBytes: Int
  /// Persistent runtime data (interpreter structs and per-channel data).
  public var runtimeBytes: Int
  public var peakSRAMBytes: Int
  /// The published peak for this library, in bytes (kB × 1024), or nil.
  public var paperPeakSRAMBytes: Int?
  public var paperSource: String
  /// (peak − in-place bound) / in-place bound, %.
  public var gapToBoundPercent: Double
  /// The planner proved its arena optimal for its problem.
  public var provenOptimal: Bool
  /// The plan has no two simultaneously live buffers overlapping (TinyEngine's faithful
  /// allocator can produce overlapping plans; the bounds are not plans and count as valid).
  public var planValid: Bool = true
}

/// The output of `repro memory`.
public struct MemoryResult: Sendable {
  public var rows: [MemoryRow]
  /// Live bytes per step, per model, for the in-place execution (plotting and HDF5 curves).
  public var liveProfiles: [String: [Int]]
  public var plans: [String: (tinyEngine: MemoryPlan, ours: MemoryPlan)]
  public var graphs: [String: Graph]
}

/// Plans every model of `config` under the interpreter, TinyEngine and our own planner and
/// computes both lower bounds.
public func measureMemory(
  _ config: MemoryConfig, progress: ProgressReporter? = nil
) throws -> MemoryResult {
  var rows: [MemoryRow] = []
  var live: [String: [Int]] = [:]
  var plans: [String: (tinyEngine: MemoryPlan, ours: MemoryPlan)] = [:]
  var graphs: [String: Graph] = [:]
  for (n, id) in config.models.enumerated() {
    guard let model = ModelZoo.model(id) else {
      throw ExperimentError.unknownModel(id, known: ModelZoo.all.map(\.id))
    }
    let graph = try model.graph()
    graphs[id] = graph
    let q = model.precision
    func row(
      _ library: String, arena: Int, scratch: Int, runtime: Int, paperKB: Double?, source: String,
      optimal: Bool = false
    ) -> MemoryRow {
      MemoryRow(
        model: id, library: library, precision: q, width: model.width,
        resolution: graph.input.outputShape[1], macs: graph.macs, params: graph.params,
        actBytes: graph.activationBytes(q), flashBytes: graph.flashBytes(q), arenaBytes: arena,
        scratchBytes: scratch, runtimeBytes: runtime, peakSRAMBytes: arena + scratch + runtime,
        paperPeakSRAMBytes: paperKB.map { Int(($0 * 1024).rounded()) }, paperSource: source,
        gapToBoundPercent: 0, provenOptimal: optimal)
    }

    // (a) Interpreter: TFLM's greedy planner over the PAD-expanded graph + persistent data.
    let interp = graph.memoryProblem(.interpreter(pad: config.interpreterPadding), precision: q)
    let interpPlan = try GreedyBySizePlanner().plan(interp.problem)
    try interpPlan.validate()
    let runtime = InterpreterOverheadModel().persistentBytes(graph, pad: config.interpreterPadding)
    rows.append(
      row(
        "interpreter", arena: interpPlan.arenaBytes, scratch: 0, runtime: runtime,
        paperKB: model.published.tflmH743SRAMKB, source: "TinyEngine README, TFLM on STM32H743"))

    // (b) TinyEngine: first fit (faithful to its allocator) + max im2col + max kernel buffer.
    let te = graph.memoryProblem(.tinyEngine(inPlaceDepthwise: true), precision: q)
    let tePlan = try TinyEngineFirstFitPlanner(fidelity: .faithful).plan(te.problem)
    let teScratch = te.maxScratch.total
    var teRow = row(
      "tinyengine", arena: tePlan.arenaBytes, scratch: teScratch, runtime: 0,
      paperKB: model.published.teH743SRAMKB, source: "TinyEngine README, STM32H743")
    teRow.planValid = tePlan.isValid
    rows.append(teRow)

    // (d) Ours: activations and per-step scratch planned jointly; TinyEngine's layout (scratch
    // stacked on the arena) is one candidate, so ours is never worse than (b).
    let joint = te.withScratchBuffers
    var oursPlan = try OursPlanner(exactThreshold: config.exactPlannerBufferLimit).plan(joint)
    let stacked = stackedPlan(arena: tePlan, problem: joint, scratchBase: tePlan.arenaBytes)
    if stacked.isValid, stacked.arenaBytes < oursPlan.arenaBytes { oursPlan = stacked }
    try oursPlan.validate()
    let boundInPlace = lowerBound(joint)
    rows.append(
      row(
        "ours", arena: oursPlan.arenaBytes, scratch: 0, runtime: 0, paperKB: nil, source: "",
        optimal: oursPlan.provenOptimal || oursPlan.arenaBytes == boundInPlace))

    // (c) Bounds: live bytes + that step's scratch, without and with in-place depthwise.
    let plain = graph.memoryProblem(.tinyEngine(inPlaceDepthwise: false), precision: q)
    rows.append(
      row(
        "bound", arena: lowerBound(plain.withScratchBuffers), scratch: 0, runtime: 0,
        paperKB: nil, source: ""))
    rows.append(
      row("bound_inplace", arena: boundInPlace, scratch: 0, runtime: 0, paperKB: nil, source: ""))

    for i in rows.indices where rows[i].model == id {
      rows[i].gapToBoundPercent =
        100 * Double(rows[i].peakSRAMBytes - boundInPlace) / Double(boundInPlace)
    }
    live[id] = (0..<joint.stepCount).map { joint.liveBytes(atStep: $0) }
    plans[id] = (tePlan, oursPlan)
    progress?.step(n + 1, id)
  }
  return MemoryResult(rows: rows, liveProfiles: live, plans: plans, graphs: graphs)
}

/// The TinyEngine layout as a plan of the joint problem: the activation offsets of `arena`,
/// then every im2col buffer at `scratchBase` and every kernel buffer after the largest im2col.
private func stackedPlan(arena: MemoryPlan, problem: PlanningProblem, scratchBase: Int)
  -> MemoryPlan
{
  let maxIm2col =
    problem.buffers.filter { $0.kind == .scratch && $0.name.hasSuffix(".im2col") }
    .map { problem.occupiedBytes(of: $0) }.max() ?? 0
  var offsets: [Int] = []
  var next = 0
  for b in problem.buffers {
    if b.kind == .scratch {
      offsets.append(scratchBase + (b.name.hasSuffix(".kernel") ? maxIm2col : 0))
    } else {
      offsets.append(arena.offsets[next])
      next += 1
    }
  }
  return MemoryPlan(problem: problem, offsets: offsets, planner: "tinyengine-stacked")
}
