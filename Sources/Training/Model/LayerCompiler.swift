// LayerCompiler.swift
// Turns the nodes of a ModelIR graph into `Layer`s (the Training ops with their geometry) and
// creates the named, initialised parameters of each (GraphModel's doc comment gives the names,
// layouts and initialisation).

import Foundation
import ModelIR
import TensorModule

/// Compiles a graph node by node, appending parameters as it goes.
struct LayerCompiler {
  let graph: Graph
  let configuration: GraphModel.Configuration
  private(set) var parameters: [Parameter] = []
  private(set) var batchNormNodes: [Int] = []

  init(graph: Graph, configuration: GraphModel.Configuration) {
    self.graph = graph
    self.configuration = configuration
  }

  /// One layer per node, in graph order.
  mutating func compile() throws -> [Layer] {
    try graph.nodes.indices.map { try compile(node: $0) }
  }

  private mutating func compile(node index: Int) throws -> Layer {
    let node = graph.nodes[index]
    let inputShape = node.inputs.first.map { graph.nodes[$0].outputShape }
    func layer(
      _ kind: LayerKind, weight: Int? = nil, bias: Int? = nil, norm: NormLayer? = nil,
      activation: Activation = .none
    ) -> Layer {
      Layer(
        kind: kind, inputs: node.inputs, weight: weight, bias: bias, norm: norm,
        activation: activation, outputCount: node.outputElements)
    }
    switch node.op {
    case .input:
      return layer(.input)
    case .conv2d(let a):
      let (h, w, c) = try spatial(inputShape, node: node.name)
      let op = Conv2D(
        window: WindowGeometry(
          inputHeight: h, inputWidth: w, kernelHeight: a.kernelH, kernelWidth: a.kernelW,
          stride: a.stride, padding: WindowPadding(a.padding)),
        inChannels: c, outChannels: a.outChannels)
      let weight = addWeight(
        node.name, shape: op.weightShape, normalStd: heStd(a.kernelH * a.kernelW * a.outChannels))
      let bias = a.bias ? addBias(node.name, channels: a.outChannels) : nil
      let norm = a.batchNorm ? addNorm(node.name, node: index, channels: a.outChannels) : nil
      return layer(.conv(op), weight: weight, bias: bias, norm: norm, activation: a.activation)
    case .depthwiseConv2d(let a):
      let (h, w, c) = try spatial(inputShape, node: node.name)
      let op = DepthwiseConv2D(
        window: WindowGeometry(
          inputHeight: h, inputWidth: w, kernelHeight: a.kernelH, kernelWidth: a.kernelW,
          stride: a.stride, padding: WindowPadding(a.padding)),
        channels: c)
      let weight = addWeight(
        node.name, shape: op.weightShape, normalStd: heStd(a.kernelH * a.kernelW * c))
      let bias = a.bias ? addBias(node.name, channels: c) : nil
      let norm = a.batchNorm ? addNorm(node.name, node: index, channels: c) : nil
      return layer(.depthwise(op), weight: weight, bias: bias, norm: norm, activation: a.activation)
    case .add(let activation):
      return layer(.add, activation: activation)
    case .avgPool(let a):
      let (h, w, c) = try spatial(inputShape, node: node.name)
      let op = AvgPool2D(
        window: WindowGeometry(
          inputHeight: h, inputWidth: w, kernelHeight: a.kernelH, kernelWidth: a.kernelW,
          stride: a.stride, padding: WindowPadding(a.padding)),
        channels: c)
      return layer(.avgPool(op))
    case .maxPool(let a):
      let (h, w, c) = try spatial(inputShape, node: node.name)
      let op = MaxPool2D(
        window: WindowGeometry(
          inputHeight: h, inputWidth: w, kernelHeight: a.kernelH, kernelWidth: a.kernelW,
          stride: a.stride, padding: WindowPadding(a.padding)),
        channels: c)
      return layer(.maxPool(op))
    case .globalAvgPool:
      let (h, w, c) = try spatial(inputShape, node: node.name)
      return layer(.globalAvgPool(GlobalAvgPool(height: h, width: w, channels: c)))
    case .linear(let a):
      let inFeatures = inputShape?.count ?? 0
      let op = Linear(inFeatures: inFeatures, outFeatures: a.outFeatures)
      guard a.dropout >= 0 && a.dropout < 1 else {
        throw TrainingError.unsupportedGraph(
          node: node.name, detail: "dropout \(a.dropout) is outside [0, 1)")
      }
      let dropout = a.dropout > 0 ? Dropout(rate: Float(a.dropout)) : nil
      let bound = 1 / Double(inFeatures).squareRoot()
      let weight = addWeight(node.name, shape: op.weightShape, uniformBound: bound)
      let bias = a.bias ? addBias(node.name, channels: a.outFeatures) : nil
      return layer(
        .linear(op, dropout: dropout), weight: weight, bias: bias, activation: a.activation)
    }
  }

  /// (H, W, C) of a [1, H, W, C] input.
  private func spatial(_ shape: Shape?, node: String) throws -> (Int, Int, Int) {
    guard let shape, shape.rank == 4 else {
      throw TrainingError.unsupportedGraph(
        node: node, detail: "expects a [1, H, W, C] input, got \(shape?.description ?? "none")")
    }
    return (shape[1], shape[2], shape[3])
  }

  /// He (fan-out) standard deviation √(2 / fanOut).
  private func heStd(_ fanOut: Int) -> Double { (2 / Double(fanOut)).squareRoot() }

  // MARK: - Parameters

  private mutating func addWeight(_ node: String, shape: Shape, normalStd: Double) -> Int {
    let name = "\(node).weight"
    var rng = ParameterInit.generator(seed: configuration.seed, name: name)
    let values = (0..<shape.count).map { _ in Float(ParameterInit.normal(&rng) * normalStd) }
    return append(Parameter(name: name, role: .weight, shape: shape, value: values))
  }

  private mutating func addWeight(_ node: String, shape: Shape, uniformBound: Double) -> Int {
    let name = "\(node).weight"
    var rng = ParameterInit.generator(seed: configuration.seed, name: name)
    let values = (0..<shape.count).map { _ in
      Float((2 * ParameterInit.unit(&rng) - 1) * uniformBound)
    }
    return append(Parameter(name: name, role: .weight, shape: shape, value: values))
  }

  private mutating func addBias(_ node: String, channels: Int) -> Int {
    append(
      Parameter(
        name: "\(node).bias", role: .bias, shape: [channels],
        value: Array(repeating: 0, count: channels)))
  }

  private mutating func addNorm(_ node: String, node index: Int, channels: Int) -> NormLayer {
    let gamma = append(
      Parameter(
        name: "\(node).bn.gamma", role: .normScale, shape: [channels],
        value: Array(repeating: 1, count: channels)))
    let beta = append(
      Parameter(
        name: "\(node).bn.beta", role: .normShift, shape: [channels],
        value: Array(repeating: 0, count: channels)))
    batchNormNodes.append(index)
    let op = BatchNorm(
      channels: channels, epsilon: configuration.batchNormEpsilon,
      momentum: configuration.batchNormMomentum)
    return NormLayer(op: op, gamma: gamma, beta: beta, statistics: batchNormNodes.count - 1)
  }

  private mutating func append(_ parameter: Parameter) -> Int {
    parameters.append(parameter)
    return parameters.count - 1
  }
}

/// Seeded draws for the initialisation, identical on every platform.
enum ParameterInit {
  /// A generator for parameter `name`: the model seed mixed with the FNV-1a hash of the name
  /// (Swift's `Hasher` is randomised per process, so it cannot be used here).
  static func generator(seed: UInt64, name: String) -> SeededGenerator {
    SeededGenerator(seed: seed ^ fnv1a(name))
  }

  /// 64-bit FNV-1a of the UTF-8 bytes.
  static func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01b3
    }
    return hash
  }

  /// Uniform in [0, 1) with 53 random bits.
  static func unit(_ rng: inout SeededGenerator) -> Double {
    Double(rng.next() >> 11) * 0x1p-53
  }

  /// Standard normal by Box–Muller (one value per two uniforms).
  static func normal(_ rng: inout SeededGenerator) -> Double {
    let u1 = 1 - unit(&rng)  // (0, 1]: log stays finite
    let u2 = unit(&rng)
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }
}

extension WindowPadding {
  /// The Training padding of a ModelIR padding (same four fields).
  init(_ padding: Padding) {
    self.init(
      top: padding.top, left: padding.left, bottom: padding.bottom, right: padding.right)
  }
}
