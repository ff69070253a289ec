//! From manifest to validated `.nupkg` bytes: declarations → facade → compiled DLL →
//! parts → zip → read back and validated. Nothing is written but the facade cache;
//! the caller decides where the bytes go.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha512};

use crate::config::{License, Manifest, assembly_version, version_for_urls};
use crate::env::Env;
use crate::error::{PublishError, Result};
use crate::nuspec::{Nuspec, root_file_name};
use crate::validate::{Expected, validate};
use crate::{decl, dotnet, facade, native, nupkg, opc};

/// A built, validated package.
#[derive(Debug, Clone)]
pub struct BuiltPackage {
    pub id: String,
    pub version: String,
    /// `<id>.<version>.nupkg`
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Entry names and sizes, in archive order.
    pub entries: Vec<(String, u64)>,
    /// NuGet's form of the package hash: base64 SHA-512.
    pub sha512_base64: String,
    pub facade_cache_hit: bool,
    pub sdk_version: String,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(PublishError::io(path))
}

/// Builds the package of `manifest` and validates it.
pub fn build(manifest: &Manifest, env: &Env) -> Result<BuiltPackage> {
    let p = &manifest.publish;
    let api = decl::load(&p.api)?;
    let project = facade::generate(manifest, &api)?;

    // Native libraries first: a missing or stale one is the likeliest mistake, and
    // it is reported against the file the manifest names.
    let mut natives: BTreeMap<String, (String, Vec<u8>)> = BTreeMap::new();
    for (rid, path) in &p.native {
        let bytes = std::fs::read(path).map_err(|e| PublishError::Native {
            path: path.clone(),
            message: format!("the {rid} library declared in [dotnet.publish.native] cannot be read: {e}"),
            hint: "build the native library first (Mochi's build, or the command in [dotnet.publish.ci].build)".into(),
        })?;
        let problems = native::check(&bytes, rid, &project.required_symbols);
        if !problems.is_empty() {
            return Err(PublishError::Native {
                path: path.clone(),
                message: format!("not the {rid} library of {}: {}", p.api.display(), problems.join("; ")),
                hint: "rebuild the native library from the current sources for this runtime; it must export every declared function as mochi_<package>_<function> (docs/native-library.md)".into(),
            });
        }
        let file = path
            .file_name()
            .expect("checked by the manifest")
            .to_string_lossy()
            .into_owned();
        natives.insert(rid.clone(), (file, bytes));
    }

    let work_parent = manifest.dir.join("target/dotnet-publish");
    let sdk = {
        std::fs::create_dir_all(&work_parent).map_err(PublishError::io(&work_parent))?;
        dotnet::find_sdk(env, &work_parent, env.cache_root().as_deref())?
    };
    let compiled = dotnet::compile(
        &project,
        &sdk,
        env,
        &work_parent,
        env.cache_root().as_deref(),
    )?;

    let nuspec = Nuspec::from_manifest(manifest);
    let nuspec_xml = nuspec.to_xml();
    let tfm = p.target_framework.short();
    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    entries.insert(format!("{}.nuspec", p.package_id), nuspec_xml.clone());
    entries.insert(format!("lib/{tfm}/{}.dll", p.package_id), compiled.dll);
    entries.insert(format!("lib/{tfm}/{}.xml", p.package_id), compiled.xml);
    for (rid, (file, bytes)) in &natives {
        entries.insert(format!("runtimes/{rid}/native/{file}"), bytes.clone());
    }
    let mut root_files = BTreeMap::new();
    if let Some(r) = &p.readme {
        root_files.insert(root_file_name("readme", r), read(r)?);
    }
    if let Some(i) = &p.icon {
        root_files.insert(root_file_name("icon", i), read(i)?);
    }
    if let Some(License::File(f)) = &p.license {
        root_files.insert(root_file_name("license", f), read(f)?);
    }
    for (name, bytes) in &root_files {
        entries.insert(name.clone(), bytes.clone());
    }
    let core_name = opc::core_properties_name(&nuspec_xml);
    entries.insert(core_name.clone(), opc::core_properties(&nuspec));
    entries.insert(
        opc::RELS.to_string(),
        opc::relationships(&format!("{}.nuspec", p.package_id), &core_name),
    );
    let types = opc::content_types(entries.keys().map(String::as_str));
    entries.insert(opc::CONTENT_TYPES.to_string(), types);

    let bytes = nupkg::write(&entries);
    let expected = Expected {
        nuspec,
        tfm,
        framework_moniker: p.target_framework.moniker(),
        assembly_version: assembly_version(&p.version),
        namespace: project.namespace.clone(),
        class_name: project.class_name.clone(),
        methods: project.methods.clone(),
        handle_types: project.handle_types.clone(),
        aot: p.aot,
        native: natives,
        required_symbols: project.required_symbols.clone(),
        root_files,
    };
    let problems = validate(&bytes, &expected);
    if !problems.is_empty() {
        return Err(PublishError::Validation {
            package: format!("{} {}", p.package_id, p.version),
            problems,
        });
    }
    Ok(BuiltPackage {
        id: p.package_id.clone(),
        version: p.version.clone(),
        file_name: format!("{}.{}.nupkg", p.package_id, version_for_urls(&p.version)),
        entries: entries
            .iter()
            .map(|(n, b)| (n.clone(), b.len() as u64))
            .collect(),
        sha512_base64: base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&bytes)),
        bytes,
        facade_cache_hit: compiled.cache_hit,
        sdk_version: sdk.version,
    })
}

/// The [`Expected`] description of `manifest`'s package, for validating a package
/// built elsewhere (tests tamper with a built package and validate it again).
pub fn expected(manifest: &Manifest) -> Result<Expected> {
    let p = &manifest.publish;
    let api = decl::load(&p.api)?;
    let project = facade::generate(manifest, &api)?;
    let mut natives = BTreeMap::new();
    for (rid, path) in &p.native {
        natives.insert(
            rid.clone(),
            (
                path.file_name()
                    .expect("checked")
                    .to_string_lossy()
                    .into_owned(),
                read(path)?,
            ),
        );
    }
    let mut root_files = BTreeMap::new();
    if let Some(r) = &p.readme {
        root_files.insert(root_file_name("readme", r), read(r)?);
    }
    if let Some(i) = &p.icon {
        root_files.insert(root_file_name("icon", i), read(i)?);
    }
    if let Some(License::File(f)) = &p.license {
        root_files.insert(root_file_name("license", f), read(f)?);
    }
    Ok(Expected {
        nuspec: Nuspec::from_manifest(manifest),
        tfm: p.target_framework.short(),
        framework_moniker: p.target_framework.moniker(),
        assembly_version: assembly_version(&p.version),
        namespace: project.namespace,
        class_name: project.class_name,
        methods: project.methods,
        handle_types: project.handle_types,
        aot: p.aot,
        native: natives,
        required_symbols: project.required_symbols,
        root_files,
    })
}
