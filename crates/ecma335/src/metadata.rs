//! The metadata root, its stream headers and the resulting [`Metadata`] view.

use crate::error::{Context, Error, Result};
use crate::heaps::{BlobHeap, GuidHeap, StringHeap, UserStringHeap};
use crate::pe::PeFile;
use crate::reader::Reader;
use crate::tables::{TableId, Tables};

const METADATA_SIGNATURE: u32 = 0x424A_5342;

/// One stream header of the metadata root.
#[derive(Clone, Copy, Debug)]
pub struct StreamHeader<'data> {
    pub name: &'data [u8],
    pub offset: u32,
    pub size: u32,
}

/// A zero-copy view of an assembly's metadata: tables and heaps.
#[derive(Clone, Debug)]
pub struct Metadata<'data> {
    /// The version string of the metadata root (e.g. `v4.0.30319`).
    pub version: &'data [u8],
    pub streams: Vec<StreamHeader<'data>>,
    /// True when the tables came from the uncompressed `#-` stream.
    pub uncompressed: bool,
    pub strings: StringHeap<'data>,
    pub blobs: BlobHeap<'data>,
    pub guids: GuidHeap<'data>,
    pub user_strings: UserStringHeap<'data>,
    pub tables: Tables<'data>,
    /// File offset of the metadata root.
    pub offset: u64,
}

impl<'data> Metadata<'data> {
    /// Reads the metadata of a PE file (an assembly or a module).
    pub fn parse(data: &'data [u8]) -> Result<Self> {
        let pe = PeFile::parse(data)?;
        Self::from_pe(&pe)
    }

    pub fn from_pe(pe: &PeFile<'data>) -> Result<Self> {
        let dir = pe.cli_header.metadata;
        if dir.rva == 0 || dir.size == 0 {
            return Err(Error::at(
                Context::Metadata,
                pe.cli_header_offset,
                "the CLI header has no metadata directory",
            ));
        }
        let (offset, bytes) = pe.rva_slice(dir.rva, dir.size, "the metadata directory")?;
        Self::from_root(bytes, offset)
    }

    /// Reads a metadata root that starts at `root[0]`, found at file offset `offset`.
    pub fn from_root(root: &'data [u8], offset: u64) -> Result<Self> {
        let mut r = Reader::new(root, offset, Context::Metadata);
        let signature = r.u32()?;
        if signature != METADATA_SIGNATURE {
            return Err(Error::at(
                Context::Metadata,
                offset,
                format_args!(
                    "bad metadata signature {signature:#010x} (expected 0x424a5342, `BSJB`)"
                ),
            ));
        }
        let _major = r.u16()?;
        let _minor = r.u16()?;
        let _reserved = r.u32()?;
        let version_len = r.u32()? as usize;
        let version_raw = r.bytes(version_len, "the metadata version string")?;
        let version_end = version_raw
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(version_raw.len());
        let version = &version_raw[..version_end];
        let _flags = r.u16()?;
        let stream_count = r.u16()?;
        let mut streams = Vec::with_capacity((stream_count as usize).min(16));
        for _ in 0..stream_count {
            let at = r.offset();
            let s_offset = r.u32()?;
            let s_size = r.u32()?;
            let rest = r.rest();
            let nul = rest.iter().take(32).position(|&b| b == 0).ok_or_else(|| {
                Error::at(
                    Context::Metadata,
                    r.offset(),
                    "stream name is not NUL-terminated within 32 bytes",
                )
            })?;
            let name = &rest[..nul];
            r.bytes((nul + 4) & !3, "a stream name")?;
            let end = s_offset as u64 + s_size as u64;
            if end > root.len() as u64 {
                return Err(Error::at(
                    Context::Metadata,
                    at,
                    format_args!(
                        "stream `{}` ({s_size:#x} bytes at {s_offset:#x}) runs past the end of the metadata ({:#x} bytes)",
                        String::from_utf8_lossy(name),
                        root.len()
                    ),
                ));
            }
            streams.push(StreamHeader {
                name,
                offset: s_offset,
                size: s_size,
            });
        }

        // Duplicate stream names: the last one wins, as in the CLR and dnlib.
        let find = |name: &[u8]| streams.iter().rev().find(|s| s.name == name).copied();
        let body = |s: StreamHeader<'data>| {
            (
                &root[s.offset as usize..(s.offset + s.size) as usize],
                offset + s.offset as u64,
            )
        };
        let strings = find(b"#Strings")
            .map(|s| StringHeap::new(body(s).0))
            .unwrap_or_default();
        let blobs = find(b"#Blob")
            .map(|s| {
                let (b, o) = body(s);
                BlobHeap::new(b, o)
            })
            .unwrap_or_default();
        let guids = find(b"#GUID")
            .map(|s| GuidHeap::new(body(s).0))
            .unwrap_or_default();
        let user_strings = find(b"#US")
            .map(|s| {
                let (b, o) = body(s);
                UserStringHeap::new(b, o)
            })
            .unwrap_or_default();
        let jtd = find(b"#JTD").is_some();
        // Whichever table stream comes last wins, compressed or not.
        let table_stream = streams
            .iter()
            .rev()
            .find(|s| s.name == b"#~" || s.name == b"#-")
            .copied()
            .ok_or_else(|| {
                Error::at(
                    Context::Metadata,
                    offset,
                    "the metadata has no `#~` or `#-` table stream",
                )
            })?;
        let uncompressed = table_stream.name == b"#-";
        let (tb, to) = body(table_stream);
        let tables = Tables::parse(tb, to, jtd)?;
        Ok(Metadata {
            version,
            streams,
            uncompressed,
            strings,
            blobs,
            guids,
            user_strings,
            tables,
            offset,
        })
    }

    /// The rows `start..end` of a member list (II.22: FieldList, MethodList,
    /// ParamList, EventList, PropertyList) that belong to `owner_rid` of
    /// `owner`, with `*Ptr` indirection resolved.
    pub(crate) fn list_range(
        &self,
        owner: TableId,
        owner_rid: u32,
        start: u32,
        next_start: Option<u32>,
        target: TableId,
    ) -> Result<MemberList> {
        let ptr = match target {
            TableId::Field => TableId::FieldPtr,
            TableId::MethodDef => TableId::MethodPtr,
            TableId::Param => TableId::ParamPtr,
            TableId::Event => TableId::EventPtr,
            TableId::Property => TableId::PropertyPtr,
            _ => unreachable!("not a list target"),
        };
        let indirect = self.tables.len(ptr) > 0;
        let count = if indirect {
            self.tables.len(ptr)
        } else {
            self.tables.len(target)
        };
        let end = next_start.unwrap_or(count + 1);
        // A list may start one past the last row (an empty list at the end).
        if start == 0 || start > count + 1 || end > count + 1 || end < start {
            return Err(self.tables.table_error(
                owner,
                owner_rid,
                format!(
                    "{} list {start}..{end} is not a valid range of the {} rows of {}",
                    target.name(),
                    count,
                    if indirect { ptr.name() } else { target.name() }
                ),
            ));
        }
        Ok(MemberList {
            start,
            end,
            ptr: indirect.then_some(ptr),
        })
    }

    /// Resolves a list position to a real row id of the target table.
    pub(crate) fn resolve_list_item(&self, list: &MemberList, pos: u32) -> Result<u32> {
        use crate::tables::{EventPtrRow, FieldPtrRow, MethodPtrRow, ParamPtrRow, PropertyPtrRow};
        let Some(ptr) = list.ptr else { return Ok(pos) };
        let t = &self.tables;
        let (rid, target) = match ptr {
            TableId::FieldPtr => (t.row::<FieldPtrRow>(pos)?.field, TableId::Field),
            TableId::MethodPtr => (t.row::<MethodPtrRow>(pos)?.method, TableId::MethodDef),
            TableId::ParamPtr => (t.row::<ParamPtrRow>(pos)?.param, TableId::Param),
            TableId::EventPtr => (t.row::<EventPtrRow>(pos)?.event, TableId::Event),
            TableId::PropertyPtr => (t.row::<PropertyPtrRow>(pos)?.property, TableId::Property),
            _ => unreachable!("MemberList::ptr is always a *Ptr table"),
        };
        // A *Ptr row is only an index: check it names a row of its target,
        // since callers size per-row tables by the target's row count.
        let rows = t.len(target);
        if rid == 0 || rid > rows {
            return Err(t.table_error(
                ptr,
                pos,
                format!(
                    "points at {} row {rid}, but {} has {rows} rows",
                    target.name(),
                    target.name()
                ),
            ));
        }
        Ok(rid)
    }
}

/// A contiguous run of a member list, possibly through a `*Ptr` table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MemberList {
    pub start: u32,
    pub end: u32,
    pub ptr: Option<TableId>,
}

impl MemberList {
    pub fn positions(&self) -> std::ops::Range<u32> {
        self.start..self.end
    }
}

/// The row ids of one member list (a type's methods or fields, a method's
/// parameters), `*Ptr` indirection resolved.
pub struct RidList<'a, 'data> {
    md: &'a Metadata<'data>,
    list: MemberList,
    pos: u32,
}

impl Iterator for RidList<'_, '_> {
    type Item = Result<u32>;

    fn next(&mut self) -> Option<Result<u32>> {
        if self.pos >= self.list.end {
            return None;
        }
        let pos = self.pos;
        self.pos += 1;
        Some(self.md.resolve_list_item(&self.list, pos))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.list.end.saturating_sub(self.pos) as usize;
        (n, Some(n))
    }
}

impl<'data> Metadata<'data> {
    /// The MethodDef rows of TypeDef `type_rid`.
    pub fn type_methods(&self, type_rid: u32) -> Result<RidList<'_, 'data>> {
        use crate::tables::TypeDefRow;
        let row: TypeDefRow = self.tables.row(type_rid)?;
        let next = self
            .next_row::<TypeDefRow>(type_rid)?
            .map(|r| r.method_list);
        self.rid_list(
            TableId::TypeDef,
            type_rid,
            row.method_list,
            next,
            TableId::MethodDef,
        )
    }

    /// The Field rows of TypeDef `type_rid`.
    pub fn type_fields(&self, type_rid: u32) -> Result<RidList<'_, 'data>> {
        use crate::tables::TypeDefRow;
        let row: TypeDefRow = self.tables.row(type_rid)?;
        let next = self.next_row::<TypeDefRow>(type_rid)?.map(|r| r.field_list);
        self.rid_list(
            TableId::TypeDef,
            type_rid,
            row.field_list,
            next,
            TableId::Field,
        )
    }

    /// The Param rows of MethodDef `method_rid` (sequence 0 is the return value).
    pub fn method_params(&self, method_rid: u32) -> Result<RidList<'_, 'data>> {
        use crate::tables::MethodDefRow;
        let row: MethodDefRow = self.tables.row(method_rid)?;
        let next = self
            .next_row::<MethodDefRow>(method_rid)?
            .map(|r| r.param_list);
        self.rid_list(
            TableId::MethodDef,
            method_rid,
            row.param_list,
            next,
            TableId::Param,
        )
    }

    fn next_row<R: crate::tables::Row>(&self, rid: u32) -> Result<Option<R>> {
        if rid < self.tables.len(R::TABLE) {
            Ok(Some(self.tables.row(rid + 1)?))
        } else {
            Ok(None)
        }
    }

    fn rid_list(
        &self,
        owner: TableId,
        owner_rid: u32,
        start: u32,
        next: Option<u32>,
        target: TableId,
    ) -> Result<RidList<'_, 'data>> {
        let list = self.list_range(owner, owner_rid, start, next, target)?;
        Ok(RidList {
            md: self,
            list,
            pos: list.start,
        })
    }
}

/// A memory-mapped assembly file.
pub struct MappedFile {
    map: memmap2::Mmap,
}

impl MappedFile {
    pub fn open(path: &std::path::Path) -> Result<Self> {
        let io = |e: std::io::Error| Error::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let file = std::fs::File::open(path).map_err(io)?;
        // SAFETY: the map is read-only; a file changed underneath us yields
        // garbage bytes, which the reader treats as any other malformed input.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        Ok(MappedFile { map })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
    }
}
