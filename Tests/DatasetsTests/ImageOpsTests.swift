// ImageOpsTests.swift
// Hand-computed goldens for resize/crop on 4×4 inputs (values 4y + x), the MIT eval transforms
// and torchvision's RandomResizedCrop (determinism, bounds, fallback).

import TensorModule
import Testing
import _TestSupport

@testable import Datasets

/// A one-channel image with pixel (y, x) = `width * y + x`.
private func ramp(_ height: Int, _ width: Int) -> FloatImage {
  FloatImage(
    height: height, width: width, channels: 1,
    data: (0..<(height * width)).map { Float($0) })
}

@Suite struct ImageOpsTests {
  /// 4→2, PyTorch align_corners=False: src = (d + 0.5) * 2 - 0.5 = 0.5, 2.5, so each output is
  /// the mean of a 2×2 block: (0+1+4+5)/4 = 2.5, (2+3+6+7)/4 = 4.5, 10.5, 12.5.
  @Test func bilinearDownscaleMatchesPyTorchAlignCornersFalse() {
    let out = ImageOps.resize(ramp(4, 4), height: 2, width: 2, antialias: false)
    assertClose(out.data, [2.5, 4.5, 10.5, 12.5])
  }

  /// 4→2 with antialias (PIL triangle, support 2): taps of output 0 are inputs 0, 1, 2 with
  /// weights 0.75, 0.75, 0.25 normalised to 3/7, 3/7, 1/7; output 1: 1/7, 3/7, 3/7. Along one
  /// axis of [0, 1, 2, 3]: 5/7 and 16/7; the image is 4y + x, so out = 4 r_y + r_x.
  @Test func antialiasedDownscaleMatchesPILTriangleFilter() {
    let out = ImageOps.resize(ramp(4, 4), height: 2, width: 2, antialias: true)
    let expected: [Double] = [25, 36, 69, 80]
    assertClose(out.data, expected.map { Float($0 / 7) })
  }

  /// 2→4: src = (d + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (neighbour clamped)
  /// → along one axis of [0, 1]: 0, 0.25, 0.75, 1. Image 2y + x → out = 2 r_y + r_x. Enlarging,
  /// the antialiased filter gives the same values.
  @Test func bilinearUpscaleClampsAtTheBorders() {
    let r: [Float] = [0, 0.25, 0.75, 1]
    let expected = r.flatMap { ry in r.map { rx in 2 * ry + rx } }
    withEvery("antialias", in: [false, true]) { antialias in
      let out = ImageOps.resize(ramp(2, 2), height: 4, width: 4, antialias: antialias)
      assertClose(out.data, expected)
    }
  }

  @Test func resizeKeepsChannelsSeparate() {
    let image = FloatImage(height: 1, width: 2, channels: 2, data: [0, 10, 2, 30])
    let out = ImageOps.resize(image, height: 1, width: 1, antialias: false)
    assertClose(out.data, [1, 20])
  }

  /// torchvision CenterCrop: top = round((H - h) / 2) with half-to-even.
  @Test func centerCropUsesPythonRounding() {
    assertClose(ImageOps.centerCrop(ramp(4, 4), height: 2, width: 2).data, [5, 6, 9, 10])
    // (4 - 3) / 2 = 0.5 rounds to 0; (5 - 2) / 2 = 1.5 rounds to 2.
    assertClose(
      ImageOps.centerCrop(ramp(4, 4), height: 3, width: 3).data, [0, 1, 2, 4, 5, 6, 8, 9, 10])
    assertClose(ImageOps.centerCrop(ramp(5, 5), height: 2, width: 2).data, [12, 13, 17, 18])
  }

  @Test func centerCropLargerThanImagePadsWithZeros() {
    let out = ImageOps.centerCrop(ramp(2, 2), height: 4, width: 4)
    assertClose(out.data, [0, 0, 0, 0, 0, 0, 1, 0, 0, 2, 3, 0, 0, 0, 0, 0])
  }

  @Test func cropOutsideTheImageIsZero() {
    let out = ImageOps.crop(ramp(4, 4), top: 3, left: -1, height: 2, width: 2)
    assertClose(out.data, [0, 12, 0, 0])
  }

  @Test func resizeShorterSideTruncatesTheLongerSide() {
    let wide = ImageOps.resizeShorterSide(ramp(4, 8), to: 2, antialias: true)
    #expect((wide.height, wide.width) == (2, 4))
    let tall = ImageOps.resizeShorterSide(ramp(6, 4), to: 3, antialias: true)
    #expect((tall.height, tall.width) == (4, 3))  // int(3 * 6 / 4) = int(4.5) = 4
  }

  @Test func flipAndNormalize() {
    assertClose(ImageOps.flipHorizontally(ramp(2, 3)).data, [2, 1, 0, 5, 4, 3])
    let image = FloatImage(height: 1, width: 1, channels: 2, data: [1, 0])
    assertClose(ImageOps.normalize(image, mean: [0.5, 0.5], std: [0.5, 0.25]).data, [1, -2])
  }

  @Test func imageNetEvalResizeSizeIsIntOfR256Over224() {
    let sizes = [224, 160, 128, 96, 7].map(ImageTransform.imageNetResizeSize(resolution:))
    #expect(sizes == [256, 182, 146, 109, 8])
  }

  /// r = 4: resize to int(4 * 256 / 224) = 4 (identity), centre crop 4; gray → 3 channels;
  /// x / 255 normalised with mean = std = 0.5 → x / 127.5 - 1.
  @Test func imageNetEvalTransformOnAnIdentitySizedGrayImage() {
    let pixels = (0..<16).map { UInt8($0 * 17) }
    let image = ByteImage(height: 4, width: 4, channels: 1, pixels: pixels)
    var rng = SeededGenerator(seed: 1)
    let out = ImageTransform.imageNetEval(resolution: 4).apply(image, rng: &rng)
    #expect((out.height, out.width, out.channels) == (4, 4, 3))
    let expected = pixels.flatMap { p in Array(repeating: Float(p) / 255 * 2 - 1, count: 3) }
    assertClose(out.data, expected, atol: 1e-6)
  }

  /// VWW eval squashes to r × r without cropping: a 2×4 image becomes 2×2 (columns averaged).
  @Test func visualWakeWordsEvalSquashesWithoutCropping() {
    let image = ByteImage(
      height: 2, width: 4, channels: 1, pixels: [0, 0, 255, 255, 0, 0, 255, 255])
    var rng = SeededGenerator(seed: 1)
    let out = ImageTransform(.squashEval, resolution: 2, channels: 1).apply(image, rng: &rng)
    // antialias 4→2: output 0 = (3·0 + 3·0 + 1·255) / 7 → normalised (255/7)/127.5 - 1.
    let low = Float(255.0 / 7 / 127.5 - 1)
    assertClose(out.data, [low, -low, low, -low], atol: 1e-5)
  }

  @Test func randomResizedCropIsSeededAndStaysInBounds() {
    let crop = RandomResizedCrop()
    var a = SeededGenerator(seed: 42)
    var b = SeededGenerator(seed: 42)
    for _ in 0..<500 {
      let box = crop.sampleBox(height: 30, width: 50, rng: &a)
      #expect(box == crop.sampleBox(height: 30, width: 50, rng: &b))
      #expect(box.top >= 0 && box.left >= 0 && box.height >= 1 && box.width >= 1)
      #expect(box.top + box.height <= 30 && box.left + box.width <= 50)
      // Rounding of w and h can move the area and ratio slightly outside the sampled range.
      let area = Double(box.height * box.width) / 1500
      #expect(area >= 0.08 * 0.7 && area <= 1.0)
    }
  }

  @Test func randomResizedCropFallsBackToTheClampedCentreCrop() {
    // An impossible scale range forces the fallback; 10×40 has ratio 4 > 4/3, so h = 10 and
    // w = round(10 · 4/3) = 13, centred: left = (40 - 13) / 2 = 13.
    let crop = RandomResizedCrop(scale: 2...3)
    var rng = SeededGenerator(seed: 7)
    let box = crop.sampleBox(height: 10, width: 40, rng: &rng)
    #expect(box == RandomResizedCrop.Box(top: 0, left: 13, height: 10, width: 13))
    let square = crop.sampleBox(height: 9, width: 9, rng: &rng)
    #expect(square == RandomResizedCrop.Box(top: 0, left: 0, height: 9, width: 9))
  }

  @Test func trainAugmentIsDeterministicPerSeedAndVariesAcrossSeeds() {
    let image = patternImage(height: 20, width: 24, channels: 3)
    let transform = ImageTransform.trainAugment(resolution: 8)
    var first = SeededGenerator(seed: 3)
    var second = SeededGenerator(seed: 3)
    var other = SeededGenerator(seed: 4)
    let a = transform.apply(image, rng: &first)
    #expect(a == transform.apply(image, rng: &second))
    #expect(a != transform.apply(image, rng: &other))
    #expect((a.height, a.width, a.channels) == (8, 8, 3))
    #expect(a.data.allSatisfy { $0 >= -1 - 1e-6 && $0 <= 1 + 1e-6 })
  }
}
