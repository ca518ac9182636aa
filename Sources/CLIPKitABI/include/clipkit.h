/*
 * clipkit.h — the C ABI of libclipkit.so: zero-shot image classification and CLIP embeddings
 * with the clipkit engine (exact to Hugging Face transformers' PIL path).
 *
 * Build:  swift build -c release --product clipkit   →  .build/release/libclipkit.so
 * The functions are implemented in Swift (Sources/CLIPKitC, `@_cdecl`); this header is their
 * contract and is also compiled into the Swift side so the struct layouts cannot drift.
 *
 * OWNERSHIP
 *   - Handles (clipkit_classifier, clipkit_embedder) are created by *_create and released by the
 *     matching *_free (NULL is accepted). Freeing a handle while another thread uses it is the
 *     caller's bug.
 *   - Every `char *` the library hands out (error messages, per-item messages, resolved paths)
 *     is allocated by the library and released with clipkit_string_free().
 *   - Input buffers are borrowed for the duration of the call only; output buffers are allocated
 *     by the caller with the documented sizes.
 *
 * THREAD SAFETY
 *   - Every function may be called from any thread. Handles are immutable after creation: any
 *     number of threads may classify or embed with one handle at the same time.
 *   - Models are loaded once per process: handles created for the same model folder (and
 *     precision) share one copy of the weights, held in a locked registry for the life of the
 *     process. Loading is serialised by that lock.
 *   - `threads` in clipkit_options is a process-wide setting (the BLAS thread pool).
 *
 * ERRORS
 *   - Functions return a clipkit_status. Calls on batches return CLIPKIT_OK when the batch was
 *     processed, even if some items failed: each item then has its own status and message. A
 *     failed item never shifts another item's result, and no input can crash or exit the process.
 */
#ifndef CLIPKIT_H
#define CLIPKIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this ABI; bumped when a function or struct changes incompatibly. */
#define CLIPKIT_ABI_VERSION 1

/** Result codes, for whole calls and for single items. */
typedef enum clipkit_status {
    CLIPKIT_OK = 0,
    /** A NULL pointer, a negative count, inconsistent sizes, an empty or duplicate label… */
    CLIPKIT_ERROR_INVALID_ARGUMENT = 1,
    /** The model could not be found, downloaded or loaded. */
    CLIPKIT_ERROR_MODEL = 2,
    /** An item's bytes are not a decodable image (or its pixel buffer is inconsistent). */
    CLIPKIT_ERROR_IMAGE = 3,
    /** The engine failed while running the model. */
    CLIPKIT_ERROR_INFERENCE = 4,
    /** A setting this build does not support (e.g. an unknown precision). */
    CLIPKIT_ERROR_UNSUPPORTED = 5,
} clipkit_status;

/** Byte order of raw pixel buffers with 3 or 4 channels. */
typedef enum clipkit_channel_order {
    /** B, G, R[, A] — what Spark's `format("image")` source (OpenCV layout) gives. */
    CLIPKIT_CHANNELS_BGR = 0,
    /** R, G, B[, A]. */
    CLIPKIT_CHANNELS_RGB = 1,
} clipkit_channel_order;

/** A classifier: a model plus candidate labels whose prompts are embedded once, at creation. */
typedef struct clipkit_classifier clipkit_classifier;
/** An embedder: a model for image and text embeddings. */
typedef struct clipkit_embedder clipkit_embedder;

/**
 * Settings for creating a handle. Initialise with clipkit_options_init(), then change fields.
 */
typedef struct clipkit_options {
    /** sizeof(clipkit_options) as the caller knows it; lets later versions append fields. */
    uint32_t struct_size;
    /** BLAS/decoding threads; 0 leaves the process setting (all cores). Process-wide. */
    int32_t threads;
    /** Images per call of the vision tower; 0 means 8; at most 4096. */
    int32_t batch_size;
    /** Non-zero: ignore EXIF orientation of encoded images (default 0: apply it, as HF does). */
    int32_t ignore_exif;
    /** Encoder weights precision: NULL or "fp32" (exact), "bf16" or "int8" (see docs/precision.md).
     *  Other values give CLIPKIT_ERROR_UNSUPPORTED. */
    const char *precision;
    /**
     * NULL, or a JSON object with `preprocessor_config.json` keys (do_resize, size, resample,
     * do_center_crop, crop_size, do_rescale, rescale_factor, do_normalize, image_mean,
     * image_std, do_convert_rgb) that override the model folder's image preprocessing.
     */
    const char *preprocessor_json;
} clipkit_options;

/** The library's version, e.g. "0.1.0" (static storage; do not free). */
const char *clipkit_version(void);

/** Fills `options` with the defaults. */
void clipkit_options_init(clipkit_options *options);

/** Releases a string the library allocated. NULL is accepted. */
void clipkit_string_free(char *string);

/**
 * Resolves a model reference to a local folder: a folder path as is; a Hugging Face Hub id
 * (`org/name`, optionally `@revision`) or a Spark NLP name
 * (`zero_shot_classifier_clip_vit_base_patch32`, `clip_vit_large_patch14`) through the
 * Hugging Face cache, downloading what is missing (HF_HOME, HF_HUB_CACHE, HF_ENDPOINT,
 * HF_TOKEN, HF_HUB_OFFLINE=1 are honoured). On success `*path` is set (free it).
 */
int32_t clipkit_resolve_model(const char *model, char **path, char **error);

/* ---- Classifier ------------------------------------------------------------------------- */

/**
 * Creates a classifier for `model` (as clipkit_resolve_model takes) and `label_count` labels.
 * Each label's prompt is `template_` with every "{}" replaced by the label (NULL means the
 * model family's template: "{}" for CLIP, "This is a photo of {}." for SigLIP).
 * Several templates, one per line ("a photo of a {}.\na drawing of a {}."), or the name of a
 * built-in set ("openai-imagenet", 80 templates; "simple-imagenet", 7) make an ensemble: each
 * label's normalised prompt embeddings are averaged and normalised again (open_clip's method).
 * `options` may be NULL (defaults). On success `*classifier` is set; on failure `*error` gets
 * a message (if `error` is not NULL).
 */
int32_t clipkit_classifier_create(const char *model, const char *const *labels, int32_t label_count,
                                  const char *template_, const clipkit_options *options,
                                  clipkit_classifier **classifier, char **error);

/** Number of labels (the width of each probability row). */
int32_t clipkit_classifier_label_count(const clipkit_classifier *classifier);

/**
 * Classifies `count` encoded images (JPEG, PNG, GIF, BMP, WebP; decoded PIL-exactly, EXIF
 * applied). Image i is `data[offsets[i] ..< offsets[i + 1]]` (`offsets` has count + 1 entries,
 * non-decreasing: an Arrow binary column's layout).
 * Outputs, caller-allocated: `probabilities` count × label_count floats (the model family's
 * probabilities, label order: softmax over the labels for CLIP, a sigmoid per label for SigLIP;
 * rows of failed items are set to 0); `sizes` count × 2 int32 (height,
 * width of the decoded image after EXIF orientation; -1 for failed items) or NULL; `statuses`
 * count entries; `messages` count entries (NULL for a good item, else a message to free) or NULL.
 */
int32_t clipkit_classifier_classify_encoded(const clipkit_classifier *classifier, int64_t count,
                                            const uint8_t *data, const int64_t *offsets,
                                            float *probabilities, int32_t *sizes, int32_t *statuses,
                                            char **messages);

/**
 * Classifies `count` raw 8-bit images, row-major, `channels` 1 (gray), 3 or 4 (alpha dropped,
 * as PIL's convert("RGB") does) in `order`. Image i is `data[offsets[i] ..< offsets[i + 1]]`
 * and must be exactly heights[i] × widths[i] × channels[i] bytes. Converted to RGB, then
 * through the same PIL-exact resize, crop and normalisation as encoded images.
 * Outputs as clipkit_classifier_classify_encoded.
 */
int32_t clipkit_classifier_classify_pixels(const clipkit_classifier *classifier, int64_t count,
                                           const uint8_t *data, const int64_t *offsets,
                                           const int32_t *heights, const int32_t *widths,
                                           const int32_t *channels, int32_t order,
                                           float *probabilities, int32_t *sizes, int32_t *statuses,
                                           char **messages);

/** Releases a classifier (the shared model stays loaded for other handles). NULL is accepted. */
void clipkit_classifier_free(clipkit_classifier *classifier);

/* ---- Embedder --------------------------------------------------------------------------- */

/** Creates an embedder for `model`; as clipkit_classifier_create without labels. */
int32_t clipkit_embedder_create(const char *model, const clipkit_options *options,
                                clipkit_embedder **embedder, char **error);

/** Width of the embedding space (e.g. 512 for ViT-B/32). */
int32_t clipkit_embedder_dimension(const clipkit_embedder *embedder);

/**
 * L2-normalised image embeddings of `count` encoded images (layout as
 * clipkit_classifier_classify_encoded); `embeddings` holds count × dimension floats (rows of
 * failed items are set to 0); `sizes`, `statuses`, `messages` as there.
 */
int32_t clipkit_embedder_embed_encoded(const clipkit_embedder *embedder, int64_t count,
                                       const uint8_t *data, const int64_t *offsets,
                                       float *embeddings, int32_t *sizes, int32_t *statuses,
                                       char **messages);

/** L2-normalised image embeddings of raw pixel buffers (layout as clipkit_classifier_classify_pixels). */
int32_t clipkit_embedder_embed_pixels(const clipkit_embedder *embedder, int64_t count,
                                      const uint8_t *data, const int64_t *offsets,
                                      const int32_t *heights, const int32_t *widths,
                                      const int32_t *channels, int32_t order,
                                      float *embeddings, int32_t *sizes, int32_t *statuses,
                                      char **messages);

/**
 * L2-normalised text embeddings of `count` UTF-8 strings (CLIP tokenizer, truncated at 77
 * tokens); `embeddings` holds count × dimension floats. All or nothing: on failure `*error`.
 */
int32_t clipkit_embedder_embed_texts(const clipkit_embedder *embedder, int64_t count,
                                     const char *const *texts, float *embeddings, char **error);

/** Releases an embedder. NULL is accepted. */
void clipkit_embedder_free(clipkit_embedder *embedder);

#ifdef __cplusplus
}
#endif

#endif /* CLIPKIT_H */
