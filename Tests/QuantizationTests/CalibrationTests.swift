// CalibrationTests.swift
// Activation-range calibration methods on hand-computed cases: min/max keeps an outlier,
// percentile drops it, MSE never does worse than min/max and clips a long tail at int4 where
// a brute-force search (through `quantize`/`dequantize` themselves) agrees; determinism; and
// bad input (percentile outside (0, 100], empty calibration set, non-finite values).

import Foundation
import ModelIR
import Quantization
import Testing

@Suite struct CalibrationTests {
  /// 0, 1, …, 99 and one outlier 1000.
  static let withOutlier = (0..<100).map(Float.init) + [1000]

  /// Exponential(1) quantiles −ln(1 − (i + ½)/1000): a long tail up to 7.6.
  static let exponential = (0..<1000).map { Float(-log(1 - (Double($0) + 0.5) / 1000)) }

  /// Σ (x − dequantize(quantize(x)))² over `values` with the range's own parameters, through
  /// the public quantizer (independent of the calibration code's prefix sums).
  func squaredError(_ values: [Float], _ range: (min: Float, max: Float), _ bitWidth: BitWidth)
    throws -> Double
  {
    let p = try chooseActivationParams(min: range.min, max: range.max, bitWidth: bitWidth)
    return values.reduce(0.0) { sum, x in
      let e = Double(x) - Double(dequantize(quantize(x, params: p, bitWidth: bitWidth), params: p))
      return sum + e * e
    }
  }

  @Test func minMaxKeepsTheOutlier() throws {
    let r = try calibrationRange(of: Self.withOutlier)
    #expect(r.min == 0 && r.max == 1000)
    let q = try chooseActivationParams(min: r.min, max: r.max)
    #expect(q == QuantParams(scale: Float(1000.0 / 255), zeroPoint: -128))
  }

  /// 101 values, rank = q/100 · 100 = q. percentile:98 cuts 1 % per tail: ranks 1 and 99 →
  /// [1, 99], the outlier is gone. percentile:99.99 cuts 0.005 %: ranks 0.005 and 99.995 →
  /// [0 + 0.005·1, 99 + 0.995·(1000 − 99)] = [0.005, 995.495].
  @Test func percentileDropsTheOutlier() throws {
    let r = try calibrationRange(of: Self.withOutlier, method: .percentile(98))
    #expect(r.min == 1 && r.max == 99)
    let fine = try calibrationRange(of: Self.withOutlier, method: .percentile(99.99))
    #expect(abs(fine.min - 0.005) < 1e-6 && abs(fine.max - 995.495) < 1e-3)
    let all = try calibrationRange(of: Self.withOutlier, method: .percentile(100))
    #expect(all.min == 0 && all.max == 1000, "100 % is min/max")
    // A single value: every percentile is that value.
    let one = try calibrationRange(of: [2.5], method: .percentile(50))
    #expect(one.min == 2.5 && one.max == 2.5)
  }

  /// With one outlier among 101 values, clipping it costs far more (≥ 900² per the outlier)
  /// than the coarser steps of [0, 1000] (≈ 101 · s²/12 with s = 1000/255): MSE keeps α = 1.
  @Test func mseIsNeverWorseThanMinMaxAndKeepsALoneOutlier() throws {
    let values = Self.withOutlier
    let minMax = try calibrationRange(of: values)
    let mse = try calibrationRange(of: values, method: .mse)
    #expect(try squaredError(values, mse, .int8) <= squaredError(values, minMax, .int8))
    #expect(mse.min == 0 && mse.max == 1000)
  }

  /// int4 on an exponential tail: the brute-force argmin over the same 128 candidates, with the
  /// error measured by `quantize`/`dequantize`, is α = 100/128 (max 7.6 → 5.94), and its error is
  /// below min/max's (16.05 vs 21.17, NumPy).
  @Test func mseClipsALongTailWhereTheBruteForceSearchDoes() throws {
    let values = Self.exponential
    let lo: Float = 0
    let hi = try #require(values.max())
    var bestK = 0
    var bestError = Double.infinity
    for k in stride(from: 128, through: 1, by: -1) {
      let alpha = Float(Double(k) / 128)
      let error = try squaredError(values, (alpha * lo, alpha * hi), .int4)
      if error < bestError * (1 - 1e-12) {
        (bestK, bestError) = (k, error)
      }
    }
    #expect(bestK == 100)
    let r = try calibrationRange(of: values, method: .mse, bitWidth: .int4)
    #expect(r.min == 0 && r.max == Float(Double(100) / 128) * hi)
    let chosen = try squaredError(values, r, .int4)
    let minMax = try squaredError(values, (0, hi), .int4)
    #expect(abs(chosen - 16.049) < 0.01 && abs(minMax - 21.175) < 0.01)
    #expect(chosen < minMax)
    // A coarser grid can only find a range at least as wide in steps of 1/4.
    let coarse = try calibrationRange(of: values, method: .mse(grid: 4), bitWidth: .int4)
    #expect(coarse.max == 0.75 * hi || coarse.max == hi)
  }

  /// Signed values: both ends shrink by the same α; the result is never worse than min/max.
  @Test func mseOnSignedValuesShrinksBothEnds() throws {
    let values = Self.exponential.enumerated().map { $0.offset % 2 == 0 ? $0.element : -$0.element }
    let lo = try #require(values.min())
    let hi = try #require(values.max())
    let r = try calibrationRange(of: values, method: .mse, bitWidth: .int4)
    #expect(r.max < hi && r.min > lo)
    #expect(abs(r.min / lo - r.max / hi) < 1e-6, "the same α on both ends")
    #expect(try squaredError(values, r, .int4) < squaredError(values, (lo, hi), .int4))
  }

  @Test func rangesDoNotDependOnOrderOrBatching() throws {
    let values = Self.exponential
    let methods: [CalibrationMethod] = [.minMax, .percentile(99.9), .mse, .mse(grid: 7)]
    for method in methods {
      let once = try calibrationRange(of: values, method: method)
      var observer = CalibrationObserver(method: method)
      try observer.observe(Array(values[500...].reversed()))
      try observer.observe(Array(values[..<500]))
      let batched = try observer.range()
      #expect(batched == once, "\(method)")
      #expect(try calibrationRange(of: values, method: method) == once, "\(method) again")
    }
  }

  @Test func badInputIsNamedWithAFix() throws {
    for p in [0, -1, 100.5, .nan, .infinity] {
      do {
        _ = try calibrationRange(of: [1, 2], method: .percentile(p))
        Issue.record("percentile \(p) must fail")
      } catch {
        #expect(
          "\(error)".hasPrefix("calibration percentile = \(p) is invalid: it must be in (0, 100]"))
      }
    }
    do {
      _ = try calibrationRange(of: [], method: .minMax, what: "node 'blocks[0].add'")
      Issue.record("an empty calibration set must fail")
    } catch {
      #expect(
        "\(error)"
          == "calibration set of node 'blocks[0].add' = 0 values is invalid: observe at least "
          + "one calibration input (a non-empty representative set) before choosing its range.")
    }
    do {
      _ = try calibrationRange(of: [1, .nan], method: .percentile(99))
      Issue.record("NaN must fail")
    } catch {
      #expect("\(error)".hasPrefix("calibration value tensor[1] = nan is invalid"))
    }
    #expect(throws: QuantizationError.self) { try calibrationRange(of: [1], method: .mse(grid: 0)) }
    #expect(throws: QuantizationError.self) {
      try ActivationCalibrator(nodeCount: 2, method: .percentile(0))
    }
  }

  @Test func methodsParseAndPrint() throws {
    let cases: [(String, CalibrationMethod)] = [
      ("minmax", .minMax), ("percentile:99.99", .percentile(99.99)), ("mse", .mse),
      ("mse:64", .mse(grid: 64)),
    ]
    for (text, method) in cases {
      #expect(try CalibrationMethod(parsing: text) == method)
    }
    #expect(CalibrationMethod.mse.description == "mse:128")
    #expect(CalibrationMethod.percentile(99.99).description == "percentile:99.99")
    for bad in ["max", "percentile", "percentile:abc", "percentile:120", "mse:0", "MSE"] {
      #expect(throws: QuantizationError.self, "\(bad)") { try CalibrationMethod(parsing: bad) }
    }
    #expect(
      (try? CalibrationMethod(parsing: "max")) == nil
        && "\(CalibrationMethod.minMax)" == "minmax")
  }

  /// The graph-level API: min/max through the calibrator is exactly the ranges path; an
  /// unobserved node is named.
  @Test func calibratorFeedsQuantizedGraph() throws {
    var b = GraphBuilder(name: "tiny")
    let input = try b.addInput(height: 2, width: 2, channels: 1)
    let conv = try b.add(
      .conv2d(Conv2DAttributes(outChannels: 1, kernel: 1, stride: 1, activation: .relu)),
      inputs: [input], name: "conv")
    _ = try b.add(.globalAvgPool, inputs: [conv], name: "pool")
    let graph = b.graph
    let weights: [FloatLayerWeights?] = [
      nil, FloatLayerWeights(weights: [2], shape: [1, 1, 1, 1], bias: [0]), nil,
    ]
    var calibrator = try ActivationCalibrator(nodeCount: 3)
    do {
      _ = try QuantizedGraph(graph: graph, weights: weights, calibration: calibrator)
      Issue.record("an unobserved node must fail")
    } catch {
      #expect("\(error)".hasPrefix("calibration set of node 'input' = 0 values is invalid"))
    }
    try calibrator.observe(node: 0, values: [-1, 0.5, 1, 0])
    try calibrator.observe(node: 1, values: [0, 1, 2, 0])
    let q = try QuantizedGraph(graph: graph, weights: weights, calibration: calibrator)
    let direct = try QuantizedGraph(
      graph: graph, weights: weights, ranges: [(-1, 1), (0, 2), (0, 0)])
    #expect(q == direct)
    #expect(throws: QuantizationError.self) { try calibrator.observe(node: 3, values: [1]) }
  }
}
