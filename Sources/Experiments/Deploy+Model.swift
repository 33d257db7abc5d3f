// Deploy+Model.swift
// The trained float model `repro deploy` starts from: a `weights.h5` of `repro train` (its
// netconfig_json, input shape and tensors), the training configuration beside it (train.h5's
// config_json: the data, seed and batch size the weights were trained with), the data opened
// as for training and the GraphModel with the weights imported, strictly: every tensor of the
// model present with its shape, no other.

import Foundation
import ModelIR
import ReproIO
import TensorModule
import Training

/// A trained model with its data, ready to quantize.
struct TrainedModel {
  /// The weights file read (`<run>/weights.h5`).
  var weightsPath: String
  /// The training run's name (the weights' `run` attribute, else their folder's name).
  var run: String
  var modelID: String
  var netConfig: NetConfig
  /// The training configuration whose data settings serve calibration and testing.
  var trainConfig: TrainRunConfig
  var data: TrainData
  var model: GraphModel
}

extension TrainedModel {
  /// Reads `weights` (a `weights.h5`, or the run folder holding one) and opens its data.
  ///
  /// - Throws: `DeployError.weightsNotFound`, `.unreadableWeights` (not HDF5, not a weights
  ///   file, a damaged netconfig_json), `.weightsMissingAttribute`, `.dataDoesNotMatchWeights`
  ///   (other classes or input shape), `.weightsDoNotMatchModel` (missing, extra or misshapen
  ///   tensors), or the data's errors (`TrainExperimentError`).
  static func load(weights: String, config: DeployConfig) throws -> TrainedModel {
    let path = isFolder(weights) ? weights + "/weights.h5" : weights
    let file = try readWeights(path)
    var netConfig = try netConfigOf(file.attributes, path: path)
    let folder = (path as NSString).deletingLastPathComponent
    let modelID = file.attributes["model"]?.string ?? "model"
    let run = file.attributes["run"]?.string ?? (folder as NSString).lastPathComponent
    var trainConfig = trainingConfiguration(beside: path) ?? config.train
    if let data = config.data { trainConfig.data = data }
    let data = try openData(
      trainConfig, inputShape: try inputShape(file.attributes, path: path),
      classes: netConfig.classifier.outFeatures, path: path)
    let model = try importedModel(
      &netConfig, data: data, tensors: file.tensors, path: path, modelID: modelID,
      batchSize: trainConfig.batchSize)
    return TrainedModel(
      weightsPath: path, run: run, modelID: modelID, netConfig: netConfig,
      trainConfig: trainConfig, data: data, model: model)
  }

  /// The tensors and attributes of the weights file at `path`.
  private static func readWeights(_ path: String) throws -> (
    tensors: [NamedTensor], attributes: [String: AttributeValue]
  ) {
    guard FileManager.default.fileExists(atPath: path) else {
      throw DeployError.weightsNotFound(path: path)
    }
    do {
      return try TensorFile.read(path)
    } catch {
      throw DeployError.unreadableWeights(path: path, reason: reason(of: error))
    }
  }

  /// The network config of the `netconfig_json` attribute.
  private static func netConfigOf(_ attributes: [String: AttributeValue], path: String) throws
    -> NetConfig
  {
    guard let json = attributes["netconfig_json"]?.string else {
      throw DeployError.weightsMissingAttribute(path: path, attribute: "netconfig_json")
    }
    do {
      return try NetConfig(jsonData: Data(json.utf8), source: "netconfig_json")
    } catch {
      throw DeployError.unreadableWeights(path: path, reason: "\(error)")
    }
  }

  /// The data of `trainConfig`, checked against the model's input shape and classes.
  private static func openData(
    _ trainConfig: TrainRunConfig, inputShape shape: [Int], classes: Int, path: String
  ) throws -> TrainData {
    let data = try trainConfig.openData(resolution: shape[0])
    guard data.inputShape.dims == shape, data.classes == classes else {
      func text(_ dims: [Int]) -> String { dims.map(String.init).joined(separator: "×") }
      throw DeployError.dataDoesNotMatchWeights(
        path: path,
        detail: "'\(trainConfig.data)' gives \(data.classes) classes of "
          + "\(text(data.inputShape.dims)) inputs, the model has \(classes) classes of "
          + "\(text(shape)) inputs")
    }
    return data
  }

  /// The GraphModel of `netConfig` at the data's input with `tensors` imported strictly.
  private static func importedModel(
    _ netConfig: inout NetConfig, data: TrainData, tensors: [NamedTensor], path: String,
    modelID: String, batchSize: Int
  ) throws -> GraphModel {
    let graph = try trainGraph(&netConfig, inputShape: data.inputShape)
    let bn = netConfig.bn ?? BatchNormSettings()
    var model = try GraphModel(
      graph: graph,
      configuration: GraphModel.Configuration(
        batchNormEpsilon: Float(bn.eps), batchNormMomentum: Float(bn.momentum)),
      batchCapacity: batchSize)
    var named: [String: Tensor<Float>] = [:]
    for t in tensors { named[t.name] = Tensor(shape: Shape(t.shape), storage: t.values) }
    do {
      try model.importTensors(named, strict: true)
    } catch let error as TrainingError {
      throw DeployError.weightsDoNotMatchModel(path: path, model: modelID, detail: "\(error)")
    }
    return model
  }

  /// `[H, W, C]` from the `input_shape` attribute (`32×32×3`), else `[r, r, 3]` from
  /// `resolution`.
  private static func inputShape(_ attributes: [String: AttributeValue], path: String) throws
    -> [Int]
  {
    if let text = attributes["input_shape"]?.string {
      let dims = text.split(separator: "×").compactMap { Int($0) }
      if dims.count == 3, dims.allSatisfy({ $0 > 0 }) { return dims }
      throw DeployError.unreadableWeights(
        path: path, reason: "input_shape '\(text)' is not H×W×C")
    }
    guard let r = attributes["resolution"]?.int, r > 0 else {
      throw DeployError.weightsMissingAttribute(path: path, attribute: "input_shape")
    }
    return [Int(r), Int(r), 3]
  }

  /// The `TrainRunConfig` of the `train.h5` beside `weights`, or nil when there is none (or
  /// it cannot be read, which is reported on stderr).
  private static func trainingConfiguration(beside weights: String) -> TrainRunConfig? {
    let path = (weights as NSString).deletingLastPathComponent + "/train.h5"
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    do {
      let file = try ResultsFile(contentsOf: path)
      guard let json = file.attributes["config_json"]?.string else { return nil }
      return try JSONDecoder().decode(TrainRunConfig.self, from: Data(json.utf8))
    } catch {
      FileHandle.standardError.write(
        Data(
          "deploy: ignoring \(path) (\(error)); the configured training data is used\n".utf8))
      return nil
    }
  }

  /// The part of a ReproIO error that says what is wrong with the file.
  private static func reason(of error: any Error) -> String {
    switch error as? ReproIOError {
    case .notAResultsFile(_, let reason): return reason
    case .unsupportedData(_, let object, let detail): return "\(object) \(detail)"
    default: return "\(error)"
    }
  }

  private static func isFolder(_ path: String) -> Bool {
    var directory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &directory)
      && directory.boolValue
  }
}
