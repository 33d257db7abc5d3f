// ScratchAndStatusTests.swift
// Every kernel states its scratch size (0 except the in-place depthwise, whose formula is
// checked), and every kernel answers a NULL required pointer with MCU_ARG_ERROR without writing
// its output (STYLE.md B5.6: the run-time checks are the only checks the C does).

import CMicroKernels
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct ScratchAndStatusTests {
  @Test func scratchIsZeroExceptInPlaceDepthwiseWhoseFormulaHolds() {
    var g = SeededGenerator(seed: 0x5C_0001)
    for _ in 0..<200 {
      let (h, w, c, k) = (
        Int32.random(in: 1...40, using: &g), Int32.random(in: 1...40, using: &g),
        Int32.random(in: 1...64, using: &g), Int32.random(in: 1...7, using: &g)
      )
      var p = mcu_conv_params()
      p.pad_top = Int32.random(in: 0...3, using: &g)
      p.pad_left = Int32.random(in: 0...3, using: &g)
      p.pad_bottom = Int32.random(in: 0...3, using: &g)
      p.pad_right = Int32.random(in: 0...3, using: &g)
      var input = mcu_dims(n: 1, h: h, w: w, c: c)
      var filter = mcu_dims(n: c, h: k, w: k, c: c)
      var output = mcu_dims(n: 1, h: h, w: w, c: c)
      var pool = mcu_pool_params()
      #expect(mcu_conv2d_s8_scratch_bytes(&p, &input, &filter, &output) == 0)
      #expect(mcu_depthwise_conv2d_s8_scratch_bytes(&p, &input, &filter, &output) == 0)
      #expect(mcu_pointwise_conv2d_s8_scratch_bytes(&p, &input, &filter, &output) == 0)
      #expect(mcu_conv2d_s4_scratch_bytes(&p, &input, &filter, &output) == 0)
      #expect(mcu_depthwise_conv2d_s4_scratch_bytes(&p, &input, &filter, &output) == 0)
      #expect(mcu_pointwise_conv2d_s4_scratch_bytes(&p, &input, &filter, &output) == 0)
      #expect(mcu_fully_connected_s8_scratch_bytes(&input, &filter) == 0)
      #expect(mcu_fully_connected_per_channel_s8_scratch_bytes(&input, &filter) == 0)
      #expect(mcu_add_s8_scratch_bytes(h * w * c) == 0)
      #expect(mcu_avgpool_s8_scratch_bytes(&pool, &input, &output) == 0)
      #expect(mcu_global_avgpool_s8_scratch_bytes(&input) == 0)
      #expect(mcu_fully_connected_per_channel_s4_scratch_bytes(&input, &filter) == 0)
      #expect(mcu_add_s4_scratch_bytes(h * w * c) == 0)
      #expect(mcu_avgpool_s4_scratch_bytes(&pool, &input, &output) == 0)
      #expect(mcu_global_avgpool_s4_scratch_bytes(&input) == 0)
      let expected = Int((h + p.pad_top + p.pad_bottom) * (w + p.pad_left + p.pad_right))
      #expect(
        mcu_depthwise_conv2d_s8_inplace_scratch_bytes(&p, &input, &filter, &output) == expected)
    }
  }

  @Test func outputSizeHelperIsTheConvFormula() {
    #expect(mcu_conv_output_size(9, 3, 2, 1, 1) == 5)
    #expect(mcu_conv_output_size(7, 7, 1, 3, 3) == 7)
    #expect(mcu_conv_output_size(8, 3, 2, 0, 1) == 4)
    #expect(mcu_conv_output_size(1, 1, 2, 0, 0) == 1)
  }

  @Test func nullRequiredPointersReturnArgErrorAndWriteNothing() {
    var p = mcu_conv_params(
      input_offset: 0, output_offset: 0, stride_h: 1, stride_w: 1, pad_top: 0, pad_left: 0,
      pad_bottom: 0, pad_right: 0, activation_min: -128, activation_max: 127,
      rounding: MCU_DOUBLE_ROUNDING)
    var dims = mcu_dims(n: 1, h: 1, w: 1, c: 1)
    let one: [Int8] = [1]
    let packed: [UInt8] = [1]
    let m: [Int32] = [1 << 30]
    let s: [Int32] = [1]
    var out: [Int8] = [42]
    var packedOut: [UInt8] = [42]
    m.withUnsafeBufferPointer { mp in
      s.withUnsafeBufferPointer { sp in
        var quant = mcu_per_channel_quant(multiplier: mp.baseAddress, shift: sp.baseAddress)
        var noShift = mcu_per_channel_quant(multiplier: mp.baseAddress, shift: nil)
        var statuses: [(String, mcu_status)] = [
          ("conv", mcu_conv2d_s8(&p, &quant, &dims, nil, &dims, one, nil, &dims, &out)),
          ("conv quant", mcu_conv2d_s8(&p, &noShift, &dims, one, &dims, one, nil, &dims, &out)),
          (
            "depthwise",
            mcu_depthwise_conv2d_s8(&p, &quant, &dims, one, &dims, nil, nil, &dims, &out)
          ),
          (
            "pointwise",
            mcu_pointwise_conv2d_s8(&p, &quant, &dims, one, &dims, one, nil, &dims, nil)
          ),
          (
            "in-place",
            mcu_depthwise_conv2d_s8_inplace(&p, &quant, &dims, &out, &dims, one, nil, &dims, nil)
          ),
          ("conv s4", mcu_conv2d_s4(&p, &quant, &dims, nil, &dims, packed, nil, &dims, &packedOut)),
          (
            "dw s4",
            mcu_depthwise_conv2d_s4(
              nil, &quant, &dims, packed, &dims, packed, nil, &dims, &packedOut)
          ),
          (
            "pw s4",
            mcu_pointwise_conv2d_s4(&p, nil, &dims, packed, &dims, packed, nil, &dims, &packedOut)
          ),
          ("global pool", mcu_global_avgpool_s8(&dims, nil, -128, 127, &out)),
        ]
        var fc = mcu_fc_params()
        statuses.append(
          ("fc", mcu_fully_connected_s8(&fc, 1 << 30, 1, &dims, one, &dims, nil, nil, &out)))
        statuses.append(
          (
            "fc per channel",
            mcu_fully_connected_per_channel_s8(&fc, &quant, nil, one, &dims, one, nil, &out)
          ))
        var add = mcu_add_params()
        statuses.append(("add", mcu_add_s8(&add, one, nil, 1, &out)))
        var pool = mcu_pool_params()
        statuses.append(("pool", mcu_avgpool_s8(&pool, &dims, one, nil, &out)))
        statuses.append(
          (
            "fc s4",
            mcu_fully_connected_per_channel_s4(
              &fc, &noShift, &dims, packed, &dims, packed, nil, &packedOut)
          ))
        statuses.append(("add s4", mcu_add_s4(&add, nil, packed, 1, &packedOut)))
        statuses.append(("pool s4", mcu_avgpool_s4(&pool, &dims, packed, &dims, nil)))
        statuses.append(("global pool s4", mcu_global_avgpool_s4(nil, packed, -8, 7, &packedOut)))
        for (name, status) in statuses {
          #expect(status == MCU_ARG_ERROR, "\(name) returned \(status)")
        }
      }
    }
    #expect(out == [42] && packedOut == [42], "nothing was written")
  }
}
