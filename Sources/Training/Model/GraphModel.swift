// GraphModel.swift
// A trainable float32 model built from any ModelIR graph (conv / depthwise / pointwise with
// optional BN, bias and ReLU/ReLU6; residual add; average pools; linear with dropout): the
// parameters named after the IR nodes, a seeded He initialisation, and activation, gradient and
// scratch buffers allocated once per batch size and reused at every step. Forward and backward
// live in GraphModel+Forward.swift and GraphModel+Backward.swift, state import/export and BN
// recalibration in GraphModel+State.swift. Not an autograd engine: the graph is static and the
// backward pass walks it in reverse, calling each op's accumulating backward functions.

import ModelIR
import TensorModule

/// A float32 NHWC model of a `ModelIR.Graph`, ready to train with `Trainer` or by hand.
///
/// Parameters, in graph order, for each node (shapes in the legend of TensorModule/Shape.swift):
/// - conv (groups 1, pointwise included): `<node>.weight` [cOut, kH, kW, cIn] (OHWI)
/// - depthwise: `<node>.weight` [kH, kW, C]
/// - linear: `<node>.weight` [outFeatures, inFeatures]
/// - `<node>.bias` [cOut] where the IR says `bias`, then `<node>.bn.gamma` and `<node>.bn.beta`
///   [cOut] where it says `batchNorm`. Running statistics (`<node>.bn.running_mean`,
///   `<node>.bn.running_var`) are state, not parameters; `exportTensors()` includes them.
///
/// Initialisation follows once-for-all's `he_fout` (which MCUNet's training code uses): conv and
/// depthwise weights ~ N(0, 2 / (kH·kW·cOut)), linear weights ~ U(±1/√inFeatures), biases 0,
/// γ = 1, β = 0. Each parameter draws from its own generator, seeded from the model seed and the
/// parameter's name, so one parameter's values do not depend on the rest of the graph.
///
/// Buffers are sized for `batchCapacity` samples; a smaller batch reuses them without
/// allocating, a larger one grows them once.
public struct GraphModel: Sendable {
  /// Batch-norm hyper-parameters and the initialisation seed.
  public struct Configuration: Hashable, Sendable, Codable {
    /// ε of every batch norm (MIT's configs: 1e-3 for the baselines, 1e-5 for TinyNAS nets).
    public var batchNormEpsilon: Float
    /// PyTorch-style momentum of the running statistics.
    public var batchNormMomentum: Float
    /// Seed of the initialisation.
    public var seed: UInt64

    public init(batchNormEpsilon: Float = 1e-5, batchNormMomentum: Float = 0.1, seed: UInt64 = 0) {
      self.batchNormEpsilon = batchNormEpsilon
      self.batchNormMomentum = batchNormMomentum
      self.seed = seed
    }
  }

  /// The graph the model executes (batch 1 shapes; the batch is a runtime dimension).
  public let graph: Graph
  public let configuration: Configuration
  /// Every trainable tensor, in graph order; `Trainer` and `SGD` update them in place.
  public var parameters: [Parameter]
  /// Running statistics of every batch norm, in the order of `batchNormNodes`.
  public var runningStatistics: [BatchNorm.RunningStatistics]
  /// Indices of the graph nodes that have a batch norm.
  public let batchNormNodes: [Int]
  /// The compiled layer of every node.
  let layers: [Layer]
  /// Activation, gradient and scratch buffers.
  var buffers: ModelBuffers

  /// Builds the model of `graph` with buffers for `batchCapacity` samples.
  ///
  /// - Throws: `TrainingError.unsupportedGraph` when a node cannot be trained here (e.g. an
  ///   `add` of two differently shaped tensors, which `Graph.validate()` also rejects).
  public init(graph: Graph, configuration: Configuration = Configuration(), batchCapacity: Int = 1)
    throws
  {
    precondition(batchCapacity > 0, "batch capacity must be positive")
    try graph.validate()
    var compiler = LayerCompiler(graph: graph, configuration: configuration)
    let layers = try compiler.compile()
    self.graph = graph
    self.configuration = configuration
    self.layers = layers
    self.parameters = compiler.parameters
    self.batchNormNodes = compiler.batchNormNodes
    self.runningStatistics = compiler.batchNormNodes.compactMap { node in
      layers[node].norm.map { BatchNorm.RunningStatistics(channels: $0.op.channels) }
    }
    self.buffers = ModelBuffers(layers: layers, batch: batchCapacity)
  }

  /// The model of a network config at `resolution` (default: the config's), with the config's
  /// batch-norm ε and momentum.
  public init(
    config: NetConfig, resolution: Int? = nil, seed: UInt64 = 0, batchCapacity: Int = 1
  ) throws {
    let graph = try config.makeGraph(resolution: resolution)
    let bn = config.bn ?? BatchNormSettings()
    let configuration = Configuration(
      batchNormEpsilon: Float(bn.eps), batchNormMomentum: Float(bn.momentum), seed: seed)
    try self.init(graph: graph, configuration: configuration, batchCapacity: batchCapacity)
  }

  /// Input elements of one sample (H·W·C of the input node).
  public var inputCount: Int { graph.input.outputElements }

  /// Output elements of one sample (the class count for a classifier).
  public var classCount: Int { graph.output.outputElements }

  /// The batch size the buffers are currently sized for.
  public var batchSize: Int { buffers.batch }

  /// Bytes held by the activation, gradient and scratch buffers at the current capacity.
  public var bufferBytes: Int { buffers.capacityBytes }

  /// Index of the parameter called `name`, or nil.
  public func parameterIndex(named name: String) -> Int? {
    parameters.firstIndex { $0.name == name }
  }

  /// Sets every parameter gradient to zero.
  public mutating func zeroGradients() {
    for i in parameters.indices { parameters[i].zeroGradient() }
  }
}

// MARK: - Layers

/// The batch norm of a layer: the op and where its γ, β and running statistics live.
struct NormLayer: Sendable {
  let op: BatchNorm
  /// Parameter indices.
  let gamma: Int
  let beta: Int
  /// Index into `runningStatistics` and the saved-statistics buffers.
  let statistics: Int
}

/// What a node computes, with its static geometry.
enum LayerKind: Sendable {
  case input
  case conv(Conv2D)
  case depthwise(DepthwiseConv2D)
  case linear(Linear, dropout: Dropout?)
  case add
  case avgPool(AvgPool2D)
  case maxPool(MaxPool2D)
  case globalAvgPool(GlobalAvgPool)
}

/// One node of the graph, compiled: op, parameter indices and the per-sample output size.
struct Layer: Sendable {
  let kind: LayerKind
  let inputs: [Int]
  /// Parameter index of the weight (conv, depthwise, linear).
  let weight: Int?
  /// Parameter index of the bias.
  let bias: Int?
  let norm: NormLayer?
  let activation: Activation
  /// Output elements of one sample.
  let outputCount: Int
}
