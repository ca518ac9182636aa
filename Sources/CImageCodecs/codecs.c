// See include/CImageCodecs.h for why this is C.
#include "CImageCodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

static void set_message(char *message, size_t size, const char *text) {
    if (message && size) {
        snprintf(message, size, "%s", text ? text : "");
    }
}

// MARK: JPEG

struct cik_jpeg {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr err;
    struct jpeg_source_mgr src;
    jmp_buf jump;
    const uint8_t *data;
    size_t size;
    int truncated;
    int started;
};

static void jpeg_error_exit(j_common_ptr cinfo) {
    struct cik_jpeg *ctx = (struct cik_jpeg *)cinfo->client_data;
    longjmp(ctx->jump, 1);
}

static void jpeg_silent_message(j_common_ptr cinfo, int level) {
    // Warnings (corrupt-data recoveries) are tolerated as Pillow does; nothing is printed.
    (void)level;
    if (level < 0) {
        cinfo->err->num_warnings++;
    }
}

static void jpeg_no_output(j_common_ptr cinfo) { (void)cinfo; }

static void src_init(j_decompress_ptr cinfo) { (void)cinfo; }

static boolean src_fill(j_decompress_ptr cinfo) {
    // Called only when the whole buffer has been consumed: the file ended early.
    struct cik_jpeg *ctx = (struct cik_jpeg *)cinfo->client_data;
    ctx->truncated = 1;
    ERREXIT(cinfo, JERR_INPUT_EOF);
    return FALSE;
}

static void src_skip(j_decompress_ptr cinfo, long count) {
    struct jpeg_source_mgr *src = cinfo->src;
    if (count <= 0) {
        return;
    }
    if ((size_t)count > src->bytes_in_buffer) {
        struct cik_jpeg *ctx = (struct cik_jpeg *)cinfo->client_data;
        ctx->truncated = 1;
        ERREXIT(cinfo, JERR_INPUT_EOF);
    }
    src->next_input_byte += count;
    src->bytes_in_buffer -= (size_t)count;
}

static void src_term(j_decompress_ptr cinfo) { (void)cinfo; }

static int jpeg_status(struct cik_jpeg *ctx, char *message, size_t message_size) {
    char text[JMSG_LENGTH_MAX];
    ctx->err.format_message((j_common_ptr)&ctx->cinfo, text);
    set_message(message, message_size, text);
    if (ctx->truncated) {
        return CIK_TRUNCATED;
    }
    switch (ctx->err.msg_code) {
        case JERR_EMPTY_IMAGE:
            return CIK_EMPTY_IMAGE;
        case JERR_OUT_OF_MEMORY:
            return CIK_NO_MEMORY;
        case JERR_BAD_PRECISION:
        case JERR_CCIR601_NOTIMPL:
        case JERR_NOT_COMPILED:
            return CIK_UNSUPPORTED;
        default:
            return CIK_CORRUPT;
    }
}

int cik_jpeg_open(const uint8_t *data, size_t size, cik_jpeg **out, cik_jpeg_info *info,
                  char *message, size_t message_size) {
    *out = NULL;
    struct cik_jpeg *ctx = calloc(1, sizeof(struct cik_jpeg));
    if (!ctx) {
        set_message(message, message_size, "out of memory");
        return CIK_NO_MEMORY;
    }
    ctx->data = data;
    ctx->size = size;
    ctx->cinfo.err = jpeg_std_error(&ctx->err);
    ctx->err.error_exit = jpeg_error_exit;
    ctx->err.emit_message = jpeg_silent_message;
    ctx->err.output_message = jpeg_no_output;
    ctx->cinfo.client_data = ctx;
    if (setjmp(ctx->jump)) {
        int status = jpeg_status(ctx, message, message_size);
        jpeg_destroy_decompress(&ctx->cinfo);
        free(ctx);
        return status;
    }
    jpeg_create_decompress(&ctx->cinfo);
    ctx->src.init_source = src_init;
    ctx->src.fill_input_buffer = src_fill;
    ctx->src.skip_input_data = src_skip;
    ctx->src.resync_to_restart = jpeg_resync_to_restart;
    ctx->src.term_source = src_term;
    ctx->src.next_input_byte = data;
    ctx->src.bytes_in_buffer = size;
    ctx->cinfo.src = &ctx->src;
    jpeg_read_header(&ctx->cinfo, TRUE);
    if (ctx->cinfo.data_precision != 8) {
        set_message(message, message_size, "only 8-bit JPEG samples are supported");
        jpeg_destroy_decompress(&ctx->cinfo);
        free(ctx);
        return CIK_UNSUPPORTED;
    }
    // Output colour space as Pillow asks for it: by component count.
    switch (ctx->cinfo.num_components) {
        case 1: ctx->cinfo.out_color_space = JCS_GRAYSCALE; info->components = 1; break;
        case 3: ctx->cinfo.out_color_space = JCS_RGB; info->components = 3; break;
        case 4: ctx->cinfo.out_color_space = JCS_CMYK; info->components = 4; break;
        default:
            set_message(message, message_size, "unsupported number of JPEG components");
            jpeg_destroy_decompress(&ctx->cinfo);
            free(ctx);
            return CIK_UNSUPPORTED;
    }
    ctx->cinfo.dct_method = JDCT_ISLOW;
    ctx->cinfo.do_fancy_upsampling = TRUE;
    info->width = ctx->cinfo.image_width;
    info->height = ctx->cinfo.image_height;
    *out = ctx;
    return CIK_OK;
}

int cik_jpeg_read(cik_jpeg *ctx, uint8_t *pixels, size_t stride, char *message, size_t message_size) {
    if (setjmp(ctx->jump)) {
        return jpeg_status(ctx, message, message_size);
    }
    jpeg_start_decompress(&ctx->cinfo);
    ctx->started = 1;
    if (ctx->cinfo.output_width != ctx->cinfo.image_width ||
        ctx->cinfo.output_height != ctx->cinfo.image_height ||
        ctx->cinfo.output_components * ctx->cinfo.output_width > stride) {
        set_message(message, message_size, "unexpected JPEG output geometry");
        return CIK_CORRUPT;
    }
    while (ctx->cinfo.output_scanline < ctx->cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)ctx->cinfo.output_scanline * stride;
        jpeg_read_scanlines(&ctx->cinfo, &row, 1);
    }
    jpeg_finish_decompress(&ctx->cinfo);
    return CIK_OK;
}

void cik_jpeg_close(cik_jpeg *ctx) {
    if (!ctx) {
        return;
    }
    if (setjmp(ctx->jump) == 0) {
        jpeg_destroy_decompress(&ctx->cinfo);
    }
    free(ctx);
}

// MARK: PNG

struct cik_png {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size;
    size_t offset;
    int truncated;
    char error[200];
};

static void png_read_memory(png_structp png, png_bytep out, png_size_t count) {
    struct cik_png *ctx = (struct cik_png *)png_get_io_ptr(png);
    if (count > ctx->size - ctx->offset) {
        ctx->truncated = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(out, ctx->data + ctx->offset, count);
    ctx->offset += count;
}

static void png_on_error(png_structp png, png_const_charp text) {
    struct cik_png *ctx = (struct cik_png *)png_get_error_ptr(png);
    set_message(ctx->error, sizeof ctx->error, text);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;  // libpng warnings are recoveries; the library never prints.
}

static int png_status(struct cik_png *ctx, char *message, size_t message_size) {
    set_message(message, message_size, ctx->error);
    if (ctx->truncated) {
        return CIK_TRUNCATED;
    }
    if (strstr(ctx->error, "zero") != NULL) {
        return CIK_EMPTY_IMAGE;  // "Image width is zero in IHDR" / "Image height is zero in IHDR"
    }
    if (strstr(ctx->error, "memory") != NULL) {
        return CIK_NO_MEMORY;
    }
    return CIK_CORRUPT;
}

int cik_png_open(const uint8_t *data, size_t size, cik_png **out, cik_png_info *info,
                 char *message, size_t message_size) {
    *out = NULL;
    struct cik_png *ctx = calloc(1, sizeof(struct cik_png));
    if (!ctx) {
        set_message(message, message_size, "out of memory");
        return CIK_NO_MEMORY;
    }
    ctx->data = data;
    ctx->size = size;
    ctx->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, png_on_error, png_on_warning);
    if (ctx->png) {
        ctx->info = png_create_info_struct(ctx->png);
    }
    if (!ctx->png || !ctx->info) {
        png_destroy_read_struct(ctx->png ? &ctx->png : NULL, NULL, NULL);
        free(ctx);
        set_message(message, message_size, "out of memory");
        return CIK_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(ctx->png))) {
        int status = png_status(ctx, message, message_size);
        png_destroy_read_struct(&ctx->png, &ctx->info, NULL);
        free(ctx);
        return status;
    }
    png_set_read_fn(ctx->png, ctx, png_read_memory);
    // Dimensions are policed by the caller's pixel limit, not libpng's 1,000,000-pixel sides.
    png_set_user_limits(ctx->png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_read_info(ctx->png, ctx->info);

    memset(info, 0, sizeof *info);
    info->width = png_get_image_width(ctx->png, ctx->info);
    info->height = png_get_image_height(ctx->png, ctx->info);
    info->bit_depth = png_get_bit_depth(ctx->png, ctx->info);
    info->color_type = png_get_color_type(ctx->png, ctx->info);
    info->interlaced = png_get_interlace_type(ctx->png, ctx->info) != PNG_INTERLACE_NONE;
    png_colorp palette = NULL;
    int count = 0;
    if (png_get_PLTE(ctx->png, ctx->info, &palette, &count) && palette) {
        if (count > 256) {
            count = 256;
        }
        info->palette_count = count;
        for (int i = 0; i < count; i++) {
            info->palette[i * 3 + 0] = palette[i].red;
            info->palette[i * 3 + 1] = palette[i].green;
            info->palette[i * 3 + 2] = palette[i].blue;
        }
    }
    png_bytep alpha = NULL;
    png_color_16p key = NULL;
    int trns = 0;
    if (png_get_tRNS(ctx->png, ctx->info, &alpha, &trns, &key)) {
        if (info->color_type == PNG_COLOR_TYPE_PALETTE && alpha) {
            if (trns > 256) {
                trns = 256;
            }
            memcpy(info->trns_alpha, alpha, (size_t)trns);
            info->trns_count = trns;
        } else if (key) {
            info->trns_count = 1;
            info->trns_gray = key->gray;
            info->trns_red = key->red;
            info->trns_green = key->green;
            info->trns_blue = key->blue;
        }
    }
    *out = ctx;
    return CIK_OK;
}

int cik_png_read(cik_png *ctx, uint8_t *pixels, size_t stride, int gray16,
                 char *message, size_t message_size) {
    // volatile: `rows` is assigned after setjmp, so without it the value seen after a longjmp
    // is indeterminate (in practice the NULL from before) and the array leaked on every
    // corrupt PNG. Found by the image fuzz target (LeakSanitizer); see docs/robustness.md.
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(ctx->png))) {
        free(rows);
        return png_status(ctx, message, message_size);
    }
    png_structp png = ctx->png;
    int color_type = png_get_color_type(png, ctx->info);
    int depth = png_get_bit_depth(png, ctx->info);
    int keep16 = gray16 && depth == 16 && color_type == PNG_COLOR_TYPE_GRAY;
    uint32_t width = png_get_image_width(png, ctx->info);
    uint32_t height = png_get_image_height(png, ctx->info);

    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    if (depth == 16) {
        if (keep16) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            png_set_swap(png);
#endif
        } else {
            png_set_strip_16(png);  // keeps the high byte, as Pillow's "RGB;16B" unpackers do
        }
    }
    if (!keep16 && (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA)) {
        png_set_gray_to_rgb(png);
    }
    png_set_strip_alpha(png);  // convert("RGB") drops alpha; tRNS is handled by the caller
    png_set_interlace_handling(png);
    png_read_update_info(png, ctx->info);

    size_t expected = keep16 ? (size_t)width * 2 : (size_t)width * 3;
    if (png_get_rowbytes(png, ctx->info) != expected || expected > stride) {
        set_message(message, message_size, "unexpected PNG row size");
        return CIK_CORRUPT;
    }
    rows = malloc(sizeof(png_bytep) * (height ? height : 1));
    if (!rows) {
        set_message(message, message_size, "out of memory");
        return CIK_NO_MEMORY;
    }
    for (uint32_t y = 0; y < height; y++) {
        rows[y] = pixels + (size_t)y * stride;
    }
    png_read_image(png, rows);
    free(rows);
    rows = NULL;
    return CIK_OK;
}

void cik_png_close(cik_png *ctx) {
    if (!ctx) {
        return;
    }
    png_destroy_read_struct(&ctx->png, &ctx->info, NULL);
    free(ctx);
}
