// mcu_add_s8.c: element-wise int8 ADD of two tensors with their own scales and zero points
// (TFLM reference_integer_ops::Add, TinyEngine add.c): the residual connection of MBConv blocks.
// Same-size inputs, no broadcasting.
#include "mcu_kernels.h"

mcu_status mcu_add_s8(const mcu_add_params* params, const int8_t* input1, const int8_t* input2,
                      int32_t size, int8_t* output) {
  if (params == NULL || input1 == NULL || input2 == NULL || output == NULL) {
    return MCU_ARG_ERROR;
  }
  const int64_t scale_up = (int64_t)1 << params->left_shift;
  for (int32_t i = 0; i < size; ++i) {
    // |x + offset| <= 255, so with left_shift <= 22 the shifted values stay below 2^30; the
    // int64 product and saturation only matter for invalid parameters.
    const int32_t shifted1 = mcu_sat32(((int32_t)input1[i] + params->input1_offset) * scale_up);
    const int32_t shifted2 = mcu_sat32(((int32_t)input2[i] + params->input2_offset) * scale_up);
    // Every shift is <= 0, so mcu_requantize_mode is TFLite's
    // MultiplyByQuantizedMultiplierSmallerThanOneExp in both rounding modes.
    const int32_t scaled1 = mcu_requantize_mode(shifted1, params->input1_multiplier,
                                                params->input1_shift, params->rounding);
    const int32_t scaled2 = mcu_requantize_mode(shifted2, params->input2_multiplier,
                                                params->input2_shift, params->rounding);
    // Multipliers below one keep |scaled_i| <= |shifted_i| < 2^30: the sum fits in int32.
    const int32_t sum = mcu_sat32((int64_t)scaled1 + scaled2);
    int64_t raw = (int64_t)mcu_requantize_mode(sum, params->output_multiplier, params->output_shift,
                                               params->rounding) +
                  params->output_offset;
    if (raw < params->activation_min) raw = params->activation_min;
    if (raw > params->activation_max) raw = params->activation_max;
    output[i] = (int8_t)raw;
  }
  return MCU_OK;
}

size_t mcu_add_s8_scratch_bytes(int32_t size) {
  (void)size;
  return 0;
}
