// Axis.swift
// Numeric axes with "nice" ticks (1, 2 or 5 × 10^k steps, or decades on a log axis) and compact
// tick labels ("0", "250k", "1.5M"), as matplotlib's MaxNLocator and LogLocator choose them.

import Foundation

/// A numeric axis: range, ticks and labels, linear or base-10 logarithmic.
struct Axis {
  var label: String
  var low: Double
  var high: Double
  var ticks: [Double]
  var log: Bool

  /// An axis covering `values` (non-finite values ignored); log axes ignore values <= 0.
  init(label: String, covering values: [Double], log: Bool = false, includeZero: Bool = false) {
    self.label = label
    self.log = log
    var data = values.filter { $0.isFinite && (!log || $0 > 0) }
    if includeZero && !log { data.append(0) }
    let low = data.min() ?? (log ? 1 : 0)
    let high = data.max() ?? (log ? 10 : 1)
    ticks = log ? Self.logTicks(low, high) : Self.niceTicks(low, high)
    self.low = ticks.first ?? low
    self.high = ticks.last ?? high
  }

  /// Position of `value` along the axis, 0 at `low` and 1 at `high`.
  func fraction(_ value: Double) -> Double {
    if log {
      return (log10(Swift.max(value, 1e-300)) - log10(low)) / (log10(high) - log10(low))
    }
    return (value - low) / (high - low)
  }

  /// Tick labels, with a common suffix scale on linear axes so "0.5M" sits beside "1M".
  var tickLabels: [String] {
    if log { return ticks.map { Self.compact($0) } }
    let step = ticks.count > 1 ? ticks[1] - ticks[0] : Swift.max(abs(high), 1)
    let largest = ticks.map(abs).max() ?? 0
    let (divisor, suffix) = Self.suffix(for: largest)
    let decimals = Swift.max(0, -Int(floor(log10(step / divisor) + 1e-9)))
    return ticks.map { value in
      let scaled = abs(value) < step * 1e-9 ? 0 : value / divisor
      return scaled == 0 ? "0" : String(format: "%.\(decimals)f", scaled) + suffix
    }
  }

  /// About `target` ticks at multiples of 1, 2 or 5 × 10^k, first <= low and last >= high.
  static func niceTicks(_ low: Double, _ high: Double, target: Int = 6) -> [Double] {
    var (low, high) = (low, high)
    if high - low < 1e-12 * Swift.max(1, abs(high)) {
      let pad = low == 0 ? 1 : abs(low) * 0.1
      (low, high) = (low - pad, high + pad)
    }
    let rough = (high - low) / Double(Swift.max(1, target - 1))
    let power = pow(10, floor(log10(rough)))
    let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough * 0.999 } ?? 10 * power
    let first = floor(low / step + 1e-9)
    let last = ceil(high / step - 1e-9)
    return stride(from: first, through: last, by: 1).map { $0 * step }
  }

  /// Decades covering low...high, plus 2× and 5× ticks when the range spans under 3 decades.
  static func logTicks(_ low: Double, _ high: Double) -> [Double] {
    let first = Int(floor(log10(low) + 1e-9))
    let last = Swift.max(first + 1, Int(ceil(log10(high) - 1e-9)))
    let multiples: [Double] = last - first < 3 ? [1, 2, 5] : [1]
    var ticks: [Double] = []
    for exponent in first..<last {
      ticks += multiples.map { $0 * pow(10, Double(exponent)) }
    }
    return ticks + [pow(10, Double(last))]
  }

  /// A short label: "0.02", "5", "250k", "1.5M".
  static func compact(_ value: Double) -> String {
    let (divisor, suffix) = suffix(for: abs(value))
    var text = String(format: "%.2f", value / divisor)
    while text.contains(".") && (text.hasSuffix("0") || text.hasSuffix(".")) {
      text.removeLast()
    }
    if abs(value) < 0.01 && value != 0 { text = String(format: "%.0e", value) }
    return text + suffix
  }

  private static func suffix(for magnitude: Double) -> (Double, String) {
    if magnitude >= 1e9 { return (1e9, "G") }
    if magnitude >= 1e6 { return (1e6, "M") }
    if magnitude >= 1e4 { return (1e3, "k") }
    return (1, "")
  }
}
