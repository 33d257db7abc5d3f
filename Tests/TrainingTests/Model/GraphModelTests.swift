// GraphModelTests.swift
// GraphModel against its parts: parameter names and OHWI layout as the IR states them, the
// forward pass equal to the chain of individual ops (training and inference mode), the
// gradients of the whole graph (residual fan-out, BN, ReLU/ReLU6, depthwise bias, avg pool,
// dropout) against Float64 finite differences, and buffer reuse across batch sizes.

import ModelIR
import TensorModule
import Testing
import _TestSupport

@testable import Training

@Suite struct GraphModelTests {
  static let epsilon: Float = 1e-3

  static func model(seed: UInt64 = 7, batch: Int = 2, dropout: Double = GraphFixtures.dropoutRate)
    throws -> GraphModel
  {
    try GraphModel(
      graph: GraphFixtures.residual(dropout: dropout),
      configuration: .init(batchNormEpsilon: epsilon, seed: seed), batchCapacity: batch)
  }

  static func images(_ n: Int, seed: UInt64 = 11) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    let count = n * GraphFixtures.side * GraphFixtures.side * GraphFixtures.cIn
    return randomValues(count, in: -2...2, using: &rng).floats
  }

  // MARK: - Naming and layout

  @Test func parametersAreNamedAfterTheIRNodesWithOHWILayouts() throws {
    let model = try Self.model()
    let (w, c, k) = (GraphFixtures.width, GraphFixtures.cIn, GraphFixtures.classes)
    let expected: [(String, Shape, Parameter.Role)] = [
      ("stem.weight", [w, 3, 3, c], .weight), ("stem.bn.gamma", [w], .normScale),
      ("stem.bn.beta", [w], .normShift), ("dw.weight", [3, 3, w], .weight),
      ("dw.bias", [w], .bias), ("pw.weight", [w, 1, 1, w], .weight),
      ("pw.bn.gamma", [w], .normScale), ("pw.bn.beta", [w], .normShift),
      ("fc.weight", [k, w], .weight), ("fc.bias", [k], .bias),
    ]
    #expect(model.parameters.map(\.name) == expected.map(\.0))
    #expect(model.parameters.map(\.shape) == expected.map(\.1))
    #expect(model.parameters.map(\.role) == expected.map(\.2))
    #expect(
      model.tensorNames.suffix(4)
        == [
          "stem.bn.running_mean", "stem.bn.running_var", "pw.bn.running_mean", "pw.bn.running_var",
        ])
    #expect(model.parameters.reduce(0) { $0 + $1.value.count } == model.graph.params)
  }

  /// A one-hot weight at (o = 1, ky = 0, kx = 2, i = 1) of a 3×3 valid conv on a 3×3×2 input
  /// picks input pixel (0, 2), channel 1, into output channel 1: the weight is OHWI.
  @Test func convWeightIsOHWI() throws {
    var b = GraphBuilder(name: "one-conv")
    let input = try b.addInput(height: 3, width: 3, channels: 2)
    try b.add(
      .conv2d(
        Conv2DAttributes(
          outChannels: 2, kernel: 3, stride: 1, padding: .zero, batchNorm: false,
          activation: .none)), inputs: [input], name: "conv")
    var model = try GraphModel(graph: b.graph)
    guard let w = model.parameterIndex(named: "conv.weight") else {
      Issue.record("no conv.weight")
      return
    }
    #expect(model.parameters[w].shape == [2, 3, 3, 2])
    var weight = Tensor<Float>(zeros: [2, 3, 3, 2])
    weight[1, 0, 2, 1] = 1
    model.parameters[w].value = weight.storage
    var image = Tensor<Float>(zeros: [1, 3, 3, 2])
    image[0, 0, 2, 1] = 5
    image[0, 0, 2, 0] = 7
    #expect(model.predict(image.storage) == [0, 5])
  }

  /// Every conv of the released configs gets an [cOut, k, k, cIn] weight and the parameter
  /// count equals the IR's analytic count.
  @Test(arguments: ["mbv2-w0.35", "mcunet-in3", "proxyless-w0.3"])
  func zooModelParametersMatchTheIR(id: String) throws {
    guard let zoo = ModelZoo.model(id) else {
      Issue.record("unknown zoo model \(id)")
      return
    }
    let graph = try zoo.config.makeGraph(resolution: 32)
    let model = try GraphModel(graph: graph)
    #expect(model.parameters.reduce(0) { $0 + $1.value.count } == graph.params)
    for (i, node) in graph.nodes.enumerated() {
      guard case .conv2d(let a) = node.op,
        let p = model.parameterIndex(named: "\(node.name).weight")
      else { continue }
      let cIn = graph.nodes[node.inputs[0]].outputShape[3]
      #expect(model.parameters[p].shape == [a.outChannels, a.kernelH, a.kernelW, cIn], "node \(i)")
    }
  }

  // MARK: - Forward

  @Test func trainingForwardEqualsTheChainOfOps() throws {
    var model = try Self.model(batch: 3)
    let images = Self.images(3)
    var rng = SeededGenerator(seed: 99)
    model.forward(images, mode: .training, using: &rng)
    // The only random draw of the forward pass is the dropout mask of fc's input.
    var maskRNG = SeededGenerator(seed: 99)
    let (_, mask) = Dropout(rate: Float(GraphFixtures.dropoutRate)).forward(
      Tensor<Float>(zeros: [3, GraphFixtures.width]), using: &maskRNG)
    let expected = GraphFixtures.opsForward(
      images, model.exportTensors(), dropoutMask: mask, epsilon: Self.epsilon)
    assertClose(model.logits, expected, atol: 0, rtol: 0, "training logits")
  }

  @Test func inferenceForwardUsesRunningStatisticsAndNoDropout() throws {
    var model = try Self.model(batch: 4)
    var rng = SeededGenerator(seed: 1)
    for s in 0..<3 { model.forward(Self.images(4, seed: UInt64(s)), mode: .training, using: &rng) }
    let images = Self.images(2, seed: 42)
    let logits = model.predict(images)
    var running: [String: BatchNorm.RunningStatistics] = [:]
    for (s, node) in model.batchNormNodes.enumerated() {
      running[model.graph.nodes[node].name] = model.runningStatistics[s]
    }
    #expect(running["stem"]?.mean != [0, 0, 0, 0], "training passes updated the statistics")
    let expected = GraphFixtures.opsForward(
      images, model.exportTensors(), dropoutMask: nil, running: running, epsilon: Self.epsilon)
    assertClose(logits, expected, atol: 0, rtol: 0, "inference logits")
  }

  @Test func smallerAndLargerBatchesReuseOrGrowTheBuffers() throws {
    var model = try Self.model(batch: 4, dropout: 0)
    let capacity = model.bufferBytes
    let four = model.predict(Self.images(4))
    _ = model.predict(Self.images(1))
    #expect(model.bufferBytes == capacity, "a smaller batch must not reallocate")
    #expect(model.predict(Self.images(4)) == four, "same batch, same logits after a resize")
    _ = model.predict(Self.images(6))
    #expect(model.batchSize == 6)
  }

  // MARK: - Backward

  /// Every parameter gradient of the residual graph against central differences of the
  /// Float64 reference loss (same weights, inputs and dropout mask).
  @Test func gradientsMatchFiniteDifferencesThroughTheWholeGraph() throws {
    var model = try Self.model(batch: 2)
    // Non-trivial γ, β so the BN gradients are not special.
    var initRNG = SeededGenerator(seed: 5)
    for i in model.parameters.indices where model.parameters[i].role != .weight {
      model.parameters[i].value =
        randomValues(
          model.parameters[i].value.count, in: 0.5...1.5, using: &initRNG
        ).floats
    }
    let images = Self.images(2)
    let labels = [2, 0]
    var rng = SeededGenerator(seed: 3)
    _ = model.forwardBackward(
      images: images, labels: labels, loss: SoftmaxCrossEntropy(classes: GraphFixtures.classes),
      using: &rng)
    var maskRNG = SeededGenerator(seed: 3)
    let (_, mask) = Dropout(rate: Float(GraphFixtures.dropoutRate)).forward(
      Tensor<Float>(zeros: [2, GraphFixtures.width]), using: &maskRNG)
    var values = [String: [Double]]()
    for p in model.parameters { values[p.name] = p.value.doubles }
    for p in model.parameters {
      let numeric = FiniteDifference.gradient(at: p.value.doubles) { probe in
        var q = values
        q[p.name] = probe
        return GraphFixtures.referenceLoss(
          images.doubles, labels: labels, q, dropoutMask: mask.doubles,
          epsilon: Double(Self.epsilon))
      }
      assertClose(p.gradient.doubles, numeric, atol: 2e-5, rtol: 2e-3, "∂loss/∂\(p.name)")
    }
  }

  @Test func backwardOverwritesGradientsUnlessAccumulating() throws {
    var model = try Self.model(batch: 2, dropout: 0)
    let loss = SoftmaxCrossEntropy(classes: GraphFixtures.classes)
    var rng = SeededGenerator(seed: 0)
    _ = model.forwardBackward(images: Self.images(2), labels: [0, 1], loss: loss, using: &rng)
    let once = model.parameters.map(\.gradient)
    _ = model.forwardBackward(images: Self.images(2), labels: [0, 1], loss: loss, using: &rng)
    #expect(model.parameters.map(\.gradient) == once)
    _ = model.forwardBackward(
      images: Self.images(2), labels: [0, 1], loss: loss, using: &rng,
      accumulatingGradients: true)
    for (p, g) in zip(model.parameters, once) {
      assertClose(p.gradient, g.map { 2 * $0 }, atol: 1e-6, rtol: 1e-5, p.name)
    }
  }

  @Test func gradientSlotsAreSharedByLiveness() throws {
    let zoo = try #require(ModelZoo.model("mcunet-in1"))
    let model = try GraphModel(graph: zoo.config.makeGraph(resolution: 32))
    let slots = Set(model.buffers.gradientSlot.compactMap { $0 })
    #expect(slots.count <= 4, "an MBConv chain with residuals needs few gradient slots")
    #expect(model.buffers.gradientSlot[0] == nil, "the input needs no gradient")
  }

  // MARK: - State

  @Test func exportImportRoundTripsAndRejectsForeignTensors() throws {
    let source = try Self.model(seed: 1)
    var target = try Self.model(seed: 2)
    #expect(target.parameters[0].value != source.parameters[0].value)
    try target.importTensors(source.exportTensors())
    #expect(target.exportTensors() == source.exportTensors())

    var tensors = source.exportTensors()
    tensors["stem.weight"] = Tensor(zeros: [4, 3, 3, 2])
    #expect(
      throws: TrainingError.tensorShapeMismatch(
        name: "stem.weight", expected: [4, 3, 3, 3], found: [4, 3, 3, 2])
    ) {
      try target.importTensors(tensors)
    }
    tensors = source.exportTensors()
    tensors["head.weight"] = Tensor(zeros: [1])
    do {
      try target.importTensors(tensors)
      Issue.record("an unknown tensor must be rejected")
    } catch {
      #expect("\(error)".contains("'head.weight' does not belong to model 'residual-fixture'"))
    }
    tensors = source.exportTensors()
    tensors["fc.bias"] = nil
    #expect(throws: TrainingError.missingTensor(name: "fc.bias", graph: "residual-fixture")) {
      try target.importTensors(tensors)
    }
    try target.importTensors(tensors, strict: false)
  }
}
