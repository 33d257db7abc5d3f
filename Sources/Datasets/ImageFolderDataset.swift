// ImageFolderDataset.swift
// ImageNet-style class folders, read like torchvision's `ImageFolder`:
//   root/train/<class>/**/*.{png,jpg,jpeg}   root/val/<class>/**/*.{png,jpg,jpeg}
// Classes are the sub-folders sorted by name, label = index in that order; files are found
// recursively and sorted. Other files are ignored, and so are hidden names (leading "."), which
// torchvision would keep (a stray `.ipynb_checkpoints` becomes a class there). Images are
// decoded on demand, by signature: a PNG saved as `.jpg` still decodes.

/// One labelled image file.
public struct LabeledFile: Sendable, Equatable {
  /// Absolute (or caller-relative) path of the image.
  public var path: String
  /// Class index in `classes`.
  public var label: Int
}

/// A split of an ImageNet-style dataset: one folder per class.
public struct ImageFolderDataset: Sendable {
  /// The extensions (lower-cased) that count as images.
  public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

  /// The folder holding the class folders.
  public let directory: String
  /// Class names, sorted; label i is `classes[i]`.
  public let classes: [String]
  /// Every image with its label, class by class, files sorted within a class.
  public let samples: [LabeledFile]

  /// Scans `directory`, whose sub-folders are the classes.
  ///
  /// - Throws: `DatasetError.missingDirectory` when `directory` does not exist,
  ///   `.emptyDirectory` when it has no class folder or a class folder has no image.
  public init(directory: String) throws {
    guard FileSystem.isDirectory(directory) else {
      throw DatasetError.missingDirectory(
        path: directory,
        hint: "expected class folders (ImageNet layout: <root>/train/<class>/*.JPEG); "
          + DatasetError.prepareHint + " for the bundled proxy")
    }
    let classes = try FileSystem.list(directory).filter {
      FileSystem.isDirectory(FileSystem.join(directory, $0))
    }
    guard !classes.isEmpty else {
      throw DatasetError.emptyDirectory(
        path: directory, hint: "it has no class sub-folders; " + DatasetError.prepareHint)
    }
    try self.init(directory: directory, classes: classes)
  }

  /// Scans `directory` for exactly the given class folders (label i = `classes[i]`).
  public init(directory: String, classes: [String]) throws {
    var samples: [LabeledFile] = []
    for (label, name) in classes.enumerated() {
      let folder = FileSystem.join(directory, name)
      let hint = "every class folder needs at least one .png/.jpg/.jpeg image"
      let files = try FileSystem.files(
        under: folder, extensions: ImageFolderDataset.extensions, hint: hint)
      guard !files.isEmpty else { throw DatasetError.emptyDirectory(path: folder, hint: hint) }
      samples += files.map { LabeledFile(path: FileSystem.join(folder, $0), label: label) }
    }
    self.directory = directory
    self.classes = classes
    self.samples = samples
  }

  /// The split `root/<split>` (`"train"` or `"val"` in ImageNet's layout).
  public init(root: String, split: String) throws {
    try self.init(directory: FileSystem.join(root, split))
  }

  /// Number of images.
  public var count: Int { samples.count }

  /// Images per class, indexed by label.
  public var countsPerClass: [Int] {
    var counts = [Int](repeating: 0, count: classes.count)
    for sample in samples { counts[sample.label] += 1 }
    return counts
  }

  /// Decodes image `index`; errors name the file.
  public func image(at index: Int) throws -> ByteImage {
    try ImageDecoder.read(path: samples[index].path)
  }
}

/// Visual Wake Words: images in `person/` and `non_person/` folders (the layout of the
/// COCO-derived set as distributed for TinyML training, e.g. `vw_coco2014_96`).
/// Labels: `non_person` = 0, `person` = 1 (sorted order, as ImageFolder gives).
public struct VisualWakeWordsDataset: Sendable {
  /// The two class folder names, in label order.
  public static let classes = ["non_person", "person"]

  /// The underlying two-class folder dataset.
  public let images: ImageFolderDataset

  /// Reads `directory/person` and `directory/non_person`.
  ///
  /// - Throws: `DatasetError.missingDirectory` naming the missing class folder.
  public init(directory: String) throws {
    for name in VisualWakeWordsDataset.classes {
      let folder = FileSystem.join(directory, name)
      guard FileSystem.isDirectory(folder) else {
        throw DatasetError.missingDirectory(
          path: folder,
          hint: "a Visual Wake Words folder holds person/ and non_person/; "
            + DatasetError.prepareHint + " for the bundled proxy")
      }
    }
    images = try ImageFolderDataset(directory: directory, classes: VisualWakeWordsDataset.classes)
  }

  /// Number of images.
  public var count: Int { images.count }
  /// Every image with its label (1 = person).
  public var samples: [LabeledFile] { images.samples }

  /// A seeded split of the samples into (train, validation) index lists, each class split in
  /// the same proportion (for layouts that ship one folder without a validation split).
  public func stratifiedSplit(validationFraction: Double, seed: UInt64) -> ([Int], [Int]) {
    precondition((0...1).contains(validationFraction), "fraction must be in [0, 1]")
    var train: [Int] = []
    var validation: [Int] = []
    for label in 0..<VisualWakeWordsDataset.classes.count {
      var indices = samples.indices.filter { samples[$0].label == label }
      var rng = Sampling.generator(seed: seed, stream: 0x5657_5753, index: UInt64(label))
      Sampling.shuffle(&indices, &rng)
      let cut = Int((Double(indices.count) * validationFraction).rounded())
      validation += indices.prefix(cut)
      train += indices.dropFirst(cut)
    }
    return (train.sorted(), validation.sorted())
  }
}
