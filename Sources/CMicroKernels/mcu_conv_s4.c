// mcu_conv_s4.c: generic per-channel int4 convolution, depthwise and pointwise kernels (MCUNet
// Table 4): packed int4 activations and weights (mcu_int4.h, Quantization/Int4.swift), int8's
// arithmetic unchanged (int32 accumulate, per-channel requantization, same rounding modes), an
// int4 clamp, and the result packed again. Nibbles are unpacked on the fly, so no scratch. Not
// TinyEngine's unsigned-nibble int16 SIMD path (paper_facts sec. 13).
#include "mcu_kernels.h"

static int valid_conv_args(const mcu_conv_params* params, const mcu_per_channel_quant* quant,
                           const mcu_dims* input_dims, const uint8_t* input,
                           const mcu_dims* filter_dims, const uint8_t* filter,
                           const mcu_dims* output_dims, const uint8_t* output) {
  return params != NULL && quant != NULL && quant->multiplier != NULL && quant->shift != NULL &&
         input_dims != NULL && input != NULL && filter_dims != NULL && filter != NULL &&
         output_dims != NULL && output != NULL;
}

mcu_status mcu_conv2d_s4(const mcu_conv_params* params, const mcu_per_channel_quant* quant,
                         const mcu_dims* input_dims, const uint8_t* input,
                         const mcu_dims* filter_dims, const uint8_t* filter, const int32_t* bias,
                         const mcu_dims* output_dims, uint8_t* output) {
  if (!valid_conv_args(params, quant, input_dims, input, filter_dims, filter, output_dims,
                       output)) {
    return MCU_ARG_ERROR;
  }
  const int32_t batches = input_dims->n;
  const int32_t in_h = input_dims->h;
  const int32_t in_w = input_dims->w;
  const int32_t c_in = input_dims->c;
  const int32_t k_h = filter_dims->h;
  const int32_t k_w = filter_dims->w;
  const int32_t out_h = output_dims->h;
  const int32_t out_w = output_dims->w;
  const int32_t c_out = output_dims->c;
  for (int32_t n = 0; n < batches; ++n) {
    for (int32_t oy = 0; oy < out_h; ++oy) {
      const mcu_window wy = mcu_window_along(oy, params->stride_h, params->pad_top, k_h, in_h);
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const mcu_window wx = mcu_window_along(ox, params->stride_w, params->pad_left, k_w, in_w);
        for (int32_t oc = 0; oc < c_out; ++oc) {
          // acc is int32: |w*(x + input_offset)| <= 7*15 = 105 per term.
          int32_t acc = 0;
          for (int32_t ky = wy.begin; ky < wy.end; ++ky) {
            const int32_t row = (n * in_h + wy.origin + ky) * in_w + wx.origin;
            for (int32_t kx = wx.begin; kx < wx.end; ++kx) {
              const int32_t x_base = (row + kx) * c_in;
              const int32_t w_base = ((oc * k_h + ky) * k_w + kx) * c_in;
              for (int32_t ic = 0; ic < c_in; ++ic) {
                acc += mcu_s4_load(filter, w_base + ic) *
                       (mcu_s4_load(input, x_base + ic) + params->input_offset);
              }
            }
          }
          acc = mcu_add_bias(acc, bias, oc);
          // Outputs are stored in increasing flat order, as mcu_s4_store requires.
          mcu_s4_store(output, ((n * out_h + oy) * out_w + ox) * c_out + oc,
                       mcu_requantize_clamp(acc, quant->multiplier[oc], quant->shift[oc],
                                            params->rounding, params->output_offset,
                                            params->activation_min, params->activation_max));
        }
      }
    }
  }
  return MCU_OK;
}

size_t mcu_conv2d_s4_scratch_bytes(const mcu_conv_params* params, const mcu_dims* input_dims,
                                   const mcu_dims* filter_dims, const mcu_dims* output_dims) {
  (void)params;
  (void)input_dims;
  (void)filter_dims;
  (void)output_dims;
  return 0;
}

mcu_status mcu_depthwise_conv2d_s4(const mcu_conv_params* params,
                                   const mcu_per_channel_quant* quant, const mcu_dims* input_dims,
                                   const uint8_t* input, const mcu_dims* filter_dims,
                                   const uint8_t* filter, const int32_t* bias,
                                   const mcu_dims* output_dims, uint8_t* output) {
  if (!valid_conv_args(params, quant, input_dims, input, filter_dims, filter, output_dims,
                       output)) {
    return MCU_ARG_ERROR;
  }
  const int32_t batches = input_dims->n;
  const int32_t in_h = input_dims->h;
  const int32_t in_w = input_dims->w;
  const int32_t c_in = input_dims->c;
  const int32_t k_h = filter_dims->h;
  const int32_t k_w = filter_dims->w;
  const int32_t out_h = output_dims->h;
  const int32_t out_w = output_dims->w;
  const int32_t c_out = output_dims->c;
  const int32_t depth_multiplier = c_out / c_in;
  for (int32_t n = 0; n < batches; ++n) {
    for (int32_t oy = 0; oy < out_h; ++oy) {
      const mcu_window wy = mcu_window_along(oy, params->stride_h, params->pad_top, k_h, in_h);
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const mcu_window wx = mcu_window_along(ox, params->stride_w, params->pad_left, k_w, in_w);
        for (int32_t oc = 0; oc < c_out; ++oc) {
          const int32_t ic = oc / depth_multiplier;
          // acc is int32: kH*kW terms of at most 7*15 = 105.
          int32_t acc = 0;
          for (int32_t ky = wy.begin; ky < wy.end; ++ky) {
            const int32_t row = (n * in_h + wy.origin + ky) * in_w + wx.origin;
            for (int32_t kx = wx.begin; kx < wx.end; ++kx) {
              acc += mcu_s4_load(filter, (ky * k_w + kx) * c_out + oc) *
                     (mcu_s4_load(input, (row + kx) * c_in + ic) + params->input_offset);
            }
          }
          acc = mcu_add_bias(acc, bias, oc);
          mcu_s4_store(output, ((n * out_h + oy) * out_w + ox) * c_out + oc,
                       mcu_requantize_clamp(acc, quant->multiplier[oc], quant->shift[oc],
                                            params->rounding, params->output_offset,
                                            params->activation_min, params->activation_max));
        }
      }
    }
  }
  return MCU_OK;
}

size_t mcu_depthwise_conv2d_s4_scratch_bytes(const mcu_conv_params* params,
                                             const mcu_dims* input_dims,
                                             const mcu_dims* filter_dims,
                                             const mcu_dims* output_dims) {
  (void)params;
  (void)input_dims;
  (void)filter_dims;
  (void)output_dims;
  return 0;
}

mcu_status mcu_pointwise_conv2d_s4(const mcu_conv_params* params,
                                   const mcu_per_channel_quant* quant, const mcu_dims* input_dims,
                                   const uint8_t* input, const mcu_dims* filter_dims,
                                   const uint8_t* filter, const int32_t* bias,
                                   const mcu_dims* output_dims, uint8_t* output) {
  if (!valid_conv_args(params, quant, input_dims, input, filter_dims, filter, output_dims,
                       output)) {
    return MCU_ARG_ERROR;
  }
  const int32_t batches = input_dims->n;
  const int32_t in_h = input_dims->h;
  const int32_t in_w = input_dims->w;
  const int32_t c_in = input_dims->c;
  const int32_t out_h = output_dims->h;
  const int32_t out_w = output_dims->w;
  const int32_t c_out = output_dims->c;
  for (int32_t n = 0; n < batches; ++n) {
    for (int32_t oy = 0; oy < out_h; ++oy) {
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const int32_t x_base =
            ((n * in_h + oy * params->stride_h) * in_w + ox * params->stride_w) * c_in;
        for (int32_t oc = 0; oc < c_out; ++oc) {
          // acc is int32: cIn terms of at most 7*15 = 105.
          int32_t acc = 0;
          for (int32_t ic = 0; ic < c_in; ++ic) {
            acc += mcu_s4_load(filter, oc * c_in + ic) *
                   (mcu_s4_load(input, x_base + ic) + params->input_offset);
          }
          acc = mcu_add_bias(acc, bias, oc);
          mcu_s4_store(output, ((n * out_h + oy) * out_w + ox) * c_out + oc,
                       mcu_requantize_clamp(acc, quant->multiplier[oc], quant->shift[oc],
                                            params->rounding, params->output_offset,
                                            params->activation_min, params->activation_max));
        }
      }
    }
  }
  return MCU_OK;
}

size_t mcu_pointwise_conv2d_s4_scratch_bytes(const mcu_conv_params* params,
                                             const mcu_dims* input_dims,
                                             const mcu_dims* filter_dims,
                                             const mcu_dims* output_dims) {
  (void)params;
  (void)input_dims;
  (void)filter_dims;
  (void)output_dims;
  return 0;
}
