// MaxPool.swift
// Integer reference of quantized max pooling (TFLM reference_integer_ops::MaxPool): input and
// output share scale and zero point, so the maximum of the raw values is the output, clamped.
// Padded positions are skipped, never read as zero, so a window of negatives stays negative.

import TensorModule

extension IntegerReference {
  /// Int8 max pool over the valid (unpadded) part of each window.
  ///
  /// Shapes: input is `[N, H, W, C]` int8; output `[N, oH, oW, C]` int8 with the same scale and
  /// zero point, `oH = (H + padTop + padBottom − filterH) / strideH + 1`. Per output: the
  /// largest raw value inside the input (every window holds one, `PoolParams.validate`
  /// guarantees it), clamped to `[activationMin, activationMax]`.
  public static func maxPool(input: [Int8], inputShape: Shape, params p: PoolParams) -> [Int8] {
    let outputShape = checked { () throws(QuantizationError) in
      try p.validate(inputShape: inputShape)
    }
    precondition(
      input.count == inputShape.count, "input has \(input.count) values for \(inputShape)")
    let (batches, inH, inW, channels) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let (outH, outW) = (outputShape[1], outputShape[2])
    var output = [Int8](repeating: 0, count: outputShape.count)
    for n in 0..<batches {
      for oy in 0..<outH {
        for ox in 0..<outW {
          for c in 0..<channels {
            let inY0 = oy * p.strideH - p.padTop
            let inX0 = ox * p.strideW - p.padLeft
            var largest = Int32.min
            for ky in 0..<p.filterH {
              let iy = inY0 + ky
              if iy < 0 || iy >= inH { continue }
              for kx in 0..<p.filterW {
                let ix = inX0 + kx
                if ix < 0 || ix >= inW { continue }
                largest = max(largest, Int32(input[((n * inH + iy) * inW + ix) * channels + c]))
              }
            }
            output[((n * outH + oy) * outW + ox) * channels + c] =
              Int8(min(max(largest, p.activationMin), p.activationMax))
          }
        }
      }
    }
    return output
  }

  /// Int4 max pool: `maxPool` on the unpacked values with an int4 clamp (input and output share
  /// scale and zero point; the maximum of int4 values is an int4 value).
  ///
  /// Shapes: input `[N, H, W, C]` and output `[N, oH, oW, C]`, packed int4.
  public static func maxPoolInt4(input: PackedInt4, inputShape: Shape, params p: PoolParams)
    -> PackedInt4
  {
    checked { () throws(QuantizationError) in
      _ = try p.validate(inputShape: inputShape, bitWidth: .int4)
    }
    precondition(
      input.count == inputShape.count, "input has \(input.count) values for \(inputShape)")
    let y = maxPool(input: input.unpacked(), inputShape: inputShape, params: p)
    return checked { () throws(QuantizationError) in try PackedInt4(packing: y) }
  }
}
