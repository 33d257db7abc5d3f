// Reference+Window.swift
// Readable references of the sliding-window ops: conv2d, depthwise conv and the two average
// pools. Loops run in the order n, oy, ox, oc, ky, kx, ic; padding is skipped by bounds checks
// rather than materialized (STYLE.md B6.1).

extension Reference {
  /// Standard convolution. input [N, H, W, cIn], weight [cOut, kH, kW, cIn], bias [cOut],
  /// output [N, oH, oW, cOut].
  public static func conv2d<T: BinaryFloatingPoint>(
    _ x: [T], weight: [T], bias: [T]?, op: Conv2D
  ) -> [T] {
    let g = op.window
    let (cIn, cOut) = (op.inChannels, op.outChannels)
    let batch = x.count / (g.inputHeight * g.inputWidth * cIn)
    var y = [T](repeating: 0, count: batch * g.outputHeight * g.outputWidth * cOut)
    for n in 0..<batch {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          for oc in 0..<cOut {
            var acc: T = bias?[oc] ?? 0
            for ky in 0..<g.kernelHeight {
              for kx in 0..<g.kernelWidth {
                let iy = oy * g.stride - g.padding.top + ky
                let ix = ox * g.stride - g.padding.left + kx
                guard iy >= 0, iy < g.inputHeight, ix >= 0, ix < g.inputWidth else { continue }
                for ic in 0..<cIn {
                  let xv = x[((n * g.inputHeight + iy) * g.inputWidth + ix) * cIn + ic]
                  let wv = weight[((oc * g.kernelHeight + ky) * g.kernelWidth + kx) * cIn + ic]
                  acc += xv * wv
                }
              }
            }
            y[((n * g.outputHeight + oy) * g.outputWidth + ox) * cOut + oc] = acc
          }
        }
      }
    }
    return y
  }

  /// Depthwise convolution, the readable form of `DepthwiseConv2D.forward`.
  /// input [N, H, W, C], weight [kH, kW, C], output [N, oH, oW, C].
  public static func depthwiseConv2d<T: BinaryFloatingPoint>(
    _ x: [T], weight: [T], op: DepthwiseConv2D
  ) -> [T] {
    let g = op.window
    let c = op.channels
    let batch = x.count / (g.inputHeight * g.inputWidth * c)
    var y = [T](repeating: 0, count: batch * g.outputHeight * g.outputWidth * c)
    for n in 0..<batch {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          for ch in 0..<c {
            var acc: T = 0
            for ky in 0..<g.kernelHeight {
              for kx in 0..<g.kernelWidth {
                let iy = oy * g.stride - g.padding.top + ky
                let ix = ox * g.stride - g.padding.left + kx
                guard iy >= 0, iy < g.inputHeight, ix >= 0, ix < g.inputWidth else { continue }
                acc +=
                  x[((n * g.inputHeight + iy) * g.inputWidth + ix) * c + ch]
                  * weight[(ky * g.kernelWidth + kx) * c + ch]
              }
            }
            y[((n * g.outputHeight + oy) * g.outputWidth + ox) * c + ch] = acc
          }
        }
      }
    }
    return y
  }

  /// Average pool dividing by the in-bounds pixel count of each window (TFLite semantics).
  public static func avgPool2d<T: BinaryFloatingPoint>(_ x: [T], op: AvgPool2D) -> [T] {
    let g = op.window
    let c = op.channels
    let batch = x.count / (g.inputHeight * g.inputWidth * c)
    var y = [T](repeating: 0, count: batch * g.outputHeight * g.outputWidth * c)
    for n in 0..<batch {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          for ch in 0..<c {
            var (acc, count): (T, Int) = (0, 0)
            for ky in 0..<g.kernelHeight {
              for kx in 0..<g.kernelWidth {
                let iy = oy * g.stride - g.padding.top + ky
                let ix = ox * g.stride - g.padding.left + kx
                guard iy >= 0, iy < g.inputHeight, ix >= 0, ix < g.inputWidth else { continue }
                acc += x[((n * g.inputHeight + iy) * g.inputWidth + ix) * c + ch]
                count += 1
              }
            }
            y[((n * g.outputHeight + oy) * g.outputWidth + ox) * c + ch] = acc / T(max(count, 1))
          }
        }
      }
    }
    return y
  }

  /// Max pool over the in-bounds pixels of each window (padding never wins; 0 for a window with
  /// none).
  public static func maxPool2d<T: BinaryFloatingPoint>(_ x: [T], op: MaxPool2D) -> [T] {
    let g = op.window
    let c = op.channels
    let batch = x.count / (g.inputHeight * g.inputWidth * c)
    var y = [T](repeating: 0, count: batch * g.outputHeight * g.outputWidth * c)
    for n in 0..<batch {
      for oy in 0..<g.outputHeight {
        for ox in 0..<g.outputWidth {
          for ch in 0..<c {
            var largest: T? = nil
            for ky in 0..<g.kernelHeight {
              for kx in 0..<g.kernelWidth {
                let iy = oy * g.stride - g.padding.top + ky
                let ix = ox * g.stride - g.padding.left + kx
                guard iy >= 0, iy < g.inputHeight, ix >= 0, ix < g.inputWidth else { continue }
                let v = x[((n * g.inputHeight + iy) * g.inputWidth + ix) * c + ch]
                largest = max(largest ?? v, v)
              }
            }
            y[((n * g.outputHeight + oy) * g.outputWidth + ox) * c + ch] = largest ?? 0
          }
        }
      }
    }
    return y
  }

  /// Spatial mean per channel: [N, H, W, C] → [N, C].
  public static func globalAvgPool<T: BinaryFloatingPoint>(_ x: [T], op: GlobalAvgPool) -> [T] {
    let (pixels, c) = (op.height * op.width, op.channels)
    let batch = x.count / (pixels * c)
    var y = [T](repeating: 0, count: batch * c)
    for n in 0..<batch {
      for ch in 0..<c {
        var acc: T = 0
        for p in 0..<pixels { acc += x[(n * pixels + p) * c + ch] }
        y[n * c + ch] = acc / T(pixels)
      }
    }
    return y
  }
}
