// MaxPoolTests.swift
// MaxPool2D: hand goldens (padding never wins, the gradient goes to the first arg-max), the
// readable reference and Float64 finite differences over a kernel × stride × padding sweep,
// and a GraphModel with max pool (SmallCifar's conv → ReLU → max pool → linear pattern)
// against finite differences of the whole graph's Float64 reference loss.

import ModelIR
import TensorModule
import Testing
import _TestSupport

@testable import Training

@Suite struct MaxPoolTests {
  /// 0..<16 as 4×4, k = 2, s = 2: max{0, 1, 4, 5} = 5, then 7, 13, 15; the gradient of each
  /// output lands on the window's arg-max only (pixels 5, 7, 13, 15).
  @Test func maxPoolGoldenK2S2() {
    let pool = MaxPool2D(inputHeight: 4, inputWidth: 4, channels: 1, kernel: 2, stride: 2)
    let x = (0..<16).map(Float.init)
    #expect(
      pool.forward(Tensor<Float>(shape: [1, 4, 4, 1], storage: x)).storage == [5, 7, 13, 15])
    var dx = [Float](repeating: 0, count: 16)
    pool.backward(input: x, dOutput: [1, 2, 3, 4], accumulatingInto: &dx)
    var expected = [Float](repeating: 0, count: 16)
    (expected[5], expected[7], expected[13], expected[15]) = (1, 2, 3, 4)
    #expect(dx == expected)
  }

  /// k = 3, s = 1, pad 1 on the all-negative 2×2 [−5, −6, −7, −8]: every window holds all
  /// four pixels, so every output is −5 (padding read as 0 would give 0) and all the gradient
  /// goes to pixel 0. Ties go to the first maximum in row-major order: on [1, 1] with k = 2
  /// the gradient lands on pixel 0, as in PyTorch.
  @Test func paddingNeverWinsAndTiesGoToTheFirstMaximum() {
    let pool = MaxPool2D(
      inputHeight: 2, inputWidth: 2, channels: 1, kernel: 3, stride: 1, padding: .symmetric(1))
    let x: [Float] = [-5, -6, -7, -8]
    var y = [Float](repeating: .nan, count: 4)
    pool.forward(x, into: &y)
    #expect(y == [-5, -5, -5, -5])
    var dx = [Float](repeating: 0, count: 4)
    pool.backward(input: x, dOutput: [1, 1, 1, 1], accumulatingInto: &dx)
    #expect(dx == [4, 0, 0, 0])
    let pair = MaxPool2D(
      window: WindowGeometry(
        inputHeight: 1, inputWidth: 2, kernelHeight: 1, kernelWidth: 2, stride: 1,
        padding: .valid),
      channels: 1)
    var dPair: [Float] = [10, 20]
    pair.backward(input: [1, 1], dOutput: [3], accumulatingInto: &dPair)
    #expect(dPair == [13, 20])
  }

  /// Inputs are distinct multiples of 1/64 in shuffled order, so no window has a tie and the
  /// finite-difference step (1e-6) never changes an arg-max.
  @Test func maxPoolMatchesReferenceAndFiniteDifferences() {
    var rng = SeededGenerator(seed: 63)
    withEvery("k", in: [1, 2, 3, 5]) { k in
      withEvery("stride", in: [1, 2]) { s in
        withEvery("padding", in: paddings(kernel: k)) { p in
          let pool = MaxPool2D(
            inputHeight: 5, inputWidth: 6, channels: 3, kernel: k, stride: s, padding: p)
          let count = pool.inputShape(batch: 2).count
          let x = (0..<count).map { Double($0 - count / 2) / 64 }.shuffled(using: &rng)
          let r = randomValues(pool.outputShape(batch: 2).count, using: &rng)
          var y = [Float](repeating: .nan, count: r.count)
          pool.forward(x.floats, into: &y)
          assertClose(y.doubles, Reference.maxPool2d(x, op: pool), atol: 0, rtol: 0)
          var dx = [Float](repeating: 0, count: x.count)
          pool.backward(input: x.floats, dOutput: r.floats, accumulatingInto: &dx)
          let fd = FiniteDifference.gradient(at: x) { dot(Reference.maxPool2d($0, op: pool), r) }
          assertClose(dx.doubles, fd, atol: 1e-5, rtol: 1e-4)
        }
      }
    }
  }

  // MARK: - In a GraphModel

  ///     input 6×6×2 ─ conv (3×3, bias, no BN, ReLU) → 6×6×4 ─ maxpool 2×2 s2 → 3×3×4
  ///       ─ fc (linear 36 → 3, bias)
  static func graph() throws -> Graph {
    var b = GraphBuilder(name: "maxpool-fixture")
    var x = try b.addInput(height: 6, width: 6, channels: 2)
    x = try b.add(
      .conv2d(
        Conv2DAttributes(
          outChannels: 4, kernel: 3, stride: 1, batchNorm: false, bias: true, activation: .relu)),
      inputs: [x], name: "conv")
    x = try b.add(.maxPool(PoolAttributes(kernel: 2, stride: 2)), inputs: [x], name: "pool")
    try b.add(.linear(LinearAttributes(outFeatures: 3, bias: true)), inputs: [x], name: "fc")
    return b.graph
  }

  static let conv = Conv2D(
    inputHeight: 6, inputWidth: 6, inChannels: 2, outChannels: 4, kernel: 3,
    padding: .symmetric(1))
  static let pool = MaxPool2D(inputHeight: 6, inputWidth: 6, channels: 4, kernel: 2, stride: 2)
  static let fc = Linear(inFeatures: 36, outFeatures: 3)

  static func referenceLoss(_ images: [Double], labels: [Int], _ p: [String: [Double]]) -> Double {
    func v(_ name: String) -> [Double] { p[name] ?? [] }
    let a = Reference.relu(
      Reference.conv2d(images, weight: v("conv.weight"), bias: v("conv.bias"), op: conv))
    let logits = Reference.linear(
      Reference.maxPool2d(a, op: pool), weight: v("fc.weight"), bias: v("fc.bias"), op: fc)
    return Reference.softmaxCrossEntropy(
      logits: logits, labels: labels, classes: 3, labelSmoothing: 0)
  }

  @Test func graphModelGradientsMatchFiniteDifferences() throws {
    var model = try GraphModel(graph: Self.graph(), batchCapacity: 2)
    #expect(
      Set(model.parameters.map(\.name)) == ["conv.weight", "conv.bias", "fc.weight", "fc.bias"])
    var rng = SeededGenerator(seed: 64)
    let images = randomValues(2 * 6 * 6 * 2, in: -2...2, using: &rng)
    let labels = [1, 2]
    var unused = SeededGenerator(seed: 1)
    let step = model.forwardBackward(
      images: images.floats, labels: labels, loss: SoftmaxCrossEntropy(classes: 3),
      using: &unused)
    var values = [String: [Double]]()
    for p in model.parameters { values[p.name] = p.value.doubles }
    let reference = Self.referenceLoss(images, labels: labels, values)
    #expect(abs(Double(step.loss) - reference) <= 1e-5 * max(1, abs(reference)))
    for p in model.parameters {
      let numeric = FiniteDifference.gradient(at: p.value.doubles) { probe in
        var q = values
        q[p.name] = probe
        return Self.referenceLoss(images, labels: labels, q)
      }
      assertClose(p.gradient.doubles, numeric, atol: 2e-5, rtol: 2e-3, "∂loss/∂\(p.name)")
    }
  }
}
