// BenchTrain+PyTorch.swift
// `repro bench train --pytorch`: PyTorch's training throughput measured side by side with
// ours, on the same machine, in the same run, on the same graphs. The anchors in
// reference/anchors.md were measured on one machine (an AVX-512 Xeon); hosts differ by 2–3×
// in both engines, so a ratio is only meaningful when both sides run here.
//
// For each (model, resolution) our step is timed first, then `Scripts/bench-pytorch.py` is run
// on the zoo model's netconfig, written in MIT's JSON format, with the same batch, classes,
// threads, warm-up and timed steps. The script reports its parameter and MAC counts; a
// mismatch with ours means the two sides are not training the same network, and is an error.

import Foundation
import ModelIR
import Runner

/// How to run the PyTorch side of the benchmark.
public struct PyTorchBench: Sendable, Hashable {
  /// The Python interpreter that can `import torch` (Debian's `python3-torch` installs into
  /// the system `/usr/bin/python3`).
  public var python: String
  /// `Scripts/bench-pytorch.py`.
  public var script: String

  public init(python: String? = nil, script: String? = nil) {
    self.python = python ?? Self.defaultPython
    self.script = script ?? Self.defaultScript
  }

  /// `/usr/bin/python3` when it exists (where Debian's PyTorch is), else `python3` on PATH.
  public static var defaultPython: String {
    FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
      ? "/usr/bin/python3" : "python3"
  }

  /// The script in this source tree (the suite runs from its checkout).
  public static var defaultScript: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Scripts/bench-pytorch.py").path
  }
}

/// One PyTorch measurement, as the script prints it.
public struct PyTorchMeasurement: Codable, Sendable, Hashable {
  public var imagesPerS: Double
  public var stepS: Double
  public var forwardS: Double
  public var backwardS: Double
  public var optimizerS: Double
  public var params: Int
  public var macs: Int
  public var threads: Int
  public var torch: String
  public var mkldnn: Bool
  public var memoryFormat: String

  /// How the figure was obtained, for tables and figure legends.
  public var source: String {
    "measured side by side: PyTorch \(torch) CPU (oneDNN \(mkldnn ? "on" : "off")), "
      + "\(memoryFormat.replacingOccurrences(of: "_", with: "-")), \(threads) threads"
  }
}

/// Errors of the PyTorch side, each naming the fix.
public enum PyTorchBenchError: Error, Equatable, CustomStringConvertible {
  case scriptMissing(path: String)
  case torchMissing(python: String, detail: String)
  case failed(command: String, detail: String)
  case differentNetwork(
    model: String, ourParams: Int, ourMACs: Int, theirParams: Int, theirMACs: Int)

  public var description: String {
    switch self {
    case .scriptMissing(let path):
      return "PyTorch benchmark script not found at \(path); run from the suite's checkout or "
        + "pass --pytorch-script PATH"
    case .torchMissing(let python, let detail):
      return "\(python) cannot import torch (\(detail)); install Debian's python3-torch "
        + "(Scripts/bench-train.sh --pytorch does) or pass --python with an interpreter that has it"
    case .failed(let command, let detail):
      return "PyTorch benchmark failed: \(command)\n\(detail)"
    case .differentNetwork(let model, let ourParams, let ourMACs, let theirParams, let theirMACs):
      return "PyTorch built a different network for \(model): \(theirParams) params and "
        + "\(theirMACs) MACs against our \(ourParams) and \(ourMACs); the comparison "
        + "would be meaningless (Scripts/bench-pytorch.py must follow MIT's netconfig format)"
    }
  }
}

extension PyTorchBench {
  /// Fails fast, before any measurement, when the script or torch is missing.
  func check() throws {
    guard FileManager.default.fileExists(atPath: script) else {
      throw PyTorchBenchError.scriptMissing(path: script)
    }
    let output: ProcessOutput
    do {
      output = try ProcessRunner().runAllowingFailure(python, ["-c", "import torch"])
    } catch {
      throw PyTorchBenchError.torchMissing(python: python, detail: "\(error)")
    }
    guard output.exitCode == 0, !output.wasSignalled else {
      let lastLine = output.stderr.split(separator: "\n").last.map(String.init) ?? ""
      throw PyTorchBenchError.torchMissing(python: python, detail: lastLine)
    }
  }

  /// Runs the script on `netConfig` at `resolution` with `config`'s batch, classes, threads,
  /// warm-up and timed steps; checks that it trained the network of `params` and `macs`.
  /// `check()` has found the script and torch.
  func measure(
    _ netConfig: NetConfig, id: String, resolution: Int, params: Int, macs: Int,
    _ config: BenchTrainConfig
  ) throws -> PyTorchMeasurement {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("repro-bench-pytorch-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let configFile = folder.appendingPathComponent("\(id).json")
    try netConfig.jsonData().write(to: configFile)
    let arguments = [
      script, "--config", configFile.path, "--resolution", "\(resolution)",
      "--batch", "\(config.batch)", "--threads", "\(config.threads)",
      "--classes", "\(config.classes)", "--warmup", "\(config.warmup)",
      "--iterations", "\(config.iterations)", "--seed", "\(config.seed)",
    ]
    let output = try ProcessRunner().runAllowingFailure(python, arguments)
    if output.exitCode == 3 {
      throw PyTorchBenchError.torchMissing(
        python: python, detail: output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    guard output.exitCode == 0, !output.wasSignalled else {
      throw PyTorchBenchError.failed(command: output.command, detail: output.stderr)
    }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    let measurement: PyTorchMeasurement
    do {
      measurement = try decoder.decode(PyTorchMeasurement.self, from: Data(output.stdout))
    } catch {
      throw PyTorchBenchError.failed(
        command: output.command, detail: "unreadable output: \(output.stdoutText)")
    }
    guard measurement.params == params, measurement.macs == macs else {
      throw PyTorchBenchError.differentNetwork(
        model: "\(id) r\(resolution)", ourParams: params, ourMACs: macs,
        theirParams: measurement.params, theirMACs: measurement.macs)
    }
    return measurement
  }
}
