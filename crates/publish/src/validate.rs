//! Reading a built `.nupkg` back and checking it before anything leaves the machine:
//! zip structure, OPC parts, the nuspec against the manifest, id and version rules,
//! folders, the facade's metadata through `ecma335`, every native library.

use std::collections::BTreeMap;

use ecma335::surface::{Surface, TypeKind};

use crate::config::{check_package_id, check_version};
use crate::facade::ExpectedMethod;
use crate::nuspec::Nuspec;
use crate::{native, nupkg, opc};

/// What the package must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub nuspec: Nuspec,
    /// `net8.0`
    pub tfm: String,
    /// `.NETCoreApp,Version=v8.0`
    pub framework_moniker: String,
    /// `1.2.0.0`
    pub assembly_version: String,
    pub namespace: String,
    pub class_name: String,
    pub methods: Vec<ExpectedMethod>,
    pub handle_types: Vec<String>,
    pub aot: bool,
    /// RID → (file name, the bytes that were declared).
    pub native: BTreeMap<String, (String, Vec<u8>)>,
    pub required_symbols: Vec<String>,
    /// Other root files (readme, icon, license) → bytes.
    pub root_files: BTreeMap<String, Vec<u8>>,
}

/// Every problem of `bytes` as the package `expected` describes; empty when valid.
pub fn validate(bytes: &[u8], expected: &Expected) -> Vec<String> {
    let entries = match nupkg::read(bytes) {
        Ok(e) => e,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    let files: BTreeMap<&str, &[u8]> = entries
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let names: Vec<&str> = files.keys().copied().collect();
    let id = &expected.nuspec.id;

    // Id and version rules.
    if let Err(why) = check_package_id(id) {
        problems.push(format!("package id `{id}`: {why}"));
    }
    if let Err(why) = check_version(&expected.nuspec.version) {
        problems.push(format!("version `{}`: {why}", expected.nuspec.version));
    }

    // The nuspec: exactly one, at the root, named after the id.
    let nuspecs: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !n.contains('/') && n.to_ascii_lowercase().ends_with(".nuspec"))
        .collect();
    let nuspec_name = format!("{id}.nuspec");
    match nuspecs.as_slice() {
        [one] if *one == nuspec_name => match std::str::from_utf8(files[one])
            .map_err(|e| e.to_string())
            .and_then(Nuspec::parse)
        {
            Ok(n) => {
                for diff in nuspec_differences(&n, &expected.nuspec) {
                    problems.push(format!("{nuspec_name}: {diff}"));
                }
            }
            Err(e) => problems.push(format!("{nuspec_name}: {e}")),
        },
        [] => problems.push("no .nuspec at the package root".into()),
        other => problems.push(format!(
            "expected exactly {nuspec_name} at the root, found {}",
            other.join(", ")
        )),
    }

    // OPC parts.
    match files.get(opc::RELS).map(|b| {
        std::str::from_utf8(b)
            .map_err(|e| e.to_string())
            .and_then(opc::parse_relationships)
    }) {
        None => problems.push(format!("{} is missing", opc::RELS)),
        Some(Err(e)) => problems.push(format!("{}: {e}", opc::RELS)),
        Some(Ok(rels)) => {
            for (ty, target) in &rels {
                if !files.contains_key(target.trim_start_matches('/')) {
                    problems.push(format!(
                        "{} points at {target}, which is not in the package",
                        opc::RELS
                    ));
                }
                if ty == opc::MANIFEST_REL && target.trim_start_matches('/') != nuspec_name {
                    problems.push(format!(
                        "{} names {target} as the manifest, not /{nuspec_name}",
                        opc::RELS
                    ));
                }
            }
            for needed in [opc::MANIFEST_REL, opc::CORE_PROPERTIES_REL] {
                if !rels.iter().any(|(t, _)| t == needed) {
                    problems.push(format!("{} has no {needed} relationship", opc::RELS));
                }
            }
        }
    }
    match files.get(opc::CONTENT_TYPES) {
        None => problems.push(format!("{} is missing", opc::CONTENT_TYPES)),
        Some(b) => {
            let parts: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| *n != opc::CONTENT_TYPES)
                .collect();
            problems.extend(opc::check_content_types(
                &String::from_utf8_lossy(b),
                &parts,
            ));
        }
    }

    // Every entry is expected; every expected entry is there.
    let lib_dir = format!("lib/{}/", expected.tfm);
    let dll = format!("{lib_dir}{id}.dll");
    let xml_doc = format!("{lib_dir}{id}.xml");
    let mut allowed: Vec<String> = vec![
        opc::CONTENT_TYPES.into(),
        opc::RELS.into(),
        nuspec_name.clone(),
        dll.clone(),
        xml_doc.clone(),
    ];
    for (rid, (file, bytes)) in &expected.native {
        let path = format!("runtimes/{rid}/native/{file}");
        match files.get(path.as_str()) {
            None => problems.push(format!("{path} is missing: the {rid} native library was declared in [dotnet.publish.native]")),
            Some(b) if *b != bytes.as_slice() => problems.push(format!("{path} differs from the declared file")),
            Some(b) => {
                for p in native::check(b, rid, &expected.required_symbols) {
                    problems.push(format!("{path}: {p}"));
                }
            }
        }
        allowed.push(path);
    }
    for (name, bytes) in &expected.root_files {
        match files.get(name.as_str()) {
            None => problems.push(format!("{name} is missing")),
            Some(b) if *b != bytes.as_slice() => {
                problems.push(format!("{name} differs from its source file"))
            }
            Some(_) => {}
        }
        allowed.push(name.clone());
    }
    for name in &names {
        if name.starts_with(opc::CORE_PROPERTIES_DIR) && name.ends_with(".psmdcp") {
            continue;
        }
        if let Some(rest) = name.strip_prefix("lib/") {
            let folder = rest.split('/').next().unwrap_or("");
            if folder != expected.tfm {
                problems.push(format!(
                    "{name}: lib/{folder}/ is not the package's target framework folder lib/{}/",
                    expected.tfm
                ));
                continue;
            }
        }
        if !allowed.iter().any(|a| a == name) {
            problems.push(format!("{name}: unexpected file"));
        }
    }
    if !names
        .iter()
        .any(|n| n.starts_with(opc::CORE_PROPERTIES_DIR))
    {
        problems.push("the core properties part (.psmdcp) is missing".into());
    }
    if !expected.nuspec.dependency_groups.contains(&expected.tfm) {
        problems.push(format!("no dependency group for {}", expected.tfm));
    }

    // The facade, read by our own reader.
    match files.get(dll.as_str()) {
        None => problems.push(format!("{dll} is missing")),
        Some(b) => match ecma335::read_surface(b) {
            Err(e) => problems.push(format!("{dll}: not a readable .NET assembly: {e}")),
            Ok(s) => problems.extend(
                check_surface(&s, expected)
                    .into_iter()
                    .map(|p| format!("{dll}: {p}")),
            ),
        },
    }
    match files.get(xml_doc.as_str()) {
        None => problems.push(format!("{xml_doc} is missing (the XML documentation)")),
        Some(b) => {
            let text = String::from_utf8_lossy(b);
            if !text.contains(&format!("<name>{id}</name>")) {
                problems.push(format!("{xml_doc} documents another assembly"));
            }
        }
    }
    problems
}

fn nuspec_differences(actual: &Nuspec, expected: &Nuspec) -> Vec<String> {
    let mut d = Vec::new();
    macro_rules! field {
        ($f:ident, $label:expr) => {
            if actual.$f != expected.$f {
                d.push(format!(
                    "{} is {:?}, expected {:?}",
                    $label, actual.$f, expected.$f
                ));
            }
        };
    }
    field!(id, "<id>");
    field!(version, "<version>");
    field!(authors, "<authors>");
    field!(description, "<description>");
    field!(license, "<license>");
    field!(license_url, "<licenseUrl>");
    field!(readme, "<readme>");
    field!(icon, "<icon>");
    field!(project_url, "<projectUrl>");
    field!(repository_url, "<repository url>");
    field!(tags, "<tags>");
    field!(copyright, "<copyright>");
    field!(release_notes, "<releaseNotes>");
    field!(dependency_groups, "dependency groups");
    d
}

fn check_surface(s: &Surface, e: &Expected) -> Vec<String> {
    let mut p = Vec::new();
    if s.assembly.name != e.nuspec.id {
        p.push(format!(
            "assembly name {} is not the package id {}",
            s.assembly.name, e.nuspec.id
        ));
    }
    if s.assembly.version != e.assembly_version {
        p.push(format!(
            "assembly version {} is not {}",
            s.assembly.version, e.assembly_version
        ));
    }
    if s.target_framework.as_deref() != Some(e.framework_moniker.as_str()) {
        p.push(format!(
            "it targets {:?}, not {} (lib/{}/)",
            s.target_framework, e.framework_moniker, e.tfm
        ));
    }
    let aot_marked = s.assembly_metadata.iter().any(|(k, v)| {
        k == "IsAotCompatible" && v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("true"))
    });
    if e.aot && !aot_marked {
        p.push("aot = true but the assembly is not marked IsAotCompatible".into());
    }
    let class = format!("{}.{}", e.namespace, e.class_name);
    let Some(ty) = s.types.iter().find(|t| *t.name == *class) else {
        p.push(format!("the public class {class} is missing"));
        return p;
    };
    if ty.kind != TypeKind::Class || !ty.r#abstract || !ty.sealed {
        p.push(format!("{class} is not a static class"));
    }
    for m in &e.methods {
        let found = ty
            .methods
            .iter()
            .filter(|x| x.name == m.name && x.r#static)
            .find(|x| {
                let params: Vec<String> = x.params.iter().map(|prm| listing(&prm.r#type)).collect();
                params == m.params && listing(&x.returns.r#type) == m.returns
            });
        if found.is_none() {
            p.push(format!(
                "{class}.{}({}) -> {} (for `{}`) is missing or has another signature",
                m.name,
                m.params.join(", "),
                m.returns,
                m.mochi_name
            ));
        }
    }
    for h in &e.handle_types {
        if !s
            .types
            .iter()
            .any(|t| *t.name == **h && t.kind == TypeKind::Class)
        {
            p.push(format!("the public class {h} is missing"));
        }
    }
    let exception = format!("{}.MochiException", e.namespace);
    if !s.types.iter().any(|t| *t.name == *exception) {
        p.push(format!("{exception} is missing"));
    }
    p
}

fn listing(t: &ecma335::surface::TypeSig) -> String {
    let mut s = String::new();
    t.unmodified().write_listing(&mut s);
    s
}
