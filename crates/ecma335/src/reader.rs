//! A bounds-checked little-endian cursor that knows its absolute file offset.

use crate::error::{Context, Error, Result};

#[derive(Clone, Copy, Debug)]
pub struct Reader<'data> {
    data: &'data [u8],
    pos: usize,
    /// Absolute file offset of `data[0]`.
    base: u64,
    context: Context,
}

impl<'data> Reader<'data> {
    pub fn new(data: &'data [u8], base: u64, context: Context) -> Self {
        Reader {
            data,
            pos: 0,
            base,
            context,
        }
    }

    /// The absolute file offset of the next byte.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    #[inline]
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::at(self.context, self.offset(), message)
    }

    fn eof(&self, what: &str, needed: usize) -> Error {
        self.error(format_args!(
            "unexpected end of data reading {what}: {needed} bytes needed, {} left",
            self.remaining()
        ))
    }

    pub fn seek(&mut self, pos: usize) -> Result<()> {
        if pos > self.data.len() {
            return Err(self.error(format_args!(
                "position {pos:#x} is past the end ({:#x} bytes)",
                self.data.len()
            )));
        }
        self.pos = pos;
        Ok(())
    }

    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'data [u8]> {
        if n > self.remaining() {
            return Err(self.eof(what, n));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    #[inline]
    pub fn u8(&mut self) -> Result<u8> {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.eof("a byte", 1)),
        }
    }

    #[inline]
    pub fn peek_u8(&self) -> Result<u8> {
        self.data
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.eof("a byte", 1))
    }

    #[inline]
    pub fn u16(&mut self) -> Result<u16> {
        let b = self.bytes(2, "a u16")?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    #[inline]
    pub fn u32(&mut self) -> Result<u32> {
        let b = self.bytes(4, "a u32")?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    #[inline]
    pub fn u64(&mut self) -> Result<u64> {
        let b = self.bytes(8, "a u64")?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    /// ECMA-335 II.23.2 compressed unsigned integer.
    #[inline]
    pub fn compressed_u32(&mut self) -> Result<u32> {
        let start = self.pos;
        let b0 = self.u8()?;
        if b0 & 0x80 == 0 {
            return Ok(b0 as u32);
        }
        if b0 & 0xC0 == 0x80 {
            let b1 = self.u8()?;
            return Ok((((b0 & 0x3F) as u32) << 8) | b1 as u32);
        }
        if b0 & 0xE0 == 0xC0 {
            let rest = self.bytes(3, "a compressed integer")?;
            return Ok((((b0 & 0x1F) as u32) << 24)
                | ((rest[0] as u32) << 16)
                | ((rest[1] as u32) << 8)
                | rest[2] as u32);
        }
        self.pos = start;
        Err(self.error(format_args!(
            "invalid compressed integer lead byte {b0:#04x}"
        )))
    }

    /// ECMA-335 II.23.2 compressed signed integer (rotated sign bit).
    pub fn compressed_i32(&mut self) -> Result<i32> {
        let lead = self.peek_u8()?;
        let value = self.compressed_u32()?;
        // The sign bits above the 6-, 13- or 28-bit magnitude of each width.
        let sign_extend = if lead & 0x80 == 0 {
            0xFFFF_FFC0u32
        } else if lead & 0xC0 == 0x80 {
            0xFFFF_E000u32
        } else {
            0xF000_0000u32
        };
        let magnitude = value >> 1;
        Ok(if value & 1 == 0 {
            magnitude as i32
        } else {
            (magnitude | sign_extend) as i32
        })
    }

    /// Rest of the data, without advancing.
    pub fn rest(&self) -> &'data [u8] {
        &self.data[self.pos..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(b: &[u8]) -> Reader<'_> {
        Reader::new(b, 0, Context::Signature)
    }

    #[test]
    fn compressed_unsigned_matches_spec_examples() {
        // Examples from ECMA-335 II.23.2.
        assert_eq!(r(&[0x03]).compressed_u32().unwrap(), 0x03);
        assert_eq!(r(&[0x7F]).compressed_u32().unwrap(), 0x7F);
        assert_eq!(r(&[0x80, 0x80]).compressed_u32().unwrap(), 0x80);
        assert_eq!(r(&[0xAE, 0x57]).compressed_u32().unwrap(), 0x2E57);
        assert_eq!(r(&[0xBF, 0xFF]).compressed_u32().unwrap(), 0x3FFF);
        assert_eq!(
            r(&[0xC0, 0x00, 0x40, 0x00]).compressed_u32().unwrap(),
            0x4000
        );
        assert_eq!(
            r(&[0xDF, 0xFF, 0xFF, 0xFF]).compressed_u32().unwrap(),
            0x1FFF_FFFF
        );
        assert!(r(&[0xE0]).compressed_u32().is_err());
        assert!(r(&[0xC0, 0x00]).compressed_u32().is_err());
    }

    #[test]
    fn compressed_signed_matches_spec_examples() {
        assert_eq!(r(&[0x06]).compressed_i32().unwrap(), 3);
        assert_eq!(r(&[0x7B]).compressed_i32().unwrap(), -3);
        assert_eq!(r(&[0x80, 0x80]).compressed_i32().unwrap(), 64);
        assert_eq!(r(&[0x01]).compressed_i32().unwrap(), -64);
        assert_eq!(r(&[0xC0, 0x00, 0x40, 0x00]).compressed_i32().unwrap(), 8192);
        assert_eq!(r(&[0x80, 0x01]).compressed_i32().unwrap(), -8192);
        assert_eq!(
            r(&[0xDF, 0xFF, 0xFF, 0xFE]).compressed_i32().unwrap(),
            268435455
        );
        assert_eq!(
            r(&[0xC0, 0x00, 0x00, 0x01]).compressed_i32().unwrap(),
            -268435456
        );
    }

    #[test]
    fn errors_carry_absolute_offset() {
        let mut rd = Reader::new(&[1, 2], 0x100, Context::Pe);
        rd.u8().unwrap();
        let e = rd.u32().unwrap_err();
        assert_eq!(e.offset(), Some(0x101));
    }
}
