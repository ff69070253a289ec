//! Signature blobs (ECMA-335 II.23.2), decoded through a caller-supplied
//! [`TypeProvider`], in the manner of System.Reflection.Metadata's
//! `ISignatureTypeProvider`. Recursion is bounded by [`MAX_DEPTH`].

use crate::error::{Context, Result};
use crate::heaps::{Blob, BlobHeap, BlobIndex};
use crate::reader::Reader;
use crate::tables::{TableId, Tables, Token, TypeSpecRow};

/// Deepest nesting of type elements (and nested type specs) accepted. Real
/// signatures nest a dozen levels at most. The bound keeps the canonical
/// surface JSON readable back (serde_json stops at 128 levels, and a generic
/// instantiation nests three JSON levels per type level: 256 allowed 60-deep
/// generics whose JSON `Surface::from_json` refused) and the stack small
/// (an unoptimised build spends about 4 KiB a level).
pub const MAX_DEPTH: u32 = 32;

/// Most type elements one signature may decode through the TypeSpec rows its
/// custom modifiers name: TypeSpecs naming each other twice per row double
/// the work per row, so depth alone does not bound it.
pub const MAX_TYPE_SPEC_ELEMENTS: u32 = 1 << 14;

/// Highest array rank accepted (the runtime's limit); the listing spells a
/// rank out, so an unchecked one would be sized from the blob's claim.
pub const MAX_ARRAY_RANK: u32 = 32;

/// Most elements pre-allocated from a count in the blob; more grow as they
/// are actually decoded, so a false count costs nothing.
const PREALLOCATE: usize = 64;

/// Primitive element types (II.23.1.16).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrimitiveType {
    Void,
    Boolean,
    Char,
    SByte,
    Byte,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Single,
    Double,
    String,
    TypedReference,
    IntPtr,
    UIntPtr,
    Object,
}

impl PrimitiveType {
    pub fn from_element_type(b: u8) -> Option<Self> {
        use PrimitiveType::*;
        Some(match b {
            0x01 => Void,
            0x02 => Boolean,
            0x03 => Char,
            0x04 => SByte,
            0x05 => Byte,
            0x06 => Int16,
            0x07 => UInt16,
            0x08 => Int32,
            0x09 => UInt32,
            0x0A => Int64,
            0x0B => UInt64,
            0x0C => Single,
            0x0D => Double,
            0x0E => String,
            0x16 => TypedReference,
            0x18 => IntPtr,
            0x19 => UIntPtr,
            0x1C => Object,
            _ => return None,
        })
    }

    /// The type's name in the `System` namespace (`Int32`, `String`, ...).
    pub fn name(self) -> &'static str {
        use PrimitiveType::*;
        match self {
            Void => "Void",
            Boolean => "Boolean",
            Char => "Char",
            SByte => "SByte",
            Byte => "Byte",
            Int16 => "Int16",
            UInt16 => "UInt16",
            Int32 => "Int32",
            UInt32 => "UInt32",
            Int64 => "Int64",
            UInt64 => "UInt64",
            Single => "Single",
            Double => "Double",
            String => "String",
            TypedReference => "TypedReference",
            IntPtr => "IntPtr",
            UIntPtr => "UIntPtr",
            Object => "Object",
        }
    }

    /// `System.<name>`.
    pub fn full_name(self) -> &'static str {
        use PrimitiveType::*;
        match self {
            Void => "System.Void",
            Boolean => "System.Boolean",
            Char => "System.Char",
            SByte => "System.SByte",
            Byte => "System.Byte",
            Int16 => "System.Int16",
            UInt16 => "System.UInt16",
            Int32 => "System.Int32",
            UInt32 => "System.UInt32",
            Int64 => "System.Int64",
            UInt64 => "System.UInt64",
            Single => "System.Single",
            Double => "System.Double",
            String => "System.String",
            TypedReference => "System.TypedReference",
            IntPtr => "System.IntPtr",
            UIntPtr => "System.UIntPtr",
            Object => "System.Object",
        }
    }
}

/// Whether a CLASS/VALUETYPE element announced a value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeKindHint {
    Class,
    ValueType,
    /// The type came from somewhere that does not say (e.g. a bare token).
    Unknown,
}

/// Calling convention and flags of a signature header (II.23.2.1–3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignatureHeader(pub u8);

impl SignatureHeader {
    pub const DEFAULT: u8 = 0x0;
    pub const C: u8 = 0x1;
    pub const STDCALL: u8 = 0x2;
    pub const THISCALL: u8 = 0x3;
    pub const FASTCALL: u8 = 0x4;
    pub const VARARG: u8 = 0x5;
    pub const UNMANAGED: u8 = 0x9;
    pub const FIELD: u8 = 0x6;
    pub const LOCAL_SIG: u8 = 0x7;
    pub const PROPERTY: u8 = 0x8;
    pub const GENERIC_INST: u8 = 0xA;
    pub const GENERIC: u8 = 0x10;
    pub const HAS_THIS: u8 = 0x20;
    pub const EXPLICIT_THIS: u8 = 0x40;

    pub fn kind(self) -> u8 {
        self.0 & 0x0F
    }
    pub fn is_generic(self) -> bool {
        self.0 & Self::GENERIC != 0
    }
    pub fn has_this(self) -> bool {
        self.0 & Self::HAS_THIS != 0
    }
    pub fn explicit_this(self) -> bool {
        self.0 & Self::EXPLICIT_THIS != 0
    }
    pub fn is_vararg(self) -> bool {
        self.kind() == Self::VARARG
    }
}

/// The shape of a general (ARRAY) array.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ArrayShape {
    pub rank: u32,
    pub sizes: Vec<u32>,
    pub lower_bounds: Vec<i32>,
}

/// A decoded method (or property) signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MethodSignature<T> {
    pub header: SignatureHeader,
    pub generic_parameter_count: u32,
    pub return_type: T,
    pub parameter_types: Vec<T>,
    /// Parameters before the vararg sentinel; equals `parameter_types.len()`
    /// when there is none.
    pub required_parameter_count: usize,
}

/// Builds the caller's representation of types while a signature is decoded.
pub trait TypeProvider {
    type Type;

    fn primitive(&mut self, ty: PrimitiveType) -> Self::Type;
    /// A TypeDef row of this module.
    fn type_def(&mut self, rid: u32, hint: TypeKindHint) -> Result<Self::Type>;
    /// A TypeRef row of this module.
    fn type_ref(&mut self, rid: u32, hint: TypeKindHint) -> Result<Self::Type>;
    fn generic_instantiation(&mut self, generic: Self::Type, args: Vec<Self::Type>) -> Self::Type;
    fn sz_array(&mut self, element: Self::Type) -> Self::Type;
    fn array(&mut self, element: Self::Type, shape: ArrayShape) -> Self::Type;
    fn by_ref(&mut self, element: Self::Type) -> Self::Type;
    fn pointer(&mut self, element: Self::Type) -> Self::Type;
    fn pinned(&mut self, element: Self::Type) -> Self::Type;
    fn modified(
        &mut self,
        modifier: Self::Type,
        unmodified: Self::Type,
        required: bool,
    ) -> Self::Type;
    fn generic_type_parameter(&mut self, index: u32) -> Self::Type;
    fn generic_method_parameter(&mut self, index: u32) -> Self::Type;
    fn function_pointer(&mut self, signature: MethodSignature<Self::Type>) -> Self::Type;
}

/// Decodes signatures of one module; TypeSpec tokens met inside a signature
/// are followed (depth-bounded) through the TypeSpec table.
pub struct SignatureDecoder<'a, 'data, P> {
    pub provider: &'a mut P,
    tables: &'a Tables<'data>,
    blobs: &'a BlobHeap<'data>,
    /// TypeSpec rows being expanded, innermost last.
    expanding: Vec<u32>,
    /// Type elements decoded inside TypeSpec expansions of this signature.
    spec_elements: u32,
}

impl<'a, 'data, P: TypeProvider> SignatureDecoder<'a, 'data, P> {
    pub fn new(provider: &'a mut P, tables: &'a Tables<'data>, blobs: &'a BlobHeap<'data>) -> Self {
        SignatureDecoder {
            provider,
            tables,
            blobs,
            expanding: Vec::new(),
            spec_elements: 0,
        }
    }

    /// Starts the TypeSpec expansion budget of one signature.
    fn begin(&mut self) {
        self.expanding.clear();
        self.spec_elements = 0;
    }

    /// MethodDefSig, MethodRefSig or StandAloneMethodSig (II.23.2.1–3).
    pub fn method_signature(&mut self, blob: Blob<'data>) -> Result<MethodSignature<P::Type>> {
        self.begin();
        let mut r = blob.reader(Context::Signature);
        self.method_signature_from(&mut r, 0)
    }

    /// FieldSig (II.23.2.4).
    pub fn field_signature(&mut self, blob: Blob<'data>) -> Result<P::Type> {
        self.begin();
        let mut r = blob.reader(Context::Signature);
        let header = r.u8()?;
        if header & 0x0F != SignatureHeader::FIELD {
            return Err(r.error(format_args!(
                "expected a field signature (0x06), found header {header:#04x}"
            )));
        }
        self.type_(&mut r, 0)
    }

    /// PropertySig (II.23.2.5).
    pub fn property_signature(&mut self, blob: Blob<'data>) -> Result<MethodSignature<P::Type>> {
        self.begin();
        let mut r = blob.reader(Context::Signature);
        let at = r.offset();
        let header = SignatureHeader(r.u8()?);
        if header.kind() != SignatureHeader::PROPERTY {
            return Err(crate::Error::at(
                Context::Signature,
                at,
                format_args!(
                    "expected a property signature (0x08), found header {:#04x}",
                    header.0
                ),
            ));
        }
        let count = self.counted(&mut r, "parameters")?;
        let return_type = self.type_(&mut r, 0)?;
        let mut params = Vec::with_capacity(count.min(PREALLOCATE));
        for _ in 0..count {
            params.push(self.type_(&mut r, 0)?);
        }
        Ok(MethodSignature {
            header,
            generic_parameter_count: 0,
            return_type,
            required_parameter_count: params.len(),
            parameter_types: params,
        })
    }

    /// TypeSpec (II.23.2.14).
    pub fn type_spec(&mut self, blob: Blob<'data>) -> Result<P::Type> {
        self.begin();
        let mut r = blob.reader(Context::Signature);
        self.type_(&mut r, 0)
    }

    /// MethodSpec (II.23.2.15): the generic arguments.
    pub fn method_spec(&mut self, blob: Blob<'data>) -> Result<Vec<P::Type>> {
        self.begin();
        let mut r = blob.reader(Context::Signature);
        let header = r.u8()?;
        if header != SignatureHeader::GENERIC_INST {
            return Err(r.error(format_args!(
                "expected a method spec (0x0a), found header {header:#04x}"
            )));
        }
        let count = self.counted(&mut r, "generic arguments")?;
        let mut args = Vec::with_capacity(count.min(PREALLOCATE));
        for _ in 0..count {
            args.push(self.type_(&mut r, 0)?);
        }
        Ok(args)
    }

    /// LocalVarSig (II.23.2.6).
    pub fn local_signature(&mut self, blob: Blob<'data>) -> Result<Vec<P::Type>> {
        self.begin();
        let mut r = blob.reader(Context::Signature);
        let header = r.u8()?;
        if header != SignatureHeader::LOCAL_SIG {
            return Err(r.error(format_args!(
                "expected a local signature (0x07), found header {header:#04x}"
            )));
        }
        let count = self.counted(&mut r, "locals")?;
        let mut locals = Vec::with_capacity(count.min(PREALLOCATE));
        for _ in 0..count {
            locals.push(self.type_(&mut r, 0)?);
        }
        Ok(locals)
    }

    /// A count that must be justified by the bytes left (one per item at least).
    fn counted(&mut self, r: &mut Reader<'data>, what: &str) -> Result<usize> {
        let at = r.offset();
        let n = r.compressed_u32()? as usize;
        if n > r.remaining() {
            return Err(crate::Error::at(
                Context::Signature,
                at,
                format_args!(
                    "{n} {what} declared but only {} bytes follow",
                    r.remaining()
                ),
            ));
        }
        Ok(n)
    }

    fn method_signature_from(
        &mut self,
        r: &mut Reader<'data>,
        depth: u32,
    ) -> Result<MethodSignature<P::Type>> {
        let at = r.offset();
        let header = SignatureHeader(r.u8()?);
        match header.kind() {
            SignatureHeader::DEFAULT
            | SignatureHeader::C
            | SignatureHeader::STDCALL
            | SignatureHeader::THISCALL
            | SignatureHeader::FASTCALL
            | SignatureHeader::VARARG
            | SignatureHeader::UNMANAGED => {}
            _ => {
                return Err(crate::Error::at(
                    Context::Signature,
                    at,
                    format_args!(
                        "expected a method signature, found header {:#04x}",
                        header.0
                    ),
                ));
            }
        }
        let generic_parameter_count = if header.is_generic() {
            r.compressed_u32()?
        } else {
            0
        };
        let count = self.counted(r, "parameters")?;
        let return_type = self.type_(r, depth + 1)?;
        let mut params = Vec::with_capacity(count.min(PREALLOCATE));
        let mut required = None;
        for i in 0..count {
            if r.peek_u8()? == 0x41 {
                if required.is_some() {
                    return Err(r.error("a second vararg sentinel"));
                }
                r.u8()?;
                required = Some(i);
            }
            params.push(self.type_(r, depth + 1)?);
        }
        Ok(MethodSignature {
            header,
            generic_parameter_count,
            return_type,
            required_parameter_count: required.unwrap_or(params.len()),
            parameter_types: params,
        })
    }

    fn type_def_or_ref(
        &mut self,
        r: &mut Reader<'data>,
        hint: TypeKindHint,
        depth: u32,
    ) -> Result<P::Type> {
        let at = r.offset();
        let coded = r.compressed_u32()?;
        let rid = coded >> 2;
        match coded & 3 {
            0 => self.provider.type_def(rid, hint),
            1 => self.provider.type_ref(rid, hint),
            // Only a custom modifier may name a TypeSpec (II.23.2.7, as the
            // CLR and System.Reflection.Metadata read it).
            2 if hint != TypeKindHint::Unknown => Err(crate::Error::at(
                Context::Signature,
                at,
                format_args!(
                    "CLASS, VALUETYPE or GENERICINST names TypeSpec {rid}; only a TypeDef or TypeRef may appear there"
                ),
            )),
            2 => {
                if self.expanding.contains(&rid) {
                    return Err(crate::Error::at(
                        Context::Signature,
                        at,
                        format_args!("TypeSpec row {rid} refers to itself (a TypeSpec cycle)"),
                    ));
                }
                let row: TypeSpecRow = self.tables.row(rid)?;
                self.expanding.push(rid);
                let t = self.type_spec_at(row.signature, depth + 1);
                self.expanding.pop();
                t
            }
            _ => Err(crate::Error::at(
                Context::Signature,
                at,
                format_args!("TypeDefOrRefOrSpecEncoded {coded:#x} has the invalid tag 3"),
            )),
        }
    }

    fn type_spec_at(&mut self, index: BlobIndex, depth: u32) -> Result<P::Type> {
        let blob = self.blobs.get(index)?;
        let mut r = blob.reader(Context::Signature);
        self.type_(&mut r, depth)
    }

    /// Decodes the TypeSpec row `rid` (for tokens found outside signatures).
    pub fn type_spec_row(&mut self, rid: u32) -> Result<P::Type> {
        self.begin();
        let row: TypeSpecRow = self.tables.row(rid)?;
        self.type_spec_at(row.signature, 0)
    }

    /// Resolves a TypeDefOrRef token (TypeDef, TypeRef or TypeSpec).
    pub fn token(&mut self, token: Token, hint: TypeKindHint) -> Result<P::Type> {
        self.begin();
        match token.table() {
            Some(TableId::TypeDef) => self.provider.type_def(token.rid(), hint),
            Some(TableId::TypeRef) => self.provider.type_ref(token.rid(), hint),
            Some(TableId::TypeSpec) => self.type_spec_row(token.rid()),
            _ => Err(self.tables.table_error(
                TableId::TypeSpec,
                token.rid(),
                format!("{token:?} is not a type"),
            )),
        }
    }

    fn type_(&mut self, r: &mut Reader<'data>, depth: u32) -> Result<P::Type> {
        if depth > MAX_DEPTH {
            return Err(r.error(format_args!("type nesting deeper than {MAX_DEPTH} levels")));
        }
        if !self.expanding.is_empty() {
            self.spec_elements += 1;
            if self.spec_elements > MAX_TYPE_SPEC_ELEMENTS {
                return Err(r.error(format_args!(
                    "TypeSpec expansion exceeds {MAX_TYPE_SPEC_ELEMENTS} type elements (TypeSpec rows that name each other)"
                )));
            }
        }
        let at = r.offset();
        let b = r.u8()?;
        if let Some(p) = PrimitiveType::from_element_type(b) {
            return Ok(self.provider.primitive(p));
        }
        let d = depth + 1;
        Ok(match b {
            0x0F => {
                let inner = self.type_(r, d)?;
                self.provider.pointer(inner)
            }
            0x10 => {
                let inner = self.type_(r, d)?;
                self.provider.by_ref(inner)
            }
            0x11 => self.type_def_or_ref(r, TypeKindHint::ValueType, d)?,
            0x12 => self.type_def_or_ref(r, TypeKindHint::Class, d)?,
            0x13 => {
                let n = r.compressed_u32()?;
                self.provider.generic_type_parameter(n)
            }
            // Composite elements decode in their own frames, so the frame
            // repeated per nesting level stays small: unoptimised builds give
            // every temporary of every arm its own stack slot (8 KiB a level
            // before this split, 4 KiB after).
            0x14 => self.array_type(r, d)?,
            0x15 => self.generic_instantiation(r, d)?,
            0x1B => self.function_pointer(r, d)?,
            0x1D => {
                let inner = self.type_(r, d)?;
                self.provider.sz_array(inner)
            }
            0x1E => {
                let n = r.compressed_u32()?;
                self.provider.generic_method_parameter(n)
            }
            0x1F | 0x20 => self.modified(r, b == 0x1F, d)?,
            0x45 => {
                let inner = self.type_(r, d)?;
                self.provider.pinned(inner)
            }
            other => return Err(bad_element_type(at, other)),
        })
    }

    #[inline(never)]
    fn function_pointer(&mut self, r: &mut Reader<'data>, d: u32) -> Result<P::Type> {
        let sig = self.method_signature_from(r, d)?;
        Ok(self.provider.function_pointer(sig))
    }

    #[inline(never)]
    fn modified(&mut self, r: &mut Reader<'data>, required: bool, d: u32) -> Result<P::Type> {
        let modifier = self.type_def_or_ref(r, TypeKindHint::Unknown, d)?;
        let inner = self.type_(r, d)?;
        Ok(self.provider.modified(modifier, inner, required))
    }

    #[inline(never)]
    fn array_type(&mut self, r: &mut Reader<'data>, d: u32) -> Result<P::Type> {
        let element = self.type_(r, d)?;
        let rank_at = r.offset();
        let rank = r.compressed_u32()?;
        if rank == 0 {
            return Err(r.error("array of rank 0"));
        }
        if rank > MAX_ARRAY_RANK {
            return Err(crate::Error::at(
                Context::Signature,
                rank_at,
                format_args!("array rank {rank} is above the runtime's limit of {MAX_ARRAY_RANK}"),
            ));
        }
        let n_sizes = self.counted(r, "array sizes")?;
        let mut sizes = Vec::with_capacity(n_sizes.min(PREALLOCATE));
        for _ in 0..n_sizes {
            sizes.push(r.compressed_u32()?);
        }
        let n_bounds = self.counted(r, "array lower bounds")?;
        let mut lower_bounds = Vec::with_capacity(n_bounds.min(PREALLOCATE));
        for _ in 0..n_bounds {
            lower_bounds.push(r.compressed_i32()?);
        }
        Ok(self.provider.array(
            element,
            ArrayShape {
                rank,
                sizes,
                lower_bounds,
            },
        ))
    }

    #[inline(never)]
    fn generic_instantiation(&mut self, r: &mut Reader<'data>, d: u32) -> Result<P::Type> {
        let kind_at = r.offset();
        let hint = match r.u8()? {
            0x11 => TypeKindHint::ValueType,
            0x12 => TypeKindHint::Class,
            other => {
                return Err(crate::Error::at(
                    Context::Signature,
                    kind_at,
                    format_args!(
                        "GENERICINST must be followed by CLASS or VALUETYPE, found {other:#04x}"
                    ),
                ));
            }
        };
        let generic = self.type_def_or_ref(r, hint, d)?;
        let count = self.counted(r, "generic arguments")?;
        if count == 0 {
            return Err(r.error("generic instantiation with no arguments"));
        }
        let mut args = Vec::with_capacity(count.min(PREALLOCATE));
        for _ in 0..count {
            args.push(self.type_(r, d)?);
        }
        Ok(self.provider.generic_instantiation(generic, args))
    }
}

#[cold]
fn bad_element_type(at: u64, element: u8) -> crate::Error {
    let message = if element == 0x41 {
        "vararg sentinel outside a method's parameter list".to_string()
    } else {
        format!("unknown element type {element:#04x}")
    };
    crate::Error::at(Context::Signature, at, message)
}
