//! Properties of the reader over real and mutated assemblies:
//! (a) any mutation of a real assembly reads to `Ok` or `Err`, never a panic;
//! (b) compressed integers round-trip; (c) the listing is byte-sorted with a
//! trailing newline and the canonical JSON is a fixed point of
//! `Surface::from_json`; (d) reading is deterministic, streamed output equals
//! built output.

use crate::support;

use std::path::PathBuf;
use std::sync::OnceLock;

use ecma335::heaps::{Blob, BlobHeap};
use ecma335::signature::*;
use ecma335::{Detail, Metadata, Surface};
use proptest::prelude::*;
use support::craft::{self, flags::*, sig};

/// Real assemblies available on this machine (test-environment.md), plus a
/// crafted one and, when `mcs` is installed, a freshly compiled C# library.
fn corpus() -> &'static [(String, Vec<u8>)] {
    static CORPUS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut files: Vec<PathBuf> = vec![
            "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll".into(),
            "/usr/lib/mono/4.5/Facades/System.Runtime.dll".into(),
            "/usr/lib/mono/4.5/Facades/System.Collections.dll".into(),
            "/usr/lib/mono/4.5/Facades/System.AppContext.dll".into(),
            "/usr/lib/mono/4.5/Mono.Simd.dll".into(),
            "/usr/lib/mono/4.5/Accessibility.dll".into(),
        ];
        files.retain(|f| f.exists());
        let mut out: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|f| (f.display().to_string(), std::fs::read(f).unwrap()))
            .collect();
        if let Some(dll) = compile_sample() {
            out.push(("compiled Sample.dll".into(), dll));
        }
        let mut a = craft::Assembly::new("Crafted");
        a.public_class("N", "C");
        a.field(PUBLIC_FIELD, "F", sig::FIELD_I4);
        a.method(PUBLIC_METHOD, "M", &[0x20, 0x01, 0x01, 0x08]);
        out.push(("crafted".into(), a.build()));
        out
    })
}

const SAMPLE_CS: &str = r#"
using System;
using System.Collections.Generic;
[assembly: System.Reflection.AssemblyMetadata("k", "v")]
namespace Sample {
    [Flags] public enum Mode : byte { None = 0, A = 1, B = 2 }
    public interface IShape<in T> { double Area(T scale); }
    public struct Point { public int X, Y; public const string Name = "p"; }
    public delegate void Changed(object sender, int value);
    public class Box<T> : IShape<T> where T : struct {
        public T Value;
        public static readonly Box<T>[] Empty = new Box<T>[0];
        public int this[int i, string s] { get { return i; } set { } }
        public event Changed OnChanged;
        public double Area(T scale) { return 0; }
        public Dictionary<string, List<T[,]>> Map(ref int x, out long y, params object[] rest) { y = 0; return null; }
        [Obsolete("old", true)] public unsafe void* Raw(int* p, Mode m = Mode.A) { OnChanged(null, 0); return p; }
        public class Inner { public U Id<U>(U u) where U : class, new() { return u; } }
    }
}
"#;

/// Compiles `SAMPLE_CS` with `mcs`, once; `None` when `mcs` is not installed.
fn compile_sample() -> Option<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("ecma335-props-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let src = dir.join("Sample.cs");
    std::fs::write(&src, SAMPLE_CS).ok()?;
    let out = dir.join("Sample.dll");
    let status = std::process::Command::new("mcs")
        .args(["-target:library", "-unsafe", "-nowarn:67,649,169"])
        .arg(format!("-out:{}", out.display()))
        .arg(&src)
        .output();
    let result = match status {
        Ok(o) if o.status.success() => std::fs::read(&out).ok(),
        Ok(o) => panic!(
            "mcs failed on the sample:\n{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(_) => {
            eprintln!("mcs not found: the compiled sample is skipped");
            None
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// File range of the metadata root, where most mutations should land.
fn metadata_range(data: &[u8]) -> std::ops::Range<usize> {
    let pe = ecma335::pe::PeFile::parse(data).expect("corpus files parse");
    let m = pe.cli_header.metadata;
    let start = pe.rva_to_offset(m.rva).expect("metadata mapped") as usize;
    start..(start + m.size as usize).min(data.len())
}

#[derive(Clone, Debug)]
enum Mutation {
    FlipBit {
        at: f64,
        bit: u8,
    },
    SetByte {
        at: f64,
        value: u8,
    },
    /// A little-endian u32 (row counts, sizes, offsets).
    SetU32 {
        at: f64,
        value: u32,
    },
    Insert {
        at: f64,
        value: u8,
    },
    Delete {
        at: f64,
    },
    Truncate {
        at: f64,
    },
}

fn mutation() -> impl Strategy<Value = (bool, Mutation)> {
    let at = 0.0..1.0f64;
    let m = prop_oneof![
        4 => (at.clone(), 0..8u8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        3 => (at.clone(), any::<u8>()).prop_map(|(at, value)| Mutation::SetByte { at, value }),
        2 => (at.clone(), prop_oneof![Just(0u32), Just(u32::MAX), Just(0x8000_0000), Just(0xFFFF), 0..0x100u32, any::<u32>()])
            .prop_map(|(at, value)| Mutation::SetU32 { at, value }),
        1 => (at.clone(), any::<u8>()).prop_map(|(at, value)| Mutation::Insert { at, value }),
        1 => at.clone().prop_map(|at| Mutation::Delete { at }),
        1 => at.prop_map(|at| Mutation::Truncate { at }),
    ];
    // Three in four land inside the metadata.
    (prop::bool::weighted(0.75), m)
}

fn apply(data: &mut Vec<u8>, in_metadata: bool, m: &Mutation, meta: &std::ops::Range<usize>) {
    if data.is_empty() {
        return;
    }
    let pos = |at: f64, data: &Vec<u8>| -> usize {
        let (lo, hi) = if in_metadata && meta.end <= data.len() && meta.start < meta.end {
            (meta.start, meta.end)
        } else {
            (0, data.len())
        };
        (lo + ((hi - lo) as f64 * at) as usize).min(data.len() - 1)
    };
    match *m {
        Mutation::FlipBit { at, bit } => {
            let p = pos(at, data);
            data[p] ^= 1 << bit;
        }
        Mutation::SetByte { at, value } => {
            let p = pos(at, data);
            data[p] = value;
        }
        Mutation::SetU32 { at, value } => {
            let p = pos(at, data).min(data.len().saturating_sub(4));
            let n = 4.min(data.len() - p);
            data[p..p + n].copy_from_slice(&value.to_le_bytes()[..n]);
        }
        Mutation::Insert { at, value } => {
            let p = pos(at, data);
            data.insert(p, value);
        }
        Mutation::Delete { at } => {
            let p = pos(at, data);
            data.remove(p);
        }
        Mutation::Truncate { at } => {
            let p = pos(at, data);
            data.truncate(p);
        }
    }
}

/// Everything a reader promises about one input, whatever its bytes.
fn check_invariants(data: &[u8]) -> Result<(), TestCaseError> {
    let Ok(md) = Metadata::parse(data) else {
        return Ok(());
    };
    let listing = ecma335::listing(data);
    let full = ecma335::build_surface(&md, Detail::Full);
    // The streamed listing skips the assembly identity rows, so it may
    // succeed where the built surface fails; when both succeed they agree,
    // and whatever the built surface reads, the stream reads too.
    let built = ecma335::build_surface(&md, Detail::Listing).map(|s| s.listing());
    if let Ok(b) = &built {
        prop_assert_eq!(
            listing.as_ref().ok(),
            Some(b),
            "streamed and built listings differ"
        );
    }
    if let Ok(l) = &listing {
        if !strings_have_line_breaks(&md, data) {
            check_listing(l)?;
        }
        // Determinism: a second read gives the same bytes.
        let second = ecma335::listing(data);
        prop_assert_eq!(second.as_ref().ok(), Some(l));
    }
    if let Ok(s) = &full {
        let json = s.to_canonical_json();
        check_json(&json)?;
        let again = ecma335::read_surface(data).expect("the second read succeeds too");
        prop_assert!(again.to_canonical_json() == json, "two reads differ");
        let streamed = ecma335::write_canonical_json(&md, Vec::new()).expect("streamed JSON");
        prop_assert!(streamed == json, "streamed and built canonical JSON differ");
    }
    Ok(())
}

/// Whether a name may hold a line break: the listing prints names as stored,
/// so such a name splits its item over two lines and the lines need not be
/// sorted (the reference lister does the same; surface-listing.md does not
/// escape names).
fn strings_have_line_breaks(md: &Metadata<'_>, data: &[u8]) -> bool {
    let Some(s) = md.streams.iter().rev().find(|s| s.name == b"#Strings") else {
        return false;
    };
    let start = md.offset as usize + s.offset as usize;
    data[start..start + s.size as usize]
        .iter()
        .any(|&b| b == b'\n' || b == b'\r')
}

fn check_listing(l: &str) -> Result<(), TestCaseError> {
    if l.is_empty() {
        return Ok(());
    }
    prop_assert!(l.ends_with('\n'), "no trailing newline");
    let lines: Vec<&str> = l[..l.len() - 1].split('\n').collect();
    for w in lines.windows(2) {
        prop_assert!(
            w[0].as_bytes() <= w[1].as_bytes(),
            "not byte-sorted: {:?} before {:?}",
            w[0],
            w[1]
        );
    }
    Ok(())
}

fn check_json(json: &[u8]) -> Result<(), TestCaseError> {
    prop_assert!(json.ends_with(b"\n"));
    let back = match Surface::from_json(json) {
        Ok(s) => s,
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "canonical JSON does not read back: {e}"
            )));
        }
    };
    prop_assert!(
        back.to_canonical_json() == json,
        "JSON -> Surface -> JSON changed the bytes"
    );
    Ok(())
}

#[test]
fn the_real_corpus_meets_every_invariant() {
    let files = corpus();
    assert!(
        files.len() >= 2,
        "no real assembly found; install mono-devel"
    );
    for (name, data) in files {
        ecma335::read_surface(data).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_invariants(data).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(512), failure_persistence: None, ..ProptestConfig::default() })]

    /// (a) Mutated real assemblies: `Ok` or `Err`, never a panic, and every
    /// successful read keeps the invariants.
    #[test]
    fn mutated_assemblies_never_panic(
        file in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..8),
    ) {
        let files = corpus();
        let (_, original) = &files[file.index(files.len())];
        let meta = metadata_range(original);
        let mut data = original.clone();
        for (in_metadata, m) in &mutations {
            apply(&mut data, *in_metadata, m, &meta);
        }
        check_invariants(&data)?;
    }

    /// (b) Compressed unsigned integers (II.23.2) round-trip through the
    /// decoder, here as the index of a generic parameter (`VAR n`).
    #[test]
    fn compressed_unsigned_round_trips(n in prop_oneof![0..0x80u32, 0x80..0x4000u32, 0x4000..0x2000_0000u32]) {
        let mut blob = vec![0x06, 0x13];
        blob.extend(craft::compress(n));
        prop_assert_eq!(decode_field(&blob), Ok(Ty::Var(n)));
    }

    /// (b) Compressed signed integers round-trip, as an array lower bound.
    #[test]
    fn compressed_signed_round_trips(v in prop_oneof![-64..64i32, -8192..8192i32, -0x1000_0000..0x1000_0000i32]) {
        let mut blob = vec![0x06, 0x14, 0x08, 0x01, 0x00, 0x01];
        blob.extend(compress_signed(v));
        prop_assert_eq!(decode_field(&blob), Ok(Ty::Array(vec![v])));
    }

    /// (b) Lead bytes 0xE0-0xFF are not compressed integers.
    #[test]
    fn invalid_compressed_lead_bytes_are_errors(lead in 0xE0..=0xFFu8) {
        prop_assert!(decode_field(&[0x06, 0x13, lead, 0, 0, 0]).is_err());
    }
}

/// Cases per property: `default`, or `PROPTEST_CASES` for a longer run.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// ECMA-335 II.23.2 compressed signed integer (the sign rotated into bit 0).
fn compress_signed(v: i32) -> Vec<u8> {
    let sign = (v < 0) as u32;
    if (-64..64).contains(&v) {
        vec![((((v as u32) & 0x3F) << 1) | sign) as u8]
    } else if (-8192..8192).contains(&v) {
        let x = 0x8000 | (((v as u32) & 0x1FFF) << 1) | sign;
        vec![(x >> 8) as u8, x as u8]
    } else {
        let x = 0xC000_0000 | (((v as u32) & 0x0FFF_FFFF) << 1) | sign;
        x.to_be_bytes().to_vec()
    }
}

#[test]
fn compressed_signed_encoder_matches_the_spec_examples() {
    // II.23.2's own table, through the decoder.
    for (v, bytes) in [
        (3, vec![0x06]),
        (-3, vec![0x7B]),
        (64, vec![0x80, 0x80]),
        (-64, vec![0x01]),
        (8192, vec![0xC0, 0x00, 0x40, 0x00]),
        (-8192, vec![0x80, 0x01]),
        (268435455, vec![0xDF, 0xFF, 0xFF, 0xFE]),
        (-268435456, vec![0xC0, 0x00, 0x00, 0x01]),
    ] {
        assert_eq!(compress_signed(v), bytes, "{v}");
    }
}

/// A small type model for the decoder tests.
#[derive(Clone, Debug, PartialEq)]
enum Ty {
    Other,
    Var(u32),
    Array(Vec<i32>),
}

struct Model;

impl TypeProvider for Model {
    type Type = Ty;
    fn primitive(&mut self, _: PrimitiveType) -> Ty {
        Ty::Other
    }
    fn type_def(&mut self, _: u32, _: TypeKindHint) -> ecma335::Result<Ty> {
        Ok(Ty::Other)
    }
    fn type_ref(&mut self, _: u32, _: TypeKindHint) -> ecma335::Result<Ty> {
        Ok(Ty::Other)
    }
    fn generic_instantiation(&mut self, _: Ty, _: Vec<Ty>) -> Ty {
        Ty::Other
    }
    fn sz_array(&mut self, _: Ty) -> Ty {
        Ty::Other
    }
    fn array(&mut self, _: Ty, shape: ArrayShape) -> Ty {
        Ty::Array(shape.lower_bounds)
    }
    fn by_ref(&mut self, _: Ty) -> Ty {
        Ty::Other
    }
    fn pointer(&mut self, _: Ty) -> Ty {
        Ty::Other
    }
    fn pinned(&mut self, _: Ty) -> Ty {
        Ty::Other
    }
    fn modified(&mut self, _: Ty, t: Ty, _: bool) -> Ty {
        t
    }
    fn generic_type_parameter(&mut self, index: u32) -> Ty {
        Ty::Var(index)
    }
    fn generic_method_parameter(&mut self, _: u32) -> Ty {
        Ty::Other
    }
    fn function_pointer(&mut self, _: MethodSignature<Ty>) -> Ty {
        Ty::Other
    }
}

/// Decodes a field signature against the crafted module's tables.
fn decode_field(blob: &[u8]) -> Result<Ty, String> {
    static MODULE: OnceLock<Vec<u8>> = OnceLock::new();
    let bytes = MODULE.get_or_init(|| craft::Assembly::new("Sig").build());
    let md = Metadata::parse(bytes).unwrap();
    let heap = BlobHeap::new(&[], 0);
    let mut model = Model;
    let mut d = SignatureDecoder::new(&mut model, &md.tables, &heap);
    d.field_signature(Blob {
        data: blob,
        offset: 0,
    })
    .map_err(|e| e.to_string())
}
