// WeightQuantization.swift
// Per-output-channel symmetric weight quantization, int32 bias quantization, per-channel output
// multipliers and TinyEngine's bias folding (TFLite quantization spec; paper_facts §10, §12).
// Activation parameters are in QuantParams.swift.

import TensorModule

/// Where the output channel sits in a weight tensor.
public enum WeightLayout: String, Sendable, Codable, CaseIterable {
  /// Conv `[cOut, kH, kW, cIn]` and linear `[cOut, cIn]`: output channel is dimension 0.
  case ohwi
  /// Depthwise `[1, kH, kW, C]`: output channel is the last dimension.
  case oneHWO
}

/// Symmetric per-output-channel quantized weights: `real = q · scales[c]`, zero point 0.
public struct PerChannelQuantizedWeights: Hashable, Sendable {
  /// The quantized values, same shape and order as the float weights.
  public var values: [Int8]
  /// One scale per output channel; finite and > 0.
  public var scales: [Float]
  /// The weight tensor's shape.
  public var shape: Shape
  /// Which dimension is the output channel.
  public var layout: WeightLayout

  /// Stores the values as given.
  public init(values: [Int8], scales: [Float], shape: Shape, layout: WeightLayout) {
    self.values = values
    self.scales = scales
    self.shape = shape
    self.layout = layout
  }
}

/// The output-channel index of flat element `index` in a weight tensor of `shape`.
func outputChannel(ofElement index: Int, shape: Shape, layout: WeightLayout) -> Int {
  switch layout {
  case .ohwi: return index / (shape.count / shape[0])
  case .oneHWO: return index % shape[shape.rank - 1]
  }
}

/// The number of output channels of a weight tensor of `shape` in `layout`.
func outputChannelCount(shape: Shape, layout: WeightLayout) -> Int {
  layout == .ohwi ? shape[0] : shape[shape.rank - 1]
}

/// Quantizes float weights per output channel, symmetric, as TFLite's converter does.
///
/// For each channel `c`: `scale[c] = max|w| / qmax` (Float, `qmax` = 127 for int8, 7 for int4);
/// `q = clamp(round(w · (1/scale[c])), -qmax...qmax)` with ties away from zero (TFLite multiplies
/// by the reciprocal). An all-zero channel gets scale 1 (its values are all 0), so derived
/// multipliers stay finite.
///
/// - Parameters:
///   - weights: float weights in `shape` order.
///   - shape: `[cOut, kH, kW, cIn]` or `[cOut, cIn]` for `.ohwi`; `[1, kH, kW, C]` for `.oneHWO`.
///   - layout: where the output channel sits.
///   - bitWidth: `.int8` (`±127`) or `.int4` (`±7`).
/// - Returns: the quantized values and one scale per output channel.
/// - Throws: `QuantizationError.shapeMismatch` if `weights.count != shape.count`;
///   `.invalidRange` if a weight is not finite.
public func quantizeWeightsPerChannel(
  weights: [Float], shape: Shape, layout: WeightLayout, bitWidth: BitWidth = .int8
) throws(QuantizationError) -> PerChannelQuantizedWeights {
  guard shape.rank >= 2, shape.count == weights.count, shape.count > 0 else {
    throw .shapeMismatch(
      what: "weights", expected: "a rank >= 2 shape with \(weights.count) elements",
      actual: shape.description)
  }
  let channels = outputChannelCount(shape: shape, layout: layout)
  var maxAbs = [Float](repeating: 0, count: channels)
  for (i, w) in weights.enumerated() {
    guard w.isFinite else {
      throw .invalidRange(what: "weights[\(i)]", min: Double(w), max: Double(w))
    }
    let c = outputChannel(ofElement: i, shape: shape, layout: layout)
    maxAbs[c] = max(maxAbs[c], abs(w))
  }
  let qmax = Float(bitWidth.weightRange.upperBound)
  let scales = maxAbs.map { $0 > 0 ? $0 / qmax : 1 }
  let inverse = scales.map { 1 / $0 }
  var values = [Int8](repeating: 0, count: weights.count)
  for (i, w) in weights.enumerated() {
    let c = outputChannel(ofElement: i, shape: shape, layout: layout)
    let q = min(max((w * inverse[c]).rounded(.toNearestOrAwayFromZero), -qmax), qmax)
    values[i] = Int8(q)
  }
  return PerChannelQuantizedWeights(values: values, scales: scales, shape: shape, layout: layout)
}

/// Quantizes a float bias to int32 with scale `inputScale · weightScales[c]`, zero point 0.
///
/// `q = clamp(round(b / (s_in·s_w[c])), Int32)` computed in Double, ties away from zero.
///
/// - Throws: `.shapeMismatch` if the counts differ; `.invalidScale` for a non-positive scale.
public func quantizeBias(_ bias: [Float], inputScale: Float, weightScales: [Float])
  throws(QuantizationError) -> [Int32]
{
  guard bias.count == weightScales.count else {
    throw .shapeMismatch(
      what: "bias", expected: "[\(weightScales.count)] (one per output channel)",
      actual: "[\(bias.count)]")
  }
  var result = [Int32](repeating: 0, count: bias.count)
  for c in bias.indices {
    let scale = Double(inputScale) * Double(weightScales[c])
    guard scale.isFinite && scale > 0 else {
      throw .invalidScale(what: "bias channel \(c) (s_in·s_w)", scale: scale)
    }
    let q = (Double(bias[c]) / scale).rounded(.toNearestOrAwayFromZero)
    result[c] = Int32(min(max(q, Double(Int32.min)), Double(Int32.max)))
  }
  return result
}

/// The per-channel requantization multipliers `M[c] = s_in · s_w[c] / s_out` (Double, as TFLite's
/// `GetQuantizedConvolutionMultipler`), each quantized by `FixedPointMultiplier.init(_:)`.
///
/// - Throws: `.invalidScale` for a non-positive scale; `.invalidMultiplier` as the init does.
public func perChannelMultipliers(inputScale: Float, weightScales: [Float], outputScale: Float)
  throws(QuantizationError) -> [FixedPointMultiplier]
{
  guard outputScale.isFinite && outputScale > 0 else {
    throw .invalidScale(what: "output", scale: Double(outputScale))
  }
  var result: [FixedPointMultiplier] = []
  for (c, weightScale) in weightScales.enumerated() {
    let product = Double(inputScale) * Double(weightScale)
    guard product.isFinite && product > 0 else {
      throw .invalidScale(what: "channel \(c) (s_in·s_w)", scale: product)
    }
    result.append(try FixedPointMultiplier(product / Double(outputScale)))
  }
  return result
}

/// TinyEngine's bias folding (`_parseoffsetBias`, paper_facts §10): moves the input offset out of
/// the MAC loop.
///
/// `Σ w·(x + inputOffset) + bias == Σ w·x + (bias + inputOffset·Σw)` when padded taps read the
/// raw value `−inputOffset` (= zp_in) instead of being skipped. Returns
/// `folded[c] = clamp_Int32(bias[c] + inputOffset·Σ_taps w[c])` and the clipped-off
/// `remainder[c]` (normally 0) that must be added back to keep the result exact.
///
/// - Parameters:
///   - bias: one per output channel, or nil for zeros.
///   - filter: `[cOut, kH, kW, cIn]` (`.ohwi`) or `[1, kH, kW, C]` (`.oneHWO`) int8 weights.
///   - filterShape: the filter's shape.
///   - layout: where the output channel sits.
///   - inputOffset: `−zp_in`.
/// - Returns: the folded bias and the clipped-off remainder, one each per output channel.
public func foldInputOffsetIntoBias(
  bias: [Int32]?, filter: [Int8], filterShape: Shape, layout: WeightLayout, inputOffset: Int32
) -> (folded: [Int32], remainder: [Int32]) {
  let channels = outputChannelCount(shape: filterShape, layout: layout)
  precondition(
    filter.count == filterShape.count, "filter has \(filter.count) values for \(filterShape)")
  precondition(bias == nil || bias?.count == channels, "bias count must equal \(channels)")
  var sums = [Int64](repeating: 0, count: channels)
  for (i, w) in filter.enumerated() {
    sums[outputChannel(ofElement: i, shape: filterShape, layout: layout)] += Int64(w)
  }
  var folded = [Int32](repeating: 0, count: channels)
  var remainder = [Int32](repeating: 0, count: channels)
  for c in 0..<channels {
    // |bias| < 2^31 and |inputOffset·Σw| < 2^8·2^7·2^16 for any real layer: Int64 is exact.
    let exact = Int64(bias?[c] ?? 0) + Int64(inputOffset) * sums[c]
    let clipped = min(max(exact, Int64(Int32.min)), Int64(Int32.max))
    folded[c] = Int32(clipped)
    remainder[c] = Int32(clamping: exact - clipped)
  }
  return (folded, remainder)
}
