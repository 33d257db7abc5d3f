// ImageOps.swift
// Geometric image operations on Float32 HWC images, with the exact semantics of the PyTorch /
// torchvision functions MIT's data pipeline calls. Readable reference loops, not optimised.
//
// Bilinear resize, `antialias: false`: PyTorch `F.interpolate(mode="bilinear",
// align_corners=False)`: the source coordinate of output index d is
// `max(0, (d + 0.5) * in / out - 0.5)`, its two neighbours are `floor(src)` and
// `min(floor(src) + 1, in - 1)`, weighted `1 - frac` and `frac`; rows after columns.
// Bilinear resize, `antialias: true`: torchvision's `Resize(antialias=True)` (PIL's BILINEAR):
// a triangle filter whose support is widened to the scale factor when shrinking, weights
// normalised over the in-bounds taps. For enlarging the two agree.

/// Resizing, cropping, flipping and normalising `FloatImage`s.
public enum ImageOps {
  /// One output coordinate's taps along one axis: input indices and their weights.
  struct Taps {
    var indices: [Int]
    var weights: [Float]
  }

  /// Bilinear resize to `height × width` (see the file header for the two semantics).
  public static func resize(
    _ image: FloatImage, height: Int, width: Int, antialias: Bool
  ) -> FloatImage {
    precondition(height > 0 && width > 0, "resize target must be positive")
    let columns = taps(input: image.width, output: width, antialias: antialias)
    let rows = taps(input: image.height, output: height, antialias: antialias)
    let c = image.channels
    // Pass 1: along x, [H, W, C] -> [H, width, C].
    var wide = FloatImage(height: image.height, width: width, channels: c)
    for y in 0..<image.height {
      for x in 0..<width {
        for ch in 0..<c {
          var sum: Float = 0
          for (i, w) in zip(columns[x].indices, columns[x].weights) { sum += w * image[y, i, ch] }
          wide[y, x, ch] = sum
        }
      }
    }
    // Pass 2: along y, [H, width, C] -> [height, width, C].
    var out = FloatImage(height: height, width: width, channels: c)
    for y in 0..<height {
      for x in 0..<width {
        for ch in 0..<c {
          var sum: Float = 0
          for (i, w) in zip(rows[y].indices, rows[y].weights) { sum += w * wide[i, x, ch] }
          out[y, x, ch] = sum
        }
      }
    }
    return out
  }

  /// The taps of every output index along one axis.
  static func taps(input: Int, output: Int, antialias: Bool) -> [Taps] {
    let scale = Double(input) / Double(output)
    if !antialias {
      return (0..<output).map { d in
        let source = max(0, (Double(d) + 0.5) * scale - 0.5)
        let i0 = min(Int(source), input - 1)
        let i1 = i0 < input - 1 ? i0 + 1 : i0
        let lambda = Float(source - Double(i0))
        return Taps(indices: [i0, i1], weights: [1 - lambda, lambda])
      }
    }
    // PIL / torchvision antialias: support = max(scale, 1) taps each side of the centre.
    let support = max(scale, 1)
    let inverse = 1 / support
    return (0..<output).map { d in
      let centre = scale * (Double(d) + 0.5)
      let first = max(Int(centre - support + 0.5), 0)
      let last = min(Int(centre + support + 0.5), input)
      var indices: [Int] = []
      var weights: [Double] = []
      for i in first..<last {
        let w = max(0, 1 - abs((Double(i) - centre + 0.5) * inverse))
        indices.append(i)
        weights.append(w)
      }
      let total = weights.reduce(0, +)
      return Taps(indices: indices, weights: weights.map { Float($0 / total) })
    }
  }

  /// Resizes so that the shorter side is `size`, keeping the aspect ratio with torchvision's
  /// rule: the longer side becomes `Int(size * long / short)` (truncated).
  public static func resizeShorterSide(
    _ image: FloatImage, to size: Int, antialias: Bool
  ) -> FloatImage {
    let (h, w) = (image.height, image.width)
    if h <= w {
      return resize(image, height: size, width: size * w / h, antialias: antialias)
    }
    return resize(image, height: size * h / w, width: size, antialias: antialias)
  }

  /// The `height × width` window whose top-left corner is (`top`, `left`); parts outside the
  /// image are zero (torchvision's `F.crop` pads the same way).
  public static func crop(
    _ image: FloatImage, top: Int, left: Int, height: Int, width: Int
  ) -> FloatImage {
    var out = FloatImage(height: height, width: width, channels: image.channels)
    for y in 0..<height where (0..<image.height).contains(top + y) {
      for x in 0..<width where (0..<image.width).contains(left + x) {
        for c in 0..<image.channels { out[y, x, c] = image[top + y, left + x, c] }
      }
    }
    return out
  }

  /// torchvision's `CenterCrop`: top = `round((H - h) / 2)` with Python's round-half-to-even,
  /// same for left; zero padding when the crop is larger than the image.
  public static func centerCrop(_ image: FloatImage, height: Int, width: Int) -> FloatImage {
    if height > image.height || width > image.width {
      // torchvision pads to at least the crop size first (left/top get the smaller half).
      let padTop = max(0, (height - image.height) / 2)
      let padLeft = max(0, (width - image.width) / 2)
      let padded = crop(
        image, top: -padTop, left: -padLeft,
        height: max(height, image.height), width: max(width, image.width))
      return centerCrop(padded, height: height, width: width)
    }
    let top = Int((Double(image.height - height) / 2).rounded(.toNearestOrEven))
    let left = Int((Double(image.width - width) / 2).rounded(.toNearestOrEven))
    return crop(image, top: top, left: left, height: height, width: width)
  }

  /// Mirror image (left ↔ right).
  public static func flipHorizontally(_ image: FloatImage) -> FloatImage {
    var out = image
    for y in 0..<image.height {
      for x in 0..<image.width {
        for c in 0..<image.channels { out[y, x, c] = image[y, image.width - 1 - x, c] }
      }
    }
    return out
  }

  /// `(x - mean[c]) / std[c]` per channel (torchvision's `Normalize`).
  public static func normalize(_ image: FloatImage, mean: [Float], std: [Float]) -> FloatImage {
    precondition(
      mean.count == image.channels && std.count == image.channels,
      "mean/std need one value per channel")
    var out = image
    for i in 0..<out.data.count {
      let c = i % image.channels
      out.data[i] = (image.data[i] - mean[c]) / std[c]
    }
    return out
  }
}
