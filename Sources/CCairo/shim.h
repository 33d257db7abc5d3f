// cairo with the FreeType font backend (Debian libcairo2-dev), so figures use a real TrueType
// font (fonts-dejavu-core) independent of fontconfig. PNG through cairo's libpng writer.
#ifndef MCU_CCAIRO_SHIM_H
#define MCU_CCAIRO_SHIM_H
#include <cairo.h>
#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#endif
