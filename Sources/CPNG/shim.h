// libpng 1.6 (Debian: libpng-dev; pkg-config module "libpng16").
#include <png.h>
