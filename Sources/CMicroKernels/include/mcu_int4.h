// mcu_int4.h: load and store of packed int4 values, the format of Quantization/Int4.swift
// (two per byte, element i in byte i/2, even i in the LOW nibble, odd i in the HIGH nibble,
// 4-bit two's complement, sign-extended on load). Header-only helpers for the *_s4 kernels.
#ifndef MCU_INT4_H
#define MCU_INT4_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Element `index` of the packed int4 tensor `data`, sign-extended to [-8, 7].
static inline int32_t mcu_s4_load(const uint8_t* data, int32_t index) {
  const uint8_t byte = data[index / 2];
  const int32_t nibble = (index % 2 == 0) ? (byte & 0x0F) : (byte >> 4);
  // (n ^ 8) - 8 sign-extends a 4-bit two's complement value.
  return (nibble ^ 8) - 8;
}

/// Stores `value` (in [-8, 7]) as element `index` of the packed tensor `data`.
///
/// Elements must be stored in increasing index order: an even index rewrites its whole byte
/// (clearing the high nibble, so an odd-length tensor ends with a zero nibble as
/// Quantization's `PackedInt4` does), an odd index then fills the high nibble.
static inline void mcu_s4_store(uint8_t* data, int32_t index, int32_t value) {
  const uint8_t nibble = (uint8_t)((uint32_t)value & 0x0Fu);
  if (index % 2 == 0) {
    data[index / 2] = nibble;
  } else {
    data[index / 2] = (uint8_t)((data[index / 2] & 0x0Fu) | (uint32_t)(nibble << 4));
  }
}

/// Bytes of a packed tensor of `count` int4 elements: (count + 1) / 2.
static inline int32_t mcu_s4_bytes(int32_t count) { return (count + 1) / 2; }

#ifdef __cplusplus
}
#endif

#endif  // MCU_INT4_H
