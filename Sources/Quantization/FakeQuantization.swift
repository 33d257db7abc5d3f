// FakeQuantization.swift
// Float "fake quantization" (quantize then dequantize) for tests and quantization-aware
// training (MCUNet Table 4 fine-tunes int4 models for 25 epochs). The backward pass is the
// straight-through estimator. Not an integer kernel: the integer references are in
// ReferenceKernels/.

import TensorModule

/// `dequantize(quantize(x))` for every element: the value the integer model sees.
public func fakeQuantize(_ xs: [Float], params: QuantParams, bitWidth: BitWidth = .int8) -> [Float]
{
  xs.map { dequantize(quantize($0, params: params, bitWidth: bitWidth), params: params) }
}

/// The straight-through-estimator gradient mask of `fakeQuantize`: `true` where `x` lies inside
/// the representable interval `[(qmin − zp)·s, (qmax − zp)·s]` (gradient passes unchanged),
/// `false` where it was clamped (gradient 0).
public func fakeQuantizeGradientMask(
  _ xs: [Float], params: QuantParams, bitWidth: BitWidth = .int8
) -> [Bool] {
  let low = Float(bitWidth.activationRange.lowerBound - params.zeroPoint) * params.scale
  let high = Float(bitWidth.activationRange.upperBound - params.zeroPoint) * params.scale
  return xs.map { $0 >= low && $0 <= high }
}

/// Per-channel symmetric fake quantization of weights (`quantizeWeightsPerChannel`, then
/// `q · scale[c]`).
///
/// - Throws: as `quantizeWeightsPerChannel`.
public func fakeQuantizeWeightsPerChannel(
  weights: [Float], shape: Shape, layout: WeightLayout, bitWidth: BitWidth = .int8
) throws(QuantizationError) -> [Float] {
  let q = try quantizeWeightsPerChannel(
    weights: weights, shape: shape, layout: layout, bitWidth: bitWidth)
  return q.values.enumerated().map { i, v in
    Float(v) * q.scales[outputChannel(ofElement: i, shape: shape, layout: layout)]
  }
}
