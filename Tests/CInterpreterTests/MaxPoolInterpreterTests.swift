// MaxPoolInterpreterTests.swift
// The max pool op of the blob format (op code 8, added to version 1 without breaking older
// blobs): how it is encoded, that the runtime rejects a max pool that changes the quantization
// or pads by a whole window, and that the Swift writer refuses the same before serializing.

import CInterpreter
import CodeGen
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct MaxPoolInterpreterTests {
  static func blob() throws -> (q: QuantizedGraph, bytes: [UInt8]) {
    let q = try TestQuantizer.make(TestGraphs.maxPooled(), seed: 3)
    return (q, try ModelBlob.serialize(q))
  }

  /// Ops 1 and 3 are max pools: code 8, window fields, no offsets, no constants, the full
  /// int8 clamp; the tensors around each pool share their zero point.
  @Test func maxPoolIsEncodedLikeAnAveragePoolWithItsOwnCode() throws {
    let (q, blob) = try Self.blob()
    let layout = BlobLayout(blob)
    #expect(ModelBlob.version == 1)
    #expect((0..<5).map { blob[layout.op($0, 0)] } == [1, 8, 1, 8, 4])
    #expect(Array(blob[layout.op(3, 12)..<layout.op(3, 20)]) == [3, 3, 2, 2, 1, 1, 0, 1])
    for k in [1, 3] {
      #expect(blob.u32(at: layout.op(k, 20)) == 0 && blob.u32(at: layout.op(k, 28)) == 0)
      #expect(Int32(bitPattern: UInt32(blob.u32(at: layout.op(k, 32)))) == -128)
      #expect(blob.u32(at: layout.op(k, 36)) == 127)
      #expect(blob.u32(at: layout.op(k, 44)) == 0)
      #expect(q.layers[k + 1].output == q.layers[k].output)
    }
    let runtime = Runtime(blob: blob)
    #expect(runtime.initStatus == MCU_INTERP_OK, "\(runtime.message)")
  }

  @Test func runtimeRejectsAChangedZeroPointOrAWholeWindowOfPadding() throws {
    let (_, valid) = try Self.blob()
    let layout = BlobLayout(valid)
    var blob = valid
    // Tensor 2 is pool1's output: give it a zero point other than its input's.
    let zp = Int32(bitPattern: UInt32(valid.u32(at: layout.tensor(2, 12))))
    blob.setU32(Int(UInt32(bitPattern: zp == 127 ? zp - 1 : zp + 1)), at: layout.tensor(2, 12))
    var runtime = Runtime(blob: blob)
    #expect(runtime.initStatus == MCU_INTERP_BAD_PARAMETER)
    #expect(
      runtime.message.contains("op 1 (maxpool): input zero point"), "\(runtime.message)")
    #expect(runtime.message.contains("must be equal"))
    blob = valid
    blob[layout.op(1, 16)] = 2  // pad top 2 on a 2×2 window
    runtime = Runtime(blob: blob)
    #expect(runtime.initStatus == MCU_INTERP_BAD_PARAMETER)
    #expect(
      runtime.message.contains(
        "op 1 (maxpool): padding 2/0/0/0 must be smaller than the 2x2 window"),
      "\(runtime.message)")
  }

  @Test func writerRejectsAMaxPoolThatRequantizes() throws {
    var (q, _) = try Self.blob()
    q.layers[2].output.zeroPoint = q.layers[1].output.zeroPoint == 127 ? 0 : 127
    let error = #expect(throws: ModelBlobError.self) { try ModelBlob.serialize(q) }
    let text = error?.description ?? ""
    #expect(text.contains("node 'pool1': max pool output zero point"), "\(text)")
    #expect(text.contains("keeps its input's quantization"), "\(text)")
  }
}
