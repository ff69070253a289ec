//! A test-only writer of crafted .NET images: a minimal PE32 file with a CLI
//! header and a metadata root whose streams, table-stream header and raw rows
//! the caller chooses, so each hostile case is a few lines.
//!
//! The table schema below is written independently of the crate's (from
//! ECMA-335 II.22 and II.24.2.6), so a reader bug in row sizes or coded-index
//! widths shows up as a mismatch instead of being mirrored.

#![allow(dead_code)]

use std::collections::BTreeMap;

// Table numbers (II.22).
pub const MODULE: u8 = 0x00;
pub const TYPE_REF: u8 = 0x01;
pub const TYPE_DEF: u8 = 0x02;
pub const FIELD_PTR: u8 = 0x03;
pub const FIELD: u8 = 0x04;
pub const METHOD_PTR: u8 = 0x05;
pub const METHOD_DEF: u8 = 0x06;
pub const PARAM_PTR: u8 = 0x07;
pub const PARAM: u8 = 0x08;
pub const INTERFACE_IMPL: u8 = 0x09;
pub const MEMBER_REF: u8 = 0x0A;
pub const CONSTANT: u8 = 0x0B;
pub const CUSTOM_ATTRIBUTE: u8 = 0x0C;
pub const STAND_ALONE_SIG: u8 = 0x11;
pub const EVENT_MAP: u8 = 0x12;
pub const EVENT_PTR: u8 = 0x13;
pub const EVENT: u8 = 0x14;
pub const PROPERTY_MAP: u8 = 0x15;
pub const PROPERTY_PTR: u8 = 0x16;
pub const PROPERTY: u8 = 0x17;
pub const METHOD_SEMANTICS: u8 = 0x18;
pub const MODULE_REF: u8 = 0x1A;
pub const TYPE_SPEC: u8 = 0x1B;
pub const ENC_LOG: u8 = 0x1E;
pub const ENC_MAP: u8 = 0x1F;
pub const ASSEMBLY: u8 = 0x20;
pub const ASSEMBLY_REF: u8 = 0x23;
pub const EXPORTED_TYPE: u8 = 0x27;
pub const NESTED_CLASS: u8 = 0x29;
pub const GENERIC_PARAM: u8 = 0x2A;
pub const GENERIC_PARAM_CONSTRAINT: u8 = 0x2C;

/// Coded index kinds (II.24.2.6): tag bits and the table of each tag.
#[derive(Clone, Copy, Debug)]
pub enum Coded {
    TypeDefOrRef,
    HasConstant,
    HasCustomAttribute,
    HasFieldMarshal,
    HasDeclSecurity,
    MemberRefParent,
    HasSemantics,
    MethodDefOrRef,
    MemberForwarded,
    Implementation,
    CustomAttributeType,
    ResolutionScope,
    TypeOrMethodDef,
}

const NONE: u8 = 0xFF;

impl Coded {
    fn layout(self) -> (u32, &'static [u8]) {
        match self {
            Coded::TypeDefOrRef => (2, &[TYPE_DEF, TYPE_REF, TYPE_SPEC]),
            Coded::HasConstant => (2, &[FIELD, PARAM, PROPERTY]),
            Coded::HasCustomAttribute => (
                5,
                &[
                    0x06, 0x04, 0x01, 0x02, 0x08, 0x09, 0x0A, 0x00, 0x0E, 0x17, 0x14, 0x11, 0x1A,
                    0x1B, 0x20, 0x23, 0x26, 0x27, 0x28, 0x2A, 0x2C, 0x2B,
                ],
            ),
            Coded::HasFieldMarshal => (1, &[FIELD, PARAM]),
            Coded::HasDeclSecurity => (2, &[TYPE_DEF, METHOD_DEF, ASSEMBLY]),
            Coded::MemberRefParent => (3, &[TYPE_DEF, TYPE_REF, MODULE_REF, METHOD_DEF, TYPE_SPEC]),
            Coded::HasSemantics => (1, &[EVENT, PROPERTY]),
            Coded::MethodDefOrRef => (1, &[METHOD_DEF, MEMBER_REF]),
            Coded::MemberForwarded => (1, &[FIELD, METHOD_DEF]),
            Coded::Implementation => (2, &[0x26, ASSEMBLY_REF, EXPORTED_TYPE]),
            Coded::CustomAttributeType => (3, &[NONE, NONE, METHOD_DEF, MEMBER_REF, NONE]),
            Coded::ResolutionScope => (2, &[MODULE, MODULE_REF, ASSEMBLY_REF, TYPE_REF]),
            Coded::TypeOrMethodDef => (1, &[TYPE_DEF, METHOD_DEF]),
        }
    }

    /// The raw coded value naming row `rid` of `table`.
    pub fn encode(self, table: u8, rid: u32) -> u32 {
        let (bits, tables) = self.layout();
        let tag = tables
            .iter()
            .position(|&t| t == table)
            .unwrap_or_else(|| panic!("table {table:#x} is not in {self:?}"));
        (rid << bits) | tag as u32
    }
}

/// Column kinds.
#[derive(Clone, Copy, Debug)]
pub enum Col {
    U16,
    U32,
    Str,
    Guid,
    Blob,
    T(u8),
    C(Coded),
}

/// The columns of each table 0x00..=0x2C (II.22.2–II.22.39).
pub fn columns(table: u8) -> &'static [Col] {
    use Coded::*;
    use Col::*;
    match table {
        0x00 => &[U16, Str, Guid, Guid, Guid],
        0x01 => &[C(ResolutionScope), Str, Str],
        0x02 => &[U32, Str, Str, C(TypeDefOrRef), T(FIELD), T(METHOD_DEF)],
        0x03 => &[T(FIELD)],
        0x04 => &[U16, Str, Blob],
        0x05 => &[T(METHOD_DEF)],
        0x06 => &[U32, U16, U16, Str, Blob, T(PARAM)],
        0x07 => &[T(PARAM)],
        0x08 => &[U16, U16, Str],
        0x09 => &[T(TYPE_DEF), C(TypeDefOrRef)],
        0x0A => &[C(MemberRefParent), Str, Blob],
        0x0B => &[U16, C(HasConstant), Blob],
        0x0C => &[C(HasCustomAttribute), C(CustomAttributeType), Blob],
        0x0D => &[C(HasFieldMarshal), Blob],
        0x0E => &[U16, C(HasDeclSecurity), Blob],
        0x0F => &[U16, U32, T(TYPE_DEF)],
        0x10 => &[U32, T(FIELD)],
        0x11 => &[Blob],
        0x12 => &[T(TYPE_DEF), T(EVENT)],
        0x13 => &[T(EVENT)],
        0x14 => &[U16, Str, C(TypeDefOrRef)],
        0x15 => &[T(TYPE_DEF), T(PROPERTY)],
        0x16 => &[T(PROPERTY)],
        0x17 => &[U16, Str, Blob],
        0x18 => &[U16, T(METHOD_DEF), C(HasSemantics)],
        0x19 => &[T(TYPE_DEF), C(MethodDefOrRef), C(MethodDefOrRef)],
        0x1A => &[Str],
        0x1B => &[Blob],
        0x1C => &[U16, C(MemberForwarded), Str, T(MODULE_REF)],
        0x1D => &[U32, T(FIELD)],
        0x1E => &[U32, U32],
        0x1F => &[U32],
        0x20 => &[U32, U16, U16, U16, U16, U32, Blob, Str, Str],
        0x21 => &[U32],
        0x22 => &[U32, U32, U32],
        0x23 => &[U16, U16, U16, U16, U32, Blob, Str, Str, Blob],
        0x24 => &[U32, T(ASSEMBLY_REF)],
        0x25 => &[U32, U32, U32, T(ASSEMBLY_REF)],
        0x26 => &[U32, Str, Blob],
        0x27 => &[U32, U32, Str, Str, C(Implementation)],
        0x28 => &[U32, U32, Str, C(Implementation)],
        0x29 => &[T(TYPE_DEF), T(TYPE_DEF)],
        0x2A => &[U16, U16, C(TypeOrMethodDef), Str],
        0x2B => &[C(MethodDefOrRef), Blob],
        0x2C => &[T(GENERIC_PARAM), C(TypeDefOrRef)],
        other => panic!("no table {other:#x}"),
    }
}

/// The `#~` / `#-` stream: header fields and rows, each field overridable.
#[derive(Clone, Debug)]
pub struct TableStream {
    pub major: u8,
    pub minor: u8,
    /// 0x01 strings, 0x02 GUIDs, 0x04 blobs are 4 bytes; 0x40 ExtraData.
    pub heap_sizes: u8,
    /// The u32 written after the row counts when `heap_sizes & 0x40`.
    pub extra_data: u32,
    /// Rows per table, each a list of column values in schema order.
    pub rows: BTreeMap<u8, Vec<Vec<u32>>>,
    /// Row counts to write instead of the real ones (the rows are still written).
    pub count_override: BTreeMap<u8, u32>,
    /// Bits OR-ed into the valid mask (tables declared but absent from `rows`
    /// get a count of 0 unless overridden).
    pub extra_valid: u64,
    pub sorted: u64,
    /// Widths as if Mono's `#JTD` stream were present (every index 4 bytes).
    pub jtd_widths: bool,
    /// Bytes appended after the rows.
    pub trailing: Vec<u8>,
}

impl Default for TableStream {
    fn default() -> Self {
        TableStream {
            major: 2,
            minor: 0,
            heap_sizes: 0,
            extra_data: 0,
            rows: BTreeMap::new(),
            count_override: BTreeMap::new(),
            extra_valid: 0,
            sorted: 0x0000_1600_3301_FA00,
            jtd_widths: false,
            trailing: Vec::new(),
        }
    }
}

impl TableStream {
    pub fn push(&mut self, table: u8, row: Vec<u32>) -> u32 {
        assert_eq!(
            row.len(),
            columns(table).len(),
            "table {table:#x} has {} columns",
            columns(table).len()
        );
        let rows = self.rows.entry(table).or_default();
        rows.push(row);
        rows.len() as u32
    }

    pub fn len(&self, table: u8) -> u32 {
        self.rows.get(&table).map_or(0, |r| r.len() as u32)
    }

    /// The row count the header declares for `table`.
    pub fn declared_len(&self, table: u8) -> u32 {
        self.declared(table)
    }

    fn declared(&self, table: u8) -> u32 {
        self.count_override
            .get(&table)
            .copied()
            .unwrap_or_else(|| self.len(table))
    }

    fn valid(&self) -> u64 {
        let mut v = self.extra_valid;
        for t in self.rows.keys().chain(self.count_override.keys()) {
            v |= 1 << t;
        }
        v
    }

    /// The width of one column given the declared row counts.
    pub fn width(&self, col: Col) -> usize {
        let big = |flag: u8| {
            if self.heap_sizes & flag != 0 || self.jtd_widths {
                4
            } else {
                2
            }
        };
        match col {
            Col::U16 => 2,
            Col::U32 => 4,
            Col::Str => big(0x01),
            Col::Guid => big(0x02),
            Col::Blob => big(0x04),
            _ if self.jtd_widths => 4,
            Col::T(t) => {
                if self.declared(t) < 1 << 16 {
                    2
                } else {
                    4
                }
            }
            Col::C(kind) => {
                let (bits, tables) = kind.layout();
                let max = tables
                    .iter()
                    .filter(|&&t| t != NONE)
                    .map(|&t| self.declared(t))
                    .max()
                    .unwrap_or(0);
                if max < 1 << (16 - bits) { 2 } else { 4 }
            }
        }
    }

    pub fn row_size(&self, table: u8) -> usize {
        columns(table).iter().map(|&c| self.width(c)).sum()
    }

    /// Header length up to the first row (after the counts and ExtraData).
    pub fn header_len(&self) -> usize {
        24 + 4 * self.valid().count_ones() as usize
            + if self.heap_sizes & 0x40 != 0 { 4 } else { 0 }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&[self.major, self.minor, self.heap_sizes, 1]);
        let valid = self.valid();
        out.extend_from_slice(&valid.to_le_bytes());
        out.extend_from_slice(&self.sorted.to_le_bytes());
        for t in 0..64u8 {
            if valid & (1 << t) != 0 {
                out.extend_from_slice(&self.declared(t).to_le_bytes());
            }
        }
        if self.heap_sizes & 0x40 != 0 {
            out.extend_from_slice(&self.extra_data.to_le_bytes());
        }
        for (&t, rows) in &self.rows {
            for row in rows {
                for (&col, &v) in columns(t).iter().zip(row) {
                    match self.width(col) {
                        2 => {
                            assert!(
                                v <= 0xFFFF,
                                "{v:#x} does not fit a 2-byte column of table {t:#x}"
                            );
                            out.extend_from_slice(&(v as u16).to_le_bytes());
                        }
                        _ => out.extend_from_slice(&v.to_le_bytes()),
                    }
                }
            }
        }
        out.extend_from_slice(&self.trailing);
        out
    }
}

/// `#Strings`, `#Blob`, `#GUID` and `#US` contents, each starting with its
/// mandatory empty entry.
#[derive(Clone, Debug)]
pub struct Heaps {
    pub strings: Vec<u8>,
    pub blobs: Vec<u8>,
    pub guids: Vec<u8>,
    pub user_strings: Vec<u8>,
}

impl Default for Heaps {
    fn default() -> Self {
        Heaps {
            strings: vec![0],
            blobs: vec![0],
            guids: Vec::new(),
            user_strings: vec![0],
        }
    }
}

impl Heaps {
    pub fn string(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        let at = self.strings.len() as u32;
        self.strings.extend_from_slice(s.as_bytes());
        self.strings.push(0);
        at
    }

    /// Appends a blob with its compressed length prefix.
    pub fn blob(&mut self, bytes: &[u8]) -> u32 {
        let at = self.blobs.len() as u32;
        self.blobs.extend_from_slice(&compress(bytes.len() as u32));
        self.blobs.extend_from_slice(bytes);
        at
    }

    /// Appends raw bytes (a hostile length prefix, say) and returns their index.
    pub fn raw_blob(&mut self, bytes: &[u8]) -> u32 {
        let at = self.blobs.len() as u32;
        self.blobs.extend_from_slice(bytes);
        at
    }

    pub fn guid(&mut self, g: [u8; 16]) -> u32 {
        self.guids.extend_from_slice(&g);
        (self.guids.len() / 16) as u32
    }
}

/// ECMA-335 II.23.2 compressed unsigned integer.
pub fn compress(n: u32) -> Vec<u8> {
    match n {
        0..=0x7F => vec![n as u8],
        0x80..=0x3FFF => vec![0x80 | (n >> 8) as u8, n as u8],
        0x4000..=0x1FFF_FFFF => vec![
            0xC0 | (n >> 24) as u8,
            (n >> 16) as u8,
            (n >> 8) as u8,
            n as u8,
        ],
        _ => panic!("{n:#x} cannot be compressed"),
    }
}

/// One stream of the metadata root, in header order.
#[derive(Clone, Debug)]
pub struct Stream {
    pub name: Vec<u8>,
    pub data: Vec<u8>,
    /// Header values to write instead of the real offset / size.
    pub offset_override: Option<u32>,
    pub size_override: Option<u32>,
}

impl Stream {
    pub fn new(name: &str, data: Vec<u8>) -> Self {
        Stream {
            name: name.as_bytes().to_vec(),
            data,
            offset_override: None,
            size_override: None,
        }
    }
}

/// Offsets, from the start of the metadata root, of each stream's data (as
/// [`metadata_root`] lays them out), and the length of the root's header.
pub fn stream_layout(version: &str, streams: &[Stream]) -> (Vec<usize>, usize) {
    let version_len = (version.len() + 1).div_ceil(4) * 4;
    let mut header_len = 16 + version_len + 4;
    for s in streams {
        header_len += 8 + (s.name.len() + 4) / 4 * 4;
    }
    let mut offsets = Vec::new();
    let mut at = header_len;
    for s in streams {
        offsets.push(at);
        at += s.data.len().div_ceil(4) * 4;
    }
    (offsets, header_len)
}

/// A metadata root (II.24.2.1) with the given streams, data 4-byte aligned.
pub fn metadata_root(version: &str, streams: &[Stream]) -> Vec<u8> {
    let mut version_bytes = version.as_bytes().to_vec();
    version_bytes.push(0);
    while !version_bytes.len().is_multiple_of(4) {
        version_bytes.push(0);
    }
    let (offsets, header_len) = stream_layout(version, streams);
    let mut out = Vec::new();
    out.extend_from_slice(b"BSJB");
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(version_bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(&version_bytes);
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(streams.len() as u16).to_le_bytes());
    for (s, &off) in streams.iter().zip(&offsets) {
        let off = s.offset_override.unwrap_or(off as u32);
        let size = s.size_override.unwrap_or(s.data.len() as u32);
        out.extend_from_slice(&off.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        let mut name = s.name.clone();
        name.push(0);
        while !name.len().is_multiple_of(4) {
            name.push(0);
        }
        out.extend_from_slice(&name);
    }
    assert_eq!(out.len(), header_len);
    for s in streams {
        out.extend_from_slice(&s.data);
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
    }
    out
}

/// PE container options; `None` means "the correct value".
#[derive(Clone, Debug, Default)]
pub struct PeOptions {
    pub pe32_plus: bool,
    /// Size written in data directory 14 (the CLI header directory).
    pub cli_dir_size: Option<u32>,
    /// RVA written in data directory 14.
    pub cli_dir_rva: Option<u32>,
    /// Size written in the CLI header's metadata directory.
    pub metadata_dir_size: Option<u32>,
    /// NumberOfRvaAndSizes.
    pub dir_count: Option<u32>,
    /// SizeOfRawData of the one section.
    pub section_raw_size: Option<u32>,
    /// VirtualSize of the one section.
    pub section_virtual_size: Option<u32>,
    /// PointerToRawData of the one section.
    pub section_raw_offset: Option<u32>,
}

pub const FILE_ALIGNMENT: usize = 0x200;
pub const SECTION_RVA: u32 = 0x2000;
/// Where the metadata root starts, as a file offset (the CLI header is first).
pub const METADATA_FILE_OFFSET: usize = FILE_ALIGNMENT + 72;
pub const PE_HEADER_OFFSET: usize = 0x80;

/// A PE image whose one section `.text` holds the CLI header, then `root`.
pub fn pe_image(root: &[u8], opts: &PeOptions) -> Vec<u8> {
    let mut f = vec![0u8; FILE_ALIGNMENT];
    f[0..2].copy_from_slice(b"MZ");
    f[0x3C..0x40].copy_from_slice(&(PE_HEADER_OFFSET as u32).to_le_bytes());
    let mut p = PE_HEADER_OFFSET;
    let put = |f: &mut Vec<u8>, p: &mut usize, b: &[u8]| {
        f[*p..*p + b.len()].copy_from_slice(b);
        *p += b.len();
    };
    put(&mut f, &mut p, b"PE\0\0");
    let (machine, opt_size): (u16, u16) = if opts.pe32_plus {
        (0x8664, 0xF0)
    } else {
        (0x14C, 0xE0)
    };
    put(&mut f, &mut p, &machine.to_le_bytes());
    put(&mut f, &mut p, &1u16.to_le_bytes()); // sections
    put(&mut f, &mut p, &[0; 12]);
    put(&mut f, &mut p, &opt_size.to_le_bytes());
    put(&mut f, &mut p, &0x2102u16.to_le_bytes());
    let opt = p;
    put(
        &mut f,
        &mut p,
        &(if opts.pe32_plus { 0x20Bu16 } else { 0x10B }).to_le_bytes(),
    );
    // SectionAlignment / FileAlignment at 32 / 36, SizeOfHeaders at 60.
    f[opt + 32..opt + 36].copy_from_slice(&0x2000u32.to_le_bytes());
    f[opt + 36..opt + 40].copy_from_slice(&(FILE_ALIGNMENT as u32).to_le_bytes());
    f[opt + 60..opt + 64].copy_from_slice(&(FILE_ALIGNMENT as u32).to_le_bytes());
    let dirs = opt + if opts.pe32_plus { 108 } else { 92 };
    f[dirs..dirs + 4].copy_from_slice(&opts.dir_count.unwrap_or(16).to_le_bytes());
    let cli_dir = dirs + 4 + 14 * 8;
    f[cli_dir..cli_dir + 4].copy_from_slice(&opts.cli_dir_rva.unwrap_or(SECTION_RVA).to_le_bytes());
    f[cli_dir + 4..cli_dir + 8].copy_from_slice(&opts.cli_dir_size.unwrap_or(72).to_le_bytes());

    let content_len = 72 + root.len();
    let raw_size = content_len.div_ceil(FILE_ALIGNMENT) * FILE_ALIGNMENT;
    let sect = opt + opt_size as usize;
    let mut s = sect;
    put(&mut f, &mut s, b".text\0\0\0");
    put(
        &mut f,
        &mut s,
        &opts
            .section_virtual_size
            .unwrap_or(content_len as u32)
            .to_le_bytes(),
    );
    put(&mut f, &mut s, &SECTION_RVA.to_le_bytes());
    put(
        &mut f,
        &mut s,
        &opts
            .section_raw_size
            .unwrap_or(raw_size as u32)
            .to_le_bytes(),
    );
    put(
        &mut f,
        &mut s,
        &opts
            .section_raw_offset
            .unwrap_or(FILE_ALIGNMENT as u32)
            .to_le_bytes(),
    );
    put(&mut f, &mut s, &[0; 12]);
    put(&mut f, &mut s, &0x6000_0020u32.to_le_bytes());
    assert!(s <= FILE_ALIGNMENT);

    // The CLI header (II.25.3.3).
    let mut cli = Vec::with_capacity(72);
    cli.extend_from_slice(&72u32.to_le_bytes());
    cli.extend_from_slice(&2u16.to_le_bytes());
    cli.extend_from_slice(&5u16.to_le_bytes());
    cli.extend_from_slice(&(SECTION_RVA + 72).to_le_bytes());
    cli.extend_from_slice(
        &opts
            .metadata_dir_size
            .unwrap_or(root.len() as u32)
            .to_le_bytes(),
    );
    cli.extend_from_slice(&1u32.to_le_bytes()); // ILONLY
    cli.extend_from_slice(&0u32.to_le_bytes()); // entry point
    cli.resize(72, 0);
    f.extend_from_slice(&cli);
    f.extend_from_slice(root);
    f.resize(FILE_ALIGNMENT + raw_size, 0);
    f
}

/// Well-known blobs.
pub mod sig {
    /// `void ()` instance method.
    pub const VOID_INSTANCE: &[u8] = &[0x20, 0x00, 0x01];
    /// `void ()` static method.
    pub const VOID_STATIC: &[u8] = &[0x00, 0x00, 0x01];
    /// Field of type int32.
    pub const FIELD_I4: &[u8] = &[0x06, 0x08];
    /// Instance property of type int32.
    pub const PROPERTY_I4: &[u8] = &[0x28, 0x00, 0x08];
}

/// A small assembly under construction: heaps, tables and stream layout.
#[derive(Clone, Debug)]
pub struct Assembly {
    pub heaps: Heaps,
    pub tables: TableStream,
    /// Name of the table stream (`#~` or `#-`).
    pub table_stream_name: String,
    /// Streams written before the standard ones.
    pub leading_streams: Vec<Stream>,
    /// Streams written after the standard ones.
    pub trailing_streams: Vec<Stream>,
    pub pe: PeOptions,
    /// The TypeRef row of `System.Object` (in `mscorlib`).
    pub object: u32,
    pub value_type: u32,
    pub enum_: u32,
}

impl Assembly {
    /// Module `name.dll`, assembly `name` 1.2.3.4, `<Module>`, an AssemblyRef
    /// to `mscorlib` and TypeRefs to System.Object, System.ValueType and System.Enum.
    pub fn new(name: &str) -> Self {
        let mut heaps = Heaps::default();
        let mut tables = TableStream::default();
        let module_name = heaps.string(&format!("{name}.dll"));
        let mvid = heaps.guid([7; 16]);
        tables.push(MODULE, vec![0, module_name, mvid, 0, 0]);
        let asm_name = heaps.string(name);
        tables.push(ASSEMBLY, vec![0x8004, 1, 2, 3, 4, 0, 0, asm_name, 0]);
        let mscorlib = heaps.string("mscorlib");
        let token = heaps.blob(&[0xB7, 0x7A, 0x5C, 0x56, 0x19, 0x34, 0xE0, 0x89]);
        let aref = tables.push(ASSEMBLY_REF, vec![4, 0, 0, 0, 0, token, mscorlib, 0, 0]);
        let system = heaps.string("System");
        let type_ref = |heaps: &mut Heaps, tables: &mut TableStream, n: &str| {
            let n = heaps.string(n);
            tables.push(
                TYPE_REF,
                vec![Coded::ResolutionScope.encode(ASSEMBLY_REF, aref), n, system],
            )
        };
        let object = type_ref(&mut heaps, &mut tables, "Object");
        let value_type = type_ref(&mut heaps, &mut tables, "ValueType");
        let enum_ = type_ref(&mut heaps, &mut tables, "Enum");
        let module_type = heaps.string("<Module>");
        tables.push(TYPE_DEF, vec![0, module_type, 0, 0, 1, 1]);
        Assembly {
            heaps,
            tables,
            table_stream_name: "#~".into(),
            leading_streams: Vec::new(),
            trailing_streams: Vec::new(),
            pe: PeOptions::default(),
            object,
            value_type,
            enum_,
        }
    }

    /// A TypeDef row whose members start at the next Field / MethodDef rows.
    pub fn type_def(&mut self, flags: u32, namespace: &str, name: &str, extends: u32) -> u32 {
        let ns = self.heaps.string(namespace);
        let n = self.heaps.string(name);
        let field_list = self.tables.len(FIELD) + 1;
        let method_list = self.tables.len(METHOD_DEF) + 1;
        self.tables.push(
            TYPE_DEF,
            vec![flags, n, ns, extends, field_list, method_list],
        )
    }

    /// A public class `namespace.name : System.Object`.
    pub fn public_class(&mut self, namespace: &str, name: &str) -> u32 {
        let extends = Coded::TypeDefOrRef.encode(TYPE_REF, self.object);
        self.type_def(0x0010_0001, namespace, name, extends)
    }

    pub fn method(&mut self, flags: u16, name: &str, signature: &[u8]) -> u32 {
        let n = self.heaps.string(name);
        let s = self.heaps.blob(signature);
        let param_list = self.tables.len(PARAM) + 1;
        self.tables
            .push(METHOD_DEF, vec![0, 0, flags as u32, n, s, param_list])
    }

    pub fn field(&mut self, flags: u16, name: &str, signature: &[u8]) -> u32 {
        let n = self.heaps.string(name);
        let s = self.heaps.blob(signature);
        self.tables.push(FIELD, vec![flags as u32, n, s])
    }

    /// The four standard heaps plus the table stream, in the usual order.
    pub fn streams(&self) -> Vec<Stream> {
        let mut v = self.leading_streams.clone();
        v.push(Stream::new(&self.table_stream_name, self.tables.to_bytes()));
        v.push(Stream::new("#Strings", self.heaps.strings.clone()));
        v.push(Stream::new("#US", self.heaps.user_strings.clone()));
        v.push(Stream::new("#GUID", self.heaps.guids.clone()));
        v.push(Stream::new("#Blob", self.heaps.blobs.clone()));
        v.extend(self.trailing_streams.iter().cloned());
        v
    }

    /// File offset of the data of the last stream called `name`.
    pub fn stream_file_offset(&self, name: &str) -> u64 {
        let streams = self.streams();
        let (offsets, _) = stream_layout("v4.0.30319", &streams);
        let i = streams
            .iter()
            .rposition(|s| s.name == name.as_bytes())
            .unwrap_or_else(|| panic!("no stream {name}"));
        (METADATA_FILE_OFFSET + offsets[i]) as u64
    }

    /// File offset of the first row of `table` in the `#~` stream.
    pub fn table_file_offset(&self, table: u8) -> u64 {
        let before: usize = (0..table)
            .map(|t| self.tables.declared_len(t) as usize * self.tables.row_size(t))
            .sum();
        self.stream_file_offset(&self.table_stream_name)
            + (self.tables.header_len() + before) as u64
    }

    /// File offset of the body of the blob at `index` (after its length prefix).
    pub fn blob_file_offset(&self, index: u32) -> u64 {
        let lead = self.heaps.blobs[index as usize];
        let prefix = if lead & 0x80 == 0 {
            1
        } else if lead & 0xC0 == 0x80 {
            2
        } else {
            4
        };
        self.stream_file_offset("#Blob") + index as u64 + prefix
    }

    pub fn root(&self) -> Vec<u8> {
        metadata_root("v4.0.30319", &self.streams())
    }

    pub fn build(&self) -> Vec<u8> {
        pe_image(&self.root(), &self.pe)
    }
}

/// Method attribute words used by the tests.
pub mod flags {
    pub const PUBLIC_METHOD: u16 = 0x0006;
    pub const PUBLIC_STATIC_METHOD: u16 = 0x0016;
    pub const PRIVATE_METHOD: u16 = 0x0001;
    pub const PUBLIC_FIELD: u16 = 0x0006;
    pub const PUBLIC_CLASS: u32 = 0x0010_0001;
    pub const NESTED_PUBLIC: u32 = 0x0010_0002;
}
