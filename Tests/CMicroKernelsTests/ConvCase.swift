// ConvCase.swift
// One random conv, depthwise or pointwise layer (seeded), and its bit-exact check of the C kernel
// against Quantization's IntegerReference, for int8 and packed int4.

import CMicroKernels
import Quantization
import TensorModule
import Testing
import _TestSupport

/// Which conv-family kernel a case exercises.
enum ConvFamily: String, CaseIterable {
  case conv
  case depthwise
  case pointwise

  var kernelS8: CConvS8 {
    switch self {
    case .conv: return mcu_conv2d_s8
    case .depthwise: return mcu_depthwise_conv2d_s8
    case .pointwise: return mcu_pointwise_conv2d_s8
    }
  }

  var kernelS4: CConvS4 {
    switch self {
    case .conv: return mcu_conv2d_s4
    case .depthwise: return mcu_depthwise_conv2d_s4
    case .pointwise: return mcu_pointwise_conv2d_s4
    }
  }
}

struct ConvCase: CustomStringConvertible {
  var family: ConvFamily
  var bitWidth: BitWidth
  var inputShape: Shape
  var filterShape: Shape
  var outputShape: Shape
  var input: [Int8]
  var filter: [Int8]
  var bias: [Int32]?
  var params: ConvParams
  var seed: UInt64

  var description: String {
    let p = params
    return "seed \(seed), zpIn \(-p.inputOffset), zpOut \(p.outputOffset), "
      + "clamp \(p.activationMin)...\(p.activationMax), \(p.roundingMode), "
      + "bias \(bias == nil ? "nil" : "yes"), output \(outputShape)"
  }

  /// A random layer: values uniform over the format's ranges, random zero points, multipliers
  /// sized for outputs of a few tens of steps (int8) or a few steps (int4), a random clamp and
  /// rounding mode. `cOut` is the depthwise channel count times the depth multiplier. The
  /// window is `k`×`k` and the stride square unless `kW` / `strideW` say otherwise.
  static func random(
    _ family: ConvFamily, bitWidth: BitWidth = .int8, batch: Int, h: Int, w: Int, cIn: Int,
    cOut: Int, k: Int, kW: Int? = nil, stride: Int, strideW: Int? = nil, padding: Padding,
    seed: UInt64
  ) throws -> ConvCase {
    var g = SeededGenerator(seed: seed)
    let act = bitWidth.activationRange
    let weights = bitWidth.weightRange
    let inputShape: Shape = [batch, h, w, cIn]
    let kW = kW ?? k
    let filterShape: Shape = family == .depthwise ? [1, k, kW, cOut] : [cOut, k, kW, cIn]
    let zpIn = Int32.random(in: act, using: &g)
    let input = g.int8s(inputShape.count, in: Int8(act.lowerBound)...Int8(act.upperBound))
    let filter = g.int8s(
      filterShape.count, in: Int8(weights.lowerBound)...Int8(weights.upperBound))
    let depth = family == .depthwise ? k * kW : k * kW * cIn
    let rms = productRMS(
      weightBound: Double(weights.upperBound), inputLow: Double(act.lowerBound),
      inputHigh: Double(act.upperBound), zp: zpIn)
    let zpOut = Int32.random(in: bitWidth == .int8 ? -30...30 : -2...2, using: &g)
    let clamp = Clamp.random(using: &g).range(zp: zpOut, full: act, using: &g)
    let params = ConvParams(
      strideH: stride, strideW: strideW ?? stride, padTop: padding.top, padLeft: padding.left,
      padBottom: padding.bottom, padRight: padding.right, inputOffset: -zpIn,
      outputOffset: zpOut,
      outputMultipliers: try g.multipliers(
        count: cOut, depth: depth, productRMS: rms, target: bitWidth == .int8 ? 40 : 3),
      activationMin: clamp.lowerBound, activationMax: clamp.upperBound,
      roundingMode: g.rounding())
    let bias = g.bias(count: cOut, depth: depth, productRMS: rms)
    let outputShape: Shape
    switch family {
    case .conv:
      outputShape = try params.validateConv2D(
        inputShape: inputShape, filterShape: filterShape, biasCount: bias?.count,
        bitWidth: bitWidth)
    case .depthwise:
      outputShape = try params.validateDepthwiseConv2D(
        inputShape: inputShape, filterShape: filterShape, biasCount: bias?.count,
        bitWidth: bitWidth)
    case .pointwise:
      outputShape = try params.validatePointwiseConv2D(
        inputShape: inputShape, filterShape: filterShape, biasCount: bias?.count,
        bitWidth: bitWidth)
    }
    return ConvCase(
      family: family, bitWidth: bitWidth, inputShape: inputShape, filterShape: filterShape,
      outputShape: outputShape, input: input, filter: filter, bias: bias, params: params,
      seed: seed)
  }

  /// The Swift reference output (int8 values, int4 unpacked).
  func reference() throws -> [Int8] {
    switch (bitWidth, family) {
    case (.int8, .conv):
      return IntegerReference.conv2DPerChannel(
        input: input, inputShape: inputShape, filter: filter, filterShape: filterShape,
        bias: bias, params: params)
    case (.int8, .depthwise):
      return IntegerReference.depthwiseConv2DPerChannel(
        input: input, inputShape: inputShape, filter: filter, filterShape: filterShape,
        bias: bias, params: params)
    case (.int8, .pointwise):
      return IntegerReference.pointwiseConv2DPerChannel(
        input: input, inputShape: inputShape, filter: filter, filterShape: filterShape,
        bias: bias, params: params)
    case (.int4, _):
      return try referenceInt4().unpacked()
    }
  }

  func referenceInt4() throws -> PackedInt4 {
    let (x, w) = (try PackedInt4(packing: input), try PackedInt4(packing: filter))
    switch family {
    case .conv:
      return IntegerReference.conv2DPerChannelInt4(
        input: x, inputShape: inputShape, filter: w, filterShape: filterShape, bias: bias,
        params: params)
    case .depthwise:
      return IntegerReference.depthwiseConv2DPerChannelInt4(
        input: x, inputShape: inputShape, filter: w, filterShape: filterShape, bias: bias,
        params: params)
    case .pointwise:
      return IntegerReference.pointwiseConv2DPerChannelInt4(
        input: x, inputShape: inputShape, filter: w, filterShape: filterShape, bias: bias,
        params: params)
    }
  }

  /// The C kernel's int8 output.
  func runS8() -> [Int8] {
    CKernels.convS8(
      family.kernelS8, "mcu \(family) s8", input: input, inputShape: inputShape, filter: filter,
      filterShape: filterShape, bias: bias, params: params, outputShape: outputShape)
  }

  /// The C kernel's packed int4 output bytes.
  func runS4() throws -> [UInt8] {
    CKernels.convS4(
      family.kernelS4, "mcu \(family) s4", input: try PackedInt4(packing: input),
      inputShape: inputShape, filter: try PackedInt4(packing: filter), filterShape: filterShape,
      bias: bias, params: params, outputShape: outputShape)
  }

  /// Compares the C kernel with the reference bit for bit (int4: values and packed bytes) and
  /// adds the reference outputs to `tally`.
  func check(tally: inout ClampTally) throws {
    try annotated(description) {
      switch bitWidth {
      case .int8:
        let expected = try reference()
        assertBitExact(runS8(), expected, "\(family) s8 vs IntegerReference")
        tally.add(expected, params.activationMin...params.activationMax)
      case .int4:
        let expected = try referenceInt4()
        let actual = try runS4()
        let values = try PackedInt4(bytes: actual, count: outputShape.count).unpacked()
        assertBitExact(values, expected.unpacked(), "\(family) s4 values vs IntegerReference")
        assertBitExact(actual, expected.bytes, "\(family) s4 packed bytes")
        tally.add(expected.unpacked(), params.activationMin...params.activationMax)
      }
    }
  }
}
