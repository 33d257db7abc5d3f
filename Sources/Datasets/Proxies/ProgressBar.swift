// ProgressBar.swift
// A progress bar with rate and ETA on stderr for the proxy preparation. Thread-safe (the speech
// proxy advances it from two jobs). On a terminal it redraws one line at most 10 times a second;
// otherwise (CI logs) it prints a line every 10 %.

import Foundation

/// Progress of one long step, drawn on stderr.
public final class ProgressBar: @unchecked Sendable {
  private let lock = NSLock()
  private let label: String
  private let total: Int
  private let enabled: Bool
  private let isTerminal = isatty(2) != 0
  private let start = Date()
  private var done = 0
  private var lastDraw = Date.distantPast
  private var lastDecile = -1

  /// A bar for `total` items; `enabled: false` makes every call a no-op.
  public init(label: String, total: Int, enabled: Bool = true) {
    self.label = label
    self.total = max(total, 1)
    self.enabled = enabled
  }

  /// Records `count` more finished items.
  public func advance(by count: Int = 1) {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    done += count
    let now = Date()
    let decile = done * 10 / total
    if isTerminal ? now.timeIntervalSince(lastDraw) >= 0.1 || done == total : decile > lastDecile {
      lastDraw = now
      lastDecile = decile
      draw(final: false)
    }
  }

  /// Draws the final state and ends the line.
  public func finish() {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    draw(final: true)
  }

  /// `label [#####.....] done/total  elapsed  ETA`.
  private func draw(final: Bool) {
    let elapsed = Date().timeIntervalSince(start)
    let fraction = Double(min(done, total)) / Double(total)
    let filled = Int(fraction * 30)
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
    let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
    var line = "\(label) [\(bar)] \(done)/\(total)  \(format(elapsed))"
    line += final ? " done" : "  ETA \(format(eta))"
    let text = isTerminal ? "\r" + line + (final ? "\n" : "") : line + "\n"
    FileHandle.standardError.write(Data(text.utf8))
  }

  private func format(_ seconds: Double) -> String {
    seconds < 60 ? String(format: "%.1f s", seconds) : String(format: "%.1f min", seconds / 60)
  }
}
