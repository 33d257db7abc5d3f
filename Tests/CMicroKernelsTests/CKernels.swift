// CKernels.swift
// Swift front ends of the CMicroKernels C functions for the tests: they translate Quantization's
// parameter structs into the C ones, call the kernel in-process, and check that it returned
// MCU_OK and wrote nothing past its output (guard bytes after every output and scratch buffer).
// Not a public API: kernels reach generated programs through CodeGen, not through this file.

import CMicroKernels
import Quantization
import TensorModule
import Testing
import _TestSupport

/// The C signature shared by `mcu_conv2d_s8`, `mcu_depthwise_conv2d_s8`, `mcu_pointwise_conv2d_s8`.
typealias CConvS8 = (
  UnsafePointer<mcu_conv_params>?, UnsafePointer<mcu_per_channel_quant>?, UnsafePointer<mcu_dims>?,
  UnsafePointer<Int8>?, UnsafePointer<mcu_dims>?, UnsafePointer<Int8>?, UnsafePointer<Int32>?,
  UnsafePointer<mcu_dims>?, UnsafeMutablePointer<Int8>?
) -> mcu_status

/// The C signature shared by the packed int4 conv, depthwise and pointwise kernels.
typealias CConvS4 = (
  UnsafePointer<mcu_conv_params>?, UnsafePointer<mcu_per_channel_quant>?, UnsafePointer<mcu_dims>?,
  UnsafePointer<UInt8>?, UnsafePointer<mcu_dims>?, UnsafePointer<UInt8>?, UnsafePointer<Int32>?,
  UnsafePointer<mcu_dims>?, UnsafeMutablePointer<UInt8>?
) -> mcu_status

enum CKernels {
  /// Bytes after every output or scratch buffer that a kernel must leave untouched.
  static let guardCount = 16
  /// The value the guard bytes hold (and outputs start with).
  static let sentinel: UInt8 = 0xA5

  // MARK: - Parameter translation

  static func dims(_ shape: Shape) -> mcu_dims {
    switch shape.rank {
    case 4:
      return mcu_dims(
        n: Int32(shape[0]), h: Int32(shape[1]), w: Int32(shape[2]), c: Int32(shape[3]))
    case 2:
      return mcu_dims(n: Int32(shape[0]), h: 1, w: 1, c: Int32(shape[1]))
    default:
      preconditionFailure("no mcu_dims for \(shape)")
    }
  }

  static func rounding(_ mode: RoundingMode) -> mcu_rounding {
    mode == .doubleRounding ? MCU_DOUBLE_ROUNDING : MCU_SINGLE_ROUNDING
  }

  static func convParams(_ p: ConvParams) -> mcu_conv_params {
    mcu_conv_params(
      input_offset: p.inputOffset, output_offset: p.outputOffset, stride_h: Int32(p.strideH),
      stride_w: Int32(p.strideW), pad_top: Int32(p.padTop), pad_left: Int32(p.padLeft),
      pad_bottom: Int32(p.padBottom), pad_right: Int32(p.padRight),
      activation_min: p.activationMin, activation_max: p.activationMax,
      rounding: rounding(p.roundingMode))
  }

  static func poolParams(_ p: PoolParams) -> mcu_pool_params {
    mcu_pool_params(
      filter_h: Int32(p.filterH), filter_w: Int32(p.filterW), stride_h: Int32(p.strideH),
      stride_w: Int32(p.strideW), pad_top: Int32(p.padTop), pad_left: Int32(p.padLeft),
      pad_bottom: Int32(p.padBottom), pad_right: Int32(p.padRight),
      activation_min: p.activationMin, activation_max: p.activationMax)
  }

  static func fcParams(_ p: FullyConnectedParams) -> mcu_fc_params {
    mcu_fc_params(
      input_offset: p.inputOffset, filter_offset: p.filterOffset, output_offset: p.outputOffset,
      activation_min: p.activationMin, activation_max: p.activationMax,
      rounding: rounding(p.roundingMode))
  }

  static func addParams(_ p: AddParams) -> mcu_add_params {
    mcu_add_params(
      input1_offset: p.input1Offset, input2_offset: p.input2Offset,
      output_offset: p.outputOffset, left_shift: Int32(p.leftShift),
      input1_multiplier: p.input1Multiplier.multiplier,
      input1_shift: Int32(p.input1Multiplier.shift),
      input2_multiplier: p.input2Multiplier.multiplier,
      input2_shift: Int32(p.input2Multiplier.shift),
      output_multiplier: p.outputMultiplier.multiplier,
      output_shift: Int32(p.outputMultiplier.shift),
      activation_min: p.activationMin, activation_max: p.activationMax,
      rounding: rounding(p.roundingMode))
  }

  // MARK: - Buffers

  /// Calls `body` with `multipliers` as a C per-channel quantization struct.
  static func withQuant<R>(
    _ multipliers: [FixedPointMultiplier], _ body: (UnsafePointer<mcu_per_channel_quant>) -> R
  ) -> R {
    let significands = multipliers.map(\.multiplier)
    let shifts = multipliers.map { Int32($0.shift) }
    return significands.withUnsafeBufferPointer { m in
      shifts.withUnsafeBufferPointer { s in
        var quant = mcu_per_channel_quant(multiplier: m.baseAddress, shift: s.baseAddress)
        return withUnsafePointer(to: &quant) { body($0) }
      }
    }
  }

  /// Calls `body` with the bias pointer, or NULL for no bias.
  static func withBias<R>(_ bias: [Int32]?, _ body: (UnsafePointer<Int32>?) -> R) -> R {
    guard let bias else { return body(nil) }
    return bias.withUnsafeBufferPointer { body($0.baseAddress) }
  }

  /// Runs a kernel on an output buffer of `count` elements followed by guard bytes; records an
  /// issue if the kernel did not return MCU_OK or wrote past the output. Returns the output.
  static func guardedOutput<T: FixedWidthInteger>(
    _ type: T.Type, count: Int, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ kernel: (UnsafeMutablePointer<T>) -> mcu_status
  ) -> [T] {
    var buffer = [T](repeating: T(truncatingIfNeeded: sentinel), count: count + guardCount)
    let status = buffer.withUnsafeMutableBufferPointer { pointer -> mcu_status in
      // count + guardCount > 0, so the buffer always has storage.
      guard let base = pointer.baseAddress else { return MCU_ARG_ERROR }
      return kernel(base)
    }
    #expect(
      status == MCU_OK, "\(Trace.annotate(what)) returned \(status)", sourceLocation: sourceLocation
    )
    let tail = buffer[count...].map { UInt8(truncatingIfNeeded: $0) }
    #expect(
      tail.allSatisfy { $0 == sentinel }, "\(Trace.annotate(what)) wrote past its output",
      sourceLocation: sourceLocation)
    return Array(buffer[..<count])
  }

  // MARK: - Kernels

  /// Runs an int8 conv-family kernel (`mcu_conv2d_s8`, depthwise or pointwise).
  static func convS8(
    _ kernel: CConvS8, _ what: String, input: [Int8], inputShape: Shape, filter: [Int8],
    filterShape: Shape, bias: [Int32]?, params: ConvParams, outputShape: Shape
  ) -> [Int8] {
    var p = convParams(params)
    var inDims = dims(inputShape)
    var filterDims = dims(filterShape)
    var outDims = dims(outputShape)
    return withQuant(params.outputMultipliers) { quant in
      withBias(bias) { b in
        guardedOutput(Int8.self, count: outputShape.count, what) { out in
          kernel(&p, quant, &inDims, input, &filterDims, filter, b, &outDims, out)
        }
      }
    }
  }

  /// Runs a packed int4 conv-family kernel; returns the packed output bytes.
  static func convS4(
    _ kernel: CConvS4, _ what: String, input: PackedInt4, inputShape: Shape, filter: PackedInt4,
    filterShape: Shape, bias: [Int32]?, params: ConvParams, outputShape: Shape
  ) -> [UInt8] {
    var p = convParams(params)
    var inDims = dims(inputShape)
    var filterDims = dims(filterShape)
    var outDims = dims(outputShape)
    return withQuant(params.outputMultipliers) { quant in
      withBias(bias) { b in
        guardedOutput(UInt8.self, count: (outputShape.count + 1) / 2, what) { out in
          kernel(&p, quant, &inDims, input.bytes, &filterDims, filter.bytes, b, &outDims, out)
        }
      }
    }
  }

  /// Runs `mcu_depthwise_conv2d_s8_inplace` on a copy of `input` with exactly the scratch the
  /// kernel states, both followed by guard bytes; returns the first `outputShape.count` bytes of
  /// the tensor memory and the status.
  static func depthwiseInPlace(
    input: [Int8], inputShape: Shape, filter: [Int8], filterShape: Shape, bias: [Int32]?,
    params: ConvParams, outputShape: Shape, sourceLocation: SourceLocation = #_sourceLocation
  ) -> (output: [Int8], status: mcu_status, scratchBytes: Int) {
    var p = convParams(params)
    var inDims = dims(inputShape)
    var filterDims = dims(filterShape)
    var outDims = dims(outputShape)
    let scratchBytes = mcu_depthwise_conv2d_s8_inplace_scratch_bytes(
      &p, &inDims, &filterDims, &outDims)
    let guardBytes = [Int8](repeating: Int8(bitPattern: sentinel), count: guardCount)
    var data = input + guardBytes
    var scratch = [Int8](repeating: 0x11, count: scratchBytes) + guardBytes
    let status = withQuant(params.outputMultipliers) { quant in
      withBias(bias) { b in
        mcu_depthwise_conv2d_s8_inplace(
          &p, quant, &inDims, &data, &filterDims, filter, b, &outDims, &scratch)
      }
    }
    #expect(
      Array(data[input.count...]) == guardBytes,
      "\(Trace.annotate("in-place depthwise")) wrote past the tensor",
      sourceLocation: sourceLocation)
    #expect(
      Array(scratch[scratchBytes...]) == guardBytes,
      "\(Trace.annotate("in-place depthwise")) wrote past its stated scratch (\(scratchBytes) B)",
      sourceLocation: sourceLocation)
    return (Array(data[..<min(outputShape.count, input.count)]), status, Int(scratchBytes))
  }
}
