// BlobValidationTests.swift
// A blob is untrusted input: mcu_interp_init must reject every corruption with the right status
// and a message that names the problem, and never read or write out of bounds (STYLE.md B5.7:
// test the messages). Hand-made corruptions of each kind, the arena-size errors with the
// required size, calls out of order, and a seeded fuzz loop of random byte flips in which init
// either succeeds (and then invoke runs cleanly) or fails cleanly.

import CInterpreter
import CodeGen
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct BlobValidationTests {
  /// The blob of the residual graph (every table kind, an add with two inputs).
  static func validBlob(_ name: String = "residual") throws -> [UInt8] {
    try ModelBlob.serialize(TestQuantizer.make(TestGraphs.named(name), seed: 3))
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
    #expect(runtime.arenaUsed == nil, sourceLocation: sourceLocation)
    #expect(
      runtime.invoke([0]).status == MCU_INTERP_NOT_INITIALIZED, sourceLocation: sourceLocation)
  }

  @Test func badMagicIsRejected() throws {
    var blob = try Self.validBlob()
    blob[0] = UInt8(ascii: "X")
    expectRejected(blob, MCU_INTERP_BAD_MAGIC, "does not start with \"MCUB\" (bytes 88 67 85 66)")
  }

  @Test func truncatedBlobsAreRejected() throws {
    let blob = try Self.validBlob()
    expectRejected(
      Array(blob.dropLast(16)), MCU_INTERP_TRUNCATED,
      "blob has \(blob.count - 16) bytes but its header says \(blob.count): truncated copy?")
    expectRejected(
      Array(blob.prefix(20)), MCU_INTERP_TRUNCATED,
      "blob has 20 bytes, fewer than the 48-byte header")
    expectRejected(Array(blob.prefix(2)), MCU_INTERP_TRUNCATED, "blob has 2 bytes")
  }

  @Test func otherVersionsAndFlagsAreRejected() throws {
    var blob = try Self.validBlob()
    blob.setU16(2, at: 4)
    expectRejected(
      blob, MCU_INTERP_UNSUPPORTED_VERSION,
      "blob format version 2, but this runtime reads version 1")
    // The int4 flag on an int8 blob: its tensors hold unpacked sizes (16×16×8 input).
    blob = try Self.validBlob()
    blob.setU16(1, at: 6)
    expectRejected(
      blob, MCU_INTERP_BAD_SHAPE,
      "tensor 0 declares 2048 bytes for shape [1, 16, 16, 8] (2048 packed int4 elements take "
        + "1024 bytes")
    blob.setU16(0x80, at: 6)
    expectRejected(
      blob, MCU_INTERP_UNSUPPORTED_FEATURE, "flags 128 set bits this runtime does not know")
    blob.setU16(0x81, at: 6)
    expectRejected(blob, MCU_INTERP_UNSUPPORTED_FEATURE, "flags 129 set bits")
  }

  @Test func outOfRangeTensorIndicesAreRejected() throws {
    let valid = try Self.validBlob()
    let layout = BlobLayout(valid)
    var blob = valid
    blob.setU16(999, at: layout.op(2, 4))
    expectRejected(
      blob, MCU_INTERP_BAD_INDEX, "op 2 (pointwise) reads 1 tensor(s) 999 and 65535")
    blob = valid
    blob.setU16(5, at: layout.op(1, 8))
    expectRejected(blob, MCU_INTERP_BAD_INDEX, "op 1 (depthwise) writes tensor 5; op k must")
    blob = valid
    blob.setU16(blob.u32(at: 12) & 0xFFFF, at: 18)  // output tensor = tensor count
    expectRejected(blob, MCU_INTERP_BAD_INDEX, "output tensor 10 must be 0 and 9")
    blob = valid
    blob.setU16(3, at: 12)  // tensor count no longer op count + 1
    expectRejected(blob, MCU_INTERP_BAD_INDEX, "header counts 3 tensors and 9 ops")
  }

  @Test func constantsOutsideTheirSectionAreRejected() throws {
    let valid = try Self.validBlob()
    let layout = BlobLayout(valid)
    var blob = valid
    blob.setU32(layout.constantBytes - 8, at: layout.op(0, 56))  // weights run off the end
    expectRejected(blob, MCU_INTERP_BAD_OFFSET, "op 0 (pointwise): 192 weight bytes at")
    blob = valid
    blob.setU32(blob.u32(at: layout.op(0, 60)) + 2, at: layout.op(0, 60))  // misaligned bias
    expectRejected(blob, MCU_INTERP_BAD_OFFSET, "op 0 (pointwise): bias (24 int32) at")
    blob = valid
    blob.setU32(valid.count + 64, at: 32)  // constant section longer than the blob
    expectRejected(blob, MCU_INTERP_BAD_LAYOUT, "sections out of place")
  }

  @Test func invalidParametersAndShapesAreRejected() throws {
    let valid = try Self.validBlob()
    let layout = BlobLayout(valid)
    var blob = valid
    blob[layout.op(4, 1)] = 7
    expectRejected(blob, MCU_INTERP_BAD_PARAMETER, "op 4 (depthwise): rounding mode 7")
    blob = valid
    blob[layout.op(0, 0)] = 42
    expectRejected(blob, MCU_INTERP_BAD_PARAMETER, "op 0: unknown opcode 42")
    blob = valid
    let shifts = layout.constants + valid.u32(at: layout.op(0, 52))
    blob.setU32(40, at: shifts + 4)
    expectRejected(blob, MCU_INTERP_BAD_PARAMETER, "op 0 (pointwise): channel 1 has multiplier")
    blob = valid
    blob.setU32(Int(UInt32(bitPattern: -129)), at: layout.op(0, 36))  // clamp max -129
    expectRejected(blob, MCU_INTERP_BAD_PARAMETER, "-129] is not a sub-range of [-128, 127]")
    blob = valid
    blob.setU16(17, at: layout.tensor(1, 2))  // tensor 1: h 16 -> 17, bytes unchanged
    expectRejected(blob, MCU_INTERP_BAD_SHAPE, "tensor 1 declares 6144 bytes for shape [1, 17")
    blob = valid
    blob[layout.op(1, 14)] = 1  // depthwise stride h 2 -> 1: output 8x8 no longer matches
    expectRejected(
      blob, MCU_INTERP_BAD_SHAPE,
      "stride 1x2, padding 1/1/1/1 gives 16x8, but the output tensor is 8x8")
    blob = valid
    blob.setU32(1, at: layout.tensor(0, 20))
    expectRejected(blob, MCU_INTERP_BAD_LAYOUT, "tensor 0: reserved word is not 0")
  }

  @Test func misalignedBlobIsRejectedAndNullArgumentsAreErrors() throws {
    let blob = try Self.validBlob()
    let runtime = Runtime(blob: blob, blobMisalignment: 2)
    #expect(runtime.initStatus == MCU_INTERP_BAD_LAYOUT)
    #expect(runtime.message.contains("blob address is not 4-byte aligned (address mod 4 = 2)"))
    #expect(mcu_interp_init(nil, nil, 0, nil, 0) == MCU_INTERP_ARG_ERROR)
    var it = mcu_interpreter()
    #expect(mcu_interp_init(&it, nil, 0, nil, 0) == MCU_INTERP_ARG_ERROR)
    #expect(String(cString: mcu_interp_error_message(&it)) == "blob and arena must not be NULL")
    #expect(mcu_interp_invoke(&it, nil, nil) == MCU_INTERP_NOT_INITIALIZED)
    let ready = Runtime(blob: blob)
    #expect(ready.invokeWithNullPointers() == MCU_INTERP_ARG_ERROR)
    #expect(statusName(MCU_INTERP_ARENA_TOO_SMALL) == "MCU_INTERP_ARENA_TOO_SMALL")
  }

  /// One arena byte less than needed fails with the exact size in the message; exactly the
  /// needed size works, also when the arena starts off a 16-byte boundary (the pad counts).
  @Test func arenaTooSmallReportsTheRequiredSize() throws {
    let blob = try Self.validBlob()
    let needed = Runtime(blob: blob).required
    #expect(needed.exact)
    try withEvery("misalignment", in: [0, 1, 15]) { misalignment in
      let pad = (16 - misalignment) % 16
      let exact = Runtime(
        blob: blob, arenaBytes: needed.bytes + pad, arenaMisalignment: misalignment)
      #expect(exact.initStatus == MCU_INTERP_OK, "\(exact.message)")
      let short = Runtime(
        blob: blob, arenaBytes: needed.bytes + pad - 1, arenaMisalignment: misalignment)
      #expect(short.initStatus == MCU_INTERP_ARENA_TOO_SMALL)
      #expect(short.required.bytes == needed.bytes + pad && short.required.exact)
      #expect(
        short.message.contains(
          "arena of \(needed.bytes + pad - 1) bytes is too small: this model needs "
            + "\(needed.bytes + pad) bytes"), "\(short.message)")
      #expect(short.message.contains("pass at least \(needed.bytes + pad) bytes"))
      let input = TestQuantizer.input(
        for: try TestQuantizer.make(TestGraphs.residual(), seed: 3), seed: 8)
      #expect(exact.invoke(input).status == MCU_INTERP_OK)
    }
    // Too small even for the persistent structs: an upper bound that is always enough.
    let tiny = Runtime(blob: blob, arenaBytes: 64)
    #expect(tiny.initStatus == MCU_INTERP_ARENA_TOO_SMALL)
    #expect(!tiny.required.exact && tiny.required.bytes >= needed.bytes)
    #expect(tiny.message.contains("arena of 64 bytes cannot even hold the persistent structs"))
    #expect(Runtime(blob: blob, arenaBytes: tiny.required.bytes).initStatus == MCU_INTERP_OK)
  }

  /// Seeded random corruption: 1–4 byte flips per trial, mostly in the header and the tables.
  /// Init must succeed or fail with a known status and a message; a blob it accepts must then
  /// run without a kernel error (constants are only range-checked, so flipped weights pass).
  @Test func randomByteFlipsFailCleanlyOrRun() throws {
    let q = try TestQuantizer.make(TestGraphs.corners(), seed: 12)
    let input = TestQuantizer.input(for: q, seed: 13)
    expectByteFlipsFailCleanlyOrRun(
      try ModelBlob.serialize(q), trials: 400, seed: 0xF1A5, invoke: { $0.invoke(input).status })
  }
}

/// `trials` seeded corruptions of `valid` (1–4 byte flips each, 80 % of them in the header and
/// tables): init succeeds, and then `invoke` runs cleanly, or fails with a known status and a
/// message. Both outcomes must occur, through at least six distinct statuses.
func expectByteFlipsFailCleanlyOrRun(
  _ valid: [UInt8], trials: Int, seed: UInt64,
  invoke: (Runtime) -> mcu_interp_status,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let tables = BlobLayout(valid).constants
  var rng = SeededGenerator(seed: seed)
  var accepted = 0
  var statuses: [String: Int] = [:]
  for trial in 0..<trials {
    var blob = valid
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
      let position =
        Int.random(in: 0..<10, using: &rng) < 8
        ? Int.random(in: 0..<tables, using: &rng) : Int.random(in: 0..<valid.count, using: &rng)
      blob[position] ^= UInt8.random(in: 1...255, using: &rng)
    }
    let runtime = Runtime(blob: blob, arenaBytes: 1 << 16)
    statuses[statusName(runtime.initStatus), default: 0] += 1
    if runtime.initStatus == MCU_INTERP_OK {
      accepted += 1
      #expect(
        invoke(runtime) == MCU_INTERP_OK, "trial \(trial): \(runtime.message)",
        sourceLocation: sourceLocation)
    } else {
      #expect(
        runtime.initStatus.rawValue >= MCU_INTERP_BAD_MAGIC.rawValue
          && runtime.initStatus.rawValue <= MCU_INTERP_ARENA_TOO_SMALL.rawValue,
        "trial \(trial): \(statusName(runtime.initStatus))", sourceLocation: sourceLocation)
      #expect(
        !runtime.message.isEmpty, "trial \(trial): no message", sourceLocation: sourceLocation)
    }
  }
  #expect(
    accepted > 0 && accepted < trials, "accepted \(accepted) of \(trials): \(statuses)",
    sourceLocation: sourceLocation)
  #expect(statuses.count >= 6, "\(statuses)", sourceLocation: sourceLocation)
}
