/* A C caller of .NET through the host API and the shim ABI, as declared in
 * include/mochi_dotnet_host.h. Built as a shared library by tests/it/capi.rs and given
 * the host functions as a table (a test executable does not export its symbols
 * to libraries it loads); the types come from the header's prototypes. */
#include "mochi_dotnet_host.h"

#include <stdio.h>
#include <string.h>

typedef struct host_api {
    __typeof__(mochi_dotnet_host_api_version) *host_api_version;
    __typeof__(mochi_dotnet_start) *start;
    __typeof__(mochi_dotnet_prepare_thread) *prepare_thread;
    __typeof__(mochi_dotnet_shim_load) *shim_load;
    __typeof__(mochi_dotnet_shim_export) *shim_export;
    __typeof__(mochi_dotnet_shim_free) *shim_free;
    __typeof__(mochi_dotnet_shim_release) *shim_release;
    __typeof__(mochi_dotnet_shim_live_handles) *shim_live_handles;
    __typeof__(mochi_dotnet_shim_close) *shim_close;
    __typeof__(mochi_dotnet_last_error) *last_error;
} host_api;

typedef int32_t (*add_fn)(int64_t, int64_t, int64_t *, mochi_error *);
typedef int32_t (*echo_fn)(const uint8_t *, int32_t, uint8_t **, int32_t *, mochi_error *);
typedef int32_t (*new_fn)(const uint8_t *, int32_t, int64_t, mochi_handle *, mochi_error *);
typedef int32_t (*incr_fn)(mochi_handle, int64_t, int64_t *, mochi_error *);
typedef int32_t (*fail_fn)(const uint8_t *, int32_t, int64_t *, mochi_error *);
typedef int32_t (*upper_fn)(const mochi_str *, int32_t, mochi_str **, int32_t *, mochi_error *);

#define CHECK(cond, ...)                          \
    do {                                          \
        if (!(cond)) {                            \
            snprintf(out, out_len, __VA_ARGS__);  \
            return 1;                             \
        }                                         \
    } while (0)

static const char *EXPORTS = "Mochi.Shim.AbiFixture.Exports";

static int same(const uint8_t *p, int32_t n, const char *want) {
    return n == (int32_t)strlen(want) && (n == 0 || memcmp(p, want, (size_t)n) == 0);
}

int abi_caller_run(const host_api *api, const char *dotnet_root, const char *shim_path, char *out, size_t out_len) {
    CHECK(api->host_api_version() == 1, "host api version");
    CHECK(api->start(dotnet_root, 8, 0) == 0, "start: %s", api->last_error());
    CHECK(api->prepare_thread() == 0, "prepare: %s", api->last_error());
    mochi_dotnet_shim *shim = api->shim_load(shim_path);
    CHECK(shim != NULL, "load: %s", api->last_error());
    mochi_error err = {0};

    add_fn add = (add_fn)api->shim_export(shim, EXPORTS, "mochi_abi_fixture_calc_add");
    CHECK(add != NULL, "export add: %s", api->last_error());
    int64_t sum = 0;
    CHECK(add(40, 2, &sum, &err) == MOCHI_OK && sum == 42, "add gave %lld", (long long)sum);

    echo_fn echo = (echo_fn)api->shim_export(shim, EXPORTS, "mochi_abi_fixture_text_echo");
    CHECK(echo != NULL, "export echo: %s", api->last_error());
    const char *text = "C says h\xc3\xa9llo \xf0\x9f\x8e\x89";
    uint8_t *back = NULL;
    int32_t back_len = 0;
    CHECK(echo((const uint8_t *)text, (int32_t)strlen(text), &back, &back_len, &err) == MOCHI_OK, "echo failed");
    CHECK(same(back, back_len, text), "echo returned %d bytes", back_len);
    api->shim_free(shim, back);

    upper_fn upper = (upper_fn)api->shim_export(shim, EXPORTS, "mochi_abi_fixture_lists_upper");
    CHECK(upper != NULL, "export upper: %s", api->last_error());
    mochi_str words[3] = {{(const uint8_t *)"abc", 3}, {NULL, 0}, {NULL, -1}};
    mochi_str *up = NULL;
    int32_t up_len = 0;
    CHECK(upper(words, 3, &up, &up_len, &err) == MOCHI_OK && up_len == 3, "upper");
    CHECK(same(up[0].ptr, up[0].len, "ABC") && up[1].len == 0 && up[2].len == -1, "upper contents");
    api->shim_free(shim, up); /* one free: the strings live in the same block */

    int64_t live0 = api->shim_live_handles(shim);
    new_fn make = (new_fn)api->shim_export(shim, EXPORTS, "mochi_abi_fixture_counter_new");
    incr_fn incr = (incr_fn)api->shim_export(shim, EXPORTS, "mochi_abi_fixture_counter_increment");
    CHECK(make != NULL && incr != NULL, "export counter: %s", api->last_error());
    mochi_handle counter = 0;
    CHECK(make((const uint8_t *)"c", 1, 10, &counter, &err) == MOCHI_OK && counter != 0, "new");
    int64_t value = 0;
    CHECK(incr(counter, 5, &value, &err) == MOCHI_OK && value == 15, "increment gave %lld", (long long)value);
    CHECK(api->shim_live_handles(shim) == live0 + 1, "one live handle");
    CHECK(api->shim_release(shim, counter) == 0, "release: %s", api->last_error());
    CHECK(api->shim_live_handles(shim) == live0, "released");

    fail_fn nre = (fail_fn)api->shim_export(shim, EXPORTS, "mochi_abi_fixture_failing_null_deref");
    CHECK(nre != NULL, "export nre: %s", api->last_error());
    int64_t ignored = 0;
    CHECK(nre(NULL, -1, &ignored, &err) == MOCHI_FAILED, "null deref did not fail");
    CHECK(same(err.type_name, err.type_name_len, "System.NullReferenceException"), "error type");
    CHECK(err.message != NULL && err.message_len > 0, "error message");
    api->shim_free(shim, err.type_name);
    api->shim_free(shim, err.message);
    memset(&err, 0, sizeof err);

    CHECK(api->shim_export(shim, EXPORTS, "no_such_export") == NULL, "missing export resolved");
    CHECK(api->last_error() != NULL && strstr(api->last_error(), "rebuild") != NULL, "missing export message");

    api->shim_close(shim);
    snprintf(out, out_len, "ok");
    return 0;
}
