//! The `#Strings`, `#Blob`, `#GUID` and `#US` heaps (ECMA-335 II.24.2.3–6).

use std::borrow::Cow;

use crate::error::{Context, Error, Result};
use crate::reader::Reader;

/// Index into `#Strings`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StringIndex(pub u32);
/// Index into `#Blob`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobIndex(pub u32);
/// 1-based index into `#GUID`; 0 is null.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GuidIndex(pub u32);

#[derive(Clone, Copy, Debug, Default)]
pub struct StringHeap<'data> {
    data: &'data [u8],
}

impl<'data> StringHeap<'data> {
    pub fn new(data: &'data [u8]) -> Self {
        StringHeap { data }
    }

    /// The raw bytes of the NUL-terminated string at `index`.
    #[inline]
    pub fn get_bytes(&self, index: StringIndex) -> Result<&'data [u8]> {
        let start = index.0 as usize;
        let tail = self.data.get(start..).ok_or_else(|| Error::Heap {
            heap: "#Strings",
            index: index.0,
            message: format!("past the end of the heap ({:#x} bytes)", self.data.len()),
        })?;
        match tail.iter().position(|&b| b == 0) {
            Some(end) => Ok(&tail[..end]),
            None if index.0 == 0 && self.data.is_empty() => Ok(&[]),
            None => Err(Error::Heap {
                heap: "#Strings",
                index: index.0,
                message: "string is not NUL-terminated".into(),
            }),
        }
    }

    /// The string at `index`, with invalid UTF-8 replaced by U+FFFD.
    #[inline]
    pub fn get(&self, index: StringIndex) -> Result<Cow<'data, str>> {
        Ok(String::from_utf8_lossy(self.get_bytes(index)?))
    }
}

/// A blob: its bytes and their absolute file offset.
#[derive(Clone, Copy, Debug)]
pub struct Blob<'data> {
    pub data: &'data [u8],
    pub offset: u64,
}

impl<'data> Blob<'data> {
    pub fn reader(&self, context: Context) -> Reader<'data> {
        Reader::new(self.data, self.offset, context)
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct BlobHeap<'data> {
    data: &'data [u8],
    offset: u64,
}

impl<'data> BlobHeap<'data> {
    pub fn new(data: &'data [u8], offset: u64) -> Self {
        BlobHeap { data, offset }
    }

    pub fn get(&self, index: BlobIndex) -> Result<Blob<'data>> {
        let heap_err = |message: String| Error::Heap {
            heap: "#Blob",
            index: index.0,
            message,
        };
        let start = index.0 as usize;
        if start == 0 && self.data.is_empty() {
            return Ok(Blob {
                data: &[],
                offset: self.offset,
            });
        }
        if start >= self.data.len() {
            return Err(heap_err(format!(
                "past the end of the heap ({:#x} bytes)",
                self.data.len()
            )));
        }
        let mut r = Reader::new(
            &self.data[start..],
            self.offset + start as u64,
            Context::Metadata,
        );
        let len = r
            .compressed_u32()
            .map_err(|_| heap_err("invalid blob length prefix".into()))?;
        let body_offset = r.offset();
        let data = r
            .bytes(len as usize, "a blob")
            .map_err(|_| heap_err(format!("blob of {len} bytes runs past the end of the heap")))?;
        Ok(Blob {
            data,
            offset: body_offset,
        })
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct GuidHeap<'data> {
    data: &'data [u8],
}

impl<'data> GuidHeap<'data> {
    pub fn new(data: &'data [u8]) -> Self {
        GuidHeap { data }
    }

    /// The 16 bytes of GUID number `index` (1-based); `None` for index 0.
    pub fn get(&self, index: GuidIndex) -> Result<Option<[u8; 16]>> {
        if index.0 == 0 {
            return Ok(None);
        }
        let start = (index.0 as usize - 1) * 16;
        match self.data.get(start..start + 16) {
            Some(b) => Ok(Some(b.try_into().unwrap())),
            None => Err(Error::Heap {
                heap: "#GUID",
                index: index.0,
                message: format!("past the end of the heap ({:#x} bytes)", self.data.len()),
            }),
        }
    }
}

/// Formats a GUID the way .NET prints it (`D` format).
pub fn format_guid(g: &[u8; 16]) -> String {
    let d1 = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
    let d2 = u16::from_le_bytes([g[4], g[5]]);
    let d3 = u16::from_le_bytes([g[6], g[7]]);
    format!(
        "{d1:08x}-{d2:04x}-{d3:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]
    )
}

/// `#US`: length-prefixed UTF-16 strings.
#[derive(Clone, Copy, Debug, Default)]
pub struct UserStringHeap<'data> {
    blobs: BlobHeap<'data>,
}

impl<'data> UserStringHeap<'data> {
    pub fn new(data: &'data [u8], offset: u64) -> Self {
        UserStringHeap {
            blobs: BlobHeap::new(data, offset),
        }
    }

    pub fn get(&self, index: u32) -> Result<String> {
        let blob = self.blobs.get(BlobIndex(index))?;
        // The final byte is a flag, not part of the string.
        let body = &blob.data[..blob.data.len() & !1];
        Ok(decode_utf16_lossy(body))
    }
}

pub(crate) fn decode_utf16_lossy(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_nul_terminated_and_bounded() {
        let h = StringHeap::new(b"\0Foo\0Bar");
        assert_eq!(h.get(StringIndex(1)).unwrap(), "Foo");
        assert_eq!(h.get(StringIndex(0)).unwrap(), "");
        assert!(h.get(StringIndex(5)).is_err(), "unterminated");
        assert!(h.get(StringIndex(100)).is_err());
    }

    #[test]
    fn blobs_check_their_length() {
        let h = BlobHeap::new(&[0, 2, 0xAA, 0xBB, 5, 1], 0x40);
        let b = h.get(BlobIndex(1)).unwrap();
        assert_eq!(b.data, &[0xAA, 0xBB]);
        assert_eq!(b.offset, 0x42);
        assert!(h.get(BlobIndex(4)).is_err());
        assert!(h.get(BlobIndex(6)).is_err());
    }

    #[test]
    fn guid_formatting() {
        let g = [
            0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ];
        assert_eq!(format_guid(&g), "00112233-4455-6677-8899-aabbccddeeff");
    }
}
