//! The closed CLR → Mochi type table (docs/bindings.md, "The type table").
//! A type outside it is a [`Skip`] naming the reason and the type.

use std::fmt;

use ecma335::surface::{TypeKind, TypeSig};
use serde::{Deserialize, Serialize};

use crate::skip::{Skip, SkipReason};
use crate::universe::TypeUniverse;

/// A type of the Mochi side, before handle types are given their Mochi names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MochiType {
    Int,
    Int64,
    Float,
    String,
    Bool,
    Unit,
    Any,
    List(Box<MochiType>),
    Map(Box<MochiType>, Box<MochiType>),
    Optional(Box<MochiType>),
    /// An opaque handle, by the CLR type's listing form.
    Handle(String),
    /// A function `fun(A, B): R`: a .NET delegate parameter the caller
    /// supplies as a native callback (docs/hosting.md, "Callbacks").
    Fun(Vec<MochiType>, Box<MochiType>),
}

impl MochiType {
    /// `T?`, never `T??`.
    pub fn optional(self) -> MochiType {
        match self {
            MochiType::Optional(_) => self,
            other => MochiType::Optional(Box::new(other)),
        }
    }

    /// Renders with `name` giving each handle type its Mochi name.
    pub fn render(&self, name: &dyn Fn(&str) -> String) -> String {
        match self {
            MochiType::Int => "int".into(),
            MochiType::Int64 => "int64".into(),
            MochiType::Float => "float".into(),
            MochiType::String => "string".into(),
            MochiType::Bool => "bool".into(),
            MochiType::Unit => "unit".into(),
            MochiType::Any => "any".into(),
            MochiType::List(e) => format!("list<{}>", e.render(name)),
            MochiType::Map(k, v) => format!("map<{}, {}>", k.render(name), v.render(name)),
            MochiType::Optional(t) => format!("{}?", t.render(name)),
            MochiType::Handle(h) => name(h),
            MochiType::Fun(ps, r) => format!(
                "fun({}): {}",
                ps.iter()
                    .map(|p| p.render(name))
                    .collect::<Vec<_>>()
                    .join(", "),
                r.render(name)
            ),
        }
    }

    pub fn visit_handles(&self, f: &mut dyn FnMut(&str)) {
        match self {
            MochiType::List(e) | MochiType::Optional(e) => e.visit_handles(f),
            MochiType::Map(k, v) => {
                k.visit_handles(f);
                v.visit_handles(f);
            }
            MochiType::Handle(h) => f(h),
            MochiType::Fun(ps, r) => {
                for p in ps {
                    p.visit_handles(f);
                }
                r.visit_handles(f);
            }
            _ => {}
        }
    }
}

impl fmt::Display for MochiType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&|h| h.to_string()))
    }
}

/// How a scalar without a Mochi counterpart is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScalarEncoding {
    /// `System.Guid` as `string`, format "D" (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower case).
    GuidD,
    /// `System.Uri` as `string`: `OriginalString` out, `new Uri(s, UriKind.RelativeOrAbsolute)` in.
    UriString,
    /// `System.DateTime` as `string`, ISO-8601 round-trip format "O" (the Kind is kept:
    /// `Z` for UTC, an offset for Local, none for Unspecified).
    DateTimeIso8601,
    /// `System.DateTimeOffset` as `string`, ISO-8601 round-trip format "O".
    DateTimeOffsetIso8601,
    /// `System.TimeSpan` as `int64` ticks (100 ns units), exact.
    TimeSpanTicks,
    /// `System.Decimal` as `string` in the invariant culture ("G"), exact.
    DecimalString,
}

impl ScalarEncoding {
    pub fn mochi(self) -> MochiType {
        match self {
            ScalarEncoding::TimeSpanTicks => MochiType::Int64,
            _ => MochiType::String,
        }
    }

    fn of(name: &str) -> Option<ScalarEncoding> {
        Some(match name {
            "System.Guid" => ScalarEncoding::GuidD,
            "System.Uri" => ScalarEncoding::UriString,
            "System.DateTime" => ScalarEncoding::DateTimeIso8601,
            "System.DateTimeOffset" => ScalarEncoding::DateTimeOffsetIso8601,
            "System.TimeSpan" => ScalarEncoding::TimeSpanTicks,
            "System.Decimal" => ScalarEncoding::DecimalString,
            _ => return None,
        })
    }
}

/// Which collection a `list<T>` or `map<K,V>` stands for: the shim builds
/// this on the way in and copies from it on the way out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Collection {
    Array,
    List,
    IList,
    IReadOnlyList,
    ICollection,
    IReadOnlyCollection,
    IEnumerable,
    HashSet,
    ISet,
    IReadOnlySet,
    Dictionary,
    IDictionary,
    IReadOnlyDictionary,
}

const LIST_LIKE: &[(&str, Collection)] = &[
    ("System.Collections.Generic.List`1", Collection::List),
    ("System.Collections.Generic.IList`1", Collection::IList),
    (
        "System.Collections.Generic.IReadOnlyList`1",
        Collection::IReadOnlyList,
    ),
    (
        "System.Collections.Generic.ICollection`1",
        Collection::ICollection,
    ),
    (
        "System.Collections.Generic.IReadOnlyCollection`1",
        Collection::IReadOnlyCollection,
    ),
    (
        "System.Collections.Generic.IEnumerable`1",
        Collection::IEnumerable,
    ),
    ("System.Collections.Generic.HashSet`1", Collection::HashSet),
    ("System.Collections.Generic.ISet`1", Collection::ISet),
    (
        "System.Collections.Generic.IReadOnlySet`1",
        Collection::IReadOnlySet,
    ),
];

const MAP_LIKE: &[(&str, Collection)] = &[
    (
        "System.Collections.Generic.Dictionary`2",
        Collection::Dictionary,
    ),
    (
        "System.Collections.Generic.IDictionary`2",
        Collection::IDictionary,
    ),
    (
        "System.Collections.Generic.IReadOnlyDictionary`2",
        Collection::IReadOnlyDictionary,
    ),
];

const REF_STRUCTS: &[&str] = &[
    "System.Span`1",
    "System.ReadOnlySpan`1",
    "System.Memory`1",
    "System.ReadOnlyMemory`1",
];

/// The ABI marshalling of one value (docs/bindings.md, "ABI"). Integers of
/// every width cross as `int64_t` and are narrowed with a checked conversion
/// by the shim; the variant names the CLR width.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Marshal {
    Unit,
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    ISize,
    USize,
    F32,
    F64,
    /// `System.Char` as a one-UTF-16-unit string (UTF-8 across).
    Char,
    Utf8String,
    /// `System.Object`: a GCHandle to the (boxed) object.
    Any,
    /// A GCHandle to an object of the named CLR type (structs are boxed).
    Handle(String),
    /// An enum crossing as its underlying integer.
    Enum {
        r#type: String,
        underlying: Box<Marshal>,
    },
    Scalar(ScalarEncoding),
    List {
        collection: Collection,
        elem: Box<Marshal>,
    },
    Map {
        collection: Collection,
        key: Box<Marshal>,
        value: Box<Marshal>,
    },
    /// `null` ↔ Mochi's absent value.
    Optional(Box<Marshal>),
    /// A delegate parameter made from a native callback `(fn, ctx, release)`:
    /// the delegate type, and the CLR type and marshalling of each parameter
    /// and of the result of its `Invoke` (docs/hosting.md, "Callbacks").
    Callback {
        r#type: String,
        params: Vec<CallbackValue>,
        returns: Box<CallbackValue>,
    },
}

/// One parameter (or the result) of a callback's delegate.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CallbackValue {
    /// Listing form, type parameters substituted.
    pub clr_type: String,
    pub marshal: Marshal,
}

/// One mapped type: the Mochi type and its marshalling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapped {
    pub mochi: MochiType,
    pub marshal: Marshal,
}

impl Mapped {
    fn new(mochi: MochiType, marshal: Marshal) -> Self {
        Mapped { mochi, marshal }
    }

    fn optional(self) -> Self {
        match self.marshal {
            Marshal::Optional(_) => self,
            m => Mapped::new(self.mochi.optional(), Marshal::Optional(Box::new(m))),
        }
    }
}

/// Where a type occurs; a few rows of the table depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    Param,
    Return,
    /// Inside a list, map or optional.
    Element,
}

/// Reads NullableAttribute bytes in the C# compiler's order (Roslyn's
/// nullable-metadata.md): a preorder walk where a reference type or array
/// takes one byte, then its type arguments or element; a non-generic value
/// type takes none; a generic value type takes one (0) then its arguments;
/// `Nullable<T>` takes only T's bytes; a type parameter takes one. One byte
/// stands for every position; no attribute means the NullableContext byte;
/// no context means oblivious (0).
#[derive(Clone, Debug)]
pub struct NullableCursor {
    bytes: Vec<u8>,
    pos: usize,
    default: u8,
}

impl NullableCursor {
    pub fn new(nullable: Option<&[u8]>, context: Option<u8>) -> Self {
        NullableCursor {
            bytes: nullable.map(<[u8]>::to_vec).unwrap_or_default(),
            pos: 0,
            default: context.unwrap_or(0),
        }
    }

    /// The flag for the next position: 0 oblivious, 1 not null, 2 nullable.
    pub fn next_flag(&mut self) -> u8 {
        match self.bytes.len() {
            0 => self.default,
            1 => self.bytes[0],
            _ => {
                let b = self.bytes.get(self.pos).copied().unwrap_or(0);
                self.pos += 1;
                b
            }
        }
    }
}

/// Maps signatures through the table, with type parameters substituted by a
/// monomorphised instantiation.
pub struct TypeMapper<'u> {
    pub universe: &'u TypeUniverse,
    /// Substitutions for `!n` (type) and `!!n` (method) parameters.
    pub type_args: Vec<TypeSig>,
    pub method_args: Vec<TypeSig>,
}

impl TypeMapper<'_> {
    /// Maps `ty` at `pos`; `cur` supplies the nullability flags.
    pub fn map(
        &self,
        ty: &TypeSig,
        cur: &mut NullableCursor,
        pos: Position,
    ) -> Result<Mapped, Skip> {
        self.map_inner(ty, cur, pos, None)
    }

    fn map_inner(
        &self,
        ty: &TypeSig,
        cur: &mut NullableCursor,
        pos: Position,
        top: Option<u8>,
    ) -> Result<Mapped, Skip> {
        // A reference type's own flag: forced for a substituted type parameter.
        let flag = |cur: &mut NullableCursor| top.unwrap_or_else(|| cur.next_flag());
        let nullable_ref = |m: Mapped, b: u8| if b == 2 { m.optional() } else { m };
        match ty {
            TypeSig::Modified(_, _, inner) | TypeSig::Pinned(inner) => {
                self.map_inner(inner, cur, pos, top)
            }
            TypeSig::ByRef(inner) => Err(Skip::new(
                SkipReason::Byref,
                format!("by-reference type {}", inner.listing()),
            )),
            TypeSig::Pointer(_) => Err(Skip::new(
                SkipReason::Pointer,
                format!("pointer type {}", ty.listing()),
            )),
            TypeSig::FnPtr(_) => Err(Skip::new(
                SkipReason::FunctionPointer,
                "function pointer type".to_string(),
            )),
            TypeSig::Var(n) => match self.type_args.get(*n as usize) {
                Some(arg) => {
                    let b = flag(cur);
                    let mut fresh = NullableCursor::new(None, Some(1));
                    self.map_inner(&arg.clone(), &mut fresh, pos, Some(b))
                }
                None => Err(Skip::new(
                    SkipReason::UnconcretisedGeneric,
                    format!("type parameter !{n} without an instantiation"),
                )),
            },
            TypeSig::MVar(n) => match self.method_args.get(*n as usize) {
                Some(arg) => {
                    let b = flag(cur);
                    let mut fresh = NullableCursor::new(None, Some(1));
                    self.map_inner(&arg.clone(), &mut fresh, pos, Some(b))
                }
                None => Err(Skip::new(
                    SkipReason::UnconcretisedGeneric,
                    format!("method type parameter !!{n} without an instantiation"),
                )),
            },
            TypeSig::Primitive(name) => {
                let m = |t, k| Ok(Mapped::new(t, k));
                match &**name {
                    "System.Void" => m(MochiType::Unit, Marshal::Unit),
                    "System.Boolean" => m(MochiType::Bool, Marshal::Bool),
                    "System.Char" => m(MochiType::String, Marshal::Char),
                    "System.SByte" => m(MochiType::Int, Marshal::I8),
                    "System.Byte" => m(MochiType::Int, Marshal::U8),
                    "System.Int16" => m(MochiType::Int, Marshal::I16),
                    "System.UInt16" => m(MochiType::Int, Marshal::U16),
                    "System.Int32" => m(MochiType::Int, Marshal::I32),
                    "System.UInt32" => m(MochiType::Int, Marshal::U32),
                    "System.Int64" => m(MochiType::Int64, Marshal::I64),
                    "System.UInt64" => m(MochiType::Int64, Marshal::U64),
                    "System.IntPtr" => m(MochiType::Int64, Marshal::ISize),
                    "System.UIntPtr" => m(MochiType::Int64, Marshal::USize),
                    "System.Single" => m(MochiType::Float, Marshal::F32),
                    "System.Double" => m(MochiType::Float, Marshal::F64),
                    "System.String" => {
                        let b = flag(cur);
                        Ok(nullable_ref(
                            Mapped::new(MochiType::String, Marshal::Utf8String),
                            b,
                        ))
                    }
                    "System.Object" => {
                        let b = flag(cur);
                        Ok(nullable_ref(Mapped::new(MochiType::Any, Marshal::Any), b))
                    }
                    "System.TypedReference" => Err(Skip::new(
                        SkipReason::RefStruct,
                        "System.TypedReference is a ref struct".to_string(),
                    )),
                    other => Err(unsupported(other)),
                }
            }
            TypeSig::Named(n) => {
                let b = if n.value_type { 1 } else { flag(cur) };
                let mapped = self.map_named(&n.name, n.value_type, n.scope.as_deref(), pos)?;
                // A callback is never optional: a null delegate is function pointer 0.
                if matches!(mapped.marshal, Marshal::Callback { .. }) {
                    return Ok(mapped);
                }
                Ok(nullable_ref(mapped, b))
            }
            TypeSig::SzArray(elem) => {
                let b = flag(cur);
                let e = self.map_inner(elem, cur, Position::Element, None)?;
                check_element(&e, ty)?;
                let m = Mapped::new(
                    MochiType::List(Box::new(e.mochi)),
                    Marshal::List {
                        collection: Collection::Array,
                        elem: Box::new(e.marshal),
                    },
                );
                Ok(nullable_ref(m, b))
            }
            TypeSig::Array(_, rank) => Err(Skip::new(
                SkipReason::UnsupportedType,
                format!("multi-dimensional array {} (rank {rank})", ty.listing()),
            )),
            TypeSig::Generic(base, args) => self.map_generic(ty, base, args, cur, pos, top),
        }
    }

    fn map_named(
        &self,
        name: &str,
        value_type: bool,
        scope: Option<&str>,
        pos: Position,
    ) -> Result<Mapped, Skip> {
        if let Some(enc) = ScalarEncoding::of(name) {
            return Ok(Mapped::new(enc.mochi(), Marshal::Scalar(enc)));
        }
        match name {
            "System.Threading.CancellationToken" => {
                return Err(Skip::new(
                    SkipReason::CancellationToken,
                    "System.Threading.CancellationToken without a default".to_string(),
                ));
            }
            "System.Threading.Tasks.Task" | "System.Threading.Tasks.ValueTask" => {
                return if pos == Position::Return {
                    Ok(Mapped::new(MochiType::Unit, Marshal::Unit))
                } else {
                    Err(unsupported_at(name, "outside a return"))
                };
            }
            "System.Delegate" | "System.MulticastDelegate" => {
                return Err(delegate(name));
            }
            "System.Void" => return Ok(Mapped::new(MochiType::Unit, Marshal::Unit)),
            "System.ArgIterator" | "System.RuntimeArgumentHandle" => {
                return Err(Skip::new(
                    SkipReason::RefStruct,
                    format!("{name} is a ref struct"),
                ));
            }
            _ => {}
        }
        if let Some(prim) = primitive_of_named(name) {
            return self.map(
                &TypeSig::Primitive(prim.into()),
                &mut NullableCursor::new(None, Some(1)),
                pos,
            );
        }
        match self.universe.kind_of(name, value_type) {
            Some(TypeKind::Delegate) if pos == Position::Param => self.callback(name, &[]),
            Some(TypeKind::Delegate) => Err(delegate(name)),
            Some(TypeKind::Enum) => {
                let underlying = self
                    .universe
                    .get(name)
                    .and_then(|t| t.enum_underlying.clone())
                    .unwrap_or(TypeSig::Primitive("System.Int32".into()));
                let u = self.map(
                    &underlying,
                    &mut NullableCursor::new(None, Some(1)),
                    Position::Element,
                )?;
                Ok(Mapped::new(
                    u.mochi,
                    Marshal::Enum {
                        r#type: name.to_string(),
                        underlying: Box::new(u.marshal),
                    },
                ))
            }
            Some(TypeKind::Struct) if self.universe.is_by_ref_like(name) => Err(Skip::new(
                SkipReason::RefStruct,
                format!("{name} is a ref struct (IsByRefLike)"),
            )),
            Some(_) => Ok(Mapped::new(
                MochiType::Handle(name.to_string()),
                Marshal::Handle(name.to_string()),
            )),
            None => Err(Skip::new(
                SkipReason::UnsupportedType,
                format!(
                    "value type {name}{}: enum or struct is unknown without the surface of its assembly (bind with the framework as context)",
                    scope.map(|s| format!(" from {s}")).unwrap_or_default()
                ),
            )),
        }
    }

    fn map_generic(
        &self,
        ty: &TypeSig,
        base: &TypeSig,
        args: &[TypeSig],
        cur: &mut NullableCursor,
        pos: Position,
        top: Option<u8>,
    ) -> Result<Mapped, Skip> {
        let TypeSig::Named(b) = base.unmodified() else {
            return Err(unsupported(&ty.listing()));
        };
        let name = &*b.name;
        let own = |cur: &mut NullableCursor| -> u8 {
            if b.value_type {
                cur.next_flag(); // a generic value type's explicit 0
                1
            } else {
                top.unwrap_or_else(|| cur.next_flag())
            }
        };
        let nullable_ref = |m: Mapped, f: u8| if f == 2 { m.optional() } else { m };
        if name == "System.Nullable`1" && args.len() == 1 {
            let inner = self.map_inner(&args[0], cur, Position::Element, None)?;
            return Ok(inner.optional());
        }
        if REF_STRUCTS.contains(&name) || self.universe.is_by_ref_like(name) {
            return Err(Skip::new(
                SkipReason::RefStruct,
                format!("{} is a ref struct or span-like type", ty.listing()),
            ));
        }
        if matches!(
            name,
            "System.Threading.Tasks.Task`1" | "System.Threading.Tasks.ValueTask`1"
        ) && args.len() == 1
        {
            if pos != Position::Return {
                return Err(unsupported_at(&ty.listing(), "outside a return"));
            }
            own(cur);
            return self
                .map_inner(&args[0], cur, Position::Return, None)
                .and_then(|m| {
                    if m.mochi == MochiType::Unit {
                        Err(unsupported(&ty.listing()))
                    } else {
                        Ok(m)
                    }
                });
        }
        if let Some(&(_, coll)) = LIST_LIKE.iter().find(|(n, _)| *n == name)
            && args.len() == 1
        {
            let f = own(cur);
            let e = self.map_inner(&args[0], cur, Position::Element, None)?;
            check_element(&e, ty)?;
            let m = Mapped::new(
                MochiType::List(Box::new(e.mochi)),
                Marshal::List {
                    collection: coll,
                    elem: Box::new(e.marshal),
                },
            );
            return Ok(nullable_ref(m, f));
        }
        if let Some(&(_, coll)) = MAP_LIKE.iter().find(|(n, _)| *n == name)
            && args.len() == 2
        {
            let f = own(cur);
            let mut k = self.map_inner(&args[0], cur, Position::Element, None)?;
            // Dictionaries reject null keys at run time: a `K?` annotation is moot.
            if let (MochiType::Optional(inner), Marshal::Optional(m)) = (&k.mochi, &k.marshal) {
                k = Mapped::new((**inner).clone(), (**m).clone());
            }
            let key_ok = matches!(
                k.mochi,
                MochiType::String | MochiType::Int | MochiType::Int64
            ) && !matches!(
                k.marshal,
                Marshal::Enum { .. } | Marshal::Scalar(_) | Marshal::Char
            );
            if !key_ok {
                return Err(Skip::new(
                    SkipReason::UnsupportedType,
                    format!(
                        "{}: map keys must be strings or integers, not {}",
                        ty.listing(),
                        args[0].listing()
                    ),
                ));
            }
            let v = self.map_inner(&args[1], cur, Position::Element, None)?;
            check_element(&v, ty)?;
            let m = Mapped::new(
                MochiType::Map(Box::new(k.mochi), Box::new(v.mochi)),
                Marshal::Map {
                    collection: coll,
                    key: Box::new(k.marshal),
                    value: Box::new(v.marshal),
                },
            );
            return Ok(nullable_ref(m, f));
        }
        match self.universe.kind_of(name, b.value_type) {
            Some(TypeKind::Delegate) if pos == Position::Param => {
                own(cur);
                let mut concrete = Vec::with_capacity(args.len());
                for a in args {
                    concrete.push(self.substitute(a)?);
                    skip_walk(a, cur);
                }
                return self.callback(name, &concrete);
            }
            Some(TypeKind::Delegate) => return Err(delegate(&ty.listing())),
            None if b.value_type => {
                return Err(Skip::new(
                    SkipReason::UnsupportedType,
                    format!(
                        "generic value type {}: unknown without the surface of its assembly",
                        ty.listing()
                    ),
                ));
            }
            _ => {}
        }
        if name.starts_with("System.Threading.Tasks.") {
            return Err(unsupported(&ty.listing()));
        }
        // Any other closed instantiation is an opaque handle; its arguments
        // must be concrete (and are walked to keep the cursor aligned).
        let f = own(cur);
        let mut concrete = Vec::with_capacity(args.len());
        for a in args {
            concrete.push(self.substitute(a)?);
            skip_walk(a, cur);
        }
        let inst = TypeSig::Generic(Box::new(base.clone()), concrete).listing();
        let m = Mapped::new(MochiType::Handle(inst.clone()), Marshal::Handle(inst));
        Ok(nullable_ref(m, f))
    }

    /// A delegate parameter as a callback: its `Invoke` signature (the
    /// `Func`/`Action` family, `Predicate`, `Comparison` and `Converter` by
    /// name; other delegates from a surface that defines them), each value
    /// one the callback ABI carries (numbers, booleans, strings and the
    /// string-encoded scalars, enums, objects), the result also `unit`.
    fn callback(&self, name: &str, args: &[TypeSig]) -> Result<Mapped, Skip> {
        let listing = if args.is_empty() {
            name.to_string()
        } else {
            TypeSig::Generic(
                Box::new(TypeSig::Named(ecma335::surface::NamedType {
                    name: name.into(),
                    scope: None,
                    value_type: false,
                })),
                args.to_vec(),
            )
            .listing()
        };
        let prim = |n: &str| TypeSig::Primitive(n.into());
        let (params, ret): (Vec<TypeSig>, TypeSig) = match name.split('`').next().unwrap_or(name) {
            "System.Func" if !args.is_empty() => (
                args[..args.len() - 1].to_vec(),
                args[args.len() - 1].clone(),
            ),
            "System.Action" => (args.to_vec(), prim("System.Void")),
            "System.Predicate" if args.len() == 1 => (args.to_vec(), prim("System.Boolean")),
            "System.Comparison" if args.len() == 1 => {
                (vec![args[0].clone(), args[0].clone()], prim("System.Int32"))
            }
            "System.Converter" if args.len() == 2 => (vec![args[0].clone()], args[1].clone()),
            _ => {
                let Some((ps, r)) = self
                    .universe
                    .get(name)
                    .and_then(|t| t.delegate_invoke.clone())
                else {
                    return Err(Skip::new(
                        SkipReason::DelegateParameter,
                        format!(
                            "delegate type {listing}: its Invoke signature is unknown without the surface of its assembly"
                        ),
                    ));
                };
                let inner = TypeMapper {
                    universe: self.universe,
                    type_args: args.to_vec(),
                    method_args: Vec::new(),
                };
                let mut sub = Vec::with_capacity(ps.len());
                for p in &ps {
                    sub.push(inner.substitute(p)?);
                }
                (sub, inner.substitute(&r)?)
            }
        };
        let outside = |what: String| {
            Skip::new(
                SkipReason::DelegateParameter,
                format!("delegate type {listing}: {what} is outside the callback table"),
            )
        };
        let mut values = Vec::with_capacity(params.len());
        let mut mochi = Vec::with_capacity(params.len());
        for p in &params {
            if matches!(p.unmodified(), TypeSig::ByRef(_)) {
                return Err(outside(format!("by-reference parameter {}", p.listing())));
            }
            let m = self
                .map(p, &mut NullableCursor::new(None, Some(1)), Position::Param)
                .map_err(|s| outside(format!("parameter {} ({})", p.listing(), s.detail)))?;
            if !callback_value(&m.marshal) {
                return Err(outside(format!("parameter {} ({})", p.listing(), m.mochi)));
            }
            mochi.push(m.mochi);
            values.push(CallbackValue {
                clr_type: p.listing(),
                marshal: m.marshal,
            });
        }
        let is_task = matches!(ret.unmodified(), TypeSig::Named(n) if n.name.starts_with("System.Threading.Tasks."))
            || matches!(ret.unmodified(), TypeSig::Generic(b, _) if b.listing().starts_with("System.Threading.Tasks."));
        if is_task {
            return Err(outside(format!(
                "the asynchronous result {}",
                ret.listing()
            )));
        }
        let r = self
            .map(
                &ret,
                &mut NullableCursor::new(None, Some(1)),
                Position::Return,
            )
            .map_err(|s| outside(format!("result {} ({})", ret.listing(), s.detail)))?;
        if r.marshal != Marshal::Unit && !callback_value(&r.marshal) {
            return Err(outside(format!("result {} ({})", ret.listing(), r.mochi)));
        }
        Ok(Mapped::new(
            MochiType::Fun(mochi, Box::new(r.mochi)),
            Marshal::Callback {
                r#type: listing,
                params: values,
                returns: Box::new(CallbackValue {
                    clr_type: ret.listing(),
                    marshal: r.marshal,
                }),
            },
        ))
    }

    /// `ty` with type parameters replaced; an unsubstituted one is a skip.
    pub fn substitute(&self, ty: &TypeSig) -> Result<TypeSig, Skip> {
        Ok(match ty {
            TypeSig::Var(n) => self.type_args.get(*n as usize).cloned().ok_or_else(|| {
                Skip::new(
                    SkipReason::UnconcretisedGeneric,
                    format!("type parameter !{n} without an instantiation"),
                )
            })?,
            TypeSig::MVar(n) => self.method_args.get(*n as usize).cloned().ok_or_else(|| {
                Skip::new(
                    SkipReason::UnconcretisedGeneric,
                    format!("method type parameter !!{n} without an instantiation"),
                )
            })?,
            TypeSig::Generic(b, args) => TypeSig::Generic(
                Box::new(self.substitute(b)?),
                args.iter()
                    .map(|a| self.substitute(a))
                    .collect::<Result<_, _>>()?,
            ),
            TypeSig::SzArray(e) => TypeSig::SzArray(Box::new(self.substitute(e)?)),
            TypeSig::Array(e, r) => TypeSig::Array(Box::new(self.substitute(e)?), *r),
            TypeSig::ByRef(e) => TypeSig::ByRef(Box::new(self.substitute(e)?)),
            TypeSig::Pointer(e) => TypeSig::Pointer(Box::new(self.substitute(e)?)),
            TypeSig::Modified(m, r, e) => {
                TypeSig::Modified(m.clone(), *r, Box::new(self.substitute(e)?))
            }
            TypeSig::Pinned(e) => TypeSig::Pinned(Box::new(self.substitute(e)?)),
            other => other.clone(),
        })
    }
}

/// Values a callback's parameters and result may be: one native slot each
/// (a string is one `(ptr, len)` pair); no collections, value optionals or
/// nested callbacks.
fn callback_value(m: &Marshal) -> bool {
    match m {
        Marshal::Optional(inner) => {
            matches!(
                **inner,
                Marshal::Utf8String | Marshal::Any | Marshal::Handle(_)
            ) || matches!(&**inner, Marshal::Scalar(ScalarEncoding::UriString))
        }
        Marshal::Unit | Marshal::List { .. } | Marshal::Map { .. } | Marshal::Callback { .. } => {
            false
        }
        _ => true,
    }
}

/// Consumes the nullability bytes of `ty` without mapping it.
pub fn skip_walk(ty: &TypeSig, cur: &mut NullableCursor) {
    match ty {
        TypeSig::Modified(_, _, e) | TypeSig::Pinned(e) | TypeSig::ByRef(e) => skip_walk(e, cur),
        TypeSig::Primitive(n) => {
            if matches!(&**n, "System.String" | "System.Object") {
                cur.next_flag();
            }
        }
        TypeSig::Named(n) => {
            if !n.value_type {
                cur.next_flag();
            }
        }
        TypeSig::SzArray(e) | TypeSig::Array(e, _) => {
            cur.next_flag();
            skip_walk(e, cur);
        }
        TypeSig::Generic(b, args) => {
            let nullable_value =
                matches!(b.unmodified(), TypeSig::Named(n) if &*n.name == "System.Nullable`1");
            if !nullable_value {
                cur.next_flag();
            }
            for a in args {
                skip_walk(a, cur);
            }
        }
        TypeSig::Var(_) | TypeSig::MVar(_) => {
            cur.next_flag();
        }
        TypeSig::Pointer(e) => skip_walk(e, cur),
        TypeSig::FnPtr(_) => {}
    }
}

/// Elements must be values the ABI can put in an array.
fn check_element(e: &Mapped, ty: &TypeSig) -> Result<(), Skip> {
    if e.mochi == MochiType::Unit {
        return Err(unsupported(&ty.listing()));
    }
    Ok(())
}

/// `System.Int32` and friends written as a named type (e.g. in a
/// monomorphise argument or as a declaring type) are the primitives.
pub fn primitive_of_named(name: &str) -> Option<&'static str> {
    Some(match name {
        "System.Boolean" => "System.Boolean",
        "System.Char" => "System.Char",
        "System.SByte" => "System.SByte",
        "System.Byte" => "System.Byte",
        "System.Int16" => "System.Int16",
        "System.UInt16" => "System.UInt16",
        "System.Int32" => "System.Int32",
        "System.UInt32" => "System.UInt32",
        "System.Int64" => "System.Int64",
        "System.UInt64" => "System.UInt64",
        "System.Single" => "System.Single",
        "System.Double" => "System.Double",
        "System.String" => "System.String",
        "System.IntPtr" => "System.IntPtr",
        "System.UIntPtr" => "System.UIntPtr",
        "System.Object" => "System.Object",
        "System.TypedReference" => "System.TypedReference",
        _ => return None,
    })
}

fn unsupported(name: &str) -> Skip {
    Skip::new(
        SkipReason::UnsupportedType,
        format!("type {name} is outside the table"),
    )
}

fn unsupported_at(name: &str, why: &str) -> Skip {
    Skip::new(SkipReason::UnsupportedType, format!("type {name} {why}"))
}

fn delegate(name: &str) -> Skip {
    Skip::new(
        SkipReason::DelegateParameter,
        format!("delegate type {name}"),
    )
}
