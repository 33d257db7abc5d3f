// mcu_depthwise_conv2d_s8_inplace.c: TinyEngine's in-place int8 depthwise convolution (MCUNet
// sec. 3.2, Fig. 7; paper_facts sec. 10 "dw kernel algorithm"): the output overwrites the input
// tensor, with one padded input channel plane as scratch. Generic (any kernel, stride,
// padding); the unrolled per-shape versions are generated from KernelSpec templates. Must be
// bit-exact with mcu_depthwise_conv2d_s8 (tested from Swift).
#include "mcu_kernels.h"

// Copies channel c of one NHWC batch image into the padded plane `plane` (row-major, padded_w
// columns), filling the border with pad_value.
static void copy_padded_channel(const int8_t* image, int32_t in_h, int32_t in_w, int32_t channels,
                                int32_t c, int32_t pad_top, int32_t pad_left, int32_t padded_h,
                                int32_t padded_w, int8_t pad_value, int8_t* plane) {
  for (int32_t y = 0; y < padded_h; ++y) {
    const int32_t iy = y - pad_top;
    int8_t* plane_row = plane + y * padded_w;
    for (int32_t x = 0; x < padded_w; ++x) {
      const int32_t ix = x - pad_left;
      const int inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
      plane_row[x] = inside ? image[(iy * in_w + ix) * channels + c] : pad_value;
    }
  }
}

mcu_status mcu_depthwise_conv2d_s8_inplace(const mcu_conv_params* params,
                                           const mcu_per_channel_quant* quant,
                                           const mcu_dims* input_dims, int8_t* data,
                                           const mcu_dims* filter_dims, const int8_t* filter,
                                           const int32_t* bias, const mcu_dims* output_dims,
                                           int8_t* scratch) {
  if (params == NULL || quant == NULL || quant->multiplier == NULL || quant->shift == NULL ||
      input_dims == NULL || data == NULL || filter_dims == NULL || filter == NULL ||
      output_dims == NULL || scratch == NULL) {
    return MCU_ARG_ERROR;
  }
  const int32_t batches = input_dims->n;
  const int32_t in_h = input_dims->h;
  const int32_t in_w = input_dims->w;
  const int32_t channels = input_dims->c;
  const int32_t k_h = filter_dims->h;
  const int32_t k_w = filter_dims->w;
  const int32_t out_h = output_dims->h;
  const int32_t out_w = output_dims->w;
  // The write-back is only safe when every output slot of channel c is a channel-c input slot.
  if (output_dims->c != channels || out_h * out_w > in_h * in_w) return MCU_ARG_ERROR;
  const int32_t padded_h = in_h + params->pad_top + params->pad_bottom;
  const int32_t padded_w = in_w + params->pad_left + params->pad_right;
  const int32_t input_offset = params->input_offset;
  // zp_in = -input_offset lies in [-128, 127]; a padded tap then adds w*(zp_in + input_offset)
  // = 0, exactly what skipping it does in the out-of-place kernel.
  const int8_t pad_value = (int8_t)(-input_offset);

  for (int32_t n = 0; n < batches; ++n) {
    // Batch n's output [oH*oW*C] starts at or before its input, and never reaches batch n + 1's
    // input (oH*oW <= H*W), so batches can be processed in order.
    const int8_t* image = data + n * in_h * in_w * channels;
    int8_t* out_image = data + n * out_h * out_w * channels;
    for (int32_t c = 0; c < channels; ++c) {
      copy_padded_channel(image, in_h, in_w, channels, c, params->pad_top, params->pad_left,
                          padded_h, padded_w, pad_value, scratch);
      const int32_t multiplier = quant->multiplier[c];
      const int32_t shift = quant->shift[c];
      for (int32_t oy = 0; oy < out_h; ++oy) {
        for (int32_t ox = 0; ox < out_w; ++ox) {
          const int8_t* window = scratch + oy * params->stride_h * padded_w + ox * params->stride_w;
          // acc is int32: kH*kW <= 2^16 terms of |w*(x + input_offset)| <= 32 385.
          int32_t acc = 0;
          for (int32_t ky = 0; ky < k_h; ++ky) {
            for (int32_t kx = 0; kx < k_w; ++kx) {
              const int32_t x = window[ky * padded_w + kx];
              const int32_t w = filter[(ky * k_w + kx) * channels + c];
              acc += w * (x + input_offset);
            }
          }
          acc = mcu_add_bias(acc, bias, c);
          // Slot (oy*oW + ox)*C + c held channel c of an input pixel, already in the scratch.
          out_image[(oy * out_w + ox) * channels + c] =
              mcu_requantize_clamp(acc, multiplier, shift, params->rounding, params->output_offset,
                                   params->activation_min, params->activation_max);
        }
      }
    }
  }
  return MCU_OK;
}

size_t mcu_depthwise_conv2d_s8_inplace_scratch_bytes(const mcu_conv_params* params,
                                                     const mcu_dims* input_dims,
                                                     const mcu_dims* filter_dims,
                                                     const mcu_dims* output_dims) {
  (void)filter_dims;
  (void)output_dims;
  const size_t padded_h = (size_t)(input_dims->h + params->pad_top + params->pad_bottom);
  const size_t padded_w = (size_t)(input_dims->w + params->pad_left + params->pad_right);
  return padded_h * padded_w;
}
