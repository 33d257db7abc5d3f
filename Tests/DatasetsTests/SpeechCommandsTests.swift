// SpeechCommandsTests.swift
// Speech Commands v2 layout on a fixture written here: split membership from the two lists,
// the 12-class label mapping with the silence/unknown counts, background noise, augmentation
// and the MFCC sample source.

import Foundation
import TensorModule
import Testing
import _TestSupport

@testable import Datasets

@Suite struct SpeechCommandsTests {
  /// Every keyword with 3 speakers (aaaa: validation, bbbb: testing, cccc: training), plus the
  /// unknown words "cat" and "dog" with 20 training files each, and one noise file.
  private func writeSpeechTree(_ root: String) throws {
    let clip = WAVCodec.encode(
      WAVAudio(sampleRate: 16_000, samples: [Int16](repeating: 100, count: 8000)))
    var validation: [String] = []
    var testing: [String] = []
    for word in SpeechCommandsDataset.keywords {
      for speaker in ["aaaa", "bbbb", "cccc"] {
        let relative = "\(word)/\(speaker)_nohash_0.wav"
        try writeFixture(clip, to: root + "/" + relative)
        if speaker == "aaaa" { validation.append(relative) }
        if speaker == "bbbb" { testing.append(relative) }
      }
    }
    for word in ["cat", "dog"] {
      for i in 0..<20 { try writeFixture(clip, to: root + "/\(word)/dddd_nohash_\(i).wav") }
    }
    validation.append("cat/dddd_nohash_0.wav")
    let noise = (0..<20_000).map { Int16(($0 % 200) * 100 - 10_000) }
    try writeFixture(
      WAVCodec.encode(WAVAudio(sampleRate: 16_000, samples: noise)),
      to: root + "/_background_noise_/hum.wav")
    try writeFixture(
      Array((validation.joined(separator: "\n") + "\n").utf8), to: root + "/validation_list.txt")
    try writeFixture(
      Array((testing.joined(separator: "\r\n")).utf8), to: root + "/testing_list.txt")
  }

  @Test func splitsFollowTheListsAndLabelsFollowTheTwelveClassSetup() throws {
    try withTemporaryDirectory { root in
      try writeSpeechTree(root)
      #expect(SpeechCommandsDataset.labels.count == 12)
      #expect(SpeechCommandsDataset.labels[0] == "_silence_")
      #expect(SpeechCommandsDataset.labels[1] == "_unknown_")
      #expect(SpeechCommandsDataset.labels[2] == "yes" && SpeechCommandsDataset.labels[11] == "go")
      let train = try SpeechCommandsDataset(root: root, split: .training)
      // 10 keyword files; silence ceil(10% of 10) = 1; unknown ceil(1) = 1 of 39 candidates.
      #expect(train.countsPerLabel == [1, 1] + [Int](repeating: 1, count: 10))
      #expect(
        train.items.filter { $0.label >= 2 }.allSatisfy { $0.path?.contains("/cccc_") == true })
      let validation = try SpeechCommandsDataset(root: root, split: .validation)
      #expect(
        validation.items.filter { $0.label >= 2 }.allSatisfy { $0.path?.contains("/aaaa_") == true }
      )
      #expect(validation.items.first { $0.label == 1 }?.path == root + "/cat/dddd_nohash_0.wav")
      let testing = try SpeechCommandsDataset(root: root, split: .testing)
      #expect(testing.countsPerLabel == [1, 0] + [Int](repeating: 1, count: 10))
      let yes = train.items.first { $0.label == 2 }?.path
      #expect(yes == root + "/yes/cccc_nohash_0.wav")
      #expect(train.backgroundNoise.count == 1 && train.backgroundNoise[0].count == 20_000)
    }
  }

  @Test func unknownDrawIsSeeded() throws {
    try withTemporaryDirectory { root in
      try writeSpeechTree(root)
      var options = SpeechCommandsDataset.Options()
      options.unknownPercentage = 50
      let a = try SpeechCommandsDataset(root: root, split: .training, options: options)
      let b = try SpeechCommandsDataset(root: root, split: .training, options: options)
      #expect(a.items == b.items && a.countsPerLabel[1] == 5)
      options.seed = 1
      let c = try SpeechCommandsDataset(root: root, split: .training, options: options)
      #expect(c.items != a.items)
    }
  }

  @Test func aListedFileThatIsMissingIsReportedWithItsLine() throws {
    try withTemporaryDirectory { root in
      try writeSpeechTree(root)
      try writeFixture(
        Array("yes/aaaa_nohash_0.wav\nyes/zzzz_nohash_9.wav\n".utf8),
        to: root + "/validation_list.txt")
      let text = errorText { _ = try SpeechCommandsDataset(root: root, split: .training) }
      #expect(text.contains("\(root)/validation_list.txt:2: no such file: yes/zzzz_nohash_9.wav"))
    }
  }

  @Test func waveformsArePaddedToOneSecondAndSilenceIsZero() throws {
    try withTemporaryDirectory { root in
      try writeSpeechTree(root)
      let train = try SpeechCommandsDataset(root: root, split: .training)
      let wave = try train.waveform(at: 0)
      #expect(wave.count == 16_000)
      #expect(wave[7999] == 100.0 / 32_768 && wave[8000] == 0)
      let silence = try train.waveform(at: train.items.firstIndex { $0.label == 0 } ?? 0)
      #expect(silence.allSatisfy { $0 == 0 })
    }
  }

  @Test func timeShiftMovesTheClipWithinItsBound() {
    let clip = (0..<16_000).map { Float($0 % 97) / 97 }
    let shiftOnly = SpeechAugmentation(
      timeShiftSamples: 1600, backgroundFrequency: 0, backgroundVolume: 0)
    for seed in 0..<20 {
      var rng = SeededGenerator(seed: UInt64(seed))
      let out = shiftOnly.apply(clip, isSilence: false, noise: [], rng: &rng)
      let shift = (-1600...1600).first { s in
        (0..<16_000).allSatisfy { t in out[t] == ((0..<16_000).contains(t - s) ? clip[t - s] : 0) }
      }
      #expect(shift != nil, "seed \(seed): output is no shift of the input")
    }
  }

  @Test func silenceGetsOnlyBoundedNoise() {
    let noise = [(0..<30_000).map { Float(sin(Double($0))) }]
    var rng = SeededGenerator(seed: 1)
    let out = SpeechAugmentation.training.apply(
      [Float](repeating: 0.5, count: 16_000), isSilence: true, noise: noise, rng: &rng)
    let peak = out.map(abs).max() ?? 0
    #expect(peak > 0 && peak <= 0.1)
    var again = SeededGenerator(seed: 1)
    #expect(
      out
        == SpeechAugmentation.training.apply(
          [Float](repeating: 0.5, count: 16_000), isSilence: true, noise: noise, rng: &again))
  }

  @Test func speechSourceGivesMFCCImages() throws {
    try withTemporaryDirectory { root in
      try writeSpeechTree(root)
      let dataset = try SpeechCommandsDataset(root: root, split: .training)
      let source = SpeechSampleSource(dataset, augmentation: .training)
      #expect(source.sampleShape == [49, 10, 1])
      var rng = SeededGenerator(seed: 2)
      let sample = try source.sample(at: 0, rng: &rng)
      #expect(sample.data.count == 490 && sample.data.allSatisfy { $0.isFinite })
      #expect(source.label(at: 0) == dataset.items[0].label)
    }
  }
}
