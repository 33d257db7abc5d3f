// InterpreterProgramTests.swift
// The packaging of the runtime for Runner: Sources/CodeGen/EmbeddedInterpreter.swift equals
// Sources/CInterpreter byte for byte (Scripts/embed-interpreter.sh writes it), and
// InterpreterProgram.make emits the runtime, the kernels it calls, the model.h API, a blob array
// that decodes to ModelBlob's bytes, an arena of exactly the runtime's need, and a manifest.
// Compiling and running the program is RunnerTests' job (InterpreterProgramRunTests.swift).

import CodeGen
import Foundation
import MemoryPlanner
import Testing

@Suite struct InterpreterProgramTests {
  /// Sources/CInterpreter, found from this file (symlinks resolved).
  static var runtimeFolder: String {
    URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Sources/CInterpreter").path
  }

  static func files(in folder: String, suffix: String) throws -> [String: String] {
    var files: [String: String] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: folder)
    where name.hasSuffix(suffix) {
      files[name] = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
    }
    return files
  }

  @Test func embeddedRuntimeIsUpToDate() throws {
    let hint =
      "Sources/CodeGen/EmbeddedInterpreter.swift is stale: run Scripts/embed-interpreter.sh"
    let sources = try Self.files(in: Self.runtimeFolder, suffix: ".c")
    let headers = try Self.files(in: Self.runtimeFolder + "/include", suffix: ".h")
    #expect(!sources.isEmpty && !headers.isEmpty, "no runtime found at \(Self.runtimeFolder)")
    let embeddedSources = Dictionary(
      uniqueKeysWithValues: EmbeddedInterpreter.sources.map { ($0.name, $0.contents) })
    let embeddedHeaders = Dictionary(
      uniqueKeysWithValues: EmbeddedInterpreter.headers.map { ($0.name, $0.contents) })
    #expect(embeddedSources.keys.sorted() == sources.keys.sorted(), "\(hint)")
    #expect(embeddedHeaders.keys.sorted() == headers.keys.sorted(), "\(hint)")
    for (name, text) in sources where embeddedSources[name] != text {
      Issue.record("\(name) differs. \(hint)")
    }
    for (name, text) in headers where embeddedHeaders[name] != text {
      Issue.record("include/\(name) differs. \(hint)")
    }
  }

  @Test func programHoldsRuntimeKernelsBlobAndExactArena() throws {
    let q = try TestQuantizer.make(TestGraphs.residual(), seed: 21)
    let program = try InterpreterProgram.make(q: q, name: "resnet_interp")
    let paths = Set(program.files.map(\.path))
    for path in [
      "include/model.h", "model.c", "main.c", "manifest.json", "include/mcu_interpreter.h",
      "mcu_interpreter.c", "include/mcu_kernels.h", "include/mcu_fixedpoint.h",
      "mcu_conv2d_s8.c", "mcu_depthwise_conv2d_s8.c", "mcu_pointwise_conv2d_s8.c",
      "mcu_fully_connected_s8.c", "mcu_add_s8.c", "mcu_avgpool_s8.c",
    ] {
      #expect(paths.contains(path), "missing \(path)")
    }
    // No int4 or in-place kernels: the interpreter runs the generic int8 kernels only, and
    // its configuration leaves the int4 dispatch out.
    #expect(
      !paths.contains("mcu_conv_s4.c") && !paths.contains("mcu_depthwise_conv2d_s8_inplace.c"))
    let config = program.file("include/mcu_interpreter_config.h")?.contents ?? ""
    #expect(config.contains("#define MCU_INTERP_WITH_S8 1"))
    #expect(config.contains("#define MCU_INTERP_WITH_S4 0"))
    // Every kernel the runtime calls is one the program lists.
    let runtime = program.file("mcu_interpreter.c")?.contents ?? ""
    for symbol in InterpreterProgram.kernels { #expect(runtime.contains(symbol + "(")) }

    // The blob array decodes to ModelBlob's bytes.
    let blob = try ModelBlob(q)
    let model = program.file("model.c")?.contents ?? ""
    let words = model.split(separator: "\n").filter { $0.hasPrefix("  0x") }
      .flatMap { $0.split(separator: ",") }
      .compactMap { UInt32($0.trimmingCharacters(in: .whitespaces).dropFirst(2), radix: 16) }
    let bytes = words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }
    #expect(bytes == blob.bytes)
    #expect(model.split(separator: "\n").allSatisfy { $0.utf8.count <= 100 })

    // The static arena is what the runtime needs; the header states every part of it.
    let plan = try GreedyBySizePlanner().plan(
      q.graph.memoryProblem(.interpreter(pad: .none)).problem)
    let arena = blob.arenaBytes(plannedBytes: plan.arenaBytes)
    let header = program.file("include/model.h")?.contents ?? ""
    for line in [
      "#define RESNET_INTERP_ARENA_BYTES \(arena)",
      "#define RESNET_INTERP_ACTIVATION_BYTES \(plan.arenaBytes)",
      "#define RESNET_INTERP_PERSISTENT_BYTES \(blob.persistentBytes)",
      "#define RESNET_INTERP_BLOB_BYTES \(blob.bytes.count)",
      "resnet_interp_status resnet_interp_invoke(const int8_t *input, int8_t *output);",
    ] {
      #expect(header.contains(line), "model.h lacks \(line)")
    }
    let runtimeWithExactArena = Runtime(blob: blob.bytes, arenaBytes: arena)
    #expect(runtimeWithExactArena.initStatus.rawValue == 0, "\(runtimeWithExactArena.message)")
    #expect(Runtime(blob: blob.bytes, arenaBytes: arena - 1).initStatus.rawValue != 0)

    #expect(program.manifest.kind == "interpreter")
    #expect(program.manifest.arenaBytes == arena)
    #expect(program.manifest.activationBytes == plan.arenaBytes)
    #expect(program.manifest.constantBytes == blob.bytes.count)
    #expect(program.manifest.layers.map(\.outputOffset) == Array(plan.offsets.dropFirst()))
    #expect(program.file("main.c")?.contents.contains("resnet_interp_invoke") == true)
  }

  @Test func invalidNamesAndInvalidGraphsAreRejected() throws {
    var q = try TestQuantizer.make(TestGraphs.chain(), seed: 2)
    #expect(throws: CodeGenError.invalidName("2fast")) {
      try InterpreterProgram.make(q: q, name: "2fast")
    }
    // int8 data labelled int4: the blob writer names the first tensor that does not fit.
    q.bitWidth = .int4
    #expect(throws: ModelBlobError.self) { try InterpreterProgram.make(q: q, name: "chain") }
  }
}
