// CodeGen.swift
// TinyEngine-style code generation (MCUNet §3.2, paper_facts §10) as one pure function:
// (QuantizedGraph, MemoryPlan) -> CProgram, in four stages:
//   lower (check plan against graph, choose kernels, place scratch, fold biases) ->
//   emit model.h / model.c (Flash constants, one static arena, one kernel call per node) ->
//   emit the specialized kernels from their templates, copy the generic ones ->
//   write manifest.json.
// No file I/O and no processes (Runner compiles and runs the result; STYLE.md B1, B2).

import Foundation
import Kernels
import MemoryPlanner
import ModelIR
import Quantization

/// Options of `CodeGen.generate`.
public struct CodeGenOptions: Hashable, Sendable {
  /// Prefix of the C API (`<name>_invoke`, `<NAME>_INPUT_BYTES`); a C identifier.
  public var name: String
  /// Which specializations kernel selection may use (`.genericOnly`: generic kernels only).
  public var kernels: KernelSelectionOptions
  /// Call `<name>_trace_layer(node, output, bytes)` after every layer, a function the
  /// program's `main.c` must define (the self-checking harness compares every layer with it).
  /// For tests and debugging; off in deployed code.
  public var traceLayers: Bool

  /// Creates options.
  public init(
    name: String = "model", kernels: KernelSelectionOptions = KernelSelectionOptions(),
    traceLayers: Bool = false
  ) {
    self.name = name
    self.kernels = kernels
    self.traceLayers = traceLayers
  }
}

/// The TinyEngine-style code generator.
public enum CodeGen {
  /// Path of the model's header in every generated program.
  public static let headerPath = "include/model.h"
  /// Path of the model's source in every generated program.
  public static let sourcePath = "model.c"
  /// Path of the manifest in every generated program.
  public static let manifestPath = "manifest.json"

  /// Generates the C program that runs `q` with its activations placed by `plan`.
  ///
  /// - Parameters:
  ///   - q: an int8 or int4 quantized graph. int4 graphs use the generic packed `*_s4`
  ///     kernels only (no specializations, no in-place depthwise), weights and activations
  ///     packed two per byte, and `uint8_t` bytes in the C API.
  ///   - plan: a plan of `problem.problem` (scratch after the arena, TinyEngine's layout) or of
  ///     `problem.withScratchBuffers` (scratch placed jointly).
  ///   - problem: `q.graph.memoryProblem(.tinyEngine(inPlaceDepthwise:))`; a depthwise node
  ///     whose output has no buffer of its own runs in place. For int4:
  ///     `memoryProblem(.tinyEngine(inPlaceDepthwise: false), precision: .int4)` (packed
  ///     buffers; an int8-sized problem also works, with a larger arena).
  ///   - options: API name and specialization switch.
  /// - Returns: `include/model.h`, `model.c`, the kernels it calls and `manifest.json`, in a
  ///   stable order; the same inputs give the same text.
  /// - Throws: `CodeGenError` naming the node, buffer or option at fault and the fix.
  public static func generate(
    _ q: QuantizedGraph, plan: MemoryPlan, problem: GraphMemoryProblem,
    options: CodeGenOptions = CodeGenOptions()
  ) throws -> CProgram {
    guard CIdentifier.isValid(options.name) else { throw CodeGenError.invalidName(options.name) }
    guard q.graph.nodes.count >= 2 else {
      throw CodeGenError.unsupportedOp(node: q.graph.input.name, op: "graph without layers")
    }
    let model = try LoweredModel(q, plan: plan, problem: problem, options: options)
    let source = ModelSource(model, name: options.name, traceLayers: options.traceLayers)
    var files = [
      CFile(path: headerPath, contents: source.header),
      CFile(path: sourcePath, contents: source.source),
    ]
    files += SpecializedKernels.files(for: model.layers.map(\.kernel))
    files += try genericKernelFiles(model.layers.map(\.kernel).filter { !$0.isSpecialized })
    let manifest = source.manifest
    files.append(CFile(path: manifestPath, contents: try manifestJSON(manifest)))
    return CProgram(name: options.name, files: files, manifest: manifest)
  }

  /// The CMicroKernels headers plus the sources that define `kernels` (found by their
  /// definitions in the embedded sources, so no table can drift from the C).
  static func genericKernelFiles(_ kernels: [KernelSpec]) throws -> [CFile] {
    var files = EmbeddedKernels.headers.map {
      CFile(path: "include/" + $0.name, contents: $0.contents)
    }
    var needed = Set<String>()
    for kernel in kernels {
      guard let file = EmbeddedKernels.source(defining: kernel.symbol) else {
        throw CodeGenError.unsupportedOp(
          node: "(kernel \(kernel.symbol))", op: "no CMicroKernels source defines it")
      }
      needed.insert(file.name)
    }
    files += EmbeddedKernels.sources.filter { needed.contains($0.name) }
      .map { CFile(path: $0.name, contents: $0.contents) }
    return files
  }

  /// The manifest as pretty-printed JSON with sorted keys (deterministic).
  static func manifestJSON(_ manifest: Manifest) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(manifest), as: UTF8.self) + "\n"
  }
}
