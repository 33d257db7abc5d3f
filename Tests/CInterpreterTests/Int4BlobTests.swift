// Int4BlobTests.swift
// The int4 variant of the blob format (flag bit 0): every tensor and op entry of an int4 blob
// decoded by hand against its QuantizedGraph (packed sizes, packed weights, int4 ranges); the
// writer's int4 errors; and the runtime's rejection of corrupted int4 blobs (clear flag,
// unpacked sizes, int4 ranges, packed weight bounds to the byte) plus a seeded byte-flip fuzz
// loop, as BlobValidationTests does for int8.

import CInterpreter
import CodeGen
import ModelIR
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct Int4BlobTests {
  static func int4Graph(seed: UInt64 = 3) throws -> QuantizedGraph {
    try TestQuantizer.make(TestGraphs.int4Every(), seed: seed, bitWidth: .int4)
  }

  /// Inits a runtime on `blob` and checks the status and that the message contains `text`.
  func expectRejected(
    _ blob: [UInt8], _ status: mcu_interp_status, _ text: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let runtime = Runtime(blob: blob)
    #expect(
      runtime.initStatus == status,
      "got \(statusName(runtime.initStatus)): \(runtime.message)", sourceLocation: sourceLocation)
    #expect(
      runtime.message.contains(text), "message '\(runtime.message)' lacks '\(text)'",
      sourceLocation: sourceLocation)
    #expect(!runtime.isInt4 && runtime.arenaUsed == nil, sourceLocation: sourceLocation)
  }

  // MARK: - Writer

  /// Header, every tensor entry and every op entry with its constants, decoded by hand: the
  /// flag is set, sizes are packed, weights unpack to the layer's int4 values, zero points,
  /// offsets and clamps lie in int4's range.
  @Test func int4BlobRoundTripsEveryEntry() throws {
    let q = try Self.int4Graph()
    let blob = try ModelBlob(q)
    let b = blob.bytes
    #expect(blob.bitWidth == .int4)
    #expect(b.u32(at: 4) == 1 | ModelBlob.int4Flag << 16)  // version 1, flags: int4
    #expect(b.u32(at: 8) == b.count)
    let layout = BlobLayout(b)
    func u16(_ offset: Int) -> Int { Int(b[offset]) | Int(b[offset + 1]) << 8 }
    func i32(_ offset: Int) -> Int32 { Int32(truncatingIfNeeded: b.u32(at: offset)) }

    for (i, node) in q.graph.nodes.enumerated() {
      let t = layout.tensor(i, 0)
      let dims =
        node.outputShape.dims.count == 4 ? node.outputShape.dims : [1, 1, 1, node.outputShape[1]]
      #expect((0..<4).map { u16(t + 2 * $0) } == dims, "tensor \(i)")
      #expect(b.u32(at: t + 8) == (node.outputElements + 1) / 2, "tensor \(i) packed bytes")
      #expect(i32(t + 12) == q.layers[i].output.zeroPoint)
      #expect((-8...7).contains(i32(t + 12)))
    }
    var weightArrays = 0
    for k in 0..<blob.opCount {
      let node = k + 1
      let layer = q.layers[node]
      let op = layout.op(k, 0)
      #expect(u16(op + 8) == node)
      #expect((-8...7).contains(i32(op + 32)) && (-8...7).contains(i32(op + 36)), "op \(k) clamp")
      // Pools do not use the offsets (their input and output share the quantization).
      let isPool = [6, 7, 8].contains(b[op])
      let zpIn = q.layers[q.graph.nodes[node].inputs[0]].output.zeroPoint
      #expect(i32(op + 20) == (isPool ? 0 : -zpIn), "op \(k) input offset")
      guard !layer.weights.isEmpty else { continue }
      weightArrays += 1
      let start = layout.constants + b.u32(at: op + 56)
      let packedBytes = (layer.weights.count + 1) / 2
      let packed = try PackedInt4(
        bytes: Array(b[start..<start + packedBytes]), count: layer.weights.count)
      assertBitExact(packed.unpacked(), layer.weights, "op \(k) weights")
      if layer.weights.count % 2 == 1 {
        #expect(b[start + packedBytes - 1] >> 4 == 0, "op \(k): last high nibble is padding")
      }
      let bias = layout.constants + b.u32(at: op + 60)
      assertBitExact((0..<layer.bias.count).map { i32(bias + 4 * $0) }, layer.bias, "op \(k) bias")
    }
    #expect(weightArrays == 7)
    // Packed weights: the constant section is smaller than the int8 blob's of the same graph.
    let int8 = try ModelBlob(TestQuantizer.make(TestGraphs.int4Every(), seed: 3))
    #expect(int8.bitWidth == .int8 && int8.bytes.u32(at: 4) == 1)
    #expect(blob.constantBytes < int8.constantBytes)
    #expect(blob.tensorCount == int8.tensorCount && blob.persistentBytes == int8.persistentBytes)
    #expect(try ModelBlob.serialize(q) == b)
  }

  /// int4 values the kernels cannot run are refused at serialization, naming the node.
  @Test func int4WriterErrorsNameTheNode() throws {
    var q = try Self.int4Graph()
    q.layers[1].weights[4] = -8  // symmetric int4 weights stop at -7
    var error = #expect(throws: ModelBlobError.self) { try ModelBlob.serialize(q) }
    #expect(
      error?.description.contains("node 'first_conv'") == true
        && error?.description.contains("int4 weights") == true,
      "\(String(describing: error))")

    q = try Self.int4Graph()
    let add = try #require(q.graph.nodes.firstIndex { $0.name == "b1.add" })
    q.layers[add].output.zeroPoint = 9
    error = #expect(throws: ModelBlobError.self) { try ModelBlob.serialize(q) }
    #expect(
      error?.description.contains("int4 output of node 'b1.add'") == true
        && error?.description.contains("9") == true,
      "\(String(describing: error))")
  }

  // MARK: - Runtime validation

  @Test func int4SizesAndRangesAreValidated() throws {
    let q = try Self.int4Graph()
    let valid = try ModelBlob.serialize(q)
    let layout = BlobLayout(valid)
    #expect(q.graph.input.outputElements == 351)  // 13×9×3, 176 bytes packed

    // Without the flag the packed sizes are wrong for int8.
    var blob = valid
    blob.setU16(0, at: 6)
    expectRejected(
      blob, MCU_INTERP_BAD_SHAPE,
      "tensor 0 declares 176 bytes for shape [1, 13, 9, 3] (351 int8 elements take 351 bytes")
    // With the flag, an unpacked size is wrong.
    blob = valid
    blob.setU32(7 * 5 * 21, at: layout.tensor(2, 8))
    expectRejected(
      blob, MCU_INTERP_BAD_SHAPE,
      "tensor 2 declares 735 bytes for shape [1, 7, 5, 21] (735 packed int4 elements take 368 "
        + "bytes")
    // Zero points and clamps are int4's.
    for zeroPoint in [8, -9] {
      blob = valid
      blob.setU32(Int(UInt32(bitPattern: Int32(zeroPoint))), at: layout.tensor(3, 12))
      expectRejected(
        blob, MCU_INTERP_BAD_PARAMETER,
        "tensor 3 has zero point \(zeroPoint), outside [-8, 7] (int4 model)")
    }
    blob = valid
    blob.setU32(8, at: layout.op(0, 36))
    expectRejected(
      blob, MCU_INTERP_BAD_PARAMETER, "8] is not a sub-range of [-8, 7] (int4 model)")
  }

  /// The first conv has 7·3·3·3 = 189 weights, 95 packed bytes: they may end exactly at the end
  /// of the constant section, not one byte later.
  @Test func packedWeightBoundsAreExactToTheByte() throws {
    let q = try Self.int4Graph()
    let valid = try ModelBlob.serialize(q)
    let layout = BlobLayout(valid)
    #expect(q.layers[1].weights.count == 189)
    var blob = valid
    blob.setU32(layout.constantBytes - 95, at: layout.op(0, 56))
    let fits = Runtime(blob: blob)
    #expect(fits.initStatus == MCU_INTERP_OK, "\(fits.message)")
    blob.setU32(layout.constantBytes - 94, at: layout.op(0, 56))
    expectRejected(
      blob, MCU_INTERP_BAD_OFFSET,
      "op 0 (conv2d): 95 weight bytes at \(layout.constantBytes - 94) (189 packed int4 values)")
  }

  /// Seeded random corruption of an int4 blob, as BlobValidationTests for int8: init succeeds
  /// (and then invoke runs cleanly) or fails with a known status and a message.
  @Test func randomByteFlipsOfAnInt4BlobFailCleanlyOrRun() throws {
    let q = try Self.int4Graph(seed: 12)
    let input = try PackedInt4(packing: TestQuantizer.input(for: q, seed: 13)).bytes
    expectByteFlipsFailCleanlyOrRun(
      try ModelBlob.serialize(q), trials: 300, seed: 0x14F1,
      invoke: { $0.invoke(packed: input).status })
  }
}
