// DepthwiseConv2D.swift
// Integer reference of a per-channel quantized depthwise convolution (TFLM
// reference_integer_ops::DepthwiseConvPerChannel semantics). Plain loops; not the in-place
// TinyEngine kernel, which must match this one bit for bit.

import TensorModule

extension IntegerReference {
  /// Per-channel int8 depthwise convolution, any kernel size, stride and asymmetric padding.
  ///
  /// Shapes: input is `[N, H, W, cIn]` int8; filter is `[1, kH, kW, cOut]` int8 (1HWO, symmetric,
  /// zp 0); bias is `[cOut]` int32 (or nil); output is `[N, oH, oW, cOut]` int8.
  ///
  /// Depth multiplier `dm = cOut / cIn` (MCUNet uses 1; TFLite's general rule is supported):
  /// output channel `oc` reads input channel `oc / dm`, i.e. `oc = ic·dm + m`.
  /// `acc = Σ_{ky,kx} w[ky,kx,oc]·(x[iy,ix,oc/dm] + inputOffset) + bias[oc]`, then requantized
  /// and clamped as in `conv2DPerChannel`.
  public static func depthwiseConv2DPerChannel(
    input: [Int8], inputShape: Shape, filter: [Int8], filterShape: Shape, bias: [Int32]?,
    params p: ConvParams
  ) -> [Int8] {
    let outputShape = checked { () throws(QuantizationError) in
      try p.validateDepthwiseConv2D(
        inputShape: inputShape, filterShape: filterShape, biasCount: bias?.count)
    }
    precondition(
      input.count == inputShape.count, "input has \(input.count) values for \(inputShape)")
    precondition(
      filter.count == filterShape.count, "filter has \(filter.count) values for \(filterShape)")
    let (batches, inH, inW, cIn) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let (kH, kW, cOut) = (filterShape[1], filterShape[2], filterShape[3])
    let depthMultiplier = cOut / cIn
    let (outH, outW) = (outputShape[1], outputShape[2])
    var output = [Int8](repeating: 0, count: outputShape.count)
    for n in 0..<batches {
      for oy in 0..<outH {
        for ox in 0..<outW {
          for oc in 0..<cOut {
            let ic = oc / depthMultiplier
            let inY0 = oy * p.strideH - p.padTop
            let inX0 = ox * p.strideW - p.padLeft
            // acc is Int32: at most kH·kW <= 2^16 terms of |w·(x + inputOffset)| <= 32_385.
            var acc: Int32 = 0
            for ky in 0..<kH {
              let iy = inY0 + ky
              if iy < 0 || iy >= inH { continue }
              for kx in 0..<kW {
                let ix = inX0 + kx
                if ix < 0 || ix >= inW { continue }
                let x = Int32(input[((n * inH + iy) * inW + ix) * cIn + ic])
                let w = Int32(filter[(ky * kW + kx) * cOut + oc])
                acc += w * (x + p.inputOffset)
              }
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
