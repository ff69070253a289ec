/* mochi-dotnet: the C view of a shim's ABI (docs/hosting.md, "The shim ABI"):
 * what every export passes and returns, and the exports every shim has. The one
 * source of these declarations: crates/hosting/include/mochi_dotnet_host.h
 * includes this file, and include/mochi_dotnet.h (the bridge's header) is
 * generated with it inlined under the same guard. */
#ifndef MOCHI_SHIM_ABI_H
#define MOCHI_SHIM_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the shim ABI, version 2 ---- */

#define MOCHI_ABI_VERSION 2

#define MOCHI_OK 0     /* every export returns one of these */
#define MOCHI_FAILED 1 /* a managed exception was caught; see the mochi_error */

/* UTF-8 text; len == -1 is null, len == 0 is empty (ptr may be NULL). */
typedef struct mochi_str {
    const uint8_t *ptr;
    int32_t len;
} mochi_str;

/* Filled on MOCHI_FAILED; both strings caller-owned (mochi_free each non-NULL one).
 * Zero-initialise before the call. */
typedef struct mochi_error {
    uint8_t *type_name;
    int32_t type_name_len;
    uint8_t *message;
    int32_t message_len;
} mochi_error;

/* A .NET object (GCHandle); 0 is null. Release each exactly once. */
typedef intptr_t mochi_handle;

/* The exports every shim has (type Mochi.Interop.ShimAbi). */
typedef int32_t (*mochi_abi_version_fn)(void);
typedef void (*mochi_free_fn)(void *ptr);
typedef int32_t (*mochi_handle_release_fn)(mochi_handle handle, mochi_error *err);
typedef int64_t (*mochi_handle_live_count_fn)(void);
typedef int32_t (*mochi_assembly_path_fn)(uint8_t **path, int32_t *path_len, mochi_error *err);
/* A block for a string a callback returns (or any block the shim will free); NULL if size <= 0. */
typedef void *(*mochi_alloc_fn)(int64_t size);
/* A JSON text as a .NET object for an `object` parameter (a new handle; 0 for null). */
typedef int32_t (*mochi_box_json_fn)(const uint8_t *json, int32_t len, mochi_handle *result, mochi_error *err);

/* Callbacks. A delegate parameter is three pointers: (fn, ctx, release); fn == NULL
 * is a null delegate. .NET calls fn(ctx, <arguments in their parameter forms>,
 * <result out-parameters>, err) on any thread, as often as the library invokes the
 * delegate; fn returns MOCHI_OK, or MOCHI_FAILED with err filled (strings from
 * mochi_alloc or malloc, freed by the shim), which .NET sees as an exception where
 * it called the delegate. Strings and handles passed to fn are borrowed for the
 * call; a string result is a block from mochi_alloc (or malloc) that the shim frees;
 * a handle result stays the callee's. release(ctx), if not NULL, is called once
 * (on .NET's finalizer thread) when .NET no longer holds the delegate. */
typedef void (*mochi_release_fn)(void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* MOCHI_SHIM_ABI_H */
