/* A Mochi library's native side, written in C for the tests: the ABI of
 * docs/native-library.md for the declarations in mathx.mochi. Build:
 *   gcc -shared -fPIC -O2 -o libmathx.so mathx.c */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const uint8_t *ptr; int32_t len; } mochi_str;
typedef struct { uint8_t *type_name; int32_t type_name_len; uint8_t *message; int32_t message_len; } mochi_error;
typedef intptr_t mochi_handle;
typedef struct { mochi_str key; int64_t value; } entry_str_i64;

#define OK 0
#define FAILED 1
#define EXPORT __attribute__((visibility("default")))

static uint8_t *dup_bytes(const void *p, size_t n) {
    uint8_t *r = malloc(n ? n : 1);
    if (n) memcpy(r, p, n);
    return r;
}

static int32_t fail_with(mochi_error *err, const char *type, const uint8_t *msg, size_t msg_len) {
    if (err) {
        err->type_name = dup_bytes(type, strlen(type));
        err->type_name_len = (int32_t)strlen(type);
        err->message = dup_bytes(msg, msg_len);
        err->message_len = (int32_t)msg_len;
    }
    return FAILED;
}

static int32_t fail_text(mochi_error *err, const char *type, const char *msg) {
    return fail_with(err, type, (const uint8_t *)msg, strlen(msg));
}

EXPORT int32_t mochi_mathx_abi_version(void) { return 1; }
EXPORT void mochi_mathx_free(void *p) { free(p); }

typedef struct { int64_t total; } counter;
static atomic_long live = 0;

EXPORT int32_t mochi_mathx_handle_release(mochi_handle h, mochi_error *err) {
    if (h == 0) return OK;
    free((counter *)h);
    atomic_fetch_sub(&live, 1);
    (void)err;
    return OK;
}

EXPORT int32_t mochi_mathx_add(int64_t a, int64_t b, int64_t *result, mochi_error *err) {
    (void)err;
    *result = a + b;
    return OK;
}

EXPORT int32_t mochi_mathx_div(int64_t a, int64_t b, int64_t *result, mochi_error *err) {
    if (b == 0) return fail_text(err, "DivideByZero", "division of an integer by zero");
    *result = a / b;
    return OK;
}

EXPORT int32_t mochi_mathx_is_even(int64_t n, uint8_t *result, mochi_error *err) {
    (void)err;
    *result = (n % 2) == 0;
    return OK;
}

EXPORT int32_t mochi_mathx_scale(double x, double k, double *result, mochi_error *err) {
    (void)err;
    *result = x * k;
    return OK;
}

EXPORT int32_t mochi_mathx_greet(const uint8_t *name, int32_t name_len, uint8_t **result, int32_t *result_len, mochi_error *err) {
    (void)err;
    const char *pre = "Hello, ";
    size_t n = strlen(pre) + (size_t)name_len + 1;
    uint8_t *r = malloc(n);
    memcpy(r, pre, strlen(pre));
    memcpy(r + strlen(pre), name, (size_t)name_len);
    r[n - 1] = '!';
    *result = r;
    *result_len = (int32_t)n;
    return OK;
}

/* Words of text split on ' ': one block, mochi_str array then the bytes. */
static mochi_str *split_words(const uint8_t *text, int32_t len, int32_t *count) {
    int32_t n = 0;
    for (int32_t i = 0; i < len; i++)
        if (text[i] != ' ' && (i == 0 || text[i - 1] == ' ')) n++;
    *count = n;
    if (n == 0) return NULL;
    mochi_str *block = malloc((size_t)n * sizeof(mochi_str) + (size_t)len);
    uint8_t *bytes = (uint8_t *)(block + n);
    memcpy(bytes, text, (size_t)len);
    int32_t w = 0;
    for (int32_t i = 0; i < len; i++) {
        if (text[i] != ' ' && (i == 0 || text[i - 1] == ' ')) {
            int32_t j = i;
            while (j < len && text[j] != ' ') j++;
            block[w].ptr = bytes + i;
            block[w].len = j - i;
            w++;
        }
    }
    return block;
}

EXPORT int32_t mochi_mathx_words(const uint8_t *text, int32_t text_len, mochi_str **result, int32_t *result_len, mochi_error *err) {
    (void)err;
    *result = split_words(text, text_len, result_len);
    return OK;
}

EXPORT int32_t mochi_mathx_sum(const int64_t *xs, int32_t xs_len, int64_t *result, mochi_error *err) {
    (void)err;
    int64_t s = 0;
    for (int32_t i = 0; i < xs_len; i++) s += xs[i];
    *result = s;
    return OK;
}

EXPORT int32_t mochi_mathx_mean(const double *xs, int32_t xs_len, uint8_t *has, double *result, mochi_error *err) {
    (void)err;
    if (xs_len <= 0) { *has = 0; return OK; }
    double s = 0;
    for (int32_t i = 0; i < xs_len; i++) s += xs[i];
    *has = 1;
    *result = s / xs_len;
    return OK;
}

EXPORT int32_t mochi_mathx_first_long(const mochi_str *words, int32_t words_len, int64_t min, uint8_t **result, int32_t *result_len, mochi_error *err) {
    (void)err;
    for (int32_t i = 0; i < words_len; i++) {
        if (words[i].len > min) {
            *result = dup_bytes(words[i].ptr, (size_t)words[i].len);
            *result_len = words[i].len;
            return OK;
        }
    }
    *result = NULL;
    *result_len = -1;
    return OK;
}

EXPORT int32_t mochi_mathx_word_counts(const uint8_t *text, int32_t text_len, entry_str_i64 **result, int32_t *result_len, mochi_error *err) {
    (void)err;
    int32_t n = 0;
    mochi_str *ws = split_words(text, text_len, &n);
    entry_str_i64 *block = malloc((size_t)(n ? n : 1) * sizeof(entry_str_i64) + (size_t)text_len + 1);
    uint8_t *bytes = (uint8_t *)(block + (n ? n : 1));
    int32_t distinct = 0;
    size_t used = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t found = -1;
        for (int32_t j = 0; j < distinct; j++)
            if (block[j].key.len == ws[i].len && memcmp(block[j].key.ptr, ws[i].ptr, (size_t)ws[i].len) == 0) found = j;
        if (found >= 0) { block[found].value++; continue; }
        memcpy(bytes + used, ws[i].ptr, (size_t)ws[i].len);
        block[distinct].key.ptr = bytes + used;
        block[distinct].key.len = ws[i].len;
        block[distinct].value = 1;
        used += (size_t)ws[i].len;
        distinct++;
    }
    free(ws);
    *result = block;
    *result_len = distinct;
    return OK;
}

EXPORT int32_t mochi_mathx_total(const entry_str_i64 *m, int32_t m_len, int64_t *result, mochi_error *err) {
    (void)err;
    int64_t s = 0;
    for (int32_t i = 0; i < m_len; i++) s += m[i].value;
    *result = s;
    return OK;
}

EXPORT int32_t mochi_mathx_flip(uint8_t flag_has, uint8_t flag, uint8_t *result_has, uint8_t *result, mochi_error *err) {
    (void)err;
    *result_has = flag_has;
    *result = flag_has ? !flag : 0;
    return OK;
}

EXPORT int32_t mochi_mathx_counter_new(int64_t start, mochi_handle *result, mochi_error *err) {
    (void)err;
    counter *c = malloc(sizeof(counter));
    c->total = start;
    atomic_fetch_add(&live, 1);
    *result = (mochi_handle)c;
    return OK;
}

EXPORT int32_t mochi_mathx_counter_add(mochi_handle c, int64_t by, int64_t *result, mochi_error *err) {
    if (c == 0) return fail_text(err, "NullCounter", "no counter");
    ((counter *)c)->total += by;
    *result = ((counter *)c)->total;
    return OK;
}

EXPORT int32_t mochi_mathx_counter_peek(mochi_handle c, uint8_t *has, int64_t *result, mochi_error *err) {
    (void)err;
    if (c == 0) { *has = 0; return OK; }
    *has = 1;
    *result = ((counter *)c)->total;
    return OK;
}

EXPORT int32_t mochi_mathx_live_counters(int64_t *result, mochi_error *err) {
    (void)err;
    *result = atomic_load(&live);
    return OK;
}

EXPORT int32_t mochi_mathx_fail(const uint8_t *message, int32_t message_len, mochi_error *err) {
    return fail_with(err, "Boom", message, (size_t)message_len);
}
