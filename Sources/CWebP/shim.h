// libwebp (Debian: libwebp-dev; pkg-config module "libwebp").
#include <webp/decode.h>
