// TallGraphTests.swift
// A GraphModel large enough (2 × 64 × 64 pixels = `RowTiles.parallelRows` rows) for every tiled
// path of a training step: the row-tiled im2col stem and pointwise GEMMs with batch-norm moments
// recorded on the fly, the depthwise forward recording them unit by unit, the fused batch-norm
// → GEMM backward (dInput overwritten by its first writer, accumulated by the residual's
// second) and the recomputed activation gates. Checked against the chain of the individual ops
// (forward exactly, gradients to the rounding of the tiled sums) and against itself (bits).
// (Float64 finite differences are no check at this size: with 10⁵ activations next to a ReLU6
// kink, their error is O(h) down to h = 1e-6.)
//
//   input 64×64×3 ─ stem (conv 3×3, BN, ReLU6) ─┬─ expand (1×1, BN, ReLU6) ─ dw (3×3, BN, ReLU6)
//                                                │   ─ project (1×1, BN) ─┐
//                                                └──────────────────── add ─ gap ─ fc (5)

import ModelIR
import TensorModule
import Testing
import _TestSupport

@testable import Training

@Suite struct TallGraphTests {
  static let (side, cIn, width, expanded, classes, batch) = (64, 3, 8, 24, 5, 2)
  static let epsilon: Float = 1e-3

  static func graph() throws -> Graph {
    var b = GraphBuilder(name: "tall-fixture")
    let input = try b.addInput(height: side, width: side, channels: cIn)
    let stem = try b.add(
      .conv2d(Conv2DAttributes(outChannels: width, kernel: 3, stride: 1, activation: .relu6)),
      inputs: [input], name: "stem")
    let expand = try b.add(
      .conv2d(Conv2DAttributes(outChannels: expanded, kernel: 1, stride: 1, activation: .relu6)),
      inputs: [stem], name: "expand")
    let dw = try b.add(
      .depthwiseConv2d(DepthwiseConv2DAttributes(kernel: 3, stride: 1, activation: .relu6)),
      inputs: [expand], name: "dw")
    let project = try b.add(
      .conv2d(Conv2DAttributes(outChannels: width, kernel: 1, stride: 1, activation: .none)),
      inputs: [dw], name: "project")
    let add = try b.add(.add(activation: .none), inputs: [stem, project], name: "add")
    let gap = try b.add(.globalAvgPool, inputs: [add], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: classes)), inputs: [gap], name: "fc")
    return b.graph
  }

  static func model() throws -> GraphModel {
    var model = try GraphModel(
      graph: graph(), configuration: .init(batchNormEpsilon: epsilon, seed: 3),
      batchCapacity: batch)
    // Non-trivial γ and β.
    var rng = SeededGenerator(seed: 4)
    for i in model.parameters.indices where model.parameters[i].role != .weight {
      let count = model.parameters[i].value.count
      model.parameters[i].value = randomValues(count, in: 0.5...1.5, using: &rng).floats
    }
    return model
  }

  static let images: [Float] = {
    var rng = SeededGenerator(seed: 5)
    return randomValues(batch * side * side * cIn, using: &rng).floats
  }()
  static let labels = [3, 1]

  static let stem = Conv2D(
    inputHeight: side, inputWidth: side, inChannels: cIn, outChannels: width, kernel: 3,
    padding: .symmetric(1))
  static let expand = Conv2D(
    inputHeight: side, inputWidth: side, inChannels: width, outChannels: expanded, kernel: 1)
  static let dw = DepthwiseConv2D(
    inputHeight: side, inputWidth: side, channels: expanded, kernel: 3, padding: .symmetric(1))
  static let project = Conv2D(
    inputHeight: side, inputWidth: side, inChannels: expanded, outChannels: width, kernel: 1)
  static let gap = GlobalAvgPool(height: side, width: side, channels: width)
  static let fc = Linear(inFeatures: width, outFeatures: classes)

  @Test func takesTheTiledPaths() {
    guard WorkSplit.cores > 1 else { return }
    #expect(Self.stem.rowTiles(batch: Self.batch).isParallel)
    #expect(Self.expand.rowTiles(batch: Self.batch).isParallel)
    #expect(Self.project.rowTiles(batch: Self.batch).isParallel)
  }

  /// The training-mode forward of the op chain: every activation, and the pre-norm outputs
  /// and saved statistics that its backward needs.
  struct Chain {
    var z: [String: [Float]] = [:]
    var a: [String: [Float]] = [:]
    var saved: [String: BatchNorm.SavedStatistics] = [:]
    var logits: [Float] = []
  }

  static func chainForward(_ p: [String: Tensor<Float>]) -> Chain {
    var chain = Chain()
    func v(_ name: String) -> [Float] { p[name]?.storage ?? [] }
    func bn(_ z: [Float], _ node: String, relu6: Bool) -> [Float] {
      let c = v("\(node).bn.gamma").count
      let op = BatchNorm(channels: c, epsilon: epsilon)
      var saved = BatchNorm.SavedStatistics(channels: c)
      var running = BatchNorm.RunningStatistics(channels: c)
      var y = [Float](repeating: 0, count: z.count)
      op.forwardTraining(
        z, gamma: v("\(node).bn.gamma"), beta: v("\(node).bn.beta"), into: &y, saved: &saved,
        running: &running)
      if relu6 { ReLU6().forwardInPlace(&y) }
      chain.z[node] = z
      chain.saved[node] = saved
      chain.a[node] = y
      return y
    }
    func conv(_ op: Conv2D, _ x: [Float], _ node: String) -> [Float] {
      var y = [Float](repeating: 0, count: op.outputShape(batch: batch).count)
      var workspace = [Float](repeating: 0, count: op.workspaceCount(batch: batch))
      op.forward(x, weight: v("\(node).weight"), bias: nil, into: &y, workspace: &workspace)
      return y
    }
    let a1 = bn(conv(stem, images, "stem"), "stem", relu6: true)
    let a2 = bn(conv(expand, a1, "expand"), "expand", relu6: true)
    var z3 = [Float](repeating: 0, count: a2.count)
    dw.forward(a2, weight: v("dw.weight"), into: &z3)
    let a3 = bn(z3, "dw", relu6: true)
    let a4 = bn(conv(project, a3, "project"), "project", relu6: false)
    var sum = [Float](repeating: 0, count: a1.count)
    ResidualAdd().forward(a1, a4, into: &sum)
    var g = [Float](repeating: 0, count: batch * width)
    gap.forward(sum, into: &g)
    chain.a["gap"] = g
    chain.logits = [Float](repeating: 0, count: batch * classes)
    fc.forward(g, weight: v("fc.weight"), bias: v("fc.bias"), into: &chain.logits)
    return chain
  }

  /// Training-mode logits equal the chain of the individual ops exactly.
  @Test func trainingForwardEqualsTheChainOfOps() throws {
    var model = try Self.model()
    var rng = SeededGenerator(seed: 0)
    model.forward(Self.images, mode: .training, using: &rng)
    let chain = Self.chainForward(model.exportTensors())
    expectBitIdentical(model.logits, chain.logits, "logits")
  }

  /// Every parameter gradient of the model (fused batch-norm → GEMM backward, recomputed
  /// gates, overwriting first writers, shared slots) against the op chain's backward through
  /// the ops' own interfaces (plain batch-norm backward with the activation applied first,
  /// accumulating input gradients). Each op's gradients are checked against Float64 finite
  /// differences at small shapes elsewhere; the differences here are the order of the tiled
  /// weight-gradient sums only.
  @Test func gradientsEqualTheChainOfOps() throws {
    var model = try Self.model()
    var rng = SeededGenerator(seed: 6)
    let loss = SoftmaxCrossEntropy(classes: Self.classes)
    _ = model.forwardBackward(images: Self.images, labels: Self.labels, loss: loss, using: &rng)
    let p = model.exportTensors()
    func v(_ name: String) -> [Float] { p[name]?.storage ?? [] }
    let chain = Self.chainForward(p)
    var grads = [String: [Float]]()
    func zeros(_ count: Int) -> [Float] { [Float](repeating: 0, count: count) }
    var dLogits = zeros(chain.logits.count)
    _ = loss.forwardBackward(logits: chain.logits, labels: Self.labels, dLogits: &dLogits)
    let g = chain.a["gap"] ?? []
    grads["fc.weight"] = zeros(v("fc.weight").count)
    grads["fc.bias"] = zeros(Self.classes)
    Self.fc.backwardWeight(
      dOutput: dLogits, input: g, accumulatingInto: &grads["fc.weight", default: []])
    Self.fc.backwardBias(dOutput: dLogits, accumulatingInto: &grads["fc.bias", default: []])
    var dg = zeros(g.count)
    Self.fc.backwardInput(dOutput: dLogits, weight: v("fc.weight"), accumulatingInto: &dg)
    var dSum = zeros(Self.batch * Self.side * Self.side * Self.width)
    Self.gap.backward(dOutput: dg, accumulatingInto: &dSum)
    /// Batch norm (after the activation's backward) of `node`, returning dz.
    func bnBackward(_ node: String, _ dA: [Float], relu6: Bool) -> [Float] {
      var dPre = dA
      if relu6 {
        dPre = zeros(dA.count)
        ReLU6().backward(dOutput: dA, output: chain.a[node] ?? [], accumulatingInto: &dPre)
      }
      let c = v("\(node).bn.gamma").count
      var dz = zeros(dA.count)
      var (dGamma, dBeta) = (zeros(c), zeros(c))
      BatchNorm(channels: c, epsilon: Self.epsilon).backward(
        dOutput: dPre, input: chain.z[node] ?? [], gamma: v("\(node).bn.gamma"),
        saved: chain.saved[node] ?? .init(channels: c), accumulatingInto: &dz,
        dGamma: &dGamma, dBeta: &dBeta)
      grads["\(node).bn.gamma"] = dGamma
      grads["\(node).bn.beta"] = dBeta
      return dz
    }
    func convBackward(_ op: Conv2D, _ node: String, _ dz: [Float], input: [Float]) -> [Float] {
      var workspace = zeros(op.workspaceCount(batch: Self.batch))
      grads["\(node).weight"] = zeros(op.weightShape.count)
      op.backwardWeight(
        dOutput: dz, input: input, accumulatingInto: &grads["\(node).weight", default: []],
        workspace: &workspace)
      var dx = zeros(input.count)
      op.backwardInput(
        dOutput: dz, weight: v("\(node).weight"), accumulatingInto: &dx, workspace: &workspace)
      return dx
    }
    let (a1, a2, a3) = (chain.a["stem"] ?? [], chain.a["expand"] ?? [], chain.a["dw"] ?? [])
    let da3 = convBackward(
      Self.project, "project", bnBackward("project", dSum, relu6: false), input: a3)
    let dz3 = bnBackward("dw", da3, relu6: true)
    grads["dw.weight"] = zeros(v("dw.weight").count)
    Self.dw.backwardWeight(
      dOutput: dz3, input: a2, accumulatingInto: &grads["dw.weight", default: []])
    var da2 = zeros(a2.count)
    Self.dw.backwardInput(dOutput: dz3, weight: v("dw.weight"), accumulatingInto: &da2)
    var da1 = convBackward(Self.expand, "expand", bnBackward("expand", da2, relu6: true), input: a1)
    for i in da1.indices { da1[i] += dSum[i] }
    _ = convBackward(Self.stem, "stem", bnBackward("stem", da1, relu6: true), input: Self.images)
    for parameter in model.parameters {
      let expected = try #require(grads[parameter.name], "no chain gradient for \(parameter.name)")
      assertClose(parameter.gradient, expected, atol: 1e-6, rtol: 1e-4, parameter.name)
    }
  }

  /// Two identical models give identical gradients and running statistics, bit for bit.
  @Test func stepsAreDeterministic() throws {
    var (a, b) = (try Self.model(), try Self.model())
    let loss = SoftmaxCrossEntropy(classes: Self.classes)
    var (ra, rb) = (SeededGenerator(seed: 7), SeededGenerator(seed: 7))
    for _ in 0..<2 {
      _ = a.forwardBackward(images: Self.images, labels: Self.labels, loss: loss, using: &ra)
      _ = b.forwardBackward(images: Self.images, labels: Self.labels, loss: loss, using: &rb)
    }
    for (p, q) in zip(a.parameters, b.parameters) {
      expectBitIdentical(p.gradient, q.gradient, p.name)
    }
    #expect(a.runningStatistics == b.runningStatistics)
  }
}
