// ImageCodecTests.swift
// PNG and JPEG decoding/encoding: exact PNG round trips, an independently encoded PNG (gray,
// RGB, RGBA with alpha dropped), JPEG within tolerance, and corrupt files whose errors name them.

import Foundation
import Testing
import _TestSupport

@testable import Datasets

@Suite struct ImageCodecTests {
  @Test func pngRoundTripIsExactForGrayAndRGB() throws {
    try withEvery("channels", in: [1, 3]) { channels in
      try withEvery("size", in: [(1, 1), (5, 7), (33, 2)]) { size in
        let image = patternImage(height: size.0, width: size.1, channels: channels)
        let bytes = try PNGCodec.encode(image)
        #expect(PNGCodec.isPNG(bytes))
        let decoded = try PNGCodec.decode(bytes, path: "memory.png")
        #expect(decoded.height == image.height && decoded.width == image.width)
        #expect(decoded.channels == channels)
        assertBitExact(decoded.pixels, image.pixels, "pixels")
      }
    }
  }

  @Test func pngDecoderReadsIndependentlyEncodedFilesAndDropsAlpha() throws {
    // RGBA 2x2: alpha differs per pixel; PIL's convert("RGB") keeps RGB, drops alpha.
    let rgba: [UInt8] = [10, 20, 30, 255, 40, 50, 60, 0, 70, 80, 90, 128, 200, 210, 220, 7]
    let png = TinyPNG.encode(width: 2, height: 2, colorType: 6, samples: rgba)
    let decoded = try PNGCodec.decode(png, path: "rgba.png")
    #expect(decoded.channels == 3)
    assertBitExact(decoded.pixels, [10, 20, 30, 40, 50, 60, 70, 80, 90, 200, 210, 220])
    let gray = try PNGCodec.decode(
      TinyPNG.encode(width: 3, height: 1, colorType: 0, samples: [0, 128, 255]), path: "g.png")
    #expect(gray.channels == 1)
    assertBitExact(gray.pixels, [0, 128, 255])
    let grayAlpha = try PNGCodec.decode(
      TinyPNG.encode(width: 2, height: 1, colorType: 4, samples: [5, 0, 250, 255]), path: "ga.png")
    assertBitExact(grayAlpha.pixels, [5, 250])
  }

  @Test func jpegRoundTripStaysWithinCompressionTolerance() throws {
    try withEvery("channels", in: [1, 3]) { channels in
      let image = smoothImage(height: 24, width: 40, channels: channels)
      let jpeg = try JPEGCodec.encode(image, quality: 95)
      #expect(JPEGCodec.isJPEG(jpeg))
      let decoded = try ImageDecoder.decode(jpeg, path: "memory.jpg")
      #expect(decoded.channels == channels && decoded.height == 24 && decoded.width == 40)
      let worst = zip(decoded.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
      #expect(worst <= 6, "max |difference| \(worst) at quality 95")
    }
  }

  @Test func jpegEncoderRejectsQualityOutOfRange() {
    let text = errorText {
      _ = try JPEGCodec.encode(smoothImage(height: 8, width: 8, channels: 1), quality: 0)
    }
    #expect(text.contains("quality must be in 1...100"))
  }

  @Test func corruptImagesThrowErrorsNamingTheFile() throws {
    try withTemporaryDirectory { dir in
      let png = try PNGCodec.encode(patternImage(height: 16, width: 16, channels: 3))
      let jpeg = try JPEGCodec.encode(smoothImage(height: 16, width: 16, channels: 3))
      let cases: [(String, [UInt8], String)] = [
        ("truncated.png", Array(png.prefix(png.count / 2)), "libpng"),
        ("truncated.jpg", Array(jpeg.prefix(jpeg.count / 2)), "libjpeg-turbo"),
        ("text.jpg", Array("not an image".utf8), "neither a PNG nor a JPEG"),
        ("empty.png", [], "the file is empty"),
      ]
      for (name, bytes, reason) in cases {
        let path = dir + "/" + name
        try writeFixture(bytes, to: path)
        let text = errorText { _ = try ImageDecoder.read(path: path) }
        #expect(text.contains("corrupt image \(path)"), "\(text)")
        #expect(text.contains(reason), "\(text)")
      }
      let missing = errorText { _ = try ImageDecoder.read(path: dir + "/absent.png") }
      #expect(missing.contains("file not found: \(dir)/absent.png"))
    }
  }

  @Test func grayRGBConversionFollowsPIL() {
    let rgb = ByteImage(height: 1, width: 2, channels: 3, pixels: [255, 0, 0, 10, 200, 30])
    // PIL: L = (19595 R + 38470 G + 7471 B + 32768) >> 16.
    assertBitExact(rgb.converted(toChannels: 1).pixels, [76, 124])
    let gray = ByteImage(height: 1, width: 2, channels: 1, pixels: [7, 9])
    assertBitExact(gray.converted(toChannels: 3).pixels, [7, 7, 7, 9, 9, 9])
  }
}
