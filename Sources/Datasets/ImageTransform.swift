// ImageTransform.swift
// The image pipelines of MIT's MCUNet code (mcunet eval_torch.py `build_val_data_loader`) and the
// torchvision training augmentation, from a decoded ByteImage to a normalised Float32 HWC image:
//   ImageNet eval: Resize(int(r * 256 / 224)) shorter side, CenterCrop(r), ToTensor, Normalize
//   VWW eval:      Resize((r, r)) (no crop: "the person might be excluded"), ToTensor, Normalize
//   training:      RandomResizedCrop(r, scale (0.08, 1), ratio (3/4, 4/3)), RandomHorizontalFlip
// Normalize is mean = std = 0.5 per channel, as in MIT's eval: x -> x / 127.5 - 1 in [-1, 1].
// Resizing uses torchvision's antialiased bilinear (PIL's filter), computed in Float32.

import Foundation
import TensorModule

/// A per-sample image pipeline. Every random choice draws from the generator passed in.
public struct ImageTransform: Sendable, Equatable {
  /// What the pipeline does before normalisation.
  public enum Kind: Sendable, Equatable {
    /// MIT's ImageNet evaluation: shorter side to `r * 256 / 224`, centre crop `r × r`.
    case imageNetEval
    /// MIT's VWW evaluation: resize to `r × r` (aspect ratio not kept).
    case squashEval
    /// torchvision `RandomResizedCrop` + `RandomHorizontalFlip(0.5)`.
    case trainAugment(RandomResizedCrop)
  }

  public var kind: Kind
  /// Output side length r (the network's input resolution).
  public var resolution: Int
  /// Output channels: 3 (gray images are replicated, as PIL's `convert("RGB")`) or 1.
  public var channels: Int
  /// Per-channel mean and standard deviation of `Normalize` (0.5 and 0.5 in MIT's code).
  public var mean: Float
  public var std: Float

  /// A pipeline of `kind` producing `[r, r, channels]` images normalised with mean = std = 0.5.
  public init(_ kind: Kind, resolution: Int, channels: Int = 3, mean: Float = 0.5, std: Float = 0.5)
  {
    precondition(resolution > 0, "resolution must be positive")
    self.kind = kind
    self.resolution = resolution
    self.channels = channels
    self.mean = mean
    self.std = std
  }

  /// MIT's ImageNet evaluation transform at resolution `r`.
  public static func imageNetEval(resolution: Int) -> ImageTransform {
    ImageTransform(.imageNetEval, resolution: resolution)
  }

  /// MIT's Visual Wake Words evaluation transform at resolution `r`.
  public static func visualWakeWordsEval(resolution: Int) -> ImageTransform {
    ImageTransform(.squashEval, resolution: resolution)
  }

  /// The torchvision training augmentation at resolution `r`.
  public static func trainAugment(resolution: Int) -> ImageTransform {
    ImageTransform(.trainAugment(RandomResizedCrop()), resolution: resolution)
  }

  /// The side length the ImageNet eval transform resizes to before cropping:
  /// `int(r * 256 / 224)` (exact in integers).
  public static func imageNetResizeSize(resolution: Int) -> Int { resolution * 256 / 224 }

  /// Applies the pipeline: `[H, W, C]` bytes → `[r, r, channels]` Float32, normalised.
  public func apply(_ image: ByteImage, rng: inout SeededGenerator) -> FloatImage {
    let input = image.converted(toChannels: channels).toFloat()
    let r = resolution
    let geometric: FloatImage
    switch kind {
    case .imageNetEval:
      let resized = ImageOps.resizeShorterSide(
        input, to: ImageTransform.imageNetResizeSize(resolution: r), antialias: true)
      geometric = ImageOps.centerCrop(resized, height: r, width: r)
    case .squashEval:
      geometric = ImageOps.resize(input, height: r, width: r, antialias: true)
    case .trainAugment(let crop):
      let box = crop.sampleBox(height: input.height, width: input.width, rng: &rng)
      let cropped = ImageOps.crop(
        input, top: box.top, left: box.left, height: box.height, width: box.width)
      let resized = ImageOps.resize(cropped, height: r, width: r, antialias: true)
      geometric = Sampling.unit(&rng) < 0.5 ? ImageOps.flipHorizontally(resized) : resized
    }
    return ImageOps.normalize(
      geometric, mean: Array(repeating: mean, count: channels),
      std: Array(repeating: std, count: channels))
  }
}

/// torchvision's `RandomResizedCrop.get_params`: up to `attempts` tries of an area fraction
/// uniform in `scale` and a log-uniform aspect ratio in `ratio`; `w = round(sqrt(A * ratio))`,
/// `h = round(sqrt(A / ratio))` (Python rounding); accepted if it fits, placed uniformly. After
/// `attempts` failures: the largest centred crop whose ratio is clamped into `ratio`.
public struct RandomResizedCrop: Sendable, Equatable {
  public var scale: ClosedRange<Double>
  public var ratio: ClosedRange<Double>
  public var attempts: Int

  /// torchvision's defaults: scale (0.08, 1), ratio (3/4, 4/3), 10 attempts.
  public init(
    scale: ClosedRange<Double> = 0.08...1, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3),
    attempts: Int = 10
  ) {
    self.scale = scale
    self.ratio = ratio
    self.attempts = attempts
  }

  /// A crop box of an `height × width` image.
  public struct Box: Sendable, Equatable {
    public var top: Int
    public var left: Int
    public var height: Int
    public var width: Int
  }

  /// Samples a box; always inside the image.
  public func sampleBox(
    height: Int, width: Int, rng: inout some RandomNumberGenerator
  ) -> Box {
    let area = Double(height * width)
    let logRatio = (log(ratio.lowerBound), log(ratio.upperBound))
    for _ in 0..<attempts {
      let target = area * Sampling.uniform(scale.lowerBound, scale.upperBound, &rng)
      let aspect = exp(Sampling.uniform(logRatio.0, logRatio.1, &rng))
      let w = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
      let h = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
      if w > 0 && w <= width && h > 0 && h <= height {
        let top = Sampling.below(height - h + 1, &rng)
        let left = Sampling.below(width - w + 1, &rng)
        return Box(top: top, left: left, height: h, width: w)
      }
    }
    return fallbackBox(height: height, width: width)
  }

  /// The centred fallback crop.
  func fallbackBox(height: Int, width: Int) -> Box {
    let inRatio = Double(width) / Double(height)
    var (h, w) = (height, width)
    if inRatio < ratio.lowerBound {
      h = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
    } else if inRatio > ratio.upperBound {
      w = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
    }
    return Box(top: (height - h) / 2, left: (width - w) / 2, height: h, width: w)
  }
}
