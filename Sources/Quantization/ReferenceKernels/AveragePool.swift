// AveragePool.swift
// Integer reference of quantized average pooling and of the global average pool that ends
// every MCUNet backbone (TFLM reference_integer_ops::AveragePool: input and output share scale
// and zero point, no requantization). Not TFLite's MEAN op, which requantizes.

import TensorModule

/// Parameters of an int8 average pool.
public struct PoolParams: Hashable, Sendable {
  /// Window height, >= 1.
  public var filterH: Int
  /// Window width, >= 1.
  public var filterW: Int
  /// Vertical stride, >= 1.
  public var strideH: Int
  /// Horizontal stride, >= 1.
  public var strideW: Int
  /// Rows of padding above, `0..<filterH`.
  public var padTop: Int
  /// Columns of padding left, `0..<filterW`.
  public var padLeft: Int
  /// Rows of padding below, `0..<filterH`.
  public var padBottom: Int
  /// Columns of padding right, `0..<filterW`.
  public var padRight: Int
  /// Lower clamp bound.
  public var activationMin: Int32
  /// Upper clamp bound.
  public var activationMax: Int32

  /// Stores every field as given; `validate` checks them.
  public init(
    filterH: Int, filterW: Int, strideH: Int, strideW: Int, padTop: Int = 0, padLeft: Int = 0,
    padBottom: Int = 0, padRight: Int = 0, activationMin: Int32 = -128, activationMax: Int32 = 127
  ) {
    self.filterH = filterH
    self.filterW = filterW
    self.strideH = strideH
    self.strideW = strideW
    self.padTop = padTop
    self.padLeft = padLeft
    self.padBottom = padBottom
    self.padRight = padRight
    self.activationMin = activationMin
    self.activationMax = activationMax
  }

  /// Checks the pool and returns the output shape `[N, oH, oW, C]`,
  /// `oH = (H + padTop + padBottom − filterH) / strideH + 1`.
  ///
  /// Padding must be smaller than the window, so every window sees at least one input value.
  /// The clamp must lie in `bitWidth`'s activation range.
  ///
  /// - Throws: `QuantizationError` naming the invalid shape or parameter.
  public func validate(inputShape: Shape, bitWidth: BitWidth = .int8) throws(QuantizationError)
    -> Shape
  {
    guard inputShape.rank == 4, inputShape.dims.allSatisfy({ $0 > 0 }) else {
      throw .shapeMismatch(
        what: "pool input", expected: "[N, H, W, C]", actual: inputShape.description)
    }
    for (name, value) in [
      ("filterH", filterH), ("filterW", filterW), ("strideH", strideH),
      ("strideW", strideW),
    ] {
      try ParameterCheck.atLeast(value, 1, name: name)
    }
    for (name, pad, window) in [
      ("padTop", padTop, filterH), ("padBottom", padBottom, filterH),
      ("padLeft", padLeft, filterW), ("padRight", padRight, filterW),
    ]
    where pad < 0 || pad >= window {
      throw .invalidParameter(
        name: name, value: "\(pad)", reason: "must be in 0..<\(window) (the window size)")
    }
    let paddedH = inputShape[1] + padTop + padBottom
    let paddedW = inputShape[2] + padLeft + padRight
    guard paddedH >= filterH, paddedW >= filterW else {
      throw .shapeMismatch(
        what: "padded pool input", expected: "at least \(filterH)×\(filterW)",
        actual: "\(paddedH)×\(paddedW)")
    }
    try ParameterCheck.clampRange(activationMin, activationMax, bitWidth: bitWidth)
    return Shape([
      inputShape[0], (paddedH - filterH) / strideH + 1, (paddedW - filterW) / strideW + 1,
      inputShape[3],
    ])
  }
}

extension IntegerReference {
  /// Int8 average pool over the valid (unpadded) part of each window.
  ///
  /// Shapes: input is `[N, H, W, C]` int8; output `[N, oH, oW, C]` int8 with the same scale and
  /// zero point. Per output: `sum` of the raw int8 values inside the input, `count` of them;
  /// `avg = sum > 0 ? (sum + count/2) / count : (sum − count/2) / count` with truncating
  /// division (round half away from zero, TFLM), then clamped.
  public static func averagePool(input: [Int8], inputShape: Shape, params p: PoolParams) -> [Int8] {
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
            // sum is Int32: |x| <= 128 and count <= filterH·filterW, far below 2^23 windows.
            var sum: Int32 = 0
            var count: Int32 = 0
            for ky in 0..<p.filterH {
              let iy = inY0 + ky
              if iy < 0 || iy >= inH { continue }
              for kx in 0..<p.filterW {
                let ix = inX0 + kx
                if ix < 0 || ix >= inW { continue }
                sum += Int32(input[((n * inH + iy) * inW + ix) * channels + c])
                count += 1
              }
            }
            let average = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count
            output[((n * outH + oy) * outW + ox) * channels + c] =
              Int8(min(max(average, p.activationMin), p.activationMax))
          }
        }
      }
    }
    return output
  }

  /// Int8 global average pool: `averagePool` with an `H×W` window, stride 1, no padding (how
  /// MCUNet's exported models express it, as AVERAGE_POOL_2D).
  ///
  /// Shapes: input is `[N, H, W, C]` int8; output `[N, 1, 1, C]` int8, same scale and zero point.
  public static func globalAveragePool(
    input: [Int8], inputShape: Shape, activationMin: Int32 = -128, activationMax: Int32 = 127
  ) -> [Int8] {
    precondition(inputShape.rank == 4, "global average pool input must be [N, H, W, C]")
    let params = PoolParams(
      filterH: inputShape[1], filterW: inputShape[2], strideH: 1, strideW: 1,
      activationMin: activationMin, activationMax: activationMax)
    return averagePool(input: input, inputShape: inputShape, params: params)
  }
}
