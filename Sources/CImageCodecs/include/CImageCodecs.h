// setjmp-protected wrappers around libjpeg-turbo and libpng for CLIPKit's image decoders.
//
// Why C: both libraries report fatal errors by calling a handler that must not return
// (libjpeg's error_exit, libpng's png_error), and the only portable way out is longjmp.
// Swift cannot call setjmp or be unwound by longjmp, so every libjpeg/libpng call that can
// fail runs inside one of these functions, which catch the error and return a status code
// plus a message. Nothing here prints, allocates image buffers, or decides policy: the
// Swift side checks dimensions against its limits before it asks for pixels.
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H

#include <stddef.h>
#include <stdint.h>

// Status codes returned by every function below.
#define CIK_OK 0
#define CIK_TRUNCATED 1     // input ended before the image did
#define CIK_CORRUPT 2       // the library rejected the data
#define CIK_UNSUPPORTED 3   // valid but not decodable here (e.g. 12-bit JPEG)
#define CIK_EMPTY_IMAGE 4   // zero width or height
#define CIK_NO_MEMORY 5

// MARK: JPEG

typedef struct cik_jpeg cik_jpeg;

typedef struct {
    uint32_t width;
    uint32_t height;
    int components;  // samples per output pixel: 1 (gray), 3 (RGB) or 4 (CMYK, as stored)
} cik_jpeg_info;

/// Reads the JPEG header from `data` (not copied: it must outlive the context).
/// On success `*out` holds a context to pass to cik_jpeg_read and cik_jpeg_close.
int cik_jpeg_open(const uint8_t *data, size_t size, cik_jpeg **out, cik_jpeg_info *info,
                  char *message, size_t message_size);
/// Decodes every scanline into `pixels` (`height` rows of `stride` bytes) with libjpeg's
/// defaults, as Pillow does: JDCT_ISLOW and fancy upsampling.
int cik_jpeg_read(cik_jpeg *ctx, uint8_t *pixels, size_t stride, char *message, size_t message_size);
void cik_jpeg_close(cik_jpeg *ctx);

// MARK: PNG

typedef struct cik_png cik_png;

typedef struct {
    uint32_t width;
    uint32_t height;
    int bit_depth;
    int color_type;   // PNG colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
    int interlaced;
    int palette_count;
    uint8_t palette[256 * 3];
    int trns_count;   // entries in tRNS (palette images) or 1 for a gray/RGB colour key
    uint8_t trns_alpha[256];
    uint16_t trns_gray;
    uint16_t trns_red, trns_green, trns_blue;
} cik_png_info;

int cik_png_open(const uint8_t *data, size_t size, cik_png **out, cik_png_info *info,
                 char *message, size_t message_size);
/// Decodes into `pixels` as 8-bit RGB (3 bytes per pixel; 16-bit samples keep their high byte,
/// alpha is dropped) or, when `gray16` is non-zero and the image is 16-bit gray, as one
/// native-endian uint16 per pixel.
int cik_png_read(cik_png *ctx, uint8_t *pixels, size_t stride, int gray16,
                 char *message, size_t message_size);
void cik_png_close(cik_png *ctx);

#endif
