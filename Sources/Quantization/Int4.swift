// Int4.swift
// The int4 storage format: what the values mean and how they are packed two per byte. The paper
// states only "4-bit linear quantization of weights and activations" (MCUNet Table 4); the
// format was never released (paper_facts §13), so this file is the project's decision.
//
// ## Decisions (int4)
//
// | | signedness | zero point | stored range | granularity |
// |---|---|---|---|---|
// | weights | signed two's complement | 0 (symmetric) | `-7...7` (−8 unused) | per output channel |
// | activations | signed two's complement | `zp` in `-8...7` | `-8...7` | per tensor |
// | bias | int32, scale `s_in·s_w[c]` | 0 | Int32 | per output channel |
//
// Why: this is int8's scheme (TFLite spec: symmetric narrow-range weights, asymmetric full-range
// activations) with 4-bit bounds, so every quantizer, multiplier and clamp rule is shared; only
// `BitWidth.int4`'s ranges differ. Symmetric weights avoid −8 so that negation is closed, as
// int8 weights avoid −128.
//
// ## Packing
//
// Element `i` of a flat tensor (NHWC or OHWI order, across row and channel boundaries) goes into
// byte `i / 2`: even `i` in the LOW nibble (`b & 0x0F`), odd `i` in the HIGH nibble
// (`(b & 0xF0) >> 4`), as TinyEngine packs (`b4_assign_requantize`: `(ch0 & 0x0F) | (ch1 << 4)`).
// A nibble holds the value's 4-bit two's complement; unpacking sign-extends it. An odd element
// count leaves the last high nibble 0 (ignored when unpacking).
//
// ## Relation to TinyEngine
//
// TinyEngine's unpack zero-extends nibbles (`u` in `0...15`) and adds an offset, i.e. it treats
// int4 as unsigned. The two are the same number line shifted by 8: a signed value `s` with zero
// point `zp` equals the unsigned `u = s + 8` with zero point `zp + 8` (nibble `u = nibble ^ 0x8`).
// A code generator for TinyEngine-style kernels flips bit 3 of every activation nibble and
// adds 8 to the zero points; weights (zp 0) become `u = s + 8` with a weight offset of −8.
//
// ## Arithmetic
//
// Accumulation and requantization are int8's unchanged (int32 accumulators, per-channel
// `FixedPointMultiplier`, the same RoundingMode); only the output clamp is `-8...7` (tightened by
// the activation) and the result is packed. Accumulator bound: `|w·(x − zp)| <= 7·15 = 105`.

/// A flat tensor of int4 values packed two per byte (low nibble first, see Int4.swift).
public struct PackedInt4: Hashable, Sendable, Codable {
  /// The packed bytes, `(count + 1) / 2` of them.
  public private(set) var bytes: [UInt8]
  /// The number of int4 elements stored.
  public let count: Int

  /// Packs `values`, each of which must lie in `-8...7`.
  ///
  /// - Throws: `QuantizationError.valueOutOfRange` naming the first value that does not fit.
  public init(packing values: [Int8]) throws(QuantizationError) {
    var bytes = [UInt8](repeating: 0, count: (values.count + 1) / 2)
    for (i, v) in values.enumerated() {
      guard BitWidth.int4.activationRange.contains(Int32(v)) else {
        throw .valueOutOfRange(
          what: "int4 value", index: i, value: Int32(v), range: BitWidth.int4.activationRange)
      }
      let nibble = UInt8(bitPattern: v) & 0x0F
      bytes[i / 2] |= i % 2 == 0 ? nibble : nibble << 4
    }
    self.bytes = bytes
    self.count = values.count
  }

  /// Wraps already-packed bytes holding `count` elements.
  ///
  /// - Throws: `.shapeMismatch` unless `bytes.count == (count + 1) / 2`.
  public init(bytes: [UInt8], count: Int) throws(QuantizationError) {
    guard count >= 0, bytes.count == (count + 1) / 2 else {
      throw .shapeMismatch(
        what: "packed int4 buffer",
        expected: "\((max(count, 0) + 1) / 2) bytes for \(count) values",
        actual: "\(bytes.count) bytes")
    }
    self.bytes = bytes
    self.count = count
  }

  /// Element `i`, sign-extended to Int8.
  public subscript(i: Int) -> Int8 {
    precondition(i >= 0 && i < count, "int4 index \(i) out of 0..<\(count)")
    let byte = bytes[i / 2]
    return i % 2 == 0 ? Int4.lowNibble(byte) : Int4.highNibble(byte)
  }

  /// All elements, sign-extended to Int8 (each in `-8...7`).
  public func unpacked() -> [Int8] {
    (0..<count).map { self[$0] }
  }
}

/// Nibble helpers of the int4 format (caseless namespace).
public enum Int4 {
  /// The signed value of the low nibble `b & 0x0F` (first element of a byte).
  public static func lowNibble(_ b: UInt8) -> Int8 {
    // Move the nibble to the top, then an arithmetic shift sign-extends it.
    Int8(bitPattern: b << 4) >> 4
  }

  /// The signed value of the high nibble `(b & 0xF0) >> 4` (second element of a byte).
  public static func highNibble(_ b: UInt8) -> Int8 {
    Int8(bitPattern: b) >> 4
  }

  /// Packs two values in `-8...7` into one byte, `first` in the low nibble.
  public static func pack(_ first: Int8, _ second: Int8) -> UInt8 {
    precondition((-8...7).contains(first) && (-8...7).contains(second), "int4 values out of -8...7")
    return (UInt8(bitPattern: first) & 0x0F) | ((UInt8(bitPattern: second) & 0x0F) << 4)
  }

  /// Checks that every value of `values` lies in `range`, such as `BitWidth.int4.weightRange`.
  ///
  /// - Throws: `.valueOutOfRange` naming the first offending element.
  public static func validate(_ values: [Int8], range: ClosedRange<Int32>, what: String)
    throws(QuantizationError)
  {
    for (i, v) in values.enumerated() where !range.contains(Int32(v)) {
      throw .valueOutOfRange(what: what, index: i, value: Int32(v), range: range)
    }
  }
}
