// mcu_kernels.h: generic int8/int4 kernels of the MCUNet reproduction suite (placeholder; the
// kernels land with issue 4). Copied verbatim into generated projects.
#ifndef MCU_KERNELS_H
#define MCU_KERNELS_H
#include <stdint.h>
#endif
