/* A C program linked against the bridge static library (libbridge.a), using
 * only include/mochi_dotnet.h: the embedding API (meta, lock, bind) as Mochi's
 * toolchain calls it, then the run-time path of a compiled program (start .NET,
 * load a shim, call .NET methods through looked-up exports, release handles).
 * Built and run by tests/it/capi_embed.rs.
 *
 * usage: embed <assembly.dll> <mochi.toml> <package-id> <bind-out-dir> <dotnet-root>
 *              <abi-fixture-shim.dll> <newtonsoft-json-shim.dll> <regex-shim.dll>
 *              <generated-tiny-shim.dll> <its-exports-type>
 * Prints "embed: ok" and exits 0, or prints what failed and exits 1. */
#define _POSIX_C_SOURCE 200809L
#include "mochi_dotnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

#define CHECK(cond, ...)                                 \
    do {                                                 \
        if (!(cond)) {                                   \
            fprintf(stderr, "embed.c:%d: ", __LINE__);   \
            fprintf(stderr, __VA_ARGS__);                \
            fprintf(stderr, "\n");                       \
            exit(1);                                     \
        }                                                \
    } while (0)

static const char *last_error(void) {
    const char *e = mochi_dotnet_last_error();
    return e ? e : "(no last error)";
}

static int same(const uint8_t *p, int32_t n, const char *want) {
    return n == (int32_t)strlen(want) && (n == 0 || memcmp(p, want, (size_t)n) == 0);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = (size_t)n;
    }
    return buf;
}

static int write_file(const char *path, const char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* ---- the embedding API ---- */

static void meta(const char *assembly) {
    uint8_t *out = NULL;
    size_t len = 0;

    CHECK(mochi_dotnet_meta(assembly, MOCHI_DOTNET_META_LISTING, &out, &len) == 0, "meta listing: %s", last_error());
    CHECK(out != NULL && len > 0 && out[len] == 0, "listing buffer");
    CHECK(strstr((const char *)out, "\nF Newtonsoft.Json.JsonConvert::Null : System.String static\n") != NULL,
          "listing lacks JsonConvert::Null");
    CHECK(strstr((const char *)out, "\nM Newtonsoft.Json.Linq.JObject::Parse(System.String) -> Newtonsoft.Json.Linq.JObject static\n") != NULL,
          "listing lacks JObject::Parse");
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += out[i] == '\n';
    printf("meta listing: %zu bytes, %zu lines\n", len, lines);
    mochi_dotnet_buffer_free(out);

    CHECK(mochi_dotnet_meta(assembly, MOCHI_DOTNET_META_JSON, &out, &len) == 0, "meta json: %s", last_error());
    CHECK(len > 2 && out[0] == '{' && out[len] == 0, "json buffer");
    CHECK(strstr((const char *)out, "\"Newtonsoft.Json.Linq.JObject\"") != NULL, "json lacks JObject");
    printf("meta json: %zu bytes\n", len);
    mochi_dotnet_buffer_free(out);

    CHECK(mochi_dotnet_meta(assembly, MOCHI_DOTNET_META_SHA256, &out, &len) == 0, "meta sha256: %s", last_error());
    CHECK(len == 64 + 2 + strlen(assembly) + 1 && out[64] == ' ' && out[len - 1] == '\n', "sha256 line: %s", (char *)out);
    for (int i = 0; i < 64; i++) CHECK(strchr("0123456789abcdef", out[i]) && out[i], "sha256 hex: %s", (char *)out);
    printf("meta sha256: %.64s\n", (char *)out);
    mochi_dotnet_buffer_free(out);
    mochi_dotnet_buffer_free(NULL);

    /* Failures: -1, outputs cleared, a message naming the problem. */
    out = (uint8_t *)"stale";
    len = 99;
    CHECK(mochi_dotnet_meta("/no/such/Assembly.dll", MOCHI_DOTNET_META_JSON, &out, &len) == -1, "missing file accepted");
    CHECK(out == NULL && len == 0, "outputs not cleared on failure");
    CHECK(strstr(last_error(), "/no/such/Assembly.dll") && strstr(last_error(), "check that the path exists"),
          "missing-file message: %s", last_error());
    CHECK(mochi_dotnet_meta(assembly, 7, &out, &len) == -1, "format 7 accepted");
    CHECK(strstr(last_error(), "unknown meta format 7"), "format message: %s", last_error());
    CHECK(mochi_dotnet_meta(NULL, 0, &out, &len) == -1 && strstr(last_error(), "assembly_path is NULL"), "NULL path: %s", last_error());
    CHECK(mochi_dotnet_meta(assembly, 0, NULL, &len) == -1 && strstr(last_error(), "must not be NULL"), "NULL out: %s", last_error());
}

static void lock(const char *manifest) {
    const uint32_t quiet = MOCHI_DOTNET_LOCK_OFFLINE | MOCHI_DOTNET_LOCK_QUIET;
    CHECK(mochi_dotnet_lock(manifest, quiet) == 0, "lock: %s", last_error());
    CHECK(mochi_dotnet_lock(manifest, quiet | MOCHI_DOTNET_LOCK_CHECK) == 0, "lock --check: %s", last_error());

    /* A tampered mochi.lock fails the check with the drift, and passes once restored. */
    char lock_path[4096];
    snprintf(lock_path, sizeof lock_path, "%.*s/mochi.lock", (int)(strrchr(manifest, '/') - manifest), manifest);
    size_t len = 0;
    char *text = read_file(lock_path, &len);
    CHECK(text != NULL, "read %s", lock_path);
    char *hash = strstr(text, "metadata-sha256 = \"");
    CHECK(hash != NULL, "no metadata-sha256 in %s", lock_path);
    hash += strlen("metadata-sha256 = \"");
    char saved = *hash;
    *hash = saved == '0' ? '1' : '0';
    CHECK(write_file(lock_path, text, len) == 0, "write %s", lock_path);
    CHECK(mochi_dotnet_lock(manifest, quiet | MOCHI_DOTNET_LOCK_CHECK) == -1, "tampered lock passed the check");
    CHECK(strstr(last_error(), "out of date") && strstr(last_error(), "metadata-sha256"), "drift message: %s", last_error());
    printf("lock --check on a tampered lock: %s\n", last_error());
    *hash = saved;
    CHECK(write_file(lock_path, text, len) == 0, "restore %s", lock_path);
    free(text);
    CHECK(mochi_dotnet_lock(manifest, quiet | MOCHI_DOTNET_LOCK_CHECK) == 0, "restored lock: %s", last_error());

    CHECK(mochi_dotnet_lock(manifest, 8) == -1 && strstr(last_error(), "unknown lock flags 0x8"), "flag 8: %s", last_error());
    CHECK(mochi_dotnet_lock("/no/such/mochi.toml", quiet) == -1, "missing manifest accepted");
    printf("lock on a missing manifest: %s\n", last_error());
}

static void bind(const char *manifest, const char *package, const char *out_dir) {
    CHECK(mochi_dotnet_bind(package, out_dir, manifest) == 0, "bind %s: %s", package, last_error());
    char path[4096];
    snprintf(path, sizeof path, "%s/plan.json", out_dir);
    size_t len = 0;
    char *plan = read_file(path, &len);
    CHECK(plan != NULL && len > 0, "bind wrote no %s", path);
    free(plan);
    CHECK(mochi_dotnet_bind("No.Such", out_dir, manifest) == -1, "binding No.Such succeeded");
    CHECK(strstr(last_error(), "No.Such is not locked") && strstr(last_error(), package), "bind message: %s", last_error());
    CHECK(mochi_dotnet_bind(package, NULL, manifest) == -1 && strstr(last_error(), "out_dir is NULL"), "NULL out_dir: %s", last_error());
}

/* ---- the run time: the ABI fixture shim (fixtures/abi) ---- */

typedef int32_t (*add_fn)(int64_t, int64_t, int64_t *, mochi_error *);
typedef int32_t (*echo_fn)(const uint8_t *, int32_t, uint8_t **, int32_t *, mochi_error *);
typedef int32_t (*new_fn)(const uint8_t *, int32_t, int64_t, mochi_handle *, mochi_error *);
typedef int32_t (*incr_fn)(mochi_handle, int64_t, int64_t *, mochi_error *);
typedef int32_t (*fail_fn)(const uint8_t *, int32_t, int64_t *, mochi_error *);

static const char *EXPORTS = "Mochi.Shim.AbiFixture.Exports";

static void run_time(const char *dotnet_root, const char *shim_path) {
    CHECK(mochi_dotnet_shim_load(shim_path) == NULL && strstr(last_error(), "call mochi_dotnet_start first"),
          "load before start: %s", last_error());
    CHECK(mochi_dotnet_start(dotnet_root, 8, 0) == 0, "start: %s", last_error());
    CHECK(mochi_dotnet_prepare_thread() == 0, "prepare: %s", last_error());
    mochi_dotnet_shim *shim = mochi_dotnet_shim_load(shim_path);
    CHECK(shim != NULL, "load: %s", last_error());
    CHECK(mochi_dotnet_shim_live_handles(shim) == 0, "live handles at start");
    mochi_error err = {0};

    add_fn add = (add_fn)mochi_dotnet_shim_export(shim, EXPORTS, "mochi_abi_fixture_calc_add");
    CHECK(add != NULL, "export add: %s", last_error());
    int64_t sum = 0;
    CHECK(add(40, 2, &sum, &err) == MOCHI_OK && sum == 42, "add gave %lld", (long long)sum);

    echo_fn echo = (echo_fn)mochi_dotnet_shim_export(shim, EXPORTS, "mochi_abi_fixture_text_echo");
    CHECK(echo != NULL, "export echo: %s", last_error());
    const char *text = "embedded h\xc3\xa9llo \xf0\x9f\x8e\x89";
    uint8_t *back = NULL;
    int32_t back_len = 0;
    CHECK(echo((const uint8_t *)text, (int32_t)strlen(text), &back, &back_len, &err) == MOCHI_OK, "echo failed");
    CHECK(same(back, back_len, text), "echo returned %d bytes", back_len);
    mochi_dotnet_shim_free(shim, back);

    new_fn make = (new_fn)mochi_dotnet_shim_export(shim, EXPORTS, "mochi_abi_fixture_counter_new");
    incr_fn incr = (incr_fn)mochi_dotnet_shim_export(shim, EXPORTS, "mochi_abi_fixture_counter_increment");
    CHECK(make != NULL && incr != NULL, "export counter: %s", last_error());
    mochi_handle counter = 0;
    CHECK(make((const uint8_t *)"c", 1, 10, &counter, &err) == MOCHI_OK && counter != 0, "new");
    int64_t value = 0;
    CHECK(incr(counter, 5, &value, &err) == MOCHI_OK && value == 15, "increment gave %lld", (long long)value);
    CHECK(mochi_dotnet_shim_live_handles(shim) == 1, "one live handle");
    CHECK(mochi_dotnet_shim_release(shim, counter) == 0, "release: %s", last_error());
    CHECK(mochi_dotnet_shim_live_handles(shim) == 0, "a handle leaked");
    CHECK(mochi_dotnet_shim_release(shim, counter) == -1, "second release accepted");
    CHECK(strstr(last_error(), "InvalidOperationException"), "second release: %s", last_error());
    printf("second release: %s\n", last_error());

    fail_fn nre = (fail_fn)mochi_dotnet_shim_export(shim, EXPORTS, "mochi_abi_fixture_failing_null_deref");
    CHECK(nre != NULL, "export nre: %s", last_error());
    int64_t ignored = 0;
    CHECK(nre(NULL, -1, &ignored, &err) == MOCHI_FAILED, "null deref did not fail");
    CHECK(same(err.type_name, err.type_name_len, "System.NullReferenceException"), "error type");
    mochi_dotnet_shim_free(shim, err.type_name);
    mochi_dotnet_shim_free(shim, err.message);

    CHECK(mochi_dotnet_shim_export(shim, EXPORTS, "no_such_export") == NULL, "missing export resolved");
    CHECK(strstr(last_error(), "no_such_export"), "missing export message: %s", last_error());
    printf("missing export: %s\n", last_error());

    CHECK(mochi_dotnet_shim_live_handles(shim) == 0, "handles leaked");
    mochi_dotnet_shim_close(shim);
}

/* ---- the run time: real libraries (fixtures/abi/real) ---- */

typedef int32_t (*parse_fn)(const uint8_t *, int32_t, mochi_handle *, mochi_error *);
typedef int32_t (*select_fn)(mochi_handle, const uint8_t *, int32_t, mochi_handle *, mochi_error *);
typedef int32_t (*to_string_fn)(mochi_handle, uint8_t **, int32_t *, mochi_error *);
typedef int32_t (*convert_string_fn)(const uint8_t *, int32_t, uint8_t **, int32_t *, mochi_error *);
typedef int32_t (*convert_int_fn)(int64_t, uint8_t **, int32_t *, mochi_error *);
typedef int32_t (*replace_fn)(const uint8_t *, int32_t, const uint8_t *, int32_t, const uint8_t *, int32_t,
                              uint8_t **, int32_t *, mochi_error *);
typedef int32_t (*matches_fn)(const uint8_t *, int32_t, const uint8_t *, int32_t, mochi_str **, int32_t *,
                              mochi_error *);

#define S(lit) (const uint8_t *)(lit), (int32_t)strlen(lit)

static void *export_of(const mochi_dotnet_shim *shim, const char *type, const char *method) {
    void *f = mochi_dotnet_shim_export(shim, type, method);
    CHECK(f != NULL, "export %s: %s", method, last_error());
    return f;
}

static void real_libraries(const char *json_shim_path, const char *regex_shim_path) {
    mochi_dotnet_shim *json = mochi_dotnet_shim_load(json_shim_path);
    CHECK(json != NULL, "load %s: %s", json_shim_path, last_error());
    const char *JSON = "Mochi.Shim.NewtonsoftJson.Exports";
    parse_fn parse = (parse_fn)export_of(json, JSON, "mochi_newtonsoft_json_jobject_parse");
    select_fn select_token = (select_fn)export_of(json, JSON, "mochi_newtonsoft_json_jtoken_select_token");
    to_string_fn to_string = (to_string_fn)export_of(json, JSON, "mochi_newtonsoft_json_jtoken_to_string");
    convert_string_fn convert_string =
        (convert_string_fn)export_of(json, JSON, "mochi_newtonsoft_json_jsonconvert_to_string_string");
    convert_int_fn convert_int = (convert_int_fn)export_of(json, JSON, "mochi_newtonsoft_json_jsonconvert_to_string_int64");
    mochi_error err = {0};

    /* JObject.Parse, then SelectToken on the result, then ToString of the token. */
    mochi_handle doc = 0, token = 0;
    CHECK(parse(S("{\"name\": \"mochi\", \"tags\": [\"c\", \"h\u00e9llo\"], \"n\": 42}"), &doc, &err) == MOCHI_OK,
          "JObject.Parse failed");
    CHECK(select_token(doc, S("tags[1]"), &token, &err) == MOCHI_OK && token != 0, "SelectToken failed");
    uint8_t *text = NULL;
    int32_t text_len = 0;
    CHECK(to_string(token, &text, &text_len, &err) == MOCHI_OK, "ToString failed");
    CHECK(same(text, text_len, "\"h\xc3\xa9llo\""), "tags[1] is %.*s", text_len, (const char *)text);
    printf("Newtonsoft.Json: tags[1] = %.*s\n", text_len, (const char *)text);
    mochi_dotnet_shim_free(json, text);
    CHECK(to_string(doc, &text, &text_len, &err) == MOCHI_OK, "ToString of the document failed");
    CHECK(same(text, text_len, "{\"name\":\"mochi\",\"tags\":[\"c\",\"h\xc3\xa9llo\"],\"n\":42}"), "document is %.*s",
          text_len, (const char *)text);
    mochi_dotnet_shim_free(json, text);
    CHECK(mochi_dotnet_shim_live_handles(json) == 2, "two JSON handles live");
    CHECK(mochi_dotnet_shim_release(json, token) == 0 && mochi_dotnet_shim_release(json, doc) == 0, "release: %s",
          last_error());

    /* JsonConvert.ToString overloads. */
    CHECK(convert_string(S("say \"hi\""), &text, &text_len, &err) == MOCHI_OK, "JsonConvert.ToString(string)");
    CHECK(same(text, text_len, "\"say \\\"hi\\\"\""), "ToString(string) gave %.*s", text_len, (const char *)text);
    mochi_dotnet_shim_free(json, text);
    CHECK(convert_int(-7, &text, &text_len, &err) == MOCHI_OK && same(text, text_len, "-7"), "ToString(long)");
    mochi_dotnet_shim_free(json, text);

    /* A managed exception from the library becomes an error value. */
    doc = 0;
    CHECK(parse(S("{\"unterminated\": "), &doc, &err) == MOCHI_FAILED, "bad JSON parsed");
    CHECK(same(err.type_name, err.type_name_len, "Newtonsoft.Json.JsonReaderException"), "error type %.*s",
          err.type_name_len, (const char *)err.type_name);
    printf("Newtonsoft.Json: bad JSON -> %.*s: %.*s\n", err.type_name_len, (const char *)err.type_name,
           err.message_len, (const char *)err.message);
    mochi_dotnet_shim_free(json, err.type_name);
    mochi_dotnet_shim_free(json, err.message);
    memset(&err, 0, sizeof err);
    CHECK(mochi_dotnet_shim_live_handles(json) == 0, "JSON handles leaked");
    mochi_dotnet_shim_close(json);

    /* System.Text.RegularExpressions of the .NET 8 shared framework. */
    mochi_dotnet_shim *regex = mochi_dotnet_shim_load(regex_shim_path);
    CHECK(regex != NULL, "load %s: %s", regex_shim_path, last_error());
    const char *RX = "Mochi.Shim.Regex.Exports";
    replace_fn replace = (replace_fn)export_of(regex, RX, "mochi_regex_regex_replace");
    matches_fn matches = (matches_fn)export_of(regex, RX, "mochi_regex_regex_matches");
    CHECK(replace(S("2024-01-31 and 1999-12-01"), S("(\\d{4})-(\\d\\d)-(\\d\\d)"), S("$3.$2.$1"), &text, &text_len, &err) ==
              MOCHI_OK,
          "Regex.Replace failed");
    CHECK(same(text, text_len, "31.01.2024 and 01.12.1999"), "Regex.Replace gave %.*s", text_len, (const char *)text);
    printf("Regex.Replace: %.*s\n", text_len, (const char *)text);
    mochi_dotnet_shim_free(regex, text);
    mochi_str *words = NULL;
    int32_t n = 0;
    CHECK(matches(S("\xc3\xa7" "a va, tr\xc3\xa8s bien"), S("\\w+"), &words, &n, &err) == MOCHI_OK && n == 4, "Regex.Matches");
    CHECK(same(words[0].ptr, words[0].len, "\xc3\xa7" "a") && same(words[2].ptr, words[2].len, "tr\xc3\xa8s"), "match values");
    mochi_dotnet_shim_free(regex, words);
    mochi_dotnet_shim_close(regex);
}

/* ---- the run time: a shim the bridge generated (Tiny.Lib, package `tiny`) ---- */

typedef int32_t (*twice_fn)(int64_t, int64_t *, mochi_error *);
typedef int32_t (*greeter_new_fn)(const uint8_t *, int32_t, mochi_handle *, mochi_error *);
typedef int32_t (*get_name_fn)(mochi_handle, uint8_t **, int32_t *, mochi_error *);
typedef int32_t (*set_name_fn)(mochi_handle, const uint8_t *, int32_t, mochi_error *);

static void generated_shim(const char *path, const char *exports) {
    mochi_dotnet_shim *shim = mochi_dotnet_shim_load(path);
    CHECK(shim != NULL, "load %s: %s", path, last_error());
    twice_fn twice = (twice_fn)export_of(shim, exports, "mochi_tiny_greeter_twice");
    greeter_new_fn make = (greeter_new_fn)export_of(shim, exports, "mochi_tiny_greeter_new");
    get_name_fn get_name = (get_name_fn)export_of(shim, exports, "mochi_tiny_greeter_get_name");
    set_name_fn set_name = (set_name_fn)export_of(shim, exports, "mochi_tiny_greeter_set_name");
    mochi_error err = {0};

    int64_t r = 0;
    CHECK(twice(21, &r, &err) == MOCHI_OK && r == 42, "Greeter.Twice(21) gave %lld", (long long)r);
    /* int is narrowed with checked(): out of range is an error value. */
    CHECK(twice((int64_t)1 << 40, &r, &err) == MOCHI_FAILED, "Twice(2^40) did not fail");
    CHECK(same(err.type_name, err.type_name_len, "System.OverflowException"), "error type %.*s", err.type_name_len,
          (const char *)err.type_name);
    mochi_dotnet_shim_free(shim, err.type_name);
    mochi_dotnet_shim_free(shim, err.message);
    memset(&err, 0, sizeof err);

    mochi_handle g = 0;
    CHECK(make(S("Mochi"), &g, &err) == MOCHI_OK && g != 0, "new Greeter");
    CHECK(set_name(g, S("M\xc3\xb6" "chi"), &err) == MOCHI_OK, "set Name");
    uint8_t *name = NULL;
    int32_t name_len = 0;
    CHECK(get_name(g, &name, &name_len, &err) == MOCHI_OK && same(name, name_len, "M\xc3\xb6" "chi"), "get Name");
    printf("generated shim %s: Twice(21) = %lld, Name = %.*s\n", exports, (long long)r, name_len, (const char *)name);
    mochi_dotnet_shim_free(shim, name);
    CHECK(mochi_dotnet_shim_live_handles(shim) == 1, "one Greeter handle");
    CHECK(mochi_dotnet_shim_release(shim, g) == 0, "release: %s", last_error());
    CHECK(mochi_dotnet_shim_live_handles(shim) == 0, "Greeter handle leaked");
    mochi_dotnet_shim_close(shim);
}

int main(int argc, char **argv) {
    CHECK(argc == 11, "usage: embed <assembly.dll> <mochi.toml> <package-id> <bind-out-dir> <dotnet-root> "
                      "<abi-fixture-shim.dll> <newtonsoft-json-shim.dll> <regex-shim.dll> "
                      "<generated-tiny-shim.dll> <its-exports-type>");
    CHECK(mochi_dotnet_bridge_api_version() == MOCHI_DOTNET_BRIDGE_API_VERSION, "bridge api version");
    CHECK(mochi_dotnet_host_api_version() == 1, "host api version");
    CHECK(mochi_dotnet_last_error() == NULL, "a last error before any call");
    double t0 = now_ms();
    meta(argv[1]);
    double t1 = now_ms();
    lock(argv[2]);
    double t2 = now_ms();
    bind(argv[2], argv[3], argv[4]);
    double t3 = now_ms();
    run_time(argv[5], argv[6]);
    real_libraries(argv[7], argv[8]);
    generated_shim(argv[9], argv[10]);
    double t4 = now_ms();
    printf("timing: meta %.0f ms, lock %.0f ms, bind %.0f ms, run time %.0f ms\n", t1 - t0, t2 - t1, t3 - t2, t4 - t3);
    printf("embed: ok\n");
    return 0;
}
