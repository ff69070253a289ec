//! End-to-end `mochi-dotnet bind`: an assembly file, and a package locked
//! from a local folder feed (mochi.lock + the content-addressed cache), with
//! [dotnet.monomorphise] read from mochi.toml.

use std::path::Path;
use std::process::Command;

use fixtures::nupkg_builder::PackageBuilder;

const TINY: &str = r#"
namespace Tiny {
    public enum Mode { Off, On }
    public class Greeter {
        public Greeter(string name) { Name = name; }
        public string Name { get; set; }
        public string Greet(Mode m) { return Name; }
        public static int Twice(int x) { return x * 2; }
    }
    public class Box<T> { public T Value; public T Get() { return Value; } }
}
"#;

fn run(dir: &Path, cache: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mochi-dotnet"))
        .args(args)
        .current_dir(dir)
        .env("MOCHI_DOTNET_CACHE", cache)
        .env("HOME", dir)
        .env("NUGET_PACKAGES", dir.join("nuget-packages"))
        .env_remove("XDG_CACHE_HOME")
        .output()
        .expect("run mochi-dotnet");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bind_an_assembly_and_a_locked_package() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(dll) = fixtures::assemblies::compile_cs(TINY, "Tiny.Lib", &tmp.path().join("asm"))
    else {
        panic!("mcs is not installed: run scripts/setup-test-tools.sh");
    };
    let dll = dll.expect("mcs compiles Tiny");
    let proj = tmp.path().join("proj");
    let cache = tmp.path().join("cache");
    std::fs::create_dir_all(&proj).unwrap();

    // 1. An assembly file, inline monomorphise.
    let (ok, err) = run(
        &proj,
        &cache,
        &[
            "bind",
            dll.to_str().unwrap(),
            "--out",
            "out1",
            "--package",
            "tiny",
            "--monomorphise",
            "Tiny.Box`1=System.String;System.Int32",
        ],
    );
    assert!(ok, "{err}");
    assert!(err.contains("items translated"), "{err}");
    for f in [
        "plan.json",
        "tiny_extern.mochi",
        "tiny.mochi",
        "SKIPPED.txt",
        "skipped.json",
    ] {
        assert!(proj.join("out1").join(f).is_file(), "{f} missing");
    }
    let ext = std::fs::read_to_string(proj.join("out1/tiny_extern.mochi")).unwrap();
    assert!(
        ext.contains("extern fun mochi_tiny_greeter_new(name: string): Greeter\n"),
        "{ext}"
    );
    assert!(
        ext.contains("extern fun mochi_tiny_box_string_get(self_: Box_String): string\n"),
        "{ext}"
    );
    assert!(
        ext.contains("extern fun mochi_tiny_box_int32_get(self_: Box_Int32): int\n"),
        "{ext}"
    );
    let alias = std::fs::read_to_string(proj.join("out1/tiny.mochi")).unwrap();
    assert!(alias.contains("let Mode_On: int = 1\n"), "{alias}");
    let (e, a) = shimgen::grammar::check_pair(&ext, &alias).unwrap();
    assert!(!e.extern_funs.is_empty() && !a.funs.is_empty());

    // 2. A locked package from a folder feed; monomorphise from mochi.toml.
    let pkg = PackageBuilder::new("Tiny.Lib", "1.2.0")
        .file("lib/net8.0/Tiny.Lib.dll", std::fs::read(&dll).unwrap())
        .build();
    fixtures::nupkg_builder::write_flat_feed(&proj.join("feed"), &[pkg]).unwrap();
    std::fs::write(
        proj.join("mochi.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[dotnet-dependencies]\n\"Tiny.Lib\" = { path = \"feed\" }\n\n[dotnet]\nframework = \"net8.0\"\n\n[dotnet.monomorphise]\n\"Tiny.Box`1\" = [\"System.String\"]\n\n[dotnet.capabilities]\nfs = true\nnet = true\n",
    )
    .unwrap();
    std::fs::write(
        proj.join("NuGet.config"),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n  </packageSources>\n</configuration>\n",
    )
    .unwrap();
    let (ok, err) = run(&proj, &cache, &["lock", "--offline", "-q"]);
    assert!(ok, "lock: {err}");
    let (ok, err) = run(&proj, &cache, &["bind", "Tiny.Lib", "--out", "out2"]);
    assert!(ok, "bind: {err}");
    let ext = std::fs::read_to_string(proj.join("out2/tiny_lib_extern.mochi")).unwrap();
    assert!(ext.contains("Tiny.Lib 1.2.0"), "{ext}");
    assert!(
        ext.contains("extern fun mochi_tiny_lib_box_string_get(self_: Box_String): string\n"),
        "{ext}"
    );
    assert!(!ext.contains("Box_Int32"), "{ext}");

    // 3. Neither a file nor a locked id.
    let (ok, err) = run(&proj, &cache, &["bind", "No.Such", "--out", "out3"]);
    assert!(!ok);
    assert!(
        err.contains("No.Such is not locked") && err.contains("Tiny.Lib"),
        "{err}"
    );
}
