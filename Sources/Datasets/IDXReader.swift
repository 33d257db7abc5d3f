// IDXReader.swift
// IDX files (LeCun's MNIST format; Fashion-MNIST uses it), plain or gzip-compressed: read through
// zlib's gzopen/gzread, which also reads uncompressed files transparently. Header: two zero
// bytes, a type code (0x08 = unsigned byte, the only one MNIST-style files use), the rank, then
// one big-endian UInt32 per dimension; the data follows in row-major order.

import CZlib

/// An unsigned-byte IDX array.
public struct IDXArray: Sendable, Equatable {
  /// Dimensions, outermost first (e.g. [60000, 28, 28]).
  public var dims: [Int]
  /// `dims.reduce(1, *)` bytes, row-major.
  public var bytes: [UInt8]
}

/// Reads IDX files.
public enum IDXReader {
  /// Reads an IDX file (`.gz` or not).
  ///
  /// - Throws: `DatasetError.fileNotFound`, or `.invalidIDX` naming what is wrong.
  public static func read(path: String) throws -> IDXArray {
    let hint = "Fashion-MNIST comes from `apt-get install dataset-fashion-mnist`"
    guard FileSystem.exists(path) else { throw DatasetError.fileNotFound(path: path, hint: hint) }
    let bytes = try gunzip(path: path)
    guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
      throw DatasetError.invalidIDX(path: path, reason: "the magic number does not start 00 00")
    }
    guard bytes[2] == 0x08 else {
      throw DatasetError.invalidIDX(
        path: path, reason: "element type 0x\(String(bytes[2], radix: 16)), only 0x08 (ubyte)")
    }
    let rank = Int(bytes[3])
    guard rank >= 1, bytes.count >= 4 + 4 * rank else {
      throw DatasetError.invalidIDX(path: path, reason: "header of rank \(rank) is truncated")
    }
    let dims = (0..<rank).map { d in
      (0..<4).reduce(0) { $0 << 8 | Int(bytes[4 + 4 * d + $1]) }
    }
    let start = 4 + 4 * rank
    let count = dims.reduce(1, *)
    guard bytes.count - start == count else {
      throw DatasetError.invalidIDX(
        path: path,
        reason: "header says \(dims) = \(count) bytes, the file holds \(bytes.count - start)")
    }
    return IDXArray(dims: dims, bytes: Array(bytes[start...]))
  }

  /// The whole (decompressed) content of a gzip or plain file.
  static func gunzip(path: String) throws -> [UInt8] {
    guard let file = gzopen(path, "rb") else {
      throw DatasetError.ioFailed(path: path, reason: "gzopen failed")
    }
    defer { gzclose(file) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
      if n < 0 {
        var code: Int32 = 0
        let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown zlib error"
        throw DatasetError.invalidIDX(path: path, reason: "gzip data is corrupt: \(message)")
      }
      if n == 0 { break }
      out += chunk[0..<Int(n)]
    }
    return out
  }
}
