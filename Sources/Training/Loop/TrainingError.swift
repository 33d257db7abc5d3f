// TrainingError.swift
// Every error Training throws (STYLE.md B5.2): what happened, to which object, and what to do.
// Broken internal invariants (buffer sizes, shapes the graph already guarantees) stay
// preconditions.

import TensorModule

/// An error building, restoring or training a model.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A graph node that the float training engine cannot execute.
  case unsupportedGraph(node: String, detail: String)
  /// `importTensors` lacks a tensor the model has.
  case missingTensor(name: String, graph: String)
  /// `importTensors` was given a tensor the model does not have.
  case unexpectedTensor(name: String, graph: String)
  /// A tensor has another shape than the model's.
  case tensorShapeMismatch(name: String, expected: Shape, found: Shape)
  /// A batch source produced no batch where one was needed.
  case emptySource(what: String)
  /// A batch source ended before the `batchesPerEpoch` it announced.
  case sourceEnded(epoch: Int, batch: Int, announced: Int)
  /// Bytes that are not a checkpoint of this suite, or a damaged one.
  case badCheckpoint(reason: String)
  /// A checkpoint of another format version.
  case unsupportedCheckpointVersion(found: UInt32, supported: UInt32)
  /// A checkpoint written for another graph or training configuration.
  case checkpointMismatch(detail: String)
  /// A training configuration that cannot run.
  case invalidConfiguration(detail: String)

  public var description: String {
    switch self {
    case .unsupportedGraph(let node, let detail):
      return "node '\(node)' cannot be trained: \(detail); change the network config"
    case .missingTensor(let name, let graph):
      return "no tensor '\(name)' for model '\(graph)'; export the weights from the same graph, "
        + "or import with strict: false to keep the current values"
    case .unexpectedTensor(let name, let graph):
      return "tensor '\(name)' does not belong to model '\(graph)'; check that the weights were "
        + "exported from the same network config and resolution"
    case .tensorShapeMismatch(let name, let expected, let found):
      return "tensor '\(name)' has shape \(found) but the model needs \(expected); the weights "
        + "come from a different width or kernel size"
    case .emptySource(let what):
      return "the \(what) batch source produced no batch; check the dataset path and split"
    case .sourceEnded(let epoch, let batch, let announced):
      return "the training batch source ended at batch \(batch) of epoch \(epoch) although it "
        + "announced \(announced) batches per epoch; make batchesPerEpoch match nextBatch()"
    case .badCheckpoint(let reason):
      return "not a usable checkpoint: \(reason); delete it and restart the run, or point "
        + "--resume at the checkpoint.bin the run wrote"
    case .unsupportedCheckpointVersion(let found, let supported):
      return "checkpoint format version \(found) is not supported (this build reads version "
        + "\(supported)); resume it with the build that wrote it or restart the run"
    case .checkpointMismatch(let detail):
      return "the checkpoint does not belong to this run: \(detail); resume with the same model, "
        + "resolution and training options, or start a new run"
    case .invalidConfiguration(let detail):
      return "invalid training configuration: \(detail)"
    }
  }
}
