// RandomQuantizedGraph+FloatForward.swift
// A plain float32 forward pass over a ModelIR graph (NHWC, batch 1), only to calibrate the
// activation ranges of `RandomQuantizedGraph`. Not the training ops (Training owns those, with
// backward passes and BLAS) and not a reference: nothing is compared against it.

import ModelIR
import Quantization

enum FloatForward {
  /// Every node's float output for one input image (node order).
  static func run(_ graph: Graph, weights: [FloatLayerWeights?], input: [Float]) -> [[Float]] {
    var outputs: [[Float]] = [input]
    for (i, node) in graph.nodes.enumerated().dropFirst() {
      let x = outputs[node.inputs[0]]
      let s = graph.nodes[node.inputs[0]].outputShape
      let (h, w, c) = s.rank == 4 ? (s[1], s[2], s[3]) : (1, 1, s.count)
      let o = node.outputShape
      let y: [Float]
      switch node.op {
      case .input:
        y = x
      case .conv2d(let a):
        y = activate(
          conv(x, (h, w, c), weights[i], out: (o[1], o[2], o[3]), geometry(a)), a.activation)
      case .depthwiseConv2d(let a):
        y = activate(
          depthwise(x, (h, w, c), weights[i], out: (o[1], o[2]), geometry(a)), a.activation)
      case .add(let activation):
        y = activate(zip(x, outputs[node.inputs[1]]).map { $0 + $1 }, activation)
      case .avgPool(let a):
        y = averagePool(x, (h, w, c), out: (o[1], o[2]), a)
      case .maxPool(let a):
        y = maxPool(x, (h, w, c), out: (o[1], o[2]), a)
      case .globalAvgPool:
        y = averagePool(
          x, (h, w, c), out: (1, 1), PoolAttributes(kernel: max(h, w), stride: 1))
      case .linear(let a):
        y = activate(linear(x, weights[i], outFeatures: a.outFeatures), a.activation)
      }
      outputs.append(y)
    }
    return outputs
  }

  /// Kernel, stride and padding of a window op.
  struct Geometry {
    var kH: Int
    var kW: Int
    var stride: Int
    var padTop: Int
    var padLeft: Int
  }

  static func geometry(_ a: Conv2DAttributes) -> Geometry {
    Geometry(
      kH: a.kernelH, kW: a.kernelW, stride: a.stride, padTop: a.padding.top,
      padLeft: a.padding.left)
  }

  static func geometry(_ a: DepthwiseConv2DAttributes) -> Geometry {
    Geometry(
      kH: a.kernelH, kW: a.kernelW, stride: a.stride, padTop: a.padding.top,
      padLeft: a.padding.left)
  }

  static func activate(_ x: [Float], _ activation: ModelIR.Activation) -> [Float] {
    switch activation {
    case .none: return x
    case .relu: return x.map { max($0, 0) }
    case .relu6: return x.map { min(max($0, 0), 6) }
    }
  }

  /// Regular convolution; weights OHWI [cOut, kH, kW, cIn].
  static func conv(
    _ x: [Float], _ s: (h: Int, w: Int, c: Int), _ layer: FloatLayerWeights?,
    out: (h: Int, w: Int, c: Int), _ g: Geometry
  ) -> [Float] {
    guard let layer else { return [Float](repeating: 0, count: out.h * out.w * out.c) }
    var y = [Float](repeating: 0, count: out.h * out.w * out.c)
    for oy in 0..<out.h {
      for ox in 0..<out.w {
        for oc in 0..<out.c {
          var acc = layer.bias[oc]
          for ky in 0..<g.kH {
            let iy = oy * g.stride - g.padTop + ky
            if iy < 0 || iy >= s.h { continue }
            for kx in 0..<g.kW {
              let ix = ox * g.stride - g.padLeft + kx
              if ix < 0 || ix >= s.w { continue }
              let xBase = (iy * s.w + ix) * s.c
              let wBase = ((oc * g.kH + ky) * g.kW + kx) * s.c
              for ic in 0..<s.c { acc += x[xBase + ic] * layer.weights[wBase + ic] }
            }
          }
          y[(oy * out.w + ox) * out.c + oc] = acc
        }
      }
    }
    return y
  }

  /// Depthwise convolution; weights 1HWO [1, kH, kW, C].
  static func depthwise(
    _ x: [Float], _ s: (h: Int, w: Int, c: Int), _ layer: FloatLayerWeights?,
    out: (h: Int, w: Int), _ g: Geometry
  ) -> [Float] {
    guard let layer else { return [Float](repeating: 0, count: out.h * out.w * s.c) }
    var y = [Float](repeating: 0, count: out.h * out.w * s.c)
    for oy in 0..<out.h {
      for ox in 0..<out.w {
        for c in 0..<s.c {
          var acc = layer.bias[c]
          for ky in 0..<g.kH {
            let iy = oy * g.stride - g.padTop + ky
            if iy < 0 || iy >= s.h { continue }
            for kx in 0..<g.kW {
              let ix = ox * g.stride - g.padLeft + kx
              if ix < 0 || ix >= s.w { continue }
              acc += x[(iy * s.w + ix) * s.c + c] * layer.weights[(ky * g.kW + kx) * s.c + c]
            }
          }
          y[(oy * out.w + ox) * s.c + c] = acc
        }
      }
    }
    return y
  }

  /// Average over the valid part of each window.
  static func averagePool(
    _ x: [Float], _ s: (h: Int, w: Int, c: Int), out: (h: Int, w: Int), _ a: PoolAttributes
  ) -> [Float] {
    var y = [Float](repeating: 0, count: out.h * out.w * s.c)
    for oy in 0..<out.h {
      for ox in 0..<out.w {
        for c in 0..<s.c {
          var sum: Float = 0
          var count = 0
          for iy in (oy * a.stride - a.padding.top)..<(oy * a.stride - a.padding.top + a.kernelH)
          where iy >= 0 && iy < s.h {
            let x0 = ox * a.stride - a.padding.left
            for ix in x0..<(x0 + a.kernelW) where ix >= 0 && ix < s.w {
              sum += x[(iy * s.w + ix) * s.c + c]
              count += 1
            }
          }
          y[(oy * out.w + ox) * s.c + c] = sum / Float(max(count, 1))
        }
      }
    }
    return y
  }

  /// Max pool over the valid part of each window (padding never wins).
  static func maxPool(
    _ x: [Float], _ s: (h: Int, w: Int, c: Int), out: (h: Int, w: Int), _ a: PoolAttributes
  ) -> [Float] {
    var y = [Float](repeating: 0, count: out.h * out.w * s.c)
    for oy in 0..<out.h {
      for ox in 0..<out.w {
        for c in 0..<s.c {
          var largest = -Float.infinity
          for iy in (oy * a.stride - a.padding.top)..<(oy * a.stride - a.padding.top + a.kernelH)
          where iy >= 0 && iy < s.h {
            let x0 = ox * a.stride - a.padding.left
            for ix in x0..<(x0 + a.kernelW) where ix >= 0 && ix < s.w {
              largest = max(largest, x[(iy * s.w + ix) * s.c + c])
            }
          }
          y[(oy * out.w + ox) * s.c + c] = largest.isFinite ? largest : 0
        }
      }
    }
    return y
  }

  /// Linear layer; weights [cOut, cIn].
  static func linear(_ x: [Float], _ layer: FloatLayerWeights?, outFeatures: Int) -> [Float] {
    guard let layer else { return [Float](repeating: 0, count: outFeatures) }
    return (0..<outFeatures).map { o in
      var acc = layer.bias[o]
      for i in x.indices { acc += x[i] * layer.weights[o * x.count + i] }
      return acc
    }
  }
}
