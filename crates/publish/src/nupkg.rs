//! A deterministic `.nupkg` (zip) writer and its reader.
//!
//! Same entries, same bytes, on every run and machine: entries sorted by name (byte
//! order), every timestamp the zip epoch (1980-01-01 00:00:00), Unix mode 0644,
//! deflate at level 6, no extra fields.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

/// Zips `entries` (name → bytes).
pub fn write(entries: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let mut z = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644)
        .large_file(false);
    for (name, bytes) in entries {
        z.start_file(name.as_str(), options).expect("zip to memory");
        z.write_all(bytes).expect("zip to memory");
    }
    z.finish().expect("zip to memory").into_inner()
}

/// The entries of a `.nupkg` in archive order, refusing what our writer never makes:
/// duplicate or unsafe names, directories, unsorted entries.
pub fn read(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut z =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a zip archive: {e}"))?;
    let mut out: Vec<(String, Vec<u8>)> = Vec::with_capacity(z.len());
    for i in 0..z.len() {
        let mut f = z.by_index(i).map_err(|e| format!("entry {i}: {e}"))?;
        let name = f.name().to_string();
        if f.is_dir() {
            return Err(format!("{name}: a directory entry"));
        }
        if name.starts_with('/')
            || name.contains('\\')
            || name
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
        {
            return Err(format!("{name}: not a safe relative path"));
        }
        let mut data = Vec::with_capacity(f.size().min(1 << 30) as usize);
        f.read_to_end(&mut data)
            .map_err(|e| format!("{name}: {e}"))?;
        if let Some((prev, _)) = out.last()
            && prev.as_str() >= name.as_str()
        {
            return Err(if *prev == name {
                format!("{name}: duplicate entry")
            } else {
                format!("{name}: entries are not sorted ({prev} comes first)")
            });
        }
        out.push((name, data));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_readable() {
        let mut e = BTreeMap::new();
        e.insert("b/x.txt".to_string(), b"hello".to_vec());
        e.insert("a.nuspec".to_string(), vec![7u8; 10_000]);
        let one = write(&e);
        let two = write(&e);
        assert_eq!(one, two);
        let back = read(&one).unwrap();
        assert_eq!(back, e.into_iter().collect::<Vec<_>>());
        // Every local header carries the zip epoch: DOS time 0, date (0 << 9 | 1 << 5 | 1).
        let header = &one[..30];
        assert_eq!(&header[..4], b"PK\x03\x04");
        assert_eq!(u16::from_le_bytes([header[10], header[11]]), 0);
        assert_eq!(u16::from_le_bytes([header[12], header[13]]), (1 << 5) | 1);
    }

    #[test]
    fn refuses_unsafe_names() {
        let mut z = ZipWriter::new(Cursor::new(Vec::new()));
        z.start_file("../evil", SimpleFileOptions::default())
            .unwrap();
        z.write_all(b"x").unwrap();
        let bytes = z.finish().unwrap().into_inner();
        assert!(
            read(&bytes)
                .unwrap_err()
                .contains("not a safe relative path")
        );
        assert!(read(b"not a zip").is_err());
    }
}
