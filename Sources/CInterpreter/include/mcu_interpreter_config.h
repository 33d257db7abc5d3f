// mcu_interpreter_config.h: which kernel families the interpreter runtime is built with, the
// build-time half of TFLM's op resolver: a runtime built without a family needs none of its
// kernels at link time and rejects blobs of that precision at init with
// MCU_INTERP_UNSUPPORTED_FEATURE. This default (the Swift package's CInterpreter target) has
// both; CodeGen's InterpreterProgram writes its own copy with only the model's family, so an
// int8 program links only the _s8 kernels and an int4 program only the _s4 ones. Either macro
// may also be set with -D.
#ifndef MCU_INTERPRETER_CONFIG_H
#define MCU_INTERPRETER_CONFIG_H

/// 1: run int8 models (the mcu_*_s8 kernels).
#ifndef MCU_INTERP_WITH_S8
#define MCU_INTERP_WITH_S8 1
#endif

/// 1: run int4 models (MCUB_FLAG_INT4, the mcu_*_s4 kernels).
#ifndef MCU_INTERP_WITH_S4
#define MCU_INTERP_WITH_S4 1
#endif

#if !MCU_INTERP_WITH_S8 && !MCU_INTERP_WITH_S4
#error "mcu_interpreter_config.h: enable MCU_INTERP_WITH_S8, MCU_INTERP_WITH_S4 or both"
#endif

#endif  // MCU_INTERPRETER_CONFIG_H
