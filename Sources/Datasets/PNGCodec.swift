// PNGCodec.swift
// PNG decoding and encoding through libpng's simplified API (png_image_*), which reports errors
// in the png_image struct instead of longjmp (native-deps.md Part A §2). 8-bit gray and RGB
// out; palette, 16-bit and alpha images are converted on read (alpha is dropped, as PIL's
// `convert("RGB")` in torchvision's ImageFolder loader does).

import CPNG

/// PNG ⇄ ByteImage.
public enum PNGCodec {
  /// The 8-byte PNG signature.
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Decodes a PNG held in memory; `path` only names the file in errors.
  public static func decode(_ bytes: [UInt8], path: String) throws -> ByteImage {
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    defer { png_image_free(&image) }
    let begun = bytes.withUnsafeBytes { raw in
      png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
    }
    guard begun != 0 else { throw DatasetError.corruptImage(path: path, reason: message(image)) }
    let isColor = image.format & PNG_FORMAT_FLAG_COLOR != 0
    let hasAlpha = image.format & PNG_FORMAT_FLAG_ALPHA != 0
    let channels = isColor ? 3 : 1
    let stored = channels + (hasAlpha ? 1 : 0)
    // Request 8-bit sRGB, keeping alpha when present, so libpng never composites.
    image.format = (isColor ? PNG_FORMAT_FLAG_COLOR : 0) | (hasAlpha ? PNG_FORMAT_FLAG_ALPHA : 0)
    let width = Int(image.width)
    let height = Int(image.height)
    var buffer = [UInt8](repeating: 0, count: width * height * stored)
    let finished = buffer.withUnsafeMutableBytes { raw in
      png_image_finish_read(&image, nil, raw.baseAddress, Int32(width * stored), nil)
    }
    guard finished != 0 else { throw DatasetError.corruptImage(path: path, reason: message(image)) }
    if hasAlpha { buffer = dropAlpha(buffer, channels: channels) }
    return ByteImage(height: height, width: width, channels: channels, pixels: buffer)
  }

  /// Encodes a gray or RGB image as an 8-bit PNG in memory.
  public static func encode(_ image: ByteImage) throws -> [UInt8] {
    var png = png_image()
    png.version = UInt32(PNG_IMAGE_VERSION)
    png.width = UInt32(image.width)
    png.height = UInt32(image.height)
    png.format = image.channels == 3 ? PNG_FORMAT_FLAG_COLOR : 0
    defer { png_image_free(&png) }
    let stride = Int32(image.width * image.channels)
    var size: png_alloc_size_t = 0
    let sized = image.pixels.withUnsafeBytes { pixels in
      png_image_write_to_memory(&png, nil, &size, 0, pixels.baseAddress, stride, nil)
    }
    guard sized != 0, size > 0 else { throw encodeError(png) }
    var out = [UInt8](repeating: 0, count: Int(size))
    let written = out.withUnsafeMutableBytes { memory in
      image.pixels.withUnsafeBytes { pixels in
        png_image_write_to_memory(
          &png, memory.baseAddress, &size, 0, pixels.baseAddress, stride, nil)
      }
    }
    guard written != 0 else { throw encodeError(png) }
    return Array(out.prefix(Int(size)))
  }

  /// Reads and decodes a PNG file.
  public static func read(path: String) throws -> ByteImage {
    try decode(FileSystem.read(path), path: path)
  }

  /// Whether `bytes` start with the PNG signature.
  public static func isPNG(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 8 && Array(bytes.prefix(8)) == signature
  }

  // MARK: - Helpers

  private static func dropAlpha(_ buffer: [UInt8], channels: Int) -> [UInt8] {
    let stored = channels + 1
    let count = buffer.count / stored
    var out = [UInt8](repeating: 0, count: count * channels)
    for i in 0..<count {
      for c in 0..<channels { out[i * channels + c] = buffer[i * stored + c] }
    }
    return out
  }

  /// libpng's message, a NUL-terminated `char[64]` inside the struct.
  private static func message(_ image: png_image) -> String {
    let text = withUnsafeBytes(of: image.message) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    return text.isEmpty ? "libpng reported an error without a message" : "libpng: \(text)"
  }

  private static func encodeError(_ image: png_image) -> DatasetError {
    .invalidArgument("PNG encoding failed: \(message(image))")
  }
}
