// mcu_kernels.h: the generic int8 and int4 kernels of the MCUNet reproduction suite (issue 4
// sec. 2): conv, depthwise (also in place, TinyEngine's algorithm), pointwise, fully connected,
// add, average and global average pool. Portable C99: no malloc, no globals, no I/O. The same files
// are compiled into the Swift package (CMicroKernels, tested bit-exact against Quantization's
// IntegerReference) and copied into generated projects. Not the specialized kernels: those are
// generated from KernelSpec templates and must be bit-exact with these.
//
// Shape legend (STYLE.md B3): N batch, H/W spatial, C channels (cIn/cOut), kH/kW kernel. All
// activations are NHWC; conv and pointwise filters OHWI [cOut, kH, kW, cIn]; depthwise filters
// 1HWO [1, kH, kW, C]; linear filters [cOut, cIn]; bias int32 [cOut], may be NULL. Tensors are
// flat arrays whose element count fits int32_t.
//
// Error rule (STYLE.md B5.2/B5.6): shapes and parameters are validated in Swift at prepare time
// (Quantization's ConvParams.validate..., PoolParams.validate, ...); a kernel trusts them and only
// checks what depends on run-time data: it returns MCU_ARG_ERROR for a NULL required pointer
// and does nothing else. The one exception is the in-place depthwise kernel, which also refuses
// shapes whose write-back would overrun its input (a memory-safety guard, O(1) per call).
// Every kernel has a `*_scratch_bytes` companion (CMSIS-NN's `*_get_buffer_size`); only the
// in-place depthwise kernel needs scratch.
#ifndef MCU_KERNELS_H
#define MCU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "mcu_fixedpoint.h"
#include "mcu_int4.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Result of every kernel.
typedef enum mcu_status {
  MCU_OK = 0,
  /// A required pointer was NULL (nothing was written).
  MCU_ARG_ERROR = 1
} mcu_status;

/// A 4-D shape (CMSIS-NN's cmsis_nn_dims): [n, h, w, c] for NHWC activations, [cOut, kH, kW, cIn]
/// for OHWI filters, [1, kH, kW, C] for depthwise filters, [N, 1, 1, C] for linear tensors.
typedef struct mcu_dims {
  int32_t n;
  int32_t h;
  int32_t w;
  int32_t c;
} mcu_dims;

/// Parameters of conv, depthwise and pointwise kernels (Quantization's ConvParams).
///
/// Output size per axis: oH = (H + pad_top + pad_bottom - kH) / stride_h + 1 (see
/// `mcu_conv_output_size`). Padded taps are skipped, i.e. they read real 0 (raw zp_in).
typedef struct mcu_conv_params {
  /// -zp_in, added to every input value: [-127, 128] (int8), [-7, 8] (int4).
  int32_t input_offset;
  /// zp_out, added after requantization: [-128, 127] (int8), [-8, 7] (int4).
  int32_t output_offset;
  int32_t stride_h;    ///< >= 1
  int32_t stride_w;    ///< >= 1
  int32_t pad_top;     ///< >= 0 (pointwise: 0)
  int32_t pad_left;    ///< >= 0 (pointwise: 0)
  int32_t pad_bottom;  ///< >= 0 (pointwise: 0)
  int32_t pad_right;   ///< >= 0 (pointwise: 0)
  /// Output clamp, the fused activation included; a sub-range of the output format's range.
  int32_t activation_min;
  int32_t activation_max;
  mcu_rounding rounding;
} mcu_conv_params;

/// Per-output-channel requantization (M[c] = s_in*s_w[c]/s_out ~ multiplier[c]*2^(shift[c]-31)).
typedef struct mcu_per_channel_quant {
  const int32_t* multiplier;  ///< [cOut], 0 or in [2^30, 2^31)
  const int32_t* shift;       ///< [cOut], in [-31, 30]
} mcu_per_channel_quant;

/// Parameters of the linear kernels (Quantization's FullyConnectedParams).
typedef struct mcu_fc_params {
  int32_t input_offset;   ///< -zp_in
  int32_t filter_offset;  ///< -zp_w; per-tensor kernel only (must be 0 for per-channel)
  int32_t output_offset;  ///< zp_out
  int32_t activation_min;
  int32_t activation_max;
  mcu_rounding rounding;
} mcu_fc_params;

/// Parameters of the element-wise ADD (Quantization's AddParams; TFLite's CalculateOpDataAdd).
/// Every shift is <= 0 (all three multipliers are below one).
typedef struct mcu_add_params {
  int32_t input1_offset;  ///< -zp_1
  int32_t input2_offset;  ///< -zp_2
  int32_t output_offset;  ///< zp_out
  int32_t left_shift;     ///< 20 for int8 (TFLite), in [0, 22]
  int32_t input1_multiplier;
  int32_t input1_shift;
  int32_t input2_multiplier;
  int32_t input2_shift;
  int32_t output_multiplier;
  int32_t output_shift;
  int32_t activation_min;
  int32_t activation_max;
  mcu_rounding rounding;
} mcu_add_params;

/// Parameters of the average and max pool (Quantization's PoolParams): padding < window on
/// every side.
typedef struct mcu_pool_params {
  int32_t filter_h;
  int32_t filter_w;
  int32_t stride_h;
  int32_t stride_w;
  int32_t pad_top;
  int32_t pad_left;
  int32_t pad_bottom;
  int32_t pad_right;
  int32_t activation_min;
  int32_t activation_max;
} mcu_pool_params;

/// Output size along one axis: (in + pad_before + pad_after - k) / stride + 1.
static inline int32_t mcu_conv_output_size(int32_t in, int32_t k, int32_t stride,
                                           int32_t pad_before, int32_t pad_after) {
  return (in + pad_before + pad_after - k) / stride + 1;
}

/// The window of output position `out` along one axis: it starts at input index
/// `origin = out * stride - pad_before` (negative in the padding), and its taps
/// `begin <= t < end` are the ones inside the input `0 ..< in`. Padded taps are skipped, never
/// read. Shared by the generic convolution and pooling kernels.
typedef struct mcu_window {
  int32_t origin;
  int32_t begin;
  int32_t end;
} mcu_window;

static inline mcu_window mcu_window_along(int32_t out, int32_t stride, int32_t pad_before,
                                          int32_t k, int32_t in) {
  mcu_window w;
  w.origin = out * stride - pad_before;
  w.begin = w.origin < 0 ? -w.origin : 0;
  w.end = in - w.origin < k ? in - w.origin : k;
  return w;
}

// MARK: - int8 convolution family

/// Per-channel int8 convolution, any kernel size, stride and asymmetric padding (TFLM
/// ConvPerChannel; Quantization's IntegerReference.conv2DPerChannel).
///
/// input is [N, H, W, cIn] int8; filter is [cOut, kH, kW, cIn] (OHWI) int8; bias [cOut] int32
/// or NULL; output is [N, oH, oW, cOut] int8. acc = sum w*(x + input_offset) over in-bounds
/// taps, + bias, requantized with (multiplier[oc], shift[oc]), + output_offset, clamped.
/// Accumulator bound: |w*(x + input_offset)| <= 127*255, kH*kW*cIn <= 2^16 (validated in Swift)
/// keeps |acc| < 2^31.
mcu_status mcu_conv2d_s8(const mcu_conv_params* params, const mcu_per_channel_quant* quant,
                         const mcu_dims* input_dims, const int8_t* input,
                         const mcu_dims* filter_dims, const int8_t* filter, const int32_t* bias,
                         const mcu_dims* output_dims, int8_t* output);
/// Scratch of `mcu_conv2d_s8`: 0 bytes (direct loops, no im2col).
size_t mcu_conv2d_s8_scratch_bytes(const mcu_conv_params* params, const mcu_dims* input_dims,
                                   const mcu_dims* filter_dims, const mcu_dims* output_dims);

/// Per-channel int8 depthwise convolution (TFLM DepthwiseConvPerChannel), any kernel, stride and
/// padding; depth multiplier dm = cOut / cIn (MCUNet uses 1): output channel oc reads input
/// channel oc / dm.
///
/// input is [N, H, W, cIn] int8; filter is [1, kH, kW, cOut] (1HWO) int8; bias [cOut] or NULL;
/// output is [N, oH, oW, cOut] int8. Accumulator bound: kH*kW terms of at most 127*255.
mcu_status mcu_depthwise_conv2d_s8(const mcu_conv_params* params,
                                   const mcu_per_channel_quant* quant, const mcu_dims* input_dims,
                                   const int8_t* input, const mcu_dims* filter_dims,
                                   const int8_t* filter, const int32_t* bias,
                                   const mcu_dims* output_dims, int8_t* output);
/// Scratch of `mcu_depthwise_conv2d_s8`: 0 bytes.
size_t mcu_depthwise_conv2d_s8_scratch_bytes(const mcu_conv_params* params,
                                             const mcu_dims* input_dims,
                                             const mcu_dims* filter_dims,
                                             const mcu_dims* output_dims);

/// In-place int8 depthwise convolution (TinyEngine's algorithm, MCUNet sec. 3.2 / Fig. 7): the
/// output overwrites the input in `data`. Bit-exact with `mcu_depthwise_conv2d_s8`.
///
/// data holds the input [N, H, W, C] int8 on entry and the output [N, oH, oW, C] int8 (its
/// first N*oH*oW*C bytes) on return; filter is [1, kH, kW, C] (1HWO), depth multiplier 1;
/// bias [C] or NULL. Per batch and channel c: copy channel c's padded input plane into
/// `scratch` (pad value = zp_in = -input_offset, whose offset term is exactly 0, the same as
/// a skipped tap), compute the channel's outputs from the scratch, and write them to the
/// output's NHWC slots of channel c. Those slots only ever hold channel c of an input pixel
/// that is already copied, because oH*oW <= H*W: any stride works, the output is never larger.
/// Requires cOut == cIn and oH*oW <= H*W (returns MCU_ARG_ERROR otherwise, as the write-back
/// would be unsafe). scratch: `mcu_depthwise_conv2d_s8_inplace_scratch_bytes` bytes.
mcu_status mcu_depthwise_conv2d_s8_inplace(const mcu_conv_params* params,
                                           const mcu_per_channel_quant* quant,
                                           const mcu_dims* input_dims, int8_t* data,
                                           const mcu_dims* filter_dims, const int8_t* filter,
                                           const int32_t* bias, const mcu_dims* output_dims,
                                           int8_t* scratch);
/// Scratch of the in-place depthwise kernel: one padded int8 channel plane,
/// (H + pad_top + pad_bottom)*(W + pad_left + pad_right) bytes (TinyEngine keeps it as int16,
/// twice this).
size_t mcu_depthwise_conv2d_s8_inplace_scratch_bytes(const mcu_conv_params* params,
                                                     const mcu_dims* input_dims,
                                                     const mcu_dims* filter_dims,
                                                     const mcu_dims* output_dims);

/// Per-channel int8 pointwise (1x1) convolution, optional stride, no padding (TinyEngine's
/// convolve_1x1_s8 family; IntegerReference.pointwiseConv2DPerChannel). GEMM-like: per output
/// pixel, each output channel is one dot product over cIn contiguous int8 values.
///
/// input is [N, H, W, cIn] int8; filter is [cOut, 1, 1, cIn] int8; bias [cOut] or NULL; output
/// is [N, (H - 1)/stride_h + 1, (W - 1)/stride_w + 1, cOut] int8. Accumulator bound: cIn <= 2^16
/// terms of at most 127*255.
mcu_status mcu_pointwise_conv2d_s8(const mcu_conv_params* params,
                                   const mcu_per_channel_quant* quant, const mcu_dims* input_dims,
                                   const int8_t* input, const mcu_dims* filter_dims,
                                   const int8_t* filter, const int32_t* bias,
                                   const mcu_dims* output_dims, int8_t* output);
/// Scratch of `mcu_pointwise_conv2d_s8`: 0 bytes.
size_t mcu_pointwise_conv2d_s8_scratch_bytes(const mcu_conv_params* params,
                                             const mcu_dims* input_dims,
                                             const mcu_dims* filter_dims,
                                             const mcu_dims* output_dims);

// MARK: - int8 linear, add, pools

/// Per-tensor int8 linear layer (TFLM FullyConnected): acc = sum_i (w[o,i] + filter_offset)*
/// (x[i] + input_offset) + bias[o], requantized with one (multiplier, shift).
///
/// input is [N, cIn] int8 (input_dims n = N, c = cIn, h = w = 1); filter is [cOut, cIn] int8
/// (filter_dims n = cOut, c = cIn); bias [cOut] or NULL; output is [N, cOut] int8.
/// Accumulator bound: cIn <= 33 000 terms of at most 255*255.
mcu_status mcu_fully_connected_s8(const mcu_fc_params* params, int32_t multiplier, int32_t shift,
                                  const mcu_dims* input_dims, const int8_t* input,
                                  const mcu_dims* filter_dims, const int8_t* filter,
                                  const int32_t* bias, int8_t* output);
/// Scratch of `mcu_fully_connected_s8`: 0 bytes.
size_t mcu_fully_connected_s8_scratch_bytes(const mcu_dims* input_dims,
                                            const mcu_dims* filter_dims);

/// Per-channel int8 linear layer (TFLM FullyConnectedPerChannel): acc = sum_i w[o,i]*(x[i] +
/// input_offset) + bias[o], requantized with (multiplier[o], shift[o]); filter_offset is
/// ignored (per-channel weights are symmetric). Shapes as `mcu_fully_connected_s8`.
/// Accumulator bound: cIn <= 2^16 terms of at most 127*255.
mcu_status mcu_fully_connected_per_channel_s8(const mcu_fc_params* params,
                                              const mcu_per_channel_quant* quant,
                                              const mcu_dims* input_dims, const int8_t* input,
                                              const mcu_dims* filter_dims, const int8_t* filter,
                                              const int32_t* bias, int8_t* output);
/// Scratch of `mcu_fully_connected_per_channel_s8`: 0 bytes.
size_t mcu_fully_connected_per_channel_s8_scratch_bytes(const mcu_dims* input_dims,
                                                        const mcu_dims* filter_dims);

/// Element-wise int8 ADD with per-input requantization (TFLM AddFunc, TinyEngine add.c):
/// v_i = (x_i + offset_i)*2^left_shift, s_i = requant(v_i, m_i), out = clamp(requant(s_1 + s_2,
/// m_out) + output_offset), each requant a MultiplyByQuantizedMultiplierSmallerThanOneExp in
/// `rounding` mode.
///
/// input1, input2 and output hold `size` int8 values each (any shape, no broadcasting); output
/// may alias either input. Bound: |x + offset| <= 255, 255*2^22 < 2^30, each scaled value is
/// below its input, so s_1 + s_2 < 2^31.
mcu_status mcu_add_s8(const mcu_add_params* params, const int8_t* input1, const int8_t* input2,
                      int32_t size, int8_t* output);
/// Scratch of `mcu_add_s8`: 0 bytes.
size_t mcu_add_s8_scratch_bytes(int32_t size);

/// Int8 average pool over the valid (unpadded) part of each window; input and output share
/// scale and zero point (TFLM AveragePool; IntegerReference.averagePool).
///
/// input is [N, H, W, C] int8; output is [N, oH, oW, C] int8. avg = round(sum / count) with
/// ties away from zero, clamped. Bound: |sum| <= 128*kH*kW, far below 2^31.
mcu_status mcu_avgpool_s8(const mcu_pool_params* params, const mcu_dims* input_dims,
                          const int8_t* input, const mcu_dims* output_dims, int8_t* output);
/// Scratch of `mcu_avgpool_s8`: 0 bytes.
size_t mcu_avgpool_s8_scratch_bytes(const mcu_pool_params* params, const mcu_dims* input_dims,
                                    const mcu_dims* output_dims);

/// Int8 max pool over the valid (unpadded) part of each window; input and output share scale
/// and zero point (TFLM MaxPool; IntegerReference.maxPool). Padded taps are skipped.
///
/// input is [N, H, W, C] int8; output is [N, oH, oW, C] int8, the largest valid tap clamped to
/// [activation_min, activation_max]. No accumulator.
mcu_status mcu_maxpool_s8(const mcu_pool_params* params, const mcu_dims* input_dims,
                          const int8_t* input, const mcu_dims* output_dims, int8_t* output);
/// Scratch of `mcu_maxpool_s8`: 0 bytes.
size_t mcu_maxpool_s8_scratch_bytes(const mcu_pool_params* params, const mcu_dims* input_dims,
                                    const mcu_dims* output_dims);

/// Int8 global average pool: `mcu_avgpool_s8` with an HxW window, stride 1, no padding.
///
/// input is [N, H, W, C] int8; output is [N, 1, 1, C] int8. Bound: H*W < 2^24.
mcu_status mcu_global_avgpool_s8(const mcu_dims* input_dims, const int8_t* input,
                                 int32_t activation_min, int32_t activation_max, int8_t* output);
/// Scratch of `mcu_global_avgpool_s8`: 0 bytes.
size_t mcu_global_avgpool_s8_scratch_bytes(const mcu_dims* input_dims);

// MARK: - int4 (packed two per byte, mcu_int4.h; weights in [-7, 7], activations in [-8, 7])

/// Per-channel int4 convolution: `mcu_conv2d_s8`'s arithmetic on packed int4 tensors
/// (IntegerReference.conv2DPerChannelInt4). input [N, H, W, cIn], filter [cOut, kH, kW, cIn]
/// (OHWI) and output [N, oH, oW, cOut] are packed int4 in that flat order; bias int32 or NULL;
/// the clamp lies in [-8, 7]. Accumulator bound: |w*(x + offset)| <= 7*15.
mcu_status mcu_conv2d_s4(const mcu_conv_params* params, const mcu_per_channel_quant* quant,
                         const mcu_dims* input_dims, const uint8_t* input,
                         const mcu_dims* filter_dims, const uint8_t* filter, const int32_t* bias,
                         const mcu_dims* output_dims, uint8_t* output);
/// Scratch of `mcu_conv2d_s4`: 0 bytes (nibbles are unpacked on the fly).
size_t mcu_conv2d_s4_scratch_bytes(const mcu_conv_params* params, const mcu_dims* input_dims,
                                   const mcu_dims* filter_dims, const mcu_dims* output_dims);

/// Per-channel int4 depthwise convolution (filter [1, kH, kW, cOut] 1HWO packed int4, depth
/// multiplier cOut / cIn); otherwise as `mcu_conv2d_s4`.
mcu_status mcu_depthwise_conv2d_s4(const mcu_conv_params* params,
                                   const mcu_per_channel_quant* quant, const mcu_dims* input_dims,
                                   const uint8_t* input, const mcu_dims* filter_dims,
                                   const uint8_t* filter, const int32_t* bias,
                                   const mcu_dims* output_dims, uint8_t* output);
/// Scratch of `mcu_depthwise_conv2d_s4`: 0 bytes.
size_t mcu_depthwise_conv2d_s4_scratch_bytes(const mcu_conv_params* params,
                                             const mcu_dims* input_dims,
                                             const mcu_dims* filter_dims,
                                             const mcu_dims* output_dims);

/// Per-channel int4 pointwise convolution (filter [cOut, 1, 1, cIn] packed int4, optional
/// stride, no padding); otherwise as `mcu_conv2d_s4`.
mcu_status mcu_pointwise_conv2d_s4(const mcu_conv_params* params,
                                   const mcu_per_channel_quant* quant, const mcu_dims* input_dims,
                                   const uint8_t* input, const mcu_dims* filter_dims,
                                   const uint8_t* filter, const int32_t* bias,
                                   const mcu_dims* output_dims, uint8_t* output);
/// Scratch of `mcu_pointwise_conv2d_s4`: 0 bytes.
size_t mcu_pointwise_conv2d_s4_scratch_bytes(const mcu_conv_params* params,
                                             const mcu_dims* input_dims,
                                             const mcu_dims* filter_dims,
                                             const mcu_dims* output_dims);

/// Per-channel int4 linear layer: `mcu_fully_connected_per_channel_s8`'s arithmetic on packed
/// int4 tensors (IntegerReference.fullyConnectedPerChannelInt4). input [N, cIn], filter
/// [cOut, cIn] and output [N, cOut] are packed int4 in that flat order (dims as the s8 kernel);
/// bias int32 or NULL; filter_offset is ignored; the clamp lies in [-8, 7]. Accumulator bound:
/// cIn <= 2^16 terms of at most 7*15.
mcu_status mcu_fully_connected_per_channel_s4(const mcu_fc_params* params,
                                              const mcu_per_channel_quant* quant,
                                              const mcu_dims* input_dims, const uint8_t* input,
                                              const mcu_dims* filter_dims, const uint8_t* filter,
                                              const int32_t* bias, uint8_t* output);
/// Scratch of `mcu_fully_connected_per_channel_s4`: 0 bytes.
size_t mcu_fully_connected_per_channel_s4_scratch_bytes(const mcu_dims* input_dims,
                                                        const mcu_dims* filter_dims);

/// Element-wise int4 ADD: `mcu_add_s8`'s arithmetic (left shift 20) on packed int4 tensors
/// (IntegerReference.addInt4). input1, input2 and output hold `size` packed int4 values each;
/// offsets are -zp with zp in [-8, 7], the clamp lies in [-8, 7]. Each output byte is computed
/// from the input bytes at its index before it is written, so output may alias either input.
mcu_status mcu_add_s4(const mcu_add_params* params, const uint8_t* input1, const uint8_t* input2,
                      int32_t size, uint8_t* output);
/// Scratch of `mcu_add_s4`: 0 bytes.
size_t mcu_add_s4_scratch_bytes(int32_t size);

/// Int4 average pool: `mcu_avgpool_s8`'s arithmetic on packed int4 tensors
/// (IntegerReference.averagePoolInt4). input [N, H, W, C], output [N, oH, oW, C] packed int4;
/// the clamp lies in [-8, 7]. Bound: |sum| <= 8*kH*kW.
mcu_status mcu_avgpool_s4(const mcu_pool_params* params, const mcu_dims* input_dims,
                          const uint8_t* input, const mcu_dims* output_dims, uint8_t* output);
/// Scratch of `mcu_avgpool_s4`: 0 bytes.
size_t mcu_avgpool_s4_scratch_bytes(const mcu_pool_params* params, const mcu_dims* input_dims,
                                    const mcu_dims* output_dims);

/// Int4 max pool: `mcu_maxpool_s8`'s arithmetic on packed int4 tensors
/// (IntegerReference.maxPoolInt4). input [N, H, W, C], output [N, oH, oW, C] packed int4; the
/// clamp lies in [-8, 7].
mcu_status mcu_maxpool_s4(const mcu_pool_params* params, const mcu_dims* input_dims,
                          const uint8_t* input, const mcu_dims* output_dims, uint8_t* output);
/// Scratch of `mcu_maxpool_s4`: 0 bytes.
size_t mcu_maxpool_s4_scratch_bytes(const mcu_pool_params* params, const mcu_dims* input_dims,
                                    const mcu_dims* output_dims);

/// Int4 global average pool: `mcu_avgpool_s4` with an HxW window, stride 1, no padding
/// (IntegerReference.globalAveragePoolInt4). input [N, H, W, C], output [N, 1, 1, C] packed
/// int4. Bound: H*W < 2^24.
mcu_status mcu_global_avgpool_s4(const mcu_dims* input_dims, const uint8_t* input,
                                 int32_t activation_min, int32_t activation_max,
                                 uint8_t* output);
/// Scratch of `mcu_global_avgpool_s4`: 0 bytes.
size_t mcu_global_avgpool_s4_scratch_bytes(const mcu_dims* input_dims);

#ifdef __cplusplus
}
#endif

#endif  // MCU_KERNELS_H
