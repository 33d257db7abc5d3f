// InterpreterProgram.swift
// The interpreter baseline as a C program (DESIGN.md §5, issue 4 §5): the model blob as a
// constant array (Flash), the C runtime of Sources/CInterpreter and the generic kernels it
// calls, behind the same `model.h` API as the generated code, so that Runner and the Harness
// mains compile, run and time both the same way ("TFLM / CMSIS-NN" column: same compiler, same
// flags, same machine). Text only; no file I/O, no processes.
// int4 models (blob flag bit 0) run the runtime built with the generic `*_s4` kernels only, on
// packed tensors, behind the generated int4 code's `uint8_t` API.
// Not the code generator (CodeGen.swift): nothing here is specialized to the model but the blob
// (and the runtime's kernel configuration, mcu_interpreter_config.h).

import Foundation
import MemoryPlanner
import ModelIR
import Quantization

/// Packages a `QuantizedGraph` with the interpreter runtime.
public enum InterpreterProgram {
  /// The kernels the runtime calls for int8 models (every op code of blob format version 1).
  public static let kernels = [
    "mcu_conv2d_s8", "mcu_depthwise_conv2d_s8", "mcu_pointwise_conv2d_s8",
    "mcu_fully_connected_per_channel_s8", "mcu_add_s8", "mcu_avgpool_s8",
    "mcu_global_avgpool_s8", "mcu_maxpool_s8",
  ]

  /// The kernels the runtime calls for int4 models, in the order of `kernels`.
  public static let int4Kernels = [
    "mcu_conv2d_s4", "mcu_depthwise_conv2d_s4", "mcu_pointwise_conv2d_s4",
    "mcu_fully_connected_per_channel_s4", "mcu_add_s4", "mcu_avgpool_s4",
    "mcu_global_avgpool_s4", "mcu_maxpool_s4",
  ]

  /// The kernels a program for a `bitWidth` model links (`kernels` or `int4Kernels`).
  public static func kernels(for bitWidth: BitWidth) -> [String] {
    bitWidth == .int4 ? int4Kernels : kernels
  }

  /// Path of the runtime's build configuration in a program (`include/`), which
  /// `InterpreterProgram` writes instead of the package's default.
  static let configHeader = "mcu_interpreter_config.h"

  /// The program that runs `q` with the interpreter runtime.
  ///
  /// Files: `include/model.h` (the generated code's API: `<name>_invoke`, size macros, plus
  /// `<NAME>_BLOB_BYTES`, `<NAME>_PERSISTENT_BYTES`, `<name>_blob()` and
  /// `<name>_error_message()`); `model.c` (the blob as `uint32_t` words, one static arena of
  /// `ModelBlob.arenaBytes(plannedBytes:)` bytes, and `<name>_invoke`, which initializes the
  /// runtime on its first call, as TFLM's AllocateTensors); the runtime, configured
  /// (`include/mcu_interpreter_config.h`) with only the model's kernel family; the kernel
  /// headers and the sources defining `kernels(for: q.bitWidth)`; `main.c` (`Harness.ioMain`:
  /// raw input bytes from a file or stdin, raw output to stdout, `--bench WARMUP N` prints the
  /// median of N timed invokes); and `manifest.json` with `kind` "interpreter".
  ///
  /// An int4 model (`q.bitWidth == .int4`) has the generated int4 code's API: `uint8_t`
  /// input and output holding packed int4 values (`<NAME>_INPUT_BYTES = (elements + 1) / 2`),
  /// and its arena plans the packed tensor sizes.
  ///
  /// - Throws: `CodeGenError.invalidName` for a name that is not a C identifier, and
  ///   `ModelBlobError` for a graph the blob format cannot hold.
  public static func make(q: QuantizedGraph, name: String) throws -> CProgram {
    guard CIdentifier.isValid(name) else { throw CodeGenError.invalidName(name) }
    let blob = try ModelBlob(q)
    let precision: Precision = q.bitWidth == .int4 ? .int4 : .int8
    let kernels = kernels(for: q.bitWidth)
    let problem = q.graph.memoryProblem(.interpreter(pad: .none), precision: precision).problem
    let plan = try GreedyBySizePlanner().plan(problem)
    let arenaBytes = blob.arenaBytes(plannedBytes: plan.arenaBytes)
    let prefix = name.uppercased()

    var files = [
      CFile(
        path: CodeGen.headerPath,
        contents: header(q, blob: blob, name: name, prefix: prefix, plan: plan, arena: arenaBytes)),
      CFile(path: CodeGen.sourcePath, contents: source(q, blob: blob, name: name, prefix: prefix)),
    ]
    files += EmbeddedInterpreter.headers.filter { $0.name != configHeader }.map {
      CFile(path: "include/" + $0.name, contents: $0.contents)
    }
    files.append(CFile(path: "include/" + configHeader, contents: config(q.bitWidth)))
    files += EmbeddedInterpreter.sources.map { CFile(path: $0.name, contents: $0.contents) }
    files += EmbeddedKernels.headers.map {
      CFile(path: "include/" + $0.name, contents: $0.contents)
    }
    files += EmbeddedKernels.sources.filter { file in
      kernels.contains { file.contents.contains("\nmcu_status \($0)(") }
    }.map { CFile(path: $0.name, contents: $0.contents) }

    let manifest = Manifest(
      model: q.graph.name, kind: "interpreter", planner: "GreedyBySize (at run time, in C)",
      arenaBytes: arenaBytes, kernels: kernels, roundingMode: q.roundingMode.rawValue,
      precision: q.bitWidth.rawValue, inputShape: q.graph.input.outputShape.dims,
      outputShape: q.graph.output.outputShape.dims, activationBytes: plan.arenaBytes,
      constantBytes: blob.bytes.count, layers: layers(q, plan: plan, kernels: kernels))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let json = String(decoding: try encoder.encode(manifest), as: UTF8.self) + "\n"
    files.append(CFile(path: CodeGen.manifestPath, contents: json))
    var program = CProgram(name: name, files: files, manifest: manifest)
    program.files.append(Harness.ioMain(for: program))
    return program
  }

  // MARK: - mcu_interpreter_config.h

  /// The runtime's build configuration: only the kernel family of `bitWidth`, so the program
  /// links the kernels its model can call and no others (TFLM's op resolver at build time).
  private static func config(_ bitWidth: BitWidth) -> String {
    let int4 = bitWidth == .int4
    return CText.comment(
      """
      mcu_interpreter_config.h: generated by CodeGen (InterpreterProgram); do not edit.
      The runtime of this \(bitWidth) model is built with the \(int4 ? "_s4" : "_s8") kernels only.
      """)
      + "#ifndef MCU_INTERPRETER_CONFIG_H\n#define MCU_INTERPRETER_CONFIG_H\n\n"
      + "#define MCU_INTERP_WITH_S8 \(int4 ? 0 : 1)\n#define MCU_INTERP_WITH_S4 \(int4 ? 1 : 0)\n\n"
      + "#endif  // MCU_INTERPRETER_CONFIG_H\n"
  }

  // MARK: - model.h

  private static func header(
    _ q: QuantizedGraph, blob: ModelBlob, name: String, prefix: String, plan: MemoryPlan,
    arena: Int
  ) -> String {
    let graph = q.graph
    let byteType = q.bitWidth == .int4 ? "uint8_t" : "int8_t"
    let values = q.bitWidth == .int4 ? "packed int4 bytes" : "values"
    var out = CText.comment(
      """
      model.h: generated by CodeGen (InterpreterProgram) from graph '\(graph.name)'; do not edit.
      The interpreter baseline behind the generated code's API: the model is the blob in model.c,
      read, validated and planned at run time by the runtime in mcu_interpreter.c (TFLM-style).
      """)
    out += "#ifndef \(prefix)_H_\n#define \(prefix)_H_\n\n#include <stdint.h>\n\n"
    out += "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
    out += CText.ioMacros(q, prefix: prefix)
    out += "/// Bytes of the model blob (Flash): tables, weights, biases, multipliers, shifts.\n"
    out += "#define \(prefix)_BLOB_BYTES \(blob.bytes.count)\n"
    out += "/// Planned head: the activations as the runtime's greedy planner places them.\n"
    out += "#define \(prefix)_ACTIVATION_BYTES \(plan.arenaBytes)\n"
    out += "/// Persistent tail: the runtime's tensor and node structs.\n"
    out += "#define \(prefix)_PERSISTENT_BYTES \(blob.persistentBytes)\n"
    out += "/// The SRAM arena: max(head, planner workspace \(blob.workspaceBytes)) + tail.\n"
    out += "#define \(prefix)_ARENA_BYTES \(arena)\n\n"
    out += "/// Result of `\(name)_invoke`.\n"
    out += "typedef enum \(name)_status {\n  \(prefix)_OK = 0,\n"
    out += "  /// `input` or `output` was NULL.\n  \(prefix)_ARG_ERROR = 1,\n"
    out += "  /// The runtime reported an error while invoking (see `\(name)_error_message`).\n"
    out += "  \(prefix)_KERNEL_ERROR = 2,\n"
    out +=
      "  /// The runtime rejected the blob or the arena at init (see `\(name)_error_message`).\n"
    out += "  \(prefix)_INIT_ERROR = 3\n} \(name)_status;\n\n"
    out += """
      /// Runs the model on one image. `input` holds \(prefix)_INPUT_BYTES \(values), `output`
      /// receives \(prefix)_OUTPUT_BYTES. The first call also initializes the runtime (parse,
      /// validate, plan). Not reentrant: every call uses the same static arena.
      \(name)_status \(name)_invoke(const \(byteType) *input, \(byteType) *output);

      /// The runtime's explanation of the last failure ("" when there was none).
      const char *\(name)_error_message(void);

      /// The model blob (\(prefix)_BLOB_BYTES bytes, 4-byte aligned), e.g. for a test driver.
      const uint8_t *\(name)_blob(void);

      #ifdef __cplusplus
      }
      #endif

      #endif  // \(prefix)_H_

      """
    return out
  }

  // MARK: - model.c

  private static func source(_ q: QuantizedGraph, blob: ModelBlob, name: String, prefix: String)
    -> String
  {
    let byteType = q.bitWidth == .int4 ? "uint8_t" : "int8_t"
    var out = CText.comment(
      """
      model.c: generated by CodeGen (InterpreterProgram) from graph '\(q.graph.name)'; do not edit.
      The model as data: the MCUB blob (format version \(ModelBlob.version), ModelBlob.swift) in
      Flash, one static arena in SRAM, and the runtime called through the model.h API.
      """)
    out += "#include \"model.h\"\n\n#include <stddef.h>\n\n#include \"mcu_interpreter.h\"\n\n"
    out += CText.comment(
      """
      The blob as little-endian 32-bit words: 4-byte aligned in standard C, and the runtime's
      int32 reads of biases, multipliers and shifts then access uint32_t objects, which C's
      aliasing rules allow (int8 and packed int4 weights are read as a character type).
      """)
    out += wordArray("blob_words", blob.bytes)
    out += """

      #if defined(__GNUC__)
      static uint8_t arena[\(prefix)_ARENA_BYTES] __attribute__((aligned(16)));
      #else
      // C99 cannot align an array to 16; the runtime then starts up to 15 bytes later.
      static uint8_t arena[\(prefix)_ARENA_BYTES + 15];
      #endif
      static mcu_interpreter interpreter;
      static int initialized = 0;

      const uint8_t *\(name)_blob(void) { return (const uint8_t *)blob_words; }

      const char *\(name)_error_message(void) { return mcu_interp_error_message(&interpreter); }

      \(name)_status \(name)_invoke(const \(byteType) *input, \(byteType) *output) {
        if (input == NULL || output == NULL) return \(prefix)_ARG_ERROR;
        if (!initialized) {
          if (mcu_interp_init(&interpreter, (const uint8_t *)blob_words, \(prefix)_BLOB_BYTES,
                              arena, sizeof arena) != MCU_INTERP_OK) {
            return \(prefix)_INIT_ERROR;
          }
          initialized = 1;
        }
        return mcu_interp_invoke(&interpreter, input, output) == MCU_INTERP_OK
                   ? \(prefix)_OK
                   : \(prefix)_KERNEL_ERROR;
      }

      """
    return out
  }

  /// `static const uint32_t <name>[] = {…};`, eight hex words per line (bytes little-endian).
  static func wordArray(_ name: String, _ bytes: [UInt8]) -> String {
    precondition(bytes.count % 4 == 0, "blob size \(bytes.count) is not a multiple of 4")
    var out = "static const uint32_t \(name)[\(bytes.count / 4)] = {\n"
    out.reserveCapacity(bytes.count * 3 + 64)
    var line = " "
    for start in stride(from: 0, to: bytes.count, by: 4) {
      let word = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[start + $1]) << (8 * $1) }
      let hex = String(word, radix: 16)
      line += " 0x" + String(repeating: "0", count: 8 - hex.count) + hex + ","
      if line.utf8.count > 90 {
        out += line + "\n"
        line = " "
      }
    }
    if line.utf8.count > 1 { out += line + "\n" }
    return out + "};\n"
  }

  // MARK: - Manifest

  /// One manifest entry per op with the planned offsets (the runtime computes the same plan)
  /// and the kernel of `kernels` (`kernels(for:)`) it runs; output bytes are packed for int4.
  private static func layers(_ q: QuantizedGraph, plan: MemoryPlan, kernels: [String])
    -> [ManifestLayer]
  {
    let graph = q.graph
    return graph.nodes.enumerated().dropFirst().map { i, node in
      let kernel: String
      switch node.op {
      case .conv2d(let a): kernel = a.isPointwise ? kernels[2] : kernels[0]
      case .depthwiseConv2d: kernel = kernels[1]
      case .linear: kernel = kernels[3]
      case .add: kernel = kernels[4]
      case .avgPool: kernel = kernels[5]
      case .globalAvgPool, .input: kernel = kernels[6]
      case .maxPool: kernel = kernels[7]
      }
      return ManifestLayer(
        node: node.name, op: node.op.kindName, kernel: kernel, specialized: false,
        biasFolded: false, inPlace: false, inputOffsets: node.inputs.map { plan.offsets[$0] },
        outputOffset: plan.offsets[i],
        outputBytes: ModelBlob.valueBytes(node.outputElements, q.bitWidth), scratchOffset: nil,
        scratchBytes: 0)
    }
  }
}
