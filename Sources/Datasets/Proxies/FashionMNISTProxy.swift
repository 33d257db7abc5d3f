// FashionMNISTProxy.swift
// The ImageNet proxy of the default profile: real Fashion-MNIST (Debian `dataset-fashion-mnist`,
// 60k train / 10k test, 10 classes, 28×28 gray, IDX gz) written as ImageNet-style class folders
// of gray PNGs: `train/<class>/*.png`, `val/<class>/*.png`. The loaders replicate gray to 3
// channels, so the architectures stay unchanged. Class folders are prefixed with the label
// (`0_tshirt_top` …) so that sorted folder order equals Fashion-MNIST's label order.

/// Fashion-MNIST from its IDX files.
public enum FashionMNIST {
  /// Where Debian's `dataset-fashion-mnist` installs the files.
  public static let systemDirectory = "/usr/share/datasets/fashion-mnist"
  /// Class folder names, in label order.
  public static let classNames = [
    "0_tshirt_top", "1_trouser", "2_pullover", "3_dress", "4_coat", "5_sandal", "6_shirt",
    "7_sneaker", "8_bag", "9_ankle_boot",
  ]

  /// Images `[N, 28, 28]` and labels `[N]` of the training (`train: true`) or test split.
  public static func load(
    directory: String = systemDirectory, train: Bool
  ) throws -> (images: IDXArray, labels: IDXArray) {
    let prefix = train ? "train" : "t10k"
    let images = try IDXReader.read(
      path: FileSystem.join(directory, "\(prefix)-images-idx3-ubyte.gz"))
    let labels = try IDXReader.read(
      path: FileSystem.join(directory, "\(prefix)-labels-idx1-ubyte.gz"))
    guard images.dims.count == 3, labels.dims.count == 1, images.dims[0] == labels.dims[0] else {
      throw DatasetError.invalidIDX(
        path: directory, reason: "images \(images.dims) and labels \(labels.dims) do not match")
    }
    return (images, labels)
  }
}

/// How much of Fashion-MNIST the proxy keeps (nil = all).
public struct FashionMNISTProxyConfig: Codable, Sendable, Equatable {
  /// Training images per class (≤ 6,000), nil for all.
  public var trainPerClass: Int?
  /// Validation images per class (≤ 1,000, from the test set), nil for all.
  public var valPerClass: Int?

  public init(trainPerClass: Int?, valPerClass: Int?) {
    self.trainPerClass = trainPerClass
    self.valPerClass = valPerClass
  }
}

extension FashionMNIST {
  /// The proxy's files for one split: the first `perClass` images of each class in file order
  /// (deterministic, no seed needed), as `<split>/<class>/fmnist_<index>.png`.
  public static func proxyFiles(
    images: IDXArray, labels: IDXArray, split: String, perClass: Int?,
    emit: (ProxyFile) throws -> Void
  ) throws {
    let (h, w) = (images.dims[1], images.dims[2])
    var taken = [Int](repeating: 0, count: classNames.count)
    for index in 0..<labels.dims[0] {
      let label = Int(labels.bytes[index])
      guard label < classNames.count else {
        throw DatasetError.invalidIDX(path: split, reason: "label \(label) at \(index)")
      }
      if let perClass, taken[label] >= perClass { continue }
      taken[label] += 1
      let pixels = Array(images.bytes[(index * h * w)..<((index + 1) * h * w)])
      let png = try PNGCodec.encode(ByteImage(height: h, width: w, channels: 1, pixels: pixels))
      let name = "fmnist_" + String(index).leftPadded(to: 5) + ".png"
      try emit(ProxyFile(relativePath: "\(split)/\(classNames[label])/\(name)", contents: png))
    }
  }
}

extension String {
  /// The string left-padded with zeros to `width` characters.
  func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
