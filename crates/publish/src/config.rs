//! `[package]` and `[dotnet.publish]` of mochi.toml, read with serde and checked.
//!
//! Only what publishing needs is read; other tables belong to other commands and are
//! ignored. `[dotnet.publish]` is strict: an unknown key is an error naming it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{PublishError, Result};

/// Runtime identifiers a native library may be declared for, with the file name the
/// operating system's loader looks for (`{}` is the library name).
pub const RIDS: &[(&str, &str)] = &[
    ("linux-x64", "lib{}.so"),
    ("linux-arm64", "lib{}.so"),
    ("linux-arm", "lib{}.so"),
    ("linux-musl-x64", "lib{}.so"),
    ("linux-musl-arm64", "lib{}.so"),
    ("osx-x64", "lib{}.dylib"),
    ("osx-arm64", "lib{}.dylib"),
    ("win-x64", "{}.dll"),
    ("win-x86", "{}.dll"),
    ("win-arm64", "{}.dll"),
];

/// The manifest, as publishing sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The mochi.toml read.
    pub path: PathBuf,
    /// Its folder: relative paths are relative to it.
    pub dir: PathBuf,
    pub package: Package,
    pub publish: Publish,
}

/// `[package]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub description: Option<String>,
    pub license: Option<String>,
    pub authors: Vec<String>,
    pub repository: Option<String>,
    pub homepage: Option<String>,
    pub readme: Option<String>,
    pub keywords: Vec<String>,
}

/// A license: an SPDX expression or a file in the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum License {
    Expression(String),
    /// Absolute path on disk; packed at the root under its file name.
    File(PathBuf),
}

/// `[dotnet.publish]`, resolved (defaults applied, paths absolute).
#[derive(Debug, Clone, PartialEq)]
pub struct Publish {
    pub package_id: String,
    /// Equal to `[package].version`.
    pub version: String,
    /// `net8.0`, ...
    pub target_framework: TargetFramework,
    pub aot: bool,
    /// The API declaration file.
    pub api: PathBuf,
    /// RID → native library file.
    pub native: BTreeMap<String, PathBuf>,
    /// The name the facade loads (`mathx` for `libmathx.so`).
    pub native_name: String,
    pub authors: Vec<String>,
    pub description: String,
    pub license: Option<License>,
    pub project_url: Option<String>,
    pub repository_url: Option<String>,
    pub tags: Vec<String>,
    pub readme: Option<PathBuf>,
    pub icon: Option<PathBuf>,
    pub copyright: Option<String>,
    pub release_notes: Option<String>,
    /// The nuget.org account that owns the trusted-publishing policy.
    pub nuget_user: Option<String>,
    /// Extra registries for `--to=<name>`: name → v3 service index URL.
    pub registries: BTreeMap<String, String>,
    pub ci: Ci,
}

/// `[dotnet.publish.ci]`: what `--emit-ci` writes into the workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ci {
    /// Shell command building the native libraries before publishing.
    pub build: Option<String>,
    /// Shell command installing `mochi-dotnet` on the runner (the workflow says where
    /// it goes when unset: mochi-dotnet has no release channel to default to yet).
    pub install: Option<String>,
    /// GitHub environment of the publish job (must match the trusted-publishing policy).
    pub environment: Option<String>,
    pub runs_on: String,
    /// `actions/setup-dotnet`'s `dotnet-version`.
    pub dotnet_version: String,
    /// Who exchanges the OIDC token: NuGet's `NuGet/login` action (default), or
    /// `mochi-dotnet publish` itself.
    pub login: CiLogin,
}

/// `[dotnet.publish.ci].login`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CiLogin {
    /// A `NuGet/login@v1` step; the publish step gets its key in NUGET_API_KEY.
    #[default]
    NugetLoginAction,
    /// No login step: `mochi-dotnet publish` requests and exchanges the token.
    MochiDotnet,
}

/// A `net<major>.<minor>` target framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetFramework {
    pub major: u32,
    pub minor: u32,
}

impl TargetFramework {
    /// `net8.0`, `net10.0`; LibraryImport and `DisableRuntimeMarshalling` need .NET 7.
    pub fn parse(s: &str) -> Option<TargetFramework> {
        let rest = s.strip_prefix("net")?;
        let (major, minor) = rest.split_once('.')?;
        let ok = |p: &str| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p == "0" || !p.starts_with('0'))
        };
        if !ok(major) || !ok(minor) {
            return None;
        }
        let tf = TargetFramework {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        };
        (tf.major >= 7).then_some(tf)
    }

    /// `net8.0`
    pub fn short(&self) -> String {
        format!("net{}.{}", self.major, self.minor)
    }

    /// `.NETCoreApp,Version=v8.0` (TargetFrameworkAttribute).
    pub fn moniker(&self) -> String {
        format!(".NETCoreApp,Version=v{}.{}", self.major, self.minor)
    }
}

#[derive(Deserialize)]
struct RawManifest {
    package: Option<Spanned<RawPackage>>,
    dotnet: Option<RawDotnet>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPackage {
    name: Option<Spanned<String>>,
    version: Option<Spanned<String>>,
    description: Option<String>,
    license: Option<Spanned<String>>,
    #[serde(default)]
    authors: Vec<String>,
    repository: Option<String>,
    homepage: Option<String>,
    readme: Option<Spanned<String>>,
    #[serde(default)]
    keywords: Vec<String>,
}

#[derive(Deserialize)]
struct RawDotnet {
    publish: Option<Spanned<RawPublish>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawPublish {
    package_id: Option<Spanned<String>>,
    version: Option<Spanned<String>>,
    target_framework: Option<Spanned<String>>,
    #[serde(default)]
    aot: bool,
    api: Option<Spanned<String>>,
    #[serde(default)]
    native: BTreeMap<String, Spanned<String>>,
    authors: Option<Vec<String>>,
    description: Option<String>,
    license: Option<Spanned<String>>,
    project_url: Option<Spanned<String>>,
    repository_url: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
    readme: Option<Spanned<String>>,
    icon: Option<Spanned<String>>,
    copyright: Option<String>,
    release_notes: Option<String>,
    nuget_user: Option<Spanned<String>>,
    #[serde(default)]
    registries: BTreeMap<String, Spanned<String>>,
    ci: Option<RawCi>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawCi {
    build: Option<String>,
    install: Option<String>,
    environment: Option<String>,
    runs_on: Option<String>,
    dotnet_version: Option<String>,
    login: Option<CiLogin>,
}

/// Locates a byte span of the manifest as `file:line:column`.
struct Locator<'a> {
    label: String,
    text: &'a str,
}

impl Locator<'_> {
    fn at(&self, span: std::ops::Range<usize>) -> String {
        let start = span.start.min(self.text.len());
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{}:{line}:{column}", self.label)
    }

    fn err(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> PublishError {
        PublishError::Manifest {
            location: self.at(span),
            message: message.into(),
            hint: hint.into(),
        }
    }

    fn missing(&self, field: &str, hint: impl Into<String>) -> PublishError {
        PublishError::Manifest {
            location: self.label.clone(),
            message: format!("{field} is missing"),
            hint: hint.into(),
        }
    }
}

/// Reads and checks `path` (a mochi.toml).
pub fn load(path: &Path) -> Result<Manifest> {
    let text = std::fs::read_to_string(path).map_err(|e| PublishError::Manifest {
        location: path.display().to_string(),
        message: format!("cannot read the manifest: {e}"),
        hint: "run in the folder of the library's mochi.toml, or pass --manifest-path".into(),
    })?;
    parse(&text, path)
}

/// Parses manifest text read from `path` (used for locations and relative paths).
pub fn parse(text: &str, path: &Path) -> Result<Manifest> {
    let label = path.display().to_string();
    let loc = Locator {
        label: label.clone(),
        text,
    };
    let raw: RawManifest = toml::from_str(text).map_err(|e| {
        let location = match e.span() {
            Some(s) => loc.at(s),
            None => label.clone(),
        };
        PublishError::Manifest {
            location,
            hint: if e.message().contains("unknown field") {
                "the keys of [dotnet.publish] are: package-id, version, target-framework, aot, api, native, authors, description, license, project-url, repository-url, tags, readme, icon, copyright, release-notes, nuget-user, registries, ci (docs/publishing.md)".into()
            } else {
                "docs/publishing.md lists every key of [package] and [dotnet.publish] with its type".into()
            },
            message: e.message().trim().to_string(),
        }
    })?;
    let dir = path
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .unwrap_or(Path::new("."))
        .to_path_buf();

    let package_raw = raw.package.ok_or_else(|| {
        loc.missing(
            "[package]",
            "add [package] with name, version, description, license and authors",
        )
    })?;
    let package_span = package_raw.span();
    let p = package_raw.into_inner();
    let name = p.name.ok_or_else(|| {
        loc.err(
            package_span.clone(),
            "[package].name is missing",
            "add name = \"<library name>\"",
        )
    })?;
    if !is_identifier(name.get_ref()) {
        return Err(loc.err(
            name.span(),
            format!(
                "[package].name `{}` is not a Mochi package name",
                name.get_ref()
            ),
            "use letters, digits and `_`, starting with a letter (e.g. name = \"mathx\")",
        ));
    }
    let version = p.version.ok_or_else(|| {
        loc.err(
            package_span.clone(),
            "[package].version is missing",
            "add version = \"1.0.0\"",
        )
    })?;
    if let Err(why) = check_version(version.get_ref()) {
        return Err(loc.err(
            version.span(),
            format!(
                "[package].version `{}` is not a publishable version: {why}",
                version.get_ref()
            ),
            "use SemVer 2: MAJOR.MINOR.PATCH, optionally -prerelease (e.g. 1.2.0 or 1.2.0-beta.1)",
        ));
    }
    let package = Package {
        name: name.get_ref().clone(),
        version: version.get_ref().clone(),
        description: p.description.clone(),
        license: p.license.as_ref().map(|l| l.get_ref().clone()),
        authors: p.authors.clone(),
        repository: p.repository.clone(),
        homepage: p.homepage.clone(),
        readme: p.readme.as_ref().map(|r| r.get_ref().clone()),
        keywords: p.keywords.clone(),
    };

    let publish_raw = raw
        .dotnet
        .and_then(|d| d.publish)
        .ok_or_else(|| loc.missing("[dotnet.publish]", "add [dotnet.publish] with package-id, api and [dotnet.publish.native] (docs/publishing.md)"))?;
    let publish_span = publish_raw.span();
    let d = publish_raw.into_inner();

    let package_id = d.package_id.ok_or_else(|| {
        loc.err(publish_span.clone(), "[dotnet.publish].package-id is missing", "add package-id = \"<NuGet id>\", e.g. package-id = \"Mochi.Mathx\" (the id is yours for ever on nuget.org)")
    })?;
    if let Err(why) = check_package_id(package_id.get_ref()) {
        return Err(loc.err(package_id.span(), format!("[dotnet.publish].package-id `{}` is not a NuGet package id: {why}", package_id.get_ref()), "ids are at most 100 characters of letters, digits and `_`, in parts joined by `.` or `-` (e.g. Mochi.Mathx)"));
    }
    if let Some(v) = &d.version
        && v.get_ref() != version.get_ref()
    {
        return Err(loc.err(
            v.span(),
            format!(
                "[dotnet.publish].version `{}` differs from [package].version `{}`",
                v.get_ref(),
                version.get_ref()
            ),
            "the package version is [package].version: make them equal, or remove [dotnet.publish].version",
        ));
    }
    let target_framework = match &d.target_framework {
        None => TargetFramework { major: 8, minor: 0 },
        Some(t) => TargetFramework::parse(t.get_ref()).ok_or_else(|| {
            loc.err(t.span(), format!("[dotnet.publish].target-framework `{}` is not supported", t.get_ref()), "use net7.0 or later (e.g. target-framework = \"net8.0\"): the facade uses LibraryImport")
        })?,
    };
    let api_raw = d.api.ok_or_else(|| {
        loc.err(publish_span.clone(), "[dotnet.publish].api is missing", format!("name the API declaration file of the library, e.g. api = \"{}.mochi\" (docs/native-library.md)", package.name))
    })?;
    let api = dir.join(api_raw.get_ref());
    if !api.is_file() {
        return Err(loc.err(api_raw.span(), format!("[dotnet.publish].api: {} does not exist", api.display()), "write the declaration file (docs/native-library.md), or fix the path (relative to mochi.toml)"));
    }

    if d.native.is_empty() {
        return Err(loc.err(publish_span.clone(), "[dotnet.publish.native] names no native library", "add one line per runtime identifier, e.g. [dotnet.publish.native] linux-x64 = \"build/libmathx.so\""));
    }
    let mut native = BTreeMap::new();
    let mut native_name: Option<(String, String)> = None;
    for (rid, file) in &d.native {
        let Some((_, pattern)) = RIDS.iter().find(|(r, _)| r == rid) else {
            return Err(loc.err(
                file.span(),
                format!("[dotnet.publish.native]: `{rid}` is not a supported runtime identifier"),
                format!(
                    "use one of {}",
                    RIDS.iter().map(|(r, _)| *r).collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        let path = dir.join(file.get_ref());
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (prefix, suffix) = pattern.split_once("{}").expect("pattern has {}");
        let Some(lib) = file_name
            .strip_prefix(prefix)
            .and_then(|s| s.strip_suffix(suffix))
            .filter(|s| !s.is_empty())
        else {
            return Err(loc.err(
                file.span(),
                format!("[dotnet.publish.native].{rid}: `{file_name}` is not a {rid} library name"),
                format!(
                    "name the file {} (the loader of {rid} looks for that name)",
                    pattern.replace("{}", "<name>")
                ),
            ));
        };
        match &native_name {
            None => native_name = Some((lib.to_string(), rid.clone())),
            Some((first, first_rid)) if first != lib => {
                return Err(loc.err(file.span(), format!("[dotnet.publish.native]: the {rid} library is named `{lib}` but the {first_rid} one `{first}`"), "every runtime's library must have the same name: the facade loads one name"));
            }
            Some(_) => {}
        }
        native.insert(rid.clone(), path);
    }
    let native_name = native_name.expect("native is not empty").0;

    let authors = d.authors.clone().unwrap_or_else(|| package.authors.clone());
    if authors.is_empty() || authors.iter().any(|a| a.trim().is_empty()) {
        return Err(loc.err(
            publish_span.clone(),
            "the package has no authors",
            "set [package].authors = [\"Your Name\"] (or [dotnet.publish].authors)",
        ));
    }
    let description = d
        .description
        .clone()
        .or_else(|| package.description.clone())
        .unwrap_or_default();
    if description.trim().is_empty() {
        return Err(loc.err(
            package_span.clone(),
            "the package has no description",
            "set [package].description (nuget.org requires one)",
        ));
    }
    let license = match d.license.as_ref().or(p.license.as_ref()) {
        None => None,
        Some(l) => Some(license(&loc, &dir, l)?),
    };
    for url in [&d.project_url, &d.repository_url].into_iter().flatten() {
        if !(url.get_ref().starts_with("https://") || url.get_ref().starts_with("http://")) {
            return Err(loc.err(
                url.span(),
                format!("`{}` is not an http(s) URL", url.get_ref()),
                "write the full URL, e.g. https://github.com/owner/repo",
            ));
        }
    }
    let mut tags: Vec<String> = Vec::new();
    for t in &d.tags {
        if t.get_ref().is_empty() || t.get_ref().chars().any(|c| c.is_whitespace() || c == ',') {
            return Err(loc.err(
                t.span(),
                format!("tag `{}` contains a space or comma", t.get_ref()),
                "tags are single words (nuspec tags are space-separated)",
            ));
        }
        tags.push(t.get_ref().clone());
    }
    if d.tags.is_empty() {
        tags = package
            .keywords
            .iter()
            .filter(|k| !k.is_empty() && !k.contains(char::is_whitespace))
            .cloned()
            .collect();
    }
    let readme = match d.readme.as_ref().or(p.readme.as_ref()) {
        None => None,
        Some(r) => {
            let path = dir.join(r.get_ref());
            if !path.is_file() {
                return Err(loc.err(
                    r.span(),
                    format!("readme {} does not exist", path.display()),
                    "fix the path (relative to mochi.toml) or remove the key",
                ));
            }
            if !path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("md"))
            {
                return Err(loc.err(
                    r.span(),
                    format!("readme {} is not a Markdown (.md) file", path.display()),
                    "NuGet renders only Markdown readmes",
                ));
            }
            Some(path)
        }
    };
    let icon = match &d.icon {
        None => None,
        Some(i) => {
            let path = dir.join(i.get_ref());
            let ext_ok = path.extension().is_some_and(|e| {
                ["png", "jpg", "jpeg"]
                    .iter()
                    .any(|x| e.eq_ignore_ascii_case(x))
            });
            if !path.is_file() || !ext_ok {
                return Err(loc.err(
                    i.span(),
                    format!(
                        "icon {} is not an existing .png or .jpg file",
                        path.display()
                    ),
                    "NuGet accepts PNG and JPEG icons (128×128 recommended, at most 1 MB)",
                ));
            }
            Some(path)
        }
    };
    let nuget_user = match &d.nuget_user {
        None => None,
        Some(u) if u.get_ref().trim().is_empty() || u.get_ref().contains(char::is_whitespace) => {
            return Err(loc.err(
                u.span(),
                "[dotnet.publish].nuget-user is empty or contains spaces",
                "the nuget.org user (or organization) name that owns the trusted-publishing policy",
            ));
        }
        Some(u) => Some(u.get_ref().clone()),
    };
    let mut registries = BTreeMap::new();
    for (name, url) in &d.registries {
        if !(url.get_ref().starts_with("https://") || url.get_ref().starts_with("http://")) {
            return Err(loc.err(url.span(), format!("[dotnet.publish.registries].{name}: `{}` is not an http(s) URL", url.get_ref()), "give the registry's NuGet v3 service index, e.g. https://nuget.example.com/v3/index.json"));
        }
        registries.insert(name.clone(), url.get_ref().clone());
    }
    let ci = d.ci.as_ref();
    let ci = Ci {
        build: ci.and_then(|c| c.build.clone()),
        install: ci.and_then(|c| c.install.clone()),
        environment: ci.and_then(|c| c.environment.clone()),
        runs_on: ci
            .and_then(|c| c.runs_on.clone())
            .unwrap_or_else(|| "ubuntu-latest".to_string()),
        dotnet_version: ci
            .and_then(|c| c.dotnet_version.clone())
            .unwrap_or_else(|| "10.0.x".to_string()),
        login: ci.and_then(|c| c.login).unwrap_or_default(),
    };

    Ok(Manifest {
        path: path.to_path_buf(),
        dir,
        publish: Publish {
            package_id: package_id.into_inner(),
            version: package.version.clone(),
            target_framework,
            aot: d.aot,
            api,
            native,
            native_name,
            authors,
            description,
            license,
            project_url: d
                .project_url
                .map(|u| u.into_inner())
                .or_else(|| package.homepage.clone()),
            repository_url: d
                .repository_url
                .map(|u| u.into_inner())
                .or_else(|| package.repository.clone()),
            tags,
            readme,
            icon,
            copyright: d.copyright,
            release_notes: d.release_notes,
            nuget_user,
            registries,
            ci,
        },
        package,
    })
}

fn license(loc: &Locator<'_>, dir: &Path, l: &Spanned<String>) -> Result<License> {
    let s = l.get_ref().trim();
    let as_file = dir.join(s);
    let looks_like_file = s.contains('/')
        || s.contains('\\')
        || [".txt", ".md"]
            .iter()
            .any(|e| s.to_ascii_lowercase().ends_with(e))
        || s == "LICENSE";
    if looks_like_file {
        if !as_file.is_file() {
            return Err(loc.err(
                l.span(),
                format!("license file {} does not exist", as_file.display()),
                "give an SPDX expression (license = \"MIT\") or an existing file",
            ));
        }
        return Ok(License::File(as_file));
    }
    check_spdx(s).map_err(|why| loc.err(l.span(), format!("license `{s}` is not an SPDX license expression: {why}"), "e.g. license = \"MIT\" or \"Apache-2.0 OR MIT\" (nuget.org checks the identifiers), or a file such as \"LICENSE.txt\""))?;
    Ok(License::Expression(s.to_string()))
}

/// Syntax of an SPDX license expression: identifiers (`MIT`, `LicenseRef-x`,
/// `GPL-2.0+`) joined by AND/OR, `WITH` an exception, parentheses.
pub fn check_spdx(s: &str) -> Result<(), String> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' | ')' | ' ' => {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
                if c != ' ' {
                    tokens.push(c.to_string());
                }
            }
            c if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | ':') => cur.push(c),
            c => return Err(format!("character `{c}` is not allowed")),
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    // expr := term ((AND|OR) term)* ; term := id [WITH id] | ( expr )
    fn expr(t: &[String], i: &mut usize) -> Result<(), String> {
        term(t, i)?;
        while *i < t.len() && (t[*i] == "AND" || t[*i] == "OR") {
            *i += 1;
            term(t, i)?;
        }
        Ok(())
    }
    fn term(t: &[String], i: &mut usize) -> Result<(), String> {
        match t.get(*i).map(String::as_str) {
            None => Err("it ends where a license was expected".into()),
            Some("(") => {
                *i += 1;
                expr(t, i)?;
                if t.get(*i).map(String::as_str) != Some(")") {
                    return Err("a parenthesis is not closed".into());
                }
                *i += 1;
                Ok(())
            }
            Some(tok) if ["AND", "OR", "WITH", ")"].contains(&tok) => {
                Err(format!("`{tok}` where a license was expected"))
            }
            Some(_) => {
                *i += 1;
                if t.get(*i).map(String::as_str) == Some("WITH") {
                    *i += 1;
                    match t.get(*i).map(String::as_str) {
                        Some(tok) if !["AND", "OR", "WITH", "(", ")"].contains(&tok) => *i += 1,
                        _ => return Err("`WITH` needs an exception identifier".into()),
                    }
                }
                Ok(())
            }
        }
    }
    let mut i = 0;
    expr(&tokens, &mut i)?;
    if i != tokens.len() {
        return Err(format!("unexpected `{}`", tokens[i]));
    }
    Ok(())
}

/// NuGet's package id rule: `\w+([.-]\w+)*`, at most 100 characters.
pub fn check_package_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("it is empty".into());
    }
    if id.len() > 100 {
        return Err(format!("it is {} characters long", id.len()));
    }
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut prev_sep = true;
    for c in id.chars() {
        if c == '.' || c == '-' {
            if prev_sep {
                return Err(format!("`{c}` must sit between two words"));
            }
            prev_sep = true;
        } else if word(c) {
            prev_sep = false;
        } else {
            return Err(format!("character `{c}` is not allowed"));
        }
    }
    if prev_sep {
        return Err("it ends with a separator".into());
    }
    Ok(())
}

/// SemVer 2 as NuGet publishes it: `MAJOR.MINOR.PATCH[-pre][+build]`, no leading zeros.
pub fn check_version(v: &str) -> Result<(), String> {
    let (core_pre, build) = match v.split_once('+') {
        Some((a, b)) => (a, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match core_pre.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (core_pre, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() != 3 {
        return Err("it needs exactly three numbers".into());
    }
    for p in &parts {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{p}` is not a number"));
        }
        if p.len() > 1 && p.starts_with('0') {
            return Err(format!("`{p}` has a leading zero"));
        }
        if p.parse::<u32>().is_err() {
            return Err(format!("`{p}` is too large"));
        }
    }
    let ident_ok = |s: &str, numeric_rule: bool| {
        s.split('.').all(|id| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !(numeric_rule
                    && id.len() > 1
                    && id.starts_with('0')
                    && id.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    if let Some(pre) = pre
        && !ident_ok(pre, true)
    {
        return Err(format!(
            "prerelease `{pre}` is not dot-separated [0-9A-Za-z-] identifiers"
        ));
    }
    if let Some(build) = build
        && !ident_ok(build, false)
    {
        return Err(format!(
            "build metadata `{build}` is not dot-separated [0-9A-Za-z-] identifiers"
        ));
    }
    Ok(())
}

/// The version without build metadata, as URLs and file names use it (lower case).
pub fn version_for_urls(v: &str) -> String {
    v.split('+').next().unwrap_or(v).to_ascii_lowercase()
}

/// `1.2.3-beta` → `1.2.3.0` (AssemblyVersion takes numbers only).
pub fn assembly_version(v: &str) -> String {
    let core = v.split(['-', '+']).next().unwrap_or(v);
    format!("{core}.0")
}

/// A Mochi identifier: a letter or `_`, then letters, digits, `_`.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in [
            "1.0.0",
            "0.1.2",
            "10.20.30-beta.1",
            "1.0.0-rc-1+sha.abc",
            "1.0.0+build",
        ] {
            assert_eq!(check_version(ok), Ok(()), "{ok}");
        }
        for bad in [
            "1.0",
            "1.0.0.0",
            "01.0.0",
            "1.0.0-",
            "1.0.0-01",
            "1.0.0-a..b",
            "a.b.c",
            "1.0.0+",
        ] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
        assert_eq!(assembly_version("1.2.3-beta+x"), "1.2.3.0");
        assert_eq!(version_for_urls("1.2.3-Beta+x"), "1.2.3-beta");
    }

    #[test]
    fn ids() {
        for ok in ["Mochi.Mathx", "a", "A_b-c.d", "x1.y2"] {
            assert_eq!(check_package_id(ok), Ok(()), "{ok}");
        }
        for bad in ["", ".a", "a.", "a..b", "a b", "a/b", &"x".repeat(101)] {
            assert!(check_package_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn spdx() {
        for ok in [
            "MIT",
            "Apache-2.0 OR MIT",
            "(MIT AND BSD-3-Clause) OR GPL-2.0+",
            "GPL-2.0-only WITH Classpath-exception-2.0",
            "LicenseRef-x",
        ] {
            assert_eq!(check_spdx(ok), Ok(()), "{ok}");
        }
        for bad in [
            "", "MIT OR", "(MIT", "MIT)", "AND MIT", "MIT WITH", "MIT/X11", "MIT BSD",
        ] {
            assert!(check_spdx(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn frameworks() {
        assert_eq!(
            TargetFramework::parse("net8.0").map(|t| t.short()),
            Some("net8.0".into())
        );
        assert_eq!(
            TargetFramework::parse("net10.0").map(|t| t.moniker()),
            Some(".NETCoreApp,Version=v10.0".into())
        );
        for bad in [
            "net6.0",
            "netstandard2.0",
            "net8",
            "net08.0",
            "net8.0-windows",
            "net472",
        ] {
            assert_eq!(TargetFramework::parse(bad), None, "{bad}");
        }
    }
}
