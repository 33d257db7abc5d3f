// TinyEngineFirstFitPlanner.swift
// TinyEngine's activation allocator (mit-han-lab/tinyengine code_generator/allocator/
// base_allocator.py `sortSize`, firstFit.py `FirstFit.fit`; paper_facts.md §10), reimplemented
// from its behaviour, either with its quirks (`.faithful`) or with exact overlap semantics
// (`.corrected`). Not optimal; a faithful plan can even be invalid (see `Fidelity`).

/// TinyEngine's size-sorted first fit.
///
/// Both fidelities:
/// 1. Order: repeated selection of the strictly largest remaining buffer by occupied size
///    (`base_allocator.sortSize`, `>` comparison), i.e. size descending with ties in problem
///    order.
/// 2. Each buffer in that order goes at the lowest address where it fits among the placed
///    buffers that overlap it in time; the arena starts as one free slot `[0, SRAM)`.
///
/// `.faithful` then follows `firstFit.fit` literally (see `Fidelity.faithful` for the quirks);
/// `.corrected` places each buffer at its lowest feasible offset under the exact semantics of
/// `MemoryPlan.validate()`, so its plans are always valid.
public struct TinyEngineFirstFitPlanner: MemoryPlanningAlgorithm {
  /// Whether to reproduce TinyEngine's quirks or to use the exact overlap semantics.
  public enum Fidelity: String, Hashable, Sendable, Codable {
    /// Reproduces `firstFit.fit` exactly, including three quirks:
    ///
    /// - Time overlap (firstFit.py): TinyEngine's lifetimes are half-open `[start, end)` with
    ///   `end = lastStep + 1`, and two of them overlap iff `start < r.start < end`,
    ///   `start < r.end < end`, `r.start < start < r.end` or `r.start < end < r.end`. Two
    ///   IDENTICAL lifetimes therefore never overlap: such buffers can share addresses, and the
    ///   plan fails `validate()`.
    /// - Slot carving (firstFit.py): free slots are a Python list, and carving removes a slot
    ///   from the list it is iterating over, so the slot after a removed one is skipped for that
    ///   placed buffer. Slots of one carve are appended upper piece first, then lower piece;
    ///   slot/range overlap uses inclusive bounds (touching counts). A skipped slot is not
    ///   carved, which can place a buffer over a shrunk one's neighbour (invalid plan).
    /// - Stride-2 in-place (firstFit.py `stride2_inplace_idx`): a PLACED buffer with a shrink
    ///   carves only its kept bytes (`ceil(size/4)` there, `shrink.size` here) when the new
    ///   buffer's `firstStep > afterStep`; a NEW buffer with a shrink always needs its full size.
    ///
    /// The lowest-addressed slot of at least the buffer's size wins (`lowest_slot_starting`).
    case faithful
    /// Same order, exact semantics: inclusive lifetimes, every conflicting placed buffer
    /// excluded, shrink applied to both buffers of a pair at their first common step. Each buffer
    /// goes at its lowest feasible offset. Always valid.
    case corrected
  }

  /// Quirk-for-quirk TinyEngine or exact semantics.
  public var fidelity: Fidelity
  /// TinyEngine's `SRAM`, the initial free slot `[0, SRAM)`.
  ///
  /// Nil means the sum of occupied sizes, which always has room. Only `.faithful` uses it.
  public var sramBytes: Int?

  /// Creates the planner; `.corrected` unless stated.
  public init(fidelity: Fidelity = .corrected, sramBytes: Int? = nil) {
    self.fidelity = fidelity
    self.sramBytes = sramBytes
  }

  /// "TinyEngineFirstFit(faithful)" or "TinyEngineFirstFit(corrected)".
  public var name: String { "TinyEngineFirstFit(\(fidelity.rawValue))" }

  /// Places the buffers.
  ///
  /// A `.faithful` plan is returned as TinyEngine would produce it even when
  /// it is invalid: check `validate()` / `isValid`. Throws `exceedsBudget` when `sramBytes` is
  /// too small (TinyEngine's "no available slot" assertion).
  public func plan(_ problem: PlanningProblem) throws -> MemoryPlan {
    try problem.validate()
    let sizes = problem.buffers.map { problem.occupiedBytes(of: $0) }
    let order = problem.buffers.indices.sorted { (-sizes[$0], $0) < (-sizes[$1], $1) }
    switch fidelity {
    case .corrected:
      let offsets = PlacementModel(problem).placeLowest(order: order)
      return withProof(MemoryPlan(problem: problem, offsets: offsets, planner: name))
    case .faithful:
      let sram = sramBytes ?? sizes.reduce(0, +)
      let offsets = try faithfulOffsets(problem, order: order, sizes: sizes, sram: sram)
      var plan = MemoryPlan(problem: problem, offsets: offsets, planner: name)
      plan.provenOptimal = plan.arenaBytes == lowerBound(problem) && plan.isValid
      return plan
    }
  }

  /// `firstFit.fit` for every buffer in `order` (TinyEngine's `allocate` after `sortSize`).
  private func faithfulOffsets(
    _ problem: PlanningProblem, order: [Int], sizes: [Int], sram: Int
  ) throws -> [Int] {
    let buffers = problem.buffers
    var offsets = [Int](repeating: -1, count: buffers.count)
    var placedInOrder: [Int] = []  // TinyEngine iterates placed rectangles in sorted order
    for buffer in order {
      let new = buffers[buffer]
      let start = new.firstStep
      let end = new.lastStep + 1
      var slots: [(y0: Int, y1: Int)] = [(0, sram)]
      for placed in placedInOrder {
        let other = buffers[placed]
        let rStart = other.firstStep
        let rEnd = other.lastStep + 1
        let overlapsInTime =
          (start < rStart && rStart < end) || (start < rEnd && rEnd < end)
          || (rStart < start && start < rEnd) || (rStart < end && end < rEnd)
        guard overlapsInTime else { continue }
        let y0 = offsets[placed]
        var carved = sizes[placed]
        if let shrink = other.shrink, start > shrink.afterStep {
          carved = problem.occupiedBytes(of: other, atStep: other.lastStep)
        }
        let y1 = y0 + carved
        // Python `for s in slots:` while appending and removing: an index that advances by one
        // per visited element, over a list that changes underneath it.
        var index = 0
        while index < slots.count {
          let slot = slots[index]
          let touches =
            (slot.y0 <= y0 && y0 <= slot.y1) || (slot.y0 <= y1 && y1 <= slot.y1)
            || (y0 <= slot.y0 && slot.y0 <= y1) || (y0 <= slot.y1 && slot.y1 <= y1)
          if touches {
            if slot.y1 > y1 { slots.append((y1, slot.y1)) }
            if slot.y0 < y0 { slots.append((slot.y0, y0)) }
            slots.remove(at: index)  // the next slot shifts into `index` and is skipped
          }
          index += 1
        }
      }
      var lowest: Int?
      for slot in slots where slot.y1 - slot.y0 >= sizes[buffer] {
        if lowest.map({ slot.y0 < $0 }) ?? true { lowest = slot.y0 }
      }
      guard let lowest else {
        throw PlannerError.exceedsBudget(
          buffer: new.name, requiredBytes: sizes[buffer], budgetBytes: sram)
      }
      offsets[buffer] = lowest
      placedInOrder.append(buffer)
    }
    return offsets
  }
}
