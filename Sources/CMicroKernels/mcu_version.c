#include "mcu_kernels.h"
int mcu_kernels_version(void) { return 1; }
