// Int4InterpreterTests.swift
// The int4 path of IntegerInterpreter: a hand-computed graph golden (pointwise, add, global
// pool, linear, with int4 clamps on the way), a seeded random int4 graph with every op checked
// layer by layer against the packed int4 reference kernels, quantize → dequantize of the int4
// input within scale/2, and the clear errors for inputs and graphs that are not int4.

import ModelIR
import TensorModule
import Testing
import _TestSupport

@testable import Quantization

@Suite struct Int4InterpreterTests {
  /// input 1×2×2×1 ─ pw 1 ─┬─ add ─ gap ─ fc 2
  ///                └──────┘
  static func goldenGraph() throws -> QuantizedGraph {
    var b = GraphBuilder(name: "int4golden")
    let x = try b.addInput(height: 2, width: 2, channels: 1)
    let pw = try b.add(
      .conv2d(Conv2DAttributes(outChannels: 1, kernel: 1, stride: 1, activation: .none)),
      inputs: [x], name: "pw")
    let sum = try b.add(.add(activation: .none), inputs: [x, pw], name: "add")
    let gap = try b.add(.globalAvgPool, inputs: [sum], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: 2)), inputs: [gap], name: "fc")
    let unit = QuantParams(scale: 1, zeroPoint: 0)
    let two = QuantParams(scale: 2, zeroPoint: 0)
    return QuantizedGraph(
      graph: b.graph, bitWidth: .int4, roundingMode: .doubleRounding,
      layers: [
        QuantizedLayer(output: unit),
        QuantizedLayer(
          output: unit, weights: [3], weightShape: [1, 1, 1, 1], weightScales: [0.5], bias: [0]),
        QuantizedLayer(output: two),
        QuantizedLayer(output: two),
        QuantizedLayer(
          output: unit, weights: [3, -7], weightShape: [2, 1], weightScales: [0.25, 0.25],
          bias: [1, 0]),
      ])
  }

  /// By hand, input [−8, 7, 6, 2] (scale 1, zp 0):
  /// - pw: w = 3, M = 1·0.5/1 = 0.5: 1.5·x = −12, 10.5, 9, 3 → clamp/round → [−8, 7, 7, 3];
  /// - add (all zp 0, s1 = s2 = 1, s_out = 2): (x + pw)/2 = −8, 7, 6.5 → 7, 2.5 → 3
  ///   (ties away from zero) → [−8, 7, 7, 3];
  /// - gap: 9/4 = 2.25 → 2;
  /// - fc: M = 2·0.25/1 = 0.5, acc = [3·2 + 1, −7·2] = [7, −14] → [3.5 → 4, −7].
  /// Packed: input [0x78, 0x26], fc output [0x94].
  @Test func handComputedGraphGolden() throws {
    let q = try Self.goldenGraph()
    let outputs = try IntegerInterpreter.run(q, input: [-8, 7, 6, 2])
    #expect(outputs == [[-8, 7, 6, 2], [-8, 7, 7, 3], [-8, 7, 7, 3], [2], [4, -7]])
    let packed = try IntegerInterpreter.runInt4(q, input: try PackedInt4(packing: [-8, 7, 6, 2]))
    #expect(packed[0].bytes == [0x78, 0x26])
    #expect(packed.last?.bytes == [0x94])
  }

  /// A seeded random int4 graph with every op: conv 3×3 s2, in-graph depthwise 3×3 s1 and 5×5
  /// s2, pointwise, a residual add, an average pool, GAP and linear.
  static func everyOpGraph() throws -> Graph {
    var b = GraphBuilder(name: "int4every")
    var x = try b.addInput(height: 13, width: 11, channels: 3)
    x = try b.add(
      .conv2d(Conv2DAttributes(outChannels: 8, kernel: 3, stride: 2, activation: .relu6)),
      inputs: [x], name: "conv")
    let skip = x
    var y = try b.add(
      .conv2d(Conv2DAttributes(outChannels: 12, kernel: 1, stride: 1, activation: .relu6)),
      inputs: [x], name: "expand")
    y = try b.add(
      .depthwiseConv2d(DepthwiseConv2DAttributes(kernel: 3, stride: 1, activation: .relu6)),
      inputs: [y], name: "dw")
    y = try b.add(
      .conv2d(Conv2DAttributes(outChannels: 8, kernel: 1, stride: 1, activation: .none)),
      inputs: [y], name: "project")
    x = try b.add(.add(activation: .none), inputs: [skip, y], name: "add")
    x = try b.add(
      .depthwiseConv2d(DepthwiseConv2DAttributes(kernel: 5, stride: 2, activation: .relu)),
      inputs: [x], name: "dw5")
    x = try b.add(.avgPool(PoolAttributes(kernel: 2, stride: 1)), inputs: [x], name: "pool")
    x = try b.add(
      .maxPool(
        PoolAttributes(kernel: 2, stride: 1, padding: Padding(top: 1, left: 0, bottom: 0, right: 1))
      ),
      inputs: [x], name: "maxpool")
    x = try b.add(.globalAvgPool, inputs: [x], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: 5)), inputs: [x], name: "fc")
    return b.graph
  }

  /// Random float weights (uniform, He-like) and made-up calibration ranges, quantized to int4.
  static func randomInt4(_ graph: Graph, seed: UInt64) throws -> QuantizedGraph {
    var g = SeededGenerator(seed: seed)
    var weights: [FloatLayerWeights?] = []
    var ranges: [(min: Float, max: Float)] = []
    for node in graph.nodes {
      let cIn = node.inputs.first.map { graph.nodes[$0].outputShape.dims.last ?? 1 } ?? 1
      let flatIn = node.inputs.first.map { graph.nodes[$0].outputElements } ?? 1
      let shape: (dims: [Int], channels: Int)?
      switch node.op {
      case .conv2d(let a): shape = ([a.outChannels, a.kernelH, a.kernelW, cIn], a.outChannels)
      case .depthwiseConv2d(let a): shape = ([1, a.kernelH, a.kernelW, cIn], cIn)
      case .linear(let a): shape = ([a.outFeatures, flatIn], a.outFeatures)
      default: shape = nil
      }
      weights.append(
        shape.map { (s, channels) in
          let count = s.reduce(1, *)
          let limit = (6 / Float(count / channels)).squareRoot()
          return FloatLayerWeights(
            weights: (0..<count).map { _ in Float.random(in: -limit...limit, using: &g) },
            shape: Shape(s),
            bias: (0..<channels).map { _ in Float.random(in: -0.2...0.2, using: &g) })
        })
      ranges.append(
        (-Float.random(in: 0.5...3, using: &g), Float.random(in: 0.5...3, using: &g)))
    }
    return try QuantizedGraph(graph: graph, weights: weights, ranges: ranges, bitWidth: .int4)
  }

  /// Each layer of the interpreter equals its packed int4 reference kernel run on the
  /// interpreter's own inputs for that layer (so a failure names the first wrong layer), and
  /// `run` is `runInt4` unpacked.
  @Test(arguments: [RoundingMode.doubleRounding, .singleRounding])
  func interpreterMatchesInt4ReferenceKernelsLayerByLayer(mode: RoundingMode) throws {
    var q = try Self.randomInt4(Self.everyOpGraph(), seed: 0x14_1401)
    q.roundingMode = mode
    var g = SeededGenerator(seed: 0x14_1402)
    let input = g.int8s(q.graph.input.outputElements, in: -8...7)
    let packed = try IntegerInterpreter.runInt4(q, input: try PackedInt4(packing: input))
    #expect(try IntegerInterpreter.run(q, input: input) == packed.map { $0.unpacked() })
    var spread = ClampCount()
    for (i, node) in q.graph.nodes.enumerated().dropFirst() {
      let x = packed[node.inputs[0]]
      let xShape = q.graph.nodes[node.inputs[0]].outputShape
      let layer = q.layers[i]
      let w = layer.weights.isEmpty ? nil : try PackedInt4(packing: layer.weights)
      let expected: PackedInt4
      switch node.op {
      case .input: continue
      case .conv2d(let a) where a.isPointwise:
        expected = IntegerReference.pointwiseConv2DPerChannelInt4(
          input: x, inputShape: xShape, filter: try #require(w), filterShape: layer.weightShape,
          bias: layer.bias, params: try q.convParams(ofNode: i))
      case .conv2d:
        expected = IntegerReference.conv2DPerChannelInt4(
          input: x, inputShape: xShape, filter: try #require(w), filterShape: layer.weightShape,
          bias: layer.bias, params: try q.convParams(ofNode: i))
      case .depthwiseConv2d:
        expected = IntegerReference.depthwiseConv2DPerChannelInt4(
          input: x, inputShape: xShape, filter: try #require(w), filterShape: layer.weightShape,
          bias: layer.bias, params: try q.convParams(ofNode: i))
      case .add:
        expected = IntegerReference.addInt4(
          x, packed[node.inputs[1]], params: try q.addParams(ofNode: i))
      case .avgPool(let a):
        expected = IntegerReference.averagePoolInt4(
          input: x, inputShape: xShape,
          params: PoolParams(
            filterH: a.kernelH, filterW: a.kernelW, strideH: a.stride, strideW: a.stride,
            padTop: a.padding.top, padLeft: a.padding.left, padBottom: a.padding.bottom,
            padRight: a.padding.right, activationMin: -8, activationMax: 7))
      case .maxPool(let a):
        expected = IntegerReference.maxPoolInt4(
          input: x, inputShape: xShape,
          params: PoolParams(
            filterH: a.kernelH, filterW: a.kernelW, strideH: a.stride, strideW: a.stride,
            padTop: a.padding.top, padLeft: a.padding.left, padBottom: a.padding.bottom,
            padRight: a.padding.right, activationMin: -8, activationMax: 7))
      case .globalAvgPool:
        expected = IntegerReference.globalAveragePoolInt4(input: x, inputShape: xShape)
      case .linear:
        expected = IntegerReference.fullyConnectedPerChannelInt4(
          input: x, inputShape: [1, xShape.count], filter: try #require(w),
          filterShape: layer.weightShape, bias: layer.bias,
          params: try q.fullyConnectedParams(ofNode: i))
      }
      assertBitExact(packed[i].bytes, expected.bytes, "layer \(i) '\(node.name)' packed bytes")
      #expect(packed[i].count == node.outputElements, "layer \(i) element count")
      spread.add(packed[i].unpacked())
    }
    // Calibrated ranges keep the layers' values spread over the int4 range.
    #expect(spread.distinct.count >= 12, "int4 values used: \(spread.distinct.sorted())")
  }

  /// The input path: a float image quantized with the input's int4 parameters round-trips
  /// within scale/2, and the interpreter accepts exactly those values.
  @Test func int4InputQuantizeDequantizeWithinHalfScaleAndRuns() throws {
    let q = try Self.randomInt4(Self.everyOpGraph(), seed: 0x14_1403)
    let p = q.layers[0].output
    var g = SeededGenerator(seed: 0x14_1404)
    let lo = Float(BitWidth.int4.activationRange.lowerBound - p.zeroPoint) * p.scale
    let hi = Float(BitWidth.int4.activationRange.upperBound - p.zeroPoint) * p.scale
    let image = (0..<q.graph.input.outputElements).map { _ in Float.random(in: lo...hi, using: &g) }
    let qx = quantize(image, params: p, bitWidth: .int4)
    #expect(qx.allSatisfy { (-8...7).contains($0) })
    assertClose(
      dequantize(qx, params: p), image, atol: p.scale / 2 * 1.0001, rtol: 1e-6, "int4 input")
    let outputs = try IntegerInterpreter.run(q, input: qx)
    #expect(outputs.last?.count == 5)
  }

  @Test func int4InputOutOfRangeIsAClearError() throws {
    let q = try Self.goldenGraph()
    #expect(
      throws: QuantizationError.valueOutOfRange(
        what: "int4 input of 'int4golden'", index: 2, value: 9, range: -8...7)
    ) {
      try IntegerInterpreter.run(q, input: [0, 1, 9, 0])
    }
    #expect(throws: QuantizationError.self) { try IntegerInterpreter.run(q, input: [0, 1]) }
  }

  /// An int4 graph whose weights are int8 values names the node; runInt4 on an int8 graph says
  /// which function to use.
  @Test func int8DataInAnInt4GraphIsAClearError() throws {
    var q = try Self.goldenGraph()
    q.layers[1].weights = [100]
    let error = #expect(throws: QuantizationError.self) {
      try IntegerInterpreter.run(q, input: [0, 0, 0, 0])
    }
    let text = error.map { "\($0)" } ?? ""
    #expect(text.contains("'pw'") && text.contains("int4 weights"), "\(text)")
    var int8 = try Self.goldenGraph()
    int8.bitWidth = .int8
    let wrong = #expect(throws: QuantizationError.self) {
      try IntegerInterpreter.runInt4(int8, input: try PackedInt4(packing: [0, 0, 0, 0]))
    }
    #expect(wrong.map { "\($0)" }?.contains("bitWidth: .int4") == true)
  }
}

/// The distinct values a test saw.
private struct ClampCount {
  var distinct: Set<Int8> = []
  mutating func add(_ values: [Int8]) { distinct.formUnion(values) }
}
