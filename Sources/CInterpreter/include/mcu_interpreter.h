// mcu_interpreter.h: the interpreter baseline (placeholder until issue 4 §5 lands).
#ifndef MCU_INTERPRETER_H
#define MCU_INTERPRETER_H
#include <stdint.h>
int mcu_interpreter_version(void);
#endif
