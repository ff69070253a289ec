//! The PE/COFF container: just enough to find the CLI header and map RVAs.
//!
//! Hand-written rather than built on goblin: goblin 0.10 mislocates the CLI
//! metadata and fails whole-file parses on directories we do not need, while
//! a .NET reader must stay usable as long as the metadata itself is reachable.

use crate::error::{Context, Error, Result};
use crate::reader::Reader;

const IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR: usize = 14;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    pub name: [u8; 8],
    pub virtual_size: u32,
    pub virtual_address: u32,
    pub raw_size: u32,
    pub raw_offset: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataDirectory {
    pub rva: u32,
    pub size: u32,
}

/// The CLI header (ECMA-335 II.25.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CliHeader {
    pub major_runtime_version: u16,
    pub minor_runtime_version: u16,
    pub metadata: DataDirectory,
    pub flags: u32,
    pub entry_point_token: u32,
    pub resources: DataDirectory,
    pub strong_name_signature: DataDirectory,
    pub managed_native_header: DataDirectory,
}

/// A parsed PE image over borrowed bytes.
#[derive(Clone, Debug)]
pub struct PeFile<'data> {
    data: &'data [u8],
    pub machine: u16,
    pub is_pe32_plus: bool,
    pub size_of_headers: u32,
    pub sections: Vec<Section>,
    pub cli_header: CliHeader,
    /// File offset of the CLI header.
    pub cli_header_offset: u64,
}

impl<'data> PeFile<'data> {
    pub fn parse(data: &'data [u8]) -> Result<Self> {
        let mut r = Reader::new(data, 0, Context::Pe);
        let magic = r.bytes(2, "the DOS signature")?;
        if magic != b"MZ" {
            return Err(Error::at(
                Context::Pe,
                0,
                "no DOS header (the file does not start with `MZ`)",
            ));
        }
        r.seek(0x3C)?;
        let pe_offset = r.u32()? as usize;
        r.seek(pe_offset)?;
        if r.bytes(4, "the PE signature")? != b"PE\0\0" {
            return Err(Error::at(
                Context::Pe,
                pe_offset as u64,
                "missing `PE\\0\\0` signature at e_lfanew",
            ));
        }
        let machine = r.u16()?;
        let number_of_sections = r.u16()?;
        r.bytes(12, "the COFF header")?;
        let optional_header_size = r.u16()? as usize;
        let _characteristics = r.u16()?;
        let optional_start = r.offset() as usize;
        let optional = Reader::new(
            r.bytes(optional_header_size, "the optional header")?,
            optional_start as u64,
            Context::Pe,
        );
        let mut opt = optional;
        let opt_magic = opt.u16()?;
        let (is_pe32_plus, dir_count_at) = match opt_magic {
            0x10B => (false, 92),
            0x20B => (true, 108),
            other => {
                return Err(Error::at(
                    Context::Pe,
                    optional_start as u64,
                    format_args!(
                        "unknown optional header magic {other:#06x} (expected 0x10b or 0x20b)"
                    ),
                ));
            }
        };
        opt.seek(60)?;
        let size_of_headers = opt.u32()?;
        opt.seek(dir_count_at)?;
        let dir_count = opt.u32()? as usize;
        // The directory count may claim more entries than the optional header holds.
        let dir_count = dir_count.min(opt.remaining() / 8);
        if dir_count <= IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR {
            return Err(Error::NotManaged {
                message: format!(
                    "the PE image has {dir_count} data directories, none for the CLI header"
                ),
            });
        }
        opt.seek(dir_count_at + 4 + IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR * 8)?;
        let cli_dir = DataDirectory {
            rva: opt.u32()?,
            size: opt.u32()?,
        };

        let mut sections = Vec::with_capacity((number_of_sections as usize).min(96));
        let mut sr = Reader::new(data, 0, Context::Pe);
        sr.seek(optional_start + optional_header_size)?;
        for _ in 0..number_of_sections {
            let name: [u8; 8] = sr.bytes(8, "a section header")?.try_into().unwrap();
            let virtual_size = sr.u32()?;
            let virtual_address = sr.u32()?;
            let raw_size = sr.u32()?;
            let raw_offset = sr.u32()?;
            sr.bytes(16, "a section header")?;
            sections.push(Section {
                name,
                virtual_size,
                virtual_address,
                raw_size,
                raw_offset,
            });
        }

        if cli_dir.rva == 0 {
            return Err(Error::NotManaged {
                message: "the PE image has no CLI header (data directory 14 is empty)".into(),
            });
        }
        let mut pe = PeFile {
            data,
            machine,
            is_pe32_plus,
            size_of_headers,
            sections,
            cli_header: CliHeader {
                major_runtime_version: 0,
                minor_runtime_version: 0,
                metadata: DataDirectory { rva: 0, size: 0 },
                flags: 0,
                entry_point_token: 0,
                resources: DataDirectory { rva: 0, size: 0 },
                strong_name_signature: DataDirectory { rva: 0, size: 0 },
                managed_native_header: DataDirectory { rva: 0, size: 0 },
            },
            cli_header_offset: 0,
        };
        // The directory's size is often wrong in the wild; the header is 72 bytes.
        let (cli_offset, cli_bytes) = pe.rva_slice(cli_dir.rva, 72, "the CLI header")?;
        let mut c = Reader::new(cli_bytes, cli_offset, Context::Metadata);
        let _cb = c.u32()?;
        let major_runtime_version = c.u16()?;
        let minor_runtime_version = c.u16()?;
        let dir = |c: &mut Reader| -> Result<DataDirectory> {
            Ok(DataDirectory {
                rva: c.u32()?,
                size: c.u32()?,
            })
        };
        let metadata = dir(&mut c)?;
        let flags = c.u32()?;
        let entry_point_token = c.u32()?;
        let resources = dir(&mut c)?;
        let strong_name_signature = dir(&mut c)?;
        let _code_manager = dir(&mut c)?;
        let _vtable_fixups = dir(&mut c)?;
        let _export_jumps = dir(&mut c)?;
        let managed_native_header = dir(&mut c)?;
        pe.cli_header = CliHeader {
            major_runtime_version,
            minor_runtime_version,
            metadata,
            flags,
            entry_point_token,
            resources,
            strong_name_signature,
            managed_native_header,
        };
        pe.cli_header_offset = cli_offset;
        Ok(pe)
    }

    /// The whole file.
    pub fn data(&self) -> &'data [u8] {
        self.data
    }

    /// Maps an RVA to a file offset, if a section (or the headers) holds it.
    pub fn rva_to_offset(&self, rva: u32) -> Option<u64> {
        for s in &self.sections {
            let span = s.virtual_size.max(s.raw_size);
            if rva >= s.virtual_address && (rva - s.virtual_address) < span {
                let delta = rva - s.virtual_address;
                if delta >= s.raw_size {
                    return None;
                }
                return Some(s.raw_offset as u64 + delta as u64);
            }
        }
        if rva < self.size_of_headers {
            return Some(rva as u64);
        }
        None
    }

    /// The `size` bytes at `rva`, which must lie in the file's raw data.
    pub fn rva_slice(&self, rva: u32, size: u32, what: &str) -> Result<(u64, &'data [u8])> {
        let offset = self.rva_to_offset(rva).ok_or_else(|| {
            Error::at(
                Context::Pe,
                self.cli_header_offset,
                format_args!("{what} at RVA {rva:#x} is not inside any section's file data"),
            )
        })?;
        let end = offset
            .checked_add(size as u64)
            .filter(|&e| e <= self.data.len() as u64);
        match end {
            Some(end) => Ok((offset, &self.data[offset as usize..end as usize])),
            None => Err(Error::at(
                Context::Pe,
                offset,
                format_args!(
                    "{what} ({size:#x} bytes at RVA {rva:#x}) runs past the end of the file ({:#x} bytes)",
                    self.data.len()
                ),
            )),
        }
    }
}
