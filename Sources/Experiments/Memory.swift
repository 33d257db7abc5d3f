import Foundation
import ModelIR
import ReproIO

/// `repro memory`: MACs, params, Act, Flash and peak SRAM of every released model under the
/// interpreter (TFLM) memory model, TinyEngine's scheduler, our planner and the lower bounds,
/// beside the TinyEngine README's STM32H743 numbers. Writes `<out>/memory/`.
public func runMemoryExperiment(
  profile: Profile, out: String, configPath: String? = nil, showProgress: Bool = true
) throws -> (result: MemoryResult, files: [String]) {
  let provenance = Provenance.current()
  let config = try loadExperimentConfig(
    MemoryConfig.self, experiment: "memory", profile: profile, path: configPath,
    builtIn: MemoryConfig.builtIn)
  let result = try measureMemory(
    config, progress: ProgressReporter("memory", total: config.models.count, enabled: showProgress))
  let output = ExperimentOutput(
    experiment: "memory", profile: profile, configJSON: jsonString(config), seed: 0,
    dataset: "none (analytic, paper scale)", provenance: provenance)
  let files = try output.write(
    to: out, table: result.table(), curves: result.curves(), models: try result.modelRecords(),
    markdown: try result.markdown(), figures: [("memory", result.chart())])
  return (result, files)
}
