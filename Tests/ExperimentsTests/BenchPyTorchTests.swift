// BenchPyTorchTests.swift
// The side-by-side PyTorch of `repro bench train --pytorch`: when Debian's PyTorch is
// installed, Scripts/bench-pytorch.py builds every zoo network with exactly our parameter and
// MAC counts (an independent check of both the script and ModelIR's analytics); and, with or
// without PyTorch, a missing interpreter or a script that builds another network is an error
// that names the fix, never a silent ratio.

import Foundation
import ModelIR
import Runner
import Testing

@testable import Experiments

@Suite struct BenchPyTorchTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path
  static let script = root + "/Scripts/bench-pytorch.py"

  /// Whether Debian's python3-torch is installed (it is not on CI's bare machine).
  static let torchInstalled: Bool = {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { return false }
    let out = try? ProcessRunner().runAllowingFailure("/usr/bin/python3", ["-c", "import torch"])
    return out?.exitCode == 0
  }()

  func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("bench-pytorch-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  @Test(.enabled(if: torchInstalled, "needs Debian's python3-torch"))
  func everyZooNetworkHasOurParamsAndMACsInPyTorch() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var mismatches: [String] = []
    for zoo in ModelZoo.all {
      let graph = try zoo.graph()
      let file = dir.appendingPathComponent("\(zoo.id).json")
      try zoo.config.jsonData().write(to: file)
      let out = try ProcessRunner().run(
        "/usr/bin/python3",
        [
          Self.script, "--config", file.path, "--resolution", "\(graph.input.outputShape[1])",
          "--batch", "1", "--threads", "1", "--count-only",
        ])
      let counts = try JSONDecoder().decode([String: Int].self, from: Data(out.stdout))
      if counts["params"] != graph.params || counts["macs"] != graph.macs {
        mismatches.append(
          "\(zoo.id): PyTorch \(counts), ours params \(graph.params) macs \(graph.macs)")
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
  }

  @Test func anInterpreterWithoutTorchIsNamedWithTheFix() throws {
    let bench = PyTorchBench(python: "/bin/false", script: Self.script)
    #expect {
      try bench.check()
    } throws: { error in
      let message = "\(error)"
      return message.contains("/bin/false cannot import torch") && message.contains("python3-torch")
    }
  }

  @Test func aMissingScriptIsNamed() throws {
    let bench = PyTorchBench(python: "/bin/true", script: "/nonexistent/bench-pytorch.py")
    #expect(throws: PyTorchBenchError.scriptMissing(path: "/nonexistent/bench-pytorch.py")) {
      try bench.check()
    }
  }

  /// A stand-in interpreter that "imports torch" and then reports a network of other counts:
  /// the benchmark must refuse to print a ratio.
  @Test func aDifferentNetworkIsRefused() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let python = dir.appendingPathComponent("python")
    let report =
      #"{"images_per_s": 10, "step_s": 0.8, "forward_s": 0.3, "backward_s": 0.4, "#
      + #""optimizer_s": 0.1, "params": 1, "macs": 2, "threads": 2, "torch": "0", "#
      + #""mkldnn": true, "memory_format": "channels_last"}"#
    try "#!/bin/sh\n[ \"$1\" = \"-c\" ] && exit 0\necho '\(report)'\n".write(
      to: python, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes(
      [.posixPermissions: 0o755], ofItemAtPath: python.path)
    var config = BenchTrainConfig.builtIn(.smoke)
    config.models = ["mcunet-in3"]
    #expect {
      _ = try measureTrainingThroughput(
        config, pytorch: PyTorchBench(python: python.path, script: Self.script))
    } throws: { error in
      let message = "\(error)"
      return message.contains("different network for mcunet-in3 r32")
        && message.contains("1 params and 2 MACs")
    }
  }
}
