// NPYReader.swift
// NumPy `.npy` arrays (format versions 1–3): magic `\x93NUMPY`, version, header length
// (UInt16 LE in v1, UInt32 LE in v2/3), a Python-dict header
// `{'descr': '<f8', 'fortran_order': False, 'shape': (200, 25, 25), }`, then the raw data.
// Supported dtypes: little-endian float64 `<f8`, float32 `<f4`, and uint8 `|u1`; C order only.
// scikit-image's `lfw_subset.npy` is `<f8` of shape (200, 25, 25).

/// A `.npy` array converted to Float64.
public struct NPYArray: Sendable, Equatable {
  /// Dimensions, outermost first.
  public var shape: [Int]
  /// The dtype string of the file (`<f8`, `<f4`, `|u1`).
  public var dtype: String
  /// `shape.reduce(1, *)` values, C (row-major) order.
  public var values: [Double]
}

/// Reads `.npy` files.
public enum NPYReader {
  /// Reads and decodes a `.npy` file.
  public static func read(path: String) throws -> NPYArray {
    try decode(FileSystem.read(path), path: path)
  }

  /// Decodes `.npy` bytes; `path` names the file in errors.
  public static func decode(_ bytes: [UInt8], path: String) throws -> NPYArray {
    func fail(_ reason: String) -> DatasetError { .invalidNPY(path: path, reason: reason) }
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    guard bytes.count >= 10, Array(bytes.prefix(6)) == magic else { throw fail("no NUMPY magic") }
    let major = bytes[6]
    let lengthBytes = major == 1 ? 2 : 4
    guard (1...3).contains(major), bytes.count >= 8 + lengthBytes else {
      throw fail("unsupported format version \(major)")
    }
    let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
    let start = 8 + lengthBytes + headerLength
    guard bytes.count >= start else { throw fail("header of \(headerLength) bytes is truncated") }
    let header = String(decoding: bytes[(8 + lengthBytes)..<start], as: UTF8.self)
    guard let dtype = field("descr", in: header), let shapeText = field("shape", in: header),
      let order = field("fortran_order", in: header)
    else { throw fail("header lacks descr/fortran_order/shape: \(header)") }
    guard order == "False" else { throw fail("Fortran order is not supported; save with C order") }
    let shape = shapeText.split(separator: ",").compactMap {
      Int($0.filter { !" ()".contains($0) })
    }
    let count = shape.reduce(1, *)
    let width = ["<f8": 8, "<f4": 4, "|u1": 1, "<u1": 1][dtype]
    guard let width else { throw fail("dtype \(dtype) is not one of <f8, <f4, |u1") }
    guard bytes.count - start == count * width else {
      throw fail("shape \(shape) needs \(count * width) data bytes, found \(bytes.count - start)")
    }
    let values = (0..<count).map { i -> Double in
      let at = start + i * width
      switch width {
      case 8: return Double(bitPattern: littleEndian(bytes, at, 8))
      case 4: return Double(Float(bitPattern: UInt32(littleEndian(bytes, at, 4))))
      default: return Double(bytes[at])
      }
    }
    return NPYArray(shape: shape, dtype: dtype, values: values)
  }

  /// The text value of `'key': value` in a Python dict literal (quotes removed).
  static func field(_ key: String, in header: String) -> String? {
    guard let keyRange = header.range(of: "'\(key)'") else { return nil }
    var rest = header[keyRange.upperBound...].drop { $0 == " " || $0 == ":" }
    if rest.first == "(" {
      guard let close = rest.firstIndex(of: ")") else { return nil }
      return String(rest[...close])
    }
    if rest.first == "'" {
      rest = rest.dropFirst()
      return rest.firstIndex(of: "'").map { String(rest[..<$0]) }
    }
    return String(rest.prefix { $0 != "," && $0 != "}" }).trimmingSpaces()
  }

  private static func littleEndian(_ b: [UInt8], _ at: Int, _ n: Int) -> UInt64 {
    (0..<n).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
  }
}

extension String {
  fileprivate func trimmingSpaces() -> String {
    String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
  }
}
