//! Whole-file parsing: PE, metadata, tables, the full surface, its listing and
//! canonical JSON (which must read back to the same bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(md) = ecma335::Metadata::parse(data) else {
        return;
    };
    if let Ok(surface) = ecma335::build_surface(&md, ecma335::Detail::Full) {
        let listing = surface.listing();
        assert!(listing.is_empty() || listing.ends_with('\n'));
        let json = surface.to_canonical_json();
        let back = ecma335::Surface::from_json(&json).expect("canonical JSON reads back");
        assert_eq!(back.to_canonical_json(), json, "canonical JSON is a fixed point");
    }
    let _ = ecma335::build_surface(&md, ecma335::Detail::Listing).map(|s| s.listing());
});
