// BatchNorm+Moments.swift
// The batch statistics of batch norm: the per-channel mean and variance of an [M, C] buffer,
// measured on fixed units of rows and combined in unit order. A producer that writes its output
// tile by tile (the row-tiled GEMM of a conv) records each unit while the tile is still in
// cache, which saves batch norm its own pass over the tensor; measuring afterwards gives the
// same bits, because the units and their order depend on M and C only.

/// Per-channel moments of fixed units of `unitRows` rows: each unit's mean and M2 (the sum of
/// squared deviations from that mean) in Float64, from two passes over the unit (Float32 sums
/// of at most 64 rows, added in Float64), combined in unit order with Chan, Golub & LeVeque's
/// pairwise update
///
///     δ = mean_b − mean_a,  mean = mean_a + δ·n_b/n,  M2 = M2_a + M2_b + δ²·n_a·n_b/n.
///
/// Each unit is centred on its own mean, so a large |μ| never cancels against σ², wherever the
/// batch drifts.
struct ChannelMoments {
  /// Rows per unit (the last unit may be shorter). Row tiles that record moments on the fly
  /// are whole multiples of it (`RowTiles`).
  static let unitRows = 256

  private(set) var rows = 0
  private(set) var channels = 0
  /// Per unit: C means, then C M2s.
  private var storage: [Double] = []

  init() {}

  /// Units of `rows` rows.
  static func units(rows: Int) -> Int { (rows + unitRows - 1) / unitRows }

  /// Sizes the storage for [rows, channels] (keeping its allocation) and calls `record` with
  /// a pointer that `recordUnits` writes through; `record` may call `recordUnits` from several
  /// threads for disjoint units.
  mutating func measure(
    rows: Int, channels: Int, _ record: (UnsafeMutablePointer<Double>) -> Void
  ) {
    self.rows = rows
    self.channels = channels
    let count = Self.units(rows: rows) * 2 * channels
    if storage.count > count {
      storage.removeLast(storage.count - count)
    } else if storage.count < count {
      storage.append(contentsOf: repeatElement(0, count: count - storage.count))
    }
    storage.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      record(base)
    }
  }

  /// Measures the [rows, channels] buffer at `x`, its units split over the cores.
  mutating func measure(_ x: UnsafePointer<Float>, rows: Int, channels: Int) {
    let units = Self.units(rows: rows)
    let work = WorkSplit(
      count: units, minimumRows: Grain.rows(flopsPerRow: 6 * Self.unitRows * channels))
    measure(rows: rows, channels: channels) { storage in
      work.run { _, range in
        Self.recordUnits(
          x, rows: (range.lowerBound * Self.unitRows)..<min(rows, range.upperBound * Self.unitRows),
          channels: channels, into: storage)
      }
    }
  }

  /// Records the moments of every unit in `range` (which starts on a unit boundary and ends
  /// on one or at the last row) of the [M, channels] buffer whose row 0 is at `x`.
  static func recordUnits(
    _ x: UnsafePointer<Float>, rows range: Range<Int>, channels c: Int,
    into storage: UnsafeMutablePointer<Double>
  ) {
    precondition(range.lowerBound % unitRows == 0, "moments recorded from mid-unit")
    var start = range.lowerBound
    while start < range.upperBound {
      let end = min(start + unitRows, range.upperBound)
      let unit = storage + (start / unitRows) * 2 * c
      recordUnit(x + start * c, rows: end - start, channels: c, mean: unit, m2: unit + c)
      start = end
    }
  }

  /// The mean and M2 of each channel of `count` rows at `x`.
  private static func recordUnit(
    _ x: UnsafePointer<Float>, rows count: Int, channels c: Int, mean: UnsafeMutablePointer<Double>,
    m2: UnsafeMutablePointer<Double>
  ) {
    mean.update(repeating: 0, count: c)
    m2.update(repeating: 0, count: c)
    // Pass 1: the sum, then the unit mean (kept in `mean`).
    forEachChannelBlock(c) { width, ch in
      switch width {
      case .sixteen: sums(SIMD16<Float>.self, x + ch, count, c, mean + ch)
      case .eight: sums(SIMD8<Float>.self, x + ch, count, c, mean + ch)
      case .one: sums(Float.self, x + ch, count, c, mean + ch)
      }
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: c) { shift in
      guard let shift = shift.baseAddress else { return }
      for ch in 0..<c {
        mean[ch] /= Double(count)
        shift[ch] = Float(mean[ch])
      }
      // Pass 2: Σ d and Σ d² of d = x − shift; the unit's mean and M2 follow exactly.
      withUnsafeTemporaryAllocation(of: Double.self, capacity: c) { sumD in
        guard let sumD = sumD.baseAddress else { return }
        sumD.update(repeating: 0, count: c)
        forEachChannelBlock(c) { width, ch in
          let (x, s, d, d2) = (x + ch, shift + ch, sumD + ch, m2 + ch)
          switch width {
          case .sixteen: deviations(SIMD16<Float>.self, x, count, c, s, d, d2)
          case .eight: deviations(SIMD8<Float>.self, x, count, c, s, d, d2)
          case .one: deviations(Float.self, x, count, c, s, d, d2)
          }
        }
        for ch in 0..<c {
          let meanD = sumD[ch] / Double(count)
          mean[ch] = Double(shift[ch]) + meanD
          m2[ch] = max(m2[ch] - sumD[ch] * meanD, 0)
        }
      }
    }
  }

  /// s[lane] += Σ x over `count` rows, in Float32 blocks of 64 rows.
  @inline(__always)
  private static func sums<V: ChannelVector>(
    _: V.Type, _ x: UnsafePointer<Float>, _ count: Int, _ c: Int, _ s: UnsafeMutablePointer<Double>
  ) {
    var start = 0
    while start < count {
      let end = min(start &+ ChannelSums.blockRows, count)
      var acc = V.zero
      for row in start..<end { acc = acc + V.load(x, row &* c) }
      for i in 0..<V.width { s[i] += Double(acc[i]) }
      start = end
    }
  }

  /// d[lane] += Σ (x − shift) and d2[lane] += Σ (x − shift)², in Float32 blocks of 64 rows.
  @inline(__always)
  private static func deviations<V: ChannelVector>(
    _: V.Type, _ x: UnsafePointer<Float>, _ count: Int, _ c: Int, _ shift: UnsafePointer<Float>,
    _ d: UnsafeMutablePointer<Double>, _ d2: UnsafeMutablePointer<Double>
  ) {
    let offset = V.load(shift, 0)
    var start = 0
    while start < count {
      let end = min(start &+ ChannelSums.blockRows, count)
      var (a1, a2) = (V.zero, V.zero)
      for row in start..<end {
        let v = V.load(x, row &* c) - offset
        a1 = a1 + v
        a2 = a2 + v * v
      }
      for i in 0..<V.width {
        d[i] += Double(a1[i])
        d2[i] += Double(a2[i])
      }
      start = end
    }
  }

  /// The batch mean and biased variance of each channel: the units combined in order.
  func meanAndVariance() -> (mean: [Double], variance: [Double]) {
    let c = channels
    var mean = [Double](repeating: 0, count: c)
    var m2 = mean
    var n = 0.0
    storage.withUnsafeBufferPointer { units in
      for u in 0..<Self.units(rows: rows) {
        let nb = Double(min(Self.unitRows, rows - u * Self.unitRows))
        let total = n + nb
        let (weight, cross) = (nb / total, n * nb / total)
        let unit = u * 2 * c
        for ch in 0..<c {
          let delta = units[unit + ch] - mean[ch]
          mean[ch] += delta * weight
          m2[ch] += units[unit + c + ch] + delta * delta * cross
        }
        n = total
      }
    }
    return (mean, m2.map { $0 / max(n, 1) })
  }
}
