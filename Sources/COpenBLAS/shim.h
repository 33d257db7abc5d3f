// OpenBLAS's own CBLAS header (Debian libopenblas-dev, openblas-pthread flavour).
#ifndef MCU_COPENBLAS_SHIM_H
#define MCU_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
