import Foundation

/// Progress of long work on stderr, one line per step, with the elapsed time and an ETA
/// extrapolated from the mean step time so far.
public struct ProgressReporter: Sendable {
  public var label: String
  public var total: Int
  public var enabled: Bool
  private let start = Date()

  public init(_ label: String, total: Int, enabled: Bool = true) {
    self.label = label
    self.total = total
    self.enabled = enabled
  }

  /// Reports that `done` of `total` steps are finished; `detail` names the last one.
  public func step(_ done: Int, _ detail: String) {
    guard enabled else { return }
    let elapsed = Date().timeIntervalSince(start)
    let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
    let line = String(
      format: "[%@ %d/%d] %@  (%.1f s elapsed, ETA %.1f s)\n", label, done, total, detail, elapsed,
      eta)
    FileHandle.standardError.write(Data(line.utf8))
  }
}
