//! SHA-512 of packages: computed over files, and converted from NuGet's base64
//! spelling (`.nupkg.sha512`, `.nupkg.metadata`, catalog `packageHash`).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use base64::Engine as _;
use sha2::{Digest, Sha512};

/// Hex SHA-512 of a file.
pub fn sha512_file(path: &Path) -> io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha512::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Converts NuGet's base64 SHA-512 to lower-case hex. `None` if it is not a
/// valid SHA-512.
pub fn base64_sha512_to_hex(b64: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    (bytes.len() == 64).then(|| hex::encode(bytes))
}

/// Normalises a hash given by a caller (hex, any case, or NuGet's base64) to lower hex.
pub fn normalize_sha512(s: &str) -> Option<String> {
    let t = s.trim();
    if t.len() == 128 && t.chars().all(|c| c.is_ascii_hexdigit()) {
        return Some(t.to_ascii_lowercase());
    }
    base64_sha512_to_hex(t)
}
