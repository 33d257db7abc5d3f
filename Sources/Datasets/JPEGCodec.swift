// JPEGCodec.swift
// JPEG decoding and encoding through libjpeg-turbo's TurboJPEG API (Debian libturbojpeg0-dev).
// TurboJPEG returns error codes (its own C code catches libjpeg's longjmp), so no longjmp ever
// crosses a Swift frame. Decoding uses the accurate integer IDCT and fancy upsampling, the
// defaults of PIL, so pixels match torchvision's PIL loader. Warnings (e.g. a truncated file)
// are treated as errors: a loader must not train on half an image silently.

import CJPEG

/// JPEG ⇄ ByteImage.
public enum JPEGCodec {
  /// Decodes a baseline or progressive JPEG held in memory to gray (for gray JPEGs) or RGB.
  /// CMYK/YCCK JPEGs are rejected. `path` only names the file in errors.
  public static func decode(_ bytes: [UInt8], path: String) throws -> ByteImage {
    guard let handle = tjInitDecompress() else {
      throw DatasetError.corruptImage(path: path, reason: "tjInitDecompress failed")
    }
    defer { tjDestroy(handle) }
    var width: Int32 = 0
    var height: Int32 = 0
    var subsampling: Int32 = 0
    var colorspace: Int32 = 0
    let header = bytes.withUnsafeBufferPointer { buffer in
      tjDecompressHeader3(
        handle, buffer.baseAddress, UInt(buffer.count), &width, &height, &subsampling,
        &colorspace)
    }
    guard header == 0 else { throw DatasetError.corruptImage(path: path, reason: error(handle)) }
    if colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue) {
      throw DatasetError.unsupportedImage(path: path, reason: "CMYK/YCCK JPEG")
    }
    let channels = colorspace == Int32(TJCS_GRAY.rawValue) ? 1 : 3
    let format = channels == 1 ? TJPF_GRAY : TJPF_RGB
    var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
    let status = bytes.withUnsafeBufferPointer { source in
      pixels.withUnsafeMutableBufferPointer { target in
        tjDecompress2(
          handle, source.baseAddress, UInt(source.count), target.baseAddress, width,
          width * Int32(channels), height, Int32(format.rawValue), TJFLAG_ACCURATEDCT)
      }
    }
    guard status == 0 else { throw DatasetError.corruptImage(path: path, reason: error(handle)) }
    return ByteImage(height: Int(height), width: Int(width), channels: channels, pixels: pixels)
  }

  /// Encodes a gray or RGB image as a baseline JPEG; `quality` in 1...100. RGB is stored
  /// 4:4:4 (no chroma subsampling) so small images keep their colour edges.
  public static func encode(_ image: ByteImage, quality: Int = 90) throws -> [UInt8] {
    guard (1...100).contains(quality) else {
      throw DatasetError.invalidArgument("JPEG quality must be in 1...100, got \(quality)")
    }
    guard let handle = tjInitCompress() else {
      throw DatasetError.invalidArgument("tjInitCompress failed")
    }
    defer { tjDestroy(handle) }
    let gray = image.channels == 1
    var output: UnsafeMutablePointer<UInt8>? = nil
    var size: UInt = 0
    let status = image.pixels.withUnsafeBufferPointer { pixels in
      tjCompress2(
        handle, pixels.baseAddress, Int32(image.width), Int32(image.width * image.channels),
        Int32(image.height), Int32((gray ? TJPF_GRAY : TJPF_RGB).rawValue), &output, &size,
        Int32((gray ? TJSAMP_GRAY : TJSAMP_444).rawValue), Int32(quality), TJFLAG_ACCURATEDCT)
    }
    defer { tjFree(output) }
    guard status == 0, let output else {
      throw DatasetError.invalidArgument("JPEG encoding failed: \(error(handle))")
    }
    return Array(UnsafeBufferPointer(start: output, count: Int(size)))
  }

  /// Reads and decodes a JPEG file.
  public static func read(path: String) throws -> ByteImage {
    try decode(FileSystem.read(path), path: path)
  }

  /// Whether `bytes` start with a JPEG SOI marker followed by another marker.
  public static func isJPEG(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
  }

  private static func error(_ handle: tjhandle) -> String {
    guard let text = tjGetErrorStr2(handle) else { return "libjpeg-turbo reported an error" }
    return "libjpeg-turbo: " + String(cString: text)
  }
}

/// Decodes PNG or JPEG, chosen by the file's signature (not its extension).
public enum ImageDecoder {
  /// Decodes PNG or JPEG bytes; `path` names the file in errors.
  public static func decode(_ bytes: [UInt8], path: String) throws -> ByteImage {
    if PNGCodec.isPNG(bytes) { return try PNGCodec.decode(bytes, path: path) }
    if JPEGCodec.isJPEG(bytes) { return try JPEGCodec.decode(bytes, path: path) }
    if bytes.isEmpty { throw DatasetError.corruptImage(path: path, reason: "the file is empty") }
    throw DatasetError.corruptImage(
      path: path, reason: "neither a PNG nor a JPEG signature at the start of the file")
  }

  /// Reads and decodes a PNG or JPEG file.
  public static func read(path: String) throws -> ByteImage {
    try decode(FileSystem.read(path), path: path)
  }
}
