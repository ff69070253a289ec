//! What is known about types by name, across several surfaces.
//!
//! A signature says whether a named type is a value type (VALUETYPE) or not,
//! but not whether a value type from another assembly is an enum or a
//! struct, nor whether a class is a delegate. The binder asks a
//! [`TypeUniverse`] built from the surface being bound plus, as context, the
//! surfaces of the assemblies it references (e.g. the .NET 8 shared
//! framework). When a type is in no surface the rules of [`TypeUniverse::kind_of`]
//! apply (documented in docs/bindings.md, "Missing context").

use std::collections::HashMap;
use std::sync::Arc;

use ecma335::surface::{Surface, TypeDef, TypeKind, TypeSig};

/// What the binder needs to know about one type definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeInfo {
    pub kind: TypeKind,
    pub enum_underlying: Option<TypeSig>,
    pub by_ref_like: bool,
    pub is_abstract: bool,
    pub generic_arity: usize,
    /// The assembly whose surface defines the type.
    pub assembly: Arc<str>,
}

impl TypeInfo {
    fn of(t: &TypeDef, assembly: &Arc<str>) -> Self {
        TypeInfo {
            kind: t.kind,
            enum_underlying: t.enum_underlying.clone(),
            by_ref_like: t.attributes.is_by_ref_like,
            is_abstract: t.r#abstract,
            generic_arity: t.generic_params.len(),
            assembly: assembly.clone(),
        }
    }
}

/// Types by full name (`Ns.Outer+Inner`, generic names with their backtick
/// arity). The first surface added wins for a name defined twice, so the
/// surface being bound comes first, then its context.
#[derive(Clone, Debug, Default)]
pub struct TypeUniverse {
    types: HashMap<Arc<str>, TypeInfo>,
    assemblies: Vec<Arc<str>>,
}

/// Delegate types of the base library that are recognised by name when no
/// context surface defines them.
const WELL_KNOWN_DELEGATES: &[&str] = &[
    "System.Action",
    "System.AsyncCallback",
    "System.Comparison`1",
    "System.Converter`2",
    "System.EventHandler",
    "System.EventHandler`1",
    "System.Predicate`1",
    "System.Threading.ThreadStart",
    "System.Threading.ParameterizedThreadStart",
    "System.Threading.TimerCallback",
    "System.Threading.WaitCallback",
];

impl TypeUniverse {
    pub fn new() -> Self {
        Self::default()
    }

    /// A universe of `primary` followed by `context`.
    pub fn with_context<'a>(
        primary: &Surface,
        context: impl IntoIterator<Item = &'a Surface>,
    ) -> Self {
        let mut u = TypeUniverse::new();
        u.add(primary);
        for s in context {
            u.add(s);
        }
        u
    }

    pub fn add(&mut self, surface: &Surface) {
        let asm: Arc<str> = surface.assembly.name.as_str().into();
        self.assemblies.push(asm.clone());
        for t in &surface.types {
            self.types
                .entry(t.name.clone())
                .or_insert_with(|| TypeInfo::of(t, &asm));
        }
    }

    /// The assemblies whose surfaces were added, in order.
    pub fn assemblies(&self) -> &[Arc<str>] {
        &self.assemblies
    }

    pub fn get(&self, name: &str) -> Option<&TypeInfo> {
        self.types.get(name)
    }

    /// The kind of a named type: from a surface when one defines it; else
    /// `Delegate` for the well-known delegates (`System.Action`1`..`16`,
    /// `System.Func`1`..`17` and [`WELL_KNOWN_DELEGATES`]), `Class` for a
    /// reference type and `None` for a value type (an enum and a struct
    /// cannot be told apart from a signature).
    pub fn kind_of(&self, name: &str, value_type: bool) -> Option<TypeKind> {
        if let Some(t) = self.types.get(name) {
            return Some(t.kind);
        }
        if value_type {
            return None;
        }
        if is_well_known_delegate(name) {
            return Some(TypeKind::Delegate);
        }
        Some(TypeKind::Class)
    }

    pub fn is_by_ref_like(&self, name: &str) -> bool {
        self.types.get(name).is_some_and(|t| t.by_ref_like)
    }
}

pub fn is_well_known_delegate(name: &str) -> bool {
    if WELL_KNOWN_DELEGATES.contains(&name) {
        return true;
    }
    for prefix in ["System.Action`", "System.Func`"] {
        if let Some(n) = name.strip_prefix(prefix) {
            return n.parse::<u32>().is_ok();
        }
    }
    false
}
