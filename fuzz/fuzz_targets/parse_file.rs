//! Whole-file parsing: PE, metadata, tables, the full surface, its listing and
//! canonical JSON (which must read back to the same bytes), and the streamed
//! writers (which must agree with the built surface).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(md) = ecma335::Metadata::parse(data) else {
        return;
    };
    let streamed_listing = ecma335::write_listing(&md, Vec::new());
    if let Ok(surface) = ecma335::build_surface(&md, ecma335::Detail::Full) {
        let listing = surface.listing();
        assert!(listing.is_empty() || listing.ends_with('\n'));
        let lines: Vec<&str> = listing.lines().collect();
        // Names are printed as stored: one holding a line break splits its
        // item over two lines (surface-listing.md does not escape names).
        let breaks = md
            .streams
            .iter()
            .rev()
            .find(|s| s.name == b"#Strings")
            .is_some_and(|s| {
                let start = md.offset as usize + s.offset as usize;
                data[start..start + s.size as usize]
                    .iter()
                    .any(|&b| b == b'\n' || b == b'\r')
            });
        assert!(
            breaks || lines.windows(2).all(|w| w[0].as_bytes() <= w[1].as_bytes()),
            "listing not sorted"
        );
        assert_eq!(
            streamed_listing.as_deref().ok(),
            Some(listing.as_bytes()),
            "streamed listing differs from the built one"
        );
        let json = surface.to_canonical_json();
        let back = ecma335::Surface::from_json(&json).expect("canonical JSON reads back");
        assert!(
            back.to_canonical_json() == json,
            "canonical JSON is not a fixed point"
        );
        let streamed = ecma335::write_canonical_json(&md, Vec::new()).expect("streamed JSON");
        assert!(streamed == json, "streamed JSON differs from the built one");
    }
});
