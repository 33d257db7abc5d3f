// VWWProxy.swift
// The Visual Wake Words proxy: "person" vs "no person" composed from real image parts, written in
// the VWW layout `train/{person,non_person}/*.jpg`, `val/{person,non_person}/*.jpg`.
//   parts: scikit-image's `lfw_subset.npy` (200 gray 25×25 LFW crops: 100 faces, then 100
//          non-faces) and real photos from the scikit-image / scikit-learn wheels that show no
//          person (`backgroundPhotos`);
//   image: a random square crop of a photo (side 30–100 % of the shorter side, random flip),
//          resized to `imageSize`; then one LFW crop, flipped at random, contrast/brightness
//          jittered, scaled to 25–60 % of the side, pasted at a random position with a feathered
//          edge. `person` images get a face; `non_person` images get a non-face patch pasted the
//          same way, so the pasted patch itself is not the cue: half of them an LFW non-face
//          crop, half a gray crop of another photo of the split (LFW's non-faces are mostly flat
//          and dark, so without these a textured patch alone would mean "person").
//   split: faces, non-faces and photos are each split disjointly (seeded) between train and val.
// A proxy, not VWW: faces are small gray LFW crops and the backgrounds are ~17 photos.

import TensorModule

/// The real parts the VWW proxy is made of.
public struct VWWProxySources: Sendable {
  /// `lfw_subset.npy`: `[200, 25, 25]` in [0, 1]; rows 0..<100 faces, 100..<200 non-faces.
  public var lfw: NPYArray
  /// Background photos (gray or RGB), with their file names.
  public var photos: [(name: String, image: ByteImage)]

  public init(lfw: NPYArray, photos: [(name: String, image: ByteImage)]) {
    self.lfw = lfw
    self.photos = photos
  }
}

/// Sizes and ranges of the VWW proxy.
public struct VWWProxyConfig: Codable, Sendable, Equatable {
  /// Side of the square output images in pixels.
  public var imageSize: Int
  public var trainPerClass: Int
  public var valPerClass: Int
  /// Pasted patch side as a fraction of `imageSize`, [lower, upper].
  public var patchFraction: [Double] = [0.25, 0.6]
  /// Fractions of the faces, non-faces and photos reserved for validation.
  public var valFaceFraction = 0.3
  public var valPhotoFraction = 0.3
  /// Fraction of `non_person` patches cut from the photos instead of LFW's non-faces.
  public var photoPatchFraction = 0.5
  public var jpegQuality = 90

  public init(imageSize: Int, trainPerClass: Int, valPerClass: Int) {
    self.imageSize = imageSize
    self.trainPerClass = trainPerClass
    self.valPerClass = valPerClass
  }
}

/// The VWW proxy generator.
public enum VWWProxy {
  /// Photos of the scikit-image 0.26.0 and scikit-learn 1.9.1 wheels used as backgrounds: real
  /// photographs without people (astronaut and camera show people and are excluded, as are the
  /// synthetic images: chessboards, color, logo, horse silhouette, phantom, page, text).
  public static let backgroundPhotos: [String] = [
    "brick.png", "cell.png", "chelsea.png", "china.jpg", "clock_motion.png", "coffee.png",
    "coins.png", "flower.jpg", "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png",
    "moon.png", "motorcycle_left.png", "motorcycle_right.png", "retina.jpg", "rocket.jpg",
  ]

  /// The split assignment: which LFW rows and photos each split uses.
  public struct Assignment: Sendable, Equatable {
    public var trainFaces: [Int]
    public var valFaces: [Int]
    public var trainNonFaces: [Int]
    public var valNonFaces: [Int]
    public var trainPhotos: [Int]
    public var valPhotos: [Int]
  }

  /// Splits faces (rows 0..<half), non-faces (half..<count) and photos disjointly, seeded.
  public static func assign(
    lfwCount: Int, photoCount: Int, config: VWWProxyConfig, seed: UInt64
  ) -> Assignment {
    var rng = Sampling.generator(seed: seed, stream: Sampling.hash("vww-assign"), index: 0)
    func cut(_ indices: [Int], _ fraction: Double) -> ([Int], [Int]) {
      var shuffled = indices
      Sampling.shuffle(&shuffled, &rng)
      let n = max(1, min(indices.count - 1, Int((Double(indices.count) * fraction).rounded())))
      return (Array(shuffled.dropFirst(n)).sorted(), Array(shuffled.prefix(n)).sorted())
    }
    let half = lfwCount / 2
    let faces = cut(Array(0..<half), config.valFaceFraction)
    let nonFaces = cut(Array(half..<lfwCount), config.valFaceFraction)
    let photos = cut(Array(0..<photoCount), config.valPhotoFraction)
    return Assignment(
      trainFaces: faces.0, valFaces: faces.1, trainNonFaces: nonFaces.0, valNonFaces: nonFaces.1,
      trainPhotos: photos.0, valPhotos: photos.1)
  }

  /// Generates every image of both splits and hands each to `emit` as a JPEG file.
  public static func generate(
    sources: VWWProxySources, config: VWWProxyConfig, seed: UInt64,
    emit: (ProxyFile) throws -> Void
  ) throws {
    guard sources.lfw.shape.count == 3, sources.lfw.shape[0] >= 4, sources.photos.count >= 2 else {
      throw DatasetError.invalidArgument(
        "the VWW proxy needs lfw_subset.npy [N, h, w] and at least 2 photos; "
          + DatasetError.prepareHint)
    }
    let a = assign(
      lfwCount: sources.lfw.shape[0], photoCount: sources.photos.count, config: config, seed: seed)
    let plan: [(String, Int, [Int], [Int])] = [
      ("train/person", config.trainPerClass, a.trainFaces, a.trainPhotos),
      ("train/non_person", config.trainPerClass, a.trainNonFaces, a.trainPhotos),
      ("val/person", config.valPerClass, a.valFaces, a.valPhotos),
      ("val/non_person", config.valPerClass, a.valNonFaces, a.valPhotos),
    ]
    let patchSize = (sources.lfw.shape[1], sources.lfw.shape[2])
    let backgrounds = sources.photos.map { $0.image.converted(toChannels: 3).toFloat() }
    for (folder, count, patches, photos) in plan {
      for i in 0..<count {
        var rng = Sampling.generator(seed: seed, stream: Sampling.hash(folder), index: UInt64(i))
        let person = folder.hasSuffix("/person")
        let patch =
          !person && Sampling.unit(&rng) < config.photoPatchFraction
          ? photoPatch(backgrounds, photos: photos, size: patchSize, rng: &rng)
          : lfwPatch(sources.lfw, row: patches[Sampling.below(patches.count, &rng)])
        let image = compose(
          patch: patch, backgrounds: backgrounds, photos: photos, config: config, rng: &rng)
        let jpeg = try JPEGCodec.encode(image.toBytes(), quality: config.jpegQuality)
        let name = folder.replacingSlashes() + "_" + String(i).leftPadded(to: 6) + ".jpg"
        try emit(ProxyFile(relativePath: "\(folder)/\(name)", contents: jpeg))
      }
    }
  }

  /// One composite: a background crop with the gray `patch` pasted on it, `[s, s, 3]` in [0, 1].
  static func compose(
    patch: FloatImage, backgrounds: [FloatImage], photos: [Int], config: VWWProxyConfig,
    rng: inout SeededGenerator
  ) -> FloatImage {
    let size = config.imageSize
    let photo = backgrounds[photos[Sampling.below(photos.count, &rng)]]
    var canvas = backgroundCrop(photo, size: size, rng: &rng)
    var patch = patch
    if Sampling.unit(&rng) < 0.5 { patch = ImageOps.flipHorizontally(patch) }
    let contrast = Float(Sampling.uniform(0.8, 1.2, &rng))
    let brightness = Float(Sampling.uniform(-0.1, 0.1, &rng))
    patch.data = patch.data.map { min(max(($0 - 0.5) * contrast + 0.5 + brightness, 0), 1) }
    let fraction = Sampling.uniform(config.patchFraction[0], config.patchFraction[1], &rng)
    let side = max(4, Int((fraction * Double(size)).rounded()))
    let scaled = ImageOps.resize(patch, height: side, width: side, antialias: true)
    let top = Sampling.below(size - side + 1, &rng)
    let left = Sampling.below(size - side + 1, &rng)
    paste(scaled, onto: &canvas, top: top, left: left)
    return canvas
  }

  /// A random square crop (30–100 % of the shorter side) of an RGB photo, maybe mirrored,
  /// resized to `size × size`.
  static func backgroundCrop(
    _ rgb: FloatImage, size: Int, rng: inout SeededGenerator
  ) -> FloatImage {
    let shorter = min(rgb.height, rgb.width)
    let side = max(1, Int(Sampling.uniform(0.3, 1.0, &rng) * Double(shorter)))
    let top = Sampling.below(rgb.height - side + 1, &rng)
    let left = Sampling.below(rgb.width - side + 1, &rng)
    let crop = ImageOps.crop(rgb, top: top, left: left, height: side, width: side)
    let resized = ImageOps.resize(crop, height: size, width: size, antialias: true)
    return Sampling.unit(&rng) < 0.5 ? ImageOps.flipHorizontally(resized) : resized
  }

  /// A gray `[h, w, 1]` patch from a random square crop (10–40 % of the shorter side) of one
  /// of the split's photos, at LFW's crop size so both kinds of patch are equally sharp.
  static func photoPatch(
    _ backgrounds: [FloatImage], photos: [Int], size: (Int, Int), rng: inout SeededGenerator
  ) -> FloatImage {
    let rgb = backgrounds[photos[Sampling.below(photos.count, &rng)]]
    let side = max(1, Int(Sampling.uniform(0.1, 0.4, &rng) * Double(min(rgb.height, rgb.width))))
    let top = Sampling.below(rgb.height - side + 1, &rng)
    let left = Sampling.below(rgb.width - side + 1, &rng)
    let crop = ImageOps.crop(rgb, top: top, left: left, height: side, width: side)
    let small = ImageOps.resize(crop, height: size.0, width: size.1, antialias: true)
    var gray = FloatImage(height: size.0, width: size.1, channels: 1)
    for i in 0..<(size.0 * size.1) {
      let (r, g, b) = (small.data[3 * i], small.data[3 * i + 1], small.data[3 * i + 2])
      gray.data[i] = 0.299 * r + 0.587 * g + 0.114 * b  // ITU-R 601-2 luma
    }
    return gray
  }

  /// LFW row `row` as a gray `[h, w, 1]` image.
  static func lfwPatch(_ lfw: NPYArray, row: Int) -> FloatImage {
    let (h, w) = (lfw.shape[1], lfw.shape[2])
    let values = lfw.values[(row * h * w)..<((row + 1) * h * w)].map { Float($0) }
    return FloatImage(height: h, width: w, channels: 1, data: values)
  }

  /// Alpha-blends a gray patch onto an RGB canvas; alpha ramps from 0 at the patch border to 1
  /// at 15 % of its side inwards, so no hard edge outlines the patch.
  static func paste(_ patch: FloatImage, onto canvas: inout FloatImage, top: Int, left: Int) {
    let ramp = max(1, Float(patch.height) * 0.15)
    for y in 0..<patch.height {
      for x in 0..<patch.width {
        let edge = Float(min(y, x, patch.height - 1 - y, patch.width - 1 - x)) + 0.5
        let alpha = min(1, edge / ramp)
        for c in 0..<3 {
          let old = canvas[top + y, left + x, c]
          canvas[top + y, left + x, c] = old * (1 - alpha) + patch[y, x, 0] * alpha
        }
      }
    }
  }
}

extension String {
  /// `train/person` → `train_person`.
  fileprivate func replacingSlashes() -> String {
    String(map { $0 == "/" ? "_" : $0 })
  }
}
