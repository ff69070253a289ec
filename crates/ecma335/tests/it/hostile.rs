//! Hostile metadata (docs/fuzzing.md, "Hostile metadata seen in
//! the wild"), one test per case, each asserting the exact outcome: a correct
//! read of valid-but-odd input, or the typed error naming where it went wrong.
//! Fuzzer findings are at the end, as regression tests.

use crate::support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use ecma335::Error;
use ecma335::attributes::{ArgType, decode_attribute};
use ecma335::heaps::Blob;
use support::craft::{flags::*, sig, *};

// ---------------------------------------------------------------------------
// Allocation accounting: the largest single request and the total requested
// by the current thread, so a test can prove nothing was sized from an
// unverified count (tests run on parallel threads; each sees only its own).

struct Counting;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    static TOTAL: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
    let _ = TOTAL.try_with(|t| t.set(t.get() + size));
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f`, returning its result with the largest single allocation and the
/// total bytes allocated meanwhile on this thread.
fn measured<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    LARGEST.with(|l| l.set(0));
    let before = TOTAL.with(|t| t.get());
    let out = f();
    (
        out,
        LARGEST.with(|l| l.get()),
        TOTAL.with(|t| t.get()) - before,
    )
}

// ---------------------------------------------------------------------------
// Helpers.

/// The assembly `crafted.rs` checks: `public class N.C { public int F; public void M(int); private void Hidden(); }`.
fn sample() -> Assembly {
    let mut a = Assembly::new("Hostile");
    a.public_class("N", "C");
    a.field(PUBLIC_FIELD, "F", sig::FIELD_I4);
    a.method(PUBLIC_METHOD, "M", &[0x20, 0x01, 0x01, 0x08]);
    a.method(PRIVATE_METHOD, "Hidden", sig::VOID_INSTANCE);
    a
}

const SAMPLE_LISTING: &str = "F N.C::F : System.Int32\n\
                              M N.C::M(System.Int32) -> System.Void\n\
                              T class N.C\n";

fn listing(bytes: &[u8]) -> String {
    match ecma335::listing(bytes) {
        Ok(l) => l,
        Err(e) => panic!("expected a listing, got the error: {e}"),
    }
}

fn surface_error(bytes: &[u8]) -> Error {
    match ecma335::read_surface(bytes) {
        Ok(s) => panic!(
            "expected an error, read a surface with {} types",
            s.types.len()
        ),
        Err(e) => e,
    }
}

fn listing_error(bytes: &[u8]) -> Error {
    match ecma335::listing(bytes) {
        Ok(l) => panic!("expected an error, got the listing:\n{l}"),
        Err(e) => e,
    }
}

#[track_caller]
fn assert_table_error(e: &Error, want_table: &str, want_row: u32, want_message: &str) {
    match e {
        Error::Table {
            table,
            row,
            message,
            ..
        } if *table == want_table && *row == want_row && message.contains(want_message) => {}
        other => panic!(
            "expected a {want_table} row {want_row} error saying `{want_message}`, got {other:?}"
        ),
    }
}

#[track_caller]
fn assert_metadata_error(e: &Error, want_offset: u64, want_message: &str) {
    match e {
        Error::Metadata { offset, message }
            if *offset == want_offset && message.contains(want_message) => {}
        other => panic!(
            "expected a metadata error at {want_offset:#x} saying `{want_message}`, got {other:?}"
        ),
    }
}

#[track_caller]
fn assert_pe_error(e: &Error, want_offset: u64, want_message: &str) {
    match e {
        Error::Pe { offset, message }
            if *offset == want_offset && message.contains(want_message) => {}
        other => {
            panic!("expected a PE error at {want_offset:#x} saying `{want_message}`, got {other:?}")
        }
    }
}

#[track_caller]
fn assert_signature_error(e: &Error, want_offset: u64, want_message: &str) {
    match e {
        Error::Signature { offset, message }
            if *offset == want_offset && message.contains(want_message) => {}
        other => panic!(
            "expected a signature error at {want_offset:#x} saying `{want_message}`, got {other:?}"
        ),
    }
}

/// Stack for the recursion tests. An unoptimised build spends about 4 KiB
/// per signature nesting level (measured), so 100,000 unbounded levels would
/// need 400 MiB; the 32-level limit fits in 256 KiB.
const SMALL_STACK: usize = 256 * 1024;

/// Runs `f` on a thread with [`SMALL_STACK`]: a recursion that is not
/// bounded overflows it (and aborts the test binary, which fails the test).
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .name("small-stack".into())
        .stack_size(SMALL_STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the small-stack thread panicked")
}

/// Sets column `col` of row `rid` (1-based) of `table`.
fn set(a: &mut Assembly, table: u8, rid: u32, col: usize, value: u32) {
    a.tables.rows.get_mut(&table).expect("table has rows")[rid as usize - 1][col] = value;
}

fn type_ref_class(a: &Assembly, rid: u32) -> Vec<u8> {
    let mut v = vec![0x12];
    v.extend(compress(rid << 2 | 1));
    let _ = a;
    v
}

// ---------------------------------------------------------------------------
// *Ptr tables and EnC tables, in `#~` and in `#-`.

/// An assembly whose every member list goes through a `*Ptr` table that
/// reorders rows, so reading the lists without the indirection gives a
/// different (wrong) surface. Also carries EnCLog / EnCMap rows.
fn ptr_assembly(stream: &str) -> Assembly {
    let mut a = Assembly::new("Ptr");
    a.table_stream_name = stream.into();
    let c = a.public_class("N", "C");
    assert_eq!(c, 2);
    // <Module> owns list position 1, C owns positions 2.. of every Ptr table.
    set(&mut a, TYPE_DEF, 2, 4, 2);
    set(&mut a, TYPE_DEF, 2, 5, 2);
    // Fields: 1 = C.F (public), 2 = <Module>.hidden; FieldPtr swaps them.
    a.field(PUBLIC_FIELD, "F", sig::FIELD_I4);
    a.field(0x0011, "hidden", sig::FIELD_I4);
    a.tables.push(FIELD_PTR, vec![2]);
    a.tables.push(FIELD_PTR, vec![1]);
    // Methods: 1 = C.M(int b), 2 = <Module>.Helper, 3 = C.get_P, 4 = C.add_E.
    a.method(PUBLIC_METHOD, "M", &[0x20, 0x01, 0x01, 0x08]);
    a.method(0x0011, "Helper", sig::VOID_STATIC);
    a.method(0x0806, "get_P", &[0x20, 0x00, 0x08]);
    a.method(0x0806, "add_E", sig::VOID_INSTANCE);
    for m in [2, 1, 3, 4] {
        a.tables.push(METHOD_PTR, vec![m]);
    }
    set(&mut a, METHOD_DEF, 1, 5, 1);
    for m in 2..=4 {
        set(&mut a, METHOD_DEF, m, 5, 2);
    }
    // Params: 1 = a decoy, 2 = M's `b`; ParamPtr swaps them.
    let wrong = a.heaps.string("wrong");
    let b = a.heaps.string("b");
    a.tables.push(PARAM, vec![0, 1, wrong]);
    a.tables.push(PARAM, vec![0, 1, b]);
    a.tables.push(PARAM_PTR, vec![2]);
    a.tables.push(PARAM_PTR, vec![1]);
    // Properties: 1 = Hidden, 2 = P; PropertyPtr lists only 2.
    let hidden = a.heaps.string("Hidden");
    let p = a.heaps.string("P");
    let psig = a.heaps.blob(sig::PROPERTY_I4);
    a.tables.push(PROPERTY, vec![0, hidden, psig]);
    a.tables.push(PROPERTY, vec![0, p, psig]);
    a.tables.push(PROPERTY_PTR, vec![2]);
    a.tables.push(PROPERTY_MAP, vec![c, 1]);
    // Events: 1 = Hidden, 2 = E; EventPtr lists only 2.
    let e = a.heaps.string("E");
    let object = Coded::TypeDefOrRef.encode(TYPE_REF, a.object);
    a.tables.push(EVENT, vec![0, hidden, object]);
    a.tables.push(EVENT, vec![0, e, object]);
    a.tables.push(EVENT_PTR, vec![2]);
    a.tables.push(EVENT_MAP, vec![c, 1]);
    // Both accessors are wired to the hidden rows too: only the Ptr tables
    // keep them out of the surface.
    a.tables.push(
        METHOD_SEMANTICS,
        vec![0x2, 3, Coded::HasSemantics.encode(PROPERTY, 2)],
    );
    a.tables.push(
        METHOD_SEMANTICS,
        vec![0x2, 3, Coded::HasSemantics.encode(PROPERTY, 1)],
    );
    a.tables.push(
        METHOD_SEMANTICS,
        vec![0x8, 4, Coded::HasSemantics.encode(EVENT, 2)],
    );
    a.tables.push(
        METHOD_SEMANTICS,
        vec![0x8, 4, Coded::HasSemantics.encode(EVENT, 1)],
    );
    // Edit-and-continue tables: present, ignored.
    a.tables.push(ENC_LOG, vec![0x0600_0001, 0]);
    a.tables.push(ENC_MAP, vec![0x0600_0001]);
    a
}

const PTR_LISTING: &str = "E N.C::E : System.Object\n\
                           F N.C::F : System.Int32\n\
                           M N.C::M(System.Int32) -> System.Void\n\
                           M N.C::add_E() -> System.Void\n\
                           M N.C::get_P() -> System.Int32\n\
                           P N.C::P() : System.Int32\n\
                           T class N.C\n";

fn check_ptr_assembly(stream: &str) {
    let bytes = ptr_assembly(stream).build();
    let md = ecma335::Metadata::parse(&bytes).unwrap();
    assert_eq!(md.uncompressed, stream == "#-");
    assert_eq!(
        listing(&bytes),
        PTR_LISTING,
        "member lists must go through the *Ptr tables"
    );
    let s = ecma335::read_surface(&bytes).unwrap();
    let m = s.types[0].methods.iter().find(|m| m.name == "M").unwrap();
    assert_eq!(m.params[0].name, "b", "ParamList must go through ParamPtr");
}

#[test]
fn ptr_and_enc_tables_in_a_compressed_stream_are_followed() {
    check_ptr_assembly("#~");
}

#[test]
fn ptr_and_enc_tables_in_an_uncompressed_stream_are_followed() {
    check_ptr_assembly("#-");
}

#[test]
fn ptr_rows_that_point_past_their_target_table_are_errors() {
    // (table, its first row's target column): each Ptr table in turn names row 9.
    for (ptr, name, target, rows) in [
        (FIELD_PTR, "FieldPtr", "Field", 2),
        (METHOD_PTR, "MethodPtr", "MethodDef", 4),
        (PARAM_PTR, "ParamPtr", "Param", 2),
        (PROPERTY_PTR, "PropertyPtr", "Property", 2),
        (EVENT_PTR, "EventPtr", "Event", 2),
    ] {
        let mut a = ptr_assembly("#~");
        let last = a.tables.len(ptr);
        set(&mut a, ptr, last, 0, 9);
        let e = surface_error(&a.build());
        assert_table_error(
            &e,
            name,
            last,
            &format!("points at {target} row 9, but {target} has {rows} rows"),
        );
        let _ = name;
    }
}

#[test]
fn a_zero_ptr_entry_is_an_error() {
    let mut a = ptr_assembly("#~");
    set(&mut a, PROPERTY_PTR, 1, 0, 0);
    assert_table_error(
        &surface_error(&a.build()),
        "PropertyPtr",
        1,
        "points at Property row 0",
    );
}

// ---------------------------------------------------------------------------
// Heap-size flags.

#[test]
fn extra_data_flag_skips_the_extra_u32() {
    for flags in [0x40, 0x47] {
        let mut a = sample();
        a.tables.heap_sizes = flags;
        a.tables.extra_data = 0xDEAD_BEEF;
        assert_eq!(listing(&a.build()), SAMPLE_LISTING, "heap sizes {flags:#x}");
    }
}

#[test]
fn extra_data_flag_with_the_u32_missing_is_a_clear_error() {
    // ExtraData set, no tables at all, stream ends right after the valid/sorted masks.
    let mut a = sample();
    a.tables.rows.clear();
    a.tables.heap_sizes = 0x40;
    let mut stream = a.tables.to_bytes();
    stream.truncate(24);
    a.table_stream_name = "#Unused".into();
    a.trailing_streams.push(Stream::new("#~", stream));
    let e = listing_error(&a.build());
    let at = a.stream_file_offset("#~") + 24;
    assert_metadata_error(&e, at, "unexpected end of data reading a u32");
}

// ---------------------------------------------------------------------------
// Stream headers.

#[test]
fn duplicate_stream_headers_the_last_one_wins() {
    let mut a = sample();
    // A decoy `#Strings` whose names would all read as "X", and a decoy `#~`
    // whose row counts run past its end: both come first, so both lose.
    a.leading_streams.push(Stream::new(
        "#Strings",
        b"\0XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\0".to_vec(),
    ));
    let mut decoy = a.tables.clone();
    decoy.count_override.insert(TYPE_DEF, 0xFFFF);
    let mut decoy_bytes = decoy.to_bytes();
    decoy_bytes.truncate(decoy.header_len());
    a.leading_streams.push(Stream::new("#~", decoy_bytes));
    assert_eq!(listing(&a.build()), SAMPLE_LISTING);
    let md_bytes = a.build();
    let md = ecma335::Metadata::parse(&md_bytes).unwrap();
    assert_eq!(md.streams.len(), 7, "every header is kept");
}

#[test]
fn duplicate_stream_headers_a_bad_last_one_is_used() {
    // The mirror case proves the order matters: a broken `#~` placed last is read.
    let mut a = sample();
    let mut decoy = a.tables.clone();
    decoy.count_override.insert(TYPE_DEF, 0xFFFF);
    let mut decoy_bytes = decoy.to_bytes();
    decoy_bytes.truncate(decoy.header_len());
    a.trailing_streams.push(Stream::new("#~", decoy_bytes));
    let e = listing_error(&a.build());
    assert!(
        matches!(&e, Error::Metadata { message, .. } if message.contains("table Module")),
        "{e:?}"
    );
}

#[test]
fn unknown_streams_placed_first_are_ignored() {
    let mut a = sample();
    a.leading_streams.push(Stream::new("#Pdb", vec![0xAB; 40]));
    a.leading_streams.push(Stream::new("#Schema", vec![]));
    a.leading_streams.push(Stream::new("#~x", vec![0xFF; 12]));
    assert_eq!(listing(&a.build()), SAMPLE_LISTING);
}

#[test]
fn mono_jtd_stream_forces_four_byte_indexes() {
    let mut a = sample();
    a.tables.jtd_widths = true;
    a.trailing_streams.push(Stream::new("#JTD", vec![]));
    assert_eq!(listing(&a.build()), SAMPLE_LISTING);
    // Control: the same rows without `#JTD` are read with 2-byte indexes,
    // which must not give the same surface.
    a.trailing_streams.clear();
    assert_ne!(
        ecma335::listing(&a.build()).ok().as_deref(),
        Some(SAMPLE_LISTING)
    );
}

#[test]
fn a_stream_running_past_the_metadata_is_an_error() {
    let mut a = sample();
    let mut s = Stream::new("#Pdb", vec![0; 8]);
    s.size_override = Some(0xFFFF_FFF0);
    a.leading_streams.push(s);
    let root_header_at = METADATA_FILE_OFFSET as u64 + 16 + 12 + 4;
    assert_metadata_error(&listing_error(&a.build()), root_header_at, "stream `#Pdb`");
}

#[test]
fn a_missing_table_stream_is_an_error() {
    let mut a = sample();
    a.table_stream_name = "#Tables".into();
    assert_metadata_error(
        &listing_error(&a.build()),
        METADATA_FILE_OFFSET as u64,
        "no `#~` or `#-` table stream",
    );
}

// ---------------------------------------------------------------------------
// Row counts.

#[test]
fn row_counts_that_overflow_the_stream_are_errors_at_the_table() {
    let mut a = sample();
    a.tables.count_override.insert(TYPE_DEF, 0x1_0000);
    let at = a.table_file_offset(TYPE_DEF);
    let e = listing_error(&a.build());
    assert_metadata_error(&e, at, "table TypeDef (65536 rows of");
    assert!(
        e.to_string()
            .contains("runs past the end of the table stream"),
        "{e}"
    );
}

#[test]
fn enormous_row_counts_fail_fast_without_allocating() {
    for count in [0x00FF_FFFF, 0x00FF_FFFE] {
        let mut a = sample();
        a.tables.count_override.insert(METHOD_DEF, count);
        let bytes = a.build();
        let start = Instant::now();
        let (result, largest, _) = measured(|| ecma335::read_surface(&bytes));
        let elapsed = start.elapsed();
        let e = result.expect_err("16M methods do not fit");
        assert!(e.to_string().contains("table MethodDef"), "{e}");
        assert!(elapsed < Duration::from_millis(50), "took {elapsed:?}");
        assert!(largest < 64 * 1024, "allocated {largest} bytes at once");
    }
}

#[test]
fn row_counts_beyond_24_bits_are_errors() {
    let mut a = sample();
    a.tables.count_override.insert(FIELD, 0x0100_0000);
    let e = listing_error(&a.build());
    // Counts follow the two masks; Field's is the 4th (Module, TypeRef, TypeDef, Field).
    let at = a.stream_file_offset("#~") + 24 + 3 * 4;
    assert_metadata_error(&e, at, "table Field claims 16777216 rows");
}

#[test]
fn a_valid_bit_above_the_last_table_is_an_error() {
    let mut a = sample();
    a.tables.extra_valid = 1 << 0x3F;
    let e = listing_error(&a.build());
    assert_metadata_error(&e, a.stream_file_offset("#~") + 8, "table 0x3f");
}

// ---------------------------------------------------------------------------
// Rid lists.

/// `public class N.A` and `public class N.B`, one field and one method each.
fn two_classes() -> Assembly {
    let mut a = Assembly::new("Lists");
    a.public_class("N", "A");
    a.field(PUBLIC_FIELD, "FA", sig::FIELD_I4);
    a.method(PUBLIC_METHOD, "MA", sig::VOID_INSTANCE);
    a.public_class("N", "B");
    a.field(PUBLIC_FIELD, "FB", sig::FIELD_I4);
    a.method(PUBLIC_METHOD, "MB", sig::VOID_INSTANCE);
    a
}

#[test]
fn two_classes_control() {
    assert_eq!(
        listing(&two_classes().build()),
        "F N.A::FA : System.Int32\nF N.B::FB : System.Int32\n\
         M N.A::MA() -> System.Void\nM N.B::MB() -> System.Void\n\
         T class N.A\nT class N.B\n"
    );
}

#[test]
fn field_list_ending_before_it_starts_is_an_error() {
    let mut a = two_classes();
    set(&mut a, TYPE_DEF, 2, 4, 3);
    assert_table_error(
        &listing_error(&a.build()),
        "TypeDef",
        2,
        "Field list 3..2 is not a valid range of the 2 rows of Field",
    );
}

#[test]
fn field_list_running_past_the_table_is_an_error() {
    let mut a = two_classes();
    set(&mut a, TYPE_DEF, 3, 4, 9);
    assert_table_error(
        &listing_error(&a.build()),
        "TypeDef",
        2,
        "Field list 1..9 is not a valid range",
    );
}

#[test]
fn method_list_ending_before_it_starts_is_an_error() {
    let mut a = two_classes();
    set(&mut a, TYPE_DEF, 2, 5, 3);
    assert_table_error(
        &listing_error(&a.build()),
        "TypeDef",
        2,
        "MethodDef list 3..2 is not a valid range of the 2 rows of MethodDef",
    );
}

#[test]
fn method_list_running_past_the_table_is_an_error() {
    let mut a = two_classes();
    set(&mut a, TYPE_DEF, 3, 5, 4);
    assert_table_error(
        &listing_error(&a.build()),
        "TypeDef",
        2,
        "MethodDef list 1..4 is not a valid range",
    );
}

#[test]
fn a_zero_list_start_is_an_error() {
    let mut a = two_classes();
    set(&mut a, TYPE_DEF, 2, 5, 0);
    assert_table_error(
        &listing_error(&a.build()),
        "TypeDef",
        2,
        "MethodDef list 0..2 is not a valid range",
    );
}

#[test]
fn param_list_errors_name_the_method() {
    let mut a = two_classes();
    let p = a.heaps.string("p");
    a.tables.push(PARAM, vec![0, 1, p]);
    // MA's list runs 2..1, MB's 1..2: MA's ends before it starts.
    set(&mut a, METHOD_DEF, 1, 5, 2);
    set(&mut a, METHOD_DEF, 2, 5, 1);
    let bytes = a.build();
    assert_table_error(
        &surface_error(&bytes),
        "MethodDef",
        1,
        "Param list 2..1 is not a valid range of the 1 rows of Param",
    );
    // The listing does not read parameter rows at all.
    assert!(listing(&bytes).contains("M N.A::MA() -> System.Void"));
    // Past the end.
    set(&mut a, METHOD_DEF, 1, 5, 1);
    set(&mut a, METHOD_DEF, 2, 5, 7);
    assert_table_error(
        &surface_error(&a.build()),
        "MethodDef",
        1,
        "Param list 1..7",
    );
}

#[test]
fn property_and_event_list_errors_name_the_map_row() {
    let mut a = ptr_assembly("#~");
    a.tables.rows.remove(&PROPERTY_PTR);
    a.tables.rows.remove(&EVENT_PTR);
    set(&mut a, PROPERTY_MAP, 1, 1, 4);
    assert_table_error(
        &listing_error(&a.build()),
        "PropertyMap",
        1,
        "Property list 4..3 is not a valid range of the 2 rows of Property",
    );
    let mut a = ptr_assembly("#~");
    a.tables.rows.remove(&PROPERTY_PTR);
    a.tables.rows.remove(&EVENT_PTR);
    a.tables.push(EVENT_MAP, vec![1, 1]);
    set(&mut a, EVENT_MAP, 1, 1, 2);
    assert_table_error(
        &listing_error(&a.build()),
        "EventMap",
        1,
        "Event list 2..1 is not a valid range of the 2 rows of Event",
    );
}

// ---------------------------------------------------------------------------
// Deep signatures: bounded recursion, proven on a 256 KiB stack.

/// A public class with one public field whose signature blob is `field_sig`.
fn with_field_signature(field_sig: &[u8]) -> (Assembly, u32) {
    let mut a = Assembly::new("Deep");
    a.tables.heap_sizes = 0x04; // the blob heap may outgrow 64 KiB
    a.public_class("N", "C");
    let f = a.field(PUBLIC_FIELD, "F", field_sig);
    let blob = a.tables.rows[&FIELD][f as usize - 1][2];
    (a, blob)
}

fn deep(prefix: &[u8], unit: &[u8], times: usize, suffix: &[u8]) -> Vec<u8> {
    let mut v = prefix.to_vec();
    for _ in 0..times {
        v.extend_from_slice(unit);
    }
    v.extend_from_slice(suffix);
    v
}

#[test]
fn a_hundred_thousand_nested_pointers_are_a_depth_error_not_a_stack_overflow() {
    let (a, blob) = with_field_signature(&deep(&[0x06], &[0x0F], 100_000, &[0x08]));
    let bytes = a.build();
    let body = a.blob_file_offset(blob);
    let e = on_small_stack(move || ecma335::read_surface(&bytes).unwrap_err());
    // Depth 0 is the first PTR; the check fails on entering depth 33.
    assert_signature_error(&e, body + 1 + 33, "type nesting deeper than 32 levels");
}

#[test]
fn every_recursive_element_kind_is_depth_bounded() {
    let object = compress(1 << 2 | 1)[0];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("byref", deep(&[0x06], &[0x10], 50_000, &[0x08])),
        ("szarray", deep(&[0x06], &[0x1D], 50_000, &[0x08])),
        ("pinned", deep(&[0x06], &[0x45], 50_000, &[0x08])),
        ("cmod", deep(&[0x06], &[0x1F, object], 50_000, &[0x08])),
        ("array", deep(&[0x06], &[0x14], 50_000, &[0x08, 1, 0, 0])),
        ("fnptr", deep(&[0x06], &[0x1B, 0x00, 0x00], 50_000, &[0x01])),
        (
            "genericinst",
            deep(&[0x06], &[0x15, 0x12, object, 0x01], 50_000, &[0x08]),
        ),
    ];
    for (what, field_sig) in cases {
        let (a, _) = with_field_signature(&field_sig);
        let bytes = a.build();
        let e = on_small_stack(move || ecma335::read_surface(&bytes).unwrap_err());
        assert!(
            matches!(&e, Error::Signature { message, .. } if message.contains("deeper than 32 levels")),
            "{what}: {e:?}"
        );
    }
}

#[test]
fn nesting_just_inside_the_limit_reads() {
    // 32 pointers: the int32 is at depth 32, the deepest accepted.
    let (a, _) = with_field_signature(&deep(&[0x06], &[0x0F], 32, &[0x08]));
    let bytes = a.build();
    let l = on_small_stack(move || ecma335::listing(&bytes).unwrap());
    assert_eq!(
        l,
        format!("F N.C::F : System.Int32{}\nT class N.C\n", "*".repeat(32))
    );
}

// ---------------------------------------------------------------------------
// Cycles.

#[test]
fn cyclic_typeref_resolution_scopes_terminate_with_an_error() {
    let mut a = Assembly::new("Cycle");
    a.public_class("N", "C");
    let x = a.heaps.string("X");
    let y = a.heaps.string("Y");
    // TypeRef 4 is nested in 5, 5 in 4.
    a.tables.push(
        TYPE_REF,
        vec![Coded::ResolutionScope.encode(TYPE_REF, 5), x, 0],
    );
    a.tables.push(
        TYPE_REF,
        vec![Coded::ResolutionScope.encode(TYPE_REF, 4), y, 0],
    );
    a.field(
        PUBLIC_FIELD,
        "F",
        &[&[0x06][..], &type_ref_class(&a, 4)].concat(),
    );
    let e = on_small_stack({
        let bytes = a.build();
        move || ecma335::listing(&bytes).unwrap_err()
    });
    match &e {
        Error::Table {
            table: "TypeRef",
            row,
            message,
            ..
        } if (*row == 4 || *row == 5) && message.contains("resolution scope chain is cyclic") => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_typeref_scoped_to_itself_terminates_with_an_error() {
    let mut a = Assembly::new("Cycle");
    a.public_class("N", "C");
    let x = a.heaps.string("X");
    a.tables.push(
        TYPE_REF,
        vec![Coded::ResolutionScope.encode(TYPE_REF, 4), x, 0],
    );
    a.field(
        PUBLIC_FIELD,
        "F",
        &[&[0x06][..], &type_ref_class(&a, 4)].concat(),
    );
    assert_table_error(&listing_error(&a.build()), "TypeRef", 4, "cyclic");
}

#[test]
fn cyclic_nested_class_chains_terminate_with_an_error() {
    let mut a = Assembly::new("Nest");
    let extends = Coded::TypeDefOrRef.encode(TYPE_REF, a.object);
    a.type_def(NESTED_PUBLIC, "", "A", extends);
    a.type_def(NESTED_PUBLIC, "", "B", extends);
    a.tables.push(NESTED_CLASS, vec![2, 3]);
    a.tables.push(NESTED_CLASS, vec![3, 2]);
    let e = on_small_stack({
        let bytes = a.build();
        move || ecma335::listing(&bytes).unwrap_err()
    });
    match &e {
        Error::Table {
            table: "NestedClass",
            message,
            ..
        } if message.contains("NestedClass cycle") => {}
        other => panic!("{other:?}"),
    }
    // A type nested in itself.
    let mut a = Assembly::new("Nest");
    a.type_def(NESTED_PUBLIC, "", "A", extends);
    a.tables.push(NESTED_CLASS, vec![2, 2]);
    assert!(matches!(
        listing_error(&a.build()),
        Error::Table {
            table: "NestedClass",
            row: 1,
            ..
        }
    ));
}

#[test]
fn a_cycle_among_unlisted_types_is_reported_when_a_signature_names_them() {
    let mut a = Assembly::new("Nest");
    a.public_class("N", "C");
    let f = a.tables.len(FIELD) + 1;
    let extends = Coded::TypeDefOrRef.encode(TYPE_REF, a.object);
    a.type_def(0x3, "", "A", extends); // NestedPrivate
    a.type_def(0x3, "", "B", extends);
    a.tables.push(NESTED_CLASS, vec![3, 4]);
    a.tables.push(NESTED_CLASS, vec![4, 3]);
    // C.F : A
    let class_a = [0x06, 0x12, compress(3 << 2)[0]];
    a.field(PUBLIC_FIELD, "F", &class_a);
    set(&mut a, TYPE_DEF, 3, 4, f + 1);
    set(&mut a, TYPE_DEF, 4, 4, f + 1);
    let bytes = a.build();
    let e = on_small_stack(move || ecma335::listing(&bytes).unwrap_err());
    match &e {
        Error::Table {
            table: "NestedClass",
            message,
            ..
        } if message.contains("cyclic") => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_nested_class_row_naming_no_typedef_is_an_error() {
    let mut a = sample();
    a.tables.push(NESTED_CLASS, vec![2, 7]);
    assert_table_error(
        &listing_error(&a.build()),
        "NestedClass",
        1,
        "is not a TypeDef row",
    );
}

// ---------------------------------------------------------------------------
// PE directories and sections.

#[test]
fn a_wrong_cli_directory_size_is_tolerated() {
    for size in [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF] {
        let mut a = sample();
        a.pe.cli_dir_size = Some(size);
        assert_eq!(
            listing(&a.build()),
            SAMPLE_LISTING,
            "CLI directory size {size:#x}"
        );
    }
}

#[test]
fn oversized_and_negative_metadata_sizes_are_errors() {
    for size in [0x8000_0000u32, 0xFFFF_FFFF, 0x0010_0000] {
        let mut a = sample();
        a.pe.metadata_dir_size = Some(size);
        let (e, largest, _) = measured(|| listing_error(&a.build()));
        assert_pe_error(
            &e,
            METADATA_FILE_OFFSET as u64,
            "runs past the end of the file",
        );
        assert!(largest < 1 << 20);
    }
}

#[test]
fn a_metadata_size_smaller_than_the_root_is_an_error() {
    let mut a = sample();
    a.pe.metadata_dir_size = Some(20);
    assert_metadata_error(
        &listing_error(&a.build()),
        METADATA_FILE_OFFSET as u64 + 16,
        "the metadata version string",
    );
    a.pe.metadata_dir_size = Some(0);
    assert_metadata_error(&listing_error(&a.build()), 0x200, "no metadata directory");
}

#[test]
fn a_huge_directory_count_is_clamped() {
    let mut a = sample();
    a.pe.dir_count = Some(0xFFFF_FFFF);
    assert_eq!(listing(&a.build()), SAMPLE_LISTING);
    a.pe.dir_count = Some(14);
    assert!(matches!(
        listing_error(&a.build()),
        Error::NotManaged { .. }
    ));
}

#[test]
fn a_cli_header_outside_every_section_is_an_error() {
    let mut a = sample();
    a.pe.cli_dir_rva = Some(0x7FFF_0000);
    let e = listing_error(&a.build());
    assert!(
        matches!(&e, Error::Pe { message, .. } if message.contains("not inside any section")),
        "{e:?}"
    );
}

#[test]
fn section_raw_data_claimed_past_the_file_reads_what_is_there() {
    // Valid but odd: the section claims 2 GiB of raw data; everything the
    // reader needs is inside the file.
    let mut a = sample();
    a.pe.section_raw_size = Some(0x7FFF_FFFF);
    a.pe.section_virtual_size = Some(0);
    assert_eq!(listing(&a.build()), SAMPLE_LISTING);
}

#[test]
fn a_section_whose_raw_data_starts_past_the_file_is_an_error() {
    let mut a = sample();
    a.pe.section_raw_offset = Some(0x0100_0000);
    assert_pe_error(
        &listing_error(&a.build()),
        0x0100_0000,
        "runs past the end of the file",
    );
    a.pe.section_raw_offset = Some(0xFFFF_FFF0);
    assert_pe_error(
        &listing_error(&a.build()),
        0xFFFF_FFF0,
        "runs past the end of the file",
    );
}

#[test]
fn a_section_too_short_for_the_metadata_is_an_error() {
    let mut a = sample();
    a.pe.section_raw_size = Some(72);
    let e = listing_error(&a.build());
    assert!(
        matches!(&e, Error::Pe { message, .. } if message.contains("the metadata directory at RVA 0x2048 is not inside")),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------
// Truncation.

#[test]
fn truncation_at_every_length_is_an_error_until_the_metadata_is_complete() {
    let a = sample();
    let bytes = a.build();
    let needed = METADATA_FILE_OFFSET + a.root().len();
    for len in 0..bytes.len() {
        let r = ecma335::listing(&bytes[..len]);
        if len < needed {
            assert!(r.is_err(), "truncated to {len} bytes: {r:?}");
        } else {
            assert_eq!(r.as_deref(), Ok(SAMPLE_LISTING), "truncated to {len} bytes");
        }
    }
}

/// A predicate on the error a truncated file gives.
type ErrorCheck<'a> = dyn Fn(&Error) -> bool + 'a;

#[test]
fn truncation_at_each_header_boundary_names_the_structure() {
    let a = sample();
    let bytes = a.build();
    let pe = PE_HEADER_OFFSET as u64;
    let cases: [(usize, &ErrorCheck<'_>); 8] = [
        (
            0,
            &|e| matches!(e, Error::Pe { offset: 0, message } if message.contains("DOS signature")),
        ),
        (
            0x3C,
            &|e| matches!(e, Error::Pe { offset: 0x3C, message } if message.contains("a u32")),
        ),
        (
            0x80,
            &|e| matches!(e, Error::Pe { offset, message } if *offset == pe && message.contains("PE signature")),
        ),
        (
            0x84,
            &|e| matches!(e, Error::Pe { offset, .. } if *offset == pe + 4),
        ),
        (
            0x98,
            &|e| matches!(e, Error::Pe { offset, message } if *offset == pe + 24 && message.contains("optional header")),
        ),
        (
            0x178,
            &|e| matches!(e, Error::Pe { offset, message } if *offset == 0x178 && message.contains("section header")),
        ),
        (
            0x200,
            &|e| matches!(e, Error::Pe { offset: 0x200, message } if message.contains("the CLI header")),
        ),
        (
            METADATA_FILE_OFFSET,
            &|e| matches!(e, Error::Pe { offset, message } if *offset == METADATA_FILE_OFFSET as u64 && message.contains("the metadata directory")),
        ),
    ];
    for (len, ok) in cases {
        let e = listing_error(&bytes[..len]);
        assert!(ok(&e), "truncated to {len:#x}: {e:?}");
    }
}

// ---------------------------------------------------------------------------
// Counts and lengths that must not be trusted.

#[test]
fn a_huge_blob_length_is_a_heap_error_without_allocation() {
    let mut a = Assembly::new("Blob");
    a.public_class("N", "C");
    let index = a.heaps.raw_blob(&[0xDF, 0xFF, 0xFF, 0xFF, 0x06, 0x08]);
    let name = a.heaps.string("F");
    a.tables.push(FIELD, vec![PUBLIC_FIELD as u32, name, index]);
    let bytes = a.build();
    let (e, largest, _) = measured(|| listing_error(&bytes));
    match &e {
        Error::Heap {
            heap: "#Blob",
            index: i,
            message,
        } if *i == index && message.contains("blob of 536870911 bytes runs past the end") => {}
        other => panic!("{other:?}"),
    }
    assert!(largest < 64 * 1024, "largest allocation {largest}");
}

#[test]
fn compressed_counts_larger_than_the_blob_are_errors_without_allocation() {
    let object = compress(1 << 2 | 1)[0];
    // (what, method signature, offset of the count within the blob, message)
    let cases: Vec<(&str, Vec<u8>, u64, &str)> = vec![
        (
            "parameters",
            vec![0x20, 0xDF, 0xFF, 0xFF, 0xFF, 0x01, 0x08],
            1,
            "536870911 parameters declared but only 2 bytes follow",
        ),
        (
            "generic args",
            vec![
                0x20, 0x01, 0x01, 0x15, 0x12, object, 0xDF, 0xFF, 0xFF, 0xFF, 0x08,
            ],
            6,
            "536870911 generic arguments declared",
        ),
        (
            "array sizes",
            vec![
                0x20, 0x01, 0x01, 0x14, 0x08, 0x01, 0xDF, 0xFF, 0xFF, 0xFF, 0x00,
            ],
            6,
            "536870911 array sizes declared",
        ),
        (
            "array bounds",
            vec![
                0x20, 0x01, 0x01, 0x14, 0x08, 0x01, 0x00, 0xDF, 0xFF, 0xFF, 0xFF,
            ],
            7,
            "536870911 array lower bounds declared",
        ),
    ];
    for (what, method_sig, at, message) in cases {
        let mut a = Assembly::new("Counts");
        a.public_class("N", "C");
        let m = a.method(PUBLIC_METHOD, "M", &method_sig);
        let blob = a.tables.rows[&METHOD_DEF][m as usize - 1][4];
        let body = a.blob_file_offset(blob);
        let bytes = a.build();
        let (e, largest, _) = measured(|| listing_error(&bytes));
        assert_signature_error(&e, body + at, message);
        assert!(largest < 64 * 1024, "{what}: largest allocation {largest}");
    }
}

#[test]
fn nested_count_claims_do_not_multiply_allocations() {
    // 30 nested generic instantiations, each claiming as many arguments as
    // there are bytes left (a claim `counted` accepts); the innermost then
    // runs out of bytes. Pre-sizing every level from its claim would request
    // (bytes left x element size) per level: about 25 MB here.
    let object = compress(1 << 2 | 1)[0];
    let levels = 30usize;
    let tail_elements = 10_000usize; // VAR 0: two bytes each
    let mut s = vec![0x06];
    for i in 0..levels {
        let left = (levels - i - 1) * 7 + 2 * tail_elements;
        s.extend_from_slice(&[0x15, 0x12, object]);
        // A 4-byte compressed integer (the reader accepts it for small values).
        s.extend_from_slice(&(0xC000_0000u32 | left as u32).to_be_bytes());
    }
    for _ in 0..tail_elements {
        s.extend_from_slice(&[0x13, 0x00]);
    }
    let (a, _) = with_field_signature(&s);
    let bytes = a.build();
    let (r, _, total) = measured(|| ecma335::read_surface(&bytes).map(|_| ()));
    let e = r.expect_err("the claims are false");
    assert!(e.to_string().contains("unexpected end of data"), "{e}");
    assert!(
        total < 256 * s.len(),
        "decoding a {} byte blob allocated {total} bytes in all",
        s.len()
    );
}

#[test]
fn attribute_counts_are_checked_against_the_blob() {
    let blob = |b: &'static [u8]| Blob {
        data: b,
        offset: 0x400,
    };
    let bytes_array = [ArgType::SzArray(Box::new(ArgType::U1))];
    let (r, largest, _) = measured(|| {
        decode_attribute(
            blob(&[1, 0, 0xFE, 0xFF, 0xFF, 0x7F, 1, 2]),
            &bytes_array,
            &mut |_| None,
        )
    });
    match r {
        Err(Error::CustomAttribute {
            offset: 0x402,
            message,
        }) => {
            assert!(
                message.contains("array of 2147483646 elements but only 2 bytes follow"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(largest < 4096);
    let r = decode_attribute(blob(&[1, 0, 0xFF, 0xFF, 0x53]), &[], &mut |_| None);
    match r {
        Err(Error::CustomAttribute {
            offset: 0x404,
            message,
        }) => {
            assert!(
                message.contains("65535 named arguments declared but only 1 bytes follow"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    let r = decode_attribute(
        blob(&[1, 0, 0xDF, 0xFF, 0xFF, 0xFF, b'x']),
        &[ArgType::String],
        &mut |_| None,
    );
    assert!(
        matches!(r, Err(Error::CustomAttribute { offset: 0x406, .. })),
        "{r:?}"
    );
}

#[test]
fn nested_attribute_arrays_do_not_multiply_allocations() {
    // SzArray nested 16 deep, each level claiming every byte left.
    let mut ty = ArgType::I8;
    for _ in 0..16 {
        ty = ArgType::SzArray(Box::new(ty));
    }
    let n = 64 * 1024;
    let mut b = vec![1, 0];
    // Each claim is exactly the bytes left after it; the innermost I8s then run out.
    for i in 0..16u32 {
        b.extend_from_slice(&(n - 2 - 4 * (i + 1)).to_le_bytes());
    }
    b.resize(n as usize, 0);
    let data: &'static [u8] = b.leak();
    let (r, _, total) =
        measured(|| decode_attribute(Blob { data, offset: 0 }, &[ty], &mut |_| None));
    assert!(r.is_err());
    assert!(
        total < 64 * n as usize,
        "a {n} byte blob allocated {total} bytes in all"
    );
}

// ---------------------------------------------------------------------------
// TypeSpecs that refer to themselves (only a custom modifier may name one).

/// `public class N.C { public <field_type> F; }` plus TypeSpec rows.
fn with_type_specs(specs: &[Vec<u8>], field_type: &[u8]) -> Assembly {
    let mut a = Assembly::new("Specs");
    a.public_class("N", "C");
    for s in specs {
        let b = a.heaps.blob(s);
        a.tables.push(TYPE_SPEC, vec![b]);
    }
    a.field(PUBLIC_FIELD, "F", &[&[0x06][..], field_type].concat());
    a
}

/// `modopt(TypeSpec rid)`, to be followed by the modified type.
fn modopt_spec(rid: u32) -> Vec<u8> {
    [&[0x20][..], &compress(rid << 2 | 2)].concat()
}

#[test]
fn a_self_referencing_typespec_is_an_error_not_a_hang() {
    // TypeSpec 1 = modopt(TypeSpec 1) int32.
    let spec = [&modopt_spec(1)[..], &[0x08]].concat();
    let bytes = with_type_specs(&[spec], &[&modopt_spec(1)[..], &[0x08]].concat()).build();
    let start = Instant::now();
    let e = on_small_stack(move || ecma335::listing(&bytes).unwrap_err());
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
    assert!(
        matches!(&e, Error::Signature { message, .. } if message.contains("TypeSpec row 1 refers to itself")),
        "{e:?}"
    );
}

#[test]
fn an_exponential_typespec_chain_is_an_error_not_a_hang() {
    // TypeSpec k = Object<modopt(TypeSpec k-1) int32 x 16>, 10 rows: each
    // row multiplies the work by 16, 16^10 elements in all, all within the
    // depth limit (three levels per row).
    let object = compress(1 << 2 | 1)[0];
    let mut specs = vec![vec![0x08]];
    for k in 2..=10 {
        let mut spec = vec![0x15, 0x12, object, 16];
        for _ in 0..16 {
            spec.extend(modopt_spec(k - 1));
            spec.push(0x08);
        }
        specs.push(spec);
    }
    let bytes = with_type_specs(&specs, &[&modopt_spec(10)[..], &[0x08]].concat()).build();
    let start = Instant::now();
    let e = on_small_stack(move || ecma335::listing(&bytes).unwrap_err());
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
    assert!(
        matches!(&e, Error::Signature { message, .. } if message.contains("TypeSpec expansion exceeds 16384 type elements")),
        "{e:?}"
    );
}

#[test]
fn a_typespec_named_twice_is_not_a_cycle() {
    // TypeSpec 2 = modopt(TypeSpec 1) modopt(TypeSpec 1) int32; both expand.
    let twice = [&modopt_spec(1)[..], &modopt_spec(1), &[0x08]].concat();
    let bytes = with_type_specs(
        &[vec![0x1D, 0x08], twice],
        &[&modopt_spec(2)[..], &[0x0E]].concat(),
    )
    .build();
    assert_eq!(listing(&bytes), "F N.C::F : System.String\nT class N.C\n");
}

#[test]
fn a_class_naming_a_typespec_is_an_error() {
    let bytes = with_type_specs(&[vec![0x08]], &[0x12, compress(1 << 2 | 2)[0]]).build();
    let e = listing_error(&bytes);
    assert!(
        matches!(&e, Error::Signature { message, .. } if message.contains("names TypeSpec 1")),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------
// Array ranks.

#[test]
fn an_array_rank_beyond_the_runtime_limit_is_an_error_not_a_huge_listing() {
    let (a, blob) = with_field_signature(&[0x06, 0x14, 0x08, 0xDF, 0xFF, 0xFF, 0xFF, 0x00, 0x00]);
    let bytes = a.build();
    let (r, largest, _) = measured(|| ecma335::listing(&bytes));
    assert!(largest < 1 << 20, "largest allocation {largest}");
    assert_signature_error(
        &r.unwrap_err(),
        a.blob_file_offset(blob) + 3,
        "array rank 536870911",
    );
    // Rank 32, the runtime's limit, reads.
    let (a, _) = with_field_signature(&[0x06, 0x14, 0x08, 32, 0x00, 0x00]);
    assert!(listing(&a.build()).contains(&format!("System.Int32[{}]", ",".repeat(31))));
}

// ---------------------------------------------------------------------------
// The deepest accepted nesting still makes canonical JSON that reads back
// (serde_json refuses more than 128 levels; a generic nests 3 per level).

#[test]
fn the_deepest_accepted_signatures_round_trip_through_json() {
    let object = compress(1 << 2 | 1)[0];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("szarray", deep(&[0x06], &[0x1D], 32, &[0x08])),
        (
            "genericinst",
            deep(&[0x06], &[0x15, 0x12, object, 0x01], 32, &[0x08]),
        ),
        ("cmod", deep(&[0x06], &[0x20, object], 32, &[0x08])),
        (
            "array",
            deep(
                &[0x06],
                &[0x14],
                32,
                &[&[0x08][..], &[1, 0, 0].repeat(32)].concat(),
            ),
        ),
        ("fnptr", deep(&[0x06], &[0x1B, 0x00, 0x00], 15, &[0x01])),
    ];
    for (what, field_sig) in cases {
        let (a, _) = with_field_signature(&field_sig);
        let bytes = a.build();
        let s = on_small_stack(move || ecma335::read_surface(&bytes))
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let json = s.to_canonical_json();
        let back = ecma335::Surface::from_json(&json).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(back.to_canonical_json() == json, "{what}: JSON changed");
    }
}

// ---------------------------------------------------------------------------
// Coded indexes and forwarder chains.

#[test]
fn a_coded_index_beyond_24_bit_row_ids_is_an_error_not_a_truncated_row() {
    // With `#JTD` every coded index is 4 bytes, room for a row id of 2^24 + 1,
    // which must not wrap to row 1 (System.Object here).
    let mut a = sample();
    a.tables.jtd_widths = true;
    a.trailing_streams.push(Stream::new("#JTD", vec![]));
    set(
        &mut a,
        TYPE_DEF,
        2,
        3,
        Coded::TypeDefOrRef.encode(TYPE_REF, 0x0100_0001),
    );
    assert_table_error(&listing_error(&a.build()), "TypeDef", 2, "coded index");
}

#[test]
fn a_cyclic_exported_type_chain_terminates_with_an_error() {
    let mut a = sample();
    let x = a.heaps.string("X");
    let y = a.heaps.string("Y");
    let forwarder = 0x0020_0000; // IsTypeForwarder
    a.tables.push(
        EXPORTED_TYPE,
        vec![
            forwarder,
            0,
            x,
            0,
            Coded::Implementation.encode(EXPORTED_TYPE, 2),
        ],
    );
    a.tables.push(
        EXPORTED_TYPE,
        vec![
            forwarder,
            0,
            y,
            0,
            Coded::Implementation.encode(EXPORTED_TYPE, 1),
        ],
    );
    let bytes = a.build();
    let e = on_small_stack(move || ecma335::read_surface(&bytes).unwrap_err());
    match &e {
        Error::Table {
            table: "ExportedType",
            message,
            ..
        } if message.contains("cyclic") => {}
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Property-test findings.

#[test]
fn names_are_listed_as_stored_even_with_line_breaks() {
    // Found by the 200,000-case mutation run: a `#Strings` byte set to `\n`.
    // surface-listing.md prints names as stored (so does the SRM lister); the
    // item then spans two lines, which is why the listing's sortedness is a
    // property of items, not of `\n`-separated lines.
    let mut a = Assembly::new("Odd");
    a.public_class("N", "B\nA");
    a.field(PUBLIC_FIELD, "F", sig::FIELD_I4);
    let l = listing(&a.build());
    assert_eq!(l, "F N.B\nA::F : System.Int32\nT class N.B\nA\n");
    let s = ecma335::read_surface(&a.build()).unwrap();
    let json = s.to_canonical_json();
    assert!(
        ecma335::Surface::from_json(&json)
            .unwrap()
            .to_canonical_json()
            == json
    );
}
