import CodeGen
import Foundation
import Kernels
import MemoryPlanner
import ModelIR
import Quantization
import ReproIO
import Runner
import TensorModule

/// Configuration of `repro engine` (experiments/engine.json).
public struct EngineConfig: Codable, Sendable, Hashable {
  /// Zoo model ids, run at paper scale with seeded random weights (accuracy is not the point
  /// here: latency, memory and bit-exactness are).
  public var models: [String]
  /// Models that also get the Fig. 5 step-by-step breakdown (every `EngineLibrary`).
  public var breakdownModels: [String]
  public var seed: UInt64
  public var warmup: Int
  public var iterations: Int
  /// Compiler optimisation flag for every library (`-O2` or `-O3`).
  public var optimization: String
  /// Count the instructions of one inference with callgrind (needs valgrind; NaN without it).
  public var callgrind: Bool
  /// Models also run in int4 (packed, the generic `*_s4` kernels, out of place): generated
  /// code and interpreter, as for int8 (paper Table 4's precision, on this host).
  public var int4Models: [String]

  public init(
    models: [String], breakdownModels: [String] = [], seed: UInt64 = 2020, warmup: Int,
    iterations: Int, optimization: String = "-O2", callgrind: Bool = true,
    int4Models: [String] = []
  ) {
    self.models = models
    self.breakdownModels = breakdownModels
    self.seed = seed
    self.warmup = warmup
    self.iterations = iterations
    self.optimization = optimization
    self.callgrind = callgrind
    self.int4Models = int4Models
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    models = try c.decode([String].self, forKey: .models)
    breakdownModels = try c.decodeIfPresent([String].self, forKey: .breakdownModels) ?? []
    seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 2020
    warmup = try c.decode(Int.self, forKey: .warmup)
    iterations = try c.decode(Int.self, forKey: .iterations)
    optimization = try c.decodeIfPresent(String.self, forKey: .optimization) ?? "-O2"
    callgrind = try c.decodeIfPresent(Bool.self, forKey: .callgrind) ?? true
    int4Models = try c.decodeIfPresent([String].self, forKey: .int4Models) ?? []
  }

  /// The models of the paper's library comparison (Fig. 4, appendix B) not already listed:
  /// SmallCifar, MobileNetV2 w0.35 r64 and MnasNet w0.2 r96 (ProxylessNAS w0.3 r64 is).
  public static let appendixBModels = ModelZoo.appendixB.map(\.id).filter {
    $0 != "proxyless-w0.3-r64"
  }

  /// The built-in configuration of each profile (experiments/engine.json states the same).
  public static func builtIn(_ profile: Profile) -> EngineConfig {
    switch profile {
    case .smoke:
      return EngineConfig(
        models: ["mcunet-in0"], breakdownModels: ["mcunet-in0"], warmup: 1, iterations: 3)
    case .default, .full:
      return EngineConfig(
        models: [
          "mcunet-in0", "mcunet-in1", "mcunet-in2", "mcunet-in3", "mcunet-in4", "mbv2-w0.35",
          "proxyless-w0.3", "proxyless-w0.3-r64", "mbv2-w0.3-r64",
        ] + appendixBModels, breakdownModels: ["mcunet-in0", "mcunet-in3"], warmup: 3,
        iterations: profile == .full ? 51 : 11, int4Models: ["mcunet-in0", "mbv2-w0.3-r64"])
    }
  }
}

/// The libraries `repro engine` measures: the interpreter baseline, then code generation with
/// TinyEngine's optimisations switched on one at a time (paper Fig. 5), ending at `generated`,
/// everything on. Each step keeps the previous ones.
public enum EngineLibrary: String, CaseIterable, Sendable, Codable {
  /// TFLM-style runtime: a serialized blob parsed, validated and planned at run time (TFLM's
  /// greedy planner), tensor and node structs in the arena, the generic kernels.
  case interpreter
  /// Code generation: compile-time plan (our joint planner) and constants, the generic kernels,
  /// no in-place depthwise.
  case codegenGeneric = "codegen-generic"
  /// + in-place depthwise (the generic in-place kernel).
  case codegenInPlace = "codegen-inplace"
  /// + specialised kernels: unrolled k×k depthwise taps in vectorised row blocks, the gathered
  /// first-layer window, folded biases, one-step requantization; pointwise cIn at run time.
  case codegenSpecialized = "codegen-specialized"
  /// + every pointwise cIn fixed at compile time, so the dot products vectorise: all on.
  case generated

  /// Short label for tables and figures.
  public var label: String {
    switch self {
    case .interpreter: return "interpreter"
    case .codegenGeneric: return "code generation"
    case .codegenInPlace: return "+ in-place depthwise"
    case .codegenSpecialized: return "+ specialized kernels"
    case .generated: return "+ fixed channel counts"
    }
  }

  /// Kernel selection and in-place switch of the code-generation libraries.
  var codeGeneration: (kernels: KernelSelectionOptions, inPlace: Bool)? {
    switch self {
    case .interpreter: return nil
    case .codegenGeneric: return (.genericOnly, false)
    case .codegenInPlace: return (.genericOnly, true)
    case .codegenSpecialized: return (KernelSelectionOptions(pointwiseChannels: []), true)
    case .generated: return (KernelSelectionOptions(), true)
    }
  }
}

/// One measured (model, library) pair.
public struct EngineRow: Sendable, Hashable {
  public var model: String
  /// `int8`, or `int4` (packed, generic `*_s4` kernels).
  public var quant: String = "int8"
  /// An `EngineLibrary` raw value: `generated`, `interpreter` or a breakdown step.
  public var library: String
  public var resolution: Int
  public var macs: Int
  public var latencyMilliseconds: Double
  public var latencyMinMilliseconds: Double
  /// Instructions of one inference (callgrind), nil when not counted.
  public var instructions: Int?
  /// SRAM: arena (+ persistent interpreter data).
  public var peakSRAMBytes: Int
  public var arenaBytes: Int
  /// text + rodata + data of the model object and the kernels it links.
  public var flashBytes: Int
  public var codeBytes: Int
  public var bitExact: Bool
  /// TinyEngine README STM32H743 latency of this library, ms (nil where not published).
  public var paperLatencyMilliseconds: Double?

  /// The model as tables and figures name it: the id, with ` (int4)` for int4 rows.
  public var label: String { quant == "int8" ? model : "\(model) (\(quant))" }
}

/// Quantizes every model of `config` with seeded random weights, generates and compiles its C
/// (TinyEngine-style code generation, joint memory plan) and the interpreter baseline, runs
/// both on a random input, checks each output bit for bit against the Swift integer
/// interpreter and measures latency, instructions and size. The models of
/// `config.breakdownModels` also get the intermediate `EngineLibrary` steps.
public func measureEngine(
  _ config: EngineConfig, keepProgramsIn keep: String? = nil, progress: ProgressReporter? = nil
) throws -> [EngineRow] {
  guard let optimization = CompileOptions.Optimization(rawValue: config.optimization) else {
    throw ExperimentError.badConfig(
      path: "engine",
      detail: "optimization '\(config.optimization)' is not one of "
        + CompileOptions.Optimization.allCases.map(\.rawValue).joined(separator: ", "))
  }
  let builder = ProgramBuilder(options: CompileOptions(optimization: optimization))
  var countInstructions = config.callgrind
  if countInstructions && ProcessRunner.findExecutable("valgrind") == nil {
    FileHandle.standardError.write(
      Data("engine: valgrind not found, so no instruction counts (apt install valgrind)\n".utf8))
    countInstructions = false
  }
  var rows: [EngineRow] = []
  let runs =
    config.models.enumerated().map { ($0.offset, $0.element, BitWidth.int8) }
    + config.int4Models.enumerated().map {
      (config.models.count + $0.offset, $0.element, BitWidth.int4)
    }
  for (n, id, bitWidth) in runs {
    guard let model = ModelZoo.entry(id) else {
      throw ExperimentError.unknownModel(id, known: ModelZoo.allIDs)
    }
    let graph = try model.graph()
    let int4 = bitWidth == .int4
    var rng = SeededGenerator(seed: config.seed &+ UInt64(n))
    let q = try RandomQuantizedGraph.make(graph, bitWidth: bitWidth, using: &rng)
    let input = RandomQuantizedGraph.input(for: q, using: &rng)
    let expected = try IntegerInterpreter.run(q, input: input).last ?? []
    let name =
      "m_" + id.map { $0.isLetter || $0.isNumber ? $0 : "_" }.map(String.init).joined()
      + (int4 ? "_int4" : "")
    let libraries: [EngineLibrary] =
      config.breakdownModels.contains(id) && !int4
      ? EngineLibrary.allCases : [.generated, .interpreter]

    for library in libraries {
      let program: CProgram
      let invoke: String
      if let setting = library.codeGeneration {
        // Activations and the scratch our kernels really use, planned jointly (int4: packed,
        // out of place, the generic s4 kernels).
        let precision: Precision = int4 ? .int4 : .int8
        let problem = graph.memoryProblem(
          .tinyEngine(inPlaceDepthwise: setting.inPlace && !int4), precision: precision
        ).withKernelScratch(of: graph, precision: precision, options: setting.kernels)
        let plan = try OursPlanner().plan(problem.withScratchBuffers)
        program = try CodeGen.generate(
          q, plan: plan, problem: problem,
          options: CodeGenOptions(name: name, kernels: setting.kernels))
        invoke = name + "_invoke"
      } else {
        program = try InterpreterProgram.make(q: q, name: name + "_interp")
        invoke = "mcu_interp_invoke"  // leaves the one-time blob parsing and planning out
      }
      let built = try builder.build(program, harness: Harness.ioMain(for: program))
      defer { keepOrRemove(built, keep, id, library.rawValue + (int4 ? "-int4" : "")) }
      let (output, latency) = try built.benchmark(
        input: input, warmup: config.warmup, iterations: config.iterations)
      let instructions =
        countInstructions ? try built.instructionCount(input: input, function: invoke) : nil
      let interpreter = library == .interpreter
      let paper = int4 ? nil : paperLatency[id]
      rows.append(
        EngineRow(
          model: id, quant: int4 ? "int4" : "int8", library: library.rawValue,
          resolution: graph.input.outputShape[1],
          macs: graph.macs, latencyMilliseconds: latency.medianMilliseconds,
          latencyMinMilliseconds: Double(latency.minNanoseconds) / 1e6,
          instructions: instructions, peakSRAMBytes: program.manifest.arenaBytes,
          arenaBytes: interpreter
            ? program.manifest.activationBytes : program.manifest.arenaBytes,
          flashBytes: built.flash.totalFlash,
          codeBytes: built.flash.model.text + built.flash.kernels.text,
          bitExact: output == expected,
          paperLatencyMilliseconds: interpreter
            ? paper?.tflm : library == .generated ? paper?.tinyEngine : nil))
    }
    progress?.step(n + 1, id + (int4 ? " (int4)" : ""))
  }
  return rows
}

/// TinyEngine README (STM32H743) latencies in ms: (TFLM, TinyEngine).
let paperLatency: [String: (tflm: Double?, tinyEngine: Double)] = [
  "mcunet-in0": (586, 25), "mcunet-in1": (1227, 56), "mcunet-in2": (6463, 280),
  "mcunet-in3": (7821, 336), "mcunet-in4": (nil, 463), "proxyless-w0.3": (3801, 176),
  "proxyless-w0.3-r64": (512, 23), "mbv2-w0.3-r64": (467, 23),
]

/// Moves a build folder to `<keep>/<model>/<library>` (replacing an older one), or deletes it
/// when no folder to keep programs in was given.
func keepOrRemove(_ built: BuiltProgram, _ keep: String?, _ model: String, _ library: String) {
  guard let keep else { return built.remove() }
  let target = "\(keep)/\(model)/\(library)"
  let files = FileManager.default
  do {
    try files.createDirectory(atPath: "\(keep)/\(model)", withIntermediateDirectories: true)
    if files.fileExists(atPath: target) { try files.removeItem(atPath: target) }
    try files.moveItem(atPath: built.directory, toPath: target)
  } catch {
    FileHandle.standardError.write(Data("engine: could not keep \(target): \(error)\n".utf8))
    built.remove()
  }
}
