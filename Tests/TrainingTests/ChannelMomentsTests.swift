// ChannelMomentsTests.swift
// Batch norm's statistics (`ChannelMoments`): per-unit two-pass moments combined in unit order
// against a Float64 two-pass reference over row counts around the unit size and channel counts
// that use every channel block; recording the units from any split of the rows, in any order,
// gives the same bits as measuring afterwards.

import TensorModule
import Testing
import _TestSupport

@testable import Training

@Suite struct ChannelMomentsTests {
  /// Mean and biased variance of each channel in Float64.
  static func reference(_ x: [Float], rows: Int, channels c: Int) -> ([Double], [Double]) {
    var (mean, variance) = ([Double](), [Double]())
    for ch in 0..<c {
      let values = (0..<rows).map { Double(x[$0 * c + ch]) }
      let mu = values.reduce(0, +) / Double(rows)
      mean.append(mu)
      variance.append(values.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(rows))
    }
    return (mean, variance)
  }

  @Test func matchesTwoPassFloat64() {
    var rng = SeededGenerator(seed: 71)
    withEvery("rows", in: [1, 2, 255, 256, 257, 1000, 4097]) { m in
      withEvery("C", in: [1, 3, 4, 8, 13, 16, 25, 40]) { c in
        // Channel means far from zero relative to their spread.
        let x = (0..<(m * c)).map { i in
          Float(randomValues(1, in: -1...1, using: &rng)[0]) + Float(100 * (i % c))
        }
        var moments = ChannelMoments()
        moments.measure(x, rows: m, channels: c)
        let (mean, variance) = moments.meanAndVariance()
        let (refMean, refVariance) = Self.reference(x, rows: m, channels: c)
        // Float32 sums of at most 64 centred terms: the mean to a few ulps of Float32 around
        // the channel's spread, the variance to Float32 rounding.
        assertClose(mean, refMean, atol: 1e-6, rtol: 1e-7, "mean")
        assertClose(variance, refVariance, atol: 1e-7, rtol: 1e-5, "variance")
      }
    }
  }

  /// Units recorded from two uneven halves, the second half first, equal `measure`.
  @Test func recordingOrderDoesNotMatter() {
    var rng = SeededGenerator(seed: 72)
    let (m, c) = (3 * ChannelMoments.unitRows + 17, 19)
    let x = randomValues(m * c, using: &rng).floats
    var measured = ChannelMoments()
    measured.measure(x, rows: m, channels: c)
    var recorded = ChannelMoments()
    recorded.measure(rows: m, channels: c) { storage in
      x.withUnsafeBufferPointer { xb in
        guard let xp = xb.baseAddress else { return }
        let split = ChannelMoments.unitRows
        ChannelMoments.recordUnits(xp, rows: split..<m, channels: c, into: storage)
        ChannelMoments.recordUnits(xp, rows: 0..<split, channels: c, into: storage)
      }
    }
    let (a, b) = (measured.meanAndVariance(), recorded.meanAndVariance())
    #expect(a.mean == b.mean && a.variance == b.variance)
  }
}
