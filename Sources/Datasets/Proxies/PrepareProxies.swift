// PrepareProxies.swift
// The one entry point that prepares the bundled proxy datasets in the data cache (`repro
// prepare-data` and Scripts/prepare-data.sh call it). Nothing is downloaded here: the inputs are
// Debian's dataset-fashion-mnist, the photos and lfw_subset.npy that Scripts/prepare-data.sh
// unzipped from pinned scikit-image / scikit-learn wheels into `<cache>/sources/`, and espeak-ng,
// flite and sox. Each proxy is generated once per profile; a complete one (same configuration,
// seed and format version in its PROXY.json) is reused.

import Foundation

/// The three proxies.
public enum ProxyKind: String, CaseIterable, Codable, Sendable {
  /// Fashion-MNIST as ImageNet-style class folders.
  case imageNet = "imagenet-proxy"
  /// Composited person / non_person images.
  case visualWakeWords = "vww-proxy"
  /// Synthetic keywords in the Speech Commands v2 layout.
  case speechCommands = "speech-commands-proxy"
}

/// How big each proxy is for one profile.
public struct ProxyScale: Codable, Sendable, Equatable {
  public var name: String
  public var fashionMNIST: FashionMNISTProxyConfig
  public var visualWakeWords: VWWProxyConfig
  public var speechCommands: SpeechProxyConfig

  /// CI scale: 200/100 Fashion-MNIST images, 200/100 VWW images, 84 clips (seconds).
  public static let smoke = ProxyScale(
    name: "smoke",
    fashionMNIST: FashionMNISTProxyConfig(trainPerClass: 20, valPerClass: 10),
    visualWakeWords: VWWProxyConfig(imageSize: 64, trainPerClass: 100, valPerClass: 50),
    speechCommands: SpeechProxyConfig(
      words: SpeechCommandsDataset.keywords + ["bed", "bird", "cat", "dog"], speakers: 6,
      utterancesPerSpeaker: 1))

  /// The default profile: all 70k Fashion-MNIST images, 6,000 VWW images, 2,750 clips (50
  /// voices: 3 renditions of each keyword, 1 of each other word).
  public static let standard: ProxyScale = {
    var speech = SpeechProxyConfig(
      words: SpeechCommandsDataset.allWords, speakers: 50, utterancesPerSpeaker: 1)
    speech.keywordUtterancesPerSpeaker = 3
    return ProxyScale(
      name: "default",
      fashionMNIST: FashionMNISTProxyConfig(trainPerClass: nil, valPerClass: nil),
      visualWakeWords: VWWProxyConfig(imageSize: 96, trainPerClass: 2500, valPerClass: 500),
      speechCommands: speech)
  }()

  /// The scale of a profile name (`smoke`, `default`).
  ///
  /// - Throws: `DatasetError.invalidArgument` for `full` (it reads the real datasets) or an
  ///   unknown name.
  public static func named(_ profile: String) throws -> ProxyScale {
    switch profile {
    case "smoke": return .smoke
    case "default": return .standard
    case "full":
      throw DatasetError.invalidArgument(
        "the full profile reads the real datasets (--data PATH); proxies exist for smoke and"
          + " default only")
    default:
      throw DatasetError.invalidArgument("unknown profile '\(profile)'; use smoke or default")
    }
  }
}

/// Where the real inputs of the proxies are.
public struct ProxySources: Sendable, Equatable {
  /// Folder of the Fashion-MNIST IDX .gz files.
  public var fashionMNISTDirectory: String
  /// Folder with the background photos (`VWWProxy.backgroundPhotos`).
  public var photosDirectory: String
  /// scikit-image's `lfw_subset.npy`.
  public var lfwSubsetPath: String

  public init(fashionMNISTDirectory: String, photosDirectory: String, lfwSubsetPath: String) {
    self.fashionMNISTDirectory = fashionMNISTDirectory
    self.photosDirectory = photosDirectory
    self.lfwSubsetPath = lfwSubsetPath
  }

  /// The layout Scripts/prepare-data.sh creates: Debian's Fashion-MNIST, and
  /// `<cache>/sources/photos/*`, `<cache>/sources/lfw_subset.npy` from the wheels.
  public static func standard(cacheDirectory: String) -> ProxySources {
    let sources = FileSystem.join(cacheDirectory, "sources")
    return ProxySources(
      fashionMNISTDirectory: FashionMNIST.systemDirectory,
      photosDirectory: FileSystem.join(sources, "photos"),
      lfwSubsetPath: FileSystem.join(sources, "lfw_subset.npy"))
  }

  /// Reads the LFW crops and the background photos.
  public func loadVWWSources() throws -> VWWProxySources {
    let lfw = try NPYReader.read(path: lfwSubsetPath)
    let photos = try VWWProxy.backgroundPhotos.map { name in
      (name: name, image: try ImageDecoder.read(path: FileSystem.join(photosDirectory, name)))
    }
    return VWWProxySources(lfw: lfw, photos: photos)
  }
}

/// What `prepareProxies` did.
public struct PreparedProxies: Sendable {
  /// The dataset folder of every prepared proxy.
  public var roots: [ProxyKind: String]
  /// Proxies that were already complete and were reused.
  public var reused: Set<ProxyKind>
  /// Their manifests (counts, seconds).
  public var manifests: [ProxyKind: ProxyManifest]
}

/// Folder names inside the cache.
public enum ProxyLayout {
  /// `<cache>/<kind>-<profile>`, e.g. `~/.cache/mcunet-repro/vww-proxy-smoke`.
  public static func root(cacheDirectory: String, kind: ProxyKind, profile: String) -> String {
    FileSystem.join(cacheDirectory, "\(kind.rawValue)-\(profile)")
  }

  /// `$MCU_DATA_DIR`, else `$HOME/.cache/mcunet-repro`.
  public static func defaultCacheDirectory(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> String {
    if let dir = environment["MCU_DATA_DIR"], !dir.isEmpty { return dir }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return FileSystem.join(home, ".cache/mcunet-repro")
  }
}

/// Prepares the proxies of `profile` in `cacheDirectory`; reuses complete ones.
///
/// - Parameters:
///   - kinds: which proxies (default all three).
///   - sources: the real inputs (default `ProxySources.standard(cacheDirectory:)`).
///   - speechTools: espeak-ng/sox/flite and a process runner; required for the speech proxy.
///   - seed: the seed of every random choice; same seed, same files.
///   - showProgress: draw progress bars on stderr.
/// - Throws: `DatasetError` naming a missing input and how to get it; tool errors as thrown by
///   `speechTools.run`.
public func prepareProxies(
  cacheDirectory: String, profile: String = "default",
  kinds: Set<ProxyKind> = Set(ProxyKind.allCases), sources: ProxySources? = nil,
  speechTools: SpeechSynthesisTools? = nil, seed: UInt64 = 2020, showProgress: Bool = true
) throws -> PreparedProxies {
  let scale = try ProxyScale.named(profile)
  let sources = sources ?? .standard(cacheDirectory: cacheDirectory)
  var result = PreparedProxies(roots: [:], reused: [], manifests: [:])
  for kind in ProxyKind.allCases where kinds.contains(kind) {
    let job = ProxyJob(
      kind: kind, scale: scale, sources: sources, seed: seed, showProgress: showProgress,
      root: ProxyLayout.root(cacheDirectory: cacheDirectory, kind: kind, profile: scale.name))
    let (manifest, reused) = try job.run(speechTools: speechTools)
    result.roots[kind] = job.root
    result.manifests[kind] = manifest
    if reused { result.reused.insert(kind) }
  }
  return result
}

/// Generation of one proxy into its folder.
struct ProxyJob {
  var kind: ProxyKind
  var scale: ProxyScale
  var sources: ProxySources
  var seed: UInt64
  var showProgress: Bool
  var root: String

  /// Generates the proxy unless a complete identical one exists; returns its manifest.
  func run(speechTools: SpeechSynthesisTools?) throws -> (ProxyManifest, reused: Bool) {
    var manifest = ProxyManifest(
      kind: kind.rawValue, profile: scale.name, formatVersion: ProxyManifest.formatVersion,
      seed: seed, configuration: configuration, sources: sourceList(speechTools), counts: [:],
      seconds: 0)
    if let existing = ProxyWriter.manifest(at: root), existing.sameData(as: manifest) {
      return (existing, true)
    }
    if kind == .speechCommands && speechTools == nil {
      throw DatasetError.invalidArgument(
        "the speech proxy needs espeak-ng and sox (apt-get install espeak-ng sox flite); "
          + DatasetError.prepareHint)
    }
    let start = Date()
    let writer = try ProxyWriter(root: root)
    do {
      manifest.counts = try generate(writer: writer, speechTools: speechTools)
      manifest.seconds = Date().timeIntervalSince(start)
      try writer.write(
        ProxyFile(relativePath: "PROXY.md", contents: Array(ProxyJob.readme(kind).utf8)))
      try writer.finish(manifest)
    } catch {
      writer.abandon()
      throw error
    }
    return (manifest, false)
  }

  private var configuration: String {
    switch kind {
    case .imageNet: return ProxyWriter.canonicalJSON(scale.fashionMNIST)
    case .visualWakeWords: return ProxyWriter.canonicalJSON(scale.visualWakeWords)
    case .speechCommands: return ProxyWriter.canonicalJSON(scale.speechCommands)
    }
  }

  private func sourceList(_ tools: SpeechSynthesisTools?) -> [String] {
    switch kind {
    case .imageNet:
      return ["Debian dataset-fashion-mnist: \(sources.fashionMNISTDirectory)"]
    case .visualWakeWords:
      return [
        "scikit-image 0.26.0 wheel: \(sources.lfwSubsetPath)",
        "scikit-image 0.26.0 / scikit-learn 1.9.1 wheels: \(sources.photosDirectory)",
      ]
    case .speechCommands:
      return ["espeak-ng", "sox"] + (tools?.flite == nil ? [] : ["flite"])
    }
  }

  private func generate(
    writer: ProxyWriter, speechTools: SpeechSynthesisTools?
  ) throws -> [String: Int] {
    switch kind {
    case .imageNet: return try generateImageNet(writer)
    case .visualWakeWords: return try generateVisualWakeWords(writer)
    case .speechCommands:
      guard let speechTools else { return [:] }
      let config = scale.speechCommands
      let bar = ProgressBar(label: "speech-proxy", total: config.clipCount, enabled: showProgress)
      defer { bar.finish() }
      return try SpeechProxy.generate(
        config: config, tools: speechTools, seed: seed, writer: writer, progress: bar)
    }
  }

  /// Fashion-MNIST train → `train/`, test → `val/`.
  private func generateImageNet(_ writer: ProxyWriter) throws -> [String: Int] {
    let config = scale.fashionMNIST
    let directory = sources.fashionMNISTDirectory
    let train = try FashionMNIST.load(directory: directory, train: true)
    let test = try FashionMNIST.load(directory: directory, train: false)
    let total =
      min(train.labels.dims[0], config.trainPerClass.map { $0 * 10 } ?? Int.max)
      + min(test.labels.dims[0], config.valPerClass.map { $0 * 10 } ?? Int.max)
    let sink = CountingSink(writer: writer, label: "imagenet-proxy", total: total, showProgress)
    for (split, data, perClass) in [
      ("train", train, config.trainPerClass), ("val", test, config.valPerClass),
    ] {
      try FashionMNIST.proxyFiles(
        images: data.images, labels: data.labels, split: split, perClass: perClass,
        emit: sink.write)
    }
    return sink.finish()
  }

  /// Composites → `train/` and `val/`, each with `person/` and `non_person/`.
  private func generateVisualWakeWords(_ writer: ProxyWriter) throws -> [String: Int] {
    let config = scale.visualWakeWords
    let total = 2 * (config.trainPerClass + config.valPerClass)
    let sink = CountingSink(writer: writer, label: "vww-proxy", total: total, showProgress)
    try VWWProxy.generate(
      sources: try sources.loadVWWSources(), config: config, seed: seed, emit: sink.write)
    return sink.finish()
  }

  /// The PROXY.md written into each proxy: what it is and how it was made.
  static func readme(_ kind: ProxyKind) -> String {
    switch kind {
    case .imageNet:
      return """
        # ImageNet proxy (Fashion-MNIST)
        A proxy, not ImageNet: real Fashion-MNIST (Debian `dataset-fashion-mnist`, Zalando, MIT
        licence), 28x28 gray, 10 classes, written as ImageNet-style class folders of PNG
        (`train/<class>/*.png`, `val/<class>/*.png`; val = the official test set). The loader
        replicates gray to 3 channels. Made by `prepareProxies` (Sources/Datasets/Proxies).

        """
    case .visualWakeWords:
      return """
        # Visual Wake Words proxy
        A proxy, not VWW: each image is a random crop of a real photo without people (from the
        scikit-image 0.26.0 and scikit-learn 1.9.1 wheels) with one 25x25 LFW crop from
        scikit-image's lfw_subset.npy pasted at random scale and position: a face for
        `person/`, a non-face crop for `non_person/`. Faces, non-faces and photos are split
        disjointly between train/ and val/. Made by `prepareProxies` (Sources/Datasets/Proxies).

        """
    case .speechCommands:
      return """
        # Speech Commands proxy
        A proxy, not Speech Commands: the 35 v2 words spoken by espeak-ng (8 English accents x
        voice variants, random speed and pitch) and flite voices, resampled to 16 kHz with sox,
        time-shifted and mixed with generated noise beds, exactly 1 s each, in the v2 layout.
        validation_list.txt and testing_list.txt split by voice (speakers.tsv lists them), as v2
        splits by speaker. _background_noise_ holds sox-generated white/pink/brown noise.
        Made by `prepareProxies` (Sources/Datasets/Proxies).

        """
    }
  }
}

/// Writes proxy files, counts them per folder and advances a progress bar.
private final class CountingSink {
  private let writer: ProxyWriter
  private let bar: ProgressBar
  private var counts: [String: Int] = [:]

  init(writer: ProxyWriter, label: String, total: Int, _ showProgress: Bool) {
    self.writer = writer
    bar = ProgressBar(label: label, total: total, enabled: showProgress)
  }

  func write(_ file: ProxyFile) throws {
    try writer.write(file)
    let folder = file.relativePath.split(separator: "/").dropLast().joined(separator: "/")
    counts[folder, default: 0] += 1
    bar.advance()
  }

  func finish() -> [String: Int] {
    bar.finish()
    return counts
  }
}
