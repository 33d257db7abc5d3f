import Foundation
import Testing

@testable import ModelIR

/// The models of the paper's library comparison (Fig. 4, appendix B), checked against numbers
/// computed by hand or independently.
@Suite struct AppendixBModelTests {
  /// SmallCifar, layer by layer ('same' padding 2 keeps every conv's size; each pool halves):
  ///
  ///     input 32×32×3 ─ conv5×5 → 32×32×32 ─ pool → 16×16×32 ─ conv5×5 → 16×16×32 ─ pool
  ///       → 8×8×32 ─ conv5×5 → 8×8×64 ─ pool → 4×4×64 (1024) ─ linear → 10
  ///
  /// MACs: 32·32·32·(5·5·3) = 2 457 600; 16·16·32·(5·5·32) = 6 553 600; 8·8·64·(5·5·32) =
  /// 3 276 800; 1024·10 = 10 240; total 12 298 240.
  /// Params (weights + bias, no BN): 2400 + 32, 25 600 + 32, 51 200 + 64, 10 240 + 10; 89 578.
  @Test func smallCifarShapesMACsParams() throws {
    let entry = try #require(ModelZoo.entry("smallcifar"))
    #expect(entry.config == nil)
    let g = try entry.graph()
    try g.validate()
    #expect(
      g.nodes.map(\.outputShape) == [
        [1, 32, 32, 3], [1, 32, 32, 32], [1, 16, 16, 32], [1, 16, 16, 32], [1, 8, 8, 32],
        [1, 8, 8, 64], [1, 4, 4, 64], [1, 10],
      ])
    #expect(
      g.nodes.map(\.op.kindName) == [
        "input", "conv2d", "maxpool", "conv2d", "maxpool", "conv2d", "maxpool", "linear",
      ])
    let macs = g.nodes.indices.map { g.cost(ofNode: $0).macs }
    #expect(macs == [0, 2_457_600, 0, 6_553_600, 0, 3_276_800, 0, 10_240])
    let params = g.nodes.indices.map { g.cost(ofNode: $0).params }
    #expect(params == [0, 2432, 0, 25_632, 0, 51_264, 0, 10_250])
    #expect(g.macs == 12_298_240)
    #expect(g.params == 89_578)
    // Flash: int8 weights + 8 bytes (bias, scale) per output channel.
    #expect(g.flashBytes() == 2400 + 25_600 + 51_200 + 10_240 + 8 * (32 + 32 + 64 + 10))
  }

  /// Max pool: shape inference like the average pool, no MACs, no params.
  @Test func maxPoolShapeAndCost() throws {
    var b = GraphBuilder(name: "pool")
    let x = try b.addInput(height: 7, width: 5, channels: 3)
    let p = try b.add(
      .maxPool(
        PoolAttributes(kernel: 3, stride: 2, padding: Padding(top: 1, left: 0, bottom: 1, right: 1))
      ),
      inputs: [x], name: "pool")
    #expect(b.graph.nodes[p].outputShape == [1, 4, 2, 3])
    #expect(
      b.graph.cost(ofNode: p) == NodeCost(macs: 0, params: 0, weightElements: 0, biasChannels: 0))
    #expect(throws: GraphError.self) {
      try b.add(.maxPool(PoolAttributes(kernel: 9, stride: 1)), inputs: [p], name: "too_big")
    }
    do {
      _ = try b.add(.maxPool(PoolAttributes(kernel: 9, stride: 1)), inputs: [p], name: "too_big")
    } catch {
      #expect(
        "\(error)"
          == "node 'too_big': height 4 + padding 0 is smaller than the kernel 9; raise the input "
          + "resolution or drop a stride-2 stage")
    }
  }

  /// MnasNet-B1 w0.2 r96. Computed independently (a 40-line Python walk over the stage table
  /// with once-for-all's make_divisible; the same script gives torchvision's mnasnet1_0 at
  /// w1.0 r224 exactly: 314 415 872 MACs, 4 383 312 params): 5 209 168 MACs, 428 440 params
  /// (BN γ, β counted), final feature map 3×3.
  @Test func mnasNetConfig() throws {
    let m = try #require(ModelZoo.model("mnasnet-w0.2-r96"))
    let c = m.config
    #expect(c.resolution == 96)
    #expect(c.firstConv.outChannels == 8)
    #expect(c.featureMixLayer?.outChannels == 256)
    var kernels: [Int] = []
    var outs: [Int] = []
    for block in c.blocks {
      guard case .mbConv(let b) = block.conv else { continue }
      kernels.append(b.kernelSize)
      outs.append(b.outChannels)
    }
    // SepConv, then 3 + 3 + 3 + 2 + 4 + 1 blocks.
    #expect(kernels == [3, 3, 3, 3, 5, 5, 5, 5, 5, 5, 3, 3, 5, 5, 5, 5, 3])
    #expect(outs == [8, 8, 8, 8, 8, 8, 8, 16, 16, 16, 24, 24, 40, 40, 40, 40, 64])
    let g = try m.graph()
    #expect(g.macs == 5_209_168)
    #expect(g.params == 428_440)
    // The JSON round trip keeps the architecture.
    let again = try NetConfig(jsonData: try c.jsonData())
    #expect(try again.makeGraph().macs == g.macs)
    let full = try scaledMnasNet(width: 1.0, resolution: 224).makeGraph()
    #expect(full.macs == 314_415_872)
    #expect(full.params == 4_383_312)
  }

  /// The other two appendix-B models are the scaled baselines at r = 64.
  @Test func baselinesAtR64() throws {
    let mbv2 = try #require(ModelZoo.entry("mbv2-w0.35-r64"))
    #expect(mbv2.config == scaledMobileNetV2(width: 0.35, resolution: 64))
    let proxyless = try #require(ModelZoo.entry("proxyless-w0.3-r64"))
    #expect(try proxyless.graph().input.outputShape == [1, 64, 64, 3])
    #expect(
      ModelZoo.appendixB.map(\.id) == [
        "smallcifar", "mbv2-w0.35-r64", "proxyless-w0.3-r64", "mnasnet-w0.2-r96",
      ])
    // Not in `all` (the memory experiment's list stays MIT's), but every id is known.
    #expect(!ModelZoo.all.contains { $0.id == "mnasnet-w0.2-r96" })
    #expect(ModelZoo.allIDs.filter { $0 == "proxyless-w0.3-r64" }.count == 1)
    #expect(ModelZoo.allIDs.contains("smallcifar"))
    #expect(ModelZoo.model("smallcifar") == nil)
  }
}
