// ImageFolderTests.swift
// ImageNet-style class folders and VWW person/non_person folders on fixture trees written to a
// temporary directory: class order, counts, labels, decoding, and the error messages.

import Foundation
import TensorModule
import Testing
import _TestSupport

@testable import Datasets

@Suite struct ImageFolderTests {
  /// train/{cat, ant, bee}: mixed PNG/JPEG (upper-case extension too), a nested folder, and
  /// files that must be ignored (hidden, README.txt).
  private func writeTree(_ root: String) throws {
    let png = try PNGCodec.encode(patternImage(height: 6, width: 5, channels: 3))
    let gray = try PNGCodec.encode(patternImage(height: 4, width: 4, channels: 1))
    let jpeg = try JPEGCodec.encode(smoothImage(height: 8, width: 8, channels: 3))
    try writeFixture(png, to: root + "/train/cat/b.png")
    try writeFixture(jpeg, to: root + "/train/cat/a.JPG")
    try writeFixture(gray, to: root + "/train/cat/nested/c.png")
    try writeFixture(png, to: root + "/train/ant/x.jpeg")  // PNG bytes: decoded by signature
    try writeFixture(jpeg, to: root + "/train/bee/y.jpg")
    try writeFixture(Array("notes".utf8), to: root + "/train/bee/README.txt")
    try writeFixture(png, to: root + "/train/bee/.hidden.png")
    try writeFixture(png, to: root + "/val/ant/v.png")
  }

  @Test func classesAreSortedAndFilesFoundRecursively() throws {
    try withTemporaryDirectory { root in
      try writeTree(root)
      let train = try ImageFolderDataset(root: root, split: "train")
      #expect(train.classes == ["ant", "bee", "cat"])
      #expect(train.countsPerClass == [1, 1, 3])
      let names = train.samples.map { String($0.path.dropFirst(root.count + 7)) }
      #expect(names == ["ant/x.jpeg", "bee/y.jpg", "cat/a.JPG", "cat/b.png", "cat/nested/c.png"])
      #expect(train.samples.map(\.label) == [0, 1, 2, 2, 2])
      let decoded = try train.image(at: 3)
      assertBitExact(decoded.pixels, patternImage(height: 6, width: 5, channels: 3).pixels)
      #expect(try train.image(at: 4).channels == 1)
      #expect(try ImageFolderDataset(root: root, split: "val").count == 1)
    }
  }

  @Test func missingAndEmptyFoldersAreNamedInTheError() throws {
    try withTemporaryDirectory { root in
      let missing = errorText { _ = try ImageFolderDataset(root: root, split: "train") }
      #expect(missing.contains("folder not found: \(root)/train"))
      #expect(missing.contains("Scripts/prepare-data.sh"))
      try FileManager.default.createDirectory(
        atPath: root + "/train/dog", withIntermediateDirectories: true)
      let empty = errorText { _ = try ImageFolderDataset(root: root, split: "train") }
      #expect(empty.contains("folder holds no usable files: \(root)/train/dog"))
    }
  }

  @Test func aCorruptImageFailsWhenLoadedAndNamesTheFile() throws {
    try withTemporaryDirectory { root in
      try writeFixture([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3], to: root + "/train/a/broken.jpg")
      let dataset = try ImageFolderDataset(root: root, split: "train")
      let source = ImageSampleSource(dataset, transform: .imageNetEval(resolution: 4))
      var rng = SeededGenerator(seed: 0)
      let text = errorText { _ = try source.sample(at: 0, rng: &rng) }
      #expect(text.contains("corrupt image \(root)/train/a/broken.jpg"), "\(text)")
    }
  }

  @Test func visualWakeWordsLabelsPersonAsOne() throws {
    try withTemporaryDirectory { root in
      let png = try PNGCodec.encode(patternImage(height: 4, width: 4, channels: 3))
      for i in 0..<3 { try writeFixture(png, to: root + "/person/p\(i).png") }
      for i in 0..<5 { try writeFixture(png, to: root + "/non_person/n\(i).png") }
      try writeFixture(png, to: root + "/other/ignored.png")
      let vww = try VisualWakeWordsDataset(directory: root)
      #expect(vww.count == 8)
      #expect(vww.samples.filter { $0.label == 1 }.allSatisfy { $0.path.contains("/person/") })
      #expect(vww.images.countsPerClass == [5, 3])
      let (train, validation) = vww.stratifiedSplit(validationFraction: 0.4, seed: 9)
      #expect(Set(train).isDisjoint(with: validation) && train.count + validation.count == 8)
      #expect(validation.count == 3)  // round(0.4 · 5) + round(0.4 · 3) = 2 + 1
      #expect(vww.stratifiedSplit(validationFraction: 0.4, seed: 9).1 == validation)
    }
  }

  @Test func visualWakeWordsNamesTheMissingClassFolder() throws {
    try withTemporaryDirectory { root in
      try writeFixture(
        try PNGCodec.encode(patternImage(height: 2, width: 2, channels: 1)),
        to: root + "/person/p.png")
      let text = errorText { _ = try VisualWakeWordsDataset(directory: root) }
      #expect(text.contains("folder not found: \(root)/non_person"))
    }
  }
}
