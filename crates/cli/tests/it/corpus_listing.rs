//! `mochi-dotnet meta --list` against the System.Reflection.Metadata reference lister,
//! byte for byte, over the whole corpus of `fixtures/corpus.txt`.
//!
//! Needs the tools of `scripts/setup-test-tools.sh` (the reference lister in
//! `.tools/reference-lister/`, the .NET runtimes, Debian's Mono libraries). When they
//! are missing the test fails and says so: it never skips.
//!
//! Every mismatching file is reported (its first differing lines and the count of
//! differing lines) before the test fails; the full report is also written to
//! `target/tmp/corpus_listing/report.txt`.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SETUP_HINT: &str =
    "run scripts/setup-test-tools.sh (it installs the corpus and builds the reference lister)";
/// The corpus must be big enough that the test cannot pass vacuously (it has
/// 1936 managed files with the 20-package graph and the .NET 10 frameworks).
const MIN_MANAGED: usize = 1500;
/// Differing lines shown per file (each side).
const SHOW_LINES: usize = 8;
/// Per-invocation limit for our binary: a hang is a failure, not a stuck test.
const OUR_TIMEOUT: Duration = Duration::from_secs(60);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

// ---- corpus ------------------------------------------------------------------------------

/// Matches one path segment against a pattern with `*` (any run) and `?` (one char).
fn segment_matches(pat: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while n < name.len() {
        if p < pat.len() && (pat[p] == b'?' || pat[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pat.len() && pat[p] == b'*' {
            star = Some(p);
            mark = n;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            n = mark;
        } else {
            return false;
        }
    }
    while p < pat.len() && pat[p] == b'*' {
        p += 1;
    }
    p == pat.len()
}

/// Expands `segments` (split pattern) under `base`; `**` matches zero or more directories.
fn expand(base: &Path, segments: &[&str], out: &mut Vec<PathBuf>) {
    let Some((first, rest)) = segments.split_first() else {
        if base.is_file() {
            out.push(base.to_path_buf());
        }
        return;
    };
    if *first == "**" {
        expand(base, rest, out);
        if let Ok(entries) = sorted_entries(base) {
            for e in entries {
                if e.is_dir() {
                    expand(&e, segments, out);
                }
            }
        }
        return;
    }
    if !first.contains(['*', '?']) {
        let next = base.join(first);
        if next.exists() {
            expand(&next, rest, out);
        }
        return;
    }
    if let Ok(entries) = sorted_entries(base) {
        for e in entries {
            let name = e
                .file_name()
                .map(|n| n.as_encoded_bytes().to_vec())
                .unwrap_or_default();
            if segment_matches(first.as_bytes(), &name) {
                expand(&e, rest, out);
            }
        }
    }
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

/// The files of `fixtures/corpus.txt`, sorted, each real file once (first spelling kept).
/// Panics naming the pattern when one matches nothing.
fn corpus_files(root: &Path) -> Vec<PathBuf> {
    let manifest = root.join("fixtures/corpus.txt");
    let text = fs::read_to_string(&manifest)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    for line in text.lines() {
        let pat = line.split('#').next().unwrap_or("").trim();
        if pat.is_empty() {
            continue;
        }
        let (base, rel) = match pat.strip_prefix('/') {
            Some(rel) => (PathBuf::from("/"), rel),
            None => (root.to_path_buf(), pat),
        };
        let segments: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
        let mut matched = Vec::new();
        expand(&base, &segments, &mut matched);
        assert!(
            !matched.is_empty(),
            "corpus pattern `{pat}` ({}) matched no file; {SETUP_HINT}",
            manifest.display()
        );
        for f in matched {
            let real = f.canonicalize().unwrap_or_else(|_| f.clone());
            if seen.insert(real) {
                files.push(f);
            }
        }
    }
    files.sort();
    files
}

/// Name of the lister's output file for `path` in --batch mode (same rule as Lister.cs).
fn sanitise(path: &str) -> String {
    path.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

// ---- running the two readers -------------------------------------------------------------

fn reference_lister(root: &Path) -> PathBuf {
    let lister = std::env::var_os("MOCHI_REFERENCE_LISTER")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".tools/reference-lister/lister"));
    assert!(
        lister.is_file(),
        "reference lister {} not found; {SETUP_HINT}",
        lister.display()
    );
    lister
}

#[derive(Debug)]
enum RefStatus {
    Ok,
    NotManaged,
    Error(String),
}

/// Runs the reference lister once over the whole corpus (one CLR start).
fn run_reference(lister: &Path, files: &[PathBuf], out_dir: &Path) -> BTreeMap<String, RefStatus> {
    let output = Command::new(lister)
        .arg("--batch")
        .arg(out_dir)
        .args(files)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run the reference lister {}: {e}; {SETUP_HINT}",
                lister.display()
            )
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut statuses = BTreeMap::new();
    for line in stdout.lines() {
        let Some((path, status)) = line.rsplit_once('\t') else {
            continue;
        };
        let status = match status {
            "ok" => RefStatus::Ok,
            "not-managed" => RefStatus::NotManaged,
            other => RefStatus::Error(other.strip_prefix("error: ").unwrap_or(other).to_string()),
        };
        statuses.insert(path.to_string(), status);
    }
    assert_eq!(
        statuses.len(),
        files.len(),
        "the reference lister reported {} of {} files (exit {:?}); stderr:\n{}",
        statuses.len(),
        files.len(),
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    statuses
}

struct Ours {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    timed_out: bool,
}

fn run_ours(file: &Path, scratch: &Path) -> Ours {
    let out_path = scratch.join("ours.stdout");
    let err_path = scratch.join("ours.stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mochi-dotnet"))
        .args(["meta", "--list"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).expect("scratch stdout"))
        .stderr(fs::File::create(&err_path).expect("scratch stderr"))
        .spawn()
        .expect("cannot run mochi-dotnet");
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for mochi-dotnet") {
            break s;
        }
        if start.elapsed() > OUR_TIMEOUT {
            let _ = child.kill();
            timed_out = true;
            break child.wait().expect("wait for killed mochi-dotnet");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Ours {
        code: status.code(),
        stdout: fs::read(&out_path).unwrap_or_default(),
        stderr: String::from_utf8_lossy(&fs::read(&err_path).unwrap_or_default()).into_owned(),
        timed_out,
    }
}

// ---- comparing ---------------------------------------------------------------------------

fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    if bytes.is_empty() {
        return Vec::new();
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    body.split(|&b| b == b'\n').collect()
}

/// Multiset difference of two listings: (lines only in ours, lines only in the reference).
fn line_diff<'a>(ours: &[&'a [u8]], reference: &[&'a [u8]]) -> (Vec<&'a [u8]>, Vec<&'a [u8]>) {
    let mut a = ours.to_vec();
    let mut b = reference.to_vec();
    a.sort();
    b.sort();
    let (mut i, mut j) = (0, 0);
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    while i < a.len() || j < b.len() {
        if j == b.len() || (i < a.len() && a[i] < b[j]) {
            only_a.push(a[i]);
            i += 1;
        } else if i == a.len() || b[j] < a[i] {
            only_b.push(b[j]);
            j += 1;
        } else {
            i += 1;
            j += 1;
        }
    }
    (only_a, only_b)
}

fn describe_mismatch(ours: &[u8], reference: &[u8]) -> String {
    let ours_lines = split_lines(ours);
    let ref_lines = split_lines(reference);
    let (only_ours, only_ref) = line_diff(&ours_lines, &ref_lines);
    let mut s = String::new();
    if only_ours.is_empty() && only_ref.is_empty() {
        let first = ours_lines.iter().zip(&ref_lines).position(|(a, b)| a != b);
        let _ = writeln!(
            s,
            "    same lines, different bytes: order or framing (ours {} bytes, trailing newline {}; reference {} bytes){}",
            ours.len(),
            ours.ends_with(b"\n"),
            reference.len(),
            first
                .map(|i| format!("; first out-of-order line {}", i + 1))
                .unwrap_or_default()
        );
        if let Some(i) = first {
            let _ = writeln!(s, "    ours: {}", String::from_utf8_lossy(ours_lines[i]));
            let _ = writeln!(s, "    srm:  {}", String::from_utf8_lossy(ref_lines[i]));
        }
        return s;
    }
    let _ = writeln!(
        s,
        "    {} differing lines: {} only in ours, {} only in the reference (ours {} lines, reference {})",
        only_ours.len() + only_ref.len(),
        only_ours.len(),
        only_ref.len(),
        ours_lines.len(),
        ref_lines.len()
    );
    for l in only_ours.iter().take(SHOW_LINES) {
        let _ = writeln!(s, "    + ours: {}", String::from_utf8_lossy(l));
    }
    if only_ours.len() > SHOW_LINES {
        let _ = writeln!(s, "    + ours: ... {} more", only_ours.len() - SHOW_LINES);
    }
    for l in only_ref.iter().take(SHOW_LINES) {
        let _ = writeln!(s, "    - srm:  {}", String::from_utf8_lossy(l));
    }
    if only_ref.len() > SHOW_LINES {
        let _ = writeln!(s, "    - srm:  ... {} more", only_ref.len() - SHOW_LINES);
    }
    s
}

fn first_line(s: &str) -> &str {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

#[test]
fn listing_equals_system_reflection_metadata_on_the_corpus() {
    let root = repo_root();
    let lister = reference_lister(&root);
    let files = corpus_files(&root);
    assert!(!files.is_empty(), "empty corpus; {SETUP_HINT}");

    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("corpus_listing");
    let ref_dir = work.join("srm");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&ref_dir).expect("create the work directory");

    let t0 = Instant::now();
    let statuses = run_reference(&lister, &files, &ref_dir);
    let ref_time = t0.elapsed();

    let mut report = String::new();
    let mut failures = 0usize;
    let (mut managed, mut equal, mut not_managed, mut empty) = (0usize, 0usize, 0usize, 0usize);
    let t1 = Instant::now();
    for file in &files {
        let key = file.to_string_lossy().into_owned();
        let ours = run_ours(file, &work);
        let ours_summary = || {
            format!(
                "exit {:?}{}: {}",
                ours.code,
                if ours.timed_out {
                    " (killed after timeout)"
                } else {
                    ""
                },
                first_line(&ours.stderr)
            )
        };
        match &statuses[&key] {
            RefStatus::Error(msg) => {
                failures += 1;
                let _ = writeln!(
                    report,
                    "{key}\n    the reference lister cannot read it: {msg}\n    ours: {}",
                    ours_summary()
                );
            }
            RefStatus::NotManaged => {
                not_managed += 1;
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if ours.code != Some(1) || !ours.stderr.contains(&name) || !ours.stdout.is_empty() {
                    failures += 1;
                    let _ = writeln!(
                        report,
                        "{key}\n    not managed (no CLI metadata): expected exit 1, an error naming the file, no output; got {}, {} bytes of output",
                        ours_summary(),
                        ours.stdout.len()
                    );
                }
            }
            RefStatus::Ok => {
                managed += 1;
                let reference = fs::read(ref_dir.join(format!("{}.txt", sanitise(&key))))
                    .unwrap_or_else(|e| panic!("reference listing of {key} missing: {e}"));
                if reference.is_empty() {
                    empty += 1;
                }
                if ours.code != Some(0) {
                    failures += 1;
                    let _ = writeln!(
                        report,
                        "{key}\n    ours failed on a managed assembly ({} reference lines): {}",
                        split_lines(&reference).len(),
                        ours_summary()
                    );
                } else if ours.stdout != reference {
                    failures += 1;
                    let _ = writeln!(
                        report,
                        "{key}\n{}",
                        describe_mismatch(&ours.stdout, &reference).trim_end()
                    );
                } else {
                    equal += 1;
                }
            }
        }
    }
    let ours_time = t1.elapsed();

    let summary = format!(
        "corpus: {} files, {managed} managed ({empty} with an empty listing), {not_managed} not managed; \
         {equal} identical, {failures} failing; reference lister {:.1} s for all, ours {:.1} s for all",
        files.len(),
        ref_time.as_secs_f64(),
        ours_time.as_secs_f64()
    );
    let _ = fs::write(work.join("report.txt"), format!("{report}{summary}\n"));
    eprintln!(
        "{report}{summary}\nreport: {}",
        work.join("report.txt").display()
    );

    assert!(
        managed > MIN_MANAGED,
        "only {managed} managed assemblies in the corpus (need more than {MIN_MANAGED}); {SETUP_HINT}"
    );
    assert_eq!(
        failures, 0,
        "{failures} corpus files differ from the System.Reflection.Metadata listing (see above)"
    );
}

/// Replaces the unique occurrence of `from` (a NUL-terminated #Strings entry) by `to`.
fn patch_unique(image: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let hits: Vec<usize> = image
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{:?} occurs {} times in the assembled fixture",
        String::from_utf8_lossy(from),
        hits.len()
    );
    image[hits[0]..hits[0] + to.len()].copy_from_slice(to);
}

/// The shapes the corpus never reaches (fixtures/reference-lister/edge-shapes.il):
/// the reference lister must print the reviewed expected listing, and so must we.
#[test]
fn edge_shapes_listing_matches_the_reviewed_expectation() {
    let root = repo_root();
    let lister = reference_lister(&root);
    let src = root.join("fixtures/reference-lister/edge-shapes.il");
    let expected = fs::read(root.join("fixtures/reference-lister/edge-shapes.listing"))
        .expect("edge-shapes.listing");

    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("edge_shapes");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).expect("create the work directory");
    let assembled = work.join("EdgeShapes.raw.dll");
    let out = Command::new("ilasm")
        .arg("/dll")
        .arg(format!("/out:{}", assembled.display()))
        .arg(&src)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run ilasm: {e}; {SETUP_HINT}"));
    assert!(
        out.status.success() && assembled.is_file(),
        "ilasm failed on {}:\n{}{}",
        src.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut image = fs::read(&assembled).expect("read the assembled fixture");
    patch_unique(&mut image, b"Bad_XYZ\0", b"Bad_\xE2\x82Z\0");
    patch_unique(&mut image, b"Bad2_X\0", b"Bad2_\xFF\0");
    let dll = work.join("EdgeShapes.dll");
    fs::write(&dll, &image).expect("write the patched fixture");

    let reference = Command::new(&lister)
        .arg(&dll)
        .stdin(Stdio::null())
        .output()
        .expect("run the reference lister");
    assert!(
        reference.status.success(),
        "reference lister failed: {}",
        String::from_utf8_lossy(&reference.stderr)
    );
    assert!(
        reference.stdout == expected,
        "the reference lister disagrees with edge-shapes.listing (a referee bug or a changed format):\n{}",
        describe_mismatch(&reference.stdout, &expected)
    );

    let ours = run_ours(&dll, &work);
    assert_eq!(
        ours.code,
        Some(0),
        "mochi-dotnet meta --list failed on {}: {}",
        dll.display(),
        ours.stderr
    );
    assert!(
        ours.stdout == expected,
        "mochi-dotnet meta --list differs from edge-shapes.listing ('ours' vs 'srm' = expected):\n{}",
        describe_mismatch(&ours.stdout, &expected)
    );
}

/// The full surface model (custom attributes, constants, generic constraints,
/// forwarders; more than the listing decodes) reads on every managed corpus
/// file, its canonical JSON round-trips through `Surface::from_json`, and the
/// streamed JSON equals the model's.
#[test]
fn full_surface_reads_and_round_trips_on_the_corpus() {
    let root = repo_root();
    let files = corpus_files(&root);
    let mut managed = 0;
    let mut failures = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let md = match ecma335::Metadata::parse(&bytes) {
            Ok(md) => md,
            Err(ecma335::Error::NotManaged { .. }) => continue,
            Err(e) => {
                failures.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
        managed += 1;
        let surface = match ecma335::build_surface(&md, ecma335::Detail::Full) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
        let json = surface.to_canonical_json();
        let streamed = ecma335::write_canonical_json(&md, Vec::new()).unwrap();
        if streamed != json {
            failures.push(format!(
                "{}: streamed JSON differs from the model's",
                file.display()
            ));
        }
        match ecma335::Surface::from_json(&json) {
            Ok(back) if back.to_canonical_json() == json => {}
            Ok(_) => failures.push(format!("{}: JSON does not round-trip", file.display())),
            Err(e) => failures.push(format!("{}: JSON does not parse back: {e}", file.display())),
        }
    }
    assert!(
        managed > MIN_MANAGED,
        "only {managed} managed corpus files; {SETUP_HINT}"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
