import Foundation
import ModelIR
import ReproIO
import Testing
import _TestSupport

@testable import Experiments

@Suite struct MemoryExperimentTests {
  func temporaryDirectory() throws -> String {
    let dir = NSTemporaryDirectory() + "memory-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  /// `repro memory --profile smoke` end to end: files exist and the HDF5 table reads back with
  /// one row per (model, library) and the invariants between the libraries hold.
  @Test func smokeRunWritesConsistentResults() throws {
    let out = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: out) }
    let (result, files) = try runMemoryExperiment(
      profile: .smoke, out: out, configPath: nil, showProgress: false)
    for name in ["memory.h5", "memory.md", "memory.csv", "memory.png", "memory.pdf"] {
      #expect(files.contains("\(out)/memory/\(name)"))
      #expect(FileManager.default.fileExists(atPath: "\(out)/memory/\(name)"))
    }
    let file = try ResultsFile(contentsOf: "\(out)/memory/memory.h5")
    #expect(file.attributes["experiment"] == .string("memory"))
    #expect(file.attributes["profile"] == .string("smoke"))
    let models = try file.table.strings("model")
    let libraries = try file.table.strings("library")
    let peaks = try file.table.ints("peak_sram_bytes")
    let config = MemoryConfig.builtIn(.smoke)
    #expect(models.count == config.models.count * 5)
    #expect(Set(libraries) == ["interpreter", "tinyengine", "ours", "bound", "bound_inplace"])
    for id in config.models {
      func peak(_ lib: String) throws -> Int64 {
        let i = try #require(models.indices.first { models[$0] == id && libraries[$0] == lib })
        return peaks[i]
      }
      #expect(try peak("ours") <= peak("tinyengine"), "\(id)")
      #expect(try peak("ours") >= peak("bound_inplace"), "\(id)")
      #expect(try peak("bound_inplace") <= peak("bound"), "\(id)")
      #expect(try peak("tinyengine") < peak("interpreter"), "\(id)")
    }
    #expect(result.rows.count == models.count)
    // TinyEngine's faithful allocator produces valid plans on every zoo model.
    #expect(try file.table.ints("plan_valid").allSatisfy { $0 == 1 })
    #expect(file.models.count == config.models.count)
    #expect(file.curves.count == config.models.count)
    let in3 = try #require(file.models.first { $0.id == "mcunet-in3" })
    let json = try #require(in3.attributes["netconfig_json"]?.string)
    let graph = try NetConfig(jsonData: Data(json.utf8)).makeGraph()
    #expect(graph.macs == 81_785_520)
  }

  /// The committed experiments/memory.json states the built-in configuration.
  @Test func committedConfigEqualsBuiltIn() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().path
    for profile in Profile.allCases {
      let loaded = try loadExperimentConfig(
        MemoryConfig.self, experiment: "memory", profile: profile,
        path: root + "/experiments/memory.json", builtIn: MemoryConfig.builtIn)
      #expect(loaded == MemoryConfig.builtIn(profile), "\(profile)")
    }
  }

  @Test func unknownModelIsNamed() {
    let config = MemoryConfig(models: ["mcunet-in9"])
    do {
      _ = try measureMemory(config)
      Issue.record("expected an error")
    } catch {
      #expect("\(error)".hasPrefix("unknown model 'mcunet-in9'; known models: mbv2-w0.3, "))
    }
  }

  @Test func unwritableOutputFolderIsReported() throws {
    // A path below a regular file can never be created, even by root.
    let file = NSTemporaryDirectory() + "memory-test-file-\(UUID().uuidString)"
    try Data("x".utf8).write(to: URL(fileURLWithPath: file))
    defer { try? FileManager.default.removeItem(atPath: file) }
    #expect(throws: ReproIOError.self) {
      try runMemoryExperiment(profile: .smoke, out: file + "/out", showProgress: false)
    }
  }

  @Test func malformedConfigFileIsReported() throws {
    let path = NSTemporaryDirectory() + "memory-bad-\(UUID().uuidString).json"
    try Data(#"{"smoke": {"models": 3}}"#.utf8).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    do {
      _ = try loadExperimentConfig(
        MemoryConfig.self, experiment: "memory", profile: .smoke, path: path,
        builtIn: MemoryConfig.builtIn)
      Issue.record("expected an error")
    } catch {
      #expect("\(error)".hasPrefix("experiment config '\(path)': not valid for memory"))
    }
  }
}
