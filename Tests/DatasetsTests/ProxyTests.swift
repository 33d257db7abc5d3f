// ProxyTests.swift
// The proxy generators on small fixtures: Fashion-MNIST IDX → class folders of PNG read back by
// ImageFolderDataset pixel for pixel; prepareProxies reuse; the VWW composite's disjoint split
// and determinism; and (when espeak-ng and sox are installed) a tiny speech proxy read back by
// SpeechCommandsDataset.

import Foundation
import Runner
import TensorModule
import Testing
import _TestSupport

@testable import Datasets

/// Fashion-MNIST-named IDX .gz fixtures: `count` images of 3×2 pixels, label i % 10.
private func writeFashionFixture(_ dir: String, prefix: String, count: Int) throws {
  let images = (0..<(count * 6)).map { UInt8(($0 * 7) % 256) }
  try writeFixture(
    idxBytes(dims: [count, 3, 2], data: images), to: "\(dir)/\(prefix)-images-idx3-ubyte")
  try writeFixture(
    idxBytes(dims: [count], data: (0..<count).map { UInt8($0 % 10) }),
    to: "\(dir)/\(prefix)-labels-idx1-ubyte")
  _ = try ProcessRunner().run(
    "gzip", ["-f", "\(dir)/\(prefix)-images-idx3-ubyte", "\(dir)/\(prefix)-labels-idx1-ubyte"])
}

@Suite struct ProxyTests {
  @Test func fashionMNISTProxyIsReadBackPixelForPixel() throws {
    try withTemporaryDirectory { dir in
      try writeFashionFixture(dir + "/fm", prefix: "train", count: 40)
      try writeFashionFixture(dir + "/fm", prefix: "t10k", count: 20)
      let sources = ProxySources(
        fashionMNISTDirectory: dir + "/fm", photosDirectory: "", lfwSubsetPath: "")
      let prepared = try prepareProxies(
        cacheDirectory: dir + "/cache", profile: "smoke", kinds: [.imageNet], sources: sources,
        showProgress: false)
      let root = try #require(prepared.roots[.imageNet])
      #expect(root == dir + "/cache/imagenet-proxy-smoke")
      let train = try ImageFolderDataset(root: root, split: "train")
      #expect(train.classes == FashionMNIST.classNames)
      #expect(train.countsPerClass == [Int](repeating: 4, count: 10))
      let val = try ImageFolderDataset(root: root, split: "val")
      #expect(val.countsPerClass == [Int](repeating: 2, count: 10))
      // Image 13 has label 3: its folder, name and pixels.
      let sample = try #require(train.samples.first { $0.path.hasSuffix("fmnist_00013.png") })
      #expect(sample.label == 3 && sample.path.contains("/3_dress/"))
      let pixels = try ImageDecoder.read(path: sample.path).pixels
      assertBitExact(pixels, (78..<84).map { UInt8(($0 * 7) % 256) })
      let manifest = try #require(prepared.manifests[.imageNet])
      #expect(manifest.counts["train/3_dress"] == 4 && manifest.profile == "smoke")
      #expect(!FileManager.default.fileExists(atPath: root + ".partial"))
      let again = try prepareProxies(
        cacheDirectory: dir + "/cache", profile: "smoke", kinds: [.imageNet], sources: sources,
        showProgress: false)
      #expect(again.reused == [.imageNet])
    }
  }

  @Test func aFailedPreparationLeavesNothingBehindAndSaysWhatIsMissing() throws {
    try withTemporaryDirectory { dir in
      let sources = ProxySources(
        fashionMNISTDirectory: dir + "/absent", photosDirectory: dir, lfwSubsetPath: dir + "/x")
      let text = errorText {
        _ = try prepareProxies(
          cacheDirectory: dir, profile: "smoke", kinds: [.imageNet], sources: sources,
          showProgress: false)
      }
      #expect(text.contains("file not found: \(dir)/absent/train-images-idx3-ubyte.gz"))
      #expect(text.contains("apt-get install dataset-fashion-mnist"))
      let left = try FileManager.default.contentsOfDirectory(atPath: dir)
      #expect(left.isEmpty, "left behind: \(left)")
      let speech = errorText {
        _ = try prepareProxies(
          cacheDirectory: dir, profile: "smoke", kinds: [.speechCommands], showProgress: false)
      }
      #expect(speech.contains("the speech proxy needs espeak-ng and sox"))
    }
  }

  @Test func unknownAndFullProfilesAreRejected() {
    #expect(errorText { _ = try ProxyScale.named("full") }.contains("real datasets (--data PATH)"))
    #expect(errorText { _ = try ProxyScale.named("huge") }.contains("unknown profile 'huge'"))
    #expect(
      ProxyLayout.defaultCacheDirectory(environment: ["MCU_DATA_DIR": "/d", "HOME": "/h"]) == "/d")
    #expect(
      ProxyLayout.defaultCacheDirectory(environment: ["HOME": "/h"]) == "/h/.cache/mcunet-repro")
  }

  /// lfw fixture [8, 5, 5]: rows 0..<4 "faces" (bright), 4..<8 "non-faces" (dark).
  private func vwwSources() -> VWWProxySources {
    let lfwValues = (0..<8).flatMap { row in [Double](repeating: row < 4 ? 0.9 : 0.1, count: 25) }
    let lfw = NPYArray(shape: [8, 5, 5], dtype: "<f8", values: lfwValues)
    let photos = (0..<4).map { i in
      (
        name: "p\(i).png",
        image: patternImage(height: 20 + i, width: 24, channels: i % 2 == 0 ? 3 : 1, seed: i)
      )
    }
    return VWWProxySources(lfw: lfw, photos: photos)
  }

  @Test func vwwProxySplitsPartsDisjointlyAndIsDeterministic() throws {
    var config = VWWProxyConfig(imageSize: 16, trainPerClass: 3, valPerClass: 2)
    config.valFaceFraction = 0.5
    let a = VWWProxy.assign(lfwCount: 8, photoCount: 4, config: config, seed: 1)
    #expect(Set(a.trainFaces).isDisjoint(with: a.valFaces))
    #expect(Set(a.trainNonFaces).isDisjoint(with: a.valNonFaces))
    #expect(Set(a.trainPhotos).isDisjoint(with: a.valPhotos))
    #expect((a.trainFaces + a.valFaces).sorted() == [0, 1, 2, 3])
    #expect((a.trainNonFaces + a.valNonFaces).sorted() == [4, 5, 6, 7])
    #expect(a.valPhotos.count == 1)  // round(0.3 · 4)
    var first: [ProxyFile] = []
    try VWWProxy.generate(sources: vwwSources(), config: config, seed: 1) { first.append($0) }
    var second: [ProxyFile] = []
    try VWWProxy.generate(sources: vwwSources(), config: config, seed: 1) { second.append($0) }
    #expect(first == second)
    var other: [ProxyFile] = []
    try VWWProxy.generate(sources: vwwSources(), config: config, seed: 2) { other.append($0) }
    #expect(other != first)
    #expect(first.map(\.relativePath).filter { $0.hasPrefix("val/person/") }.count == 2)
    #expect(first[0].relativePath == "train/person/train_person_000000.jpg")
  }

  @Test func vwwProxyIsReadableByTheVWWLoader() throws {
    try withTemporaryDirectory { dir in
      let config = VWWProxyConfig(imageSize: 16, trainPerClass: 3, valPerClass: 2)
      let writer = try ProxyWriter(root: dir + "/vww")
      try VWWProxy.generate(sources: vwwSources(), config: config, seed: 3) { try writer.write($0) }
      try writer.finish(
        ProxyManifest(
          kind: "vww-proxy", profile: "test", formatVersion: 1, seed: 3, configuration: "{}",
          sources: [], counts: [:], seconds: 0))
      let train = try VisualWakeWordsDataset(directory: dir + "/vww/train")
      #expect(train.images.countsPerClass == [3, 3])
      let source = ImageSampleSource(train.images, transform: .visualWakeWordsEval(resolution: 8))
      var rng = SeededGenerator(seed: 0)
      let image = try source.sample(at: 0, rng: &rng)
      #expect((image.height, image.width, image.channels) == (8, 8, 3))
      #expect(ProxyWriter.manifest(at: dir + "/vww")?.seed == 3)
    }
  }

  @Test func compositePastesABrightFaceOntoTheBackground() {
    // A black 40×40 photo and an all-bright "face": the pasted square is bright in its middle.
    let face = FloatImage(
      height: 5, width: 5, channels: 1, data: [Float](repeating: 1, count: 25))
    let black = FloatImage(height: 40, width: 40, channels: 3)
    var config = VWWProxyConfig(imageSize: 20, trainPerClass: 1, valPerClass: 1)
    config.patchFraction = [0.5, 0.5]
    var rng = SeededGenerator(seed: 5)
    let out = VWWProxy.compose(
      patch: face, backgrounds: [black], photos: [0], config: config, rng: &rng)
    let bright = out.data.filter { $0 > 0.5 }.count / 3
    #expect(bright >= 36 && bright <= 100, "\(bright) bright pixels for a 10×10 patch")
    #expect(out.data.allSatisfy { $0 >= 0 && $0 <= 1 })
  }

  @Test(
    .enabled(
      if: ProcessRunner.findExecutable("espeak-ng") != nil
        && ProcessRunner.findExecutable("sox") != nil, "needs espeak-ng and sox"))
  func tinySpeechProxyLoadsAsSpeechCommands() throws {
    try withTemporaryDirectory { dir in
      let runner = ProcessRunner()
      let tools = SpeechSynthesisTools(
        espeak: ProcessRunner.findExecutable("espeak-ng") ?? "espeak-ng",
        sox: ProcessRunner.findExecutable("sox") ?? "sox",
        flite: ProcessRunner.findExecutable("flite")
      ) { _ = try runner.run($0, $1, timeout: 60) }
      var config = SpeechProxyConfig(
        words: SpeechCommandsDataset.keywords + ["cat"], speakers: 3, utterancesPerSpeaker: 1)
      config.noiseSeconds = 2
      let writer = try ProxyWriter(root: dir + "/speech")
      let counts = try SpeechProxy.generate(
        config: config, tools: tools, seed: 7, writer: writer,
        progress: ProgressBar(label: "test", total: 33, enabled: false))
      try writer.finish(
        ProxyManifest(
          kind: "speech", profile: "test", formatVersion: 1, seed: 7, configuration: "{}",
          sources: [], counts: counts, seconds: 0))
      #expect(counts["yes"] == 3 && counts["validation_list"] == 11 && counts["testing_list"] == 11)
      let root = dir + "/speech"
      let train = try SpeechCommandsDataset(root: root, split: .training)
      let test = try SpeechCommandsDataset(root: root, split: .testing)
      #expect(train.countsPerLabel[2...] == ArraySlice([Int](repeating: 1, count: 10)))
      #expect(test.countsPerLabel[2...] == ArraySlice([Int](repeating: 1, count: 10)))
      let speakerOf = { (item: SpeechItem) in
        item.path.map { ($0 as NSString).lastPathComponent.prefix(8) }
      }
      let trainSpeakers = Set(train.items.compactMap(speakerOf))
      #expect(trainSpeakers.isDisjoint(with: Set(test.items.compactMap(speakerOf))))
      let clip = try WAVCodec.read(path: try #require(train.items[0].path))
      #expect(clip.sampleRate == 16_000 && clip.samples.count == 16_000)
      #expect(clip.samples.map { abs(Int($0)) }.max() ?? 0 > 3000)
      #expect(train.backgroundNoise.count == 3 && train.backgroundNoise[0].count == 32_000)
    }
  }
}
