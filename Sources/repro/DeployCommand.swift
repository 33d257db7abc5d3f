// DeployCommand.swift
// `repro deploy`: a thin command that parses options and calls Experiments.runDeploy.
// Registered in Repro.swift's `subcommands` as `DeployCommand.self`.

import ArgumentParser
import Experiments
import Foundation

/// `repro deploy`: train (or load) → quantize → generate C → compile → run the test set.
struct DeployCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "deploy",
    abstract: "Deploy a trained model: BN folding, calibration, int8/int4 quantization, "
      + "generated C compiled and run on the test images beside the Swift float model and "
      + "integer reference; writes <out>/deploy/.",
    discussion: "Without --weights the profile's training run is trained first (smoke: "
      + "seconds on synthetic data; default: the Fashion-MNIST proxy, about 20 minutes) into "
      + "<out>/deploy/train/<run>/, which a later --weights can reuse. Exits with status 1 "
      + "when the generated code's output differs from the Swift reference on any image.")

  @OptionGroup var options: ExperimentOptions

  @Option(help: "A weights.h5 written by 'repro train', or its run folder (default: train first).")
  var weights: String?
  @Option(help: "Data to calibrate and test on ('repro train --data' syntax; default: the run's).")
  var data: String?
  @Option(help: "Comma-separated precisions: int8, int4.")
  var bitWidths: String?
  @Option(help: "Calibration: minmax | percentile:P | mse[:G].")
  var calibration: String?
  @Option(help: "Training images to calibrate on.")
  var calibrationSamples: Int?
  @Option(help: "Validation images to test on (default: the profile's; the whole split).")
  var testSamples: Int?
  @Option(
    help: ArgumentHelp(
      "Keep each generated program (C sources, objects, executable) in DIR/<model>/deploy-<quant>/.",
      valueName: "DIR"))
  var keepPrograms: String?

  func validate() throws {
    try requirePositive([
      "--calibration-samples": calibrationSamples, "--test-samples": testSamples,
    ])
    if let bitWidths {
      do {
        _ = try DeployConfig.bitWidths(parsing: bitWidths)
      } catch {
        throw ValidationError("--bit-widths: \(error)")
      }
    }
  }

  func run() throws {
    try reportingErrors {
      var config = try loadDeployConfig(profile: options.profile, configPath: options.config)
      if let weights { config.weights = weights }
      if let data { config.data = data }
      if let bitWidths { config.bitWidths = try DeployConfig.bitWidths(parsing: bitWidths) }
      if let calibration { config.calibration = calibration }
      if let calibrationSamples { config.calibrationSamples = calibrationSamples }
      if let testSamples { config.testSamples = testSamples }
      let result = try runDeploy(
        config, profile: options.profile, out: options.out, keepProgramsIn: keepPrograms,
        showProgress: !options.quiet)
      print(result.markdown())
      print("wrote:\n  " + result.files.joined(separator: "\n  "))
      if result.trained {
        print("reuse the trained model with: repro deploy --weights \(result.weightsPath)")
      }
      if result.rows.contains(where: { !$0.bitExact }) {
        FileHandle.standardError.write(
          Data("error: the generated code differs from the Swift reference\n".utf8))
        throw ExitCode.failure
      }
    }
  }
}
