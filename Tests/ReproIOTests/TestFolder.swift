// TestFolder.swift
// A fresh temporary folder per test, removed afterwards, and a helper to run a tool.

import Foundation

/// A unique folder under the system temporary directory; `remove()` deletes it.
struct TestFolder {
  let path: String

  init() throws {
    path = NSTemporaryDirectory() + "reproio-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  /// `path + "/" + name`.
  func file(_ name: String) -> String { path + "/" + name }

  /// Names of the files in the folder, hidden ones included.
  func listing() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path).sorted()
  }

  func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs `executable` with `arguments`; returns (exit status, stdout, stderr).
func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String, String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  let stderr = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (
    process.terminationStatus, String(decoding: stdout, as: UTF8.self),
    String(decoding: stderr, as: UTF8.self)
  )
}

/// Whether `python3` on PATH can import h5py (checked once per test process).
let pythonHasH5py: Bool = {
  guard let (status, _, _) = try? run("/usr/bin/env", ["python3", "-c", "import h5py"]) else {
    return false
  }
  return status == 0
}()
