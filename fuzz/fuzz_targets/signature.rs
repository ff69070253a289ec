//! Signature decoding: every signature kind over arbitrary bytes, against the
//! tables of a small real module. The fuzz input is also the blob heap, so
//! TypeSpec rows met inside a signature point at fuzz-controlled bytes
//! (self-referencing and mutually recursive TypeSpecs included).
#![no_main]

use std::sync::OnceLock;

use ecma335::heaps::{Blob, BlobHeap, BlobIndex};
use ecma335::signature::*;
use ecma335::tables::TableId;
use libfuzzer_sys::fuzz_target;

/// The module whose tables the decoder resolves tokens against.
fn module() -> &'static ecma335::Metadata<'static> {
    static MD: OnceLock<ecma335::Metadata<'static>> = OnceLock::new();
    MD.get_or_init(|| {
        let path = std::env::var("ECMA335_FUZZ_MODULE")
            .unwrap_or_else(|_| "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll".into());
        let bytes: &'static [u8] = Box::leak(
            std::fs::read(&path)
                .unwrap_or_else(|e| panic!("cannot read {path} (set ECMA335_FUZZ_MODULE): {e}"))
                .into_boxed_slice(),
        );
        ecma335::Metadata::parse(bytes).expect("the fuzz module parses")
    })
}

/// Counts nodes; checks type-def/ref row ids the way a real provider would.
struct Counter {
    typedefs: u32,
    typerefs: u32,
    nodes: u64,
}

impl Counter {
    fn node(&mut self) -> u64 {
        self.nodes += 1;
        self.nodes
    }
}

impl TypeProvider for Counter {
    type Type = u64;
    fn primitive(&mut self, _: PrimitiveType) -> u64 {
        self.node()
    }
    fn type_def(&mut self, rid: u32, _: TypeKindHint) -> ecma335::Result<u64> {
        if rid == 0 || rid > self.typedefs {
            return Err(ecma335::Error::Heap {
                heap: "test",
                index: rid,
                message: "typedef".into(),
            });
        }
        Ok(self.node())
    }
    fn type_ref(&mut self, rid: u32, _: TypeKindHint) -> ecma335::Result<u64> {
        if rid == 0 || rid > self.typerefs {
            return Err(ecma335::Error::Heap {
                heap: "test",
                index: rid,
                message: "typeref".into(),
            });
        }
        Ok(self.node())
    }
    fn generic_instantiation(&mut self, _: u64, args: Vec<u64>) -> u64 {
        assert!(!args.is_empty());
        self.node()
    }
    fn sz_array(&mut self, _: u64) -> u64 {
        self.node()
    }
    fn array(&mut self, _: u64, shape: ArrayShape) -> u64 {
        assert!(shape.rank > 0);
        self.node()
    }
    fn by_ref(&mut self, _: u64) -> u64 {
        self.node()
    }
    fn pointer(&mut self, _: u64) -> u64 {
        self.node()
    }
    fn pinned(&mut self, _: u64) -> u64 {
        self.node()
    }
    fn modified(&mut self, _: u64, _: u64, _: bool) -> u64 {
        self.node()
    }
    fn generic_type_parameter(&mut self, _: u32) -> u64 {
        self.node()
    }
    fn generic_method_parameter(&mut self, _: u32) -> u64 {
        self.node()
    }
    fn function_pointer(&mut self, s: MethodSignature<u64>) -> u64 {
        assert!(s.required_parameter_count <= s.parameter_types.len());
        self.node()
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let md = module();
    let heap = BlobHeap::new(rest, 1);
    let mut provider = Counter {
        typedefs: md.tables.len(TableId::TypeDef),
        typerefs: md.tables.len(TableId::TypeRef),
        nodes: 0,
    };
    let mut d = SignatureDecoder::new(&mut provider, &md.tables, &heap);
    // The signature under test is the whole input after the selector; the
    // heap view of the same bytes serves TypeSpec rows.
    let blob = Blob {
        data: rest,
        offset: 1,
    };
    match selector % 8 {
        0 => drop(d.method_signature(blob)),
        1 => drop(d.field_signature(blob)),
        2 => drop(d.property_signature(blob)),
        3 => drop(d.type_spec(blob)),
        4 => drop(d.method_spec(blob)),
        5 => drop(d.local_signature(blob)),
        6 => {
            // A blob at a fuzz-chosen heap index.
            if let Ok(b) = heap.get(BlobIndex(selector as u32 >> 3)) {
                drop(d.type_spec(b));
            }
        }
        _ => {
            let rid = rest.first().copied().unwrap_or(0) as u32;
            drop(d.type_spec_row(rid));
        }
    }
});
