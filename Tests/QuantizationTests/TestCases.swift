// TestCases.swift
// Seeded random tensors and kernel parameters for the kernel sweeps, and the deliberately
// different formulations the references are compared against (im2col + Int64 matmul with
// TinyEngine-style bias folding).

import Quantization
import TensorModule

extension SeededGenerator {
  /// `count` uniform int8 values in `range`.
  mutating func int8s(_ count: Int, in range: ClosedRange<Int8> = -128...127) -> [Int8] {
    (0..<count).map { _ in Int8.random(in: range, using: &self) }
  }

  /// `count` uniform int32 values in `range`.
  mutating func int32s(_ count: Int, in range: ClosedRange<Int32>) -> [Int32] {
    (0..<count).map { _ in Int32.random(in: range, using: &self) }
  }

  /// Per-channel multipliers for a linear layer of `depth` zero-mean int8 products (std about
  /// 74²·√depth), aimed at outputs of about ±60.
  mutating func multipliers(_ count: Int, depth: Int) -> [FixedPointMultiplier] {
    let typical = 60 / (5476 * Double(depth).squareRoot())
    return (0..<count).map { _ in
      (try? FixedPointMultiplier(typical * Double.random(in: 0.5...2, using: &self))) ?? .zero
    }
  }
}

extension ConvParams {
  /// These parameters with per-channel multipliers calibrated on the conv's accumulators.
  ///
  /// First `bias` is shifted so every channel's accumulators are centred on 0: the
  /// outputs then spread over about ±`target` instead of saturating. `filter` is dense OHWI.
  func calibrated(
    input: [Int8], inputShape: Shape, filter: [Int8], filterShape: Shape, bias: inout [Int32],
    target: Double, using g: inout SeededGenerator
  ) -> ConvParams {
    var p = self
    let cOut = filterShape[0]
    p.outputMultipliers = Array(repeating: .zero, count: cOut)
    let accumulators = im2colAccumulators(
      input: input, inputShape: inputShape, filter: filter, filterShape: filterShape, bias: bias,
      params: p)
    p.outputMultipliers = (0..<cOut).map { oc in
      let values = stride(from: oc, to: accumulators.count, by: cOut).map {
        Double(accumulators[$0])
      }
      let mean = (values.reduce(0, +) / Double(max(values.count, 1))).rounded()
      bias[oc] -= Int32(mean)
      let spread = max(values.map { abs($0 - mean) }.max() ?? 1, 1)
      let real = target / spread * Double.random(in: 0.7...1, using: &g)
      return (try? FixedPointMultiplier(real)) ?? .zero
    }
    return p
  }
}

/// The Int32 accumulators `[rows = N·oH·oW, cOut]` of a conv, computed differently from the
/// reference: im2col with raw input values (padded taps read zp_in = −inputOffset), an Int64
/// matmul, and the input offset folded into the bias (TinyEngine's form).
func im2colAccumulators(
  input: [Int8], inputShape: Shape, filter: [Int8], filterShape: Shape, bias: [Int32]?,
  params p: ConvParams
) -> [Int32] {
  let (batches, inH, inW, cIn) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
  let (cOut, kH, kW) = (filterShape[0], filterShape[1], filterShape[2])
  let outH = (inH + p.padTop + p.padBottom - kH) / p.strideH + 1
  let outW = (inW + p.padLeft + p.padRight - kW) / p.strideW + 1
  let depth = kH * kW * cIn
  let zeroPoint = Int64(-p.inputOffset)
  // Row r of `columns` is the receptive field of output pixel r, in (ky, kx, ic) order.
  var columns = [Int64](repeating: zeroPoint, count: batches * outH * outW * depth)
  for n in 0..<batches {
    for oy in 0..<outH {
      for ox in 0..<outW {
        let row = (n * outH + oy) * outW + ox
        for ky in 0..<kH {
          for kx in 0..<kW {
            let iy = oy * p.strideH - p.padTop + ky
            let ix = ox * p.strideW - p.padLeft + kx
            guard (0..<inH).contains(iy), (0..<inW).contains(ix) else { continue }
            for ic in 0..<cIn {
              columns[row * depth + (ky * kW + kx) * cIn + ic] =
                Int64(input[((n * inH + iy) * inW + ix) * cIn + ic])
            }
          }
        }
      }
    }
  }
  var foldedBias = [Int64](repeating: 0, count: cOut)
  for oc in 0..<cOut {
    let weightSum = filter[oc * depth..<(oc + 1) * depth].reduce(Int64(0)) { $0 + Int64($1) }
    foldedBias[oc] = Int64(bias?[oc] ?? 0) + Int64(p.inputOffset) * weightSum
  }
  let rows = batches * outH * outW
  var accumulators = [Int32](repeating: 0, count: rows * cOut)
  for row in 0..<rows {
    for oc in 0..<cOut {
      var dot = foldedBias[oc]
      for k in 0..<depth { dot += columns[row * depth + k] * Int64(filter[oc * depth + k]) }
      accumulators[row * cOut + oc] = Int32(dot)  // traps if an Int32 accumulator overflowed
    }
  }
  return accumulators
}

/// Output of `conv2DPerChannel` computed differently: `im2colAccumulators`, then the exact
/// requantization of `Exact`, offset and clamp.
func conv2DByIm2col(
  input: [Int8], inputShape: Shape, filter: [Int8], filterShape: Shape, bias: [Int32]?,
  params p: ConvParams
) -> [Int8] {
  let accumulators = im2colAccumulators(
    input: input, inputShape: inputShape, filter: filter, filterShape: filterShape, bias: bias,
    params: p)
  let cOut = filterShape[0]
  return accumulators.indices.map { i in
    let scaled = Int64(
      Exact.multiply(accumulators[i], p.outputMultipliers[i % cOut], p.roundingMode))
    let clamped = min(
      max(scaled + Int64(p.outputOffset), Int64(p.activationMin)),
      Int64(p.activationMax))
    return Int8(clamped)
  }
}

/// A depthwise filter `[1, kH, kW, cOut]` expanded into the equivalent dense OHWI filter
/// `[cOut, kH, kW, cIn]`: zero except input channel `oc / depthMultiplier`.
func denseFilter(fromDepthwise filter: [Int8], filterShape: Shape, cIn: Int) -> [Int8] {
  let (kH, kW, cOut) = (filterShape[1], filterShape[2], filterShape[3])
  let multiplier = cOut / cIn
  var dense = [Int8](repeating: 0, count: cOut * kH * kW * cIn)
  for oc in 0..<cOut {
    for ky in 0..<kH {
      for kx in 0..<kW {
        dense[((oc * kH + ky) * kW + kx) * cIn + oc / multiplier] =
          filter[(ky * kW + kx) * cOut + oc]
      }
    }
  }
  return dense
}

/// The fraction of `values` strictly inside the clamp bounds (a sweep whose outputs are all
/// clamped would test nothing).
func unclampedFraction(_ values: [Int8], _ low: Int32, _ high: Int32) -> Double {
  let inside = values.filter { Int32($0) > low && Int32($0) < high }.count
  return Double(inside) / Double(max(values.count, 1))
}
