// AudioTests.swift
// WAV reading/writing, the radix-2 real FFT against a direct DFT, and the MFCC front end:
// shape, a hand-checkable golden (silence), a pure tone in its mel band, and frames compared
// with an independent float64 implementation written here from the stated parameters.

import Foundation
import TensorModule
import Testing
import _TestSupport

@testable import Datasets

@Suite struct WAVTests {
  @Test func wavRoundTripIsExact() throws {
    let audio = WAVAudio(sampleRate: 16_000, samples: [0, 1, -1, 32_767, -32_768, 1234])
    let bytes = WAVCodec.encode(audio)
    #expect(bytes.count == 44 + 12)
    #expect(String(decoding: bytes[0..<4], as: UTF8.self) == "RIFF")
    #expect(try WAVCodec.decode(bytes, path: "m.wav") == audio)
    try withTemporaryDirectory { dir in
      try writeFixture(bytes, to: dir + "/a.wav")
      #expect(try WAVCodec.read(path: dir + "/a.wav").samples == audio.samples)
    }
  }

  @Test func unknownChunksAreSkippedIncludingOddPadding() throws {
    var bytes = WAVCodec.encode(WAVAudio(sampleRate: 8000, samples: [5, -6]))
    // Insert "LIST" with 3 bytes (+1 pad byte) between fmt and data.
    let list: [UInt8] = Array("LIST".utf8) + [3, 0, 0, 0, 0x61, 0x62, 0x63, 0]
    bytes.insert(contentsOf: list, at: 36)
    let decoded = try WAVCodec.decode(bytes, path: "list.wav")
    #expect(decoded.sampleRate == 8000 && decoded.samples == [5, -6])
  }

  @Test func stereoAnd8BitFilesAreRejectedWithAConversionHint() {
    var stereo = WAVCodec.encode(WAVAudio(sampleRate: 16_000, samples: [1, 2]))
    stereo[22] = 2  // channels
    let text = errorText { _ = try WAVCodec.decode(stereo, path: "/d/stereo.wav") }
    #expect(text.contains("invalid WAV /d/stereo.wav: expected 16-bit mono PCM"))
    #expect(text.contains("2 channel(s)") && text.contains("sox IN.wav -r 16000 -c 1 -b 16"))
    var eight = WAVCodec.encode(WAVAudio(sampleRate: 16_000, samples: [1, 2]))
    eight[34] = 8  // bits per sample
    #expect(errorText { _ = try WAVCodec.decode(eight, path: "e.wav") }.contains("8 bits"))
    #expect(
      errorText { _ = try WAVCodec.decode(Array("RIFX".utf8), path: "x.wav") }
        .contains("no RIFF/WAVE header"))
  }

  @Test func floatConversionUsesTensorFlowScaling() {
    let audio = WAVAudio(sampleRate: 16_000, samples: [-32_768, 16_384, 0])
    assertClose(audio.floatSamples, [-1, 0.5, 0])
    #expect(
      WAVAudio(sampleRate: 1, floatSamples: [2, -2, 0.5]).samples == [32_767, -32_767, 16_384])
  }
}

@Suite struct MFCCTests {
  /// Direct O(N²) DFT in float64.
  private func directDFT(_ x: [Double], size: Int) -> [(Double, Double)] {
    (0...(size / 2)).map { k in
      var re = 0.0
      var im = 0.0
      for (n, v) in x.enumerated() {
        let angle = -2 * Double.pi * Double(k * n) / Double(size)
        re += v * cos(angle)
        im += v * sin(angle)
      }
      return (re, im)
    }
  }

  @Test func realFFTMatchesDirectDFT() {
    var rng = SeededGenerator(seed: 11)
    withEvery("size", in: [2, 4, 16, 64, 1024]) { size in
      let n = size == 1024 ? 700 : size  // also check the implicit zero padding
      let signal = (0..<n).map { _ in Float(Sampling.uniform(-1, 1, &rng)) }
      let (re, im) = RealFFT(size: size).forward(signal)
      let expected = directDFT(signal.map(Double.init), size: size)
      assertClose(re, expected.map(\.0), atol: 1e-9, rtol: 1e-9, "re")
      assertClose(im, expected.map(\.1), atol: 1e-9, rtol: 1e-9, "im")
    }
  }

  @Test func oneSecondGives49By10() {
    let mfcc = MFCC()
    #expect(mfcc.config.frames(forSamples: 16_000) == 49)
    let image = mfcc.image([Float](repeating: 0.1, count: 16_000))
    #expect((image.height, image.width, image.channels) == (49, 10, 1))
  }

  /// Silence: every mel energy is 0, so every log-mel is ln(1e-6) = -13.815511; the
  /// orthonormal DCT of a constant L over 40 bands is c0 = √40 · L = -87.3769, c_k = 0.
  @Test func silenceGivesTheHandComputedGolden() {
    let out = MFCC()([Float](repeating: 0, count: 16_000))
    let c0 = Float(40.0.squareRoot() * log(1e-6))
    let frame = [c0] + [Float](repeating: 0, count: 9)
    assertClose(out, Array((0..<49).map { _ in frame }.joined()), atol: 1e-4)
    assertClose(c0, -87.3769, atol: 1e-3)
  }

  /// A 1 kHz tone puts its largest log-mel energy in the band whose centre is nearest to
  /// mel(1000 Hz) = 1000.0 (HTK), far above a band at the other end of the range.
  @Test func pureToneLandsInItsMelBand() {
    let tone = (0..<16_000).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 16_000)) }
    let logMel = MFCC().logMel(tone)
    let frame = Array(logMel[(24 * 40)..<(25 * 40)])
    let lower = MFCC.mel(20)
    let upper = MFCC.mel(4000)
    let centres = (1...40).map { lower + (upper - lower) * Double($0) / 41 }
    let expected = centres.indices.min {
      abs(centres[$0] - MFCC.mel(1000)) < abs(centres[$1] - MFCC.mel(1000))
    }
    let argmax = frame.indices.max { frame[$0] < frame[$1] }
    #expect(argmax == expected)
    #expect(frame[expected ?? 0] - frame[39] > 10)
    assertClose(MFCC.mel(1000), 1000.0, atol: 0.1)
  }

  /// An independent float64 MFCC from the documented parameters (direct DFT, own filterbank
  /// and DCT), compared on frames 0, 24 and 48 of a two-tone signal with noise.
  @Test func framesMatchAnIndependentFloat64Implementation() {
    var rng = SeededGenerator(seed: 5)
    let signal: [Float] = (0..<16_000).map { n in
      let t = Double(n) / 16_000
      let v = 0.3 * sin(2 * Double.pi * 440 * t) + 0.2 * sin(2 * Double.pi * 1700 * t + 0.3)
      return Float(v + 0.01 * Sampling.uniform(-1, 1, &rng))
    }
    let ours = MFCC()(signal)
    for t in [0, 24, 48] {
      let expected = referenceMFCC(signal.map(Double.init), frame: t)
      let actual = Array(ours[(t * 10)..<(t * 10 + 10)])
      assertClose(actual.map(Double.init), expected, atol: 2e-3, rtol: 1e-4, "frame \(t)")
    }
  }

  private func referenceMFCC(_ x: [Double], frame t: Int) -> [Double] {
    let hz = { (k: Int) in Double(k) * 16_000 / 1024 }
    let mel = { (f: Double) in 1127 * log(1 + f / 700) }
    let windowed = (0..<640).map { n in
      x[320 * t + n] * (0.5 - 0.5 * cos(2 * Double.pi * Double(n) / 640))
    }
    let magnitude = directDFT(windowed, size: 1024).map { ($0.0 * $0.0 + $0.1 * $0.1).squareRoot() }
    let edges = (0..<42).map { mel(20) + (mel(4000) - mel(20)) * Double($0) / 41 }
    let logMel = (0..<40).map { b -> Double in
      var e = 0.0
      for k in 1...512 {
        let m = mel(hz(k))
        if m > edges[b] && m < edges[b + 2] {
          let w =
            m <= edges[b + 1]
            ? (m - edges[b]) / (edges[b + 1] - edges[b])
            : (edges[b + 2] - m) / (edges[b + 2] - edges[b + 1])
          e += w * magnitude[k]
        }
      }
      return log(e + 1e-6)
    }
    return (0..<10).map { k in
      let s = k == 0 ? (1.0 / 40).squareRoot() : (2.0 / 40).squareRoot()
      return s
        * (0..<40).reduce(0.0) {
          $0 + logMel[$1] * cos(Double.pi * Double(k) * (Double($1) + 0.5) / 40)
        }
    }
  }
}
