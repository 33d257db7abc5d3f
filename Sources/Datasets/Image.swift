// Image.swift
// The two image values of the loaders: ByteImage (8-bit, as decoded from PNG/JPEG) and
// FloatImage (Float32, the network input). Both are HWC: rows top to bottom, channels
// interleaved; a batch of FloatImages is NHWC (DESIGN.md §3).

/// An 8-bit image as stored in a file: `[H, W, C]` row-major, C = 1 (gray) or 3 (RGB).
public struct ByteImage: Equatable, Sendable {
  public var height: Int
  public var width: Int
  public var channels: Int
  /// `height * width * channels` bytes, `[H, W, C]` row-major.
  public var pixels: [UInt8]

  /// Wraps `pixels`; traps if the count does not match the shape.
  public init(height: Int, width: Int, channels: Int, pixels: [UInt8]) {
    precondition(channels == 1 || channels == 3, "channels must be 1 or 3, got \(channels)")
    precondition(
      pixels.count == height * width * channels,
      "pixel count \(pixels.count) != \(height)x\(width)x\(channels)")
    self.height = height
    self.width = width
    self.channels = channels
    self.pixels = pixels
  }

  /// The image with `channels` channels: gray is replicated to RGB; RGB becomes gray with
  /// PIL's ITU-R 601-2 luma in its fixed-point form (`convert("L")`):
  /// `L = (19595 R + 38470 G + 7471 B + 2^15) >> 16`.
  public func converted(toChannels target: Int) -> ByteImage {
    precondition(target == 1 || target == 3, "channels must be 1 or 3, got \(target)")
    if target == channels { return self }
    let count = height * width
    var out = [UInt8](repeating: 0, count: count * target)
    if target == 3 {
      for i in 0..<count {
        out[3 * i] = pixels[i]
        out[3 * i + 1] = pixels[i]
        out[3 * i + 2] = pixels[i]
      }
    } else {
      for i in 0..<count {
        let r = Int(pixels[3 * i])
        let g = Int(pixels[3 * i + 1])
        let b = Int(pixels[3 * i + 2])
        out[i] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
      }
    }
    return ByteImage(height: height, width: width, channels: target, pixels: out)
  }

  /// The image as Float32 in [0, 1] (`x / 255`, torchvision's `ToTensor`), same layout.
  public func toFloat() -> FloatImage {
    FloatImage(
      height: height, width: width, channels: channels,
      data: pixels.map { Float($0) / 255 })
  }
}

/// A Float32 image `[H, W, C]` row-major: the per-sample slice of an NHWC batch.
public struct FloatImage: Equatable, Sendable {
  public var height: Int
  public var width: Int
  public var channels: Int
  /// `height * width * channels` values, `[H, W, C]` row-major.
  public var data: [Float]

  /// Wraps `data`; traps if the count does not match the shape.
  public init(height: Int, width: Int, channels: Int, data: [Float]) {
    precondition(
      data.count == height * width * channels,
      "value count \(data.count) != \(height)x\(width)x\(channels)")
    self.height = height
    self.width = width
    self.channels = channels
    self.data = data
  }

  /// A zero image.
  public init(height: Int, width: Int, channels: Int) {
    self.init(
      height: height, width: width, channels: channels,
      data: [Float](repeating: 0, count: height * width * channels))
  }

  /// The value at row `y`, column `x`, channel `c`.
  @inlinable public subscript(y: Int, x: Int, c: Int) -> Float {
    get { data[(y * width + x) * channels + c] }
    set { data[(y * width + x) * channels + c] = newValue }
  }

  /// Rounds to 8 bits (`round(clamp(x, 0, 1) * 255)`) for writing a PNG or JPEG.
  public func toBytes() -> ByteImage {
    precondition(channels == 1 || channels == 3, "channels must be 1 or 3, got \(channels)")
    let pixels = data.map { UInt8((min(max($0, 0), 1) * 255).rounded()) }
    return ByteImage(height: height, width: width, channels: channels, pixels: pixels)
  }
}
