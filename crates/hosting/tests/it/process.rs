//! Behaviour that needs a process of its own: CLR start time (the runtime
//! starts once per process) and the alternate-signal-stack fix (without it the
//! process dies). The test re-runs this binary with MOCHI_HOSTING_CHILD set to
//! run one of the child scenarios below.

use crate::support;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use hosting::MochiError;

const CHILD: &str = "MOCHI_HOSTING_CHILD";

fn run_child(scenario: &str) -> (Output, Duration) {
    run_child_with_env(scenario, &[])
}

fn run_child_with_env(
    scenario: &str,
    env: &[(&str, Option<&std::ffi::OsStr>)],
) -> (Output, Duration) {
    // Build the fixture here so the child's time is only its own work.
    let shim = support::fixture_shim_path();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "process::child",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD, scenario)
    .env("MOCHI_FIXTURE_SHIM", shim);
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let t = Instant::now();
    let out = cmd.output().unwrap();
    (out, t.elapsed())
}

type Nre = unsafe extern "system" fn(*const u8, i32, *mut i64, *mut MochiError) -> i32;

/// Not a test of its own: the body of a child process (does nothing without MOCHI_HOSTING_CHILD).
#[test]
fn child() {
    let Ok(scenario) = std::env::var(CHILD) else {
        return;
    };
    if scenario == "missing-framework-then-ok" {
        return missing_framework_then_ok();
    }
    if scenario == "user-config" {
        return user_config();
    }
    if scenario == "roll-forward" {
        return roll_forward_child();
    }
    if scenario == "from-env" {
        // No explicit root: the locator reads this process's DOTNET_ROOT / PATH / HOME.
        match hosting::Runtime::start(&hosting::RuntimeOptions::default()) {
            Ok(rt) => println!("MOCHI_FROM_ENV ok root={}", rt.install().root.display()),
            Err(e) => println!("MOCHI_FROM_ENV err {}", e.to_string().replace('\n', " | ")),
        }
        return;
    }
    let shim_path = std::env::var_os("MOCHI_FIXTURE_SHIM").unwrap();
    let t = Instant::now();
    let rt = support::runtime();
    let shim = hosting::Shim::load(rt, shim_path.as_ref()).unwrap();
    type Add = unsafe extern "system" fn(i64, i64, *mut i64, *mut MochiError) -> i32;
    let add: Add = unsafe { shim.export(support::EXPORTS, "mochi_abi_fixture_calc_add") }.unwrap();
    let mut out = 0;
    let mut err = MochiError::new();
    assert_eq!(unsafe { add(1, 2, &mut out, &mut err) }, 0);
    let first_call = t.elapsed();
    let nre: Nre =
        unsafe { shim.export(support::EXPORTS, "mochi_abi_fixture_failing_null_deref") }.unwrap();
    match scenario.as_str() {
        "start" => {
            let s = rt.start_timings();
            println!(
                "MOCHI_START total_ms={:.3} first_call_ms={:.3} locate_ms={:.3} hostfxr_load_ms={:.3} hostfxr_init_ms={:.3} clr_start_ms={:.3}",
                s.total.as_secs_f64() * 1e3,
                first_call.as_secs_f64() * 1e3,
                s.locate.as_secs_f64() * 1e3,
                s.hostfxr_load.as_secs_f64() * 1e3,
                s.hostfxr_initialize.as_secs_f64() * 1e3,
                s.clr_start.as_secs_f64() * 1e3
            );
        }
        "nre-unprepared-thread" | "nre-prepared-thread" => {
            let prepare = scenario == "nre-prepared-thread";
            std::thread::spawn(move || {
                if prepare {
                    hosting::prepare_current_thread().unwrap();
                }
                let mut err = MochiError::new();
                let status = unsafe { nre(std::ptr::null(), -1, &mut out, &mut err) };
                let e = shim.take_error(&mut err);
                println!("MOCHI_NRE status={status} type={}", e.type_name);
            })
            .join()
            .unwrap();
        }
        other => panic!("unknown scenario {other}"),
    }
}

#[test]
fn clr_starts_in_a_fresh_process_quickly() {
    let (out, wall) = run_child("start");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // libtest may print "test child ... " on the same line first.
    let line = stdout
        .lines()
        .find_map(|l| l.find("MOCHI_START").map(|i| &l[i..]))
        .expect("child reports timings");
    eprintln!("{line} child_wall_ms={:.3}", wall.as_secs_f64() * 1e3);
    let total: f64 = line
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("total_ms="))
        .unwrap()
        .parse()
        .unwrap();
    // The target is 150 ms (measured by the benchmark); a loaded CI machine gets slack.
    assert!(total < 1_000.0, "CLR start took {total} ms");
}

#[test]
fn null_reference_exception_is_an_error_value_on_a_prepared_thread() {
    let (out, _) = run_child("nre-prepared-thread");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("MOCHI_NRE status=1 type=System.NullReferenceException"),
        "{stdout}"
    );
}

/// Why `prepare_current_thread` exists: without it, on a thread Rust started
/// (small alternate signal stack), the CLR's SIGSEGV handler overflows and the
/// process dies. If this ever passes without a crash, the runtime fixed it and
/// the workaround can be revisited.
#[cfg(target_os = "linux")]
#[test]
fn null_reference_exception_on_an_unprepared_thread_kills_the_process() {
    use std::os::unix::process::ExitStatusExt;
    let (out, _) = run_child("nre-unprepared-thread");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.signal(),
        Some(libc_sigsegv()),
        "expected SIGSEGV without the fix; got {:?}, stdout {stdout}",
        out.status
    );
}

fn libc_sigsegv() -> i32 {
    11
}

/// A runtimeconfig that needs a framework this installation lacks: hostfxr's own
/// failure, mapped to advice with hostfxr's details; then a good start still works.
fn missing_framework_then_ok() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("needs-aspnet.runtimeconfig.json");
    std::fs::write(
        &cfg,
        r#"{"runtimeOptions":{"tfm":"net8.0","frameworks":[
            {"name":"Microsoft.NETCore.App","version":"8.0.0"},
            {"name":"Microsoft.AspNetCore.App","version":"8.0.0"}],
            "configProperties":{"System.Globalization.Invariant":true}}}"#,
    )
    .unwrap();
    let e = hosting::Runtime::start(&support::options().with_runtime_config(&cfg)).unwrap_err();
    println!("MOCHI_ERROR {}", e.to_string().replace('\n', " | "));
    let rt = support::runtime();
    println!("MOCHI_RETRY_OK {}", rt.version());
}

#[test]
fn hostfxr_failures_carry_status_advice_and_details() {
    let (out, _) = run_child("missing-framework-then-ok");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = stdout
        .lines()
        .find_map(|l| l.find("MOCHI_ERROR").map(|i| &l[i..]))
        .expect("child reports the error");
    assert!(
        err.contains("0x80008096 (FrameworkMissingFailure)"),
        "{err}"
    );
    assert!(err.contains("DOTNET_ROOT"), "{err}");
    assert!(
        err.contains("hostfxr: ") && err.contains("Microsoft.AspNetCore.App"),
        "{err}"
    );
    assert!(
        stdout.contains("MOCHI_RETRY_OK 8."),
        "a failed start is not remembered: {stdout}"
    );
}

/// A user's runtimeconfig without invariant globalization (this machine has no
/// ICU): the host adds the property through hostfxr, and reports the framework
/// version hostfxr rolled forward to.
fn user_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("app.runtimeconfig.json");
    std::fs::write(
        &cfg,
        r#"{"runtimeOptions":{"tfm":"net8.0","framework":{"name":"Microsoft.NETCore.App","version":"8.0.0"}}}"#,
    )
    .unwrap();
    let rt = hosting::Runtime::start(&support::options().with_runtime_config(&cfg)).unwrap();
    let shim = hosting::Shim::load(rt, support::fixture_shim_path()).unwrap();
    type Upper = unsafe extern "system" fn(
        *const hosting::MochiStr,
        i32,
        *mut *mut hosting::MochiStr,
        *mut i32,
        *mut MochiError,
    ) -> i32;
    let upper: Upper =
        unsafe { shim.export(support::EXPORTS, "mochi_abi_fixture_lists_upper") }.unwrap();
    let arg = [hosting::MochiStr::borrowed("é")];
    let (mut p, mut n, mut err) = (std::ptr::null_mut(), 0, MochiError::new());
    shim.check(
        unsafe { upper(arg.as_ptr(), 1, &mut p, &mut n, &mut err) },
        &mut err,
    )
    .unwrap();
    let got = unsafe { (*p).as_bytes() }.unwrap().to_vec();
    unsafe { shim.free(p.cast()) };
    type Prop =
        unsafe extern "system" fn(*const u8, i32, *mut *mut u8, *mut i32, *mut MochiError) -> i32;
    let prop: Prop = unsafe {
        shim.export(
            support::EXPORTS,
            "mochi_abi_fixture_host_info_app_context_value",
        )
    }
    .unwrap();
    let name = hosting::MochiStr::borrowed("System.Globalization.Invariant");
    let (mut p, mut n) = (std::ptr::null_mut(), 0);
    shim.check(
        unsafe { prop(name.ptr, name.len, &mut p, &mut n, &mut err) },
        &mut err,
    )
    .unwrap();
    let invariant = unsafe { shim.take_string(p, n) };
    println!(
        "MOCHI_USER_CONFIG version={} upper={} invariant={}",
        rt.version(),
        String::from_utf8(got).unwrap(),
        invariant.as_deref().unwrap_or("<unset>")
    );
}

#[test]
fn a_user_runtimeconfig_gets_the_host_properties() {
    let (out, _) = run_child("user-config");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = hosting::DotnetInstall::probe(&support::dotnet8_root()).unwrap();
    let newest8 = hosting::FrameworkRequirement::net(8, 0)
        .select(&installed.runtimes)
        .unwrap()
        .clone();
    assert!(
        stdout.contains(&format!(
            "MOCHI_USER_CONFIG version={newest8} upper=É invariant=true"
        )),
        "{stdout}"
    );
}

fn from_env_line(env: &[(&str, Option<&std::ffi::OsStr>)]) -> String {
    let (out, _) = run_child_with_env("from-env", env);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.find("MOCHI_FROM_ENV").map(|i| l[i..].to_owned()))
        .unwrap_or_else(|| panic!("no report: {stdout}"))
}

#[test]
fn dotnet_root_from_the_environment() {
    let home = tempfile::tempdir().unwrap();
    let root = support::dotnet8_root();
    let line = from_env_line(&[
        ("DOTNET_ROOT", Some(root.as_os_str())),
        ("PATH", Some("/usr/bin:/bin".as_ref())),
        ("HOME", Some(home.path().as_os_str())),
        ("MOCHI_DOTNET8_ROOT", None),
    ]);
    assert_eq!(line, format!("MOCHI_FROM_ENV ok root={}", root.display()));
}

#[test]
fn no_dotnet_anywhere_says_what_to_install() {
    let system_wide = [
        "/usr/share/dotnet",
        "/usr/lib/dotnet",
        "/usr/lib64/dotnet",
        "/usr/local/share/dotnet",
        "/opt/dotnet",
    ]
    .iter()
    .any(|p| std::path::Path::new(p).join("host/fxr").exists());
    if system_wide || std::path::Path::new("/etc/dotnet").exists() {
        eprintln!("skipped: this machine has a system-wide .NET");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let line = from_env_line(&[
        ("DOTNET_ROOT", None),
        ("PATH", Some("/usr/bin:/bin".as_ref())),
        ("HOME", Some(home.path().as_os_str())),
    ]);
    assert!(
        line.starts_with("MOCHI_FROM_ENV err no .NET installation found"),
        "{line}"
    );
    assert!(
        line.contains("apt-get install dotnet-runtime-8.0"),
        "{line}"
    );
    assert!(line.contains("set DOTNET_ROOT"), "{line}");
}

/// Starts the runtime for a net8.0 shim in MOCHI_RF_ROOT with the roll-forward
/// policy MOCHI_RF_POLICY (`default`: the requirement's own, Minor) and calls the
/// fixture shim; reports the version or the error on one line.
fn roll_forward_child() {
    let root = std::env::var_os("MOCHI_RF_ROOT").unwrap();
    let policy = std::env::var("MOCHI_RF_POLICY").unwrap();
    let mut req = hosting::FrameworkRequirement::net(8, 0);
    if policy != "default" {
        req = req.with_roll_forward(hosting::RollForward::parse(&policy).unwrap());
    }
    let options = hosting::RuntimeOptions::default()
        .with_dotnet_root(&root)
        .with_framework(req);
    match hosting::Runtime::start(&options) {
        Ok(rt) => {
            let shim = hosting::Shim::load(rt, support::fixture_shim_path()).unwrap();
            type Add = unsafe extern "system" fn(i64, i64, *mut i64, *mut MochiError) -> i32;
            let add: Add =
                unsafe { shim.export(support::EXPORTS, "mochi_abi_fixture_calc_add") }.unwrap();
            let (mut out, mut err) = (0, MochiError::new());
            shim.check(unsafe { add(2, 40, &mut out, &mut err) }, &mut err)
                .unwrap();
            println!("MOCHI_RF ok version={} sum={out}", rt.version());
        }
        Err(e) => println!("MOCHI_RF err {}", e.to_string().replace('\n', " | ")),
    }
}

/// The SDK's installation when it has a .NET 10 runtime (the only runtime a
/// machine with just the SDK 10 has); required when MOCHI_DOTNET_SDK_ROOT is set.
fn dotnet10_root() -> Option<std::path::PathBuf> {
    let root = std::env::var_os("MOCHI_DOTNET_SDK_ROOT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/usr/share/dotnet".into());
    let has10 = hosting::DotnetInstall::probe(&root)
        .is_ok_and(|i| i.runtimes.iter().any(|v| v.major == 10));
    if !has10 {
        assert!(
            std::env::var_os("MOCHI_DOTNET_SDK_ROOT").is_none(),
            "MOCHI_DOTNET_SDK_ROOT has no .NET 10 runtime: {}",
            root.display()
        );
        eprintln!("skipped: no .NET 10 runtime in {}", root.display());
        return None;
    }
    Some(root)
}

/// One installation with both runtimes: symlinks to each one's hostfxr and
/// Microsoft.NETCore.App.
#[cfg(unix)]
fn both_runtimes(dir: &std::path::Path, roots: &[&std::path::Path]) {
    for root in roots {
        let install = hosting::DotnetInstall::probe(root).unwrap();
        for (sub, versions) in [
            ("host/fxr", vec![install.hostfxr_version.clone()]),
            ("shared/Microsoft.NETCore.App", install.runtimes.clone()),
        ] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
            for v in versions {
                let v = v.to_string();
                let _ = std::os::unix::fs::symlink(root.join(sub).join(&v), dir.join(sub).join(&v));
            }
        }
    }
}

/// A net8.0 shim under each of .NET's roll-forward policies, on the .NET 8
/// runtime, on the SDK's .NET 10 alone, and on an installation with both: the
/// version chosen is .NET's, a real call runs on it, and a refusal names
/// Microsoft.NETCore.App 8.0, how to install it, and the roll-forward that
/// would use the newer runtime. DOTNET_ROLL_FORWARD overrides, as in .NET.
#[cfg(unix)]
#[test]
fn roll_forward_follows_dotnet_rules_on_net8_and_net10() {
    let run = |root: &std::path::Path, policy: &str, extra: &[(&str, Option<&std::ffi::OsStr>)]| {
        let mut env: Vec<(&str, Option<&std::ffi::OsStr>)> = vec![
            ("MOCHI_RF_ROOT", Some(root.as_os_str())),
            ("MOCHI_RF_POLICY", Some(policy.as_ref())),
            ("DOTNET_ROLL_FORWARD", None),
        ];
        env.extend_from_slice(extra);
        let (out, _) = run_child_with_env("roll-forward", &env);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{policy}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
            .lines()
            .find_map(|l| l.find("MOCHI_RF ").map(|i| l[i + 9..].to_owned()))
            .unwrap_or_else(|| panic!("no report: {stdout}"))
    };
    let ok_on = |line: &str, major: u32, policy: &str| {
        assert!(
            line.starts_with(&format!("ok version={major}.")) && line.ends_with(" sum=42"),
            "{policy}: {line}"
        );
    };
    let root8 = support::dotnet8_root();
    for policy in [
        "default",
        "LatestPatch",
        "Minor",
        "LatestMinor",
        "Major",
        "LatestMajor",
    ] {
        ok_on(&run(&root8, policy, &[]), 8, policy);
    }
    let line = run(&root8, "Disable", &[]);
    assert!(
        line.starts_with("err no installed .NET runtime satisfies Microsoft.NETCore.App 8.0")
            && line.contains("Microsoft.NETCore.App 8.0.0 exactly (rollForward Disable)"),
        "{line}"
    );

    let Some(root10) = dotnet10_root() else {
        return;
    };
    for policy in ["default", "Disable", "LatestPatch", "Minor", "LatestMinor"] {
        let line = run(&root10, policy, &[]);
        assert!(
            line.starts_with("err no installed .NET runtime satisfies Microsoft.NETCore.App 8.0"),
            "{policy}: {line}"
        );
        for part in [
            "has runtimes 10.",
            "install the .NET 8.0 runtime",
            "newer runtime installed (10.",
            "LatestMajor",
        ] {
            assert!(line.contains(part), "{policy}: {part:?} not in {line}");
        }
    }
    for policy in ["Major", "LatestMajor"] {
        ok_on(&run(&root10, policy, &[]), 10, policy);
    }
    // DOTNET_ROLL_FORWARD overrides the shim's own policy.
    ok_on(
        &run(
            &root10,
            "default",
            &[("DOTNET_ROLL_FORWARD", Some("LatestMajor".as_ref()))],
        ),
        10,
        "DOTNET_ROLL_FORWARD=LatestMajor",
    );

    let both = tempfile::tempdir().unwrap();
    both_runtimes(both.path(), &[&root8, &root10]);
    for (policy, major) in [
        ("default", 8),
        ("LatestMinor", 8),
        ("Major", 8),
        ("LatestMajor", 10),
    ] {
        ok_on(&run(both.path(), policy, &[]), major, policy);
    }
}
