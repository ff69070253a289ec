/* mochi-dotnet: the C view of the host that starts .NET and finds shim exports
 * (the hosting crate, src/capi.rs); the shim ABI itself is mochi_shim_abi.h
 * (crates/shimabi/include). Kept in sync with src/capi.rs by
 * crates/hosting/tests/it/capi.rs. */
#ifndef MOCHI_DOTNET_HOST_H
#define MOCHI_DOTNET_HOST_H

#include <stdint.h>

#include "mochi_shim_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the host ---- */

/* A loaded shim whose ABI version matched. */
typedef struct mochi_dotnet_shim mochi_dotnet_shim;

/* Version of this host API (not of the shim ABI). */
int32_t mochi_dotnet_host_api_version(void);

/* Starts .NET once per process (later calls return 0 if the running runtime fits).
 * dotnet_root: NULL to search DOTNET_ROOT, PATH and the standard folders.
 * The framework is the shims' target, e.g. 8, 0 for net8.0.
 * Returns 0, or -1 with mochi_dotnet_last_error() set. */
int32_t mochi_dotnet_start(const char *dotnet_root, int32_t framework_major, int32_t framework_minor);

/* Call once on every thread that calls shim exports, before its first call
 * (a managed NullReferenceException otherwise kills the process). 0 or -1. */
int32_t mochi_dotnet_prepare_thread(void);

/* Loads a shim (after mochi_dotnet_start) and checks its ABI version; NULL on failure. */
mochi_dotnet_shim *mochi_dotnet_shim_load(const char *assembly_path);

/* The native pointer of static [UnmanagedCallersOnly] method type_name.method
 * (namespace-qualified type); resolved once, then cached. NULL on failure. */
void *mochi_dotnet_shim_export(const mochi_dotnet_shim *shim, const char *type_name, const char *method);

/* mochi_free of the shim: releases a returned string, list or map (NULL ignored). */
void mochi_dotnet_shim_free(const mochi_dotnet_shim *shim, void *ptr);

/* Releases a handle the shim returned (0 ignored). 0, or -1 with the last error set. */
int32_t mochi_dotnet_shim_release(const mochi_dotnet_shim *shim, mochi_handle handle);

/* Handles of this shim not yet released. */
int64_t mochi_dotnet_shim_live_handles(const mochi_dotnet_shim *shim);

/* Frees the host's record of the shim (the assembly stays loaded: .NET never unloads it). */
void mochi_dotnet_shim_close(mochi_dotnet_shim *shim);

/* The last failure on this thread (UTF-8, NUL-terminated), valid until the next
 * failing call on this thread; NULL if none. */
const char *mochi_dotnet_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* MOCHI_DOTNET_HOST_H */
