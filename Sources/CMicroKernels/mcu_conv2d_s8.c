// mcu_conv2d_s8.c: generic per-channel int8 convolution (any kernel, stride, asymmetric padding).
// Reference loop order n, oy, ox, oc, ky, kx, ic with the padded-tap bounds hoisted out of the
// tap loops; no im2col, no scratch. Not a specialized kernel (those are generated from templates).
#include "mcu_kernels.h"

mcu_status mcu_conv2d_s8(const mcu_conv_params* params, const mcu_per_channel_quant* quant,
                         const mcu_dims* input_dims, const int8_t* input,
                         const mcu_dims* filter_dims, const int8_t* filter, const int32_t* bias,
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
  const int32_t k_h = filter_dims->h;
  const int32_t k_w = filter_dims->w;
  const int32_t out_h = output_dims->h;
  const int32_t out_w = output_dims->w;
  const int32_t c_out = output_dims->c;
  const int32_t input_offset = params->input_offset;

  for (int32_t n = 0; n < batches; ++n) {
    for (int32_t oy = 0; oy < out_h; ++oy) {
      const mcu_window wy = mcu_window_along(oy, params->stride_h, params->pad_top, k_h, in_h);
      // Taps ky in [wy.begin, wy.end) fall inside the input; the others are padding (real 0).
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const mcu_window wx = mcu_window_along(ox, params->stride_w, params->pad_left, k_w, in_w);
        int8_t* out = output + ((n * out_h + oy) * out_w + ox) * c_out;
        for (int32_t oc = 0; oc < c_out; ++oc) {
          const int8_t* w_oc = filter + oc * k_h * k_w * c_in;
          // acc is int32: |w*(x + input_offset)| <= 127*255 = 32 385 and kH*kW*cIn <= 2^16.
          int32_t acc = 0;
          for (int32_t ky = wy.begin; ky < wy.end; ++ky) {
            // Indices, not pointers, until they are in bounds (wx.origin may be negative).
            const int32_t row = (n * in_h + wy.origin + ky) * in_w + wx.origin;
            const int8_t* w_row = w_oc + ky * k_w * c_in;
            for (int32_t kx = wx.begin; kx < wx.end; ++kx) {
              const int8_t* x = input + (row + kx) * c_in;
              const int8_t* w = w_row + kx * c_in;
              for (int32_t ic = 0; ic < c_in; ++ic) {
                acc += (int32_t)w[ic] * ((int32_t)x[ic] + input_offset);
              }
            }
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

size_t mcu_conv2d_s8_scratch_bytes(const mcu_conv_params* params, const mcu_dims* input_dims,
                                   const mcu_dims* filter_dims, const mcu_dims* output_dims) {
  (void)params;
  (void)input_dims;
  (void)filter_dims;
  (void)output_dims;
  return 0;
}
