/*
 * clipkit_jni.c — the JNI glue between clipkit.spark.NativeEngine (Java) and libclipkit's C ABI
 * (Sources/CLIPKitABI/include/clipkit.h). It only marshals: Java arrays in, one C ABI call per
 * batch, Java arrays out. No model logic lives here.
 *
 * Why C: JNI's contract is a C header (jni.h) whose entry points must be exported under mangled
 * names with the JNIEnv calling convention; C calls clipkit.h directly and needs no runtime of its
 * own, so the glue is one small object that the system compiler builds against both headers. A
 * Swift glue would need a second Swift module and JNI's function-table structs bridged by hand;
 * Java 17 has no final foreign-function API that could call clipkit.h without any glue.
 *
 * Memory: Java arrays are copied into C buffers (Get<Type>ArrayRegion) rather than pinned with
 * GetPrimitiveArrayCritical, because a batch runs the model for a long time and a critical
 * region would hold off the garbage collector for every thread of the executor meanwhile.
 */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv */
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>

#include "clipkit.h"

/* Throws clipkit.spark.ClipkitException(status, message) (falls back to RuntimeException). */
static void throw_error(JNIEnv *env, int32_t status, const char *message) {
    if ((*env)->ExceptionCheck(env)) return;
    jclass cls = (*env)->FindClass(env, "clipkit/spark/ClipkitException");
    if (cls != NULL) {
        jmethodID init = (*env)->GetMethodID(env, cls, "<init>", "(ILjava/lang/String;)V");
        if (init != NULL) {
            jstring text = (*env)->NewStringUTF(env, message != NULL ? message : "clipkit: unknown error");
            if (text != NULL) {
                jobject error = (*env)->NewObject(env, cls, init, (jint)status, text);
                if (error != NULL) (*env)->Throw(env, (jthrowable)error);
            }
            return;
        }
    }
    (*env)->ExceptionClear(env);
    jclass fallback = (*env)->FindClass(env, "java/lang/RuntimeException");
    if (fallback != NULL) (*env)->ThrowNew(env, fallback, message != NULL ? message : "clipkit: unknown error");
}

static void throw_and_free(JNIEnv *env, int32_t status, char *message) {
    throw_error(env, status, message);
    clipkit_string_free(message);
}

/* A Java string as modified UTF-8 (identical to UTF-8 for text without NUL or astral
 * characters; labels and paths with those are rare and are passed as Java encodes them). */
typedef struct {
    jstring java;
    const char *utf8;
} utf8_string;

static int utf8_open(JNIEnv *env, jstring java, utf8_string *out) {
    out->java = java;
    out->utf8 = NULL;
    if (java == NULL) return 1;
    out->utf8 = (*env)->GetStringUTFChars(env, java, NULL);
    return out->utf8 != NULL;
}

static void utf8_close(JNIEnv *env, utf8_string *s) {
    if (s->java != NULL && s->utf8 != NULL) (*env)->ReleaseStringUTFChars(env, s->java, s->utf8);
    s->utf8 = NULL;
}

JNIEXPORT jstring JNICALL Java_clipkit_spark_NativeEngine_version(JNIEnv *env, jclass cls) {
    (void)cls;
    return (*env)->NewStringUTF(env, clipkit_version());
}

JNIEXPORT jint JNICALL Java_clipkit_spark_NativeEngine_abiVersion(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
    return CLIPKIT_ABI_VERSION;
}

/* setenv for the Hub settings the engine reads (HF_ENDPOINT…): the JVM cannot change its own
 * process environment. Returns false on failure. */
JNIEXPORT jboolean JNICALL Java_clipkit_spark_NativeEngine_setEnvironment(JNIEnv *env, jclass cls, jstring name,
                                                                         jstring value) {
    (void)cls;
    utf8_string n, v;
    if (name == NULL || !utf8_open(env, name, &n)) return JNI_FALSE;
    if (!utf8_open(env, value, &v)) {
        utf8_close(env, &n);
        return JNI_FALSE;
    }
    int rc = value == NULL ? unsetenv(n.utf8) : setenv(n.utf8, v.utf8, 1);
    utf8_close(env, &v);
    utf8_close(env, &n);
    return rc == 0 ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT jstring JNICALL Java_clipkit_spark_NativeEngine_resolveModel(JNIEnv *env, jclass cls, jstring model) {
    (void)cls;
    utf8_string m;
    if (model == NULL || !utf8_open(env, model, &m)) {
        throw_error(env, CLIPKIT_ERROR_INVALID_ARGUMENT, "resolveModel: model is null");
        return NULL;
    }
    char *path = NULL, *error = NULL;
    int32_t status = clipkit_resolve_model(m.utf8, &path, &error);
    utf8_close(env, &m);
    if (status != CLIPKIT_OK) {
        throw_and_free(env, status, error);
        return NULL;
    }
    jstring out = (*env)->NewStringUTF(env, path);
    clipkit_string_free(path);
    return out;
}

JNIEXPORT jlong JNICALL Java_clipkit_spark_NativeEngine_createClassifier(JNIEnv *env, jclass cls, jstring model,
                                                                        jobjectArray labels, jstring template_,
                                                                        jint threads, jint batchSize,
                                                                        jstring precision, jstring preprocessorJson) {
    (void)cls;
    if (model == NULL || labels == NULL) {
        throw_error(env, CLIPKIT_ERROR_INVALID_ARGUMENT, "createClassifier: model and labels are required");
        return 0;
    }
    jsize count = (*env)->GetArrayLength(env, labels);
    utf8_string m, t, p, j;
    int ok = utf8_open(env, model, &m);
    ok = utf8_open(env, template_, &t) && ok;
    ok = utf8_open(env, precision, &p) && ok;
    ok = utf8_open(env, preprocessorJson, &j) && ok;
    utf8_string *items = calloc(count > 0 ? (size_t)count : 1, sizeof(utf8_string));
    const char **texts = calloc(count > 0 ? (size_t)count : 1, sizeof(char *));
    jsize opened = 0;
    if (items == NULL || texts == NULL) ok = 0;
    for (; ok && opened < count; opened++) {
        jstring label = (jstring)(*env)->GetObjectArrayElement(env, labels, opened);
        if (label == NULL || !utf8_open(env, label, &items[opened])) {
            ok = 0;
            break;
        }
        texts[opened] = items[opened].utf8;
    }
    clipkit_classifier *classifier = NULL;
    char *error = NULL;
    int32_t status = CLIPKIT_ERROR_INVALID_ARGUMENT;
    if (ok) {
        clipkit_options options;
        clipkit_options_init(&options);
        options.threads = threads;
        options.batch_size = batchSize;
        options.precision = p.utf8;
        options.preprocessor_json = j.utf8;
        status = clipkit_classifier_create(m.utf8, texts, (int32_t)count, t.utf8, &options, &classifier, &error);
    }
    for (jsize i = 0; i < opened; i++) {
        utf8_close(env, &items[i]);
        (*env)->DeleteLocalRef(env, items[i].java);
    }
    free(items);
    free(texts);
    utf8_close(env, &j);
    utf8_close(env, &p);
    utf8_close(env, &t);
    utf8_close(env, &m);
    if (!ok) {
        throw_error(env, CLIPKIT_ERROR_INVALID_ARGUMENT, "createClassifier: a label is null or out of memory");
        return 0;
    }
    if (status != CLIPKIT_OK) {
        throw_and_free(env, status, error);
        return 0;
    }
    return (jlong)(intptr_t)classifier;
}

JNIEXPORT jint JNICALL Java_clipkit_spark_NativeEngine_labelCount(JNIEnv *env, jclass cls, jlong handle) {
    (void)env;
    (void)cls;
    return clipkit_classifier_label_count((const clipkit_classifier *)(intptr_t)handle);
}

JNIEXPORT void JNICALL Java_clipkit_spark_NativeEngine_freeClassifier(JNIEnv *env, jclass cls, jlong handle) {
    (void)env;
    (void)cls;
    clipkit_classifier_free((clipkit_classifier *)(intptr_t)handle);
}

/* Copies a Java int array of exactly `count` entries; NULL (with an exception) on failure. */
static int32_t *copy_ints(JNIEnv *env, jintArray array, jsize count, const char *what) {
    if (array == NULL || (*env)->GetArrayLength(env, array) != count) {
        throw_error(env, CLIPKIT_ERROR_INVALID_ARGUMENT, what);
        return NULL;
    }
    int32_t *out = malloc(count > 0 ? (size_t)count * sizeof(int32_t) : 1);
    if (out == NULL) {
        throw_error(env, CLIPKIT_ERROR_INVALID_ARGUMENT, "out of memory");
        return NULL;
    }
    (*env)->GetIntArrayRegion(env, array, 0, count, (jint *)out);
    return out;
}

/*
 * One batch through the classifier. `data` holds every image back to back, image i at
 * data[offsets[i] .. offsets[i+1]). `heights` NULL: encoded files; else raw pixels in `order`.
 * Outputs: probabilities (count × labels), sizes (count × 2), statuses (count), messages (count:
 * null for a good item). Returns the call's status (item statuses are in `statuses`).
 */
static jint classify(JNIEnv *env, jlong handle, jbyteArray data, jlongArray offsets, jintArray heights,
                     jintArray widths, jintArray channels, jint order, jfloatArray probabilities,
                     jintArray sizes, jintArray statuses, jobjectArray messages) {
    const clipkit_classifier *classifier = (const clipkit_classifier *)(intptr_t)handle;
    if (classifier == NULL || data == NULL || offsets == NULL || probabilities == NULL || sizes == NULL ||
        statuses == NULL || messages == NULL) {
        throw_error(env, CLIPKIT_ERROR_INVALID_ARGUMENT, "classify: null argument");
        return CLIPKIT_ERROR_INVALID_ARGUMENT;
    }
    jsize count = (*env)->GetArrayLength(env, statuses);
    int32_t labels = clipkit_classifier_label_count(classifier);
    jsize bytes = (*env)->GetArrayLength(env, data);
    if ((int64_t)(*env)->GetArrayLength(env, offsets) != (int64_t)count + 1 ||
        (int64_t)(*env)->GetArrayLength(env, sizes) != 2 * (int64_t)count ||
        (*env)->GetArrayLength(env, messages) != count || labels <= 0 ||
        (int64_t)(*env)->GetArrayLength(env, probabilities) != (int64_t)count * labels) {
        throw_error(env, CLIPKIT_ERROR_INVALID_ARGUMENT, "classify: output arrays do not match the batch");
        return CLIPKIT_ERROR_INVALID_ARGUMENT;
    }
    int64_t *offs = malloc(((size_t)count + 1) * sizeof(int64_t));
    uint8_t *buffer = malloc(bytes > 0 ? (size_t)bytes : 1);
    float *probs = malloc(count > 0 ? (size_t)count * (size_t)labels * sizeof(float) : 1);
    int32_t *size_out = malloc(count > 0 ? 2 * (size_t)count * sizeof(int32_t) : 1);
    int32_t *status_out = malloc(count > 0 ? (size_t)count * sizeof(int32_t) : 1);
    char **message_out = calloc(count > 0 ? (size_t)count : 1, sizeof(char *));
    int32_t *h = NULL, *w = NULL, *c = NULL;
    jint status = CLIPKIT_ERROR_INVALID_ARGUMENT;
    if (offs == NULL || buffer == NULL || probs == NULL || size_out == NULL || status_out == NULL ||
        message_out == NULL) {
        throw_error(env, CLIPKIT_ERROR_INVALID_ARGUMENT, "classify: out of memory");
        goto done;
    }
    (*env)->GetLongArrayRegion(env, offsets, 0, count + 1, (jlong *)offs);
    (*env)->GetByteArrayRegion(env, data, 0, bytes, (jbyte *)buffer);
    /* Every range must lie inside `data`: 0 <= offs[0] <= ... <= offs[count] <= bytes. */
    for (jsize i = 0; i <= count; i++) {
        if (offs[i] < 0 || offs[i] > (int64_t)bytes || (i > 0 && offs[i] < offs[i - 1])) {
            throw_error(env, CLIPKIT_ERROR_INVALID_ARGUMENT, "classify: offsets are not ranges inside the data");
            goto done;
        }
    }
    if (heights != NULL) {
        if ((h = copy_ints(env, heights, count, "classify: heights do not match the batch")) == NULL) goto done;
        if ((w = copy_ints(env, widths, count, "classify: widths do not match the batch")) == NULL) goto done;
        if ((c = copy_ints(env, channels, count, "classify: channels do not match the batch")) == NULL) goto done;
        status = clipkit_classifier_classify_pixels(classifier, count, buffer, offs, h, w, c, order, probs,
                                                    size_out, status_out, message_out);
    } else {
        status = clipkit_classifier_classify_encoded(classifier, count, buffer, offs, probs, size_out, status_out,
                                                     message_out);
    }
    if (status == CLIPKIT_OK) {
        (*env)->SetFloatArrayRegion(env, probabilities, 0, count * labels, probs);
        (*env)->SetIntArrayRegion(env, sizes, 0, 2 * count, (const jint *)size_out);
        (*env)->SetIntArrayRegion(env, statuses, 0, count, (const jint *)status_out);
        for (jsize i = 0; i < count && !(*env)->ExceptionCheck(env); i++) {
            if (message_out[i] == NULL) continue;
            jstring text = (*env)->NewStringUTF(env, message_out[i]);
            if (text == NULL) break;
            (*env)->SetObjectArrayElement(env, messages, i, text);
            (*env)->DeleteLocalRef(env, text);
        }
    } else {
        throw_error(env, status, "classify: the batch was rejected (see the executor log)");
    }
done:
    if (message_out != NULL) {
        for (jsize i = 0; i < count; i++) clipkit_string_free(message_out[i]);
    }
    free(message_out);
    free(status_out);
    free(size_out);
    free(probs);
    free(buffer);
    free(offs);
    free(h);
    free(w);
    free(c);
    return status;
}

JNIEXPORT jint JNICALL Java_clipkit_spark_NativeEngine_classifyEncoded(JNIEnv *env, jclass cls, jlong handle,
                                                                      jbyteArray data, jlongArray offsets,
                                                                      jfloatArray probabilities, jintArray sizes,
                                                                      jintArray statuses, jobjectArray messages) {
    (void)cls;
    return classify(env, handle, data, offsets, NULL, NULL, NULL, 0, probabilities, sizes, statuses, messages);
}

JNIEXPORT jint JNICALL Java_clipkit_spark_NativeEngine_classifyPixels(JNIEnv *env, jclass cls, jlong handle,
                                                                     jbyteArray data, jlongArray offsets,
                                                                     jintArray heights, jintArray widths,
                                                                     jintArray channels, jint order,
                                                                     jfloatArray probabilities, jintArray sizes,
                                                                     jintArray statuses, jobjectArray messages) {
    (void)cls;
    if (heights == NULL || widths == NULL || channels == NULL) {
        throw_error(env, CLIPKIT_ERROR_INVALID_ARGUMENT, "classifyPixels: heights, widths and channels are required");
        return CLIPKIT_ERROR_INVALID_ARGUMENT;
    }
    return classify(env, handle, data, offsets, heights, widths, channels, order, probabilities, sizes, statuses,
                    messages);
}
