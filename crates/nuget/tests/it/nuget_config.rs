//! NuGet.config discovery and merging.

use std::path::{Path, PathBuf};

use nuget::NuGetError;
use nuget::config::{ConfigDiscovery, NUGET_ORG, SourceLocation, load_sources};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn config(sources: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n{sources}\n</configuration>\n"
    )
}

fn names_and_locations(set: &nuget::config::SourceSet) -> Vec<(String, String)> {
    set.sources
        .iter()
        .map(|s| (s.name.clone(), s.display_location()))
        .collect()
}

/// root/NuGet.Config, root/repo/nuget.config, root/repo/app/NuGet.Config and
/// home/.nuget/NuGet/NuGet.Config.
struct Tree {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    app: PathBuf,
    user: PathBuf,
}

fn tree() -> Tree {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let app = root.join("repo/app");
    std::fs::create_dir_all(&app).unwrap();
    let user = tmp.path().join("home/.nuget/NuGet/NuGet.Config");
    Tree {
        _tmp: tmp,
        root,
        app,
        user,
    }
}

fn discovery(t: &Tree) -> ConfigDiscovery {
    ConfigDiscovery {
        project_dir: t.app.clone(),
        user_config: Some(t.user.clone()),
    }
}

#[test]
fn closer_files_come_first_and_override_by_key() {
    let t = tree();
    write(
        &t.user,
        &config(
            r#"<packageSources><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /><add key="Shared" value="https://user.example/v3/index.json" /></packageSources>"#,
        ),
    );
    write(
        &t.root.join("NuGet.Config"),
        &config(
            r#"<packageSources><add key="Company" value="https://company.example/v3/index.json" /></packageSources>"#,
        ),
    );
    write(
        &t.root.join("repo/nuget.config"),
        &config(
            r#"<packageSources><add key="shared" value="https://repo.example/v3/index.json" /></packageSources>"#,
        ),
    );
    write(
        &t.app.join("NuGet.Config"),
        &config(r#"<packageSources><add key="Local" value="../packages" /></packageSources>"#),
    );
    let set = load_sources(&discovery(&t), &[], &t.app).unwrap();
    assert_eq!(
        names_and_locations(&set),
        [
            (
                "Local".to_string(),
                t.app.join("../packages").display().to_string()
            ),
            (
                "shared".to_string(),
                "https://repo.example/v3/index.json".to_string()
            ),
            (
                "Company".to_string(),
                "https://company.example/v3/index.json".to_string()
            ),
            ("nuget.org".to_string(), NUGET_ORG.to_string()),
        ]
    );
    assert_eq!(set.files.len(), 4);
    assert_eq!(set.files[0], t.app.join("NuGet.Config"));
    assert_eq!(set.files[3], t.user);
    assert!(matches!(set.sources[0].location, SourceLocation::Folder(_)));
}

#[test]
fn clear_drops_everything_applied_before() {
    let t = tree();
    write(
        &t.user,
        &config(
            r#"<packageSources><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources>"#,
        ),
    );
    write(
        &t.root.join("NuGet.Config"),
        &config(
            r#"<packageSources><add key="Company" value="https://company.example/v3/index.json" /></packageSources>"#,
        ),
    );
    write(
        &t.app.join("NuGet.Config"),
        &config(
            r#"<packageSources><clear /><add key="Only" value="https://only.example/v3/index.json" /></packageSources>"#,
        ),
    );
    let set = load_sources(&discovery(&t), &[], &t.app).unwrap();
    assert_eq!(
        names_and_locations(&set),
        [(
            "Only".to_string(),
            "https://only.example/v3/index.json".to_string()
        )]
    );

    // <clear/> in a file further away does not touch closer ones.
    write(
        &t.app.join("NuGet.Config"),
        &config(
            r#"<packageSources><add key="Near" value="https://near.example/v3/index.json" /></packageSources>"#,
        ),
    );
    write(
        &t.root.join("NuGet.Config"),
        &config(
            r#"<packageSources><clear /><add key="Company" value="https://company.example/v3/index.json" /></packageSources>"#,
        ),
    );
    let set = load_sources(&discovery(&t), &[], &t.app).unwrap();
    let names: Vec<String> = set.sources.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names, ["Near", "Company"]);
}

#[test]
fn remove_and_disabled_sources() {
    let t = tree();
    write(
        &t.user,
        &config(
            r#"<packageSources><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /><add key="Old" value="https://old.example/v3/index.json" /></packageSources>
<disabledPackageSources><add key="Company" value="true" /><add key="NotDisabled" value="false" /></disabledPackageSources>"#,
        ),
    );
    write(
        &t.app.join("NuGet.Config"),
        &config(
            r#"<packageSources><remove key="old" /><add key="Company" value="https://company.example/v3/index.json" /><add key="NotDisabled" value="https://nd.example/v3/index.json" /></packageSources>"#,
        ),
    );
    let set = load_sources(&discovery(&t), &[], &t.app).unwrap();
    let names: Vec<String> = set.sources.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names, ["NotDisabled", "nuget.org"]);
    assert_eq!(set.disabled, ["Company"]);

    // A closer file can re-enable with <clear/> in disabledPackageSources.
    write(
        &t.app.join("NuGet.Config"),
        &config(
            r#"<packageSources><add key="Company" value="https://company.example/v3/index.json" /></packageSources><disabledPackageSources><clear /></disabledPackageSources>"#,
        ),
    );
    let set = load_sources(&discovery(&t), &[], &t.app).unwrap();
    let names: Vec<String> = set.sources.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names, ["Company", "nuget.org", "Old"]);
    assert!(set.disabled.is_empty());
}

#[test]
fn manifest_sources_come_first_and_duplicates_collapse() {
    let t = tree();
    write(
        &t.app.join("NuGet.Config"),
        &config(
            r#"<packageSources><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources>"#,
        ),
    );
    let manifest = vec![
        ("vendored".to_string(), "vendor/nupkgs".to_string()),
        ("again".to_string(), NUGET_ORG.to_string()),
    ];
    let set = load_sources(&discovery(&t), &manifest, &t.app).unwrap();
    assert_eq!(
        names_and_locations(&set),
        [
            (
                "vendored".to_string(),
                t.app.join("vendor/nupkgs").display().to_string()
            ),
            ("again".to_string(), NUGET_ORG.to_string()),
        ]
    );
}

#[test]
fn no_config_at_all_means_nuget_org() {
    let t = tree();
    let set = load_sources(&discovery(&t), &[], &t.app).unwrap();
    assert_eq!(
        names_and_locations(&set),
        [("nuget.org".to_string(), NUGET_ORG.to_string())]
    );
    assert!(set.files.is_empty());
}

#[test]
fn global_packages_folder_and_environment_expansion() {
    let t = tree();
    // SAFETY: this test binary sets this variable only here; no other test reads it.
    unsafe { std::env::set_var("MOCHI_TEST_FEED_ROOT", "/srv/feeds") };
    write(
        &t.app.join("nuget.config"),
        &config(
            r#"<config><add key="globalPackagesFolder" value="gpf" /></config>
<packageSources><add key="Env" value="%MOCHI_TEST_FEED_ROOT%/a" /><add key="Unknown" value="%NO_SUCH_VAR_FOR_MOCHI%/b" /></packageSources>"#,
        ),
    );
    let set = load_sources(&discovery(&t), &[], &t.app).unwrap();
    assert_eq!(set.global_packages_folder, Some(t.app.join("gpf")));
    assert_eq!(set.sources[0].display_location(), "/srv/feeds/a");
    assert_eq!(
        set.sources[1].display_location(),
        t.app
            .join("%NO_SUCH_VAR_FOR_MOCHI%/b")
            .display()
            .to_string()
    );
}

#[test]
fn malformed_config_names_the_file() {
    let t = tree();
    let bad = t.root.join("NuGet.Config");
    write(&bad, "<configuration><packageSources><add key=\"x\"");
    let e = load_sources(&discovery(&t), &[], &t.app).unwrap_err();
    match &e {
        NuGetError::Config { path, .. } => assert_eq!(path, &bad),
        other => panic!("unexpected {other}"),
    }
    assert!(e.to_string().contains("hint:"), "{e}");

    write(
        &bad,
        &config(r#"<packageSources><add key="NoValue" /></packageSources>"#),
    );
    let e = load_sources(&discovery(&t), &[], &t.app).unwrap_err();
    assert!(e.to_string().contains("has no value attribute"), "{e}");
}

#[test]
fn package_source_mapping_picks_the_most_specific_pattern() {
    let t = tree();
    write(
        &t.user,
        &config(
            r#"<packageSources><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources>
<packageSourceMapping><packageSource key="nuget.org"><package pattern="*" /></packageSource></packageSourceMapping>"#,
        ),
    );
    write(
        &t.app.join("NuGet.Config"),
        &config(
            r#"<packageSources><add key="contoso" value="https://contoso.example/v3/index.json" /><add key="mirror" value="https://mirror.example/v3/index.json" /></packageSources>
<packageSourceMapping>
  <packageSource key="contoso"><package pattern="Contoso.*" /><package pattern="Exact.Id" /></packageSource>
  <packageSource key="mirror"><package pattern="contoso.*" /><package pattern="Contoso.Secret.*" /></packageSource>
</packageSourceMapping>"#,
        ),
    );
    let manifest = vec![("vendored".to_string(), "vendor".to_string())];
    let set = load_sources(&discovery(&t), &manifest, &t.app).unwrap();
    let m = set.source_mapping.expect("mapping defined");
    let allowed = |id: &str| -> Vec<String> {
        set.sources
            .iter()
            .filter(|s| m.allows(&s.name, id))
            .map(|s| s.name.clone())
            .collect()
    };
    assert_eq!(allowed("Newtonsoft.Json"), ["vendored", "nuget.org"]);
    assert_eq!(allowed("Contoso.Lib"), ["vendored", "contoso", "mirror"]);
    assert_eq!(allowed("contoso.secret.keys"), ["vendored", "mirror"]);
    assert_eq!(allowed("exact.id"), ["vendored", "contoso"]);
    assert_eq!(allowed("Exact.Id.Not"), ["vendored", "nuget.org"]);

    // Without a catch-all, unmatched ids have no source (the manifest's excepted).
    write(
        &t.user,
        &config(
            r#"<packageSources><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources>"#,
        ),
    );
    let set = load_sources(&discovery(&t), &[], &t.app).unwrap();
    let m = set.source_mapping.unwrap();
    assert!(
        set.sources
            .iter()
            .all(|s| !m.allows(&s.name, "Newtonsoft.Json"))
    );
}
