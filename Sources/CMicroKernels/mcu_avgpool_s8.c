// mcu_avgpool_s8.c: int8 average pool and global average pool (TFLM reference_integer_ops::
// AveragePool): input and output share scale and zero point, so there is no requantization, only
// a rounded division by the number of valid (unpadded) taps. Not TFLite's MEAN op.
#include "mcu_kernels.h"

static int32_t max_i32(int32_t a, int32_t b) { return a > b ? a : b; }

// round(sum / count), ties away from zero (TFLM), clamped; count > 0.
static int8_t rounded_average(int32_t sum, int32_t count, int32_t act_min, int32_t act_max) {
  int32_t average = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
  if (average < act_min) average = act_min;
  if (average > act_max) average = act_max;
  return (int8_t)average;
}

mcu_status mcu_avgpool_s8(const mcu_pool_params* params, const mcu_dims* input_dims,
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
        // Padding < window (validated in Swift) keeps count >= 1; the guard only avoids a
        // division by zero for invalid parameters.
        const int32_t count = max_i32(1, (wy.end - wy.begin) * (wx.end - wx.begin));
        int8_t* out = output + ((n * out_h + oy) * out_w + ox) * channels;
        for (int32_t c = 0; c < channels; ++c) {
          // sum is int32: |x| <= 128 per tap, far fewer than 2^23 taps.
          int32_t sum = 0;
          for (int32_t ky = wy.begin; ky < wy.end; ++ky) {
            const int32_t row = (n * in_h + wy.origin + ky) * in_w + wx.origin;
            for (int32_t kx = wx.begin; kx < wx.end; ++kx) {
              sum += input[(row + kx) * channels + c];
            }
          }
          out[c] = rounded_average(sum, count, params->activation_min, params->activation_max);
        }
      }
    }
  }
  return MCU_OK;
}

size_t mcu_avgpool_s8_scratch_bytes(const mcu_pool_params* params, const mcu_dims* input_dims,
                                    const mcu_dims* output_dims) {
  (void)params;
  (void)input_dims;
  (void)output_dims;
  return 0;
}

mcu_status mcu_global_avgpool_s8(const mcu_dims* input_dims, const int8_t* input,
                                 int32_t activation_min, int32_t activation_max, int8_t* output) {
  if (input_dims == NULL || input == NULL || output == NULL) return MCU_ARG_ERROR;
  const int32_t pixels = input_dims->h * input_dims->w;
  const int32_t channels = input_dims->c;
  for (int32_t n = 0; n < input_dims->n; ++n) {
    const int8_t* image = input + n * pixels * channels;
    for (int32_t c = 0; c < channels; ++c) {
      // sum is int32: |x| <= 128 and H*W < 2^24.
      int32_t sum = 0;
      for (int32_t p = 0; p < pixels; ++p) sum += image[p * channels + c];
      output[n * channels + c] =
          rounded_average(sum, max_i32(1, pixels), activation_min, activation_max);
    }
  }
  return MCU_OK;
}

size_t mcu_global_avgpool_s8_scratch_bytes(const mcu_dims* input_dims) {
  (void)input_dims;
  return 0;
}
