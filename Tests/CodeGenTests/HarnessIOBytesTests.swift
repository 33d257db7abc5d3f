// HarnessIOBytesTests.swift
// The I/O format of generated and interpreter programs (Harness.ioBytes / ioValues, used by
// Runner's BuiltProgram.run): int8 passes through, int4 values are packed two per byte exactly
// as Quantization's PackedInt4 packs them (odd counts end with a zero high nibble), unpacking
// inverts it, and a value outside -8...7 is refused by name.

import Quantization
import TensorModule
import Testing

@testable import CodeGen

@Suite struct HarnessIOBytesTests {
  static func manifest(_ precision: String) -> Manifest {
    Manifest(
      model: "m", kind: "interpreter", planner: "p", arenaBytes: 0, kernels: [],
      roundingMode: "doubleRounding", precision: precision, inputShape: [1, 1, 1, 5],
      outputShape: [1, 1, 1, 5])
  }

  @Test func int8PassesThrough() throws {
    let values: [Int8] = [-128, -1, 0, 1, 127]
    let m = Self.manifest("int8")
    let bytes = try Harness.ioBytes(values, manifest: m, what: "input")
    #expect(bytes == [0x80, 0xFF, 0x00, 0x01, 0x7F])
    #expect(Harness.ioValues(bytes, count: 5, manifest: m) == values)
    #expect(Harness.ioByteCount(5, manifest: m) == 5)
  }

  /// Hand-packed golden, then every odd and even length of seeded random values against
  /// PackedInt4 (the format's definition) and back.
  @Test func int4PacksLikePackedInt4AndUnpacksBack() throws {
    let m = Self.manifest("int4")
    #expect(try Harness.ioBytes([1, -2, 7, -8, 3], manifest: m, what: "x") == [0xE1, 0x87, 0x03])
    var rng = SeededGenerator(seed: 4)
    for count in 0..<12 {
      let values = (0..<count).map { _ in Int8.random(in: -8...7, using: &rng) }
      let bytes = try Harness.ioBytes(values, manifest: m, what: "x")
      #expect(bytes == (try PackedInt4(packing: values)).bytes, "count \(count)")
      #expect(Harness.ioByteCount(count, manifest: m) == bytes.count)
      #expect(Harness.ioValues(bytes, count: count, manifest: m) == values, "count \(count)")
    }
  }

  @Test func int4ValueOutOfRangeIsNamed() {
    #expect(throws: CodeGenError.harnessValueOutOfRange(what: "input", index: 2, value: 8)) {
      _ = try Harness.ioBytes([0, 1, 8], manifest: Self.manifest("int4"), what: "input")
    }
  }
}
