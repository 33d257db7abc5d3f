// PointwiseConv2D.swift
// Integer reference of a per-channel quantized 1×1 convolution: the named entry point for the
// expand/project layers of MBConv blocks (TinyEngine's convolve_1x1_s8 family). Numerically it
// is conv2DPerChannel with kH = kW = 1; it is written out on its own as the simpler spec.

import TensorModule

extension IntegerReference {
  /// Per-channel int8 pointwise (1×1) convolution with optional stride, no padding.
  ///
  /// Shapes: input is `[N, H, W, cIn]` int8; filter is `[cOut, 1, 1, cIn]` int8 (OHWI); bias is
  /// `[cOut]` int32 (or nil); output is `[N, (H−1)/strideH + 1, (W−1)/strideW + 1, cOut]` int8.
  /// `acc = Σ_ic w[oc,ic]·(x[ic] + inputOffset) + bias[oc]`, requantized and clamped as in
  /// `conv2DPerChannel`.
  public static func pointwiseConv2DPerChannel(
    input: [Int8], inputShape: Shape, filter: [Int8], filterShape: Shape, bias: [Int32]?,
    params p: ConvParams
  ) -> [Int8] {
    let outputShape = checked { () throws(QuantizationError) in
      try p.validatePointwiseConv2D(
        inputShape: inputShape, filterShape: filterShape, biasCount: bias?.count)
    }
    precondition(
      input.count == inputShape.count, "input has \(input.count) values for \(inputShape)")
    precondition(
      filter.count == filterShape.count, "filter has \(filter.count) values for \(filterShape)")
    let (batches, inH, inW, cIn) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let cOut = filterShape[0]
    let (outH, outW) = (outputShape[1], outputShape[2])
    var output = [Int8](repeating: 0, count: outputShape.count)
    for n in 0..<batches {
      for oy in 0..<outH {
        for ox in 0..<outW {
          let pixel = ((n * inH + oy * p.strideH) * inW + ox * p.strideW) * cIn
          for oc in 0..<cOut {
            // acc is Int32: cIn <= 2^16 terms of |w·(x + inputOffset)| <= 32_385.
            var acc: Int32 = 0
            for ic in 0..<cIn {
              acc += Int32(filter[oc * cIn + ic]) * (Int32(input[pixel + ic]) + p.inputOffset)
            }
            if let bias { acc += bias[oc] }
            output[((n * outH + oy) * outW + ox) * cOut + oc] = requantize(
              acc, multiplier: p.outputMultipliers[oc], mode: p.roundingMode,
              outputOffset: p.outputOffset, activationMin: p.activationMin,
              activationMax: p.activationMax)
          }
        }
      }
    }
    return output
  }
}
