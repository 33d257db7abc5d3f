// mcu_fixedpoint.h: TFLite's integer requantization arithmetic (gemmlowp fixed point) in C99,
// bit-exact with Sources/Quantization/FixedPoint.swift, the specification (DESIGN.md sec. 3,
// paper_facts sec. 12). Header-only `static inline` helpers shared by every kernel; no kernels.
//
// No undefined behaviour for any argument in the documented ranges: no signed overflow (products
// are formed in int64), no negative or oversized shifts, and right shifts of negative values are
// written as floor divisions (`mcu_asr32`/`mcu_asr64`) instead of relying on the
// implementation-defined `>>` of negative signed integers. Where the Swift reference traps
// (a value that no valid model reaches, e.g. `acc*2^shift` overflowing int32), these helpers
// saturate instead.
#ifndef MCU_FIXEDPOINT_H
#define MCU_FIXEDPOINT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// How `mcu_requantize_mode` rounds, as Quantization's `RoundingMode` (TFLite's
/// `TFLITE_SINGLE_ROUNDING` switch, CMSIS-NN's `CMSIS_NN_USE_SINGLE_ROUNDING`).
typedef enum mcu_rounding {
  /// gemmlowp: `mcu_srdhm` (ties toward +inf), then `mcu_rdbpot` (ties away from zero).
  MCU_DOUBLE_ROUNDING = 0,
  /// One rounding of the exact `x*m*2^(shift-31)`, ties toward +inf.
  MCU_SINGLE_ROUNDING = 1
} mcu_rounding;

/// floor(x / 2^n) for n in [0, 31]: an arithmetic right shift without implementation-defined
/// behaviour (for x < 0, ~x = -x - 1 >= 0 and floor(x / 2^n) = -((-x - 1) >> n) - 1).
static inline int32_t mcu_asr32(int32_t x, int32_t n) {
  return x >= 0 ? (x >> n) : -((~x) >> n) - 1;
}

/// floor(x / 2^n) for n in [0, 63] (see `mcu_asr32`).
static inline int64_t mcu_asr64(int64_t x, int32_t n) {
  return x >= 0 ? (x >> n) : -((~x) >> n) - 1;
}

/// `x` clamped into int32.
static inline int32_t mcu_sat32(int64_t x) {
  return x > INT32_MAX ? INT32_MAX : (x < INT32_MIN ? INT32_MIN : (int32_t)x);
}

/// SaturatingRoundingDoublingHighMul: round(a*b / 2^31) with ties toward +inf; the one overflow,
/// a == b == INT32_MIN (exact result 2^31), saturates to INT32_MAX.
static inline int32_t mcu_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  // |a*b| < 2^62 here, so neither the int64 product nor the nudged sum overflows.
  const int64_t ab = (int64_t)a * (int64_t)b;
  const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
  // C99 `/` truncates toward zero; the asymmetric nudge makes that "ties toward +inf".
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/// RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero; exponent in
/// [0, 31].
static inline int32_t mcu_rdbpot(int32_t x, int32_t exponent) {
  const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  // A negative x rounds its exact half away from zero by raising the threshold by one.
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  // The increment cannot overflow: it needs remainder > 0, so floor(x / 2^e) < INT32_MAX.
  return mcu_asr32(x, exponent) + (remainder > threshold ? 1 : 0);
}

/// MultiplyByQuantizedMultiplier with double rounding (TFLite's default):
/// rdbpot(srdhm(acc*2^max(shift,0), multiplier), max(-shift,0)); multiplier in [0, 2^31),
/// shift in [-31, 30]. `acc*2^shift` saturates to int32 (the Swift reference traps there).
static inline int32_t mcu_requantize(int32_t acc, int32_t multiplier, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  // |acc|*2^30 < 2^62: the int64 product cannot overflow.
  const int32_t shifted = mcu_sat32((int64_t)acc * ((int64_t)1 << left));
  return mcu_rdbpot(mcu_srdhm(shifted, multiplier), right);
}

/// MultiplyByQuantizedMultiplier with single rounding: (acc*m + 2^(30-shift)) >> (31 - shift)
/// in int64 (floor shift), multiplier in [0, 2^31), shift in [-31, 30]; saturates to int32.
static inline int32_t mcu_requantize_single(int32_t acc, int32_t multiplier, int32_t shift) {
  const int32_t total_shift = 31 - shift;  // 1...62
  const int64_t round = (int64_t)1 << (total_shift - 1);
  // |acc*m| < 2^62 and round <= 2^61, so the sum fits in int64.
  return mcu_sat32(mcu_asr64((int64_t)acc * (int64_t)multiplier + round, total_shift));
}

/// `mcu_requantize` or `mcu_requantize_single`, as `rounding` says.
static inline int32_t mcu_requantize_mode(int32_t acc, int32_t multiplier, int32_t shift,
                                          mcu_rounding rounding) {
  return rounding == MCU_SINGLE_ROUNDING ? mcu_requantize_single(acc, multiplier, shift)
                                         : mcu_requantize(acc, multiplier, shift);
}

/// `mcu_requantize` (double rounding) in one int64 step, for the generated kernels; the generic
/// kernels keep the two-step spelling of TFLite's reference. With A = acc'*m + 2^30 (acc' =
/// acc*2^max(shift,0) saturated), srdhm = floor(A / 2^31) (its nudge makes C's truncating
/// division a floor), and rdbpot(y, e) = floor((y + 2^(e-1) - [y < 0]) / 2^e) for e >= 1, where
/// y < 0 exactly when A < 0. Nested floor divisions by powers of two compose, so the result is
/// floor((A + 2^(e+30) - [A < 0]*2^31) / 2^(31+e)): one multiply, two adds, one shift.
/// |acc'*m| < 2^62 and the added terms stay below 2^61, so nothing overflows int64.
static inline int32_t mcu_requantize_fused(int32_t acc, int32_t multiplier, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  const int32_t shifted = left > 0 ? mcu_sat32((int64_t)acc * ((int64_t)1 << left)) : acc;
  const int64_t a = (int64_t)shifted * (int64_t)multiplier + ((int64_t)1 << 30);
  if (right == 0) return (int32_t)mcu_asr64(a, 31);
  const int64_t rounded = a + ((int64_t)1 << (right + 30)) - (a < 0 ? ((int64_t)1 << 31) : 0);
  return (int32_t)mcu_asr64(rounded, 31 + right);
}

/// `mcu_requantize_clamp` with `mcu_requantize_fused` for double rounding (bit-exact with it).
static inline int8_t mcu_requantize_clamp_fused(int32_t acc, int32_t multiplier, int32_t shift,
                                                mcu_rounding rounding, int32_t output_offset,
                                                int32_t activation_min,
                                                int32_t activation_max) {
  const int32_t scaled = rounding == MCU_SINGLE_ROUNDING
                             ? mcu_requantize_single(acc, multiplier, shift)
                             : mcu_requantize_fused(acc, multiplier, shift);
  int64_t v = (int64_t)scaled + output_offset;
  if (v < activation_min) v = activation_min;
  if (v > activation_max) v = activation_max;
  return (int8_t)v;
}

/// The per-channel constants of `mcu_requantize_mode`, computed once per output channel so
/// that a kernel looping over pixels inside a channel pays one multiply, two adds and a shift
/// per output (`mcu_channel_requantize`). Double rounding is `mcu_requantize_fused`'s form,
/// single rounding `mcu_requantize_single`'s.
typedef struct mcu_channel_requant {
  int32_t multiplier;
  /// Left shift applied (saturating) before the multiply: max(shift, 0) for double rounding.
  int32_t left;
  /// Total right shift of the product.
  int32_t total;
  /// Added to the product: 2^30 (double) or 2^(total-1) (single).
  int64_t base;
  /// Added after the sign test: 2^(right+30) for double rounding with right > 0, else 0.
  int64_t half;
  /// Subtracted when the product plus `base` is negative: 2^31 alongside `half`, else 0.
  int64_t fix;
  /// multiplier * 2^left, for `mcu_channel_requantize_bounded`.
  int64_t scaled;
} mcu_channel_requant;

/// The constants of (multiplier, shift) in `rounding` (multiplier in [0, 2^31), shift in
/// [-31, 30]).
static inline mcu_channel_requant mcu_channel_requant_of(int32_t multiplier, int32_t shift,
                                                         mcu_rounding rounding) {
  mcu_channel_requant q;
  q.multiplier = multiplier;
  if (rounding == MCU_SINGLE_ROUNDING) {
    q.left = 0;
    q.total = 31 - shift;
    q.base = (int64_t)1 << (q.total - 1);
    q.half = 0;
    q.fix = 0;
  } else {
    const int32_t right = shift > 0 ? 0 : -shift;
    q.left = shift > 0 ? shift : 0;
    q.total = 31 + right;
    q.base = (int64_t)1 << 30;
    q.half = right > 0 ? (int64_t)1 << (right + 30) : 0;
    q.fix = right > 0 ? (int64_t)1 << 31 : 0;
  }
  q.scaled = (int64_t)multiplier * ((int64_t)1 << q.left);
  return q;
}

/// `mcu_requantize_mode(acc, multiplier, shift, rounding)` from the channel's constants.
static inline int32_t mcu_channel_requantize(int32_t acc, mcu_channel_requant q) {
  const int32_t x = q.left > 0 ? mcu_sat32((int64_t)acc * ((int64_t)1 << q.left)) : acc;
  const int64_t a = (int64_t)x * q.multiplier + q.base;
  return mcu_sat32(mcu_asr64(a + q.half - (a < 0 ? q.fix : 0), q.total));
}

/// `mcu_channel_requantize(acc, q)` for |acc|·2^left <= 2^30, with no saturation step: none
/// can occur there (acc·2^left fits int32, and the result's magnitude is at most
/// |acc|·2^left + 1 since the multiplier is below 2^31). CodeGen proves the bound for every
/// channel of a layer before it selects a kernel that uses this (RequantizationBound).
static inline int32_t mcu_channel_requantize_bounded(int32_t acc, mcu_channel_requant q) {
  const int64_t a = (int64_t)acc * q.scaled + q.base;
  return (int32_t)mcu_asr64(a + q.half - (a < 0 ? q.fix : 0), q.total);
}

/// The output step every conv, depthwise and linear kernel shares (Quantization's
/// `IntegerReference.requantize`): clamp(requantize(acc) + output_offset, min, max). The offset
/// is added in int64 so that no int32 overflow can occur.
static inline int8_t mcu_requantize_clamp(int32_t acc, int32_t multiplier, int32_t shift,
                                          mcu_rounding rounding, int32_t output_offset,
                                          int32_t activation_min, int32_t activation_max) {
  int64_t v = (int64_t)mcu_requantize_mode(acc, multiplier, shift, rounding) + output_offset;
  if (v < activation_min) v = activation_min;
  if (v > activation_max) v = activation_max;
  return (int8_t)v;
}

/// `acc + bias` (bias may be NULL) without int32 overflow: saturates where the Swift reference
/// would trap (no valid model gets there; the accumulator-depth limits keep |acc| < 2^31).
static inline int32_t mcu_add_bias(int32_t acc, const int32_t* bias, int32_t channel) {
  return bias == NULL ? acc : mcu_sat32((int64_t)acc + bias[channel]);
}

#ifdef __cplusplus
}
#endif

#endif  // MCU_FIXEDPOINT_H
