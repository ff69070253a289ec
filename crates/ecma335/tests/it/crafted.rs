//! The crafted-image writer itself is checked here: what it writes must read
//! back, row for row, through the crate's public API.

use crate::support;

use ecma335::Metadata;
use ecma335::tables::{FieldRow, MethodDefRow, TableId, TypeDefRow, TypeRefRow};
use support::craft::{self, flags::*, sig, *};

fn sample() -> Assembly {
    let mut a = Assembly::new("Crafted");
    a.public_class("N", "C");
    a.field(PUBLIC_FIELD, "F", sig::FIELD_I4);
    a.method(PUBLIC_METHOD, "M", &[0x20, 0x01, 0x01, 0x08]);
    a.method(PRIVATE_METHOD, "Hidden", sig::VOID_INSTANCE);
    a
}

#[test]
fn crafted_image_reads_back_row_for_row() {
    let bytes = sample().build();
    let md = Metadata::parse(&bytes).expect("a crafted valid image parses");
    assert!(!md.uncompressed);
    assert_eq!(md.version, b"v4.0.30319");
    assert_eq!(md.tables.len(TableId::TypeDef), 2);
    assert_eq!(md.tables.len(TableId::TypeRef), 3);
    assert_eq!(md.tables.len(TableId::Field), 1);
    assert_eq!(md.tables.len(TableId::MethodDef), 2);
    let c: TypeDefRow = md.tables.row(2).unwrap();
    assert_eq!(md.strings.get(c.name).unwrap(), "C");
    assert_eq!(md.strings.get(c.namespace).unwrap(), "N");
    assert_eq!(c.field_list, 1);
    assert_eq!(c.method_list, 1);
    assert_eq!(c.extends.table(), Some(TableId::TypeRef));
    assert_eq!(c.extends.rid(), 1);
    let object: TypeRefRow = md.tables.row(1).unwrap();
    assert_eq!(md.strings.get(object.name).unwrap(), "Object");
    assert_eq!(object.resolution_scope.table(), Some(TableId::AssemblyRef));
    let f: FieldRow = md.tables.row(1).unwrap();
    assert_eq!(md.blobs.get(f.signature).unwrap().data, sig::FIELD_I4);
    let m: MethodDefRow = md.tables.row(2).unwrap();
    assert_eq!(md.strings.get(m.name).unwrap(), "Hidden");
    assert_eq!(
        md.guids.get(ecma335::heaps::GuidIndex(1)).unwrap(),
        Some([7; 16])
    );
}

#[test]
fn crafted_image_has_the_expected_surface_and_listing() {
    let bytes = sample().build();
    let s = ecma335::read_surface(&bytes).expect("surface");
    assert_eq!(s.assembly.name, "Crafted");
    assert_eq!(s.assembly.version, "1.2.3.4");
    assert_eq!(s.references.len(), 1);
    assert_eq!(s.references[0].name, "mscorlib");
    assert_eq!(
        s.references[0].public_key_token.as_deref(),
        Some("b77a5c561934e089")
    );
    assert_eq!(
        ecma335::listing(&bytes).unwrap(),
        "F N.C::F : System.Int32\n\
         M N.C::M(System.Int32) -> System.Void\n\
         T class N.C\n"
    );
}

#[test]
fn pe32_plus_and_uncompressed_streams_are_written_correctly() {
    let mut a = sample();
    a.pe.pe32_plus = true;
    a.table_stream_name = "#-".into();
    let bytes = a.build();
    let pe = ecma335::pe::PeFile::parse(&bytes).unwrap();
    assert!(pe.is_pe32_plus);
    assert_eq!(pe.cli_header.metadata.size as usize, a.root().len());
    let md = Metadata::parse(&bytes).unwrap();
    assert!(md.uncompressed);
    assert_eq!(
        ecma335::listing(&bytes).unwrap(),
        "F N.C::F : System.Int32\nM N.C::M(System.Int32) -> System.Void\nT class N.C\n"
    );
}

#[test]
fn wide_indexes_follow_the_heap_size_flags() {
    let mut a = sample();
    a.tables.heap_sizes = 0x07;
    let bytes = a.build();
    let md = Metadata::parse(&bytes).unwrap();
    assert_eq!(a.tables.row_size(craft::TYPE_DEF), 4 + 4 + 4 + 2 + 2 + 2);
    let c: TypeDefRow = md.tables.row(2).unwrap();
    assert_eq!(md.strings.get(c.name).unwrap(), "C");
    assert!(ecma335::listing(&bytes).unwrap().contains("T class N.C\n"));
}
