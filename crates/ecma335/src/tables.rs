//! The metadata tables (ECMA-335 II.22): schema, row sizes, typed rows.
//!
//! A table is a borrowed slice plus its row size and column layout; a row is
//! decoded on demand into a small `Copy` struct. Row sizes come from the real
//! row counts and heap-size flags, as the standard prescribes.

use crate::error::{Error, Result};
use crate::flags::*;
use crate::heaps::{BlobIndex, GuidIndex, StringIndex};

/// Coded index kinds (II.24.2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodedKind {
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

impl CodedKind {
    /// Tag bits and the table of each tag (`None` for unused tags).
    pub const fn layout(self) -> (u32, &'static [Option<TableId>]) {
        use TableId::*;
        match self {
            CodedKind::TypeDefOrRef => (2, &[Some(TypeDef), Some(TypeRef), Some(TypeSpec)]),
            CodedKind::HasConstant => (2, &[Some(Field), Some(Param), Some(Property)]),
            CodedKind::HasCustomAttribute => (
                5,
                &[
                    Some(MethodDef),
                    Some(Field),
                    Some(TypeRef),
                    Some(TypeDef),
                    Some(Param),
                    Some(InterfaceImpl),
                    Some(MemberRef),
                    Some(Module),
                    Some(DeclSecurity),
                    Some(Property),
                    Some(Event),
                    Some(StandAloneSig),
                    Some(ModuleRef),
                    Some(TypeSpec),
                    Some(Assembly),
                    Some(AssemblyRef),
                    Some(File),
                    Some(ExportedType),
                    Some(ManifestResource),
                    Some(GenericParam),
                    Some(GenericParamConstraint),
                    Some(MethodSpec),
                ],
            ),
            CodedKind::HasFieldMarshal => (1, &[Some(Field), Some(Param)]),
            CodedKind::HasDeclSecurity => (2, &[Some(TypeDef), Some(MethodDef), Some(Assembly)]),
            CodedKind::MemberRefParent => (
                3,
                &[
                    Some(TypeDef),
                    Some(TypeRef),
                    Some(ModuleRef),
                    Some(MethodDef),
                    Some(TypeSpec),
                ],
            ),
            CodedKind::HasSemantics => (1, &[Some(Event), Some(Property)]),
            CodedKind::MethodDefOrRef => (1, &[Some(MethodDef), Some(MemberRef)]),
            CodedKind::MemberForwarded => (1, &[Some(Field), Some(MethodDef)]),
            CodedKind::Implementation => (2, &[Some(File), Some(AssemblyRef), Some(ExportedType)]),
            CodedKind::CustomAttributeType => {
                (3, &[None, None, Some(MethodDef), Some(MemberRef), None])
            }
            CodedKind::ResolutionScope => (
                2,
                &[
                    Some(Module),
                    Some(ModuleRef),
                    Some(AssemblyRef),
                    Some(TypeRef),
                ],
            ),
            CodedKind::TypeOrMethodDef => (1, &[Some(TypeDef), Some(MethodDef)]),
        }
    }

    /// Decodes a raw coded index into a token (rid 0 is a null reference).
    pub fn decode(self, raw: u32) -> Option<Token> {
        let (bits, tables) = self.layout();
        let tag = raw & ((1 << bits) - 1);
        let table = (*tables.get(tag as usize)?)?;
        // A 4-byte coded index has room for row ids beyond a token's 24 bits;
        // such a row cannot exist, and `Token::new` would wrap it to another.
        let rid = raw >> bits;
        if rid > 0x00FF_FFFF {
            return None;
        }
        Some(Token::new(table, rid))
    }
}

/// A column's storage kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    U16,
    U32,
    Str,
    Guid,
    Blob,
    Table(TableId),
    Coded(CodedKind),
}

/// A metadata token: table in the high byte, 1-based row id below.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub u32);

impl Token {
    pub const fn new(table: TableId, rid: u32) -> Self {
        Token(((table as u32) << 24) | (rid & 0x00FF_FFFF))
    }
    pub fn table(self) -> Option<TableId> {
        TableId::from_u8((self.0 >> 24) as u8)
    }
    pub fn rid(self) -> u32 {
        self.0 & 0x00FF_FFFF
    }
    pub fn is_null(self) -> bool {
        self.rid() == 0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.table() {
            Some(t) => write!(f, "{}({})", t.name(), self.rid()),
            None => write!(f, "Token({:#010x})", self.0),
        }
    }
}

trait FromColumn: Sized {
    fn from_column(raw: u32, col: Col) -> Option<Self>;
}

impl FromColumn for u16 {
    fn from_column(raw: u32, _: Col) -> Option<Self> {
        Some(raw as u16)
    }
}
impl FromColumn for u32 {
    fn from_column(raw: u32, _: Col) -> Option<Self> {
        Some(raw)
    }
}
impl FromColumn for StringIndex {
    fn from_column(raw: u32, _: Col) -> Option<Self> {
        Some(StringIndex(raw))
    }
}
impl FromColumn for BlobIndex {
    fn from_column(raw: u32, _: Col) -> Option<Self> {
        Some(BlobIndex(raw))
    }
}
impl FromColumn for GuidIndex {
    fn from_column(raw: u32, _: Col) -> Option<Self> {
        Some(GuidIndex(raw))
    }
}
impl FromColumn for Token {
    fn from_column(raw: u32, col: Col) -> Option<Self> {
        match col {
            Col::Coded(kind) => kind.decode(raw),
            Col::Table(t) => Some(Token::new(t, raw)),
            _ => None,
        }
    }
}
macro_rules! flags_column {
    ($($t:ty : $repr:ty),*) => {$(
        impl FromColumn for $t {
            fn from_column(raw: u32, _: Col) -> Option<Self> {
                Some(<$t>::from_bits_retain(raw as $repr))
            }
        }
    )*};
}
flags_column!(
    TypeAttributes: u32, MethodAttributes: u16, FieldAttributes: u16, ParamAttributes: u16,
    PropertyAttributes: u16, EventAttributes: u16, MethodSemanticsAttributes: u16,
    GenericParamAttributes: u16, MethodImplAttributes: u16, AssemblyFlags: u32
);

macro_rules! tables {
    ($( $id:literal $table:ident $row:ident { $( $field:ident : $col:expr => $ty:ty ),* $(,)? } )*) => {
        /// The metadata tables 0x00–0x2C.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum TableId { $( $table = $id ),* }

        impl TableId {
            pub const ALL: &'static [TableId] = &[ $( TableId::$table ),* ];

            pub fn from_u8(v: u8) -> Option<Self> {
                match v { $( $id => Some(TableId::$table), )* _ => None }
            }

            pub fn name(self) -> &'static str {
                match self { $( TableId::$table => stringify!($table), )* }
            }

            pub(crate) fn columns(self) -> &'static [Col] {
                #[allow(unused_imports)]
                use Col::*;
                #[allow(unused_imports)]
                use TableId::*;
                #[allow(unused_imports)]
                use CodedKind::*;
                match self { $( TableId::$table => &[ $( $col ),* ], )* }
            }
        }

        $(
            #[derive(Clone, Copy, Debug)]
            pub struct $row { $( pub $field: $ty ),* }

            impl Row for $row {
                const TABLE: TableId = TableId::$table;
                fn decode(raw: &[u32]) -> Option<Self> {
                    let cols = TableId::$table.columns();
                    let mut _i = 0usize;
                    $(
                        let $field = <$ty as FromColumn>::from_column(raw[_i], cols[_i])?;
                        _i += 1;
                    )*
                    Some($row { $( $field ),* })
                }
            }
        )*
    };
}

/// A typed row of one table.
pub trait Row: Sized + Copy {
    const TABLE: TableId;
    #[doc(hidden)]
    fn decode(raw: &[u32]) -> Option<Self>;
}

tables! {
    0x00 Module ModuleRow { generation: U16 => u16, name: Str => StringIndex, mvid: Guid => GuidIndex, enc_id: Guid => GuidIndex, enc_base_id: Guid => GuidIndex }
    0x01 TypeRef TypeRefRow { resolution_scope: Coded(ResolutionScope) => Token, name: Str => StringIndex, namespace: Str => StringIndex }
    0x02 TypeDef TypeDefRow { flags: U32 => TypeAttributes, name: Str => StringIndex, namespace: Str => StringIndex, extends: Coded(TypeDefOrRef) => Token, field_list: Table(Field) => u32, method_list: Table(MethodDef) => u32 }
    0x03 FieldPtr FieldPtrRow { field: Table(Field) => u32 }
    0x04 Field FieldRow { flags: U16 => FieldAttributes, name: Str => StringIndex, signature: Blob => BlobIndex }
    0x05 MethodPtr MethodPtrRow { method: Table(MethodDef) => u32 }
    0x06 MethodDef MethodDefRow { rva: U32 => u32, impl_flags: U16 => MethodImplAttributes, flags: U16 => MethodAttributes, name: Str => StringIndex, signature: Blob => BlobIndex, param_list: Table(Param) => u32 }
    0x07 ParamPtr ParamPtrRow { param: Table(Param) => u32 }
    0x08 Param ParamRow { flags: U16 => ParamAttributes, sequence: U16 => u16, name: Str => StringIndex }
    0x09 InterfaceImpl InterfaceImplRow { class: Table(TypeDef) => u32, interface: Coded(TypeDefOrRef) => Token }
    0x0A MemberRef MemberRefRow { class: Coded(MemberRefParent) => Token, name: Str => StringIndex, signature: Blob => BlobIndex }
    0x0B Constant ConstantRow { kind: U16 => u16, parent: Coded(HasConstant) => Token, value: Blob => BlobIndex }
    0x0C CustomAttribute CustomAttributeRow { parent: Coded(HasCustomAttribute) => Token, constructor: Coded(CustomAttributeType) => Token, value: Blob => BlobIndex }
    0x0D FieldMarshal FieldMarshalRow { parent: Coded(HasFieldMarshal) => Token, native_type: Blob => BlobIndex }
    0x0E DeclSecurity DeclSecurityRow { action: U16 => u16, parent: Coded(HasDeclSecurity) => Token, permission_set: Blob => BlobIndex }
    0x0F ClassLayout ClassLayoutRow { packing_size: U16 => u16, class_size: U32 => u32, parent: Table(TypeDef) => u32 }
    0x10 FieldLayout FieldLayoutRow { offset: U32 => u32, field: Table(Field) => u32 }
    0x11 StandAloneSig StandAloneSigRow { signature: Blob => BlobIndex }
    0x12 EventMap EventMapRow { parent: Table(TypeDef) => u32, event_list: Table(Event) => u32 }
    0x13 EventPtr EventPtrRow { event: Table(Event) => u32 }
    0x14 Event EventRow { flags: U16 => EventAttributes, name: Str => StringIndex, event_type: Coded(TypeDefOrRef) => Token }
    0x15 PropertyMap PropertyMapRow { parent: Table(TypeDef) => u32, property_list: Table(Property) => u32 }
    0x16 PropertyPtr PropertyPtrRow { property: Table(Property) => u32 }
    0x17 Property PropertyRow { flags: U16 => PropertyAttributes, name: Str => StringIndex, signature: Blob => BlobIndex }
    0x18 MethodSemantics MethodSemanticsRow { semantics: U16 => MethodSemanticsAttributes, method: Table(MethodDef) => u32, association: Coded(HasSemantics) => Token }
    0x19 MethodImpl MethodImplRow { class: Table(TypeDef) => u32, body: Coded(MethodDefOrRef) => Token, declaration: Coded(MethodDefOrRef) => Token }
    0x1A ModuleRef ModuleRefRow { name: Str => StringIndex }
    0x1B TypeSpec TypeSpecRow { signature: Blob => BlobIndex }
    0x1C ImplMap ImplMapRow { flags: U16 => u16, member_forwarded: Coded(MemberForwarded) => Token, import_name: Str => StringIndex, import_scope: Table(ModuleRef) => u32 }
    0x1D FieldRva FieldRvaRow { rva: U32 => u32, field: Table(Field) => u32 }
    0x1E EncLog EncLogRow { token: U32 => u32, func_code: U32 => u32 }
    0x1F EncMap EncMapRow { token: U32 => u32 }
    0x20 Assembly AssemblyRow { hash_alg_id: U32 => u32, major_version: U16 => u16, minor_version: U16 => u16, build_number: U16 => u16, revision_number: U16 => u16, flags: U32 => AssemblyFlags, public_key: Blob => BlobIndex, name: Str => StringIndex, culture: Str => StringIndex }
    0x21 AssemblyProcessor AssemblyProcessorRow { processor: U32 => u32 }
    0x22 AssemblyOs AssemblyOsRow { platform_id: U32 => u32, major_version: U32 => u32, minor_version: U32 => u32 }
    0x23 AssemblyRef AssemblyRefRow { major_version: U16 => u16, minor_version: U16 => u16, build_number: U16 => u16, revision_number: U16 => u16, flags: U32 => AssemblyFlags, public_key_or_token: Blob => BlobIndex, name: Str => StringIndex, culture: Str => StringIndex, hash_value: Blob => BlobIndex }
    0x24 AssemblyRefProcessor AssemblyRefProcessorRow { processor: U32 => u32, assembly_ref: Table(AssemblyRef) => u32 }
    0x25 AssemblyRefOs AssemblyRefOsRow { platform_id: U32 => u32, major_version: U32 => u32, minor_version: U32 => u32, assembly_ref: Table(AssemblyRef) => u32 }
    0x26 File FileRow { flags: U32 => u32, name: Str => StringIndex, hash_value: Blob => BlobIndex }
    0x27 ExportedType ExportedTypeRow { flags: U32 => TypeAttributes, type_def_id: U32 => u32, name: Str => StringIndex, namespace: Str => StringIndex, implementation: Coded(Implementation) => Token }
    0x28 ManifestResource ManifestResourceRow { offset: U32 => u32, flags: U32 => u32, name: Str => StringIndex, implementation: Coded(Implementation) => Token }
    0x29 NestedClass NestedClassRow { nested: Table(TypeDef) => u32, enclosing: Table(TypeDef) => u32 }
    0x2A GenericParam GenericParamRow { number: U16 => u16, flags: U16 => GenericParamAttributes, owner: Coded(TypeOrMethodDef) => Token, name: Str => StringIndex }
    0x2B MethodSpec MethodSpecRow { method: Coded(MethodDefOrRef) => Token, instantiation: Blob => BlobIndex }
    0x2C GenericParamConstraint GenericParamConstraintRow { owner: Table(GenericParam) => u32, constraint: Coded(TypeDefOrRef) => Token }
}

pub(crate) const TABLE_COUNT: usize = 0x2D;
const MAX_COLUMNS: usize = 9;

/// Index widths shared by every table of one metadata image.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IndexSizes {
    pub string: u8,
    pub guid: u8,
    pub blob: u8,
    /// Mono's `#JTD` stream forces every index to 4 bytes.
    pub all_large: bool,
}

/// Layout and data of one table.
#[derive(Clone, Copy, Debug, Default)]
pub struct TableInfo<'data> {
    pub(crate) rows: u32,
    pub(crate) row_size: u32,
    pub(crate) data: &'data [u8],
    pub(crate) offset: u64,
    widths: [u8; MAX_COLUMNS],
    ncols: u8,
}

impl<'data> TableInfo<'data> {
    pub fn len(&self) -> u32 {
        self.rows
    }
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}

/// All tables of one `#~` / `#-` stream.
#[derive(Clone, Debug)]
pub struct Tables<'data> {
    pub(crate) infos: [TableInfo<'data>; TABLE_COUNT],
    pub sorted: u64,
    pub major_version: u8,
    pub minor_version: u8,
}

impl<'data> Tables<'data> {
    /// Builds the table layout from the stream header (II.24.2.6).
    pub(crate) fn parse(
        stream: &'data [u8],
        stream_offset: u64,
        jtd: bool,
    ) -> Result<Tables<'data>> {
        use crate::error::Context;
        use crate::reader::Reader;
        let mut r = Reader::new(stream, stream_offset, Context::Metadata);
        let _reserved = r.u32()?;
        let major_version = r.u8()?;
        let minor_version = r.u8()?;
        let heap_sizes = r.u8()?;
        let _reserved2 = r.u8()?;
        let valid_at = r.offset();
        let valid = r.u64()?;
        let sorted = r.u64()?;
        let mut rows = [0u32; 64];
        for (i, slot) in rows.iter_mut().enumerate() {
            if valid & (1u64 << i) != 0 {
                if i >= TABLE_COUNT {
                    return Err(Error::at(
                        Context::Metadata,
                        valid_at,
                        format_args!(
                            "the table stream declares table {i:#04x}, which is not an ECMA-335 metadata table; its row size is unknown"
                        ),
                    ));
                }
                let at = r.offset();
                let n = r.u32()?;
                if n > 0x00FF_FFFF {
                    return Err(Error::at(
                        Context::Metadata,
                        at,
                        format_args!(
                            "table {} claims {n} rows; a row id has only 24 bits",
                            TableId::from_u8(i as u8).unwrap().name()
                        ),
                    ));
                }
                *slot = n;
            }
        }
        if heap_sizes & 0x40 != 0 {
            // ExtraData: one more u32 after the row counts.
            r.u32()?;
        }
        let sizes = IndexSizes {
            string: if heap_sizes & 0x01 != 0 || jtd { 4 } else { 2 },
            guid: if heap_sizes & 0x02 != 0 || jtd { 4 } else { 2 },
            blob: if heap_sizes & 0x04 != 0 || jtd { 4 } else { 2 },
            all_large: jtd,
        };
        let mut infos = [TableInfo::default(); TABLE_COUNT];
        let mut pos = r.offset() - stream_offset;
        for &id in TableId::ALL {
            let cols = id.columns();
            let mut widths = [0u8; MAX_COLUMNS];
            let mut row_size = 0u32;
            for (w, col) in widths.iter_mut().zip(cols) {
                *w = column_width(*col, &rows, sizes);
                row_size += *w as u32;
            }
            let n = rows[id as usize];
            let total = n as u64 * row_size as u64;
            let end = pos + total;
            if end > stream.len() as u64 {
                return Err(Error::at(
                    Context::Metadata,
                    stream_offset + pos,
                    format_args!(
                        "table {} ({n} rows of {row_size} bytes) runs past the end of the table stream ({:#x} bytes)",
                        id.name(),
                        stream.len()
                    ),
                ));
            }
            infos[id as usize] = TableInfo {
                rows: n,
                row_size,
                data: &stream[pos as usize..end as usize],
                offset: stream_offset + pos,
                widths,
                ncols: cols.len() as u8,
            };
            pos = end;
        }
        Ok(Tables {
            infos,
            sorted,
            major_version,
            minor_version,
        })
    }

    pub fn info(&self, id: TableId) -> &TableInfo<'data> {
        &self.infos[id as usize]
    }

    /// Number of rows of a table.
    #[inline]
    pub fn len(&self, id: TableId) -> u32 {
        self.infos[id as usize].rows
    }

    /// Reads the raw column values of row `rid` (1-based).
    #[inline]
    fn raw(&self, id: TableId, rid: u32, out: &mut [u32; MAX_COLUMNS]) -> Result<()> {
        let info = &self.infos[id as usize];
        if rid == 0 || rid > info.rows {
            return Err(Error::Table {
                table: id.name(),
                row: rid,
                offset: info.offset,
                message: format!("row id out of range (the table has {} rows)", info.rows),
            });
        }
        let start = (rid - 1) as usize * info.row_size as usize;
        let mut p = start;
        let d = info.data;
        for (slot, &w) in out.iter_mut().zip(&info.widths[..info.ncols as usize]) {
            *slot = if w == 2 {
                u16::from_le_bytes([d[p], d[p + 1]]) as u32
            } else {
                u32::from_le_bytes([d[p], d[p + 1], d[p + 2], d[p + 3]])
            };
            p += w as usize;
        }
        Ok(())
    }

    /// Decodes row `rid` (1-based) of table `R`.
    #[inline]
    pub fn row<R: Row>(&self, rid: u32) -> Result<R> {
        let mut raw = [0u32; MAX_COLUMNS];
        self.raw(R::TABLE, rid, &mut raw)?;
        R::decode(&raw).ok_or_else(|| {
            let info = &self.infos[R::TABLE as usize];
            Error::Table {
                table: R::TABLE.name(),
                row: rid,
                offset: info.offset + (rid - 1) as u64 * info.row_size as u64,
                message: "a coded index has a tag that names no table, or a row id beyond 24 bits"
                    .into(),
            }
        })
    }

    /// Iterates over all rows of table `R` with their row ids.
    pub fn rows<R: Row>(&self) -> impl Iterator<Item = (u32, Result<R>)> + '_ {
        (1..=self.len(R::TABLE)).map(move |rid| (rid, self.row::<R>(rid)))
    }

    /// File offset of a row, for error messages.
    pub fn row_offset(&self, id: TableId, rid: u32) -> u64 {
        let info = &self.infos[id as usize];
        info.offset + rid.saturating_sub(1) as u64 * info.row_size as u64
    }

    pub(crate) fn table_error(&self, id: TableId, rid: u32, message: impl Into<String>) -> Error {
        Error::Table {
            table: id.name(),
            row: rid,
            offset: self.row_offset(id, rid),
            message: message.into(),
        }
    }
}

fn column_width(col: Col, rows: &[u32; 64], sizes: IndexSizes) -> u8 {
    match col {
        Col::U16 => 2,
        Col::U32 => 4,
        Col::Str => sizes.string,
        Col::Guid => sizes.guid,
        Col::Blob => sizes.blob,
        _ if sizes.all_large => 4,
        Col::Table(t) => {
            if rows[t as usize] < (1 << 16) {
                2
            } else {
                4
            }
        }
        Col::Coded(kind) => {
            let (bits, tables) = kind.layout();
            let max = tables
                .iter()
                .flatten()
                .map(|t| rows[*t as usize])
                .max()
                .unwrap_or(0);
            if max < (1u32 << (16 - bits)) { 2 } else { 4 }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_a_schema() {
        assert_eq!(TableId::ALL.len(), TABLE_COUNT);
        for (i, t) in TableId::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i, "{} out of order", t.name());
            assert!(!t.columns().is_empty());
            assert!(t.columns().len() <= MAX_COLUMNS);
        }
    }

    #[test]
    fn coded_indices_decode_their_tag() {
        let t = CodedKind::TypeDefOrRef.decode((5 << 2) | 1).unwrap();
        assert_eq!(t.table(), Some(TableId::TypeRef));
        assert_eq!(t.rid(), 5);
        assert!(CodedKind::TypeDefOrRef.decode(3).is_none());
        assert!(CodedKind::CustomAttributeType.decode(0).is_none());
        let ca = CodedKind::CustomAttributeType.decode((7 << 3) | 3).unwrap();
        assert_eq!(ca.table(), Some(TableId::MemberRef));
    }

    #[test]
    fn coded_width_grows_with_row_counts() {
        let mut rows = [0u32; 64];
        let sizes = IndexSizes {
            string: 2,
            guid: 2,
            blob: 2,
            all_large: false,
        };
        let col = Col::Coded(CodedKind::TypeDefOrRef);
        rows[TableId::TypeRef as usize] = (1 << 14) - 1;
        assert_eq!(column_width(col, &rows, sizes), 2);
        rows[TableId::TypeRef as usize] = 1 << 14;
        assert_eq!(column_width(col, &rows, sizes), 4);
        let jtd = IndexSizes {
            all_large: true,
            ..sizes
        };
        rows[TableId::TypeRef as usize] = 1;
        assert_eq!(column_width(col, &rows, jtd), 4);
    }
}
