//! The one CoreCLR of the process: started once through hostfxr, kept for the
//! life of the process, and the cache of resolved `[UnmanagedCallersOnly]` entry points.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::c_void;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use netcorehost::hostfxr::{
    DelegateLoader, FnPtr, GetManagedFunctionError, Hostfxr, HostfxrContext,
    InitializedForRuntimeConfig,
};
use netcorehost::pdcstring::PdCString;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::locate::{DotnetInstall, FrameworkRequirement, Locator, RollForward};
use crate::runtimeconfig::{self, RuntimeConfig};
use crate::status;
use crate::version::RuntimeVersion;

/// How to start the runtime. The default runs a `net8.0` shim on the newest
/// installed .NET 8 runtime, found through `DOTNET_ROOT`, `PATH` and the standard folders.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Use only this installation (a folder with `host/fxr` and `shared`).
    pub dotnet_root: Option<PathBuf>,
    /// The framework the shims were built for; ignored when `runtime_config` is set.
    pub framework: FrameworkRequirement,
    /// Use this runtimeconfig.json as is instead of writing one.
    pub runtime_config: Option<PathBuf>,
    /// Overrides the roll-forward policy of `framework` (or of `runtime_config`),
    /// like `dotnet --roll-forward`. Without it `DOTNET_ROLL_FORWARD` does, as in .NET.
    pub roll_forward: Option<RollForward>,
    /// Runtime properties (`configProperties`); by default only invariant globalization,
    /// because a machine without ICU aborts CoreCLR on first culture use otherwise.
    pub properties: BTreeMap<String, Value>,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        let mut properties = BTreeMap::new();
        properties.insert(
            runtimeconfig::INVARIANT_GLOBALIZATION.to_owned(),
            Value::Bool(true),
        );
        RuntimeOptions {
            dotnet_root: None,
            framework: FrameworkRequirement::net(8, 0),
            runtime_config: None,
            roll_forward: None,
            properties,
        }
    }
}

impl RuntimeOptions {
    pub fn with_dotnet_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.dotnet_root = Some(root.into());
        self
    }

    pub fn with_framework(mut self, framework: FrameworkRequirement) -> Self {
        self.framework = framework;
        self
    }

    pub fn with_runtime_config(mut self, path: impl Into<PathBuf>) -> Self {
        self.runtime_config = Some(path.into());
        self
    }

    pub fn with_roll_forward(mut self, roll_forward: RollForward) -> Self {
        self.roll_forward = Some(roll_forward);
        self
    }

    /// The framework to run, its roll-forward policy as .NET decides it:
    /// [`RuntimeOptions::roll_forward`], else `DOTNET_ROLL_FORWARD`, else the
    /// runtimeconfig's (or `framework`'s) own.
    pub fn requirement(&self) -> Result<FrameworkRequirement> {
        let mut req = match &self.runtime_config {
            Some(p) => runtimeconfig::read_requirement(p)?,
            None => self.framework.clone(),
        };
        if let Some(r) = self.roll_forward.or_else(RollForward::from_env) {
            req.roll_forward = r;
        }
        Ok(req)
    }
}

/// Where the time of [`Runtime::start`] went.
#[derive(Debug, Clone, Copy, Default)]
pub struct StartTimings {
    pub locate: Duration,
    pub hostfxr_load: Duration,
    pub hostfxr_initialize: Duration,
    /// Loading and starting CoreCLR (the first runtime delegate).
    pub clr_start: Duration,
    pub total: Duration,
}

/// A native function pointer of a static `[UnmanagedCallersOnly]` method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntryPoint(NonNull<c_void>);

// SAFETY: a code address, valid on every thread for the life of the process
// (assemblies are never unloaded from the load context hostfxr creates).
unsafe impl Send for EntryPoint {}
unsafe impl Sync for EntryPoint {}

impl EntryPoint {
    pub fn as_ptr(self) -> *const c_void {
        self.0.as_ptr()
    }

    /// The entry point as a typed function pointer.
    ///
    /// # Safety
    /// `F` must be an `unsafe extern "system" fn(..)` type whose parameters and
    /// return type match the managed method's exactly.
    pub unsafe fn cast<F: Copy>(self) -> F {
        const { assert!(size_of::<F>() == size_of::<*const c_void>()) };
        // SAFETY: same size as a pointer (checked above); the caller vouches for the signature.
        unsafe { std::mem::transmute_copy(&self.0) }
    }
}

/// Where a shim's assembly (and the package assemblies beside it) is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LoadContext {
    /// The default `AssemblyLoadContext`, shared by every shim of the process, as in
    /// an ordinary .NET application: one copy of each package, so an object made by
    /// one shim can be passed to another (a `JToken` from the Newtonsoft.Json shim
    /// to a shim of a library built on it). Assembly names must be unique.
    #[default]
    Shared,
    /// A context of the shim's own (hostfxr's component loading): the shim gets
    /// private copies of its dependencies, and its objects are foreign to other shims.
    Isolated,
}

struct CachedEntry {
    context: LoadContext,
    assembly: PathBuf,
    type_name: String,
    method: String,
    entry: EntryPoint,
}

/// The process's CoreCLR. Obtain it with [`Runtime::start`]; it is never shut down.
pub struct Runtime {
    install: DotnetInstall,
    version: RuntimeVersion,
    requirement: FrameworkRequirement,
    timings: StartTimings,
    // Resolution is rare and goes through hostfxr; one at a time.
    resolver: Mutex<Resolver>,
    entries: RwLock<HashMap<u64, Vec<CachedEntry>, BuildHasherDefault<PrehashedKey>>>,
}

/// The hostfxr side of resolution, used under the runtime's lock (contexts are `Send`, not `Sync`).
struct Resolver {
    // Kept open for the life of the process: closing it and initialising again fails (0x80008081).
    context: HostfxrContext<InitializedForRuntimeConfig>,
    loader: DelegateLoader,
    /// Canonical paths already loaded into the shared context.
    loaded_shared: HashSet<PathBuf>,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static STARTING: Mutex<()> = Mutex::new(());

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("root", &self.install.root)
            .field("version", &self.version)
            .field("requirement", &self.requirement)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Starts the runtime, or returns the one already running when it satisfies
    /// `options`' framework (its other options are then ignored: a process has
    /// one runtime). Also enlarges this thread's alternate signal stack.
    pub fn start(options: &RuntimeOptions) -> Result<&'static Runtime> {
        crate::prepare_current_thread()?;
        let req = options.requirement()?;
        if let Some(rt) = RUNTIME.get() {
            return rt.serving(&req);
        }
        let _starting = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(rt) = RUNTIME.get() {
            return rt.serving(&req);
        }
        let rt = Runtime::initialise(options, req)?;
        Ok(RUNTIME.get_or_init(|| rt))
    }

    /// The running runtime, if [`Runtime::start`] succeeded in this process.
    pub fn get() -> Option<&'static Runtime> {
        RUNTIME.get()
    }

    fn serving(&'static self, req: &FrameworkRequirement) -> Result<&'static Runtime> {
        if req.accepts(&self.version) {
            Ok(self)
        } else {
            Err(Error::IncompatibleRunningRuntime {
                running: self.version.clone(),
                running_requirement: self.requirement.to_string(),
                requested: req.to_string(),
            })
        }
    }

    fn initialise(options: &RuntimeOptions, req: FrameworkRequirement) -> Result<Runtime> {
        let t0 = Instant::now();
        let locator = match &options.dotnet_root {
            Some(root) => Locator::with_root(root),
            None => Locator::from_env(),
        };
        let (install, version) = locator.find(&req)?;
        let located = t0.elapsed();

        let hostfxr =
            Hostfxr::load_from_path(&install.hostfxr).map_err(|e| Error::LoadHostfxr {
                path: install.hostfxr.clone(),
                reason: e.to_string(),
            })?;
        let loaded = t0.elapsed();

        // hostfxr reports details through an error writer (by default to stderr); keep them for the error.
        let details = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&details);
        hostfxr.set_error_writer(Some(Box::new(move |m| {
            sink.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(m.to_string_lossy());
        })));
        let taken = || std::mem::take(&mut *details.lock().unwrap_or_else(PoisonError::into_inner));
        let result = (|| {
            // A generated config lives in a file created exclusively (no predictable name
            // in the shared temp folder) and is deleted once hostfxr has read it.
            let mut generated = None;
            let config_path = match &options.runtime_config {
                Some(p) => p.clone(),
                None => {
                    let mut config = RuntimeConfig::for_runtime(&req, &version);
                    for (k, v) in &options.properties {
                        config.set_property(k.clone(), v.clone());
                    }
                    let io = |source| Error::Io {
                        path: std::env::temp_dir(),
                        source,
                    };
                    let mut file = tempfile::Builder::new()
                        .prefix("mochi-hosting-")
                        .suffix(".runtimeconfig.json")
                        .tempfile()
                        .map_err(io)?;
                    std::io::Write::write_all(&mut file, config.to_json().as_bytes())
                        .map_err(io)?;
                    let path = file.path().to_path_buf();
                    generated = Some(file);
                    path
                }
            };
            let pd = |p: &Path| {
                PdCString::from_os_str(p.as_os_str()).map_err(|_| Error::Io {
                    path: p.to_path_buf(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "path contains NUL",
                    ),
                })
            };
            let init = hostfxr.initialize_for_runtime_config_with_dotnet_root(
                pd(&config_path)?,
                pd(&install.root)?,
            );
            drop(generated);
            let mut context = init.map_err(|e| Error::Hostfxr {
                operation: "hostfxr_initialize_for_runtime_config",
                code: e.value(),
                details: taken(),
            })?;
            let initialised = t0.elapsed();
            if options.runtime_config.is_some() {
                // A user's config may lack properties the host needs (invariant globalization).
                for (k, v) in &options.properties {
                    let value = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let key = PdCString::from_os_str(k).ok();
                    let val = PdCString::from_os_str(&value).ok();
                    if let (Some(key), Some(val)) = (key, val) {
                        context.set_runtime_property_value(key, val).map_err(|e| {
                            Error::Hostfxr {
                                operation: "hostfxr_set_runtime_property_value",
                                code: e.value(),
                                details: taken(),
                            }
                        })?;
                    }
                }
            }
            // hostfxr applies its own roll-forward to a user's config: ask which framework it chose.
            let version = resolved_framework_version(&context).unwrap_or_else(|| version.clone());
            let loader = context.get_delegate_loader().map_err(|e| Error::Hostfxr {
                operation: "starting CoreCLR (hostfxr_get_runtime_delegate)",
                code: e.value(),
                details: taken(),
            })?;
            let total = t0.elapsed();
            Ok(Runtime {
                install: install.clone(),
                version,
                requirement: req.clone(),
                timings: StartTimings {
                    locate: located,
                    hostfxr_load: loaded - located,
                    hostfxr_initialize: initialised - loaded,
                    clr_start: total - initialised,
                    total,
                },
                resolver: Mutex::new(Resolver {
                    context,
                    loader,
                    loaded_shared: HashSet::new(),
                }),
                entries: RwLock::new(HashMap::default()),
            })
        })();
        hostfxr.set_error_writer(None);
        result
    }

    /// The installation the runtime came from.
    pub fn install(&self) -> &DotnetInstall {
        &self.install
    }

    /// The `Microsoft.NETCore.App` version that is running.
    pub fn version(&self) -> &RuntimeVersion {
        &self.version
    }

    /// The framework assemblies of the running runtime (what shims compile against).
    pub fn framework_dir(&self) -> PathBuf {
        self.install.framework_dir(&self.version)
    }

    pub fn start_timings(&self) -> StartTimings {
        self.timings
    }

    /// The native entry point of static `[UnmanagedCallersOnly]` method `type_name::method`
    /// in the assembly at `assembly`, loaded into the shared context; resolved once and
    /// then served from a cache. `type_name` is namespace-qualified; the assembly's
    /// file stem is taken as its assembly name unless `type_name` is assembly-qualified.
    pub fn entry_point(
        &self,
        assembly: &Path,
        type_name: &str,
        method: &str,
    ) -> Result<EntryPoint> {
        self.entry_point_in(LoadContext::Shared, assembly, type_name, method)
    }

    /// [`Runtime::entry_point`] with the assembly loaded into `context`.
    pub fn entry_point_in(
        &self,
        context: LoadContext,
        assembly: &Path,
        type_name: &str,
        method: &str,
    ) -> Result<EntryPoint> {
        let key = entry_hash(context, assembly, type_name, method);
        if let Some(e) = self.cached(key, context, assembly, type_name, method) {
            return Ok(e);
        }
        crate::prepare_current_thread()?;
        let mut resolver = self.resolver.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = self.cached(key, context, assembly, type_name, method) {
            return Ok(e);
        }
        let entry = resolve(&mut resolver, context, assembly, type_name, method)?;
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default()
            .push(CachedEntry {
                context,
                assembly: assembly.to_path_buf(),
                type_name: type_name.to_owned(),
                method: method.to_owned(),
                entry,
            });
        Ok(entry)
    }

    fn cached(
        &self,
        key: u64,
        context: LoadContext,
        assembly: &Path,
        type_name: &str,
        method: &str,
    ) -> Option<EntryPoint> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.get(&key)?.iter().find_map(|c| {
            (c.method == method
                && c.type_name == type_name
                && c.context == context
                && c.assembly.as_os_str() == assembly.as_os_str())
            .then_some(c.entry)
        })
    }

    /// Whether `method` of `type_name` in `assembly` (spelled exactly so) is in the
    /// entry-point cache of the shared load context. Unlike a count, the answer does
    /// not depend on what other threads resolve meanwhile.
    pub fn is_entry_point_cached(&self, assembly: &Path, type_name: &str, method: &str) -> bool {
        let key = entry_hash(LoadContext::Shared, assembly, type_name, method);
        self.cached(key, LoadContext::Shared, assembly, type_name, method)
            .is_some()
    }

    /// Number of distinct entry points resolved so far.
    pub fn cached_entry_points(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(Vec::len)
            .sum()
    }
}

/// The `Microsoft.NETCore.App` version hostfxr resolved, read from the
/// `FX_DEPS_FILE` property (`…/shared/Microsoft.NETCore.App/<version>/….deps.json`).
fn resolved_framework_version<I>(context: &HostfxrContext<I>) -> Option<RuntimeVersion> {
    let key = PdCString::from_os_str("FX_DEPS_FILE").ok()?;
    let deps = PathBuf::from(context.get_runtime_property_value(key).ok()?.to_os_string());
    deps.parent()?.file_name()?.to_str()?.parse().ok()
}

/// FxHash (rustc's) over the raw bytes, 8 at a time: lookups hash every call,
/// and SipHash over a path's components cost more than the rest of the lookup.
fn entry_hash(context: LoadContext, assembly: &Path, type_name: &str, method: &str) -> u64 {
    let mut h: u64 = context as u64;
    for part in [
        assembly.as_os_str().as_encoded_bytes(),
        type_name.as_bytes(),
        method.as_bytes(),
    ] {
        let mut chunks = part.chunks_exact(8);
        for c in &mut chunks {
            h = fx_add(h, u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        // The length separates the parts ("ab","c" vs "a","bc").
        h = fx_add(fx_add(h, u64::from_le_bytes(last)), part.len() as u64);
    }
    h
}

/// The map's keys are already [`entry_hash`]es; hashing them again is waste.
#[derive(Default)]
struct PrehashedKey(u64);

impl Hasher for PrehashedKey {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = fx_add(self.0, u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn fx_add(h: u64, word: u64) -> u64 {
    (h.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

fn resolve(
    resolver: &mut Resolver,
    context: LoadContext,
    assembly: &Path,
    type_name: &str,
    method: &str,
) -> Result<EntryPoint> {
    let fail = |reason: String| Error::EntryPoint {
        assembly: assembly.to_path_buf(),
        type_name: type_name.to_owned(),
        method: method.to_owned(),
        reason,
    };
    // One load per file, whatever its spelling: hostfxr's isolated contexts are keyed
    // by the path string, and the shared context refuses a second load of a name.
    let canonical = match std::fs::canonicalize(assembly) {
        Ok(p) if p.is_file() => p,
        _ => {
            return Err(fail(
                "the assembly file does not exist; build the shim first".into(),
            ));
        }
    };
    let qualified = if type_name.contains(',') {
        type_name.to_owned()
    } else {
        let stem = canonical
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        format!("{type_name}, {stem}")
    };
    let pd = |s: &str| PdCString::from_os_str(s).map_err(|_| fail(format!("{s:?} contains NUL")));
    let path = PdCString::from_os_str(canonical.as_os_str())
        .map_err(|_| fail("path contains NUL".into()))?;
    let f = match context {
        LoadContext::Isolated => resolver
            .loader
            .load_assembly_and_get_function_with_unmanaged_callers_only::<fn()>(
                &path,
                &pd(&qualified)?,
                &pd(method)?,
            ),
        LoadContext::Shared => {
            if !resolver.loaded_shared.contains(&canonical) {
                resolver.context.load_assembly_from_path(&path).map_err(|e| {
                    fail(format!(
                        "loading it into the shared context failed with {:#010x} ({}): {}; another assembly with the same name may be loaded already (shim assembly names must be unique)",
                        e.value(),
                        status::describe(e.value()).name,
                        status::describe(e.value()).advice
                    ))
                })?;
                resolver.loaded_shared.insert(canonical.clone());
            }
            resolver
                .loader
                .get_function_with_unmanaged_callers_only::<fn()>(&pd(&qualified)?, &pd(method)?)
        }
    }
    .map_err(|e| {
        let mut reason = describe_lookup_error(&e);
        if context == LoadContext::Shared && !type_name.contains(',') {
            reason.push_str(&format!(
                " (looked up as {qualified:?}: in the shared context a shim's file name must be its assembly name)"
            ));
        }
        fail(reason)
    })?;
    NonNull::new(f.as_ptr().cast_mut().cast::<c_void>())
        .map(EntryPoint)
        .ok_or_else(|| fail("hostfxr returned a null function pointer".into()))
}

fn describe_lookup_error(e: &GetManagedFunctionError) -> String {
    let code = match e {
        GetManagedFunctionError::Hosting(h) => h.value(),
        GetManagedFunctionError::TypeOrMethodNotFound => 0x8013_1522,
        GetManagedFunctionError::AssemblyNotFound => 0x8007_0002,
        GetManagedFunctionError::MethodNotUnmanagedCallersOnly => 0x8013_1509,
        GetManagedFunctionError::Other(c) => *c,
    };
    let info = status::describe(code);
    match e {
        GetManagedFunctionError::TypeOrMethodNotFound => "the type or method does not exist or has another signature (COR_E_TYPELOAD/MISSINGMETHOD/ARGUMENT); the shim is out of date: rebuild it".to_string(),
        _ => format!("{} ({code:#010x}): {}", info.name, info.advice),
    }
}
