// mcu_add_s4.c: element-wise int4 ADD of two packed tensors with their own scales and zero
// points (MCUNet Table 4): `mcu_add_s8`'s arithmetic (TFLite's AddFunc, left shift 20) on the
// unpacked values, an int4 clamp, and the result packed again (mcu_int4.h). One output byte is
// computed from the two input bytes at the same index before it is written, so the output may
// alias either input, as for int8.
#include "mcu_kernels.h"

// One element: requantize both inputs to the common scale, sum, requantize, offset, clamp.
static int32_t add_one(const mcu_add_params* params, int32_t x1, int32_t x2) {
  const int64_t scale_up = (int64_t)1 << params->left_shift;
  // |x + offset| <= 15, so with left_shift <= 22 the shifted values stay below 2^26.
  const int32_t shifted1 = mcu_sat32(((int64_t)x1 + params->input1_offset) * scale_up);
  const int32_t shifted2 = mcu_sat32(((int64_t)x2 + params->input2_offset) * scale_up);
  const int32_t scaled1 = mcu_requantize_mode(shifted1, params->input1_multiplier,
                                              params->input1_shift, params->rounding);
  const int32_t scaled2 = mcu_requantize_mode(shifted2, params->input2_multiplier,
                                              params->input2_shift, params->rounding);
  const int32_t sum = mcu_sat32((int64_t)scaled1 + scaled2);
  int64_t raw = (int64_t)mcu_requantize_mode(sum, params->output_multiplier, params->output_shift,
                                             params->rounding) +
                params->output_offset;
  if (raw < params->activation_min) raw = params->activation_min;
  if (raw > params->activation_max) raw = params->activation_max;
  return (int32_t)raw;
}

mcu_status mcu_add_s4(const mcu_add_params* params, const uint8_t* input1, const uint8_t* input2,
                      int32_t size, uint8_t* output) {
  if (params == NULL || input1 == NULL || input2 == NULL || output == NULL) {
    return MCU_ARG_ERROR;
  }
  for (int32_t i = 0; i < size; i += 2) {
    const int32_t low = add_one(params, mcu_s4_load(input1, i), mcu_s4_load(input2, i));
    // An odd size leaves the last high nibble 0, as Quantization's PackedInt4 does.
    const int32_t high =
        i + 1 < size ? add_one(params, mcu_s4_load(input1, i + 1), mcu_s4_load(input2, i + 1)) : 0;
    output[i / 2] = (uint8_t)(((uint32_t)low & 0x0Fu) | (((uint32_t)high & 0x0Fu) << 4));
  }
  return MCU_OK;
}

size_t mcu_add_s4_scratch_bytes(int32_t size) {
  (void)size;
  return 0;
}
