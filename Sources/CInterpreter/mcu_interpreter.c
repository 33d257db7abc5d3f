// mcu_interpreter.c: the interpreter baseline (see mcu_interpreter.h for the API, the arena
// layout and the blob format). Three stages, as TFLM's MicroInterpreter:
//   init   = parse + validate the blob (reads only the blob), lay out the persistent structs at
//            the arena's top, compute lifetimes, plan the head with TFLM's greedy-by-size
//            algorithm (workspace borrowed from the head);
//   invoke = copy the input in, one generic kernel call per op (the _s8 kernels, or the _s4
//            ones for an int4 model), copy the output out.
// Not the kernels (CMicroKernels) and not a planner library: the greedy algorithm here must
// give the same offsets as MemoryPlanner's GreedyBySizePlanner, which the tests check.
//
// C99, no malloc, no globals, no I/O, no snprintf (messages use the small formatter below, as
// TFLM's MicroPrintf). Every blob read is bounds-checked before it happens; all size arithmetic
// is done in uint64_t on values that are themselves bounded, so nothing can overflow.
// int4 models (MCUB_FLAG_INT4) differ only in sizes (packed bytes), the zero-point and clamp
// range ([-8, 7]) and the kernels; mcu_interpreter_config.h decides which kernels are built in.
#include "mcu_interpreter.h"

#include <stdarg.h>
#include <string.h>

// MARK: - Little-endian reads (alignment- and host-independent)

// The little-endian u16 at p.
static uint16_t read_u16(const uint8_t* p) { return (uint16_t)(p[0] | (p[1] << 8)); }

// The little-endian u32 at p.
static uint32_t read_u32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

// The two's complement value of a little-endian u32, without implementation-defined conversion.
static int32_t read_i32(const uint8_t* p) {
  const uint32_t u = read_u32(p);
  return u <= (uint32_t)INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

// Bytes of `elements` values: int8 one per byte, int4 packed two per byte (mcu_s4_bytes).
static uint64_t value_bytes(uint64_t elements, uint32_t int4) {
  return int4 ? (elements + 1) / 2 : elements;
}

// The smallest and largest stored value (and zero point): [-128, 127], or [-8, 7] for int4.
static int32_t value_min(uint32_t int4) { return int4 ? -8 : -128; }
static int32_t value_max(uint32_t int4) { return int4 ? 7 : 127; }

// `bytes` rounded up to a multiple of MCUB_ALIGNMENT (16).
static uint64_t align_up(uint64_t bytes) {
  return (bytes + MCUB_ALIGNMENT - 1) / MCUB_ALIGNMENT * MCUB_ALIGNMENT;
}

// MARK: - Messages

// Appends `text` to out[*len] (capacity `cap`, always NUL-terminated, silently truncated).
static void append_text(char* out, size_t cap, size_t* len, const char* text) {
  while (*text != '\0' && *len + 1 < cap) out[(*len)++] = *text++;
  out[*len] = '\0';
}

// Appends `value` in decimal, with a leading '-' when `negative`.
static void append_number(char* out, size_t cap, size_t* len, unsigned long value, int negative) {
  char digits[24];
  int count = 0;
  do {
    digits[count++] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0 && count < (int)sizeof digits);
  if (negative) append_text(out, cap, len, "-");
  while (count > 0 && *len + 1 < cap) out[(*len)++] = digits[--count];
  out[*len] = '\0';
}

// A printf subset: %s (const char*), %d (long), %u (unsigned long), %%. Callers cast every
// number to long / unsigned long, so the va_arg types always match.
static void format_message(char* out, size_t cap, const char* format, va_list args) {
  size_t len = 0;
  out[0] = '\0';
  for (const char* f = format; *f != '\0'; ++f) {
    if (*f != '%' || f[1] == '\0') {
      if (len + 1 < cap) out[len++] = *f;
      out[len] = '\0';
      continue;
    }
    ++f;
    if (*f == 's') {
      append_text(out, cap, &len, va_arg(args, const char*));
    } else if (*f == 'd') {
      const long v = va_arg(args, long);
      // -(v + 1) + 1 avoids negating LONG_MIN.
      append_number(out, cap, &len, v < 0 ? (unsigned long)(-(v + 1)) + 1u : (unsigned long)v,
                    v < 0);
    } else if (*f == 'u') {
      append_number(out, cap, &len, va_arg(args, unsigned long), 0);
    } else {
      if (len + 1 < cap) out[len++] = *f;
      out[len] = '\0';
    }
  }
}

// Records a failure: status, message; the interpreter is not ready afterwards.
static mcu_interp_status fail(mcu_interpreter* it, mcu_interp_status status, const char* format,
                              ...) {
  va_list args;
  va_start(args, format);
  format_message(it->message, sizeof it->message, format, args);
  va_end(args);
  it->status = status;
  it->ready = 0;
  return status;
}

const char* mcu_interp_status_name(mcu_interp_status status) {
  switch (status) {
    case MCU_INTERP_OK: return "MCU_INTERP_OK";
    case MCU_INTERP_ARG_ERROR: return "MCU_INTERP_ARG_ERROR";
    case MCU_INTERP_BAD_MAGIC: return "MCU_INTERP_BAD_MAGIC";
    case MCU_INTERP_UNSUPPORTED_VERSION: return "MCU_INTERP_UNSUPPORTED_VERSION";
    case MCU_INTERP_UNSUPPORTED_FEATURE: return "MCU_INTERP_UNSUPPORTED_FEATURE";
    case MCU_INTERP_TRUNCATED: return "MCU_INTERP_TRUNCATED";
    case MCU_INTERP_BAD_LAYOUT: return "MCU_INTERP_BAD_LAYOUT";
    case MCU_INTERP_BAD_INDEX: return "MCU_INTERP_BAD_INDEX";
    case MCU_INTERP_BAD_OFFSET: return "MCU_INTERP_BAD_OFFSET";
    case MCU_INTERP_BAD_SHAPE: return "MCU_INTERP_BAD_SHAPE";
    case MCU_INTERP_BAD_PARAMETER: return "MCU_INTERP_BAD_PARAMETER";
    case MCU_INTERP_ARENA_TOO_SMALL: return "MCU_INTERP_ARENA_TOO_SMALL";
    case MCU_INTERP_NOT_INITIALIZED: return "MCU_INTERP_NOT_INITIALIZED";
    case MCU_INTERP_KERNEL_ERROR: return "MCU_INTERP_KERNEL_ERROR";
  }
  return "MCU_INTERP_(unknown status)";
}

// The op code's name in messages.
static const char* op_name(uint8_t opcode) {
  switch (opcode) {
    case MCUB_OP_CONV2D: return "conv2d";
    case MCUB_OP_DEPTHWISE_CONV2D: return "depthwise";
    case MCUB_OP_POINTWISE_CONV2D: return "pointwise";
    case MCUB_OP_FULLY_CONNECTED: return "fully_connected";
    case MCUB_OP_ADD: return "add";
    case MCUB_OP_AVGPOOL: return "avgpool";
    case MCUB_OP_GLOBAL_AVGPOOL: return "global_avgpool";
    case MCUB_OP_MAXPOOL: return "maxpool";
  }
  return "unknown";
}

// MARK: - Decoding

/// The header fields init needs (validated by `check_header`).
typedef struct blob_header {
  uint32_t flags;
  /// 1 for an int4 model (flags & MCUB_FLAG_INT4): packed sizes, the [-8, 7] value range.
  uint32_t int4;
  uint32_t total_bytes;
  uint32_t tensor_count;
  uint32_t op_count;
  uint32_t input_tensor;
  uint32_t output_tensor;
  uint32_t tensor_table;
  uint32_t op_table;
  uint32_t constants;
  uint32_t constant_bytes;
} blob_header;

// Tensor `index` of a validated table; offset and lifetime are left for init to fill.
static mcu_interp_tensor decode_tensor(const uint8_t* blob, const blob_header* h,
                                       uint32_t index) {
  const uint8_t* e = blob + h->tensor_table + (size_t)index * MCUB_TENSOR_ENTRY_BYTES;
  mcu_interp_tensor t;
  t.dims.n = read_u16(e);
  t.dims.h = read_u16(e + 2);
  t.dims.w = read_u16(e + 4);
  t.dims.c = read_u16(e + 6);
  // Checked against n*h*w*c <= MCUB_MAX_TENSOR_BYTES before use.
  t.bytes = (int32_t)(read_u32(e + 8) & 0x7FFFFFFFu);
  t.zero_point = read_i32(e + 12);
  t.offset = -1;
  t.first_op = 0;
  t.last_op = 0;
  return t;
}

// Op `index` of a validated table, with constant offsets still relative to the constant
// section (see `check_node`).
static mcu_interp_node decode_node(const uint8_t* blob, const blob_header* h, uint32_t index) {
  const uint8_t* e = blob + h->op_table + (size_t)index * MCUB_OP_ENTRY_BYTES;
  mcu_interp_node n;
  n.opcode = e[0];
  n.rounding = e[1];
  n.input_count = e[2];
  n.reserved = e[3];
  n.input0 = read_u16(e + 4);
  n.input1 = read_u16(e + 6);
  n.output = read_u16(e + 8);
  n.reserved2 = read_u16(e + 10);
  n.kernel_h = e[12];
  n.kernel_w = e[13];
  n.stride_h = e[14];
  n.stride_w = e[15];
  n.pad_top = e[16];
  n.pad_left = e[17];
  n.pad_bottom = e[18];
  n.pad_right = e[19];
  n.input_offset = read_i32(e + 20);
  n.input2_offset = read_i32(e + 24);
  n.output_offset = read_i32(e + 28);
  n.activation_min = read_i32(e + 32);
  n.activation_max = read_i32(e + 36);
  n.left_shift = read_i32(e + 40);
  n.quant_count = read_u32(e + 44);
  n.multipliers = read_u32(e + 48);
  n.shifts = read_u32(e + 52);
  n.weights = read_u32(e + 56);
  n.bias = read_u32(e + 60);
  return n;
}

// MARK: - Validation (prepare)

// 1 on a little-endian host (the blob's int32 constants are used in place).
static int host_is_little_endian(void) {
  const uint16_t probe = 1;
  uint8_t first;
  memcpy(&first, &probe, 1);
  return first == 1;
}

// Checks magic, version, flags, sizes and the section layout; fills `h`.
static mcu_interp_status check_header(mcu_interpreter* it, const uint8_t* blob,
                                      size_t blob_bytes, blob_header* h) {
  if (blob_bytes >= 4 && memcmp(blob, "MCUB", 4) != 0) {
    return fail(it, MCU_INTERP_BAD_MAGIC,
                "blob does not start with \"MCUB\" (bytes %u %u %u %u): not a model blob; write "
                "one with ModelBlob.serialize",
                (unsigned long)blob[0], (unsigned long)blob[1], (unsigned long)blob[2],
                (unsigned long)blob[3]);
  }
  if (blob_bytes < MCUB_HEADER_BYTES) {
    return fail(it, MCU_INTERP_TRUNCATED,
                "blob has %u bytes, fewer than the %u-byte header: truncated copy?",
                (unsigned long)blob_bytes, (unsigned long)MCUB_HEADER_BYTES);
  }
  const uint32_t version = read_u16(blob + 4);
  if (version != MCUB_VERSION) {
    return fail(it, MCU_INTERP_UNSUPPORTED_VERSION,
                "blob format version %u, but this runtime reads version %u: regenerate the blob "
                "with the matching ModelBlob.serialize or update the runtime",
                (unsigned long)version, (unsigned long)MCUB_VERSION);
  }
  const uint32_t flags = read_u16(blob + 6);
  if ((flags & ~(uint32_t)MCUB_FLAG_INT4) != 0) {
    return fail(it, MCU_INTERP_UNSUPPORTED_FEATURE,
                "blob flags %u set bits this runtime does not know (it knows %u, int4): update "
                "the runtime",
                (unsigned long)flags, (unsigned long)MCUB_FLAG_INT4);
  }
  h->flags = flags;
  h->int4 = (flags & MCUB_FLAG_INT4) != 0;
  if (h->int4 && !MCU_INTERP_WITH_S4) {
    return fail(it, MCU_INTERP_UNSUPPORTED_FEATURE,
                "int4 model (blob flags %u), but this runtime was built without the int4 "
                "kernels: set MCU_INTERP_WITH_S4 to 1 in mcu_interpreter_config.h",
                (unsigned long)flags);
  }
  if (!h->int4 && !MCU_INTERP_WITH_S8) {
    return fail(it, MCU_INTERP_UNSUPPORTED_FEATURE,
                "int8 model, but this runtime was built without the int8 kernels: set "
                "MCU_INTERP_WITH_S8 to 1 in mcu_interpreter_config.h");
  }
  h->total_bytes = read_u32(blob + 8);
  h->tensor_count = read_u16(blob + 12);
  h->op_count = read_u16(blob + 14);
  h->input_tensor = read_u16(blob + 16);
  h->output_tensor = read_u16(blob + 18);
  h->tensor_table = read_u32(blob + 20);
  h->op_table = read_u32(blob + 24);
  h->constants = read_u32(blob + 28);
  h->constant_bytes = read_u32(blob + 32);
  if (h->total_bytes > blob_bytes) {
    return fail(it, MCU_INTERP_TRUNCATED,
                "blob has %u bytes but its header says %u: truncated copy?",
                (unsigned long)blob_bytes, (unsigned long)h->total_bytes);
  }
  for (int i = 0; i < 3; ++i) {
    if (read_u32(blob + 36 + 4 * i) != 0) {
      return fail(it, MCU_INTERP_BAD_LAYOUT, "header reserved word %d is %u, must be 0",
                  (long)i, (unsigned long)read_u32(blob + 36 + 4 * i));
    }
  }
  if (h->op_count < 1 || h->tensor_count != h->op_count + 1) {
    return fail(it, MCU_INTERP_BAD_INDEX,
                "header counts %u tensors and %u ops; a model has at least one op and exactly "
                "one tensor more than ops (the input, then one output per op)",
                (unsigned long)h->tensor_count, (unsigned long)h->op_count);
  }
  if (h->input_tensor != 0 || h->output_tensor != h->tensor_count - 1) {
    return fail(it, MCU_INTERP_BAD_INDEX,
                "header input tensor %u and output tensor %u must be 0 and %u (the first "
                "tensor and the last op's output)",
                (unsigned long)h->input_tensor, (unsigned long)h->output_tensor,
                (unsigned long)(h->tensor_count - 1));
  }
  // Sections in order, aligned, inside the blob: header < tensors < ops < constants <= total.
  const uint64_t tensors_end =
      (uint64_t)h->tensor_table + (uint64_t)h->tensor_count * MCUB_TENSOR_ENTRY_BYTES;
  const uint64_t ops_end = (uint64_t)h->op_table + (uint64_t)h->op_count * MCUB_OP_ENTRY_BYTES;
  const uint64_t constants_end = (uint64_t)h->constants + h->constant_bytes;
  if (h->tensor_table % MCUB_ALIGNMENT != 0 || h->op_table % MCUB_ALIGNMENT != 0 ||
      h->constants % MCUB_ALIGNMENT != 0 || h->tensor_table < MCUB_HEADER_BYTES ||
      h->op_table < tensors_end || h->constants < ops_end || constants_end > h->total_bytes) {
    return fail(it, MCU_INTERP_BAD_LAYOUT,
                "sections out of place: tensors at %u, ops at %u, constants at %u (+%u bytes) in "
                "a %u-byte blob; they must be 16-aligned, in this order, without overlap",
                (unsigned long)h->tensor_table, (unsigned long)h->op_table,
                (unsigned long)h->constants, (unsigned long)h->constant_bytes,
                (unsigned long)h->total_bytes);
  }
  return MCU_INTERP_OK;
}

// Checks tensor `index`: rank-4 batch-1 shape, size (packed for int4), zero point, reserved
// word.
static mcu_interp_status check_tensor(mcu_interpreter* it, const uint8_t* blob,
                                      const blob_header* h, uint32_t index) {
  const uint8_t* e = blob + h->tensor_table + (size_t)index * MCUB_TENSOR_ENTRY_BYTES;
  const uint64_t n = read_u16(e), height = read_u16(e + 2), width = read_u16(e + 4),
                 channels = read_u16(e + 6);
  const uint64_t bytes = read_u32(e + 8);
  const int32_t zero_point = read_i32(e + 12);
  if (n != 1 || height < 1 || width < 1 || channels < 1) {
    return fail(it, MCU_INTERP_BAD_SHAPE,
                "tensor %u has shape [%u, %u, %u, %u]; expected [1, H, W, C] with H, W, C >= 1",
                (unsigned long)index, (unsigned long)n, (unsigned long)height,
                (unsigned long)width, (unsigned long)channels);
  }
  const uint64_t elements = height * width * channels;
  if (elements > MCUB_MAX_TENSOR_BYTES || bytes != value_bytes(elements, h->int4)) {
    return fail(it, MCU_INTERP_BAD_SHAPE,
                "tensor %u declares %u bytes for shape [1, %u, %u, %u] (%u %s elements take %u "
                "bytes; at most %u elements)",
                (unsigned long)index, (unsigned long)bytes, (unsigned long)height,
                (unsigned long)width, (unsigned long)channels, (unsigned long)elements,
                h->int4 ? "packed int4" : "int8",
                (unsigned long)value_bytes(elements, h->int4),
                (unsigned long)MCUB_MAX_TENSOR_BYTES);
  }
  if (zero_point < value_min(h->int4) || zero_point > value_max(h->int4)) {
    return fail(it, MCU_INTERP_BAD_PARAMETER, "tensor %u has zero point %d, outside [%d, %d]%s",
                (unsigned long)index, (long)zero_point, (long)value_min(h->int4),
                (long)value_max(h->int4), h->int4 ? " (int4 model)" : "");
  }
  if (read_u32(e + 20) != 0) {
    return fail(it, MCU_INTERP_BAD_LAYOUT, "tensor %u: reserved word is not 0",
                (unsigned long)index);
  }
  return MCU_INTERP_OK;
}

// Checks that `count` elements of `size` bytes at constant-section offset `offset` lie inside
// the section and are aligned to `size`.
static int array_in_bounds(const blob_header* h, uint32_t offset, uint64_t count,
                           uint64_t size) {
  return offset % size == 0 && (uint64_t)offset + count * size <= h->constant_bytes;
}

// Output size along one axis, or -1 when the padded input is smaller than the window.
static int64_t window_output(int64_t in, int64_t k, int64_t stride, int64_t before,
                             int64_t after) {
  const int64_t padded = in + before + after;
  return padded < k ? -1 : (padded - k) / stride + 1;
}

// Checks the output shape of a windowed op (conv, depthwise, pointwise, avgpool, maxpool).
static mcu_interp_status check_window(mcu_interpreter* it, uint32_t k, const mcu_interp_node* n,
                                      const mcu_interp_tensor* in,
                                      const mcu_interp_tensor* out) {
  if (n->kernel_h < 1 || n->kernel_w < 1 || n->stride_h < 1 || n->stride_w < 1) {
    return fail(it, MCU_INTERP_BAD_PARAMETER,
                "op %u (%s): kernel %ux%u and stride %ux%u must be >= 1", (unsigned long)k,
                op_name(n->opcode), (unsigned long)n->kernel_h, (unsigned long)n->kernel_w,
                (unsigned long)n->stride_h, (unsigned long)n->stride_w);
  }
  const int64_t oh =
      window_output(in->dims.h, n->kernel_h, n->stride_h, n->pad_top, n->pad_bottom);
  const int64_t ow =
      window_output(in->dims.w, n->kernel_w, n->stride_w, n->pad_left, n->pad_right);
  if (oh != out->dims.h || ow != out->dims.w) {
    return fail(it, MCU_INTERP_BAD_SHAPE,
                "op %u (%s): input %ux%u with kernel %ux%u, stride %ux%u, padding %u/%u/%u/%u "
                "gives %dx%d, but the output tensor is %ux%u",
                (unsigned long)k, op_name(n->opcode), (unsigned long)in->dims.h,
                (unsigned long)in->dims.w, (unsigned long)n->kernel_h, (unsigned long)n->kernel_w,
                (unsigned long)n->stride_h, (unsigned long)n->stride_w,
                (unsigned long)n->pad_top, (unsigned long)n->pad_left,
                (unsigned long)n->pad_bottom, (unsigned long)n->pad_right, (long)oh, (long)ow,
                (unsigned long)out->dims.h, (unsigned long)out->dims.w);
  }
  return MCU_INTERP_OK;
}

// Checks offsets and clamp of an op against its tensors' zero points and the value range.
static mcu_interp_status check_offsets(mcu_interpreter* it, const blob_header* h, uint32_t k,
                                       const mcu_interp_node* n,
                                       const mcu_interp_tensor* in,
                                       const mcu_interp_tensor* in2,
                                       const mcu_interp_tensor* out) {
  const int uses_offsets = n->opcode != MCUB_OP_AVGPOOL && n->opcode != MCUB_OP_GLOBAL_AVGPOOL &&
                           n->opcode != MCUB_OP_MAXPOOL;
  const int32_t want_in = uses_offsets ? -in->zero_point : 0;
  const int32_t want_in2 = in2 != NULL ? -in2->zero_point : 0;
  const int32_t want_out = uses_offsets ? out->zero_point : 0;
  if (n->input_offset != want_in || n->input2_offset != want_in2 ||
      n->output_offset != want_out) {
    return fail(it, MCU_INTERP_BAD_PARAMETER,
                "op %u (%s): offsets %d, %d, %d disagree with the tensors' zero points "
                "(expected %d, %d, %d)",
                (unsigned long)k, op_name(n->opcode), (long)n->input_offset,
                (long)n->input2_offset, (long)n->output_offset, (long)want_in, (long)want_in2,
                (long)want_out);
  }
  if (n->activation_min < value_min(h->int4) || n->activation_max > value_max(h->int4) ||
      n->activation_min > n->activation_max) {
    return fail(it, MCU_INTERP_BAD_PARAMETER,
                "op %u (%s): clamp [%d, %d] is not a sub-range of [%d, %d]%s", (unsigned long)k,
                op_name(n->opcode), (long)n->activation_min, (long)n->activation_max,
                (long)value_min(h->int4), (long)value_max(h->int4),
                h->int4 ? " (int4 model)" : "");
  }
  if (n->rounding > MCU_SINGLE_ROUNDING) {
    return fail(it, MCU_INTERP_BAD_PARAMETER,
                "op %u (%s): rounding mode %u (0 = double, 1 = single rounding)",
                (unsigned long)k, op_name(n->opcode), (unsigned long)n->rounding);
  }
  return MCU_INTERP_OK;
}

// Checks the multiplier and shift arrays of an op with requantization; `max_shift` is 30 for
// conv-like ops and 0 for add (all three multipliers are below one).
static mcu_interp_status check_quant(mcu_interpreter* it, const uint8_t* blob,
                                     const blob_header* h, uint32_t k, const mcu_interp_node* n,
                                     uint32_t expected_count, int32_t max_shift) {
  if (n->quant_count != expected_count) {
    return fail(it, MCU_INTERP_BAD_SHAPE, "op %u (%s): %u multipliers, expected %u",
                (unsigned long)k, op_name(n->opcode), (unsigned long)n->quant_count,
                (unsigned long)expected_count);
  }
  if (!array_in_bounds(h, n->multipliers, n->quant_count, 4) ||
      !array_in_bounds(h, n->shifts, n->quant_count, 4)) {
    return fail(it, MCU_INTERP_BAD_OFFSET,
                "op %u (%s): multipliers at %u or shifts at %u (%u int32 each) are misaligned "
                "or outside the %u-byte constant section",
                (unsigned long)k, op_name(n->opcode), (unsigned long)n->multipliers,
                (unsigned long)n->shifts, (unsigned long)n->quant_count,
                (unsigned long)h->constant_bytes);
  }
  const uint8_t* m = blob + h->constants + n->multipliers;
  const uint8_t* s = blob + h->constants + n->shifts;
  for (uint32_t c = 0; c < n->quant_count; ++c) {
    const int32_t multiplier = read_i32(m + 4 * (size_t)c);
    const int32_t shift = read_i32(s + 4 * (size_t)c);
    if (multiplier < 0 || shift < -31 || shift > max_shift) {
      return fail(it, MCU_INTERP_BAD_PARAMETER,
                  "op %u (%s): channel %u has multiplier %d, shift %d; expected a multiplier "
                  ">= 0 and a shift in [-31, %d]",
                  (unsigned long)k, op_name(n->opcode), (unsigned long)c, (long)multiplier,
                  (long)shift, (long)max_shift);
    }
  }
  return MCU_INTERP_OK;
}

// Checks the weights (`count` values: int8, or packed int4 in (count + 1) / 2 bytes) and the
// optional bias (int32[c_out]) of an op.
static mcu_interp_status check_weights(mcu_interpreter* it, const blob_header* h, uint32_t k,
                                       const mcu_interp_node* n, uint64_t count,
                                       uint32_t c_out) {
  const uint64_t bytes = value_bytes(count, h->int4);
  if (count > (uint64_t)INT32_MAX || !array_in_bounds(h, n->weights, bytes, 1)) {
    return fail(it, MCU_INTERP_BAD_OFFSET,
                "op %u (%s): %u weight bytes at %u (%u %s values) lie outside the %u-byte "
                "constant section",
                (unsigned long)k, op_name(n->opcode), (unsigned long)bytes,
                (unsigned long)n->weights, (unsigned long)count, h->int4 ? "packed int4" : "int8",
                (unsigned long)h->constant_bytes);
  }
  if (n->bias != MCUB_NO_BIAS && !array_in_bounds(h, n->bias, c_out, 4)) {
    return fail(it, MCU_INTERP_BAD_OFFSET,
                "op %u (%s): bias (%u int32) at %u is misaligned or outside the %u-byte "
                "constant section",
                (unsigned long)k, op_name(n->opcode), (unsigned long)c_out,
                (unsigned long)n->bias, (unsigned long)h->constant_bytes);
  }
  return MCU_INTERP_OK;
}

// Fails unless `depth` (the accumulation length) is at most MCUB_MAX_DEPTH.
static mcu_interp_status check_depth(mcu_interpreter* it, uint32_t k, const mcu_interp_node* n,
                                     uint64_t depth) {
  if (depth > MCUB_MAX_DEPTH) {
    return fail(it, MCU_INTERP_BAD_SHAPE,
                "op %u (%s): accumulation depth %u exceeds %u (the int32 accumulator could "
                "overflow)",
                (unsigned long)k, op_name(n->opcode), (unsigned long)depth,
                (unsigned long)MCUB_MAX_DEPTH);
  }
  return MCU_INTERP_OK;
}

// Fails unless every field the op does not use is zero (one canonical encoding per model).
static mcu_interp_status check_unused(mcu_interpreter* it, uint32_t k, const mcu_interp_node* n,
                                      int windowed, int has_weights) {
  const int window_fields = n->kernel_h | n->kernel_w | n->stride_h | n->stride_w | n->pad_top |
                            n->pad_left | n->pad_bottom | n->pad_right;
  const int weight_fields =
      n->weights != 0 || n->bias != MCUB_NO_BIAS || n->multipliers != 0 || n->shifts != 0;
  if ((!windowed && window_fields != 0) || (!has_weights && n->opcode != MCUB_OP_ADD &&
                                            (weight_fields || n->quant_count != 0)) ||
      (n->opcode != MCUB_OP_ADD && n->left_shift != 0) || n->reserved != 0 ||
      n->reserved2 != 0) {
    return fail(it, MCU_INTERP_BAD_LAYOUT,
                "op %u (%s): a field the op does not use (window, constants, left shift or "
                "reserved) is not 0",
                (unsigned long)k, op_name(n->opcode));
  }
  return MCU_INTERP_OK;
}

// Checks op `k` completely: dataflow order, shapes, parameters and constant arrays.
static mcu_interp_status check_node(mcu_interpreter* it, const uint8_t* blob,
                                    const blob_header* h, uint32_t k) {
  const mcu_interp_node n = decode_node(blob, h, k);
  if (n.opcode < MCUB_OP_CONV2D || n.opcode > MCUB_OP_MAXPOOL) {
    return fail(it, MCU_INTERP_BAD_PARAMETER, "op %u: unknown opcode %u (this runtime knows 1..8)",
                (unsigned long)k, (unsigned long)n.opcode);
  }
  const int is_add = n.opcode == MCUB_OP_ADD;
  if (n.output != k + 1) {
    return fail(it, MCU_INTERP_BAD_INDEX,
                "op %u (%s) writes tensor %u; op k must write tensor k + 1 = %u (ops in "
                "execution order, one new tensor each)",
                (unsigned long)k, op_name(n.opcode), (unsigned long)n.output,
                (unsigned long)(k + 1));
  }
  if (n.input_count != (is_add ? 2 : 1) || n.input0 > k ||
      (is_add ? n.input1 > k : n.input1 != MCUB_NO_TENSOR)) {
    return fail(it, MCU_INTERP_BAD_INDEX,
                "op %u (%s) reads %u tensor(s) %u and %u; it needs %u input(s), each produced "
                "before it (tensors 0..%u; unused: %u)",
                (unsigned long)k, op_name(n.opcode), (unsigned long)n.input_count,
                (unsigned long)n.input0, (unsigned long)n.input1,
                (unsigned long)(is_add ? 2 : 1), (unsigned long)k,
                (unsigned long)MCUB_NO_TENSOR);
  }
  const mcu_interp_tensor in = decode_tensor(blob, h, n.input0);
  const mcu_interp_tensor out = decode_tensor(blob, h, n.output);
  const mcu_interp_tensor in2 = is_add ? decode_tensor(blob, h, n.input1) : in;
  mcu_interp_status s = check_offsets(it, h, k, &n, &in, is_add ? &in2 : NULL, &out);
  if (s != MCU_INTERP_OK) return s;

  const uint32_t c_in = (uint32_t)in.dims.c;
  const uint32_t c_out = (uint32_t)out.dims.c;
  const uint64_t taps = (uint64_t)n.kernel_h * n.kernel_w;
  switch (n.opcode) {
    case MCUB_OP_CONV2D:
    case MCUB_OP_DEPTHWISE_CONV2D:
    case MCUB_OP_POINTWISE_CONV2D: {
      const int depthwise = n.opcode == MCUB_OP_DEPTHWISE_CONV2D;
      if (n.opcode == MCUB_OP_POINTWISE_CONV2D &&
          (taps != 1 || (n.pad_top | n.pad_left | n.pad_bottom | n.pad_right) != 0)) {
        return fail(it, MCU_INTERP_BAD_PARAMETER,
                    "op %u (pointwise): kernel %ux%u with padding; a pointwise op is 1x1 and "
                    "unpadded",
                    (unsigned long)k, (unsigned long)n.kernel_h, (unsigned long)n.kernel_w);
      }
      if (depthwise && c_out != c_in) {
        return fail(it, MCU_INTERP_BAD_SHAPE,
                    "op %u (depthwise): %u input and %u output channels; depth multiplier 1 "
                    "needs them equal",
                    (unsigned long)k, (unsigned long)c_in, (unsigned long)c_out);
      }
      if ((s = check_unused(it, k, &n, 1, 1)) != MCU_INTERP_OK) return s;
      if ((s = check_window(it, k, &n, &in, &out)) != MCU_INTERP_OK) return s;
      if ((s = check_depth(it, k, &n, depthwise ? taps : taps * c_in)) != MCU_INTERP_OK) return s;
      const uint64_t weights = depthwise ? taps * c_out : (uint64_t)c_out * taps * c_in;
      if ((s = check_weights(it, h, k, &n, weights, c_out)) != MCU_INTERP_OK) return s;
      return check_quant(it, blob, h, k, &n, c_out, 30);
    }
    case MCUB_OP_FULLY_CONNECTED: {
      if (out.dims.h != 1 || out.dims.w != 1) {
        return fail(it, MCU_INTERP_BAD_SHAPE,
                    "op %u (fully_connected): output is %ux%u spatially; expected [1, 1, 1, C]",
                    (unsigned long)k, (unsigned long)out.dims.h, (unsigned long)out.dims.w);
      }
      // The flattened input: every element of [1, H, W, C] (bytes only for int8).
      const uint64_t features = (uint64_t)in.dims.h * in.dims.w * in.dims.c;
      if ((s = check_unused(it, k, &n, 0, 1)) != MCU_INTERP_OK) return s;
      if ((s = check_depth(it, k, &n, features)) != MCU_INTERP_OK) return s;
      if ((s = check_weights(it, h, k, &n, features * c_out, c_out)) != MCU_INTERP_OK) return s;
      return check_quant(it, blob, h, k, &n, c_out, 30);
    }
    case MCUB_OP_ADD: {
      if (in.dims.h != out.dims.h || in.dims.w != out.dims.w || in.dims.c != out.dims.c ||
          in2.dims.h != out.dims.h || in2.dims.w != out.dims.w || in2.dims.c != out.dims.c) {
        return fail(it, MCU_INTERP_BAD_SHAPE,
                    "op %u (add): inputs [1, %u, %u, %u] and [1, %u, %u, %u], output [1, %u, "
                    "%u, %u]; all three must be equal",
                    (unsigned long)k, (unsigned long)in.dims.h, (unsigned long)in.dims.w,
                    (unsigned long)in.dims.c, (unsigned long)in2.dims.h,
                    (unsigned long)in2.dims.w, (unsigned long)in2.dims.c,
                    (unsigned long)out.dims.h, (unsigned long)out.dims.w,
                    (unsigned long)out.dims.c);
      }
      if ((s = check_unused(it, k, &n, 0, 0)) != MCU_INTERP_OK) return s;
      if (n.weights != 0 || n.bias != MCUB_NO_BIAS) {
        return fail(it, MCU_INTERP_BAD_LAYOUT, "op %u (add): has weights or a bias",
                    (unsigned long)k);
      }
      if (n.left_shift < 0 || n.left_shift > 22) {
        return fail(it, MCU_INTERP_BAD_PARAMETER,
                    "op %u (add): left shift %d outside [0, 22] (TFLite uses 20)",
                    (unsigned long)k, (long)n.left_shift);
      }
      return check_quant(it, blob, h, k, &n, 3, 0);
    }
    case MCUB_OP_AVGPOOL:
    case MCUB_OP_MAXPOOL: {
      if (c_out != c_in) {
        return fail(it, MCU_INTERP_BAD_SHAPE, "op %u (%s): %u input and %u output channels",
                    (unsigned long)k, op_name(n.opcode), (unsigned long)c_in,
                    (unsigned long)c_out);
      }
      if (n.opcode == MCUB_OP_MAXPOOL && in.zero_point != out.zero_point) {
        return fail(it, MCU_INTERP_BAD_PARAMETER,
                    "op %u (maxpool): input zero point %d, output %d; max pool keeps its "
                    "input's quantization, so they must be equal",
                    (unsigned long)k, (long)in.zero_point, (long)out.zero_point);
      }
      if (n.pad_top >= n.kernel_h || n.pad_bottom >= n.kernel_h || n.pad_left >= n.kernel_w ||
          n.pad_right >= n.kernel_w) {
        return fail(it, MCU_INTERP_BAD_PARAMETER,
                    "op %u (%s): padding %u/%u/%u/%u must be smaller than the %ux%u window",
                    (unsigned long)k, op_name(n.opcode), (unsigned long)n.pad_top,
                    (unsigned long)n.pad_left, (unsigned long)n.pad_bottom,
                    (unsigned long)n.pad_right,
                    (unsigned long)n.kernel_h, (unsigned long)n.kernel_w);
      }
      if ((s = check_unused(it, k, &n, 1, 0)) != MCU_INTERP_OK) return s;
      return check_window(it, k, &n, &in, &out);
    }
    default: {  // MCUB_OP_GLOBAL_AVGPOOL
      if (out.dims.h != 1 || out.dims.w != 1 || c_out != c_in ||
          (uint64_t)in.dims.h * (uint64_t)in.dims.w >= ((uint64_t)1 << 24)) {
        return fail(it, MCU_INTERP_BAD_SHAPE,
                    "op %u (global_avgpool): input [1, %u, %u, %u] to output [1, %u, %u, %u]; "
                    "expected [1, 1, 1, C] from H*W < 2^24",
                    (unsigned long)k, (unsigned long)in.dims.h, (unsigned long)in.dims.w,
                    (unsigned long)c_in, (unsigned long)out.dims.h, (unsigned long)out.dims.w,
                    (unsigned long)c_out);
      }
      return check_unused(it, k, &n, 0, 0);
    }
  }
}

// MARK: - Planning (TFLM GreedyMemoryPlanner)

// TFLM's DoesEntryOverlapInTime: inclusive lifetimes intersect.
static int lifetimes_overlap(const mcu_interp_tensor* a, const mcu_interp_tensor* b) {
  return a->first_op <= b->last_op && b->first_op <= a->last_op;
}

// Places every tensor as TFLM's GreedyMemoryPlanner (and MemoryPlanner's GreedyBySizePlanner):
//   1. sizes rounded up to 16; order by size, descending, ties in tensor order (stable);
//   2. each tensor walks the already placed tensors in offset order (a list; a new entry goes
//      after the entries with an equal or lower offset), looking only at those whose lifetimes
//      overlap its own; it takes the first gap between `candidate` (the highest end seen so
//      far, starting at 0) and the next such tensor that fits, else goes after the last one.
// `order` and `next` are int32[count] of workspace. Returns the head's high-water mark, or -1
// when a planned offset would not fit in int32 (a model larger than 2 GiB).
static int64_t plan_greedy(mcu_interp_tensor* t, int32_t count, int32_t* order, int32_t* next) {
  for (int32_t i = 0; i < count; ++i) order[i] = i;
  // Insertion sort: stable, O(n^2) like TFLM's bubble sort, no extra memory.
  for (int32_t i = 1; i < count; ++i) {
    const int32_t v = order[i];
    const uint64_t size = align_up((uint64_t)t[v].bytes);
    int32_t j = i;
    while (j > 0 && align_up((uint64_t)t[order[j - 1]].bytes) < size) {
      order[j] = order[j - 1];
      --j;
    }
    order[j] = v;
  }
  int32_t first = -1;  // head of the offset-ordered list of placed tensors
  int64_t high_water = 0;
  for (int32_t i = 0; i < count; ++i) {
    const int32_t b = order[i];
    const int64_t size = (int64_t)align_up((uint64_t)t[b].bytes);
    int64_t candidate = 0;
    for (int32_t e = first; e != -1; e = next[e]) {
      if (!lifetimes_overlap(&t[e], &t[b])) continue;
      if ((int64_t)t[e].offset - candidate >= size) break;
      const int64_t end = (int64_t)t[e].offset + (int64_t)align_up((uint64_t)t[e].bytes);
      if (end > candidate) candidate = end;
    }
    if (candidate > (int64_t)INT32_MAX - size) return -1;
    t[b].offset = (int32_t)candidate;
    int32_t prev = -1;
    int32_t e = first;
    while (e != -1 && t[e].offset <= candidate) {
      prev = e;
      e = next[e];
    }
    next[b] = e;
    if (prev == -1) {
      first = b;
    } else {
      next[prev] = b;
    }
    if (candidate + size > high_water) high_water = candidate + size;
  }
  return high_water;
}

// MARK: - Init

mcu_interp_status mcu_interp_init(mcu_interpreter* it, const uint8_t* blob, size_t blob_bytes,
                                  uint8_t* arena, size_t arena_bytes) {
  if (it == NULL) return MCU_INTERP_ARG_ERROR;
  memset(it, 0, sizeof *it);
  if (blob == NULL || arena == NULL) {
    return fail(it, MCU_INTERP_ARG_ERROR, "blob and arena must not be NULL");
  }
  if (!host_is_little_endian()) {
    return fail(it, MCU_INTERP_UNSUPPORTED_FEATURE,
                "big-endian host: the blob's constants are read in place as little-endian int32");
  }
  if ((uintptr_t)blob % 4 != 0) {
    return fail(it, MCU_INTERP_BAD_LAYOUT,
                "blob address is not 4-byte aligned (address mod 4 = %u); store it in a uint32_t "
                "array or an aligned buffer",
                (unsigned long)((uintptr_t)blob % 4));
  }

  // Prepare, part 1: validate everything the blob says, reading only the blob.
  blob_header h;
  mcu_interp_status s = check_header(it, blob, blob_bytes, &h);
  if (s != MCU_INTERP_OK) return s;
  for (uint32_t i = 0; i < h.tensor_count; ++i) {
    if ((s = check_tensor(it, blob, &h, i)) != MCU_INTERP_OK) return s;
  }
  for (uint32_t k = 0; k < h.op_count; ++k) {
    if ((s = check_node(it, blob, &h, k)) != MCU_INTERP_OK) return s;
  }

  // Prepare, part 2: the arena. Tail = persistent structs, head = plan (+ workspace at init).
  const uint64_t tensor_array = align_up((uint64_t)h.tensor_count * sizeof(mcu_interp_tensor));
  const uint64_t node_array = align_up((uint64_t)h.op_count * sizeof(mcu_interp_node));
  const uint64_t persistent = tensor_array + node_array;
  const uint64_t workspace = align_up((uint64_t)h.tensor_count * 2 * sizeof(int32_t));
  const uint64_t pad = (MCUB_ALIGNMENT - (uintptr_t)arena % MCUB_ALIGNMENT) % MCUB_ALIGNMENT;
  const uint64_t usable =
      arena_bytes > pad ? ((uint64_t)arena_bytes - pad) / MCUB_ALIGNMENT * MCUB_ALIGNMENT : 0;
  it->persistent_bytes = (size_t)persistent;
  it->workspace_bytes = (size_t)workspace;
  it->flags = h.flags;
  if (usable < persistent + workspace) {
    // No plan without workspace; the sum of all tensors bounds the greedy plan from above.
    uint64_t all_tensors = 0;
    for (uint32_t i = 0; i < h.tensor_count; ++i) {
      all_tensors += align_up((uint64_t)decode_tensor(blob, &h, i).bytes);
    }
    it->required_bytes = (size_t)(pad + persistent + (all_tensors > workspace ? all_tensors
                                                                              : workspace));
    it->required_is_exact = 0;
    return fail(it, MCU_INTERP_ARENA_TOO_SMALL,
                "arena of %u bytes cannot even hold the persistent structs (%u bytes) and the "
                "planner workspace (%u bytes); %u bytes always suffice, and init reports the "
                "exact need once the persistent structs fit",
                (unsigned long)arena_bytes, (unsigned long)persistent, (unsigned long)workspace,
                (unsigned long)it->required_bytes);
  }
  uint8_t* base = arena + pad;
  uint8_t* tail = base + (usable - persistent);
  // The arena is raw storage owned by the runtime from here on (as TFLM's arena); both arrays
  // are 16-byte aligned.
  it->tensors = (mcu_interp_tensor*)(void*)tail;
  it->nodes = (mcu_interp_node*)(void*)(tail + tensor_array);
  it->tensor_count = (int32_t)h.tensor_count;
  it->op_count = (int32_t)h.op_count;
  it->input_tensor = 0;
  it->output_tensor = (int32_t)h.output_tensor;
  for (uint32_t i = 0; i < h.tensor_count; ++i) it->tensors[i] = decode_tensor(blob, &h, i);
  for (uint32_t k = 0; k < h.op_count; ++k) {
    mcu_interp_node n = decode_node(blob, &h, k);
    // Constant offsets become blob offsets (validated against the section above).
    if (n.opcode <= MCUB_OP_FULLY_CONNECTED) n.weights += h.constants;
    if (n.bias != MCUB_NO_BIAS) n.bias += h.constants;
    if (n.quant_count > 0) {
      n.multipliers += h.constants;
      n.shifts += h.constants;
    }
    it->nodes[k] = n;
    // Lifetimes (TFLM's allocation scopes, inclusive): produced at op k, read up to the last
    // reader; the graph input is live from op 0.
    it->tensors[n.output].first_op = (uint16_t)k;
    it->tensors[n.output].last_op = (uint16_t)k;
    it->tensors[n.input0].last_op = (uint16_t)k;
    if (n.input1 != MCUB_NO_TENSOR) it->tensors[n.input1].last_op = (uint16_t)k;
  }
  it->tensors[h.output_tensor].last_op = (uint16_t)(h.op_count - 1);

  int32_t* order = (int32_t*)(void*)base;
  int32_t* next = order + h.tensor_count;
  const int64_t planned = plan_greedy(it->tensors, it->tensor_count, order, next);
  if (planned < 0) {
    return fail(it, MCU_INTERP_BAD_SHAPE, "the planned activations exceed 2 GiB");
  }
  const uint64_t head = (uint64_t)planned > workspace ? (uint64_t)planned : workspace;
  it->planned_bytes = (size_t)planned;
  it->required_bytes = (size_t)(pad + head + persistent);
  it->required_is_exact = 1;
  if (head + persistent > usable) {
    return fail(it, MCU_INTERP_ARENA_TOO_SMALL,
                "arena of %u bytes is too small: this model needs %u bytes (planned activations "
                "%u + persistent structs %u + alignment pad %u); pass at least %u bytes",
                (unsigned long)arena_bytes, (unsigned long)it->required_bytes,
                (unsigned long)head, (unsigned long)persistent, (unsigned long)pad,
                (unsigned long)it->required_bytes);
  }
  it->blob = blob;
  it->head = base;
  it->status = MCU_INTERP_OK;
  it->ready = MCU_INTERP_READY;
  it->message[0] = '\0';
  return MCU_INTERP_OK;
}

// MARK: - Invoke (eval)

// The int32 array at blob offset `offset`.
static const int32_t* blob_i32(const mcu_interpreter* it, uint32_t offset) {
  // Aligned: init checked offset % 4 == 0 and the blob's own alignment.
  return (const int32_t*)(const void*)(it->blob + offset);
}

// The per-channel multipliers and shifts of an op (unused by the pools).
static mcu_per_channel_quant node_quant(const mcu_interpreter* it, const mcu_interp_node* n) {
  const mcu_per_channel_quant quant = {blob_i32(it, n->multipliers), blob_i32(it, n->shifts)};
  return quant;
}

// The op's rounding mode (validated at init).
static mcu_rounding node_rounding(const mcu_interp_node* n) {
  return n->rounding == MCU_SINGLE_ROUNDING ? MCU_SINGLE_ROUNDING : MCU_DOUBLE_ROUNDING;
}

// Parameters of a conv, depthwise or pointwise op (both precisions).
static mcu_conv_params conv_params(const mcu_interp_node* n) {
  const mcu_conv_params p = {.input_offset = n->input_offset,
                             .output_offset = n->output_offset,
                             .stride_h = n->stride_h,
                             .stride_w = n->stride_w,
                             .pad_top = n->pad_top,
                             .pad_left = n->pad_left,
                             .pad_bottom = n->pad_bottom,
                             .pad_right = n->pad_right,
                             .activation_min = n->activation_min,
                             .activation_max = n->activation_max,
                             .rounding = node_rounding(n)};
  return p;
}

// Parameters of a fully connected op (both precisions).
static mcu_fc_params fc_params(const mcu_interp_node* n) {
  const mcu_fc_params p = {.input_offset = n->input_offset,
                           .filter_offset = 0,
                           .output_offset = n->output_offset,
                           .activation_min = n->activation_min,
                           .activation_max = n->activation_max,
                           .rounding = node_rounding(n)};
  return p;
}

// Parameters of an add; `quant` holds [input 1, input 2, output] multipliers and shifts.
static mcu_add_params add_params(const mcu_interp_node* n, const mcu_per_channel_quant* quant) {
  const mcu_add_params p = {.input1_offset = n->input_offset,
                            .input2_offset = n->input2_offset,
                            .output_offset = n->output_offset,
                            .left_shift = n->left_shift,
                            .input1_multiplier = quant->multiplier[0],
                            .input1_shift = quant->shift[0],
                            .input2_multiplier = quant->multiplier[1],
                            .input2_shift = quant->shift[1],
                            .output_multiplier = quant->multiplier[2],
                            .output_shift = quant->shift[2],
                            .activation_min = n->activation_min,
                            .activation_max = n->activation_max,
                            .rounding = node_rounding(n)};
  return p;
}

// Parameters of an average or max pool (both precisions).
static mcu_pool_params pool_params(const mcu_interp_node* n) {
  const mcu_pool_params p = {.filter_h = n->kernel_h,
                             .filter_w = n->kernel_w,
                             .stride_h = n->stride_h,
                             .stride_w = n->stride_w,
                             .pad_top = n->pad_top,
                             .pad_left = n->pad_left,
                             .pad_bottom = n->pad_bottom,
                             .pad_right = n->pad_right,
                             .activation_min = n->activation_min,
                             .activation_max = n->activation_max};
  return p;
}

// Elements of a tensor, H*W*C (validated at init to be at most 2^30).
static int32_t tensor_elements(const mcu_interp_tensor* t) {
  return t->dims.h * t->dims.w * t->dims.c;
}

#if MCU_INTERP_WITH_S8
// Runs one op of an int8 model with its _s8 kernel; every parameter was validated at init.
static mcu_status run_node_s8(const mcu_interpreter* it, const mcu_interp_node* n) {
  const mcu_interp_tensor* in = &it->tensors[n->input0];
  const mcu_interp_tensor* out = &it->tensors[n->output];
  const int8_t* x = (const int8_t*)(it->head + in->offset);
  int8_t* y = (int8_t*)(it->head + out->offset);
  const int8_t* weights = (const int8_t*)(it->blob + n->weights);
  const int32_t* bias = n->bias == MCUB_NO_BIAS ? NULL : blob_i32(it, n->bias);
  const mcu_per_channel_quant quant = node_quant(it, n);
  switch (n->opcode) {
    case MCUB_OP_CONV2D:
    case MCUB_OP_DEPTHWISE_CONV2D:
    case MCUB_OP_POINTWISE_CONV2D: {
      const mcu_conv_params p = conv_params(n);
      if (n->opcode == MCUB_OP_DEPTHWISE_CONV2D) {
        const mcu_dims filter = {1, n->kernel_h, n->kernel_w, out->dims.c};
        return mcu_depthwise_conv2d_s8(&p, &quant, &in->dims, x, &filter, weights, bias,
                                       &out->dims, y);
      }
      const mcu_dims filter = {out->dims.c, n->kernel_h, n->kernel_w, in->dims.c};
      if (n->opcode == MCUB_OP_POINTWISE_CONV2D) {
        return mcu_pointwise_conv2d_s8(&p, &quant, &in->dims, x, &filter, weights, bias,
                                       &out->dims, y);
      }
      return mcu_conv2d_s8(&p, &quant, &in->dims, x, &filter, weights, bias, &out->dims, y);
    }
    case MCUB_OP_FULLY_CONNECTED: {
      const mcu_fc_params p = fc_params(n);
      // The input is flattened: [1, H, W, C] reads as [1, H*W*C].
      const mcu_dims in_dims = {1, 1, 1, tensor_elements(in)};
      const mcu_dims filter = {out->dims.c, 1, 1, tensor_elements(in)};
      return mcu_fully_connected_per_channel_s8(&p, &quant, &in_dims, x, &filter, weights, bias,
                                                y);
    }
    case MCUB_OP_ADD: {
      const int8_t* x2 = (const int8_t*)(it->head + it->tensors[n->input1].offset);
      const mcu_add_params p = add_params(n, &quant);
      return mcu_add_s8(&p, x, x2, tensor_elements(out), y);
    }
    case MCUB_OP_AVGPOOL:
    case MCUB_OP_MAXPOOL: {
      const mcu_pool_params p = pool_params(n);
      if (n->opcode == MCUB_OP_MAXPOOL) return mcu_maxpool_s8(&p, &in->dims, x, &out->dims, y);
      return mcu_avgpool_s8(&p, &in->dims, x, &out->dims, y);
    }
    case MCUB_OP_GLOBAL_AVGPOOL:
      return mcu_global_avgpool_s8(&in->dims, x, n->activation_min, n->activation_max, y);
  }
  return MCU_ARG_ERROR;
}
#endif  // MCU_INTERP_WITH_S8

#if MCU_INTERP_WITH_S4
// Runs one op of an int4 model with its _s4 kernel on packed tensors and weights (the same
// parameters as run_node_s8; element counts, not bytes, for the flattened and element-wise
// ops); every parameter was validated at init.
static mcu_status run_node_s4(const mcu_interpreter* it, const mcu_interp_node* n) {
  const mcu_interp_tensor* in = &it->tensors[n->input0];
  const mcu_interp_tensor* out = &it->tensors[n->output];
  const uint8_t* x = it->head + in->offset;
  uint8_t* y = it->head + out->offset;
  const uint8_t* weights = it->blob + n->weights;
  const int32_t* bias = n->bias == MCUB_NO_BIAS ? NULL : blob_i32(it, n->bias);
  const mcu_per_channel_quant quant = node_quant(it, n);
  switch (n->opcode) {
    case MCUB_OP_CONV2D:
    case MCUB_OP_DEPTHWISE_CONV2D:
    case MCUB_OP_POINTWISE_CONV2D: {
      const mcu_conv_params p = conv_params(n);
      if (n->opcode == MCUB_OP_DEPTHWISE_CONV2D) {
        const mcu_dims filter = {1, n->kernel_h, n->kernel_w, out->dims.c};
        return mcu_depthwise_conv2d_s4(&p, &quant, &in->dims, x, &filter, weights, bias,
                                       &out->dims, y);
      }
      const mcu_dims filter = {out->dims.c, n->kernel_h, n->kernel_w, in->dims.c};
      if (n->opcode == MCUB_OP_POINTWISE_CONV2D) {
        return mcu_pointwise_conv2d_s4(&p, &quant, &in->dims, x, &filter, weights, bias,
                                       &out->dims, y);
      }
      return mcu_conv2d_s4(&p, &quant, &in->dims, x, &filter, weights, bias, &out->dims, y);
    }
    case MCUB_OP_FULLY_CONNECTED: {
      const mcu_fc_params p = fc_params(n);
      const mcu_dims in_dims = {1, 1, 1, tensor_elements(in)};
      const mcu_dims filter = {out->dims.c, 1, 1, tensor_elements(in)};
      return mcu_fully_connected_per_channel_s4(&p, &quant, &in_dims, x, &filter, weights, bias,
                                                y);
    }
    case MCUB_OP_ADD: {
      const uint8_t* x2 = it->head + it->tensors[n->input1].offset;
      const mcu_add_params p = add_params(n, &quant);
      return mcu_add_s4(&p, x, x2, tensor_elements(out), y);
    }
    case MCUB_OP_AVGPOOL:
    case MCUB_OP_MAXPOOL: {
      const mcu_pool_params p = pool_params(n);
      if (n->opcode == MCUB_OP_MAXPOOL) return mcu_maxpool_s4(&p, &in->dims, x, &out->dims, y);
      return mcu_avgpool_s4(&p, &in->dims, x, &out->dims, y);
    }
    case MCUB_OP_GLOBAL_AVGPOOL:
      return mcu_global_avgpool_s4(&in->dims, x, n->activation_min, n->activation_max, y);
  }
  return MCU_ARG_ERROR;
}
#endif  // MCU_INTERP_WITH_S4

// Runs one op with the kernel family of the model's precision (init refused a blob whose
// family is not built in, so the fallback return is unreachable).
static mcu_status run_node(const mcu_interpreter* it, const mcu_interp_node* n) {
#if MCU_INTERP_WITH_S4
  if ((it->flags & MCUB_FLAG_INT4) != 0) return run_node_s4(it, n);
#endif
#if MCU_INTERP_WITH_S8
  if ((it->flags & MCUB_FLAG_INT4) == 0) return run_node_s8(it, n);
#endif
  return MCU_ARG_ERROR;
}

mcu_interp_status mcu_interp_invoke(mcu_interpreter* it, const void* input, void* output) {
  if (it == NULL) return MCU_INTERP_ARG_ERROR;
  if (it->ready != MCU_INTERP_READY) {
    it->status = MCU_INTERP_NOT_INITIALIZED;
    return MCU_INTERP_NOT_INITIALIZED;
  }
  if (input == NULL || output == NULL) {
    it->status = MCU_INTERP_ARG_ERROR;
    return MCU_INTERP_ARG_ERROR;
  }
  // TFLM reuses the input tensor's memory, so the input is copied in before every invoke
  // (raw bytes: int8 values, or packed int4 bytes).
  const mcu_interp_tensor* in = &it->tensors[it->input_tensor];
  memcpy(it->head + in->offset, input, (size_t)in->bytes);
  for (int32_t k = 0; k < it->op_count; ++k) {
    const mcu_status status = run_node(it, &it->nodes[k]);
    if (status != MCU_OK) {
      (void)fail(it, MCU_INTERP_KERNEL_ERROR, "op %d (%s): kernel returned status %d", (long)k,
                 op_name(it->nodes[k].opcode), (long)status);
      // The interpreter stays usable: the failure is the kernel's, not the model's.
      it->ready = MCU_INTERP_READY;
      return MCU_INTERP_KERNEL_ERROR;
    }
  }
  const mcu_interp_tensor* out = &it->tensors[it->output_tensor];
  memcpy(output, it->head + out->offset, (size_t)out->bytes);
  it->status = MCU_INTERP_OK;
  return MCU_INTERP_OK;
}

// MARK: - Queries

mcu_interp_status mcu_interp_arena_used(const mcu_interpreter* it, size_t* planned_bytes,
                                        size_t* persistent_bytes) {
  if (it == NULL) return MCU_INTERP_ARG_ERROR;
  if (it->ready != MCU_INTERP_READY) return MCU_INTERP_NOT_INITIALIZED;
  if (planned_bytes != NULL) *planned_bytes = it->planned_bytes;
  if (persistent_bytes != NULL) *persistent_bytes = it->persistent_bytes;
  return MCU_INTERP_OK;
}

size_t mcu_interp_required_bytes(const mcu_interpreter* it, int32_t* exact) {
  const int known = it != NULL && (it->ready == MCU_INTERP_READY ||
                                   it->status == MCU_INTERP_ARENA_TOO_SMALL);
  if (exact != NULL) *exact = known ? it->required_is_exact : 0;
  return known ? it->required_bytes : 0;
}

int32_t mcu_interp_input_bytes(const mcu_interpreter* it) {
  if (it == NULL || it->ready != MCU_INTERP_READY) return 0;
  return it->tensors[it->input_tensor].bytes;
}

int32_t mcu_interp_output_bytes(const mcu_interpreter* it) {
  if (it == NULL || it->ready != MCU_INTERP_READY) return 0;
  return it->tensors[it->output_tensor].bytes;
}

int32_t mcu_interp_is_int4(const mcu_interpreter* it) {
  if (it == NULL || it->ready != MCU_INTERP_READY) return 0;
  return (it->flags & MCUB_FLAG_INT4) != 0;
}

int32_t mcu_interp_tensor_offset(const mcu_interpreter* it, int32_t index) {
  if (it == NULL || it->ready != MCU_INTERP_READY || index < 0 || index >= it->tensor_count) {
    return -1;
  }
  return it->tensors[index].offset;
}

const char* mcu_interp_error_message(const mcu_interpreter* it) {
  return it == NULL ? "no interpreter (NULL)" : it->message;
}
