// mcu_fully_connected_s4.c: per-channel int4 linear layer on packed tensors (MCUNet Table 4):
// `mcu_fully_connected_per_channel_s8`'s arithmetic (TFLM FullyConnectedPerChannel) on the
// unpacked values, an int4 clamp, and the result packed again (mcu_int4.h).
#include "mcu_kernels.h"

mcu_status mcu_fully_connected_per_channel_s4(const mcu_fc_params* params,
                                              const mcu_per_channel_quant* quant,
                                              const mcu_dims* input_dims, const uint8_t* input,
                                              const mcu_dims* filter_dims, const uint8_t* filter,
                                              const int32_t* bias, uint8_t* output) {
  if (params == NULL || quant == NULL || quant->multiplier == NULL || quant->shift == NULL ||
      input_dims == NULL || input == NULL || filter_dims == NULL || filter == NULL ||
      output == NULL) {
    return MCU_ARG_ERROR;
  }
  const int32_t batches = input_dims->n;
  const int32_t c_in = input_dims->c;
  const int32_t c_out = filter_dims->n;
  for (int32_t n = 0; n < batches; ++n) {
    for (int32_t o = 0; o < c_out; ++o) {
      // acc is int32: cIn <= 2^16 terms of |w*(x + input_offset)| <= 7*15.
      int32_t acc = 0;
      for (int32_t i = 0; i < c_in; ++i) {
        acc += mcu_s4_load(filter, o * c_in + i) *
               (mcu_s4_load(input, n * c_in + i) + params->input_offset);
      }
      acc = mcu_add_bias(acc, bias, o);
      // Outputs are stored in increasing flat order, as mcu_s4_store requires.
      mcu_s4_store(output, n * c_out + o,
                   mcu_requantize_clamp(acc, quant->multiplier[o], quant->shift[o],
                                        params->rounding, params->output_offset,
                                        params->activation_min, params->activation_max));
    }
  }
  return MCU_OK;
}

size_t mcu_fully_connected_per_channel_s4_scratch_bytes(const mcu_dims* input_dims,
                                                        const mcu_dims* filter_dims) {
  (void)input_dims;
  (void)filter_dims;
  return 0;
}
