// JPEG through libjpeg-turbo's TurboJPEG API (Debian libturbojpeg0-dev). TurboJPEG reports
// errors through return codes and tjGetErrorStr2, so no setjmp/longjmp crosses Swift frames
// (libjpeg's classic API reports fatal errors by longjmp from error_exit).
#include <stddef.h>
#include <stdio.h>
#include <turbojpeg.h>
