// mcu_pointwise_conv2d_s8.c: generic per-channel int8 1x1 convolution (optional stride, no
// padding), the expand/project layers of MBConv blocks. GEMM-like: per output pixel, each output
// channel is one int32 dot product over cIn contiguous bytes of input and filter. Not the
// cIn-unrolled TinyEngine variants (convolve_1x1_s8_ch8...), which are generated.
#include "mcu_kernels.h"

mcu_status mcu_pointwise_conv2d_s8(const mcu_conv_params* params,
                                   const mcu_per_channel_quant* quant, const mcu_dims* input_dims,
                                   const int8_t* input, const mcu_dims* filter_dims,
                                   const int8_t* filter, const int32_t* bias,
                                   const mcu_dims* output_dims, int8_t* output) {
  if (params == NULL || quant == NULL || quant->multiplier == NULL || quant->shift == NULL ||
      input_dims == NULL || input == NULL || filter_dims == NULL || filter == NULL ||
      output_dims == NULL || output == NULL) {
    return MCU_ARG_ERROR;
  }
  const int32_t batches = input_dims->n;
  const int32_t in_h = input_dims->h;
  const int32_t in_w = input_dims->w;
  const int32_t c_in = input_dims->c;
  const int32_t out_h = output_dims->h;
  const int32_t out_w = output_dims->w;
  const int32_t c_out = output_dims->c;
  const int32_t input_offset = params->input_offset;

  for (int32_t n = 0; n < batches; ++n) {
    for (int32_t oy = 0; oy < out_h; ++oy) {
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const int8_t* x =
            input + ((n * in_h + oy * params->stride_h) * in_w + ox * params->stride_w) * c_in;
        int8_t* out = output + ((n * out_h + oy) * out_w + ox) * c_out;
        const int8_t* w = filter;
        for (int32_t oc = 0; oc < c_out; ++oc, w += c_in) {
          // acc is int32: cIn <= 2^16 terms of |w*(x + input_offset)| <= 32 385.
          int32_t acc = 0;
          for (int32_t ic = 0; ic < c_in; ++ic) {
            acc += (int32_t)w[ic] * ((int32_t)x[ic] + input_offset);
          }
          acc = mcu_add_bias(acc, bias, oc);
          out[oc] = mcu_requantize_clamp(acc, quant->multiplier[oc], quant->shift[oc],
                                         params->rounding, params->output_offset,
                                         params->activation_min, params->activation_max);
        }
      }
    }
  }
  return MCU_OK;
}

size_t mcu_pointwise_conv2d_s8_scratch_bytes(const mcu_conv_params* params,
                                             const mcu_dims* input_dims,
                                             const mcu_dims* filter_dims,
                                             const mcu_dims* output_dims) {
  (void)params;
  (void)input_dims;
  (void)filter_dims;
  (void)output_dims;
  return 0;
}
