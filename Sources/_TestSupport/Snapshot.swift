// Snapshot.swift
// Golden-file snapshots of generated text (STYLE.md B6.7, after swift-argument-parser's
// assertSnapshot): the text must equal `Snapshots/<name>.<ext>` beside the calling test file.
// `RECORD_SNAPSHOTS=1` rewrites the file and then FAILS on purpose, so a baseline is never
// committed by accident. Not a diff tool: the failure shows the first differing line.

import Foundation
import Testing

/// Compares `actual` with the snapshot `<folder of testFile>/Snapshots/<name>.<ext>`.
///
/// - Parameters:
///   - actual: the generated text.
///   - name: the snapshot's file name without extension (by convention the test's name).
///   - ext: the extension, `c` by default.
///   - testFile: the calling test file (`#filePath`); its folder holds `Snapshots/`.
public func assertSnapshot(
  _ actual: String, named name: String, ext: String = "c", testFile: String = #filePath,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let folder = (testFile as NSString).deletingLastPathComponent + "/Snapshots"
  let path = folder + "/" + name + "." + ext
  if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      try actual.write(toFile: path, atomically: true, encoding: .utf8)
      Issue.record(
        "recorded snapshot \(path); review it, then run again without RECORD_SNAPSHOTS",
        sourceLocation: sourceLocation)
    } catch {
      Issue.record("could not record snapshot \(path): \(error)", sourceLocation: sourceLocation)
    }
    return
  }
  guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
    Issue.record(
      Comment(
        rawValue: "no snapshot at \(path); record it with RECORD_SNAPSHOTS=1 swift test "
          + "--filter <this test>"),
      sourceLocation: sourceLocation)
    return
  }
  if actual != expected {
    Issue.record(
      Comment(rawValue: snapshotDifference(actual, expected, path: path)),
      sourceLocation: sourceLocation)
  }
}

/// The first differing line of two texts, for the failure message.
func snapshotDifference(_ actual: String, _ expected: String, path: String) -> String {
  let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
  let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
  let line =
    zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset
    ?? min(a.count, e.count)
  let shown = { (lines: [Substring]) in line < lines.count ? String(lines[line]) : "<end>" }
  return "snapshot \(path) differs at line \(line + 1) (\(a.count) vs \(e.count) lines):\n"
    + "  actual:   \(shown(a))\n  expected: \(shown(e))\n"
    + "If the change is intended, re-record with RECORD_SNAPSHOTS=1 and review the diff."
}
