// MFCC.swift
// The keyword-spotting front end: 1 s of 16 kHz audio → 49 frames × 10 MFCC (the input size of
// the KWS models in MCUNet Fig. 9 and of "Hello Edge" DS-CNN). Step by step, per frame:
//   1. frame t covers samples [320 t, 320 t + 640): 40 ms window, 20 ms hop, no padding, so
//      1 s = 16,000 samples gives 1 + (16000 - 640) / 320 = 49 frames;
//   2. multiply by a periodic Hann window w[n] = 0.5 - 0.5 cos(2πn / 640) (torch/tf.signal);
//   3. zero-pad to 1024 and take the real FFT (RealFFT); magnitude |X[k]|, k = 0 … 512;
//   4. 40 triangular mel filters on the HTK mel scale m(f) = 1127 ln(1 + f / 700), edges evenly
//      spaced in mel from 20 Hz to 4000 Hz, weights computed in mel
//      (tf.signal.linear_to_mel_weight_matrix; the DC bin gets no weight);
//   5. log(mel + 1e-6) (the tf.signal MFCC recipe);
//   6. orthonormal DCT-II over the 40 log-mel values; keep coefficients 0 … 9.
// Output is row-major [frames, coefficients] = [49, 10]; fed to the network as [49, 10, 1].

import Foundation

/// MFCC parameters. The defaults are the Speech Commands setup stated in the file header.
public struct MFCCConfig: Sendable, Codable, Equatable {
  public var sampleRate = 16_000
  /// Window length in samples (640 = 40 ms at 16 kHz).
  public var windowLength = 640
  /// Hop in samples (320 = 20 ms at 16 kHz).
  public var hopLength = 320
  /// FFT length (≥ windowLength, a power of two).
  public var fftSize = 1024
  public var melBands = 40
  public var lowerHz = 20.0
  public var upperHz = 4000.0
  public var coefficients = 10
  /// Added to the mel energies before the log.
  public var logOffset = 1e-6

  /// The defaults: 16 kHz, 640/320, FFT 1024, 40 mel bands 20–4000 Hz, 10 coefficients.
  public init() {}

  /// Frames for a signal of `samples` samples (no padding; at least 1).
  public func frames(forSamples samples: Int) -> Int {
    max(1, 1 + (samples - windowLength) / hopLength)
  }
}

/// Computes MFCCs; tables are built once, so one value serves many clips (and threads).
public struct MFCC: Sendable {
  public let config: MFCCConfig
  private let fft: RealFFT
  private let window: [Float]
  /// [melBands][fftSize / 2 + 1] filter weights.
  let melWeights: [[Double]]
  /// The FFT bins with non-zero weight, per band (the triangles are narrow).
  private let melSupport: [Range<Int>]
  /// [coefficients][melBands] orthonormal DCT-II rows.
  private let dct: [[Double]]

  /// Builds the window, mel filterbank and DCT tables for `config`.
  public init(config: MFCCConfig = MFCCConfig()) {
    precondition(config.fftSize >= config.windowLength, "FFT shorter than the window")
    precondition(config.coefficients <= config.melBands, "more coefficients than mel bands")
    self.config = config
    fft = RealFFT(size: config.fftSize)
    let n = config.windowLength
    window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
    melWeights = MFCC.melFilterbank(config)
    melSupport = melWeights.map { weights in
      let first = weights.firstIndex { $0 != 0 } ?? 0
      let last = weights.lastIndex { $0 != 0 } ?? -1
      return first..<(last + 1)
    }
    let m = Double(config.melBands)
    dct = (0..<config.coefficients).map { k in
      let scale = k == 0 ? (1 / m).squareRoot() : (2 / m).squareRoot()
      return (0..<config.melBands).map { j in
        scale * cos(Double.pi * Double(k) * (Double(j) + 0.5) / m)
      }
    }
  }

  /// HTK mel of a frequency in Hz.
  public static func mel(_ hz: Double) -> Double { 1127 * log(1 + hz / 700) }

  /// The triangular filters of tf.signal.linear_to_mel_weight_matrix.
  static func melFilterbank(_ c: MFCCConfig) -> [[Double]] {
    let bins = c.fftSize / 2 + 1
    let lower = mel(c.lowerHz)
    let upper = mel(c.upperHz)
    let edges = (0..<(c.melBands + 2)).map {
      lower + (upper - lower) * Double($0) / Double(c.melBands + 1)
    }
    return (0..<c.melBands).map { band in
      (0..<bins).map { k in
        if k == 0 { return 0 }  // DC carries no speech information (bands_to_zero = 1)
        let m = mel(Double(k) * Double(c.sampleRate) / Double(c.fftSize))
        let rising = (m - edges[band]) / (edges[band + 1] - edges[band])
        let falling = (edges[band + 2] - m) / (edges[band + 2] - edges[band + 1])
        return max(0, min(rising, falling))
      }
    }
  }

  /// The log-mel energies of every frame, row-major [frames, melBands].
  public func logMel(_ signal: [Float]) -> [Float] {
    let frames = config.frames(forSamples: signal.count)
    var out: [Float] = []
    out.reserveCapacity(frames * config.melBands)
    var frame = [Float](repeating: 0, count: config.windowLength)
    for t in 0..<frames {
      let start = t * config.hopLength
      for n in 0..<config.windowLength {
        frame[n] = start + n < signal.count ? signal[start + n] * window[n] : 0
      }
      let (re, im) = fft.forward(frame)
      let magnitude = zip(re, im).map { ($0 * $0 + $1 * $1).squareRoot() }
      for (weights, support) in zip(melWeights, melSupport) {
        var energy = 0.0
        for k in support { energy += weights[k] * magnitude[k] }
        out.append(Float(log(energy + config.logOffset)))
      }
    }
    return out
  }

  /// MFCCs of `signal` (Float samples in [-1, 1]), row-major [frames, coefficients].
  public func callAsFunction(_ signal: [Float]) -> [Float] {
    let logMel = logMel(signal)
    let bands = config.melBands
    var out: [Float] = []
    out.reserveCapacity(logMel.count / bands * config.coefficients)
    for t in 0..<logMel.count / bands {
      for row in dct {
        var sum = 0.0
        for j in 0..<bands { sum += row[j] * Double(logMel[t * bands + j]) }
        out.append(Float(sum))
      }
    }
    return out
  }

  /// MFCCs as a `[frames, coefficients, 1]` image (the network input layout).
  public func image(_ signal: [Float]) -> FloatImage {
    let values = self(signal)
    return FloatImage(
      height: values.count / config.coefficients, width: config.coefficients, channels: 1,
      data: values)
  }
}
