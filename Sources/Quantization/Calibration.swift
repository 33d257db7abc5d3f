// Calibration.swift
// Activation-range calibration for post-training quantization: the float range of each tensor,
// chosen from the values it took on a representative (calibration) set, before
// `chooseActivationParams` turns it into (scale, zero point). Three methods:
//
//   minMax          [min, max] of the observed values: TFLite's converter, and the default.
//   percentile(p)   the central p % of the observed values, as ONNX Runtime's non-symmetric
//                   percentile calibrator: (100 − p)/2 % is cut from each tail, so the range is
//                   [P((100 − p)/2), P(100 − (100 − p)/2)], p in (0, 100] (100 is min/max;
//                   TensorRT/ORT use 99.99 or 99.999). P(q) interpolates linearly between the
//                   closest ranks of the sorted values (NumPy's default `linear`, Hyndman–Fan
//                   type 7): rank = q/100 · (n − 1).
//   mse(grid: G)    the range with the smallest mean squared quantization error of the observed
//                   values among the candidates [α·lo, α·hi], α = k/G for k = 1…G, where
//                   [lo, hi] is min/max extended to contain 0 (so ReLU outputs search the upper
//                   end only). Both ends shrink by the same α, so the zero point stays put, as
//                   in the clipping searches of PyTorch's observers and NVIDIA's
//                   pytorch-quantization (which search histogram edges instead). The error of a
//                   candidate is the exact error of quantizing every value with the candidate's
//                   own nudged (scale, zero point) and dequantizing it (values beyond the range
//                   clip to the end levels), computed from the sorted values and prefix sums
//                   (one binary search per level), so a candidate costs O(levels · log n).
//                   α = 1 is min/max, so MSE never picks a range with a larger error; ties keep
//                   the larger range. G defaults to 128 (steps of 1/128 of the min/max range).
//
// Percentile and MSE keep every observed value (4 bytes each) and sort them once per tensor;
// min/max keeps two numbers. All three are deterministic: the range depends on the multiset of
// observed values only, not on their order or on how they were split into batches.

import ModelIR

/// How a tensor's float range is chosen from its calibration values.
public enum CalibrationMethod: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The observed minimum and maximum (TFLite; the default).
  case minMax
  /// The central `p` % of the observed values, `p` in (0, 100].
  case percentile(Double)
  /// The range of least quantization MSE over `grid` shrunk copies of the min/max range.
  case mse(grid: Int)

  /// The MSE search with the default grid of 128 candidates.
  public static let mse = CalibrationMethod.mse(grid: defaultMSEGrid)
  /// Candidates of `.mse` (α = k/128, k = 1…128).
  public static let defaultMSEGrid = 128

  /// Parses `minmax`, `percentile:P` (e.g. `percentile:99.99`), `mse` or `mse:G`.
  ///
  /// - Throws: `QuantizationError.invalidParameter` naming the text and the accepted forms.
  public init(parsing text: String) throws(QuantizationError) {
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    let method: CalibrationMethod?
    switch (parts.first ?? "", parts.count) {
    case ("minmax", 1): method = .minMax
    case ("mse", 1): method = .mse
    case ("mse", 2): method = Int(parts[1]).map { .mse(grid: $0) }
    case ("percentile", 2): method = Double(parts[1]).map { .percentile($0) }
    default: method = nil
    }
    guard let method else {
      throw .invalidParameter(
        name: "calibration method", value: "'\(text)'",
        reason: "use 'minmax', 'percentile:P' (P in (0, 100], e.g. percentile:99.99), 'mse' or "
          + "'mse:G' (G ≥ 1 candidate ranges)")
    }
    try method.validate()
    self = method
  }

  public var description: String {
    switch self {
    case .minMax: return "minmax"
    case .percentile(let p): return "percentile:\(p)"
    case .mse(let grid): return "mse:\(grid)"
    }
  }

  /// Checks the method's parameter.
  ///
  /// - Throws: `.invalidParameter` for a percentile outside (0, 100] or a grid below 1.
  public func validate() throws(QuantizationError) {
    switch self {
    case .minMax:
      return
    case .percentile(let p):
      guard p > 0 && p <= 100 else {
        throw .invalidParameter(
          name: "calibration percentile", value: "\(p)",
          reason: "it must be in (0, 100]: the share of values the range keeps, e.g. 99.99 "
            + "cuts 0.005 % from each tail; 100 is min/max")
      }
    case .mse(let grid):
      guard grid >= 1 else {
        throw .invalidParameter(
          name: "MSE calibration grid", value: "\(grid)",
          reason: "it must be at least 1 (candidate ranges α·[min, max], α = k/grid); "
            + "the default is \(CalibrationMethod.defaultMSEGrid)")
      }
    }
  }
}

/// The float range `method` chooses for a tensor that took `values` on the calibration set.
///
/// - Parameters:
///   - bitWidth: the activation format (MSE depends on the number of levels).
///   - what: the tensor's name, used in error messages.
/// - Throws: `.invalidParameter` for an empty `values`, a non-finite value or a bad method
///   parameter.
public func calibrationRange(
  of values: [Float], method: CalibrationMethod = .minMax, bitWidth: BitWidth = .int8,
  what: String = "tensor"
) throws(QuantizationError) -> (min: Float, max: Float) {
  var observer = CalibrationObserver(method: method)
  try observer.observe(values, what: what)
  return try observer.range(bitWidth: bitWidth, what: what)
}

/// The calibration statistics of one tensor: its min and max, and (for percentile and MSE)
/// every observed value.
public struct CalibrationObserver: Sendable, Hashable {
  public let method: CalibrationMethod
  /// Values observed so far.
  public private(set) var count = 0
  public private(set) var min = Float.infinity
  public private(set) var max = -Float.infinity
  /// Every observed value (percentile and MSE only).
  private var values: [Float] = []

  public init(method: CalibrationMethod = .minMax) {
    self.method = method
  }

  /// Adds one batch of values of the tensor.
  ///
  /// - Throws: `.invalidParameter` naming the first non-finite value (check the float model).
  public mutating func observe(_ batch: [Float], what: String = "tensor")
    throws(QuantizationError)
  {
    for (i, x) in batch.enumerated() where !x.isFinite {
      throw .invalidParameter(
        name: "calibration value \(what)[\(count + i)]", value: "\(x)",
        reason: "calibration values must be finite; check the float forward pass that produced "
          + "them (a diverged model or an unnormalised input)")
    }
    for x in batch {
      min = Swift.min(min, x)
      max = Swift.max(max, x)
    }
    count += batch.count
    if method != .minMax { values += batch }
  }

  /// The chosen float range.
  ///
  /// - Throws: `.invalidParameter` when nothing was observed or the method's parameter is bad.
  public func range(bitWidth: BitWidth = .int8, what: String = "tensor")
    throws(QuantizationError) -> (min: Float, max: Float)
  {
    try method.validate()
    guard count > 0 else {
      throw .invalidParameter(
        name: "calibration set of \(what)", value: "0 values",
        reason: "observe at least one calibration input (a non-empty representative set) "
          + "before choosing its range")
    }
    switch method {
    case .minMax:
      return (min, max)
    case .percentile(let p):
      let sorted = values.map(Double.init).sorted()
      let cut = (100 - p) / 2
      return (
        Float(interpolatedPercentile(sorted, cut)),
        Float(interpolatedPercentile(sorted, 100 - cut))
      )
    case .mse(let grid):
      return try mseRange(
        sorted: values.map(Double.init).sorted(), grid: grid, bitWidth: bitWidth)
    }
  }

  /// The MSE search over `[α·lo, α·hi]`, α = k/grid (see the file header).
  private func mseRange(sorted: [Double], grid: Int, bitWidth: BitWidth)
    throws(QuantizationError) -> (min: Float, max: Float)
  {
    let lo = Swift.min(min, 0)
    let hi = Swift.max(max, 0)
    let sums = PrefixSums(sorted)
    var best = (min: lo, max: hi)
    var bestError = Double.infinity
    for k in stride(from: grid, through: 1, by: -1) {
      let alpha = Float(Double(k) / Double(grid))
      let candidate = (min: alpha * lo, max: alpha * hi)
      let params = try chooseActivationParams(
        min: candidate.min, max: candidate.max, bitWidth: bitWidth)
      let error = sums.squaredError(params: params, bitWidth: bitWidth)
      if error < bestError {
        best = candidate
        bestError = error
      }
    }
    return best
  }
}

/// `P(q)` of ascending `sorted` (non-empty) with linear interpolation: rank `q/100 · (n − 1)`.
func interpolatedPercentile(_ sorted: [Double], _ q: Double) -> Double {
  let rank = Swift.min(Swift.max(q / 100, 0), 1) * Double(sorted.count - 1)
  let i = Int(rank.rounded(.down))
  let j = Swift.min(i + 1, sorted.count - 1)
  return sorted[i] + (rank - Double(i)) * (sorted[j] - sorted[i])
}

/// Prefix sums of ascending values: `Σ (x − d)²` over any index range in O(1).
struct PrefixSums {
  let sorted: [Double]
  /// `first[i]` = Σ_{j<i} x_j, `second[i]` = Σ_{j<i} x_j².
  let first: [Double]
  let second: [Double]

  init(_ sorted: [Double]) {
    self.sorted = sorted
    var first = [0.0]
    var second = [0.0]
    first.reserveCapacity(sorted.count + 1)
    second.reserveCapacity(sorted.count + 1)
    for x in sorted {
      first.append(first[first.count - 1] + x)
      second.append(second[second.count - 1] + x * x)
    }
    self.first = first
    self.second = second
  }

  /// The first index whose value is ≥ `edge`.
  func lowerBound(_ edge: Double) -> Int {
    var (low, high) = (0, sorted.count)
    while low < high {
      let mid = (low + high) / 2
      if sorted[mid] < edge { low = mid + 1 } else { high = mid }
    }
    return low
  }

  /// Σ over every value of (x − dequantize(quantize(x)))² with `params`: level q takes the
  /// values in [(q − zp − ½)·s, (q − zp + ½)·s), the end levels everything beyond.
  func squaredError(params: QuantParams, bitWidth: BitWidth) -> Double {
    let s = Double(params.scale)
    let zp = Int(params.zeroPoint)
    let levels = bitWidth.activationRange
    var total = 0.0
    var start = 0
    for q in Int(levels.lowerBound)...Int(levels.upperBound) {
      let end =
        q == Int(levels.upperBound)
        ? sorted.count : lowerBound((Double(q - zp) + 0.5) * s)
      guard end > start else { continue }
      // The level's value exactly as `dequantize` computes it (Float).
      let d = Double(Float(q - zp) * params.scale)
      let n = Double(end - start)
      let sum = first[end] - first[start]
      let squares = second[end] - second[start]
      total += Swift.max(0, squares - 2 * d * sum + n * d * d)
      start = end
    }
    return total
  }
}

/// Observers for every node of a graph: feed each node's output of every calibration input,
/// then ask for the ranges `QuantizedGraph.init(graph:weights:ranges:…)` takes.
public struct ActivationCalibrator: Sendable, Hashable {
  public let method: CalibrationMethod
  /// `observers[i]` belongs to node i (node 0: the graph input).
  public private(set) var observers: [CalibrationObserver]

  /// - Throws: `.invalidParameter` for a bad method parameter (checked up front).
  public init(nodeCount: Int, method: CalibrationMethod = .minMax) throws(QuantizationError) {
    try method.validate()
    self.method = method
    observers = Array(repeating: CalibrationObserver(method: method), count: nodeCount)
  }

  /// Adds the values node `node` produced for one calibration input (or batch).
  public mutating func observe(node: Int, values: [Float]) throws(QuantizationError) {
    guard observers.indices.contains(node) else {
      throw .invalidParameter(
        name: "calibration node index", value: "\(node)",
        reason: "the calibrator has \(observers.count) nodes (0..<\(observers.count))")
    }
    try observers[node].observe(values, what: "node \(node)")
  }

  /// Adds every node's output of one forward pass (`outputs[i]` of node i).
  public mutating func observe(outputs: [[Float]]) throws(QuantizationError) {
    guard outputs.count == observers.count else {
      throw .invalidParameter(
        name: "calibration outputs", value: "\(outputs.count) tensors",
        reason: "there must be one per node (\(observers.count))")
    }
    for (i, values) in outputs.enumerated() { try observe(node: i, values: values) }
  }

  /// The chosen range of every node.
  ///
  /// - Throws: `.invalidParameter` naming the first node with no observed value.
  public func ranges(bitWidth: BitWidth = .int8) throws(QuantizationError)
    -> [(min: Float, max: Float)]
  {
    var ranges: [(min: Float, max: Float)] = []
    for (i, observer) in observers.enumerated() {
      ranges.append(try observer.range(bitWidth: bitWidth, what: "node \(i)"))
    }
    return ranges
  }
}

extension QuantizedGraph {
  /// Post-training quantization with the ranges `calibration` chooses (its method) for every
  /// node. Pooling nodes keep their input's quantization, so they need no observations.
  ///
  /// - Throws: `QuantizationError` naming the node whose calibration set is empty, or any
  ///   error of `init(graph:weights:ranges:bitWidth:roundingMode:)`.
  public init(
    graph: Graph, weights: [FloatLayerWeights?], calibration: ActivationCalibrator,
    bitWidth: BitWidth = .int8, roundingMode: RoundingMode = .doubleRounding
  ) throws {
    guard calibration.observers.count == graph.nodes.count else {
      throw QuantizationError.invalidParameter(
        name: "calibration of graph '\(graph.name)'",
        value: "\(calibration.observers.count) nodes",
        reason: "there must be one observer per node (\(graph.nodes.count))")
    }
    var ranges: [(min: Float, max: Float)] = []
    for (i, node) in graph.nodes.enumerated() {
      switch node.op {
      case .avgPool, .maxPool, .globalAvgPool:
        ranges.append((0, 0))
      default:
        ranges.append(
          try calibration.observers[i].range(bitWidth: bitWidth, what: "node '\(node.name)'"))
      }
    }
    try self.init(
      graph: graph, weights: weights, ranges: ranges, bitWidth: bitWidth,
      roundingMode: roundingMode)
  }
}
