// KernelSpecTests.swift
// Kernel names are derived from KernelSpec fields (STYLE.md B3), specializations are chosen only
// where KernelCatalog has a template, everything else falls back to the generic kernel (B5.5),
// and the scratch bytes are what the kernels use.

import Kernels
import ModelIR
import Testing
import _TestSupport

@Suite struct KernelSpecTests {
  @Test func symbolsAreDerivedFromTheFields() {
    #expect(
      KernelSpec.specialized(.conv2d, kernel: 3, stride: 2, padding: 1, inputChannels: 3).symbol
        == "mcu_conv2d_s8_k3x3_s2_p1_cin3")
    #expect(
      KernelSpec.specialized(.depthwiseConv2d, kernel: 3, stride: 1, inPlace: true).symbol
        == "mcu_dwconv_s8_k3x3_s1_inplace")
    #expect(KernelSpec.specialized(.pointwiseConv2d).symbol == "mcu_pwconv_s8")
    #expect(
      KernelSpec.specialized(.pointwiseConv2d, inputChannels: 16).symbol == "mcu_pwconv_s8_cin16")
    #expect(KernelSpec.generic(.conv2d).symbol == "mcu_conv2d_s8")
    #expect(
      KernelSpec.generic(.depthwiseConv2d, inPlace: true).symbol
        == "mcu_depthwise_conv2d_s8_inplace")
    #expect(KernelSpec.generic(.fullyConnected).symbol == "mcu_fully_connected_per_channel_s8")
    #expect(KernelSpec.generic(.globalAvgPool).symbol == "mcu_global_avgpool_s8")
    #expect(KernelSpec.generic(.pointwiseConv2d, dtype: .s4).symbol == "mcu_pointwise_conv2d_s4")
  }

  @Test func catalogSymbolsAreUniqueAndSpecialized() {
    let specs = KernelCatalog.specializations
    // 3 convs, 3 × 2 depthwise, the pointwise kernel and 4 fixed-cIn pointwise.
    #expect(specs.count == 14)
    #expect(Set(specs.map(\.symbol)).count == specs.count)
    #expect(specs.allSatisfy { $0.isSpecialized && $0.foldsBias })
    #expect(specs.allSatisfy { $0.genericFallback.isSpecialized == false })
  }

  /// One depthwise node of kernel k and stride s on a 9×7×8 map fed by a pointwise layer.
  func depthwiseGraph(kernel: Int, stride: Int) throws -> Graph {
    var b = GraphBuilder(name: "dw")
    let x = try b.addInput(height: 9, width: 7, channels: 8)
    let e = try b.add(
      .conv2d(.init(outChannels: 8, kernel: 1, stride: 1, activation: .relu6)), inputs: [x],
      name: "expand")
    try b.add(
      .depthwiseConv2d(.init(kernel: kernel, stride: stride, activation: .relu6)), inputs: [e],
      name: "dw")
    return b.graph
  }

  @Test func inPlaceDepthwiseIsSpecializedForEveryCatalogShape() throws {
    try withEvery("k", in: [1, 3, 5, 7, 9]) { k in
      try withEvery("stride", in: [1, 2, 3]) { s in
        let g = try depthwiseGraph(kernel: k, stride: s)
        let inPlace = try #require(g.kernel(forNode: 2, inPlace: true))
        let catalog = [3, 5, 7].contains(k) && [1, 2].contains(s)
        #expect(inPlace.isSpecialized == catalog, "\(Trace.current)")
        #expect(
          inPlace.symbol
            == (catalog
              ? "mcu_dwconv_s8_k\(k)x\(k)_s\(s)_inplace" : "mcu_depthwise_conv2d_s8_inplace"))
        #expect(g.kernel(forNode: 2, inPlace: false) == .generic(.depthwiseConv2d))
        #expect(inPlace.scratchBytes(forNode: 2, in: g) == (9 + 2 * (k / 2)) * (7 + 2 * (k / 2)))
      }
    }
  }

  /// Every square, symmetrically padded conv is specialized, with two int16 im2col columns of
  /// scratch; an asymmetric padding keeps the generic kernel; fixed-cIn pointwise and linear
  /// kernels widen to int16 in the scratch.
  @Test func symmetricConvsAreSpecializedAsymmetricFallsBack() throws {
    var b = GraphBuilder(name: "convs")
    let x = try b.addInput(height: 10, width: 10, channels: 3)
    let first = try b.add(
      .conv2d(.init(outChannels: 8, kernel: 3, stride: 2, activation: .relu6)), inputs: [x],
      name: "first")
    let s1 = try b.add(
      .conv2d(.init(outChannels: 8, kernel: 3, stride: 1, activation: .relu6)), inputs: [first],
      name: "k3s1")
    let asymmetric = try b.add(
      .conv2d(
        .init(
          outChannels: 8, kernel: 3, stride: 2,
          padding: Padding(top: 0, left: 0, bottom: 1, right: 1), activation: .relu6)),
      inputs: [s1], name: "asym")
    let pw = try b.add(
      .conv2d(.init(outChannels: 4, kernel: 1, stride: 1, activation: .none)),
      inputs: [asymmetric], name: "pw")
    let fc = try b.add(.linear(LinearAttributes(outFeatures: 3)), inputs: [pw], name: "fc")
    let g = b.graph
    let spec = try #require(g.kernel(forNode: first))
    #expect(spec.symbol == "mcu_conv2d_s8_k3x3_s2_p1_cin3")
    // Two int16 columns of the 27-tap window padded to 32 (paddedWindow).
    #expect(spec.scratchBytes(forNode: first, in: g) == 2 * 2 * 32)
    #expect(spec.scratchArgument)
    #expect(KernelSpec.paddedWindow(27) == 32 && KernelSpec.paddedWindow(32) == 32)
    let k3s1 = try #require(g.kernel(forNode: s1))
    #expect(k3s1.symbol == "mcu_conv2d_s8_k3x3_s1_p1_cin8")
    #expect(k3s1.scratchBytes(forNode: s1, in: g) == 2 * 2 * KernelSpec.paddedWindow(72))
    #expect(g.kernel(forNode: asymmetric) == .generic(.conv2d))
    #expect(g.kernel(forNode: asymmetric)?.scratchArgument == false)
    let pointwise = try #require(g.kernel(forNode: pw))
    #expect(pointwise.symbol == "mcu_pwconv_s8_cin8")
    #expect(pointwise.scratchBytes(forNode: pw, in: g) == 2 * 2 * 8)
    let linear = try #require(g.kernel(forNode: fc))
    let features = g.nodes[pw].outputElements
    #expect(linear.symbol == "mcu_fc_s8_cin\(features)")
    #expect(linear.scratchBytes(forNode: fc, in: g) == 2 * features)
    let noFixedChannels = KernelSelectionOptions(pointwiseChannels: [])
    #expect(g.kernel(forNode: pw, options: noFixedChannels)?.symbol == "mcu_pwconv_s8")
    #expect(
      g.kernel(forNode: pw, options: noFixedChannels)?.scratchBytes(forNode: pw, in: g) == 0)
    #expect(g.kernel(forNode: pw, options: .genericOnly)?.symbol == "mcu_pointwise_conv2d_s8")
    #expect(g.kernel(forNode: first, options: .genericOnly) == .generic(.conv2d))
    #expect(g.kernel(forNode: 0) == nil)
    #expect(g.kernel(forNode: s1, options: .genericOnly)?.scratchBytes(forNode: s1, in: g) == 0)
  }

  @Test func int4HasGenericKernelsOnlyAndNoInPlaceDepthwise() throws {
    let g = try depthwiseGraph(kernel: 3, stride: 1)
    #expect(g.kernel(forNode: 1, precision: .int4)?.symbol == "mcu_pointwise_conv2d_s4")
    #expect(g.kernel(forNode: 2, precision: .int4)?.symbol == "mcu_depthwise_conv2d_s4")
    // No in-place int4 kernel exists.
    #expect(g.kernel(forNode: 2, precision: .int4, inPlace: true) == nil)
    #expect(g.kernel(forNode: 0, precision: .int4) == nil)
    // Every other op has its generic s4 kernel, whatever the specialization options.
    var b = GraphBuilder(name: "int4ops")
    var x = try b.addInput(height: 6, width: 6, channels: 4)
    let skip = x
    x = try b.add(
      .conv2d(.init(outChannels: 4, kernel: 3, stride: 1, activation: .relu)), inputs: [x],
      name: "c")
    x = try b.add(.add(activation: .none), inputs: [skip, x], name: "add")
    x = try b.add(.avgPool(PoolAttributes(kernel: 2, stride: 2)), inputs: [x], name: "pool")
    x = try b.add(.globalAvgPool, inputs: [x], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: 3)), inputs: [x], name: "fc")
    let ops = b.graph
    let symbols = (1..<ops.nodes.count).map { ops.kernel(forNode: $0, precision: .int4)?.symbol }
    #expect(
      symbols == [
        "mcu_conv2d_s4", "mcu_add_s4", "mcu_avgpool_s4", "mcu_global_avgpool_s4",
        "mcu_fully_connected_per_channel_s4",
      ])
    #expect(
      (1..<ops.nodes.count).allSatisfy {
        ops.kernel(forNode: $0, precision: .int4, options: KernelSelectionOptions())?
          .isSpecialized == false
      })
  }
}
