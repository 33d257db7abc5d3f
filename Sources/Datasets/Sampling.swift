// Sampling.swift
// The few random draws the loaders need, defined here so that a seed gives the same data in
// every Swift version (the standard library does not promise stable `shuffled(using:)` or
// `random(in:using:)` algorithms across releases).

import TensorModule

/// Seeded draws built only on `RandomNumberGenerator.next()`.
enum Sampling {
  /// Uniform in [0, 1) with 53 random bits.
  static func unit(_ rng: inout some RandomNumberGenerator) -> Double {
    Double(rng.next() >> 11) * 0x1p-53
  }

  /// Uniform in [lower, upper).
  static func uniform(
    _ lower: Double, _ upper: Double, _ rng: inout some RandomNumberGenerator
  ) -> Double {
    lower + (upper - lower) * unit(&rng)
  }

  /// Uniform integer in 0..<bound (Lemire's multiply-shift with rejection; unbiased).
  static func below(_ bound: Int, _ rng: inout some RandomNumberGenerator) -> Int {
    precondition(bound > 0, "bound must be positive")
    let n = UInt64(bound)
    while true {
      let product = rng.next().multipliedFullWidth(by: n)
      if product.low >= (0 &- n) % n { return Int(product.high) }
    }
  }

  /// Uniform integer in the closed range.
  static func integer(_ range: ClosedRange<Int>, _ rng: inout some RandomNumberGenerator) -> Int {
    range.lowerBound + below(range.upperBound - range.lowerBound + 1, &rng)
  }

  /// Fisher–Yates shuffle, last element first.
  static func shuffle<T>(_ array: inout [T], _ rng: inout some RandomNumberGenerator) {
    guard array.count > 1 else { return }
    for i in stride(from: array.count - 1, to: 0, by: -1) {
      array.swapAt(i, below(i + 1, &rng))
    }
  }

  /// A generator for one item of a stream, independent of how many draws other items made
  /// (so threads and skipped items cannot change a sample's augmentation).
  static func generator(seed: UInt64, stream: UInt64, index: UInt64) -> SeededGenerator {
    var x = seed
    x = mix(x ^ mix(stream &+ 0x9E37_79B9_7F4A_7C15))
    x = mix(x ^ mix(index &+ 0xD1B5_4A32_D192_ED03))
    return SeededGenerator(seed: x)
  }

  /// SplitMix64's finaliser: a bijective 64-bit mixer.
  static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A stable 64-bit hash of a string (FNV-1a), for seeding by name.
  static func hash(_ text: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
      h ^= UInt64(byte)
      h = h &* 0x0000_0100_0000_01B3
    }
    return h
  }
}
