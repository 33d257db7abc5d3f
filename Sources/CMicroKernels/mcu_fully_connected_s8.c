// mcu_fully_connected_s8.c: int8 linear layers, per-tensor (TFLM FullyConnected, with a weight
// offset) and per-channel (FullyConnectedPerChannel): MCUNet's classifier. Plain dot products.
#include "mcu_kernels.h"

mcu_status mcu_fully_connected_s8(const mcu_fc_params* params, int32_t multiplier, int32_t shift,
                                  const mcu_dims* input_dims, const int8_t* input,
                                  const mcu_dims* filter_dims, const int8_t* filter,
                                  const int32_t* bias, int8_t* output) {
  if (params == NULL || input_dims == NULL || input == NULL || filter_dims == NULL ||
      filter == NULL || output == NULL) {
    return MCU_ARG_ERROR;
  }
  const int32_t batches = input_dims->n;
  const int32_t c_in = input_dims->c;
  const int32_t c_out = filter_dims->n;
  for (int32_t n = 0; n < batches; ++n) {
    const int8_t* x = input + n * c_in;
    for (int32_t o = 0; o < c_out; ++o) {
      const int8_t* w = filter + o * c_in;
      // acc is int32: cIn <= 33 000 terms of |(w + filter_offset)*(x + input_offset)| <= 255^2.
      int32_t acc = 0;
      for (int32_t i = 0; i < c_in; ++i) {
        acc += ((int32_t)w[i] + params->filter_offset) * ((int32_t)x[i] + params->input_offset);
      }
      acc = mcu_add_bias(acc, bias, o);
      output[n * c_out + o] =
          mcu_requantize_clamp(acc, multiplier, shift, params->rounding, params->output_offset,
                               params->activation_min, params->activation_max);
    }
  }
  return MCU_OK;
}

size_t mcu_fully_connected_s8_scratch_bytes(const mcu_dims* input_dims,
                                            const mcu_dims* filter_dims) {
  (void)input_dims;
  (void)filter_dims;
  return 0;
}

mcu_status mcu_fully_connected_per_channel_s8(const mcu_fc_params* params,
                                              const mcu_per_channel_quant* quant,
                                              const mcu_dims* input_dims, const int8_t* input,
                                              const mcu_dims* filter_dims, const int8_t* filter,
                                              const int32_t* bias, int8_t* output) {
  if (params == NULL || quant == NULL || quant->multiplier == NULL || quant->shift == NULL ||
      input_dims == NULL || input == NULL || filter_dims == NULL || filter == NULL ||
      output == NULL) {
    return MCU_ARG_ERROR;
  }
  const int32_t batches = input_dims->n;
  const int32_t c_in = input_dims->c;
  const int32_t c_out = filter_dims->n;
  for (int32_t n = 0; n < batches; ++n) {
    const int8_t* x = input + n * c_in;
    for (int32_t o = 0; o < c_out; ++o) {
      const int8_t* w = filter + o * c_in;
      // acc is int32: cIn <= 2^16 terms of |w*(x + input_offset)| <= 127*255.
      int32_t acc = 0;
      for (int32_t i = 0; i < c_in; ++i) {
        acc += (int32_t)w[i] * ((int32_t)x[i] + params->input_offset);
      }
      acc = mcu_add_bias(acc, bias, o);
      output[n * c_out + o] = mcu_requantize_clamp(acc, quant->multiplier[o], quant->shift[o],
                                                   params->rounding, params->output_offset,
                                                   params->activation_min, params->activation_max);
    }
  }
  return MCU_OK;
}

size_t mcu_fully_connected_per_channel_s8_scratch_bytes(const mcu_dims* input_dims,
                                                        const mcu_dims* filter_dims) {
  (void)input_dims;
  (void)filter_dims;
  return 0;
}
