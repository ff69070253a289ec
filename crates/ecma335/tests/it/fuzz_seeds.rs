//! Writes seed inputs for the `signature` and `custom_attribute` fuzz targets
//! (fuzz/seed-corpus.sh runs it): every signature blob and every custom
//! attribute value of a real module, in the targets' input formats.
//!
//!     ECMA335_FUZZ_SEEDS=fuzz/corpus cargo test -p ecma335 --test it -- --ignored fuzz_seeds::

use crate::support;

use std::path::{Path, PathBuf};

use ecma335::Metadata;
use ecma335::signature::*;
use ecma335::tables::*;

const MODULE: &str = "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll";

#[test]
#[ignore = "writes fuzz seeds; run by fuzz/seed-corpus.sh"]
fn write_fuzz_seeds() {
    let Some(dir) = std::env::var_os("ECMA335_FUZZ_SEEDS").map(PathBuf::from) else {
        panic!("set ECMA335_FUZZ_SEEDS to the fuzz corpus folder");
    };
    let path = std::env::var("ECMA335_FUZZ_MODULE").unwrap_or_else(|_| MODULE.into());
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let md = Metadata::parse(&bytes).unwrap();
    let n = write_signature_seeds(&md, &dir.join("signature"));
    let m = write_attribute_seeds(&md, &dir.join("custom_attribute"));
    let k = write_crafted_images(&dir.join("parse_file"));
    eprintln!("wrote {n} signature, {m} custom_attribute and {k} crafted parse_file seeds");
    assert!(n > 100 && m > 10);
}

fn write_seed(dir: &Path, name: String, input: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), input).unwrap();
}

/// Signature seeds: a selector byte (the kind, mod 8) then the blob.
fn write_signature_seeds(md: &Metadata<'_>, dir: &Path) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    let mut add = |selector: u8, blob: &[u8]| {
        let mut input = vec![selector];
        input.extend_from_slice(blob);
        if seen.insert(input.clone()) {
            write_seed(dir, format!("sig-{:05}", seen.len()), &input);
        }
    };
    let t = &md.tables;
    for (_, r) in t.rows::<MethodDefRow>() {
        add(0, md.blobs.get(r.unwrap().signature).unwrap().data);
    }
    for (_, r) in t.rows::<MemberRefRow>() {
        let data = md.blobs.get(r.unwrap().signature).unwrap().data;
        add(if data.first() == Some(&0x06) { 1 } else { 0 }, data);
    }
    for (_, r) in t.rows::<FieldRow>() {
        add(1, md.blobs.get(r.unwrap().signature).unwrap().data);
    }
    for (_, r) in t.rows::<PropertyRow>() {
        add(2, md.blobs.get(r.unwrap().signature).unwrap().data);
    }
    for (_, r) in t.rows::<TypeSpecRow>() {
        add(3, md.blobs.get(r.unwrap().signature).unwrap().data);
    }
    for (_, r) in t.rows::<MethodSpecRow>() {
        add(4, md.blobs.get(r.unwrap().instantiation).unwrap().data);
    }
    for (_, r) in t.rows::<StandAloneSigRow>() {
        add(5, md.blobs.get(r.unwrap().signature).unwrap().data);
    }
    seen.len()
}

/// The fuzz target's parameter-type codes (fuzz_targets/custom_attribute.rs).
struct Codes<'a, 'data> {
    md: &'a Metadata<'data>,
}

impl TypeProvider for Codes<'_, '_> {
    type Type = Vec<u8>;
    fn primitive(&mut self, ty: PrimitiveType) -> Vec<u8> {
        use PrimitiveType::*;
        vec![match ty {
            Boolean => 0,
            Char => 1,
            SByte => 2,
            Byte => 3,
            Int16 => 4,
            UInt16 => 5,
            Int32 => 6,
            UInt32 => 7,
            Int64 => 8,
            UInt64 => 9,
            Single => 10,
            Double => 11,
            String => 12,
            _ => 14,
        }]
    }
    fn type_def(&mut self, _: u32, _: TypeKindHint) -> ecma335::Result<Vec<u8>> {
        Ok(vec![15, 6]) // an int enum
    }
    fn type_ref(&mut self, rid: u32, _: TypeKindHint) -> ecma335::Result<Vec<u8>> {
        let r: TypeRefRow = self.md.tables.row(rid)?;
        let name = self.md.strings.get(r.name)?;
        Ok(if name == "Type" {
            vec![13]
        } else {
            vec![15, 6]
        })
    }
    fn generic_instantiation(&mut self, _: Vec<u8>, _: Vec<Vec<u8>>) -> Vec<u8> {
        vec![14]
    }
    fn sz_array(&mut self, e: Vec<u8>) -> Vec<u8> {
        [&[16][..], &e].concat()
    }
    fn array(&mut self, _: Vec<u8>, _: ArrayShape) -> Vec<u8> {
        vec![14]
    }
    fn by_ref(&mut self, e: Vec<u8>) -> Vec<u8> {
        e
    }
    fn pointer(&mut self, e: Vec<u8>) -> Vec<u8> {
        e
    }
    fn pinned(&mut self, e: Vec<u8>) -> Vec<u8> {
        e
    }
    fn modified(&mut self, _: Vec<u8>, e: Vec<u8>, _: bool) -> Vec<u8> {
        e
    }
    fn generic_type_parameter(&mut self, _: u32) -> Vec<u8> {
        vec![14]
    }
    fn generic_method_parameter(&mut self, _: u32) -> Vec<u8> {
        vec![14]
    }
    fn function_pointer(&mut self, _: MethodSignature<Vec<u8>>) -> Vec<u8> {
        vec![14]
    }
}

/// Attribute seeds: parameter count, parameter codes, then the value blob.
fn write_attribute_seeds(md: &Metadata<'_>, dir: &Path) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    for (_, row) in md.tables.rows::<CustomAttributeRow>() {
        let row = row.unwrap();
        let ctor = row.constructor;
        let sig_blob = match ctor.table() {
            Some(TableId::MethodDef) => {
                md.tables.row::<MethodDefRow>(ctor.rid()).unwrap().signature
            }
            _ => md.tables.row::<MemberRefRow>(ctor.rid()).unwrap().signature,
        };
        let mut codes = Codes { md };
        let Ok(sig) = SignatureDecoder::new(&mut codes, &md.tables, &md.blobs)
            .method_signature(md.blobs.get(sig_blob).unwrap())
        else {
            continue;
        };
        if sig.parameter_types.len() >= 8 {
            continue;
        }
        let mut input = vec![sig.parameter_types.len() as u8];
        for p in &sig.parameter_types {
            input.extend_from_slice(p);
        }
        input.extend_from_slice(md.blobs.get(row.value).unwrap().data);
        if seen.insert(input.clone()) {
            write_seed(dir, format!("ca-{:05}", seen.len()), &input);
        }
    }
    seen.len()
}

/// Crafted images with the shapes real files rarely have (`*Ptr` and EnC
/// tables, `#-`, `#JTD`, ExtraData, wide indexes, PE32+), so the file fuzzer
/// starts from them too.
fn write_crafted_images(dir: &Path) -> usize {
    use support::craft::{flags::*, *};
    let base = || {
        let mut a = Assembly::new("Seed");
        a.public_class("N", "C");
        a.field(PUBLIC_FIELD, "F", sig::FIELD_I4);
        a.method(PUBLIC_METHOD, "M", &[0x20, 0x01, 0x01, 0x08]);
        a.method(0x0806, "get_P", &[0x20, 0x00, 0x08]);
        let p = a.heaps.string("P");
        let psig = a.heaps.blob(sig::PROPERTY_I4);
        a.tables.push(PROPERTY, vec![0, p, psig]);
        a.tables.push(PROPERTY_MAP, vec![2, 1]);
        a.tables.push(
            METHOD_SEMANTICS,
            vec![0x2, 2, Coded::HasSemantics.encode(PROPERTY, 1)],
        );
        let b = a.heaps.string("b");
        a.tables.push(PARAM, vec![0, 1, b]);
        a
    };
    let mut images = Vec::new();
    images.push(base());
    let mut ptr = base();
    ptr.tables.push(FIELD_PTR, vec![1]);
    ptr.tables.push(METHOD_PTR, vec![1]);
    ptr.tables.push(METHOD_PTR, vec![2]);
    ptr.tables.push(PARAM_PTR, vec![1]);
    ptr.tables.push(PROPERTY_PTR, vec![1]);
    ptr.tables.push(ENC_LOG, vec![0x0600_0001, 0]);
    ptr.tables.push(ENC_MAP, vec![0x0600_0001]);
    images.push(ptr.clone());
    ptr.table_stream_name = "#-".into();
    images.push(ptr);
    let mut jtd = base();
    jtd.tables.jtd_widths = true;
    jtd.trailing_streams.push(Stream::new("#JTD", vec![]));
    images.push(jtd);
    let mut extra = base();
    extra.tables.heap_sizes = 0x47;
    extra.pe.pe32_plus = true;
    images.push(extra);
    for (i, a) in images.iter().enumerate() {
        write_seed(dir, format!("crafted-{i}.dll"), &a.build());
    }
    images.len()
}
