// SpeechAugmentation.swift
// TensorFlow speech_commands' training augmentation, per clip:
//   1. time shift by s uniform in [-1600, 1600] samples (±100 ms), zero fill:
//      out[t] = in[t - s];
//   2. background noise: a random `_background_noise_` recording, a random 1 s slice of it;
//      volume uniform in [0, 0.1] for silence items, and for other items with probability 0.8
//      (else 0); out = clamp(foreground + volume * noise, -1, 1). Silence foregrounds are zero.
// Evaluation uses `.none` (no shift, no noise), as TensorFlow's validation does.

import TensorModule

/// Time-shift and background-noise augmentation of 1-s clips.
public struct SpeechAugmentation: Sendable, Equatable {
  /// Maximum |shift| in samples.
  public var timeShiftSamples: Int
  /// Probability that a (non-silence) clip gets background noise.
  public var backgroundFrequency: Double
  /// Upper end of the uniform noise volume.
  public var backgroundVolume: Double

  public init(timeShiftSamples: Int, backgroundFrequency: Double, backgroundVolume: Double) {
    self.timeShiftSamples = timeShiftSamples
    self.backgroundFrequency = backgroundFrequency
    self.backgroundVolume = backgroundVolume
  }

  /// TensorFlow's training defaults: ±100 ms, 80 %, volume ≤ 0.1.
  public static let training = SpeechAugmentation(
    timeShiftSamples: 1600, backgroundFrequency: 0.8, backgroundVolume: 0.1)
  /// No augmentation (evaluation).
  public static let none = SpeechAugmentation(
    timeShiftSamples: 0, backgroundFrequency: 0, backgroundVolume: 0)

  /// Augments one clip (`isSilence`: the foreground is muted). `noise` may be empty.
  public func apply(
    _ clip: [Float], isSilence: Bool, noise: [[Float]], rng: inout SeededGenerator
  ) -> [Float] {
    var out = [Float](repeating: 0, count: clip.count)
    let shift =
      timeShiftSamples > 0
      ? Sampling.integer(-timeShiftSamples...timeShiftSamples, &rng) : 0
    if !isSilence {
      for t in 0..<clip.count where (0..<clip.count).contains(t - shift) {
        out[t] = clip[t - shift]
      }
    }
    let usable = noise.filter { $0.count >= clip.count }
    guard !usable.isEmpty, backgroundVolume > 0 else { return out }
    let recording = usable[Sampling.below(usable.count, &rng)]
    let offset = Sampling.below(recording.count - clip.count + 1, &rng)
    var volume = 0.0
    if isSilence || Sampling.unit(&rng) < backgroundFrequency {
      volume = Sampling.uniform(0, backgroundVolume, &rng)
    }
    for t in 0..<out.count {
      out[t] = min(max(out[t] + Float(volume) * recording[offset + t], -1), 1)
    }
    return out
  }
}
