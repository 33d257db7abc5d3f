// SpeechCommandsDataset.swift
// Speech Commands v2 (Warden 2018) in its on-disk layout, with the usual 12-class setup of
// TensorFlow's speech_commands/input_data.py (used by Hello Edge, MCUNet and MLPerf Tiny):
//   root/<word>/<speaker>_nohash_<n>.wav    16 kHz mono 16-bit, ≤ 1 s
//   root/validation_list.txt, root/testing_list.txt   (relative paths, one per line)
//   root/_background_noise_/*.wav           long noise recordings
// A file is in the validation or testing split iff a list names it; every other word file is
// training. Labels: 0 `_silence_`, 1 `_unknown_`, 2… the 10 keywords in the order below.
// Per split: all keyword files; `_unknown_` = ceil(10% of the keyword count) files drawn
// (seeded) from the other words; `_silence_` = ceil(10%) items with no file.

/// One item of a Speech Commands split.
public struct SpeechItem: Sendable, Equatable {
  /// The WAV file, or nil for a `_silence_` item.
  public var path: String?
  /// Index into `SpeechCommandsDataset.labels`.
  public var label: Int
}

/// A split of Speech Commands v2 with the 12-class labels.
public struct SpeechCommandsDataset: Sendable {
  /// The 10 keywords of the 12-class task.
  public static let keywords = [
    "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go",
  ]
  /// All label names: `_silence_`, `_unknown_`, then the keywords.
  public static let labels = ["_silence_", "_unknown_"] + keywords
  /// The 35 words of Speech Commands v2.
  public static let allWords = [
    "backward", "bed", "bird", "cat", "dog", "down", "eight", "five", "follow", "forward", "four",
    "go", "happy", "house", "learn", "left", "marvin", "nine", "no", "off", "on", "one", "right",
    "seven", "sheila", "six", "stop", "three", "tree", "two", "up", "visual", "wow", "yes", "zero",
  ]
  /// The folder of the noise recordings.
  public static let backgroundFolder = "_background_noise_"
  /// Samples per clip (1 s at 16 kHz).
  public static let clipSamples = 16_000

  /// Which list decides the split.
  public enum Split: String, Sendable, CaseIterable {
    case training, validation, testing
  }

  /// Proportions of the extra classes (TensorFlow's defaults: 10 % each).
  public struct Options: Sendable, Equatable {
    public var silencePercentage = 10.0
    public var unknownPercentage = 10.0
    /// Seed of the unknown-word draw.
    public var seed: UInt64 = 59_185
    public init() {}
  }

  public let root: String
  public let split: Split
  /// Keyword items, then silence items, then unknown items.
  public let items: [SpeechItem]
  /// The background noise recordings (Float samples), sorted by file name.
  public let backgroundNoise: [[Float]]

  /// Scans `root` and builds `split`.
  ///
  /// - Throws: `DatasetError.missingDirectory` (no root, no keyword folder),
  ///   `.fileNotFound` (missing list), `.invalidList` (a listed file that is absent),
  ///   `.invalidWAV` for a bad noise file.
  public init(root: String, split: Split, options: Options = Options()) throws {
    let hint = "expected the Speech Commands v2 layout; " + DatasetError.prepareHint
    guard FileSystem.isDirectory(root) else {
      throw DatasetError.missingDirectory(path: root, hint: hint)
    }
    let validation = try SpeechCommandsDataset.readList(root, "validation_list.txt")
    let testing = try SpeechCommandsDataset.readList(root, "testing_list.txt")
    var known: [SpeechItem] = []
    var unknown: [SpeechItem] = []
    let words = try FileSystem.list(root).filter {
      $0 != SpeechCommandsDataset.backgroundFolder
        && FileSystem.isDirectory(FileSystem.join(root, $0))
    }
    for word in words {
      for file in try FileSystem.files(under: FileSystem.join(root, word), extensions: ["wav"]) {
        let relative = word + "/" + file
        let fileSplit: Split =
          validation.contains(relative)
          ? .validation : testing.contains(relative) ? .testing : .training
        guard fileSplit == split else { continue }
        let path = FileSystem.join(root, relative)
        if let index = SpeechCommandsDataset.keywords.firstIndex(of: word) {
          known.append(SpeechItem(path: path, label: index + 2))
        } else {
          unknown.append(SpeechItem(path: path, label: 1))
        }
      }
    }
    for keyword in SpeechCommandsDataset.keywords where !words.contains(keyword) {
      throw DatasetError.missingDirectory(path: FileSystem.join(root, keyword), hint: hint)
    }
    var rng = Sampling.generator(seed: options.seed, stream: 0x554E_4B, index: 0)
    Sampling.shuffle(&unknown, &rng)
    let extra = { (percentage: Double) in
      Int((Double(known.count) * percentage / 100).rounded(.up))
    }
    let silence = [SpeechItem](
      repeating: SpeechItem(path: nil, label: 0), count: extra(options.silencePercentage))
    self.root = root
    self.split = split
    self.items = known + silence + unknown.prefix(extra(options.unknownPercentage))
    self.backgroundNoise = try SpeechCommandsDataset.loadNoise(root)
  }

  /// Number of items.
  public var count: Int { items.count }

  /// Items per label, indexed like `labels`.
  public var countsPerLabel: [Int] {
    var counts = [Int](repeating: 0, count: SpeechCommandsDataset.labels.count)
    for item in items { counts[item.label] += 1 }
    return counts
  }

  /// The clip of item `index` as exactly 16,000 Float samples (zero-padded or truncated);
  /// silence items are zeros.
  public func waveform(at index: Int) throws -> [Float] {
    guard let path = items[index].path else {
      return [Float](repeating: 0, count: SpeechCommandsDataset.clipSamples)
    }
    let audio = try WAVCodec.read(path: path)
    guard audio.sampleRate == 16_000 else {
      throw DatasetError.invalidWAV(
        path: path, reason: "sample rate \(audio.sampleRate), not 16000")
    }
    return SpeechCommandsDataset.fitted(audio.floatSamples)
  }

  /// `samples` zero-padded or truncated to exactly one clip.
  static func fitted(_ samples: [Float]) -> [Float] {
    let n = SpeechCommandsDataset.clipSamples
    if samples.count >= n { return Array(samples.prefix(n)) }
    return samples + [Float](repeating: 0, count: n - samples.count)
  }

  /// The set of relative paths a split list names; each must exist.
  static func readList(_ root: String, _ name: String) throws -> Set<String> {
    let path = FileSystem.join(root, name)
    let text = String(decoding: try FileSystem.read(path), as: UTF8.self)
    var entries = Set<String>()
    // Split on any newline: a "\r\n" pair is one Character in Swift, not "\n".
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    for (number, line) in lines.enumerated() {
      let entry = trimmed(line)
      if entry.isEmpty { continue }
      guard FileSystem.exists(FileSystem.join(root, entry)) else {
        throw DatasetError.invalidList(
          path: path, line: number + 1, reason: "no such file: \(entry)")
      }
      entries.insert(entry)
    }
    return entries
  }

  /// Every WAV of `_background_noise_` as Float samples (empty when the folder is absent).
  static func loadNoise(_ root: String) throws -> [[Float]] {
    let folder = FileSystem.join(root, backgroundFolder)
    guard FileSystem.isDirectory(folder) else { return [] }
    return try FileSystem.files(under: folder, extensions: ["wav"]).map {
      try WAVCodec.read(path: FileSystem.join(folder, $0)).floatSamples
    }
  }
}

/// `line` without leading and trailing spaces, tabs and a Windows `\r`.
private func trimmed(_ line: Substring) -> String {
  let blank: Set<Character> = [" ", "\t", "\r"]
  var s = line
  while let first = s.first, blank.contains(first) { s.removeFirst() }
  while let last = s.last, blank.contains(last) { s.removeLast() }
  return String(s)
}
