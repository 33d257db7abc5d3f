// Int4Tests.swift
// The int4 format decisions of Int4.swift: nibble order, sign extension, round trips over all
// 256 bytes and all 256 value pairs, odd counts and range errors.

import Quantization
import Testing
import _TestSupport

@Suite struct Int4Tests {
  /// By hand: 0x7F → low nibble 0xF = −1, high nibble 0x7 = 7; 0x80 → low 0, high −8;
  /// 0xA5 → low 5, high 0xA = −6.
  @Test func nibbleGoldens() {
    #expect(Int4.lowNibble(0x7F) == -1)
    #expect(Int4.highNibble(0x7F) == 7)
    #expect(Int4.lowNibble(0x80) == 0)
    #expect(Int4.highNibble(0x80) == -8)
    #expect(Int4.lowNibble(0xA5) == 5)
    #expect(Int4.highNibble(0xA5) == -6)
    #expect(Int4.pack(5, -6) == 0xA5)
    #expect(Int4.pack(-1, 7) == 0x7F)
  }

  @Test func everyByteUnpacksAndRepacksToItself() {
    let bytes = (0...255).map { UInt8($0) }
    let repacked = bytes.map { Int4.pack(Int4.lowNibble($0), Int4.highNibble($0)) }
    assertBitExact(repacked, bytes, "byte → (low, high) → byte")
    // The unpacked values agree with an arithmetic definition: nibble n ↦ n − 16 if n >= 8.
    let lows = bytes.map { Int4.lowNibble($0) }
    let expected = bytes.map { b in Int8(b & 0x0F >= 8 ? Int(b & 0x0F) - 16 : Int(b & 0x0F)) }
    assertBitExact(lows, expected, "low nibble sign extension")
  }

  @Test func everyValuePairPacksAndUnpacksToItself() throws {
    var firsts: [Int8] = []
    var seconds: [Int8] = []
    for a in Int8(-8)...7 {
      for b in Int8(-8)...7 {
        firsts.append(a)
        seconds.append(b)
      }
    }
    let packed = firsts.indices.map { Int4.pack(firsts[$0], seconds[$0]) }
    #expect(Set(packed).count == 256)
    assertBitExact(packed.map(Int4.lowNibble), firsts)
    assertBitExact(packed.map(Int4.highNibble), seconds)
    // The same through PackedInt4, interleaved: element 2i in the low nibble of byte i.
    let values = firsts.indices.flatMap { [firsts[$0], seconds[$0]] }
    let tensor = try PackedInt4(packing: values)
    assertBitExact(tensor.bytes, packed)
    assertBitExact(tensor.unpacked(), values)
  }

  @Test func oddCountLeavesLastHighNibbleZero() throws {
    let t = try PackedInt4(packing: [1, -2, 3])
    #expect(t.bytes == [0xE1, 0x03])
    #expect(t.count == 3)
    #expect(t.unpacked() == [1, -2, 3])
    #expect(try PackedInt4(bytes: [0xE1, 0xF3], count: 3).unpacked() == [1, -2, 3])
    #expect(try PackedInt4(packing: []).bytes.isEmpty)
  }

  @Test func outOfRangeValuesAndBufferSizesThrowWithTheIndex() {
    #expect(
      throws: QuantizationError.valueOutOfRange(
        what: "int4 value", index: 2, value: 8, range: -8...7)
    ) {
      try PackedInt4(packing: [0, 1, 8])
    }
    #expect(throws: QuantizationError.self) { try PackedInt4(bytes: [0, 0], count: 5) }
    #expect(
      throws: QuantizationError.valueOutOfRange(what: "w", index: 1, value: -8, range: -7...7)
    ) {
      try Int4.validate([7, -8], range: BitWidth.int4.weightRange, what: "w")
    }
  }
}
