// GraphFixtures.swift
// The small graphs the GraphModel tests run, and the same network written out as a chain of
// the individual ops (Float32) and of the readable references (Float64, for finite
// differences).
//
//   input 6×6×3 ─ stem (conv 3×3, BN, ReLU6) ─┬─ dw (depthwise 3×3, bias, ReLU) ─ pw (1×1, BN) ─┐
//                                              └──────────────────────────────────────────── add
//   add ─ pool (avg 2×2 s2) ─ gap ─ fc (linear 3, bias, dropout 0.25)

import ModelIR
import TensorModule
import Training

enum GraphFixtures {
  static let (side, cIn, width, classes) = (6, 3, 4, 3)
  static let dropoutRate = 0.25

  /// The residual graph of the file comment.
  static func residual(dropout: Double = dropoutRate) throws -> Graph {
    var b = GraphBuilder(name: "residual-fixture")
    let input = try b.addInput(height: side, width: side, channels: cIn)
    let stem = try b.add(
      .conv2d(Conv2DAttributes(outChannels: width, kernel: 3, stride: 1, activation: .relu6)),
      inputs: [input], name: "stem")
    let dw = try b.add(
      .depthwiseConv2d(
        DepthwiseConv2DAttributes(
          kernel: 3, stride: 1, batchNorm: false, bias: true, activation: .relu)),
      inputs: [stem], name: "dw")
    let pw = try b.add(
      .conv2d(Conv2DAttributes(outChannels: width, kernel: 1, stride: 1, activation: .none)),
      inputs: [dw], name: "pw")
    let add = try b.add(.add(activation: .none), inputs: [stem, pw], name: "add")
    let pool = try b.add(
      .avgPool(PoolAttributes(kernel: 2, stride: 2)), inputs: [add], name: "pool")
    let gap = try b.add(.globalAvgPool, inputs: [pool], name: "gap")
    try b.add(
      .linear(LinearAttributes(outFeatures: classes, bias: true, dropout: dropout)),
      inputs: [gap], name: "fc")
    return b.graph
  }

  /// A small MobileNetV2-style TinyNAS subnet (MBConv blocks with residuals, 32×32 input).
  static func tinyMBNet(classes: Int) throws -> NetConfig {
    try TinyNASSubnet(
      width: 0.25, resolution: 32, depths: [2, 2, 1, 1, 1, 1],
      blocks: "3,3 3,3 3,3 3,3 3,3 3,3 3,3 3,3", classes: classes
    ).netConfig()
  }

  // MARK: - The same network from the individual ops

  static let stem = Conv2D(
    inputHeight: side, inputWidth: side, inChannels: cIn, outChannels: width, kernel: 3,
    padding: .symmetric(1))
  static let dw = DepthwiseConv2D(
    inputHeight: side, inputWidth: side, channels: width, kernel: 3, padding: .symmetric(1))
  static let pw = Conv2D(
    inputHeight: side, inputWidth: side, inChannels: width, outChannels: width, kernel: 1)
  static let pool = AvgPool2D(
    inputHeight: side, inputWidth: side, channels: width, kernel: 2, stride: 2)
  static let gap = GlobalAvgPool(height: side / 2, width: side / 2, channels: width)
  static let fc = Linear(inFeatures: width, outFeatures: classes)

  /// Logits of the residual fixture from the Float32 ops, in training mode (batch statistics)
  /// with the given dropout mask, or in inference mode with `running` statistics.
  static func opsForward(
    _ images: [Float], _ p: [String: Tensor<Float>], dropoutMask: [Float]?,
    running: [String: BatchNorm.RunningStatistics]? = nil, epsilon: Float
  ) -> [Float] {
    let n = images.count / (side * side * cIn)
    func t(_ name: String) -> Tensor<Float> {
      guard let tensor = p[name] else { preconditionFailure("the fixture has no tensor \(name)") }
      return tensor
    }
    func v(_ name: String) -> [Float] { t(name).storage }
    func bn(_ x: Tensor<Float>, _ node: String) -> Tensor<Float> {
      let op = BatchNorm(channels: width, epsilon: epsilon)
      var y = Tensor<Float>(zeros: x.shape)
      if let stats = running?[node] {
        op.forwardInference(
          x.storage, gamma: v("\(node).bn.gamma"), beta: v("\(node).bn.beta"), running: stats,
          into: &y.storage)
      } else {
        var saved = BatchNorm.SavedStatistics(channels: width)
        var unused = BatchNorm.RunningStatistics(channels: width)
        op.forwardTraining(
          x.storage, gamma: v("\(node).bn.gamma"), beta: v("\(node).bn.beta"), into: &y.storage,
          saved: &saved, running: &unused)
      }
      return y
    }
    let x = Tensor<Float>(shape: [n, side, side, cIn], storage: images)
    let a1 = ReLU6().forward(bn(stem.forward(x, weight: t("stem.weight")), "stem"))
    var z2 = dw.forward(a1, weight: t("dw.weight"))
    let bias = v("dw.bias")
    for i in z2.storage.indices { z2.storage[i] += bias[i % width] }
    let a2 = ReLU().forward(z2)
    let a3 = bn(pw.forward(a2, weight: t("pw.weight")), "pw")
    let s = ResidualAdd().forward(a1, a3)
    let g = gap.forward(pool.forward(s))
    var dropped = g
    if let dropoutMask {
      for i in dropped.storage.indices { dropped.storage[i] *= dropoutMask[i] }
    }
    return fc.forward(dropped, weight: t("fc.weight"), bias: t("fc.bias")).storage
  }

  // MARK: - The same network from the Float64 references

  /// Mean cross-entropy of the residual fixture in training mode, all in Float64.
  static func referenceLoss(
    _ images: [Double], labels: [Int], _ p: [String: [Double]], dropoutMask: [Double],
    epsilon: Double
  ) -> Double {
    func v(_ name: String) -> [Double] { p[name] ?? [] }
    func bn(_ x: [Double], _ node: String) -> [Double] {
      Reference.batchNormTraining(
        x, gamma: v("\(node).bn.gamma"), beta: v("\(node).bn.beta"), epsilon: epsilon)
    }
    let z1 = Reference.conv2d(images, weight: v("stem.weight"), bias: nil, op: stem)
    let a1 = Reference.relu6(bn(z1, "stem"))
    var z2 = Reference.depthwiseConv2d(a1, weight: v("dw.weight"), op: dw)
    let bias = v("dw.bias")
    for i in z2.indices { z2[i] += bias[i % width] }
    let a2 = Reference.relu(z2)
    let a3 = bn(Reference.conv2d(a2, weight: v("pw.weight"), bias: nil, op: pw), "pw")
    let g = Reference.globalAvgPool(Reference.avgPool2d(Reference.add(a1, a3), op: pool), op: gap)
    let logits = Reference.linear(
      Reference.dropout(g, mask: dropoutMask), weight: v("fc.weight"), bias: v("fc.bias"), op: fc)
    return Reference.softmaxCrossEntropy(
      logits: logits, labels: labels, classes: classes, labelSmoothing: 0)
  }
}
