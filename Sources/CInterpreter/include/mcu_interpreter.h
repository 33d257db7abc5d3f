// mcu_interpreter.h: the interpreter baseline of the MCUNet reproduction suite (issue 4 sec. 5,
// DESIGN.md sec. 5), in the spirit of TensorFlow Lite Micro. A C99 runtime that reads a
// serialized model blob ("MCUB", written by CodeGen's ModelBlob.serialize) at run time,
// validates it, keeps its tensor and node structs in the caller's arena (the persistent tail,
// as TFLM's MicroAllocator), plans the activations at run time with TFLM's greedy-by-size
// algorithm (the planned head) and runs the generic kernels of mcu_kernels.h. It is the
// "TFLM / CMSIS-NN" column of every comparison: same compiler, flags and machine as the
// generated code, bit-exact with it and with the Swift IntegerInterpreter.
// Not a TFLite flatbuffer reader and not the generated code: the blob format is the project's
// own, specified below and in Sources/CodeGen/ModelBlob.swift (the writer).
//
// No malloc, no globals, no I/O: the caller owns the `mcu_interpreter` object, the blob (Flash)
// and one arena (SRAM). Error rule (STYLE.md B5, TFLM's Prepare vs Eval): every check happens
// in `mcu_interp_init`, which rejects a bad blob with a status and a message naming the op or
// tensor; `mcu_interp_invoke` only checks its pointers and the kernels' status.
//
// Arena layout after a successful init (addresses grow to the right):
//
//   arena  base = arena rounded up to 16
//   |  pad |  planned head: activations at planner offsets  | ...unused... | persistent tail |
//           (the planner's workspace lives here during init)               tensors | nodes
//
// Blob format, version 1 (all integers little-endian; section offsets are from the blob start
// and multiples of 16; the blob itself must be 4-byte aligned in memory):
//
//   header, MCUB_HEADER_BYTES = 48 bytes
//     0  u8[4] magic "MCUB"            4  u16 version (1)        6  u16 flags (MCUB_FLAG_*)
//     8  u32 total blob bytes         12  u16 tensor count T    14  u16 op count N (T = N + 1)
//    16  u16 input tensor (0)         18  u16 output tensor (T - 1)
//    20  u32 tensor table offset      24  u32 op table offset   28  u32 constant section offset
//    32  u32 constant section bytes   36  u32[3] reserved (0)
//   tensor table: T entries of MCUB_TENSOR_ENTRY_BYTES = 24 bytes
//     0  u16 n (1), h, w, c           8  u32 bytes (int8: n*h*w*c; int4: (n*h*w*c + 1) / 2)
//    12  i32 zero point (int8 [-128, 127], int4 [-8, 7])
//    16  f32 scale (informative)      20  u32 reserved (0)
//   op table: N entries of MCUB_OP_ENTRY_BYTES = 64 bytes, in execution order; op k writes
//   tensor k + 1 and reads only tensors <= k (tensor 0 is the graph input)
//     0  u8 opcode (mcub_opcode)      1  u8 rounding (mcu_rounding)   2  u8 input count (1|2)
//     3  u8 reserved (0)              4  u16 input 0                  6  u16 input 1 (0xFFFF)
//     8  u16 output                  10  u16 reserved (0)
//    12  u8 kernel h, kernel w, stride h, stride w
//    16  u8 pad top, left, bottom, right
//    20  i32 input offset (-zp of input 0)    24  i32 input 2 offset (add: -zp of input 1)
//    28  i32 output offset (zp)               32  i32 activation min   36  i32 activation max
//    40  i32 left shift (add: 20, else 0)     44  u32 quant count (cOut; add: 3; pools: 0)
//    48  u32 multipliers offset  52  u32 shifts offset  (i32[quant count] each)
//    56  u32 weights offset (int8 or packed int4)  60  u32 bias offset (i32[cOut]; MCUB_NO_BIAS)
//   (constant offsets are relative to the constant section; int32 arrays 4-byte aligned)
//   constant section: weights (OHWI / 1HWO / [cOut, cIn]), biases, multipliers, shifts.
//
// int4 models (flag MCUB_FLAG_INT4): the whole model is int4, as Quantization's int4
// QuantizedGraph (Int4.swift). Every activation tensor and every weight array is packed two
// values per byte in its flat NHWC / OHWI / 1HWO / [cOut, cIn] order (element i in byte i / 2,
// even i in the low nibble; mcu_int4.h), so a tensor or weight array of E elements takes
// (E + 1) / 2 bytes and the planner sizes int4 activations in packed bytes. Zero points and
// clamps lie in [-8, 7]; biases, multipliers, shifts and the add's left shift are int8's. The
// ops run the generic *_s4 kernels; the graph input and output are packed bytes. Nothing else
// of the layout changes, so the version stays 1 and int8 blobs are unchanged; a runtime that
// predates int4 rejects an int4 blob by its flag (MCU_INTERP_UNSUPPORTED_FEATURE).
#ifndef MCU_INTERPRETER_H
#define MCU_INTERPRETER_H

#include <stddef.h>
#include <stdint.h>

#include "mcu_interpreter_config.h"
#include "mcu_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Blob format constants

/// The blob format version this runtime reads.
#define MCUB_VERSION 1
/// Bytes of the header.
#define MCUB_HEADER_BYTES 48
/// Bytes of one tensor table entry.
#define MCUB_TENSOR_ENTRY_BYTES 24
/// Bytes of one op table entry.
#define MCUB_OP_ENTRY_BYTES 64
/// Alignment of the blob's sections and of the arena's planned buffers (TFLM's
/// kBufferAlignment).
#define MCUB_ALIGNMENT 16
/// "No second input" in an op entry.
#define MCUB_NO_TENSOR 0xFFFF
/// "No bias" in an op entry.
#define MCUB_NO_BIAS 0xFFFFFFFFu
/// Flag bit of int4 models: packed int4 tensors and weights, the *_s4 kernels (see above).
#define MCUB_FLAG_INT4 0x0001
/// The largest accumulation depth (kH*kW*cIn, or cIn) whose int32 accumulator cannot
/// overflow: 2^16 * 127 * 255 < 2^31 (Quantization's ConvParams.maxAccumulationDepth).
#define MCUB_MAX_DEPTH 65536
/// The largest tensor, in bytes, a blob may declare (2^30).
#define MCUB_MAX_TENSOR_BYTES 1073741824

/// The operators of blob version 1; each runs one generic kernel of mcu_kernels.h (the _s8
/// kernel named below, or its _s4 twin in an int4 model: mcu_conv2d_s4, ...). Codes are
/// only ever added (8, max pool, came with the appendix-B models): every older blob stays
/// valid, and a runtime that predates a code rejects it as an unknown opcode.
typedef enum mcub_opcode {
  MCUB_OP_CONV2D = 1,            ///< mcu_conv2d_s8, filter [cOut, kH, kW, cIn]
  MCUB_OP_DEPTHWISE_CONV2D = 2,  ///< mcu_depthwise_conv2d_s8, filter [1, kH, kW, C]
  MCUB_OP_POINTWISE_CONV2D = 3,  ///< mcu_pointwise_conv2d_s8, filter [cOut, 1, 1, cIn]
  MCUB_OP_FULLY_CONNECTED = 4,   ///< mcu_fully_connected_per_channel_s8, filter [cOut, cIn]
  MCUB_OP_ADD = 5,               ///< mcu_add_s8
  MCUB_OP_AVGPOOL = 6,           ///< mcu_avgpool_s8
  MCUB_OP_GLOBAL_AVGPOOL = 7,    ///< mcu_global_avgpool_s8
  MCUB_OP_MAXPOOL = 8            ///< mcu_maxpool_s8
} mcub_opcode;

// MARK: - Status

/// Result of every runtime function; `mcu_interp_error_message` explains the last failure.
typedef enum mcu_interp_status {
  MCU_INTERP_OK = 0,
  /// A required pointer (interpreter, blob, arena, input, output) was NULL.
  MCU_INTERP_ARG_ERROR = 1,
  /// The blob does not start with "MCUB".
  MCU_INTERP_BAD_MAGIC = 2,
  /// The blob's format version is not MCUB_VERSION.
  MCU_INTERP_UNSUPPORTED_VERSION = 3,
  /// The blob sets a flag this runtime does not know, its precision's kernels were left out of
  /// this build (mcu_interpreter_config.h), or the host is big-endian.
  MCU_INTERP_UNSUPPORTED_FEATURE = 4,
  /// The blob is shorter than its header (or its header's total size) says.
  MCU_INTERP_TRUNCATED = 5,
  /// A section lies outside the blob, overlaps another or is misaligned, a reserved field is
  /// not zero, or the blob pointer is not 4-byte aligned.
  MCU_INTERP_BAD_LAYOUT = 6,
  /// A tensor index or count is out of range or breaks the execution order.
  MCU_INTERP_BAD_INDEX = 7,
  /// A constant array (weights, bias, multipliers, shifts) lies outside the constant section
  /// or is misaligned.
  MCU_INTERP_BAD_OFFSET = 8,
  /// Tensor shapes are invalid or inconsistent with an op's parameters.
  MCU_INTERP_BAD_SHAPE = 9,
  /// An opcode, rounding mode, offset, clamp, multiplier or shift is out of range.
  MCU_INTERP_BAD_PARAMETER = 10,
  /// The arena cannot hold the persistent structs and the planned activations;
  /// `mcu_interp_required_bytes` says how much is needed.
  MCU_INTERP_ARENA_TOO_SMALL = 11,
  /// `mcu_interp_invoke` on an interpreter whose init failed or never ran.
  MCU_INTERP_NOT_INITIALIZED = 12,
  /// A kernel returned an error during invoke (a runtime bug: init checks every parameter).
  MCU_INTERP_KERNEL_ERROR = 13
} mcu_interp_status;

// MARK: - Structs kept in the arena (persistent tail)

/// One activation tensor: 32 bytes, no pointers, so the persistent size is the same on every
/// target (TFLM's TfLiteEvalTensor plus its planner entry).
typedef struct mcu_interp_tensor {
  /// [1, H, W, C]; a linear layer's output is [1, 1, 1, C].
  mcu_dims dims;
  /// Bytes of the tensor: H*W*C for int8, (H*W*C + 1) / 2 packed for int4.
  int32_t bytes;
  /// Zero point of the tensor's quantization, [-128, 127] (int4: [-8, 7]).
  int32_t zero_point;
  /// Byte offset in the planned head, a multiple of MCUB_ALIGNMENT.
  int32_t offset;
  /// First op step at which the tensor is live (its producer; 0 for the graph input).
  uint16_t first_op;
  /// Last op step at which it is live (its last reader; the last op for the graph output).
  uint16_t last_op;
} mcu_interp_tensor;

/// One operator, decoded and validated at init: 64 bytes, no pointers (constants are byte
/// offsets into the blob, resolved at invoke), the analogue of TFLM's TfLiteNode + OpData.
typedef struct mcu_interp_node {
  uint8_t opcode;    ///< mcub_opcode
  uint8_t rounding;  ///< mcu_rounding
  uint8_t kernel_h;
  uint8_t kernel_w;
  uint8_t stride_h;
  uint8_t stride_w;
  uint8_t pad_top;
  uint8_t pad_left;
  uint8_t pad_bottom;
  uint8_t pad_right;
  uint8_t input_count;  ///< 1, or 2 for add
  uint8_t reserved;
  uint16_t input0;  ///< tensor index
  uint16_t input1;  ///< tensor index (add), else MCUB_NO_TENSOR
  uint16_t output;  ///< tensor index
  uint16_t reserved2;
  int32_t input_offset;   ///< -zp of input 0
  int32_t input2_offset;  ///< -zp of input 1 (add), else 0
  int32_t output_offset;  ///< zp of the output
  int32_t activation_min;
  int32_t activation_max;
  int32_t left_shift;    ///< add only: 20 for int8
  uint32_t quant_count;  ///< cOut (conv, depthwise, pointwise, linear), 3 (add), 0 (pools)
  uint32_t multipliers;  ///< blob offset of int32[quant_count]
  uint32_t shifts;       ///< blob offset of int32[quant_count]
  uint32_t weights;      ///< blob offset of the filter (int8, or packed int4)
  uint32_t bias;         ///< blob offset of int32[cOut], or MCUB_NO_BIAS
} mcu_interp_node;

// MARK: - The interpreter

/// Marks an interpreter whose init succeeded (`mcu_interpreter.ready`).
#define MCU_INTERP_READY 0x4D435552u
/// Capacity of `mcu_interpreter.message`, terminating NUL included.
#define MCU_INTERP_MESSAGE_BYTES 200

/// The interpreter object. The caller owns it (static or on the stack; it is not in the arena)
/// and must keep the blob and the arena alive and unmodified while it is in use. Fields are
/// read-only for the caller; use the functions below.
typedef struct mcu_interpreter {
  const uint8_t* blob;        ///< The model blob (Flash).
  uint8_t* head;              ///< Start of the planned head, 16-byte aligned.
  mcu_interp_tensor* tensors; ///< [tensor_count], in the persistent tail.
  mcu_interp_node* nodes;     ///< [op_count], in the persistent tail.
  int32_t tensor_count;
  int32_t op_count;
  int32_t input_tensor;
  int32_t output_tensor;
  /// Bytes of the planned head: the greedy plan's high-water mark.
  size_t planned_bytes;
  /// Bytes of the persistent tail: tensor and node structs, each array 16-byte aligned.
  size_t persistent_bytes;
  /// Bytes the planner borrows from the head during init (8 per tensor, 16-aligned).
  size_t workspace_bytes;
  /// Arena bytes needed: alignment pad + max(planned, workspace) + persistent; an upper bound
  /// when `required_is_exact` is 0.
  size_t required_bytes;
  /// 1 when `required_bytes` is exact (the plan was computed), 0 when it is an upper bound.
  int32_t required_is_exact;
  /// The blob's flags (MCUB_FLAG_INT4 for an int4 model) once its header was read.
  uint32_t flags;
  /// Status of the last call.
  mcu_interp_status status;
  /// MCU_INTERP_READY after a successful init, anything else before.
  uint32_t ready;
  /// Human-readable explanation of the last failure (empty after success).
  char message[MCU_INTERP_MESSAGE_BYTES];
} mcu_interpreter;

/// Parses and validates `blob`, lays out the tensor and node structs at the top of `arena`,
/// computes every tensor's lifetime and plans the activations at the bottom with TFLM's
/// greedy-by-size algorithm (sizes rounded up to 16, largest first, ties in tensor order).
///
/// `blob` must be 4-byte aligned and stay valid while `it` is used (weights are read from it
/// at invoke, as from Flash). `arena` may have any alignment (its start is rounded up to 16).
/// Returns MCU_INTERP_OK, or the first problem found with `mcu_interp_error_message(it)`
/// naming the op or tensor; MCU_INTERP_ARENA_TOO_SMALL comes with `mcu_interp_required_bytes`.
/// Never reads outside `blob[0, blob_bytes)` or writes outside `arena[0, arena_bytes)`.
mcu_interp_status mcu_interp_init(mcu_interpreter* it, const uint8_t* blob, size_t blob_bytes,
                                  uint8_t* arena, size_t arena_bytes);

/// Runs the model once: copies `input` (mcu_interp_input_bytes bytes, NHWC: int8 values, or
/// int4 values packed two per byte for an int4 model) into the input tensor, runs every op's
/// kernel in order and copies the output tensor's mcu_interp_output_bytes bytes (same format)
/// to `output`. Not reentrant for one interpreter (one arena).
mcu_interp_status mcu_interp_invoke(mcu_interpreter* it, const void* input, void* output);

/// High-water marks of a successful init: `planned_bytes` (the head) and `persistent_bytes`
/// (the tail). Either pointer may be NULL. Returns MCU_INTERP_NOT_INITIALIZED before init.
mcu_interp_status mcu_interp_arena_used(const mcu_interpreter* it, size_t* planned_bytes,
                                        size_t* persistent_bytes);

/// Arena bytes this model needs (after init returned OK or MCU_INTERP_ARENA_TOO_SMALL; 0
/// otherwise); `*exact` (may be NULL) is 1 when the number is exact, 0 when it is an upper
/// bound (the arena was too small even for the persistent structs, so no plan exists yet).
size_t mcu_interp_required_bytes(const mcu_interpreter* it, int32_t* exact);

/// Bytes of the graph input, packed for int4 (0 before a successful init).
int32_t mcu_interp_input_bytes(const mcu_interpreter* it);

/// Bytes of the graph output, packed for int4 (0 before a successful init).
int32_t mcu_interp_output_bytes(const mcu_interpreter* it);

/// 1 when the initialized model is int4 (MCUB_FLAG_INT4), 0 for int8 or before a successful
/// init.
int32_t mcu_interp_is_int4(const mcu_interpreter* it);

/// Planned head offset of tensor `index`, or -1 when not initialized or out of range.
int32_t mcu_interp_tensor_offset(const mcu_interpreter* it, int32_t index);

/// The explanation of the last failure ("" after success); never NULL.
const char* mcu_interp_error_message(const mcu_interpreter* it);

/// The enumerator name of `status` ("MCU_INTERP_BAD_MAGIC"); never NULL.
const char* mcu_interp_status_name(mcu_interp_status status);

#ifdef __cplusplus
}
#endif

#endif  // MCU_INTERPRETER_H
