// ModelBlobTests.swift
// The blob writer: every header field, one tensor entry and one op entry with its constants
// decoded by hand against the QuantizedGraph they came from, and the serialize-time errors
// (layer count, format limits, weights, quantization), each naming the culprit. The int4
// variant of the format: Int4BlobTests.swift.

import CodeGen
import ModelIR
import Quantization
import Testing
import _TestSupport

@Suite struct ModelBlobTests {
  @Test func headerAndSectionsDescribeTheBlob() throws {
    let q = try TestQuantizer.make(TestGraphs.chain(), seed: 9)
    let blob = try ModelBlob(q)
    let b = blob.bytes
    let nodes = q.graph.nodes.count
    #expect(Array(b[0..<4]) == Array("MCUB".utf8))
    #expect(b.u32(at: 4) == 1)  // version 1, flags 0
    #expect(b.u32(at: 8) == b.count)
    #expect(b.u32(at: 12) == nodes | (nodes - 1) << 16)
    #expect(b.u32(at: 16) == 0 | (nodes - 1) << 16)  // input 0, output = last tensor
    let layout = BlobLayout(b)
    #expect(layout.tensorTable == 48)
    #expect(layout.opTable == ModelBlob.alignUpForTests(48 + 24 * nodes))
    #expect(layout.constants == ModelBlob.alignUpForTests(layout.opTable + 64 * (nodes - 1)))
    #expect(layout.constantBytes == blob.constantBytes)
    #expect(layout.constants + layout.constantBytes == b.count)
    #expect(b[36..<48].allSatisfy { $0 == 0 })
    #expect(blob.tensorCount == nodes && blob.opCount == nodes - 1)
    #expect(blob.persistentBytes == 7 * 32 + 6 * 64)  // 224 and 384: both 16-aligned
    #expect(blob.workspaceBytes == 64)
  }

  /// Tensor 2 (conv5's output, 11×9×8) and op 1 (conv5) decoded field by field.
  @Test func tensorAndOpEntriesHoldTheQuantizedLayer() throws {
    let q = try TestQuantizer.make(TestGraphs.chain(), seed: 9)
    let b = try ModelBlob.serialize(q)
    let layout = BlobLayout(b)
    let t = layout.tensor(2, 0)
    #expect([0, 2, 4, 6].map { Int(b[t + $0]) | Int(b[t + $0 + 1]) << 8 } == [1, 11, 9, 8])
    #expect(b.u32(at: t + 8) == 11 * 9 * 8)
    #expect(Int32(truncatingIfNeeded: b.u32(at: t + 12)) == q.layers[2].output.zeroPoint)
    #expect(UInt32(b.u32(at: t + 16)) == q.layers[2].output.scale.bitPattern)

    let p = try q.convParams(ofNode: 2)
    let op = layout.op(1, 0)
    func i32(_ offset: Int) -> Int32 { Int32(truncatingIfNeeded: b.u32(at: offset)) }
    #expect(Array(b[op..<op + 4]) == [ModelBlob.OpCode.conv2d.rawValue, 0, 1, 0])
    #expect(b.u32(at: op + 4) == 1 | 0xFFFF << 16)  // reads tensor 1, no second input
    #expect(b.u32(at: op + 8) == 2)  // writes tensor 2
    #expect(Array(b[op + 12..<op + 20]) == [5, 5, 1, 1, 2, 2, 2, 2])
    #expect(i32(op + 20) == p.inputOffset && i32(op + 28) == p.outputOffset)
    #expect(i32(op + 32) == p.activationMin && i32(op + 36) == p.activationMax)
    #expect(i32(op + 24) == 0 && i32(op + 40) == 0)
    #expect(b.u32(at: op + 44) == 8)
    let constants = layout.constants
    let multipliers = (0..<8).map { i32(constants + b.u32(at: op + 48) + 4 * $0) }
    let shifts = (0..<8).map { Int(i32(constants + b.u32(at: op + 52) + 4 * $0)) }
    #expect(multipliers == p.outputMultipliers.map(\.multiplier))
    #expect(shifts == p.outputMultipliers.map(\.shift))
    let weights = constants + b.u32(at: op + 56)
    assertBitExact(
      b[weights..<weights + 8 * 25 * 8].map { Int8(bitPattern: $0) }, q.layers[2].weights,
      "conv5 weights")
    let bias = constants + b.u32(at: op + 60)
    assertBitExact((0..<8).map { i32(bias + 4 * $0) }, q.layers[2].bias, "conv5 bias")
    for offset in [48, 52, 56, 60] { #expect(b.u32(at: op + offset) % 16 == 0) }
  }

  @Test func serializationIsDeterministic() throws {
    let q = try TestQuantizer.make(TestGraphs.corners(), seed: 4)
    #expect(try ModelBlob.serialize(q) == ModelBlob.serialize(q))
  }

  @Test func unsupportedGraphsThrowErrorsNamingTheCulprit() throws {
    // An int8 graph relabelled int4: its int8 zero points do not fit int4.
    var q = try TestQuantizer.make(TestGraphs.chain(), seed: 9)
    q.bitWidth = .int4
    let relabelled = #expect(throws: ModelBlobError.self) { try ModelBlob.serialize(q) }
    #expect(
      relabelled?.description.contains("int4 output of node") == true,
      "\(String(describing: relabelled))")

    q = try TestQuantizer.make(TestGraphs.chain(), seed: 9)
    q.layers.removeLast()
    try expectError(q, .layerCountMismatch(graph: "chain", nodes: 7, layers: 6), "7 nodes but 6")

    q = try TestQuantizer.make(TestGraphs.chain(), seed: 9)
    q.layers[3].weights.removeLast()
    try expectError(
      q,
      .weightsMismatch(
        node: "dw3", what: "weights of shape [1, 3, 3, 8]", expected: 72, actual: 71),
      "node 'dw3': weights of shape [1, 3, 3, 8] hold 71 values, its op needs 72")

    q = try TestQuantizer.make(TestGraphs.chain(), seed: 9)
    q.layers[4].output.zeroPoint = 300
    let error = #expect(throws: ModelBlobError.self) { try ModelBlob.serialize(q) }
    #expect(error?.description.contains("node 'project'") == true, "\(String(describing: error))")
    #expect(error?.description.contains("zero point 300") == true)

    var b = GraphBuilder(name: "wide_pool")
    let x = try b.addInput(height: 256, width: 256, channels: 1)
    try b.add(.avgPool(PoolAttributes(kernel: 256, stride: 1)), inputs: [x], name: "pool")
    try expectError(
      try TestQuantizer.make(b.graph, seed: 1),
      .formatLimit(node: "pool", field: "kernel h", value: 256, limit: 255),
      "node 'pool': kernel h 256 exceeds the blob format's limit 255")

    var only = GraphBuilder(name: "only_input")
    try only.addInput(height: 2, width: 2, channels: 1)
    let lone = QuantizedGraph(
      graph: only.graph, bitWidth: .int8, roundingMode: .doubleRounding,
      layers: [QuantizedLayer(output: QuantParams(scale: 1, zeroPoint: 0))])
    try expectError(lone, .emptyGraph(graph: "only_input"), "has no layer after its input")
  }

  private func expectError(
    _ q: QuantizedGraph, _ expected: ModelBlobError, _ text: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let error = #expect(throws: ModelBlobError.self, sourceLocation: sourceLocation) {
      try ModelBlob.serialize(q)
    }
    #expect(error == expected, sourceLocation: sourceLocation)
    #expect(
      error?.description.contains(text) == true, "\(String(describing: error))",
      sourceLocation: sourceLocation)
  }
}

extension ModelBlob {
  /// `bytes` rounded up to the format's alignment (16), recomputed for the layout checks.
  static func alignUpForTests(_ bytes: Int) -> Int { (bytes + 15) / 16 * 16 }
}
