// TestHelpers.swift
// Fixtures the Datasets tests write themselves: temporary folders, a minimal independent PNG
// encoder (stored deflate blocks, so the decoder is checked against bytes libpng did not write),
// IDX bytes and .npy bytes.

import Foundation
import Testing

@testable import Datasets

/// Runs `body` with a fresh temporary directory that is removed afterwards.
func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
  let path = NSTemporaryDirectory() + "datasets-tests-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(atPath: path) }
  try body(path)
}

/// Writes `bytes` to `path`, creating the parent folders.
func writeFixture(_ bytes: [UInt8], to path: String) throws {
  let parent = (path as NSString).deletingLastPathComponent
  try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
  try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// A deterministic test image: pixel (y, x, c) = (7y + 13x + 29c + seed) mod 256.
func patternImage(height: Int, width: Int, channels: Int, seed: Int = 0) -> ByteImage {
  var pixels: [UInt8] = []
  for y in 0..<height {
    for x in 0..<width {
      for c in 0..<channels { pixels.append(UInt8((7 * y + 13 * x + 29 * c + seed) % 256)) }
    }
  }
  return ByteImage(height: height, width: width, channels: channels, pixels: pixels)
}

/// A smooth image (JPEG-friendly): gradients per channel.
func smoothImage(height: Int, width: Int, channels: Int) -> ByteImage {
  var pixels: [UInt8] = []
  for y in 0..<height {
    for x in 0..<width {
      for c in 0..<channels {
        pixels.append(UInt8(min(255, 40 + 3 * x + 2 * y + 30 * c)))
      }
    }
  }
  return ByteImage(height: height, width: width, channels: channels, pixels: pixels)
}

/// A minimal PNG writer independent of libpng: 8-bit, no filter, stored deflate blocks.
enum TinyPNG {
  /// `colorType`: 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA; `samples` row-major interleaved.
  static func encode(width: Int, height: Int, colorType: UInt8, samples: [UInt8]) -> [UInt8] {
    let perPixel = [0: 1, 2: 3, 4: 2, 6: 4][Int(colorType)] ?? 1
    var raw: [UInt8] = []
    for y in 0..<height {
      raw.append(0)  // filter type None
      raw += samples[(y * width * perPixel)..<((y + 1) * width * perPixel)]
    }
    var zlib: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
      let n = min(65_535, raw.count - offset)
      let final: UInt8 = offset + n == raw.count ? 1 : 0
      zlib += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
      zlib += raw[offset..<(offset + n)]
      offset += n
    } while offset < raw.count
    zlib += bigEndian(adler32(raw))
    var ihdr = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
    ihdr += [8, colorType, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr)
      + chunk("IDAT", zlib) + chunk("IEND", [])
  }

  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  static func adler32(_ bytes: [UInt8]) -> UInt32 {
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in bytes {
      a = (a + UInt32(byte)) % 65_521
      b = (b + a) % 65_521
    }
    return b << 16 | a
  }
}

func bigEndian(_ v: UInt32) -> [UInt8] {
  [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
}

/// IDX bytes of unsigned-byte data with the given dims.
func idxBytes(dims: [Int], data: [UInt8]) -> [UInt8] {
  [0, 0, 0x08, UInt8(dims.count)] + dims.flatMap { bigEndian(UInt32($0)) } + data
}

/// `.npy` version-1 bytes with a header padded to a multiple of 64, as NumPy writes it.
func npyBytes(descr: String, shape: [Int], data: [UInt8], fortran: Bool = false) -> [UInt8] {
  let shapeText =
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
  var header =
    "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
  let total = 10 + header.utf8.count + 1
  header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
  let length = header.utf8.count
  return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
    + Array(header.utf8) + data
}

/// Little-endian bytes of Float64 values.
func float64Bytes(_ values: [Double]) -> [UInt8] {
  values.flatMap { v in (0..<8).map { UInt8((v.bitPattern >> (8 * UInt64($0))) & 0xFF) } }
}

/// The error's description, or a failure when nothing was thrown.
func errorText(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation)
  -> String
{
  do {
    try body()
  } catch {
    return "\(error)"
  }
  Issue.record("expected an error", sourceLocation: sourceLocation)
  return ""
}
