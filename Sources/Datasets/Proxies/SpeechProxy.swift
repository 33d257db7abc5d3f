// SpeechProxy.swift
// The Speech Commands proxy: the 35 words of Speech Commands v2 spoken by espeak-ng (8 English
// accents × ~50 voice variants, random speed and pitch) and flite (5 voices), in the v2 layout:
//   <word>/<speaker>_nohash_<n>.wav   exactly 1 s, 16 kHz, mono, 16-bit
//   validation_list.txt, testing_list.txt   split by speaker (voice), as v2 splits by person
//   _background_noise_/*.wav           noise beds generated with `sox synth` (white/pink/brown)
// Per clip: synthesize → `sox` resample to 16 kHz → trim leading/trailing silence (|x| below 2 %
// of the peak) → `sox tempo` only if longer than 0.95 s → peak gain uniform in [0.3, 0.9]
// → placed at a random offset (time shift) → noise-bed slice mixed at an SNR uniform in
// [5, 30] dB (10 % of clips are left clean). The external programs run through an injected
// `SpeechSynthesisTools.run` (Runner's ProcessRunner in the app), two clips at a time.

import Dispatch
import Foundation
import TensorModule

/// The external programs the speech proxy needs and how to run them. Datasets may not spawn
/// processes (STYLE.md B2 rule 3), so the caller injects `run`, e.g.
/// `{ try ProcessRunner().run($0, $1, timeout: 60) }` from the Runner target.
public struct SpeechSynthesisTools: Sendable {
  /// Runs `executable` with `arguments`; throws when it fails (exit status ≠ 0).
  public var run: @Sendable (_ executable: String, _ arguments: [String]) throws -> Void
  /// Path of `espeak-ng`.
  public var espeak: String
  /// Path of `sox`.
  public var sox: String
  /// Path of `flite`, or nil when it is not installed (its 5 voices are then not used).
  public var flite: String?

  public init(
    espeak: String, sox: String, flite: String?,
    run: @escaping @Sendable (_ executable: String, _ arguments: [String]) throws -> Void
  ) {
    self.espeak = espeak
    self.sox = sox
    self.flite = flite
    self.run = run
  }
}

/// Sizes of the speech proxy.
public struct SpeechProxyConfig: Codable, Sendable, Equatable {
  /// The words to speak (default: all 35 of v2).
  public var words: [String]
  /// Distinct voices (speakers) drawn from the pool.
  public var speakers: Int
  /// Utterances of each word per speaker (`_nohash_0`, `_nohash_1`, …).
  public var utterancesPerSpeaker: Int
  /// Utterances of each of the 10 keywords per speaker (nil: `utterancesPerSpeaker`). The
  /// 12-class task uses every keyword clip but only 10 % as many unknown-word clips, so the
  /// keywords get more renditions (other speeds and pitches) than the 25 other words.
  public var keywordUtterancesPerSpeaker: Int?
  /// Fractions of the speakers whose clips go to the validation and testing lists.
  public var validationFraction = 0.1
  public var testingFraction = 0.1
  /// Length of each generated noise bed.
  public var noiseSeconds = 30
  /// Clips synthesized in parallel (not part of the data's identity: not encoded).
  public var jobs = 2

  private enum CodingKeys: String, CodingKey {
    case words, speakers, utterancesPerSpeaker, keywordUtterancesPerSpeaker, validationFraction
    case testingFraction, noiseSeconds
  }

  public init(words: [String], speakers: Int, utterancesPerSpeaker: Int) {
    self.words = words
    self.speakers = speakers
    self.utterancesPerSpeaker = utterancesPerSpeaker
  }

  /// Utterances per speaker of `word`.
  public func utterances(of word: String) -> Int {
    SpeechCommandsDataset.keywords.contains(word)
      ? keywordUtterancesPerSpeaker ?? utterancesPerSpeaker : utterancesPerSpeaker
  }

  /// Clips the configuration produces (when the voice pool has `speakers` voices).
  public var clipCount: Int { speakers * words.map(utterances(of:)).reduce(0, +) }
}

/// A synthetic speaker: one TTS engine voice.
public struct SpeechVoice: Codable, Sendable, Hashable {
  /// `espeak-ng` or `flite`.
  public var engine: String
  /// espeak-ng `-v` value (`en-us+f3`) or flite `-voice` name (`slt`).
  public var voice: String

  /// The v2-style 8-hex-digit speaker id (a stable hash of engine and voice).
  public var speakerID: String {
    let hex = String(Sampling.hash(engine + ":" + voice) & 0xFFFF_FFFF, radix: 16)
    return hex.leftPadded(to: 8)
  }
}

/// The speech proxy generator.
public enum SpeechProxy {
  /// espeak-ng's English voices that need no MBROLA.
  public static let espeakVoices = [
    "en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd",
    "en-029", "en-us-nyc",
  ]
  /// espeak-ng voice variants (espeak-ng 1.51 `--voices=variant`); "" is the plain voice.
  public static let espeakVariants = [
    "", "f1", "f2", "f3", "f4", "f5", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "klatt",
    "klatt2", "klatt3", "klatt4", "croak", "whisper", "whisperf", "Alex", "Andy", "Annie",
    "Denis", "Gene", "Jacky", "Lee", "Mario", "Michael", "Mike", "Storm", "Tweaky", "adam",
    "anika", "aunty", "belinda", "benjamin", "caleb", "david", "ed", "edward", "grandma",
    "grandpa", "john", "linda", "max", "norbert", "paul", "quincy", "rob", "robert", "shelby",
    "steph", "travis", "victor", "zac",
  ]
  /// flite's built-in voices.
  public static let fliteVoices = ["kal", "kal16", "awb", "rms", "slt"]
  /// Noise beds written to `_background_noise_` (file name, `sox synth` generator).
  public static let noiseBeds = [
    ("white_noise.wav", "whitenoise"), ("pink_noise.wav", "pinknoise"),
    ("brown_noise.wav", "brownnoise"),
  ]

  /// The speakers of a run, in split order: testing first, then validation, then training.
  public static func speakers(
    config: SpeechProxyConfig, withFlite: Bool, seed: UInt64
  ) -> (voices: [SpeechVoice], testing: Int, validation: Int) {
    var pool = espeakVoices.flatMap { v in
      espeakVariants.map {
        SpeechVoice(engine: "espeak-ng", voice: $0.isEmpty ? v : v + "+" + $0)
      }
    }
    if withFlite { pool += fliteVoices.map { SpeechVoice(engine: "flite", voice: $0) } }
    var rng = Sampling.generator(seed: seed, stream: Sampling.hash("speakers"), index: 0)
    Sampling.shuffle(&pool, &rng)
    let n = min(config.speakers, pool.count)
    let share = { (f: Double) in n >= 3 ? max(1, Int((Double(n) * f).rounded())) : 0 }
    return (Array(pool.prefix(n)), share(config.testingFraction), share(config.validationFraction))
  }

  /// One clip to make.
  struct Clip: Sendable {
    var word: String
    var voice: SpeechVoice
    var utterance: Int
    var relativePath: String { "\(word)/\(voice.speakerID)_nohash_\(utterance).wav" }
  }

  /// Generates the whole proxy through `writer` (noise beds, clips, lists, speakers.tsv).
  /// Returns the file counts per word folder and list.
  public static func generate(
    config: SpeechProxyConfig, tools: SpeechSynthesisTools, seed: UInt64, writer: ProxyWriter,
    progress: ProgressBar
  ) throws -> [String: Int] {
    let (voices, nTest, nVal) = speakers(config: config, withFlite: tools.flite != nil, seed: seed)
    let noise = try makeNoiseBeds(config: config, tools: tools, writer: writer)
    let clips = voices.flatMap { voice in
      config.words.flatMap { word in
        (0..<config.utterances(of: word)).map { Clip(word: word, voice: voice, utterance: $0) }
      }
    }
    try synthesizeAll(
      clips, jobs: config.jobs, noise: noise, tools: tools, seed: seed, writer: writer,
      progress: progress)
    let testing = Set(voices.prefix(nTest))
    let validation = Set(voices.dropFirst(nTest).prefix(nVal))
    let list = { (set: Set<SpeechVoice>) in
      clips.filter { set.contains($0.voice) }.map(\.relativePath).sorted()
    }
    try writeText(list(testing), "testing_list.txt", writer)
    try writeText(list(validation), "validation_list.txt", writer)
    try writeText(
      voices.enumerated().map { i, v in
        let split = i < nTest ? "testing" : i < nTest + nVal ? "validation" : "training"
        return "\(v.speakerID)\t\(v.engine)\t\(v.voice)\t\(split)"
      }, "speakers.tsv", writer)
    var counts: [String: Int] = ["validation_list": list(validation).count]
    counts["testing_list"] = list(testing).count
    for clip in clips { counts[clip.word, default: 0] += 1 }
    return counts
  }

  private static func writeText(_ lines: [String], _ name: String, _ writer: ProxyWriter) throws {
    let text = lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
    try writer.write(ProxyFile(relativePath: name, contents: Array(text.utf8)))
  }

  /// Writes the noise beds with `sox -R -n … synth` and returns them as Float samples.
  static func makeNoiseBeds(
    config: SpeechProxyConfig, tools: SpeechSynthesisTools, writer: ProxyWriter
  ) throws -> [[Float]] {
    let folder = SpeechCommandsDataset.backgroundFolder
    try FileSystem.createDirectory(writer.stagingPath(folder))
    return try noiseBeds.map { name, generator in
      let path = writer.stagingPath(folder + "/" + name)
      try tools.run(
        tools.sox,
        [
          "-R", "-n", "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", path,
          "synth", "\(config.noiseSeconds)", generator, "vol", "0.5",
        ])
      return try WAVCodec.read(path: path).floatSamples
    }
  }

  /// Makes every clip on `config.jobs` threads (clip i on job i mod jobs), each job with its own
  /// scratch files; stops at the first error.
  static func synthesizeAll(
    _ clips: [Clip], jobs requested: Int, noise: [[Float]], tools: SpeechSynthesisTools,
    seed: UInt64, writer: ProxyWriter, progress: ProgressBar
  ) throws {
    let jobs = max(1, min(requested, clips.count))
    let failure = FirstError()
    let work = writer.stagingPath(".work")
    try FileSystem.createDirectory(work)
    let job: @Sendable (Int) -> Void = { j in
      for i in stride(from: j, to: clips.count, by: jobs) where !failure.isSet {
        do {
          var rng = Sampling.generator(seed: seed, stream: Sampling.hash("clip"), index: UInt64(i))
          let audio = try synthesize(
            clips[i], scratch: work + "/job\(j)", noise: noise, tools: tools, rng: &rng)
          try writer.write(
            ProxyFile(relativePath: clips[i].relativePath, contents: WAVCodec.encode(audio)))
          progress.advance()
        } catch {
          failure.record(error)
        }
      }
    }
    DispatchQueue.concurrentPerform(iterations: jobs, execute: job)
    try FileSystem.remove(work)
    if let error = failure.error { throw error }
  }

  /// One clip: TTS → sox resample → trim → (tempo) → gain → shift → noise.
  static func synthesize(
    _ clip: Clip, scratch: String, noise: [[Float]], tools: SpeechSynthesisTools,
    rng: inout SeededGenerator
  ) throws -> WAVAudio {
    let raw = scratch + "_raw.wav"
    let resampled = scratch + "_16k.wav"
    if clip.voice.engine == "flite", let flite = tools.flite {
      let stretch = String(format: "%.2f", Sampling.uniform(0.8, 1.1, &rng))
      let f0 = String(Sampling.integer(80...170, &rng))
      try tools.run(
        flite,
        [
          "-voice", clip.voice.voice, "--setf", "duration_stretch=\(stretch)",
          "--setf", "int_f0_target_mean=\(f0)", "-t", clip.word, "-o", raw,
        ])
    } else {
      let speed = String(Sampling.integer(120...220, &rng))
      let pitch = String(Sampling.integer(15...85, &rng))
      try tools.run(
        tools.espeak, ["-v", clip.voice.voice, "-s", speed, "-p", pitch, "-w", raw, clip.word])
    }
    try tools.run(
      tools.sox,
      [
        "-R", "-G", raw, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", resampled,
      ])
    var speech = trimSilence(try WAVCodec.read(path: resampled).floatSamples)
    let maxLength = SpeechCommandsDataset.clipSamples * 95 / 100
    if speech.count > maxLength {
      let factor = String(format: "%.4f", Double(speech.count) / Double(maxLength) + 0.001)
      let trimmed = WAVAudio(sampleRate: 16_000, floatSamples: speech)
      try FileSystem.write(WAVCodec.encode(trimmed), to: raw)
      try tools.run(tools.sox, ["-R", raw, resampled, "tempo", "-s", factor])
      speech = Array(try WAVCodec.read(path: resampled).floatSamples.prefix(maxLength))
    }
    return WAVAudio(sampleRate: 16_000, floatSamples: place(speech, noise: noise, rng: &rng))
  }

  /// `samples` without the leading and trailing run below 2 % of the peak.
  static func trimSilence(_ samples: [Float]) -> [Float] {
    let peak = samples.map(abs).max() ?? 0
    guard peak > 0 else { return [] }
    let threshold = 0.02 * peak
    guard let first = samples.firstIndex(where: { abs($0) > threshold }),
      let last = samples.lastIndex(where: { abs($0) > threshold })
    else { return [] }
    return Array(samples[first...last])
  }

  /// Scales the word to a random peak, puts it at a random offset in a 1-s clip and mixes in a
  /// random slice of a noise bed at a random SNR.
  static func place(_ speech: [Float], noise: [[Float]], rng: inout SeededGenerator) -> [Float] {
    let n = SpeechCommandsDataset.clipSamples
    var out = [Float](repeating: 0, count: n)
    let peak = speech.map(abs).max() ?? 0
    let gain = peak > 0 ? Float(Sampling.uniform(0.3, 0.9, &rng)) / peak : 0
    let offset = Sampling.below(max(1, n - speech.count + 1), &rng)
    for (i, x) in speech.enumerated() where offset + i < n { out[offset + i] = x * gain }
    let usable = noise.filter { $0.count >= n }
    guard !usable.isEmpty, Sampling.unit(&rng) >= 0.1 else { return out }
    let bed = usable[Sampling.below(usable.count, &rng)]
    let start = Sampling.below(bed.count - n + 1, &rng)
    let snr = Sampling.uniform(5, 30, &rng)
    let speechRMS = rms(out[...])
    let noiseRMS = rms(bed[start..<(start + n)])
    guard noiseRMS > 0, speechRMS > 0 else { return out }
    let scale = Float(speechRMS / noiseRMS / pow(10, snr / 20))
    for t in 0..<n { out[t] = min(max(out[t] + scale * bed[start + t], -1), 1) }
    return out
  }

  private static func rms(_ x: ArraySlice<Float>) -> Double {
    (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, x.count))).squareRoot()
  }
}

/// The first error of several threads.
private final class FirstError: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: Error?

  func record(_ error: Error) {
    lock.lock()
    defer { lock.unlock() }
    if stored == nil { stored = error }
  }

  var error: Error? {
    lock.lock()
    defer { lock.unlock() }
    return stored
  }

  var isSet: Bool { error != nil }
}
