#include "mcu_interpreter.h"
int mcu_interpreter_version(void) { return 0; }
