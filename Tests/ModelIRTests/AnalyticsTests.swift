import Testing
import _TestSupport

@testable import ModelIR

/// The model-zoo README numbers (paper_facts.md §6, §9) reproduced from the project's own
/// architecture definitions: MACs to 0.1 M, params to 0.001 M, Act to the README's kB.
@Suite struct ZooAnalyticsTests {
  @Test(arguments: ModelZoo.imagenet.map(\.id))
  func readmeNumbers(_ id: String) throws {
    let model = try #require(ModelZoo.model(id))
    let g = try model.graph()
    let p = model.published
    let macsM = (Double(g.macs) / 1e5).rounded() / 10
    let paramsM = (Double(g.params) / 1e3).rounded() / 1000
    let actKB = Double(g.activationBytes(model.precision)) / 1024
    #expect(macsM == p.macsM, "\(model.id) MACs \(g.macs)")
    #expect(paramsM == p.paramsM, "\(model.id) params \(g.params)")
    let readmeAct = try #require(p.actKB)
    // The README rounds to whole kB; one model (mbv2-w0.35: 303.75 kB) is printed as 303.
    #expect(abs(actKB - readmeAct) <= 0.75, "\(model.id) Act \(actKB) kB")
  }

  /// Exact bytes for the flagship models (paper_facts §9: 332.8 kB, 325.0 kB, 295.0 kB int4).
  @Test func exactActivationBytes() throws {
    let expected: [String: Int] = [
      "mcunet-in3": 340_736,  // 332.75 kB (README: 333 kB)
      "mcunet-in2": 332_800,  // 325.0 kB
      "mcunet-in0": 46_080,  // 45.0 kB
      "mcunet-in4": 422_400,  // 412.5 kB
      "mcunet-320kb-int4": 302_016,  // 589.875 kB / 2
      "mcunet-512kb-int4": 506_880,  // 990 kB / 2
    ]
    for (id, bytes) in expected {
      let m = try #require(ModelZoo.model(id))
      #expect(try m.graph().activationBytes(m.precision) == bytes, "\(id)")
    }
  }

  /// MACs and params of the flagship as exact integers (paper_facts §9 derived values).
  @Test func exactFlagshipCounts() throws {
    let g = try #require(ModelZoo.model("mcunet-in3")).graph()
    #expect(g.macs == 81_785_520)
    #expect(g.params == 737_408)
  }
}

/// Hand-computed costs of a tiny graph.
///
///     input 8×8×3 ─ conv3×3 s2 → 4×4×8 ─ dw3×3 s1 → 4×4×8 ─ pw → 4×4×8 ─ add(conv out) ─ gap ─ linear 8→10
@Suite struct HandComputedAnalyticsTests {
  func tinyGraph() throws -> Graph {
    var b = GraphBuilder(name: "tiny")
    let x = try b.addInput(height: 8, width: 8, channels: 3)
    let c = try b.add(
      .conv2d(Conv2DAttributes(outChannels: 8, kernel: 3, stride: 2, activation: .relu6)),
      inputs: [x], name: "conv")
    let d = try b.add(
      .depthwiseConv2d(DepthwiseConv2DAttributes(kernel: 3, stride: 1, activation: .relu6)),
      inputs: [c], name: "dw")
    let p = try b.add(
      .conv2d(Conv2DAttributes(outChannels: 8, kernel: 1, stride: 1, activation: .none)),
      inputs: [d], name: "pw")
    let a = try b.add(.add(activation: .none), inputs: [c, p], name: "add")
    let g = try b.add(.globalAvgPool, inputs: [a], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: 10)), inputs: [g], name: "fc")
    return b.graph
  }

  @Test func costs() throws {
    let g = try tinyGraph()
    // conv: 16 px · 8 · 27 = 3456; dw: 16 · 8 · 9 = 1152; pw: 16 · 8 · 8 = 1024; fc: 80.
    #expect(g.macs == 3456 + 1152 + 1024 + 80)
    // weights 216 + 72 + 64 + 80, BN 2·8 ·3 layers = 48, fc bias 10.
    #expect(g.params == 216 + 72 + 64 + 80 + 48 + 10)
    // Act: conv 192 + 128 = 320; dw 128 + 128 + skip? (dw input is the skip itself) = 256;
    // pw 128 + 128 + conv output kept for the add 128 = 384.
    #expect(g.activationBytes() == 384)
    #expect(g.activationBytes(.int4) == 192)
    // Flash: weights 432 + 8 B per output channel of conv, dw, pw (8 each) and fc (10).
    #expect(g.flashBytes() == 432 + 8 * (8 + 8 + 8 + 10))
    #expect(g.flashBytes(.int4) == 216 + 8 * 34)
  }

  @Test func shapesAndValidation() throws {
    let g = try tinyGraph()
    #expect(
      g.nodes.map(\.outputShape) == [
        [1, 8, 8, 3], [1, 4, 4, 8], [1, 4, 4, 8], [1, 4, 4, 8], [1, 4, 4, 8], [1, 1, 1, 8],
        [1, 10],
      ])
    try g.validate()
  }

  @Test func errorsNameTheNode() throws {
    var b = GraphBuilder(name: "bad")
    let x = try b.addInput(height: 4, width: 4, channels: 3)
    let c = try b.add(
      .conv2d(Conv2DAttributes(outChannels: 8, kernel: 3, stride: 2, activation: .relu6)),
      inputs: [x], name: "conv")
    #expect(throws: GraphError.self) {
      try b.add(.add(activation: .none), inputs: [x, c], name: "res")
    }
    do {
      try b.add(.add(activation: .none), inputs: [x, c], name: "res")
    } catch {
      #expect(
        "\(error)"
          == "node 'res': adds [1, 4, 4, 3] and [1, 2, 2, 8]; a residual needs equal shapes "
          + "(stride 1 and cIn == cOut)")
    }
    do {
      try b.add(
        .conv2d(
          Conv2DAttributes(outChannels: 8, kernel: 7, stride: 1, padding: .zero, activation: .none)),
        inputs: [c], name: "big")
      Issue.record("expected an error")
    } catch {
      #expect(
        "\(error)"
          == "node 'big': height 2 + padding 0 is smaller than the kernel 7; raise the input "
          + "resolution or drop a stride-2 stage")
    }
  }
}
