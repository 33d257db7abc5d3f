import Kernels
import ModelIR
import Testing

/// TinyEngine's buffer rules (operators/conv2d.py, depthwiseConv2d.py) on hand-made layers.
@Suite struct ScratchRulesTests {
  func graph() throws -> Graph {
    var b = GraphBuilder(name: "scratch")
    let x = try b.addInput(height: 9, width: 7, channels: 3)
    let c = try b.add(
      .conv2d(Conv2DAttributes(outChannels: 16, kernel: 3, stride: 2, activation: .relu6)),
      inputs: [x], name: "conv3x3")
    let d = try b.add(
      .depthwiseConv2d(DepthwiseConv2DAttributes(kernel: 5, stride: 1, activation: .relu6)),
      inputs: [c], name: "dw5x5")
    try b.add(
      .conv2d(Conv2DAttributes(outChannels: 8, kernel: 1, stride: 1, activation: .none)),
      inputs: [d], name: "pw")
    return b.graph
  }

  @Test func tinyEngineRules() throws {
    let g = try graph()
    // 3×3 conv, cIn 3: im2col 3·3·3·2·2 = 108; kernel buffer 16·3·3·3 weights × 2 = 864.
    #expect(g.scratch(ofNode: 1, library: .tinyEngine) == ScratchBytes(im2col: 108, kernel: 864))
    // dw 5×5 on 5×4 input (9×7 at stride 2), pad 2: in place 2·(5+4)·(4+4) = 144.
    #expect(g.scratch(ofNode: 2, library: .tinyEngine) == ScratchBytes(im2col: 144, kernel: 0))
    // not in place: 2·5·5·16 = 800.
    #expect(
      g.scratch(ofNode: 2, library: .tinyEngine, inPlaceDepthwise: false)
        == ScratchBytes(im2col: 800, kernel: 0))
    // 1×1 conv, cIn 16: 16·2·2 = 64, no kernel buffer.
    #expect(g.scratch(ofNode: 3, library: .tinyEngine) == ScratchBytes(im2col: 64, kernel: 0))
  }

  @Test func referenceKernelsNeedNoScratch() throws {
    let g = try graph()
    for i in g.nodes.indices { #expect(g.scratch(ofNode: i, library: .tflmReference) == .none) }
  }
}
