// Conv2D.swift
// Integer reference of a per-channel quantized 2-D convolution (TFLM
// reference_integer_ops::ConvPerChannel semantics): the spec for every generic and specialized
// conv kernel. Plain loops; not optimized (STYLE.md B6.1).

import TensorModule

extension IntegerReference {
  /// Per-channel int8 convolution, any kernel size, stride and asymmetric padding.
  ///
  /// Shapes: input is `[N, H, W, cIn]` int8; filter is `[cOut, kH, kW, cIn]` int8 (OHWI,
  /// symmetric, zp 0); bias is `[cOut]` int32 with scale `s_in·s_w[c]` (or nil); output is
  /// `[N, oH, oW, cOut]` int8 (see `ConvParams.validateConv2D`).
  ///
  /// For each output element: `acc = Σ_{ky,kx,ic} w·(x + inputOffset)` over the taps inside the
  /// input (padded taps are skipped, i.e. they contribute real 0), `acc += bias[oc]`, then
  /// `clamp(multiplyByQuantizedMultiplier(acc, M[oc]) + outputOffset)`.
  public static func conv2DPerChannel(
    input: [Int8], inputShape: Shape, filter: [Int8], filterShape: Shape, bias: [Int32]?,
    params p: ConvParams
  ) -> [Int8] {
    let outputShape = checked { () throws(QuantizationError) in
      try p.validateConv2D(inputShape: inputShape, filterShape: filterShape, biasCount: bias?.count)
    }
    precondition(
      input.count == inputShape.count, "input has \(input.count) values for \(inputShape)")
    precondition(
      filter.count == filterShape.count, "filter has \(filter.count) values for \(filterShape)")
    let (batches, inH, inW, cIn) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let (cOut, kH, kW) = (filterShape[0], filterShape[1], filterShape[2])
    let (outH, outW) = (outputShape[1], outputShape[2])
    var output = [Int8](repeating: 0, count: outputShape.count)
    for n in 0..<batches {
      for oy in 0..<outH {
        for ox in 0..<outW {
          for oc in 0..<cOut {
            let inY0 = oy * p.strideH - p.padTop
            let inX0 = ox * p.strideW - p.padLeft
            // acc is Int32: |w·(x + inputOffset)| <= 127·255 = 32_385 and validation caps
            // kH·kW·cIn at 2^16, so the sum stays below 2^31 before the bias is added.
            var acc: Int32 = 0
            for ky in 0..<kH {
              let iy = inY0 + ky
              if iy < 0 || iy >= inH { continue }
              for kx in 0..<kW {
                let ix = inX0 + kx
                if ix < 0 || ix >= inW { continue }
                for ic in 0..<cIn {
                  let x = Int32(input[((n * inH + iy) * inW + ix) * cIn + ic])
                  let w = Int32(filter[((oc * kH + ky) * kW + kx) * cIn + ic])
                  acc += w * (x + p.inputOffset)
                }
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
