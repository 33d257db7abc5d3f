// RealFFT.swift
// A small radix-2 FFT of real input, for the MFCC front end: an N-point real transform done as an
// N/2-point complex FFT of the even/odd samples packed as z[k] = x[2k] + i x[2k+1], then split:
//   E[k] = (Z[k] + conj(Z[N/2 - k])) / 2,   O[k] = (Z[k] - conj(Z[N/2 - k])) / 2i,
//   X[k] = E[k] + exp(-2πik/N) O[k],        k = 0 … N/2.
// Computed in Float64; tested against a direct DFT.

import Foundation

/// Forward DFT `X[k] = Σ x[n] exp(-2πikn/N)` of real input, bins 0 … N/2.
public struct RealFFT: Sendable {
  /// Transform length N, a power of two ≥ 2.
  public let size: Int
  private let half: Int
  private let bitReversed: [Int]
  /// exp(-2πik/N) for k in 0..<N/2 (the half-size FFT uses every other one).
  private let twiddleRe: [Double]
  private let twiddleIm: [Double]

  /// Prepares the tables for an N-point transform.
  public init(size: Int) {
    precondition(size >= 2 && size & (size - 1) == 0, "FFT size must be a power of two ≥ 2")
    self.size = size
    half = size / 2
    let bits = half.trailingZeroBitCount
    bitReversed = (0..<size / 2).map { i in
      var r = 0
      for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
      return r
    }
    twiddleRe = (0..<size / 2).map { cos(-2 * Double.pi * Double($0) / Double(size)) }
    twiddleIm = (0..<size / 2).map { sin(-2 * Double.pi * Double($0) / Double(size)) }
  }

  /// The N/2 + 1 complex bins of `signal` (zero-padded or truncated to N samples).
  public func forward(_ signal: [Float]) -> (re: [Double], im: [Double]) {
    // Pack even/odd samples into a half-size complex sequence, in bit-reversed order.
    var re = [Double](repeating: 0, count: half)
    var im = [Double](repeating: 0, count: half)
    for k in 0..<half {
      let j = bitReversed[k]
      re[j] = 2 * k < signal.count ? Double(signal[2 * k]) : 0
      im[j] = 2 * k + 1 < signal.count ? Double(signal[2 * k + 1]) : 0
    }
    butterflies(&re, &im)
    return split(re, im)
  }

  /// Power spectrum |X[k]|², k = 0 … N/2.
  public func powerSpectrum(_ signal: [Float]) -> [Double] {
    let (re, im) = forward(signal)
    return zip(re, im).map { $0 * $0 + $1 * $1 }
  }

  /// In-place iterative radix-2 decimation-in-time FFT of length N/2 (input bit-reversed).
  private func butterflies(_ re: inout [Double], _ im: inout [Double]) {
    var length = 2
    while length <= half {
      let step = size / length  // twiddle stride for exp(-2πi j / length)
      for start in stride(from: 0, to: half, by: length) {
        for j in 0..<length / 2 {
          let wr = twiddleRe[j * step]
          let wi = twiddleIm[j * step]
          let a = start + j
          let b = a + length / 2
          let tr = wr * re[b] - wi * im[b]
          let ti = wr * im[b] + wi * re[b]
          re[b] = re[a] - tr
          im[b] = im[a] - ti
          re[a] += tr
          im[a] += ti
        }
      }
      length *= 2
    }
  }

  /// Recovers the real signal's spectrum from the packed half-size FFT Z.
  private func split(_ zr: [Double], _ zi: [Double]) -> (re: [Double], im: [Double]) {
    var re = [Double](repeating: 0, count: half + 1)
    var im = [Double](repeating: 0, count: half + 1)
    for k in 0...half {
      let a = k % half
      let b = (half - k) % half
      let er = (zr[a] + zr[b]) / 2
      let ei = (zi[a] - zi[b]) / 2
      let or = (zi[a] + zi[b]) / 2
      let oi = -(zr[a] - zr[b]) / 2
      let (wr, wi) = k < half ? (twiddleRe[k], twiddleIm[k]) : (-1.0, 0.0)
      re[k] = er + wr * or - wi * oi
      im[k] = ei + wr * oi + wi * or
    }
    return (re, im)
  }
}
