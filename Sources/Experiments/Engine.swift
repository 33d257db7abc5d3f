import CodeGen
import Foundation
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
  public var seed: UInt64
  public var warmup: Int
  public var iterations: Int
  /// Compiler optimisation flag for both libraries (`-O2` or `-O3`).
  public var optimization: String

  public init(
    models: [String], seed: UInt64 = 2020, warmup: Int, iterations: Int,
    optimization: String = "-O2"
  ) {
    self.models = models
    self.seed = seed
    self.warmup = warmup
    self.iterations = iterations
    self.optimization = optimization
  }

  /// The built-in configuration of each profile (experiments/engine.json states the same).
  public static func builtIn(_ profile: Profile) -> EngineConfig {
    switch profile {
    case .smoke:
      return EngineConfig(models: ["mcunet-in0"], warmup: 1, iterations: 3)
    case .default, .full:
      return EngineConfig(
        models: [
          "mcunet-in0", "mcunet-in1", "mcunet-in2", "mcunet-in3", "mcunet-in4", "mbv2-w0.35",
          "proxyless-w0.3", "proxyless-w0.3-r64", "mbv2-w0.3-r64",
        ], warmup: 3, iterations: profile == .full ? 51 : 11)
    }
  }
}

/// One measured (model, library) pair.
public struct EngineRow: Sendable, Hashable {
  public var model: String
  /// `generated` or `interpreter`.
  public var library: String
  public var resolution: Int
  public var macs: Int
  public var latencyMilliseconds: Double
  public var latencyMinMilliseconds: Double
  /// SRAM: arena (+ persistent interpreter data).
  public var peakSRAMBytes: Int
  public var arenaBytes: Int
  /// text + rodata + data of the model object and the kernels it links.
  public var flashBytes: Int
  public var codeBytes: Int
  public var bitExact: Bool
  /// TinyEngine README STM32H743 latency of this library, ms (nil where not published).
  public var paperLatencyMilliseconds: Double?
}

/// Quantizes every model of `config` with seeded random weights, generates and compiles its C
/// (TinyEngine-style code generation, joint memory plan), runs it on a random input, checks
/// the output bit for bit against the Swift integer interpreter and measures latency and size.
public func measureEngine(_ config: EngineConfig, progress: ProgressReporter? = nil) throws
  -> [EngineRow]
{
  guard let optimization = CompileOptions.Optimization(rawValue: config.optimization) else {
    throw ExperimentError.badConfig(
      path: "engine",
      detail: "optimization '\(config.optimization)' is not one of "
        + CompileOptions.Optimization.allCases.map(\.rawValue).joined(separator: ", "))
  }
  let builder = ProgramBuilder(options: CompileOptions(optimization: optimization))
  var rows: [EngineRow] = []
  for (n, id) in config.models.enumerated() {
    guard let model = ModelZoo.model(id) else {
      throw ExperimentError.unknownModel(id, known: ModelZoo.all.map(\.id))
    }
    let graph = try model.graph()
    var rng = SeededGenerator(seed: config.seed &+ UInt64(n))
    let q = try RandomQuantizedGraph.make(graph, using: &rng)
    let input = RandomQuantizedGraph.input(for: q, using: &rng)
    let expected = try IntegerInterpreter.run(q, input: input).last ?? []

    let problem = graph.memoryProblem(.tinyEngine(inPlaceDepthwise: true))
    let plan = try OursPlanner().plan(problem.withScratchBuffers)
    let name = "m_" + id.map { $0.isLetter || $0.isNumber ? $0 : "_" }.map(String.init).joined()
    let program = try CodeGen.generate(
      q, plan: plan, problem: problem, options: CodeGenOptions(name: name))
    let built = try builder.build(program, harness: Harness.ioMain(for: program))
    defer { built.remove() }
    let (output, latency) = try built.benchmark(
      input: input, warmup: config.warmup, iterations: config.iterations)
    rows.append(
      EngineRow(
        model: id, library: "generated", resolution: graph.input.outputShape[1], macs: graph.macs,
        latencyMilliseconds: latency.medianMilliseconds,
        latencyMinMilliseconds: Double(latency.minNanoseconds) / 1e6,
        peakSRAMBytes: program.manifest.arenaBytes, arenaBytes: program.manifest.arenaBytes,
        flashBytes: built.flash.totalFlash,
        codeBytes: built.flash.model.text + built.flash.kernels.text,
        bitExact: output == expected, paperLatencyMilliseconds: paperLatency[id]?.tinyEngine))

    // The interpreter baseline: the same kernels behind a run-time blob parser and planner.
    let interpreter = try InterpreterProgram.make(q: q, name: name + "_interp")
    let builtInterpreter = try builder.build(
      interpreter, harness: Harness.ioMain(for: interpreter))
    defer { builtInterpreter.remove() }
    let (interpreterOutput, interpreterLatency) = try builtInterpreter.benchmark(
      input: input, warmup: config.warmup, iterations: config.iterations)
    rows.append(
      EngineRow(
        model: id, library: "interpreter", resolution: graph.input.outputShape[1],
        macs: graph.macs, latencyMilliseconds: interpreterLatency.medianMilliseconds,
        latencyMinMilliseconds: Double(interpreterLatency.minNanoseconds) / 1e6,
        peakSRAMBytes: interpreter.manifest.arenaBytes,
        arenaBytes: interpreter.manifest.activationBytes,
        flashBytes: builtInterpreter.flash.totalFlash,
        codeBytes: builtInterpreter.flash.model.text + builtInterpreter.flash.kernels.text,
        bitExact: interpreterOutput == expected,
        paperLatencyMilliseconds: paperLatency[id]?.tflm))
    progress?.step(n + 1, id)
  }
  return rows
}

/// TinyEngine README (STM32H743) latencies in ms: (TFLM, TinyEngine).
let paperLatency: [String: (tflm: Double?, tinyEngine: Double)] = [
  "mcunet-in0": (586, 25), "mcunet-in1": (1227, 56), "mcunet-in2": (6463, 280),
  "mcunet-in3": (7821, 336), "mcunet-in4": (nil, 463), "proxyless-w0.3": (3801, 176),
  "proxyless-w0.3-r64": (512, 23), "mbv2-w0.3-r64": (467, 23),
]
