// mcu_maxpool_s8.c: int8 max pool (TFLM reference_integer_ops::MaxPool): input and output share
// scale and zero point, so the output is the largest raw value of the valid (unpadded) part of
// each window, clamped. Padded taps are skipped, never read as zero.
#include "mcu_kernels.h"

static int32_t max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t min_i32(int32_t a, int32_t b) { return a < b ? a : b; }

mcu_status mcu_maxpool_s8(const mcu_pool_params* params, const mcu_dims* input_dims,
                          const int8_t* input, const mcu_dims* output_dims, int8_t* output) {
  if (params == NULL || input_dims == NULL || input == NULL || output_dims == NULL ||
      output == NULL) {
    return MCU_ARG_ERROR;
  }
  const int32_t batches = input_dims->n;
  const int32_t in_h = input_dims->h;
  const int32_t in_w = input_dims->w;
  const int32_t channels = input_dims->c;
  const int32_t out_h = output_dims->h;
  const int32_t out_w = output_dims->w;
  for (int32_t n = 0; n < batches; ++n) {
    for (int32_t oy = 0; oy < out_h; ++oy) {
      const mcu_window wy =
          mcu_window_along(oy, params->stride_h, params->pad_top, params->filter_h, in_h);
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const mcu_window wx =
            mcu_window_along(ox, params->stride_w, params->pad_left, params->filter_w, in_w);
        int8_t* out = output + ((n * out_h + oy) * out_w + ox) * channels;
        for (int32_t c = 0; c < channels; ++c) {
          // Padding < window (validated in Swift) leaves at least one valid tap; an empty
          // window (invalid parameters) yields activation_min.
          int32_t largest = INT32_MIN;
          for (int32_t ky = wy.begin; ky < wy.end; ++ky) {
            const int32_t row = (n * in_h + wy.origin + ky) * in_w + wx.origin;
            for (int32_t kx = wx.begin; kx < wx.end; ++kx) {
              largest = max_i32(largest, input[(row + kx) * channels + c]);
            }
          }
          largest = max_i32(largest, params->activation_min);
          out[c] = (int8_t)min_i32(largest, params->activation_max);
        }
      }
    }
  }
  return MCU_OK;
}

size_t mcu_maxpool_s8_scratch_bytes(const mcu_pool_params* params, const mcu_dims* input_dims,
                                    const mcu_dims* output_dims) {
  (void)params;
  (void)input_dims;
  (void)output_dims;
  return 0;
}
