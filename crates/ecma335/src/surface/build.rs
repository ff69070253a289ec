//! Builds a [`Surface`] from [`Metadata`].

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use sha1::{Digest, Sha1};

use crate::attributes::{ArgType, ArgValue, AttributeValue, decode_attribute};
use crate::error::{Context, Error, Result};
use crate::flags::*;
use crate::heaps::{BlobIndex, StringIndex};
use crate::metadata::{MemberList, Metadata};
use crate::signature::*;
use crate::surface::model::*;
use crate::tables::*;

/// What to compute besides the listing's needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Everything the listing prints, nothing more (no custom attributes,
    /// constants, parameter names or generic constraints).
    Listing,
    /// The whole surface model.
    Full,
}

const MAX_NESTING: u32 = 64;

/// Reads the public surface of the assembly in `data`.
pub fn read_surface(data: &[u8]) -> Result<Surface> {
    let md = Metadata::parse(data)?;
    build_surface(&md, Detail::Full)
}

/// Reads the public surface of an assembly file (memory-mapped).
pub fn read_surface_file(path: &std::path::Path) -> Result<Surface> {
    let file = crate::metadata::MappedFile::open(path)?;
    read_surface(file.bytes())
}

pub fn build_surface(md: &Metadata<'_>, detail: Detail) -> Result<Surface> {
    Builder::new(md, detail)?.build()
}

/// Writes the canonical JSON of the surface of `md` to `out`, building one
/// type at a time: memory stays proportional to the largest type, not to the
/// assembly. The bytes equal [`Surface::to_canonical_json`].
pub fn write_canonical_json<W: std::io::Write>(md: &Metadata<'_>, mut out: W) -> Result<W> {
    let mut b = Builder::new(md, Detail::Full)?;
    let order = b.type_order()?;
    let header = serde_json::to_vec(&b.header()?).expect("serialising to memory cannot fail");
    // The derived serialisation ends with the last key, `"types":[]}`.
    let prefix = header
        .strip_suffix(b"]}")
        .expect("`types` is the last key of a surface");
    let io = |e: std::io::Error| Error::Io {
        path: "<output>".into(),
        message: e.to_string(),
    };
    out.write_all(prefix).map_err(io)?;
    for (i, rid) in order.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",").map_err(io)?;
        }
        let t = b.type_def(rid)?;
        serde_json::to_writer(&mut out, &t).map_err(|e| io(e.into()))?;
    }
    out.write_all(b"]}\n").map_err(io)?;
    Ok(out)
}

/// Writes the listing of the surface of `md` to `out`, building one type at a time.
///
/// Members are written straight from the tables, each distinct signature
/// blob decoded and rendered once (the `#Blob` heap shares identical
/// signatures), so no model is built; the bytes equal [`Surface::listing`]
/// of the [`Detail::Listing`] model.
pub fn write_listing<W: std::io::Write>(md: &Metadata<'_>, mut out: W) -> Result<W> {
    let mut b = Builder::new(md, Detail::Listing)?;
    let order = b.type_order()?;
    // About 60 bytes a line, one line per listed member at most.
    let t = &md.tables;
    let rows = t.len(TableId::MethodDef) + t.len(TableId::Field) + t.len(TableId::Property);
    let mut lines = super::listing::Lines::with_capacity(rows as usize * 60, rows as usize);
    let mut cache = RenderCache::default();
    for rid in order {
        b.listing_lines(rid, &mut lines, &mut cache)?;
    }
    lines.write_to(&mut out).map_err(|e| Error::Io {
        path: "<output>".into(),
        message: e.to_string(),
    })?;
    Ok(out)
}

/// A type's full name and the assembly (or module) that defines it.
type ScopedName = (Arc<str>, Option<Arc<str>>);

/// Resolves type names, cached per row; also the signature type provider.
struct Names<'a, 'data> {
    md: &'a Metadata<'data>,
    typedef: Vec<Option<Arc<str>>>,
    typeref: Vec<Option<ScopedName>>,
    /// Enclosing TypeDef rid per TypeDef rid (0 = top level).
    enclosing: Vec<u32>,
    /// The NestedClass row that gave each TypeDef its enclosing type (for errors).
    nested_class_row: Vec<u32>,
    primitives: Vec<Arc<str>>,
}

impl<'a, 'data> Names<'a, 'data> {
    fn new(md: &'a Metadata<'data>) -> Result<Self> {
        let n_types = md.tables.len(TableId::TypeDef) as usize;
        let mut enclosing = vec![0u32; n_types + 1];
        let mut nested_class_row = vec![0u32; n_types + 1];
        for (rid, row) in md.tables.rows::<NestedClassRow>() {
            let row = row?;
            if row.nested == 0 || row.nested as usize > n_types || row.enclosing as usize > n_types
            {
                return Err(md.tables.table_error(
                    TableId::NestedClass,
                    rid,
                    format!(
                        "nested class {} / enclosing class {} is not a TypeDef row (there are {n_types})",
                        row.nested, row.enclosing
                    ),
                ));
            }
            enclosing[row.nested as usize] = row.enclosing;
            nested_class_row[row.nested as usize] = rid;
        }
        let primitives = ALL_PRIMITIVES
            .iter()
            .map(|p| Arc::<str>::from(p.full_name()))
            .collect();
        Ok(Names {
            md,
            typedef: vec![None; n_types + 1],
            typeref: vec![None; md.tables.len(TableId::TypeRef) as usize + 1],
            enclosing,
            nested_class_row,
            primitives,
        })
    }

    fn str(&self, idx: StringIndex) -> Result<Cow<'data, str>> {
        self.md.strings.get(idx)
    }

    fn typedef_name(&mut self, rid: u32) -> Result<Arc<str>> {
        self.typedef_name_at(rid, 0)
    }

    fn typedef_name_at(&mut self, rid: u32, depth: u32) -> Result<Arc<str>> {
        if let Some(Some(n)) = self.typedef.get(rid as usize) {
            return Ok(n.clone());
        }
        if depth > MAX_NESTING {
            return Err(self.md.tables.table_error(
                TableId::NestedClass,
                self.nested_class_row[rid as usize],
                format!("nesting of TypeDef {rid} is cyclic or deeper than {MAX_NESTING} levels"),
            ));
        }
        let row: TypeDefRow = self.md.tables.row(rid)?;
        let name = self.str(row.name)?;
        let enclosing = self.enclosing[rid as usize];
        let full: Arc<str> = if enclosing != 0 {
            let outer = self.typedef_name_at(enclosing, depth + 1)?;
            format!("{outer}+{name}").into()
        } else {
            let ns = self.str(row.namespace)?;
            if ns.is_empty() {
                name.into()
            } else {
                format!("{ns}.{name}").into()
            }
        };
        self.typedef[rid as usize] = Some(full.clone());
        Ok(full)
    }

    fn typeref_name(&mut self, rid: u32) -> Result<(Arc<str>, Option<Arc<str>>)> {
        self.typeref_name_at(rid, 0)
    }

    fn typeref_name_at(&mut self, rid: u32, depth: u32) -> Result<(Arc<str>, Option<Arc<str>>)> {
        if let Some(Some(n)) = self.typeref.get(rid as usize) {
            return Ok(n.clone());
        }
        if depth > MAX_NESTING {
            return Err(self.md.tables.table_error(
                TableId::TypeRef,
                rid,
                format!("resolution scope chain is cyclic or deeper than {MAX_NESTING} levels"),
            ));
        }
        let row: TypeRefRow = self.md.tables.row(rid)?;
        let name = self.str(row.name)?;
        let scope = row.resolution_scope;
        let result = if scope.table() == Some(TableId::TypeRef) && !scope.is_null() {
            let (outer, outer_scope) = self.typeref_name_at(scope.rid(), depth + 1)?;
            (Arc::from(format!("{outer}+{name}")), outer_scope)
        } else {
            let ns = self.str(row.namespace)?;
            let full: Arc<str> = if ns.is_empty() {
                name.into()
            } else {
                format!("{ns}.{name}").into()
            };
            let scope_name = match (scope.table(), scope.is_null()) {
                (_, true) | (Some(TableId::Module), _) => None,
                (Some(TableId::AssemblyRef), _) => {
                    let r: AssemblyRefRow = self.md.tables.row(scope.rid())?;
                    Some(Arc::from(self.str(r.name)?))
                }
                (Some(TableId::ModuleRef), _) => {
                    let r: ModuleRefRow = self.md.tables.row(scope.rid())?;
                    Some(Arc::from(self.str(r.name)?))
                }
                _ => None,
            };
            (full, scope_name)
        };
        self.typeref[rid as usize] = Some(result.clone());
        Ok(result)
    }

    /// (namespace, name) of a TypeDefOrRef token, for base-type and attribute checks.
    fn namespace_and_name(
        &self,
        token: Token,
    ) -> Result<Option<(Cow<'data, str>, Cow<'data, str>)>> {
        Ok(match token.table() {
            _ if token.is_null() => None,
            Some(TableId::TypeDef) => {
                let r: TypeDefRow = self.md.tables.row(token.rid())?;
                Some((self.str(r.namespace)?, self.str(r.name)?))
            }
            Some(TableId::TypeRef) => {
                let r: TypeRefRow = self.md.tables.row(token.rid())?;
                Some((self.str(r.namespace)?, self.str(r.name)?))
            }
            _ => None,
        })
    }
}

const ALL_PRIMITIVES: [PrimitiveType; 18] = [
    PrimitiveType::Void,
    PrimitiveType::Boolean,
    PrimitiveType::Char,
    PrimitiveType::SByte,
    PrimitiveType::Byte,
    PrimitiveType::Int16,
    PrimitiveType::UInt16,
    PrimitiveType::Int32,
    PrimitiveType::UInt32,
    PrimitiveType::Int64,
    PrimitiveType::UInt64,
    PrimitiveType::Single,
    PrimitiveType::Double,
    PrimitiveType::String,
    PrimitiveType::TypedReference,
    PrimitiveType::IntPtr,
    PrimitiveType::UIntPtr,
    PrimitiveType::Object,
];

impl TypeProvider for Names<'_, '_> {
    type Type = TypeSig;

    fn primitive(&mut self, ty: PrimitiveType) -> TypeSig {
        let i = ALL_PRIMITIVES.iter().position(|p| *p == ty).unwrap();
        TypeSig::Primitive(self.primitives[i].clone())
    }
    fn type_def(&mut self, rid: u32, hint: TypeKindHint) -> Result<TypeSig> {
        Ok(TypeSig::Named(NamedType {
            name: self.typedef_name(rid)?,
            scope: None,
            value_type: hint == TypeKindHint::ValueType,
        }))
    }
    fn type_ref(&mut self, rid: u32, hint: TypeKindHint) -> Result<TypeSig> {
        let (name, scope) = self.typeref_name(rid)?;
        Ok(TypeSig::Named(NamedType {
            name,
            scope,
            value_type: hint == TypeKindHint::ValueType,
        }))
    }
    fn generic_instantiation(&mut self, generic: TypeSig, args: Vec<TypeSig>) -> TypeSig {
        TypeSig::Generic(Box::new(generic), args)
    }
    fn sz_array(&mut self, element: TypeSig) -> TypeSig {
        TypeSig::SzArray(Box::new(element))
    }
    fn array(&mut self, element: TypeSig, shape: ArrayShape) -> TypeSig {
        TypeSig::Array(Box::new(element), shape.rank)
    }
    fn by_ref(&mut self, element: TypeSig) -> TypeSig {
        TypeSig::ByRef(Box::new(element))
    }
    fn pointer(&mut self, element: TypeSig) -> TypeSig {
        TypeSig::Pointer(Box::new(element))
    }
    fn pinned(&mut self, element: TypeSig) -> TypeSig {
        TypeSig::Pinned(Box::new(element))
    }
    fn modified(&mut self, modifier: TypeSig, unmodified: TypeSig, required: bool) -> TypeSig {
        TypeSig::Modified(Box::new(modifier), required, Box::new(unmodified))
    }
    fn generic_type_parameter(&mut self, index: u32) -> TypeSig {
        TypeSig::Var(index)
    }
    fn generic_method_parameter(&mut self, index: u32) -> TypeSig {
        TypeSig::MVar(index)
    }
    fn function_pointer(&mut self, s: MethodSignature<TypeSig>) -> TypeSig {
        let cc = match s.header.kind() {
            SignatureHeader::C => "c",
            SignatureHeader::STDCALL => "stdcall",
            SignatureHeader::THISCALL => "thiscall",
            SignatureHeader::FASTCALL => "fastcall",
            SignatureHeader::VARARG => "vararg",
            SignatureHeader::UNMANAGED => "unmanaged",
            _ => "default",
        };
        TypeSig::FnPtr(Box::new(FnPtrSig {
            calling_convention: cc.into(),
            has_this: s.header.has_this(),
            params: s.parameter_types,
            returns: s.return_type,
        }))
    }
}

/// Attributes the surface decodes, by (namespace, name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KnownAttribute {
    Obsolete,
    Extension,
    ParamArray,
    Nullable,
    NullableContext,
    IsReadOnly,
    IsByRefLike,
    Flags,
    AsyncStateMachine,
    TargetFramework,
    AssemblyMetadata,
}

fn known_attribute(ns: &str, name: &str) -> Option<KnownAttribute> {
    use KnownAttribute::*;
    Some(match (ns, name) {
        ("System", "ObsoleteAttribute") => Obsolete,
        ("System", "ParamArrayAttribute") => ParamArray,
        ("System", "FlagsAttribute") => Flags,
        ("System.Runtime.CompilerServices", "ExtensionAttribute") => Extension,
        ("System.Runtime.CompilerServices", "NullableAttribute") => Nullable,
        ("System.Runtime.CompilerServices", "NullableContextAttribute") => NullableContext,
        ("System.Runtime.CompilerServices", "IsReadOnlyAttribute") => IsReadOnly,
        ("System.Runtime.CompilerServices", "IsByRefLikeAttribute") => IsByRefLike,
        ("System.Runtime.CompilerServices", "AsyncStateMachineAttribute") => AsyncStateMachine,
        ("System.Runtime.Versioning", "TargetFrameworkAttribute") => TargetFramework,
        ("System.Reflection", "AssemblyMetadataAttribute") => AssemblyMetadata,
        _ => return None,
    })
}

/// Maps a constructor signature's parameter types to attribute argument types.
struct ArgTypes<'a, 'data> {
    names: &'a Names<'a, 'data>,
}

impl TypeProvider for ArgTypes<'_, '_> {
    type Type = Option<ArgType>;
    fn primitive(&mut self, ty: PrimitiveType) -> Option<ArgType> {
        use PrimitiveType::*;
        Some(match ty {
            Boolean => ArgType::Boolean,
            Char => ArgType::Char,
            SByte => ArgType::I1,
            Byte => ArgType::U1,
            Int16 => ArgType::I2,
            UInt16 => ArgType::U2,
            Int32 => ArgType::I4,
            UInt32 => ArgType::U4,
            Int64 => ArgType::I8,
            UInt64 => ArgType::U8,
            Single => ArgType::R4,
            Double => ArgType::R8,
            String => ArgType::String,
            Object => ArgType::Object,
            _ => return None,
        })
    }
    fn type_def(&mut self, rid: u32, _: TypeKindHint) -> Result<Option<ArgType>> {
        let nn = self
            .names
            .namespace_and_name(Token::new(TableId::TypeDef, rid))?;
        Ok(nn.and_then(|(ns, n)| (ns == "System" && n == "Type").then_some(ArgType::Type)))
    }
    fn type_ref(&mut self, rid: u32, _: TypeKindHint) -> Result<Option<ArgType>> {
        let nn = self
            .names
            .namespace_and_name(Token::new(TableId::TypeRef, rid))?;
        Ok(nn.and_then(|(ns, n)| (ns == "System" && n == "Type").then_some(ArgType::Type)))
    }
    fn generic_instantiation(
        &mut self,
        _: Option<ArgType>,
        _: Vec<Option<ArgType>>,
    ) -> Option<ArgType> {
        None
    }
    fn sz_array(&mut self, e: Option<ArgType>) -> Option<ArgType> {
        e.map(|e| ArgType::SzArray(Box::new(e)))
    }
    fn array(&mut self, _: Option<ArgType>, _: ArrayShape) -> Option<ArgType> {
        None
    }
    fn by_ref(&mut self, _: Option<ArgType>) -> Option<ArgType> {
        None
    }
    fn pointer(&mut self, _: Option<ArgType>) -> Option<ArgType> {
        None
    }
    fn pinned(&mut self, e: Option<ArgType>) -> Option<ArgType> {
        e
    }
    fn modified(&mut self, _: Option<ArgType>, e: Option<ArgType>, _: bool) -> Option<ArgType> {
        e
    }
    fn generic_type_parameter(&mut self, _: u32) -> Option<ArgType> {
        None
    }
    fn generic_method_parameter(&mut self, _: u32) -> Option<ArgType> {
        None
    }
    fn function_pointer(&mut self, _: MethodSignature<Option<ArgType>>) -> Option<ArgType> {
        None
    }
}

/// A sorted multimap from a key to row ids, built once per table.
struct Index {
    entries: Vec<(u32, u32)>,
}

impl Index {
    fn build(mut entries: Vec<(u32, u32)>) -> Self {
        if !entries.is_sorted() {
            entries.sort_unstable();
        }
        Index { entries }
    }
    fn get(&self, key: u32) -> impl Iterator<Item = u32> + '_ {
        let r = self.range(key);
        self.entries[r].iter().map(|e| e.1)
    }
    /// Positions of `key`'s entries; iterate with [`Index::at`] to avoid
    /// borrowing the index across other work (and allocating).
    fn range(&self, key: u32) -> std::ops::Range<usize> {
        let start = self.entries.partition_point(|e| e.0 < key);
        let len = self.entries[start..]
            .iter()
            .take_while(|e| e.0 == key)
            .count();
        start..start + len
    }
    fn at(&self, i: usize) -> u32 {
        self.entries[i].1
    }
}

struct Builder<'a, 'data> {
    md: &'a Metadata<'data>,
    detail: Detail,
    names: Names<'a, 'data>,
    type_rows: Vec<TypeDefRow>,
    /// Method rid → its owning TypeDef rid, for attribute constructors.
    method_starts: Vec<u32>,
    property_ranges: Vec<(u32, MemberList)>,
    event_ranges: Vec<(u32, MemberList)>,
    getters: Vec<u32>,
    setters: Vec<u32>,
    adders: Vec<u32>,
    removers: Vec<u32>,
    custom_attributes: Index,
    constants: Index,
    generic_params: Index,
    constraints: Index,
    interfaces: Index,
}

impl<'a, 'data> Builder<'a, 'data> {
    fn new(md: &'a Metadata<'data>, detail: Detail) -> Result<Self> {
        let t = &md.tables;
        let names = Names::new(md)?;
        let mut type_rows = Vec::with_capacity(t.len(TableId::TypeDef) as usize);
        for (_, row) in t.rows::<TypeDefRow>() {
            type_rows.push(row?);
        }
        let method_starts = type_rows.iter().map(|r| r.method_list).collect();

        let mut property_ranges = Vec::new();
        let n_pm = t.len(TableId::PropertyMap);
        let pm_rows: Vec<PropertyMapRow> = t
            .rows::<PropertyMapRow>()
            .map(|(_, r)| r)
            .collect::<Result<_>>()?;
        for (i, row) in pm_rows.iter().enumerate() {
            let next = pm_rows.get(i + 1).map(|r| r.property_list);
            let list = md.list_range(
                TableId::PropertyMap,
                i as u32 + 1,
                row.property_list,
                next,
                TableId::Property,
            )?;
            property_ranges.push((row.parent, list));
        }
        debug_assert_eq!(property_ranges.len(), n_pm as usize);
        property_ranges.sort_by_key(|e| e.0);
        let mut event_ranges = Vec::new();
        let em_rows: Vec<EventMapRow> = t
            .rows::<EventMapRow>()
            .map(|(_, r)| r)
            .collect::<Result<_>>()?;
        for (i, row) in em_rows.iter().enumerate() {
            let next = em_rows.get(i + 1).map(|r| r.event_list);
            let list = md.list_range(
                TableId::EventMap,
                i as u32 + 1,
                row.event_list,
                next,
                TableId::Event,
            )?;
            event_ranges.push((row.parent, list));
        }
        event_ranges.sort_by_key(|e| e.0);

        let mut getters = vec![0; t.len(TableId::Property) as usize + 1];
        let mut setters = vec![0; t.len(TableId::Property) as usize + 1];
        let mut adders = vec![0; t.len(TableId::Event) as usize + 1];
        let mut removers = vec![0; t.len(TableId::Event) as usize + 1];
        for (rid, row) in t.rows::<MethodSemanticsRow>() {
            let row = row?;
            let a = row.association;
            let slot = |v: &mut Vec<u32>| -> Result<()> {
                match v.get_mut(a.rid() as usize) {
                    Some(s) if a.rid() != 0 => {
                        *s = row.method;
                        Ok(())
                    }
                    _ => Err(t.table_error(
                        TableId::MethodSemantics,
                        rid,
                        format!("association {a:?} is not a row"),
                    )),
                }
            };
            // Exactly one role per row, as System.Reflection.Metadata reads it:
            // a value with several bits set is no accessor at all.
            let role = row.semantics;
            match a.table() {
                Some(TableId::Property) if role == MethodSemanticsAttributes::GETTER => {
                    slot(&mut getters)?
                }
                Some(TableId::Property) if role == MethodSemanticsAttributes::SETTER => {
                    slot(&mut setters)?
                }
                Some(TableId::Event) if role == MethodSemanticsAttributes::ADD_ON => {
                    slot(&mut adders)?
                }
                Some(TableId::Event) if role == MethodSemanticsAttributes::REMOVE_ON => {
                    slot(&mut removers)?
                }
                _ => {}
            }
        }

        let full = detail == Detail::Full;
        let index = |table: TableId, f: &dyn Fn(u32) -> Result<u32>| -> Result<Index> {
            if !full {
                return Ok(Index {
                    entries: Vec::new(),
                });
            }
            let mut v = Vec::with_capacity(t.len(table) as usize);
            for rid in 1..=t.len(table) {
                v.push((f(rid)?, rid));
            }
            Ok(Index::build(v))
        };
        let custom_attributes = index(TableId::CustomAttribute, &|rid| {
            Ok(t.row::<CustomAttributeRow>(rid)?.parent.0)
        })?;
        let constants = index(TableId::Constant, &|rid| {
            Ok(t.row::<ConstantRow>(rid)?.parent.0)
        })?;
        let generic_params = index(TableId::GenericParam, &|rid| {
            Ok(t.row::<GenericParamRow>(rid)?.owner.0)
        })?;
        let constraints = index(TableId::GenericParamConstraint, &|rid| {
            Ok(t.row::<GenericParamConstraintRow>(rid)?.owner)
        })?;
        let interfaces = index(TableId::InterfaceImpl, &|rid| {
            Ok(t.row::<InterfaceImplRow>(rid)?.class)
        })?;

        Ok(Builder {
            md,
            detail,
            names,
            type_rows,
            method_starts,
            property_ranges,
            event_ranges,
            getters,
            setters,
            adders,
            removers,
            custom_attributes,
            constants,
            generic_params,
            constraints,
            interfaces,
        })
    }

    fn full(&self) -> bool {
        self.detail == Detail::Full
    }

    fn decoder(&mut self) -> SignatureDecoder<'_, 'data, Names<'a, 'data>> {
        SignatureDecoder::new(&mut self.names, &self.md.tables, &self.md.blobs)
    }

    fn build(mut self) -> Result<Surface> {
        let order = self.type_order()?;
        let mut types = Vec::with_capacity(order.len());
        for rid in order {
            types.push(self.type_def(rid)?);
        }
        let mut surface = self.header()?;
        surface.types = types;
        Ok(surface)
    }

    /// Everything but the types.
    fn header(&mut self) -> Result<Surface> {
        let mut surface = Surface {
            schema: SCHEMA_VERSION,
            ..Surface::default()
        };
        self.assembly(&mut surface)?;
        Ok(surface)
    }

    /// The listed TypeDef rows in the surface's order (by name, bytewise;
    /// ties keep metadata order).
    fn type_order(&mut self) -> Result<Vec<u32>> {
        let listed = self.listed_types()?;
        let mut order = Vec::with_capacity(listed.iter().filter(|l| **l).count());
        for rid in 1..=self.type_rows.len() as u32 {
            if listed[rid as usize] {
                order.push((self.names.typedef_name(rid)?, rid));
            }
        }
        order.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        Ok(order.into_iter().map(|(_, rid)| rid).collect())
    }

    /// Which TypeDef rows the surface lists (docs/surface-listing.md, "Types").
    fn listed_types(&mut self) -> Result<Vec<bool>> {
        let n = self.type_rows.len();
        let mut listed = vec![false; n + 1];
        // 0 = unknown, 1 = in progress, 2 = done.
        let mut state = vec![0u8; n + 1];
        for rid in 2..=n as u32 {
            self.listed_at(rid, &mut listed, &mut state, 0)?;
        }
        Ok(listed)
    }

    fn listed_at(
        &self,
        rid: u32,
        listed: &mut [bool],
        state: &mut [u8],
        depth: u32,
    ) -> Result<bool> {
        if state[rid as usize] == 2 {
            return Ok(listed[rid as usize]);
        }
        if state[rid as usize] == 1 || depth > MAX_NESTING {
            return Err(self.md.tables.table_error(
                TableId::NestedClass,
                self.names.nested_class_row[rid as usize],
                format!("TypeDef {rid} is nested in itself (a NestedClass cycle)"),
            ));
        }
        state[rid as usize] = 1;
        let flags = self.type_rows[rid as usize - 1].flags;
        let enclosing = self.names.enclosing[rid as usize];
        let vis = flags.visibility();
        let result = if rid == 1 {
            false
        } else if enclosing == 0 {
            vis == TypeAttributes::PUBLIC.bits()
        } else if vis == TypeAttributes::NESTED_PUBLIC.bits() {
            self.listed_at(enclosing, listed, state, depth + 1)?
        } else {
            false
        };
        listed[rid as usize] = result;
        state[rid as usize] = 2;
        Ok(result)
    }

    fn type_def(&mut self, rid: u32) -> Result<TypeDef> {
        let row = self.type_rows[rid as usize - 1];
        let name = self.names.typedef_name(rid)?;
        let kind = self.type_kind(rid, &row)?;
        let mut outer = rid;
        let mut guard = 0;
        while self.names.enclosing[outer as usize] != 0 && guard <= MAX_NESTING {
            outer = self.names.enclosing[outer as usize];
            guard += 1;
        }
        let namespace = if self.full() {
            let ns_row = self.type_rows[outer as usize - 1];
            self.md.strings.get(ns_row.namespace)?.into_owned()
        } else {
            String::new()
        };
        let token = Token::new(TableId::TypeDef, rid);
        let full = self.full();
        let base = if full && !row.extends.is_null() {
            Some(self.decoder().token(row.extends, TypeKindHint::Unknown)?)
        } else {
            None
        };
        let interfaces = if full {
            let rows: Vec<u32> = self.interfaces.get(rid).collect();
            let mut v = Vec::with_capacity(rows.len());
            for ir in rows {
                let r: InterfaceImplRow = self.md.tables.row(ir)?;
                v.push(self.decoder().token(r.interface, TypeKindHint::Class)?);
            }
            v
        } else {
            Vec::new()
        };
        let generic_params = self.generic_params(token)?;
        let attributes = self.attributes(token)?;

        let n_types = self.type_rows.len() as u32;
        let method_next = (rid < n_types).then(|| self.type_rows[rid as usize].method_list);
        let methods_list = self.md.list_range(
            TableId::TypeDef,
            rid,
            row.method_list,
            method_next,
            TableId::MethodDef,
        )?;
        let field_next = (rid < n_types).then(|| self.type_rows[rid as usize].field_list);
        let fields_list = self.md.list_range(
            TableId::TypeDef,
            rid,
            row.field_list,
            field_next,
            TableId::Field,
        )?;

        let mut methods = Vec::new();
        for pos in methods_list.positions() {
            let m = self.md.resolve_list_item(&methods_list, pos)?;
            if let Some(method) = self.method(m)? {
                methods.push(method);
            }
        }
        let mut fields = Vec::new();
        let mut enum_underlying = None;
        for pos in fields_list.positions() {
            let f = self.md.resolve_list_item(&fields_list, pos)?;
            let frow: FieldRow = self.md.tables.row(f)?;
            let is_static = frow.flags.contains(FieldAttributes::STATIC);
            if kind == TypeKind::Enum && !is_static && enum_underlying.is_none() && full {
                let blob = self.md.blobs.get(frow.signature)?;
                enum_underlying = Some(self.decoder().field_signature(blob)?.unmodified().clone());
            }
            if frow.flags.is_public() {
                fields.push(self.field(f, &frow)?);
            }
        }
        let mut properties = Vec::new();
        if let Some(list) = lookup(&self.property_ranges, rid) {
            for pos in list.positions() {
                let p = self.md.resolve_list_item(&list, pos)?;
                if let Some(prop) = self.property(p)? {
                    properties.push(prop);
                }
            }
        }
        let mut events = Vec::new();
        if let Some(list) = lookup(&self.event_ranges, rid) {
            for pos in list.positions() {
                let e = self.md.resolve_list_item(&list, pos)?;
                if let Some(ev) = self.event(e)? {
                    events.push(ev);
                }
            }
        }
        // The listing sorts its lines itself; only the model orders members.
        if self.full() {
            methods.sort_by(|a, b| a.name.cmp(&b.name));
            fields.sort_by(|a, b| a.name.cmp(&b.name));
            properties.sort_by(|a, b| a.name.cmp(&b.name));
            events.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(TypeDef {
            r#abstract: row.flags.contains(TypeAttributes::ABSTRACT),
            attributes,
            base,
            enum_underlying,
            events,
            fields,
            generic_params,
            interfaces,
            kind,
            methods,
            name,
            namespace,
            properties,
            sealed: row.flags.contains(TypeAttributes::SEALED),
        })
    }

    fn type_kind(&self, rid: u32, row: &TypeDefRow) -> Result<TypeKind> {
        if row.flags.contains(TypeAttributes::INTERFACE) {
            return Ok(TypeKind::Interface);
        }
        let Some((ns, name)) = self.names.namespace_and_name(row.extends)? else {
            return Ok(TypeKind::Class);
        };
        if ns != "System" {
            return Ok(TypeKind::Class);
        }
        Ok(match &*name {
            "Enum" => TypeKind::Enum,
            "ValueType" => {
                let own_ns = self.md.strings.get(row.namespace)?;
                let own = self.md.strings.get(row.name)?;
                let nested = self.names.enclosing[rid as usize] != 0;
                if !nested && own_ns == "System" && own == "Enum" {
                    TypeKind::Class
                } else {
                    TypeKind::Struct
                }
            }
            "MulticastDelegate" => TypeKind::Delegate,
            _ => TypeKind::Class,
        })
    }

    fn method(&mut self, rid: u32) -> Result<Option<Method>> {
        let row: MethodDefRow = self.md.tables.row(rid)?;
        if !row.flags.is_public() {
            return Ok(None);
        }
        let name = self.md.strings.get(row.name)?.into_owned();
        let blob = self.md.blobs.get(row.signature)?;
        let sig = self.decoder().method_signature(blob)?;
        let token = Token::new(TableId::MethodDef, rid);
        let full = self.full();
        let sentinel = (sig.required_parameter_count < sig.parameter_types.len())
            .then_some(sig.required_parameter_count as u32);
        let calling_convention = match sig.header.kind() {
            SignatureHeader::DEFAULT => None,
            SignatureHeader::VARARG => Some("vararg".to_string()),
            SignatureHeader::C => Some("c".to_string()),
            SignatureHeader::STDCALL => Some("stdcall".to_string()),
            SignatureHeader::THISCALL => Some("thiscall".to_string()),
            SignatureHeader::FASTCALL => Some("fastcall".to_string()),
            _ => Some("unmanaged".to_string()),
        };
        let mut params: Vec<Param> = sig
            .parameter_types
            .into_iter()
            .map(|ty| Param {
                attributes: Attributes::default(),
                default: None,
                r#in: false,
                name: String::new(),
                optional: false,
                out: false,
                r#type: ty,
            })
            .collect();
        let mut return_attributes = Attributes::default();
        if full {
            let n_methods = self.md.tables.len(TableId::MethodDef);
            let next = if rid < n_methods {
                Some(self.md.tables.row::<MethodDefRow>(rid + 1)?.param_list)
            } else {
                None
            };
            let list = self.md.list_range(
                TableId::MethodDef,
                rid,
                row.param_list,
                next,
                TableId::Param,
            )?;
            let mut named = vec![false; params.len()];
            for pos in list.positions() {
                let p = self.md.resolve_list_item(&list, pos)?;
                let prow: ParamRow = self.md.tables.row(p)?;
                let ptoken = Token::new(TableId::Param, p);
                if prow.sequence == 0 {
                    return_attributes = self.attributes(ptoken)?;
                    continue;
                }
                let Some(param) = params.get_mut(prow.sequence as usize - 1) else {
                    continue;
                };
                param.name = self.md.strings.get(prow.name)?.into_owned();
                named[prow.sequence as usize - 1] = true;
                param.r#in = prow.flags.contains(ParamAttributes::IN);
                param.out = prow.flags.contains(ParamAttributes::OUT);
                param.optional = prow.flags.contains(ParamAttributes::OPTIONAL);
                if prow.flags.contains(ParamAttributes::HAS_DEFAULT) {
                    param.default = self.constant(ptoken)?;
                }
                param.attributes = self.attributes(ptoken)?;
            }
            // Parameters without a Param row get a positional name.
            for (i, p) in params.iter_mut().enumerate() {
                if !named[i] {
                    p.name = format!("arg{i}");
                }
            }
        }
        Ok(Some(Method {
            r#abstract: row.flags.contains(MethodAttributes::ABSTRACT),
            arity: sig.generic_parameter_count,
            attributes: self.attributes(token)?,
            calling_convention,
            generic_params: self.generic_params(token)?,
            name,
            params,
            returns: Return {
                attributes: return_attributes,
                r#type: sig.return_type,
            },
            sentinel,
            r#static: row.flags.contains(MethodAttributes::STATIC),
            r#virtual: row.flags.contains(MethodAttributes::VIRTUAL),
        }))
    }

    fn field(&mut self, rid: u32, row: &FieldRow) -> Result<Field> {
        let blob = self.md.blobs.get(row.signature)?;
        let ty = self.decoder().field_signature(blob)?;
        let token = Token::new(TableId::Field, rid);
        let literal = row.flags.contains(FieldAttributes::LITERAL);
        let constant = if self.full() && row.flags.contains(FieldAttributes::HAS_DEFAULT) {
            self.constant(token)?
        } else {
            None
        };
        Ok(Field {
            attributes: self.attributes(token)?,
            constant,
            init_only: row.flags.contains(FieldAttributes::INIT_ONLY),
            literal,
            name: self.md.strings.get(row.name)?.into_owned(),
            r#static: row.flags.contains(FieldAttributes::STATIC),
            r#type: ty,
        })
    }

    fn accessor(&self, method: u32) -> Result<Option<Accessor>> {
        if method == 0 {
            return Ok(None);
        }
        let row: MethodDefRow = self.md.tables.row(method)?;
        Ok(Some(Accessor {
            r#abstract: row.flags.contains(MethodAttributes::ABSTRACT),
            init_only: false,
            method: self.md.strings.get(row.name)?.into_owned(),
            public: row.flags.is_public(),
            r#static: row.flags.contains(MethodAttributes::STATIC),
        }))
    }

    fn property(&mut self, rid: u32) -> Result<Option<Property>> {
        let getter = self.accessor(self.getters[rid as usize])?;
        let mut setter = self.accessor(self.setters[rid as usize])?;
        let public = |a: &Option<Accessor>| a.as_ref().is_some_and(|a| a.public);
        if !public(&getter) && !public(&setter) {
            return Ok(None);
        }
        let row: PropertyRow = self.md.tables.row(rid)?;
        let blob = self.md.blobs.get(row.signature)?;
        let sig = self.decoder().property_signature(blob)?;
        if let (true, Some(s)) = (self.full(), setter.as_mut()) {
            s.init_only = self.is_init_only(self.setters[rid as usize])?;
        }
        Ok(Some(Property {
            attributes: self.attributes(Token::new(TableId::Property, rid))?,
            getter,
            name: self.md.strings.get(row.name)?.into_owned(),
            params: sig.parameter_types,
            setter,
            r#type: sig.return_type,
        }))
    }

    /// An `init` accessor returns `void modreq(IsExternalInit)`.
    fn is_init_only(&mut self, method: u32) -> Result<bool> {
        let row: MethodDefRow = self.md.tables.row(method)?;
        let blob = self.md.blobs.get(row.signature)?;
        let sig = self.decoder().method_signature(blob)?;
        let mut t = &sig.return_type;
        while let TypeSig::Modified(m, required, inner) = t {
            if *required
                && matches!(&**m, TypeSig::Named(n) if &*n.name == "System.Runtime.CompilerServices.IsExternalInit")
            {
                return Ok(true);
            }
            t = inner;
        }
        Ok(false)
    }

    fn event(&mut self, rid: u32) -> Result<Option<Event>> {
        let Some(add) = self.accessor(self.adders[rid as usize])? else {
            return Ok(None);
        };
        if !add.public {
            return Ok(None);
        }
        let row: EventRow = self.md.tables.row(rid)?;
        if row.event_type.is_null() {
            return Err(self
                .md
                .tables
                .table_error(TableId::Event, rid, "the event has no type"));
        }
        let ty = self.decoder().token(row.event_type, TypeKindHint::Class)?;
        Ok(Some(Event {
            add,
            attributes: self.attributes(Token::new(TableId::Event, rid))?,
            name: self.md.strings.get(row.name)?.into_owned(),
            remove: self.accessor(self.removers[rid as usize])?,
            r#type: ty,
        }))
    }

    fn generic_params(&mut self, owner: Token) -> Result<Vec<GenericParam>> {
        if !self.full() {
            return Ok(Vec::new());
        }
        let rids: Vec<u32> = self.generic_params.get(owner.0).collect();
        let mut out = Vec::with_capacity(rids.len());
        let mut rows = Vec::with_capacity(rids.len());
        for rid in rids {
            rows.push((rid, self.md.tables.row::<GenericParamRow>(rid)?));
        }
        rows.sort_by_key(|(_, r)| r.number);
        for (rid, row) in rows {
            let crids: Vec<u32> = self.constraints.get(rid).collect();
            let mut constraints = Vec::with_capacity(crids.len());
            for c in crids {
                let crow: GenericParamConstraintRow = self.md.tables.row(c)?;
                constraints.push(
                    self.decoder()
                        .token(crow.constraint, TypeKindHint::Unknown)?,
                );
            }
            let f = row.flags;
            out.push(GenericParam {
                allows_ref_struct: f.contains(GenericParamAttributes::ALLOW_BY_REF_LIKE),
                class_constraint: f.contains(GenericParamAttributes::REFERENCE_TYPE_CONSTRAINT),
                constraints,
                default_constructor_constraint: f
                    .contains(GenericParamAttributes::DEFAULT_CONSTRUCTOR_CONSTRAINT),
                name: self.md.strings.get(row.name)?.into_owned(),
                struct_constraint: f
                    .contains(GenericParamAttributes::NOT_NULLABLE_VALUE_TYPE_CONSTRAINT),
                variance: match f.bits() & GenericParamAttributes::VARIANCE_MASK.bits() {
                    1 => Some("covariant".into()),
                    2 => Some("contravariant".into()),
                    _ => None,
                },
            });
        }
        Ok(out)
    }

    fn constant(&self, parent: Token) -> Result<Option<Constant>> {
        let Some(rid) = self.constants.get(parent.0).last() else {
            return Ok(None);
        };
        let row: ConstantRow = self.md.tables.row(rid)?;
        let blob = self.md.blobs.get(row.value)?;
        let mut r = blob.reader(Context::Metadata);
        let kind = (row.kind & 0xFF) as u8;
        let (k, v): (&str, Option<String>) = match kind {
            0x02 => ("bool", Some((r.u8()? != 0).to_string())),
            0x03 => ("char", Some(r.u16()?.to_string())),
            0x04 => ("int8", Some((r.u8()? as i8).to_string())),
            0x05 => ("uint8", Some(r.u8()?.to_string())),
            0x06 => ("int16", Some((r.u16()? as i16).to_string())),
            0x07 => ("uint16", Some(r.u16()?.to_string())),
            0x08 => ("int32", Some((r.u32()? as i32).to_string())),
            0x09 => ("uint32", Some(r.u32()?.to_string())),
            0x0A => ("int64", Some((r.u64()? as i64).to_string())),
            0x0B => ("uint64", Some(r.u64()?.to_string())),
            0x0C => ("float32", Some(format!("{:?}", f32::from_bits(r.u32()?)))),
            0x0D => ("float64", Some(format!("{:?}", f64::from_bits(r.u64()?)))),
            0x0E => ("string", Some(crate::heaps::decode_utf16_lossy(blob.data))),
            0x12 => ("null", None),
            other => {
                return Err(self.md.tables.table_error(
                    TableId::Constant,
                    rid,
                    format!("unknown constant type {other:#04x}"),
                ));
            }
        };
        Ok(Some(Constant {
            kind: k.into(),
            value: v,
        }))
    }

    /// The full name of the type declaring an attribute's constructor.
    fn attribute_type(&self, ctor: Token) -> Result<Option<KnownAttribute>> {
        let parent = match ctor.table() {
            Some(TableId::MethodDef) => {
                let i = self.method_starts.partition_point(|&s| s <= ctor.rid());
                if i == 0 {
                    return Ok(None);
                }
                Token::new(TableId::TypeDef, i as u32)
            }
            Some(TableId::MemberRef) => self.md.tables.row::<MemberRefRow>(ctor.rid())?.class,
            _ => return Ok(None),
        };
        Ok(self
            .names
            .namespace_and_name(parent)?
            .and_then(|(ns, n)| known_attribute(&ns, &n)))
    }

    fn attribute_args(&self, ctor: Token, value: BlobIndex) -> Result<AttributeValue> {
        let sig_blob = match ctor.table() {
            Some(TableId::MethodDef) => self.md.tables.row::<MethodDefRow>(ctor.rid())?.signature,
            _ => self.md.tables.row::<MemberRefRow>(ctor.rid())?.signature,
        };
        let mut provider = ArgTypes { names: &self.names };
        let sig = SignatureDecoder::new(&mut provider, &self.md.tables, &self.md.blobs)
            .method_signature(self.md.blobs.get(sig_blob)?)?;
        let blob = self.md.blobs.get(value)?;
        let params: Option<Vec<ArgType>> = sig.parameter_types.into_iter().collect();
        let params = params.ok_or_else(|| {
            Error::at(
                Context::CustomAttribute,
                blob.offset,
                "the attribute constructor has a parameter type that attributes cannot encode",
            )
        })?;
        // Enum-typed named arguments do not occur in the attributes decoded
        // here; an unknown enum is reported, not guessed.
        decode_attribute(blob, &params, &mut |_| None)
    }

    fn attributes(&mut self, parent: Token) -> Result<Attributes> {
        let mut a = Attributes::default();
        if !self.full() {
            return Ok(a);
        }
        for i in self.custom_attributes.range(parent.0) {
            let rid = self.custom_attributes.at(i);
            let row: CustomAttributeRow = self.md.tables.row(rid)?;
            let Some(known) = self.attribute_type(row.constructor)? else {
                continue;
            };
            use KnownAttribute::*;
            match known {
                Extension => a.extension = true,
                ParamArray => a.param_array = true,
                IsReadOnly => a.is_read_only = true,
                IsByRefLike => a.is_by_ref_like = true,
                Flags => a.flags = true,
                AsyncStateMachine => a.async_state_machine = true,
                Obsolete => {
                    let v = self.attribute_args(row.constructor, row.value)?;
                    let mut o = crate::surface::model::Obsolete::default();
                    if let Some(ArgValue::String(s)) = v.fixed.first() {
                        o.message = s.clone();
                    }
                    if let Some(ArgValue::Boolean(b)) = v.fixed.get(1) {
                        o.error = *b;
                    }
                    for n in v.named {
                        if let ("DiagnosticId", ArgValue::String(s)) = (n.name.as_str(), n.value) {
                            o.diagnostic_id = s;
                        }
                    }
                    a.obsolete = Some(o);
                }
                Nullable => {
                    let v = self.attribute_args(row.constructor, row.value)?;
                    a.nullable = match v.fixed.first() {
                        Some(ArgValue::UInt(b)) => Some(vec![*b as u8]),
                        Some(ArgValue::Array(Some(items))) => Some(
                            items
                                .iter()
                                .map(|i| {
                                    if let ArgValue::UInt(b) = i {
                                        *b as u8
                                    } else {
                                        0
                                    }
                                })
                                .collect(),
                        ),
                        _ => None,
                    };
                }
                NullableContext => {
                    let v = self.attribute_args(row.constructor, row.value)?;
                    if let Some(ArgValue::UInt(b)) = v.fixed.first() {
                        a.nullable_context = Some(*b as u8);
                    }
                }
                TargetFramework | AssemblyMetadata => {}
            }
        }
        Ok(a)
    }

    fn assembly(&mut self, s: &mut Surface) -> Result<()> {
        let t = &self.md.tables;
        if t.len(TableId::Assembly) > 0 {
            let row: AssemblyRow = t.row(1)?;
            let key = self.md.blobs.get(row.public_key)?.data;
            s.assembly = AssemblyIdentity {
                culture: non_empty(self.md.strings.get(row.culture)?),
                name: self.md.strings.get(row.name)?.into_owned(),
                public_key_token: (!key.is_empty()).then(|| public_key_token(key)),
                version: format!(
                    "{}.{}.{}.{}",
                    row.major_version, row.minor_version, row.build_number, row.revision_number
                ),
            };
        } else if t.len(TableId::Module) > 0 {
            let row: ModuleRow = t.row(1)?;
            s.assembly.name = self.md.strings.get(row.name)?.into_owned();
            s.assembly.version = "0.0.0.0".into();
        }
        for (_, row) in t.rows::<AssemblyRefRow>() {
            let row = row?;
            let blob = self.md.blobs.get(row.public_key_or_token)?.data;
            let token = if blob.is_empty() {
                None
            } else if row.flags.contains(AssemblyFlags::PUBLIC_KEY) {
                Some(public_key_token(blob))
            } else {
                Some(hex::encode(blob))
            };
            s.references.push(AssemblyIdentity {
                culture: non_empty(self.md.strings.get(row.culture)?),
                name: self.md.strings.get(row.name)?.into_owned(),
                public_key_token: token,
                version: format!(
                    "{}.{}.{}.{}",
                    row.major_version, row.minor_version, row.build_number, row.revision_number
                ),
            });
        }
        if !self.full() {
            return Ok(());
        }
        self.forwarded_types(s)?;
        if t.len(TableId::Assembly) == 0 {
            return Ok(());
        }
        let rids: Vec<u32> = self
            .custom_attributes
            .get(Token::new(TableId::Assembly, 1).0)
            .collect();
        for rid in rids {
            let row: CustomAttributeRow = t.row(rid)?;
            match self.attribute_type(row.constructor)? {
                Some(KnownAttribute::TargetFramework) => {
                    let v = self.attribute_args(row.constructor, row.value)?;
                    if let Some(ArgValue::String(Some(tf))) = v.fixed.first() {
                        s.target_framework = Some(tf.clone());
                    }
                }
                Some(KnownAttribute::AssemblyMetadata) => {
                    let v = self.attribute_args(row.constructor, row.value)?;
                    if let (Some(ArgValue::String(Some(k))), Some(ArgValue::String(val))) =
                        (v.fixed.first(), v.fixed.get(1))
                    {
                        s.assembly_metadata.push((k.clone(), val.clone()));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl Builder<'_, '_> {
    /// Public type forwarders: ExportedType rows whose implementation chain
    /// ends at an AssemblyRef (nested ones through their enclosing row).
    fn forwarded_types(&self, s: &mut Surface) -> Result<()> {
        let t = &self.md.tables;
        let n = t.len(TableId::ExportedType);
        for rid in 1..=n {
            if let Some(ft) = self.forwarded_type(rid, 0)? {
                s.forwarded_types.push(ft);
            }
        }
        s.forwarded_types
            .sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Ok(())
    }

    fn forwarded_type(&self, rid: u32, depth: u32) -> Result<Option<NamedType>> {
        let t = &self.md.tables;
        if depth > MAX_NESTING {
            return Err(t.table_error(
                TableId::ExportedType,
                rid,
                "implementation chain is cyclic",
            ));
        }
        let row: ExportedTypeRow = t.row(rid)?;
        // Forwarder rows usually carry no visibility: the flag decides.
        let visible = row.flags.contains(TypeAttributes::IS_TYPE_FORWARDER)
            || matches!(row.flags.visibility(), 1 | 2);
        let name = self.md.strings.get(row.name)?;
        let imp = row.implementation;
        match imp.table() {
            Some(TableId::AssemblyRef) if !imp.is_null() && visible => {
                let ar: AssemblyRefRow = t.row(imp.rid())?;
                let ns = self.md.strings.get(row.namespace)?;
                let full: Arc<str> = if ns.is_empty() {
                    name.into()
                } else {
                    format!("{ns}.{name}").into()
                };
                Ok(Some(NamedType {
                    name: full,
                    scope: Some(Arc::from(self.md.strings.get(ar.name)?)),
                    value_type: false,
                }))
            }
            Some(TableId::ExportedType) if !imp.is_null() && visible => Ok(self
                .forwarded_type(imp.rid(), depth + 1)?
                .map(|outer| NamedType {
                    name: format!("{}+{name}", outer.name).into(),
                    ..outer
                })),
            _ => Ok(None),
        }
    }
}

/// Rendered signatures by blob index (or event type by token).
#[derive(Default)]
struct RenderCache {
    methods: U32Map<(u32, Box<str>)>,
    fields: U32Map<Box<str>>,
    properties: U32Map<Box<str>>,
    events: U32Map<Box<str>>,
}

type U32Map<V> = std::collections::HashMap<u32, V, std::hash::BuildHasherDefault<U32Hasher>>;

/// A multiplicative hash for `u32` keys (blob offsets, tokens): far cheaper
/// than SipHash, and the keys come from one file, not from an adversary
/// who could make them collide to any effect beyond slowness.
#[derive(Default)]
struct U32Hasher(u64);

impl std::hash::Hasher for U32Hasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

impl Builder<'_, '_> {
    /// The listing lines of TypeDef `rid`, written without building its model.
    fn listing_lines(
        &mut self,
        rid: u32,
        lines: &mut super::listing::Lines,
        cache: &mut RenderCache,
    ) -> Result<()> {
        use std::fmt::Write;
        let row = self.type_rows[rid as usize - 1];
        let name = self.names.typedef_name(rid)?;
        let kind = self.type_kind(rid, &row)?;
        let start = lines.buf.len();
        push_all(&mut lines.buf, &["T ", kind.as_str(), " ", &name]);
        lines.end_line(start);

        let n_types = self.type_rows.len() as u32;
        let next = (rid < n_types).then(|| self.type_rows[rid as usize]);
        let methods = self.md.list_range(
            TableId::TypeDef,
            rid,
            row.method_list,
            next.map(|r| r.method_list),
            TableId::MethodDef,
        )?;
        for pos in methods.positions() {
            let m = self.md.resolve_list_item(&methods, pos)?;
            let mrow: MethodDefRow = self.md.tables.row(m)?;
            if !mrow.flags.is_public() {
                continue;
            }
            let mname = self.md.strings.get(mrow.name)?;
            if let Entry::Vacant(slot) = cache.methods.entry(mrow.signature.0) {
                let sig = {
                    let blob = self.md.blobs.get(mrow.signature)?;
                    self.decoder().method_signature(blob)?
                };
                let mut text = String::from("(");
                for (i, p) in sig.parameter_types.iter().enumerate() {
                    if i > 0 {
                        text.push(',');
                    }
                    if sig.required_parameter_count == i {
                        text.push_str("...,");
                    }
                    p.write_listing(&mut text);
                }
                text.push_str(") -> ");
                sig.return_type.write_listing(&mut text);
                slot.insert((sig.generic_parameter_count, text.into()));
            }
            let (arity, text) = &cache.methods[&mrow.signature.0];
            let start = lines.buf.len();
            push_all(&mut lines.buf, &["M ", &name, "::", &mname]);
            if *arity > 0 {
                let _ = write!(lines.buf, "``{arity}");
            }
            lines.buf.push_str(text);
            if mrow.flags.contains(MethodAttributes::STATIC) {
                lines.buf.push_str(" static");
            }
            lines.end_line(start);
        }

        let fields = self.md.list_range(
            TableId::TypeDef,
            rid,
            row.field_list,
            next.map(|r| r.field_list),
            TableId::Field,
        )?;
        for pos in fields.positions() {
            let f = self.md.resolve_list_item(&fields, pos)?;
            let frow: FieldRow = self.md.tables.row(f)?;
            if !frow.flags.is_public() {
                continue;
            }
            let fname = self.md.strings.get(frow.name)?;
            if let Entry::Vacant(slot) = cache.fields.entry(frow.signature.0) {
                let ty = {
                    let blob = self.md.blobs.get(frow.signature)?;
                    self.decoder().field_signature(blob)?
                };
                slot.insert(ty.listing().into());
            }
            let start = lines.buf.len();
            push_all(
                &mut lines.buf,
                &[
                    "F ",
                    &name,
                    "::",
                    &fname,
                    " : ",
                    &cache.fields[&frow.signature.0],
                ],
            );
            if frow.flags.contains(FieldAttributes::STATIC) {
                lines.buf.push_str(" static");
            }
            lines.end_line(start);
        }

        if let Some(list) = lookup(&self.property_ranges, rid) {
            for pos in list.positions() {
                let p = self.md.resolve_list_item(&list, pos)?;
                if !self.is_public_method(self.getters[p as usize])?
                    && !self.is_public_method(self.setters[p as usize])?
                {
                    continue;
                }
                let prow: PropertyRow = self.md.tables.row(p)?;
                let pname = self.md.strings.get(prow.name)?;
                if let Entry::Vacant(slot) = cache.properties.entry(prow.signature.0) {
                    let sig = {
                        let blob = self.md.blobs.get(prow.signature)?;
                        self.decoder().property_signature(blob)?
                    };
                    let mut text = String::from("(");
                    for (i, t) in sig.parameter_types.iter().enumerate() {
                        if i > 0 {
                            text.push(',');
                        }
                        t.write_listing(&mut text);
                    }
                    text.push_str(") : ");
                    sig.return_type.write_listing(&mut text);
                    slot.insert(text.into());
                }
                let start = lines.buf.len();
                push_all(
                    &mut lines.buf,
                    &[
                        "P ",
                        &name,
                        "::",
                        &pname,
                        &cache.properties[&prow.signature.0],
                    ],
                );
                lines.end_line(start);
            }
        }

        if let Some(list) = lookup(&self.event_ranges, rid) {
            for pos in list.positions() {
                let e = self.md.resolve_list_item(&list, pos)?;
                if !self.is_public_method(self.adders[e as usize])? {
                    continue;
                }
                let erow: EventRow = self.md.tables.row(e)?;
                if erow.event_type.is_null() {
                    return Err(self.md.tables.table_error(
                        TableId::Event,
                        e,
                        "the event has no type",
                    ));
                }
                let ename = self.md.strings.get(erow.name)?;
                if let Entry::Vacant(slot) = cache.events.entry(erow.event_type.0) {
                    let ty = self.decoder().token(erow.event_type, TypeKindHint::Class)?;
                    slot.insert(ty.listing().into());
                }
                let start = lines.buf.len();
                push_all(
                    &mut lines.buf,
                    &[
                        "E ",
                        &name,
                        "::",
                        &ename,
                        " : ",
                        &cache.events[&erow.event_type.0],
                    ],
                );
                lines.end_line(start);
            }
        }
        Ok(())
    }

    /// Whether MethodDef `method` (0 = none) is public.
    fn is_public_method(&self, method: u32) -> Result<bool> {
        if method == 0 {
            return Ok(false);
        }
        let row: MethodDefRow = self.md.tables.row(method)?;
        Ok(row.flags.is_public())
    }
}

fn push_all(buf: &mut String, parts: &[&str]) {
    for p in parts {
        buf.push_str(p);
    }
}

fn lookup(ranges: &[(u32, MemberList)], rid: u32) -> Option<MemberList> {
    let i = ranges.partition_point(|e| e.0 < rid);
    ranges.get(i).filter(|e| e.0 == rid).map(|e| e.1)
}

fn non_empty(s: Cow<'_, str>) -> Option<String> {
    (!s.is_empty()).then(|| s.into_owned())
}

/// The last 8 bytes of the SHA-1 of the public key, reversed (II.6.2.1.3).
fn public_key_token(key: &[u8]) -> String {
    let digest = Sha1::digest(key);
    let mut token: Vec<u8> = digest[digest.len() - 8..].to_vec();
    token.reverse();
    hex::encode(token)
}
