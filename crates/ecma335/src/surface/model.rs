//! The public surface of one assembly: the data contract the binder, the
//! lockfile and the shim generator consume. Field names are declared in
//! alphabetical order of their JSON keys, so the derived serialisation is the
//! canonical one (sorted keys); empty and default values are omitted.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Version of the JSON schema below (documented in docs/surface-schema.md).
pub const SCHEMA_VERSION: u32 = 1;

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Surface {
    pub assembly: AssemblyIdentity,
    /// AssemblyMetadataAttribute pairs (e.g. `IsAotCompatible`), in metadata order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assembly_metadata: Vec<(String, Option<String>)>,
    /// Public types this assembly forwards to another (ExportedType rows
    /// whose implementation is an AssemblyRef), sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forwarded_types: Vec<NamedType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<AssemblyIdentity>,
    pub schema: u32,
    /// TargetFrameworkAttribute's framework name (e.g. `.NETCoreApp,Version=v8.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_framework: Option<String>,
    pub types: Vec<TypeDef>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AssemblyIdentity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub culture: Option<String>,
    pub name: String,
    /// Lower-case hex of the 8-byte public key token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_token: Option<String>,
    /// `major.minor.build.revision`.
    pub version: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TypeKind {
    Class,
    Interface,
    Struct,
    Enum,
    Delegate,
}

impl TypeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TypeKind::Class => "class",
            TypeKind::Interface => "interface",
            TypeKind::Struct => "struct",
            TypeKind::Enum => "enum",
            TypeKind::Delegate => "delegate",
        }
    }
}

/// Binding-relevant custom attributes, decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Attributes {
    /// AsyncStateMachineAttribute: the method is `async`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub async_state_machine: bool,
    /// ExtensionAttribute: an extension method (or a class holding them).
    #[serde(default, skip_serializing_if = "is_false")]
    pub extension: bool,
    /// FlagsAttribute on an enum.
    #[serde(default, skip_serializing_if = "is_false")]
    pub flags: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_by_ref_like: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_read_only: bool,
    /// NullableAttribute flags (0 oblivious, 1 not null, 2 nullable), one per
    /// reference type in the signature, or a single value for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullable: Option<Vec<u8>>,
    /// NullableContextAttribute: the default for members without `nullable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullable_context: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obsolete: Option<Obsolete>,
    /// ParamArrayAttribute (`params T[]`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub param_array: bool,
}

impl Attributes {
    pub fn is_empty(&self) -> bool {
        *self == Attributes::default()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Obsolete {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostic_id: Option<String>,
    /// `true` when using the member is a compile error.
    #[serde(default, skip_serializing_if = "is_false")]
    pub error: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TypeDef {
    #[serde(default, skip_serializing_if = "is_false")]
    pub r#abstract: bool,
    #[serde(default, skip_serializing_if = "Attributes::is_empty")]
    pub attributes: Attributes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<TypeSig>,
    /// The underlying integer type of an enum (from its `value__` field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_underlying: Option<TypeSig>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generic_params: Vec<GenericParam>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<TypeSig>,
    pub kind: TypeKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<Method>,
    /// `Namespace.Name`, nested types `Outer+Inner` (the listing's type name).
    pub name: Arc<str>,
    /// Namespace of the type (of the outermost type when nested).
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub sealed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct GenericParam {
    #[serde(default, skip_serializing_if = "is_false")]
    pub allows_ref_struct: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub class_constraint: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<TypeSig>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub default_constructor_constraint: bool,
    pub name: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub struct_constraint: bool,
    /// `covariant` (out) or `contravariant` (in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variance: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Method {
    #[serde(default, skip_serializing_if = "is_false")]
    pub r#abstract: bool,
    /// Generic parameter count of the signature (the listing's `` ``n ``).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub arity: u32,
    #[serde(default, skip_serializing_if = "Attributes::is_empty")]
    pub attributes: Attributes,
    /// Calling convention when not `default` (e.g. `vararg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calling_convention: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generic_params: Vec<GenericParam>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Param>,
    pub returns: Return,
    /// Position of the vararg sentinel among `params`, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentinel: Option<u32>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub r#static: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub r#virtual: bool,
}

impl Method {
    pub fn is_constructor(&self) -> bool {
        self.name == ".ctor"
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Return {
    #[serde(default, skip_serializing_if = "Attributes::is_empty")]
    pub attributes: Attributes,
    pub r#type: TypeSig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Param {
    #[serde(default, skip_serializing_if = "Attributes::is_empty")]
    pub attributes: Attributes,
    /// The default value of an optional parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Constant>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub r#in: bool,
    pub name: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub out: bool,
    pub r#type: TypeSig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Field {
    #[serde(default, skip_serializing_if = "Attributes::is_empty")]
    pub attributes: Attributes,
    /// The value of a literal (`const`) field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constant: Option<Constant>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub init_only: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub literal: bool,
    pub name: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub r#static: bool,
    pub r#type: TypeSig,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Property {
    #[serde(default, skip_serializing_if = "Attributes::is_empty")]
    pub attributes: Attributes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub getter: Option<Accessor>,
    pub name: String,
    /// Indexer parameters (from the property signature; names from the getter or setter).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<TypeSig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setter: Option<Accessor>,
    pub r#type: TypeSig,
}

/// A property or event accessor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Accessor {
    #[serde(default, skip_serializing_if = "is_false")]
    pub r#abstract: bool,
    /// A setter that is `init` only (modreq IsExternalInit on its return).
    #[serde(default, skip_serializing_if = "is_false")]
    pub init_only: bool,
    /// The accessor method's name (`get_Item`, `add_Changed`, ...).
    pub method: String,
    /// Whether the accessor itself is public (a property may have one public
    /// and one non-public accessor).
    #[serde(default, skip_serializing_if = "is_false")]
    pub public: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub r#static: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Event {
    pub add: Accessor,
    #[serde(default, skip_serializing_if = "Attributes::is_empty")]
    pub attributes: Attributes,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove: Option<Accessor>,
    pub r#type: TypeSig,
}

/// A constant: field literal or parameter default (II.22.9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Constant {
    /// `bool`, `char`, `int8`..`uint64`, `float32`, `float64`, `string`, `null`.
    pub kind: String,
    /// Decimal integers, Rust-formatted floats (`NaN`, `inf`), the string, or
    /// absent for `null`. Chars are their UTF-16 code unit in decimal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A type as it appears in a signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum TypeSig {
    /// `System.Int32`, `System.String`, ... (the primitive element types).
    Primitive(Arc<str>),
    /// A class, interface, struct, enum or delegate by name.
    Named(NamedType),
    /// `Base<args>`.
    Generic(Box<TypeSig>, Vec<TypeSig>),
    SzArray(Box<TypeSig>),
    /// A general array: element and rank.
    Array(Box<TypeSig>, u32),
    ByRef(Box<TypeSig>),
    Pointer(Box<TypeSig>),
    FnPtr(Box<FnPtrSig>),
    /// `!n`: generic parameter of the enclosing type.
    Var(u32),
    /// `!!n`: generic parameter of the method.
    MVar(u32),
    /// A custom modifier: (modifier type, required, modified type).
    Modified(Box<TypeSig>, bool, Box<TypeSig>),
    Pinned(Box<TypeSig>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct NamedType {
    /// `Namespace.Name` / `Outer+Inner`, as in the listing.
    pub name: Arc<str>,
    /// The defining assembly (AssemblyRef name) or module; absent when the
    /// type is defined in this assembly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Arc<str>>,
    /// The signature said VALUETYPE.
    #[serde(default, skip_serializing_if = "is_false")]
    pub value_type: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FnPtrSig {
    /// `default`, `c`, `stdcall`, `thiscall`, `fastcall`, `vararg`, `unmanaged`.
    pub calling_convention: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub has_this: bool,
    pub params: Vec<TypeSig>,
    pub returns: TypeSig,
}

impl TypeSig {
    /// Strips custom modifiers and `pinned` at the top level.
    pub fn unmodified(&self) -> &TypeSig {
        match self {
            TypeSig::Modified(_, _, inner) | TypeSig::Pinned(inner) => inner.unmodified(),
            other => other,
        }
    }

    /// Writes the listing form of the type (docs/surface-listing.md): modifiers
    /// and `pinned` dropped.
    pub fn write_listing(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            TypeSig::Primitive(n) => out.push_str(n),
            TypeSig::Named(n) => out.push_str(&n.name),
            TypeSig::Generic(base, args) => {
                base.write_listing(out);
                out.push('<');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    a.write_listing(out);
                }
                out.push('>');
            }
            TypeSig::SzArray(e) => {
                e.write_listing(out);
                out.push_str("[]");
            }
            TypeSig::Array(e, rank) => {
                e.write_listing(out);
                out.push('[');
                if *rank == 1 {
                    out.push('*');
                } else {
                    for _ in 1..*rank {
                        out.push(',');
                    }
                }
                out.push(']');
            }
            TypeSig::ByRef(e) => {
                e.write_listing(out);
                out.push('&');
            }
            TypeSig::Pointer(e) => {
                e.write_listing(out);
                out.push('*');
            }
            TypeSig::FnPtr(_) => out.push_str("fnptr"),
            TypeSig::Var(n) => {
                let _ = write!(out, "!{n}");
            }
            TypeSig::MVar(n) => {
                let _ = write!(out, "!!{n}");
            }
            TypeSig::Modified(_, _, inner) | TypeSig::Pinned(inner) => inner.write_listing(out),
        }
    }

    /// The listing form as a new string.
    pub fn listing(&self) -> String {
        let mut s = String::new();
        self.write_listing(&mut s);
        s
    }
}
