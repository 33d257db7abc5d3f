// PlanningProblem.swift
// The input of every planner: buffers with sizes and lifetimes, an alignment and a step count,
// plus the placement-independent lower bound on the arena (peers.md §6).
// Not a graph: mapping a ModelIR graph onto buffers lives elsewhere (STYLE.md B2 rule 1).

/// Buffers to place in one arena, the offset alignment and the number of op steps.
public struct PlanningProblem: Hashable, Sendable, Codable {
  /// The buffers; a plan's `offsets[i]` belongs to `buffers[i]`.
  public var buffers: [BufferRequest]
  /// Every offset is a multiple of this (>= 1), and each buffer occupies
  /// `alignUp(size, alignment)` bytes (TFLM uses 16, TinyEngine 4).
  public var alignment: Int
  /// Number of op steps; every `lastStep` must be `< stepCount`.
  public var stepCount: Int

  /// Creates a problem; `stepCount` defaults to `max(lastStep) + 1` (0 without buffers).
  public init(buffers: [BufferRequest], alignment: Int = 1, stepCount: Int? = nil) {
    self.buffers = buffers
    self.alignment = alignment
    self.stepCount = stepCount ?? ((buffers.map(\.lastStep).max() ?? -1) + 1)
  }

  /// `bytes` rounded up to a multiple of `alignment` (>= 1).
  public static func alignUp(_ bytes: Int, to alignment: Int) -> Int {
    precondition(alignment >= 1, "alignment must be >= 1, got \(alignment)")
    return (bytes + alignment - 1) / alignment * alignment
  }

  /// Bytes `buffer` reserves in the arena: `alignUp(size, alignment)`.
  public func occupiedBytes(of buffer: BufferRequest) -> Int {
    Self.alignUp(buffer.size, to: max(alignment, 1))
  }

  /// Bytes `buffer` occupies at `step`: the aligned size, the aligned shrink size after
  /// `shrink.afterStep`, or 0 when it is not live.
  public func occupiedBytes(of buffer: BufferRequest, atStep step: Int) -> Int {
    Self.alignUp(buffer.requestedBytes(atStep: step), to: max(alignment, 1))
  }

  /// Sum of occupied bytes of the buffers live at `step` (with shrink).
  public func liveBytes(atStep step: Int) -> Int {
    buffers.reduce(0) { $0 + occupiedBytes(of: $1, atStep: step) }
  }

  /// `liveBytes(atStep:)` for every step `0..<stepCount`.
  public func liveProfile() -> [Int] {
    var delta = [Int](repeating: 0, count: max(stepCount, 0) + 1)
    for buffer in buffers where buffer.firstStep >= 0 && buffer.lastStep < stepCount {
      guard buffer.lastStep >= buffer.firstStep else { continue }
      let full = occupiedBytes(of: buffer)
      delta[buffer.firstStep] += full
      if let shrink = buffer.shrink, shrink.afterStep >= buffer.firstStep,
        shrink.afterStep < buffer.lastStep
      {
        let kept = Self.alignUp(shrink.size, to: max(alignment, 1))
        delta[shrink.afterStep + 1] -= full - kept
        delta[buffer.lastStep + 1] -= kept
      } else {
        delta[buffer.lastStep + 1] -= full
      }
    }
    var profile: [Int] = []
    profile.reserveCapacity(max(stepCount, 0))
    var running = 0
    for step in 0..<max(stepCount, 0) {
      running += delta[step]
      profile.append(running)
    }
    return profile
  }

  /// Checks every buffer and the alignment.
  ///
  /// Throws the first problem found, naming the buffer and saying how to fix it. Every planner
  /// calls this before planning.
  public func validate() throws {
    guard alignment >= 1 else { throw PlannerError.invalidAlignment(alignment) }
    var seen: [String: Int] = [:]
    seen.reserveCapacity(buffers.count)
    for (index, buffer) in buffers.enumerated() {
      if let first = seen[buffer.name] {
        throw PlannerError.duplicateName(buffer.name, firstIndex: first, secondIndex: index)
      }
      seen[buffer.name] = index
      guard buffer.size > 0 else {
        throw PlannerError.nonPositiveSize(buffer: buffer.name, size: buffer.size)
      }
      guard buffer.firstStep >= 0, buffer.lastStep >= buffer.firstStep,
        buffer.lastStep < stepCount
      else {
        throw PlannerError.invalidLifetime(
          buffer: buffer.name, firstStep: buffer.firstStep, lastStep: buffer.lastStep,
          stepCount: stepCount)
      }
      if let shrink = buffer.shrink {
        guard shrink.afterStep >= buffer.firstStep, shrink.afterStep < buffer.lastStep,
          shrink.size > 0, shrink.size <= buffer.size
        else {
          throw PlannerError.invalidShrink(
            buffer: buffer.name, afterStep: shrink.afterStep, keptBytes: shrink.size,
            size: buffer.size, firstStep: buffer.firstStep, lastStep: buffer.lastStep)
        }
      }
    }
  }
}

/// The peak of live bytes, a lower bound on the arena of any plan.
///
/// Max over steps of the occupied bytes of all buffers live at that step
/// (aligned, with shrink). No placement can use less, because buffers live at the same step need
/// disjoint addresses (peers.md §6; TVM "memory pressure", Glow `maxLive`). Independent of any
/// offsets; buffers with an empty or out-of-range lifetime are ignored.
public func lowerBound(_ problem: PlanningProblem) -> Int {
  // Sweep over start/shrink/end events, so the cost does not depend on stepCount.
  var events: [(step: Int, delta: Int)] = []
  events.reserveCapacity(problem.buffers.count * 3)
  for buffer in problem.buffers where buffer.lastStep >= buffer.firstStep && buffer.size > 0 {
    let full = problem.occupiedBytes(of: buffer)
    events.append((buffer.firstStep, full))
    if let shrink = buffer.shrink, shrink.afterStep >= buffer.firstStep,
      shrink.afterStep < buffer.lastStep
    {
      let kept = problem.occupiedBytes(of: buffer, atStep: buffer.lastStep)
      events.append((shrink.afterStep + 1, kept - full))
      events.append((buffer.lastStep + 1, -kept))
    } else {
      events.append((buffer.lastStep + 1, -full))
    }
  }
  events.sort { $0.step < $1.step }
  var best = 0
  var running = 0
  var index = 0
  while index < events.count {
    let step = events[index].step
    while index < events.count && events[index].step == step {
      running += events[index].delta
      index += 1
    }
    best = max(best, running)
  }
  return best
}
