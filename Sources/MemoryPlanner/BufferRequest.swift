// BufferRequest.swift
// One buffer to place in the arena: a size in bytes and an inclusive lifetime in op steps, with
// an optional TinyEngine stride-2 in-place shrink. It knows sizes and lifetimes, not shapes or
// math (STYLE.md B2 rule 1; TFLM `AddBuffer(size, first_time_used, last_time_used)`).

/// A request for `size` bytes that must stay at one arena offset from `firstStep` through
/// `lastStep` (both inclusive; a step is the index of one operator in execution order).
public struct BufferRequest: Hashable, Sendable, Codable {
  /// What the buffer holds.
  ///
  /// Planners treat every kind alike; diagrams and reports show it.
  public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
    /// An intermediate tensor produced and consumed by operators.
    case activation
    /// A graph input (usually live from step 0).
    case input
    /// A graph output (usually live until the last step).
    case output
    /// An operator's temporary buffer (im2col, padded channel), live during that operator only.
    case scratch
    /// A buffer that must live for the whole program (give it steps `0...stepCount-1`).
    case persistent
  }

  /// TinyEngine's stride-2 in-place depthwise rule: the output overwrites the first quarter of
  /// the input buffer, so from step `afterStep + 1` on only `size` bytes stay live, at the same
  /// offset (the buffer's low end) [TinyEngine `stride2_inplace_idx`, `firstFit.fit`].
  public struct Shrink: Hashable, Sendable, Codable {
    /// The last step at which the buffer still occupies its full size; valid range
    /// `firstStep ..< lastStep` of the owning buffer.
    public var afterStep: Int
    /// Bytes that stay live after `afterStep`; valid range `1 ... size` of the owning buffer.
    public var size: Int

    /// Creates a shrink that keeps `size` bytes live from step `afterStep + 1` on.
    public init(afterStep: Int, size: Int) {
      self.afterStep = afterStep
      self.size = size
    }
  }

  /// Unique name, used in error messages, diagrams and by callers to find the offset.
  public var name: String
  /// Requested bytes (> 0).
  ///
  /// The arena reserves `alignUp(size, problem.alignment)`.
  public var size: Int
  /// First step (inclusive) at which the buffer is live.
  public var firstStep: Int
  /// Last step (inclusive) at which the buffer is live; `>= firstStep`.
  public var lastStep: Int
  /// Optional stride-2 in-place shrink (see `Shrink`).
  public var shrink: Shrink?
  /// What the buffer holds.
  public var kind: Kind

  /// Creates a request for `size` bytes live over `firstStep...lastStep`.
  public init(
    name: String, size: Int, firstStep: Int, lastStep: Int, shrink: Shrink? = nil,
    kind: Kind = .activation
  ) {
    self.name = name
    self.size = size
    self.firstStep = firstStep
    self.lastStep = lastStep
    self.shrink = shrink
    self.kind = kind
  }

  /// Whether the buffer is live at `step` (`firstStep <= step <= lastStep`).
  public func isLive(atStep step: Int) -> Bool {
    firstStep <= step && step <= lastStep
  }

  /// The requested (unaligned) bytes live at `step`: `size`, `shrink.size` after the shrink,
  /// or 0 outside the lifetime.
  public func requestedBytes(atStep step: Int) -> Int {
    guard isLive(atStep: step) else { return 0 }
    if let shrink, step > shrink.afterStep { return shrink.size }
    return size
  }
}
