//! `include/mochi_dotnet.h`, the header of the bridge static library, is
//! generated here and checked to be current.
//!
//! Sources: the shim ABI types from `crates/shimabi/include/mochi_shim_abi.h`
//! (under that header's own guard), and the host section from
//! `crates/hosting/include/mochi_dotnet_host.h` (under its guard) after every host
//! declaration in it has been checked against the signature generated from
//! `crates/hosting/src/capi.rs`;
//! the embedding section is generated from `crates/bridge/src/capi.rs` (its
//! `pub const MOCHI_DOTNET_*` items become `#define`s, its `extern "C"`
//! functions declarations, their doc comments the C comments).
//!
//! Regenerate with:
//!     MOCHI_DOTNET_BLESS=1 cargo test -p bridge --test it capi_header

use std::path::{Path, PathBuf};
use std::process::Command;

const REGENERATE: &str = "MOCHI_DOTNET_BLESS=1 cargo test -p bridge --test it capi_header";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    let p = workspace().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// One item of a Rust C-API source, in source order.
#[derive(Debug)]
enum Item {
    Const {
        doc: Vec<String>,
        name: String,
        value: String,
    },
    Fn {
        doc: Vec<String>,
        decl: String,
        name: String,
    },
}

/// The C spelling of a Rust type of the C API; panics on a type it does not know,
/// so a new type is a decision, not a silent guess.
fn c_type(rust: &str) -> &'static str {
    match rust
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .as_str()
    {
        "()" => "void",
        "i32" => "int32_t",
        "u32" => "uint32_t",
        "i64" => "int64_t",
        "usize" => "size_t",
        "isize" => "mochi_handle",
        "*const c_char" => "const char *",
        "*mut u8" => "uint8_t *",
        "*mut *mut u8" => "uint8_t **",
        "*mut usize" => "size_t *",
        "*mut c_void" => "void *",
        // A function pointer handed out as data: the caller casts it.
        "*const c_void" => "void *",
        "*const Shim" => "const mochi_dotnet_shim *",
        "*mut Shim" => "mochi_dotnet_shim *",
        other => panic!(
            "capi_header: no C spelling for the Rust type `{other}`; add it to c_type() in {}",
            file!()
        ),
    }
}

/// `type` + `name`, with the `*` against the name as the headers write it.
fn c_decl(ty: &str, name: &str) -> String {
    if ty.ends_with('*') {
        format!("{ty}{name}")
    } else {
        format!("{ty} {name}")
    }
}

fn parse_items(source: &str, origin: &str) -> Vec<Item> {
    let lines: Vec<&str> = source.lines().collect();
    let mut items = Vec::new();
    let mut doc: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if let Some(d) = line.strip_prefix("///") {
            doc.push(d.strip_prefix(' ').unwrap_or(d).to_owned());
        } else if line.starts_with("#[") {
            // Attributes between the doc comment and the item.
        } else if let Some(rest) = line.strip_prefix("pub const MOCHI_DOTNET_") {
            let (name, rest) = rest.split_once(':').expect("pub const NAME: T = V;");
            let value = rest
                .split_once('=')
                .and_then(|(_, v)| v.trim().strip_suffix(';'))
                .unwrap_or_else(|| panic!("{origin}: `{line}` is not on one line"))
                .trim()
                .to_owned();
            assert!(
                value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{origin}: {name}: only literal values become #defines, got `{value}`"
            );
            items.push(Item::Const {
                doc: std::mem::take(&mut doc),
                name: format!("MOCHI_DOTNET_{name}"),
                value,
            });
        } else if line.contains("extern \"C\" fn ") {
            let mut sig = String::new();
            while !lines[i].contains('{') {
                sig.push_str(lines[i].trim());
                sig.push(' ');
                i += 1;
            }
            sig.push_str(lines[i].split('{').next().unwrap());
            let after_fn = sig.split_once("fn ").unwrap().1;
            let (name, rest) = after_fn.split_once('(').unwrap();
            let (params, ret) = rest.split_once(')').unwrap();
            let ret = ret.trim().strip_prefix("->").unwrap_or("()").trim();
            let params: Vec<String> = params
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (n, t) = p.split_once(':').unwrap();
                    c_decl(c_type(t), n.trim())
                })
                .collect();
            let params = if params.is_empty() {
                "void".to_owned()
            } else {
                params.join(", ")
            };
            let name = name.trim().to_owned();
            items.push(Item::Fn {
                doc: std::mem::take(&mut doc),
                decl: format!("{};", c_decl(c_type(ret), &format!("{name}({params})"))),
                name,
            });
        } else {
            doc.clear();
        }
        i += 1;
    }
    items
}

fn c_comment(doc: &[String]) -> String {
    let lines: Vec<String> = doc
        .iter()
        .map(|l| {
            if l.trim() == "# Safety" {
                "Safety:".to_owned()
            } else {
                l.replace("*/", "* /")
            }
        })
        .collect();
    let mut s = String::from("/*");
    for (k, l) in lines.iter().enumerate() {
        if k > 0 {
            s.push_str("\n *");
        }
        if !l.is_empty() {
            s.push(' ');
            s.push_str(l);
        }
    }
    s.push_str(" */\n");
    s
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` without its `/* ... */` comments.
fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("an unterminated comment");
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

fn section<'a>(text: &'a str, header: &str, from: &str, to: &str) -> &'a str {
    let start = text
        .find(from)
        .unwrap_or_else(|| panic!("{header} has no `{from}`: update {}", file!()));
    let end = start
        + text[start..]
            .find(to)
            .unwrap_or_else(|| panic!("{header} has no `{to}`: update {}", file!()));
    &text[start..end]
}

const ABI_HEADER: &str = "crates/shimabi/include/mochi_shim_abi.h";
const HOST_HEADER: &str = "crates/hosting/include/mochi_dotnet_host.h";

/// The header, generated.
fn generate() -> String {
    let abi_header = read(ABI_HEADER);
    let shim_abi = section(
        &abi_header,
        ABI_HEADER,
        "/* ---- the shim ABI",
        "#ifdef __cplusplus\n}",
    );
    let host_header = read(HOST_HEADER);
    let host = section(
        &host_header,
        HOST_HEADER,
        "/* ---- the host ---- */",
        "#ifdef __cplusplus\n}",
    );

    // The host section's declarations must be exactly what hosting's Rust exports.
    let host_items = parse_items(&read("crates/hosting/src/capi.rs"), "hosting/src/capi.rs");
    let mut from_rust: Vec<String> = host_items
        .iter()
        .filter_map(|i| match i {
            Item::Fn { decl, .. } => Some(normalise(decl)),
            Item::Const { .. } => None,
        })
        .collect();
    let mut in_header: Vec<String> = strip_comments(host)
        .split(';')
        .filter(|d| d.contains("mochi_dotnet_") && d.contains('(') && !d.contains("typedef"))
        .map(|d| normalise(&format!("{d};")))
        .collect();
    from_rust.sort();
    in_header.sort();
    assert_eq!(
        in_header, from_rust,
        "the host declarations of {HOST_HEADER} (left) differ from the signatures of \
         crates/hosting/src/capi.rs (right): fix the hosting header first"
    );

    let mut embed = String::new();
    for item in parse_items(&read("crates/bridge/src/capi.rs"), "bridge/src/capi.rs") {
        match item {
            Item::Const { doc, name, value } => {
                embed.push_str(&c_comment(&doc));
                embed.push_str(&format!("#define {name} {value}\n\n"));
            }
            Item::Fn { doc, decl, .. } => {
                embed.push_str(&c_comment(&doc));
                embed.push_str(&decl);
                embed.push_str("\n\n");
            }
        }
    }

    format!(
        "/* mochi-dotnet: the C API of the bridge static library (libbridge.a), for
 * Mochi's toolchain (meta, lock, bind) and for compiled programs (the .NET host
 * and the shim ABI). docs/embedding.md describes it; docs/hosting.md the ABI.
 *
 * GENERATED by crates/bridge/tests/it/capi_header.rs from {ABI_HEADER}
 * (the shim ABI), {HOST_HEADER} (host comments),
 * crates/hosting/src/capi.rs and crates/bridge/src/capi.rs. Do not edit;
 * regenerate with
 *     {REGENERATE}
 * The shim ABI and host sections keep the guards of their own headers, so this
 * header and those may be included together in any order.
 */
#ifndef MOCHI_DOTNET_H
#define MOCHI_DOTNET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern \"C\" {{
#endif

#ifndef MOCHI_SHIM_ABI_H
#define MOCHI_SHIM_ABI_H

{shim_abi}#endif /* MOCHI_SHIM_ABI_H */

#ifndef MOCHI_DOTNET_HOST_H
#define MOCHI_DOTNET_HOST_H

{host}#endif /* MOCHI_DOTNET_HOST_H */

/* ---- embedding: the bridge (crates/bridge/src/capi.rs) ---- */

{embed}#ifdef __cplusplus
}}
#endif

#endif /* MOCHI_DOTNET_H */
"
    )
}

/// A line diff (longest common subsequence), `-` current, `+` generated.
fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("-{:>4} {}\n", i + 1, a[i]));
            i += 1;
        } else {
            out.push_str(&format!("+{:>4} {}\n", j + 1, b[j]));
            j += 1;
        }
    }
    out
}

#[test]
fn the_header_is_current() {
    let path = workspace().join("include/mochi_dotnet.h");
    let generated = generate();
    if std::env::var_os("MOCHI_DOTNET_BLESS").is_some_and(|v| v != "0") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "include/mochi_dotnet.h is not what the Rust sources generate (- file, + generated):\n{}\nregenerate with:\n    {REGENERATE}",
        diff(&current, &generated)
    );
}

#[test]
fn the_header_declares_every_function_of_both_c_apis() {
    let generated = generate();
    for (origin, rel) in [
        ("hosting", "crates/hosting/src/capi.rs"),
        ("bridge", "crates/bridge/src/capi.rs"),
    ] {
        for item in parse_items(&read(rel), rel) {
            let name = match item {
                Item::Fn { name, .. } | Item::Const { name, .. } => name,
            };
            assert!(
                generated.contains(&format!("{name}("))
                    || generated.contains(&format!("#define {name} ")),
                "{origin}: {name} is missing from the header"
            );
        }
    }
    // The generator saw the functions it is meant to.
    for f in [
        "int32_t mochi_dotnet_meta(const char *assembly_path, int32_t format, uint8_t **out, size_t *out_len);",
        "int32_t mochi_dotnet_lock(const char *manifest_path, uint32_t flags);",
        "int32_t mochi_dotnet_bind(const char *target, const char *out_dir, const char *manifest_path);",
        "void mochi_dotnet_buffer_free(uint8_t *buffer);",
        "int32_t mochi_dotnet_bridge_api_version(void);",
        "const char *mochi_dotnet_last_error(void);",
        "#define MOCHI_DOTNET_LOCK_CHECK 1",
    ] {
        assert!(generated.contains(f), "{f}\nnot in\n{generated}");
    }
}

/// The header compiles on its own as C11 and as C++ with every warning an error.
#[test]
fn the_header_compiles_as_c_and_cpp() {
    let path = workspace().join("include/mochi_dotnet.h");
    for (compiler, lang, std) in [("cc", "c", "-std=c11"), ("c++", "c++", "-std=c++17")] {
        let o = Command::new(compiler)
            .args(["-fsyntax-only", "-Wall", "-Wextra", "-Wpedantic", "-Werror", std, "-x", lang])
            .arg(&path)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run `{compiler}` ({e}): install a C/C++ compiler (Debian: build-essential)")
            });
        assert!(
            o.status.success(),
            "{compiler} rejects include/mochi_dotnet.h:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// The three headers have three guards, and any of them may be included with the
/// others, in any order, as C11 and as C++17.
#[test]
fn the_headers_have_distinct_guards_and_combine() {
    let guard = |rel: &str| {
        let text = read(rel);
        let line = text
            .lines()
            .find(|l| l.starts_with("#ifndef "))
            .unwrap_or_else(|| panic!("{rel} has no include guard"));
        line.trim_start_matches("#ifndef ").trim().to_string()
    };
    let guards = [
        guard(ABI_HEADER),
        guard(HOST_HEADER),
        guard("include/mochi_dotnet.h"),
    ];
    assert_eq!(
        guards,
        ["MOCHI_SHIM_ABI_H", "MOCHI_DOTNET_HOST_H", "MOCHI_DOTNET_H"],
        "one guard per header"
    );
    let dir = tempfile::tempdir().unwrap();
    let orders = [
        ["mochi_dotnet.h", "mochi_dotnet_host.h", "mochi_shim_abi.h"],
        ["mochi_shim_abi.h", "mochi_dotnet_host.h", "mochi_dotnet.h"],
        ["mochi_dotnet_host.h", "mochi_dotnet.h", "mochi_shim_abi.h"],
    ];
    for (k, order) in orders.iter().enumerate() {
        let src = dir.path().join(format!("all{k}.c"));
        let mut text: String = order
            .iter()
            .map(|h| format!("#include \"{h}\"\n"))
            .collect();
        text.push_str("int mochi_headers_combine(void) { return MOCHI_ABI_VERSION + MOCHI_DOTNET_LOCK_CHECK; }\n");
        std::fs::write(&src, text).unwrap();
        for (compiler, lang, std) in [("cc", "c", "-std=c11"), ("c++", "c++", "-std=c++17")] {
            let o = Command::new(compiler)
                .args([
                    "-fsyntax-only",
                    "-Wall",
                    "-Wextra",
                    "-Wpedantic",
                    "-Werror",
                    std,
                    "-x",
                    lang,
                ])
                .arg(format!("-I{}", workspace().join("include").display()))
                .arg(format!(
                    "-I{}",
                    workspace().join("crates/hosting/include").display()
                ))
                .arg(format!(
                    "-I{}",
                    workspace().join("crates/shimabi/include").display()
                ))
                .arg(&src)
                .output()
                .unwrap_or_else(|e| panic!("cannot run `{compiler}` ({e})"));
            assert!(
                o.status.success(),
                "{compiler} rejects the headers included as {order:?}:\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}
