// PlannerError.swift
// The one error type of MemoryPlanner: bad problems, invalid plans and budgets (STYLE.md B5).
// Each message says what happened, names the buffer(s) and says what to do.

/// Why a problem cannot be planned or a plan is not valid.
public enum PlannerError: Error, Hashable, Sendable {
  /// `alignment` is below 1.
  case invalidAlignment(Int)
  /// Two buffers share a name (names identify buffers in plans and messages).
  case duplicateName(String, firstIndex: Int, secondIndex: Int)
  /// A buffer asks for zero or negative bytes.
  case nonPositiveSize(buffer: String, size: Int)
  /// A lifetime is empty (`lastStep < firstStep`), starts before step 0 or ends at or after
  /// `stepCount`.
  case invalidLifetime(buffer: String, firstStep: Int, lastStep: Int, stepCount: Int)
  /// A shrink is outside `firstStep ..< lastStep` or keeps not `1...size` bytes.
  case invalidShrink(
    buffer: String, afterStep: Int, keptBytes: Int, size: Int, firstStep: Int, lastStep: Int)
  /// A plan has a different number of offsets than its problem has buffers.
  case offsetCountMismatch(offsets: Int, buffers: Int)
  /// A plan puts a buffer at a negative offset.
  case negativeOffset(buffer: String, offset: Int)
  /// A plan puts a buffer at an offset that is not a multiple of the problem's alignment.
  case misaligned(buffer: String, offset: Int, alignment: Int)
  /// Two buffers live at the same step share addresses (`first` comes first in the problem).
  /// The ranges are the bytes each occupies at `step`.
  case overlap(
    first: String, firstRange: Range<Int>, second: String, secondRange: Range<Int>, step: Int,
    planner: String)
  /// A planner with a fixed arena size (TinyEngine's `SRAM`) found no room for a buffer.
  case exceedsBudget(buffer: String, requiredBytes: Int, budgetBytes: Int)
}

extension PlannerError: CustomStringConvertible {
  /// The user-facing message: what, which buffer, and the fix.
  public var description: String {
    switch self {
    case .invalidAlignment(let alignment):
      return "alignment \(alignment) is invalid — use a positive power of two such as 1, 4 "
        + "(TinyEngine) or 16 (TFLM)"
    case .duplicateName(let name, let first, let second):
      return "\(name): the name is used by buffers \(first) and \(second) — every buffer needs "
        + "a unique name; suffix the duplicates (e.g. \(name)#\(second))"
    case .nonPositiveSize(let buffer, let size):
      return "\(buffer): size \(size) — every buffer must have a positive size; drop "
        + "zero-byte buffers before planning"
    case .invalidLifetime(let buffer, let first, let last, let stepCount):
      if last < first {
        return "\(buffer): lastStep \(last) < firstStep \(first) — a buffer must be live for at "
          + "least one step; set lastStep to the last step that reads it (>= firstStep)"
      }
      if first < 0 {
        return "\(buffer): firstStep \(first) is negative — steps are op indices starting at 0"
      }
      return "\(buffer): lastStep \(last) is outside the problem's \(stepCount) steps "
        + "(0...\(stepCount - 1)) — raise stepCount or fix the buffer's liveness"
    case .invalidShrink(let buffer, let after, let kept, let size, let first, let last):
      if kept <= 0 || kept > size {
        return "\(buffer): shrink keeps \(kept) bytes of \(size) — the kept size must be in "
          + "1...\(size) (TinyEngine keeps ceil(size / 4))"
      }
      return "\(buffer): shrink after step \(after) is outside its lifetime \(first)...\(last) — "
        + "afterStep must be in \(first)..<\(last) (the in-place op's step, with a later reader)"
    case .offsetCountMismatch(let offsets, let buffers):
      return "the plan has \(offsets) offsets for \(buffers) buffers — a plan needs exactly one "
        + "offset per buffer; re-run the planner on this problem"
    case .negativeOffset(let buffer, let offset):
      return "\(buffer): offset \(offset) is negative — offsets start at 0 in the arena"
    case .misaligned(let buffer, let offset, let alignment):
      return "\(buffer): offset \(offset) is not a multiple of the alignment \(alignment) — "
        + "round it up to \(PlanningProblem.alignUp(max(offset, 0), to: max(alignment, 1)))"
    case .overlap(let first, let firstRange, let second, let secondRange, let step, let planner):
      return "\(first) [\(firstRange.lowerBound), \(firstRange.upperBound)) and \(second) "
        + "[\(secondRange.lowerBound), \(secondRange.upperBound)) overlap at step \(step) — "
        + "the plan from \(planner) is invalid; use a planner that guarantees valid plans "
        + "(e.g. OursPlanner or TinyEngineFirstFitPlanner(fidelity: .corrected))"
    case .exceedsBudget(let buffer, let required, let budget):
      return "\(buffer): no free slot of \(required) bytes in the \(budget)-byte arena — raise "
        + "the SRAM budget or shrink the model"
    }
  }
}
