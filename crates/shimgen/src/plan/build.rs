//! The builder of the binding plan: walks the surface, translates each member
//! through the type table (`crate::typemap`) or records why it is skipped, then
//! names the entry points and aliases (`finish`). Surface in, plan out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ecma335::surface::{
    Attributes, Constant, Field, Method, NamedType, Param, Property, Surface, TypeDef, TypeKind,
    TypeSig,
};

use crate::mono::{self, Instantiations};
use crate::names::{mochi_ident, nested_type_name, short_hash, snake};
use crate::skip::{Skip, SkipReason, SkipReport, SkippedItem};
use crate::typemap::{
    Marshal, MochiType, NullableCursor, Position, TypeMapper, primitive_of_named,
};
use crate::universe::TypeUniverse;

use super::model::*;

/// Builds the plan of `surface`; `universe` must contain `surface` (first) and
/// may hold referenced assemblies' surfaces as context.
pub fn build_plan(
    surface: &Surface,
    universe: &TypeUniverse,
    options: &BindOptions,
) -> Result<BindingPlan, PlanError> {
    let insts = mono::parse(&options.monomorphise, universe)?;
    let mut b = Builder {
        surface,
        universe,
        insts: &insts,
        by_name: surface.types.iter().map(|t| (&*t.name, t)).collect(),
        drafts: Vec::new(),
        skipped: Vec::new(),
        views: BTreeMap::new(),
    };
    let mut warnings = insts.warnings.clone();
    let known: BTreeSet<String> = b.known_generic_keys();
    for key in options.monomorphise.keys() {
        if !known.contains(key) {
            warnings.push(format!(
                "[dotnet.monomorphise] `{key}` names no generic type or method of {}",
                surface.assembly.name
            ));
        }
    }
    for t in &surface.types {
        b.type_def(t);
    }
    b.conversions();
    let package = if options.package.is_empty() {
        package_name(&options.package_id)
    } else {
        snake(&options.package)
    };
    let Builder {
        drafts, skipped, ..
    } = b;
    Ok(finish(
        surface, universe, options, package, drafts, skipped, warnings,
    ))
}

// ---------------------------------------------------------------------------
// Drafts: translated items before names are given.

#[derive(Clone, Debug)]
struct Value {
    clr: String,
    mochi: MochiType,
    marshal: Marshal,
}

#[derive(Clone, Debug)]
struct ParamDraft {
    name: Option<String>,
    clr_name: String,
    clr: String,
    mochi: Option<MochiType>,
    marshal: Marshal,
    pass: Pass,
    omitted: bool,
    default: Option<Constant>,
    param_array: bool,
}

#[derive(Clone, Debug)]
struct Draft {
    kind: ItemKind,
    target: DotnetTarget,
    /// The declaring type whose Mochi name prefixes the entry point.
    type_key: TypeSig,
    receiver: Option<Value>,
    params: Vec<ParamDraft>,
    returns: Value,
    from: ReturnFrom,
    is_async: bool,
    extension: bool,
    obsolete: Option<String>,
    value: Option<ConstPlan>,
    source: String,
    /// Entry-point member part (lower-snake) and alias member part.
    member_snake: String,
    member_alias: String,
    /// Suffix used only on collision, derived from the parameter types.
    suffix: String,
}

impl Draft {
    /// Calls `f` with every handle type the item's receiver, return and
    /// parameters mention.
    fn visit_handles(&self, f: &mut impl FnMut(&str)) {
        if let Some(r) = &self.receiver {
            r.mochi.visit_handles(f);
        }
        self.returns.mochi.visit_handles(f);
        for p in &self.params {
            if let Some(m) = &p.mochi {
                m.visit_handles(f);
            }
        }
    }
}

/// One bound view of a type: the type itself, or one instantiation of a generic type.
struct View<'s> {
    def: &'s TypeDef,
    sig: TypeSig,
    args: Vec<TypeSig>,
}

impl View<'_> {
    fn listing(&self) -> String {
        self.sig.listing()
    }
}

struct Builder<'s> {
    surface: &'s Surface,
    universe: &'s TypeUniverse,
    insts: &'s Instantiations,
    by_name: HashMap<&'s str, &'s TypeDef>,
    drafts: Vec<Draft>,
    skipped: Vec<SkippedItem>,
    /// Bound views by listing (for conversions).
    views: BTreeMap<String, (usize, Vec<TypeSig>)>,
}

fn obsolete_error(a: &Attributes) -> Option<String> {
    a.obsolete
        .as_ref()
        .filter(|o| o.error)
        .map(|o| o.message.clone().unwrap_or_default())
}

fn obsolete_message(a: &Attributes) -> Option<String> {
    a.obsolete
        .as_ref()
        .map(|o| o.message.clone().unwrap_or_else(|| "obsolete".to_string()))
}

fn listing_list(types: &[TypeSig]) -> String {
    types
        .iter()
        .map(TypeSig::listing)
        .collect::<Vec<_>>()
        .join(",")
}

fn type_sig_of(def: &TypeDef) -> TypeSig {
    if let Some(p) = primitive_of_named(&def.name) {
        return TypeSig::Primitive(p.into());
    }
    TypeSig::Named(NamedType {
        name: def.name.clone(),
        scope: None,
        value_type: matches!(def.kind, TypeKind::Struct | TypeKind::Enum),
    })
}

fn is_task(ty: &TypeSig) -> bool {
    let name = match ty.unmodified() {
        TypeSig::Named(n) => &n.name,
        TypeSig::Generic(b, _) => match b.unmodified() {
            TypeSig::Named(n) => &n.name,
            _ => return false,
        },
        _ => return false,
    };
    matches!(
        &**name,
        "System.Threading.Tasks.Task"
            | "System.Threading.Tasks.ValueTask"
            | "System.Threading.Tasks.Task`1"
            | "System.Threading.Tasks.ValueTask`1"
    )
}

fn has_in_modreq(ty: &TypeSig) -> bool {
    match ty {
        TypeSig::Modified(m, true, inner) => {
            matches!(&**m, TypeSig::Named(n) if &*n.name == "System.Runtime.InteropServices.InAttribute")
                || has_in_modreq(inner)
        }
        TypeSig::Modified(_, _, inner) => has_in_modreq(inner),
        _ => false,
    }
}

/// The collision suffix part for one parameter type.
fn type_suffix(ty: &TypeSig) -> String {
    match ty {
        TypeSig::Primitive(n) => snake(crate::names::short_type_name(n)),
        TypeSig::Named(n) => snake(&nested_type_name(&n.name)),
        TypeSig::Generic(b, args) => {
            let mut s = type_suffix(b);
            for a in args {
                s.push('_');
                s.push_str(&type_suffix(a));
            }
            s
        }
        TypeSig::SzArray(e) => format!("{}_array", type_suffix(e)),
        TypeSig::Array(e, r) => format!("{}_array{r}", type_suffix(e)),
        TypeSig::ByRef(e) => format!("{}_ref", type_suffix(e)),
        TypeSig::Pointer(e) => format!("{}_ptr", type_suffix(e)),
        TypeSig::FnPtr(_) => "fnptr".into(),
        TypeSig::Var(n) => format!("t{n}"),
        TypeSig::MVar(n) => format!("m{n}"),
        TypeSig::Modified(_, _, e) | TypeSig::Pinned(e) => type_suffix(e),
    }
}

const MAX_SUFFIX: usize = 64;

fn params_suffix(types: &[TypeSig]) -> String {
    let s = types.iter().map(type_suffix).collect::<Vec<_>>().join("_");
    if s.len() > MAX_SUFFIX {
        format!("h{}", short_hash(&listing_list(types)))
    } else {
        s
    }
}

/// The Mochi identifier of a type (before collision qualification):
/// `JToken`, `Outer_Inner`, `List_String`, `String_Array`.
fn type_ident(ty: &TypeSig) -> String {
    match ty {
        TypeSig::Primitive(n) => crate::names::short_type_name(n).to_string(),
        TypeSig::Named(n) => nested_type_name(&n.name),
        TypeSig::Generic(b, args) => {
            let mut s = type_ident(b);
            for a in args {
                s.push('_');
                s.push_str(&type_ident(a));
            }
            s
        }
        TypeSig::SzArray(e) => format!("{}_Array", type_ident(e)),
        TypeSig::Modified(_, _, e) | TypeSig::Pinned(e) => type_ident(e),
        other => snake(&other.listing()),
    }
}

/// The fully qualified fallback identifier: `Newtonsoft_Json_Linq_JToken`.
fn qualified_ident(ty: &TypeSig) -> String {
    let l = ty.listing();
    let mut s: String = l
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    s.trim_matches('_').to_string()
}

impl<'s> Builder<'s> {
    fn known_generic_keys(&self) -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        for t in &self.surface.types {
            if !t.generic_params.is_empty() {
                keys.insert(t.name.to_string());
            }
            for m in &t.methods {
                if m.arity > 0 {
                    keys.insert(format!("{}::{}``{}", t.name, m.name, m.arity));
                }
            }
        }
        keys
    }

    fn mapper(&self, type_args: &[TypeSig], method_args: &[TypeSig]) -> TypeMapper<'s> {
        TypeMapper {
            universe: self.universe,
            type_args: type_args.to_vec(),
            method_args: method_args.to_vec(),
        }
    }

    fn skip(&mut self, item: String, s: Skip) {
        self.skipped.push(SkippedItem {
            item,
            reason: s.reason,
            detail: s.detail,
        });
    }

    /// NullableContext: the member's, else the declaring type's, else its
    /// enclosing types' (innermost first).
    fn context(&self, member: Option<&Attributes>, def: &TypeDef) -> Option<u8> {
        if let Some(c) = member.and_then(|a| a.nullable_context) {
            return Some(c);
        }
        let mut name: &str = &def.name;
        loop {
            if let Some(t) = self.by_name.get(name)
                && let Some(c) = t.attributes.nullable_context
            {
                return Some(c);
            }
            match name.rfind('+') {
                Some(i) => name = &name[..i],
                None => return None,
            }
        }
    }

    fn type_def(&mut self, def: &'s TypeDef) {
        let index = self
            .surface
            .types
            .iter()
            .position(|t| std::ptr::eq(t, def))
            .unwrap_or(0);
        if def.generic_params.is_empty() {
            let view = View {
                def,
                sig: type_sig_of(def),
                args: Vec::new(),
            };
            self.views.insert(view.listing(), (index, Vec::new()));
            self.view(&view, None);
            return;
        }
        let insts = self.insts.get(&def.name).to_vec();
        if insts.is_empty() {
            let view = View {
                def,
                sig: type_sig_of(def),
                args: Vec::new(),
            };
            let s = Skip::new(
                SkipReason::UnconcretisedGeneric,
                format!(
                    "generic type {} has no [dotnet.monomorphise] instantiation",
                    def.name
                ),
            );
            self.view(&view, Some(s));
            return;
        }
        for args in insts {
            let sig = TypeSig::Generic(Box::new(type_sig_of(def)), args.clone());
            let view = View { def, sig, args };
            self.views
                .insert(view.listing(), (index, view.args.clone()));
            self.view(&view, None);
        }
    }

    /// Every member of one view; `type_skip` skips them all.
    fn view(&mut self, v: &View<'s>, type_skip: Option<Skip>) {
        let def = v.def;
        let type_skip = type_skip.or_else(|| {
            if let Some(msg) = obsolete_error(&def.attributes) {
                return Some(Skip::new(
                    SkipReason::ObsoleteError,
                    format!("type {} is obsolete (error): {msg}", def.name),
                ));
            }
            if def.kind == TypeKind::Delegate {
                return Some(Skip::new(
                    SkipReason::DelegateType,
                    format!("{} is a delegate type", def.name),
                ));
            }
            if def.attributes.is_by_ref_like {
                return Some(Skip::new(
                    SkipReason::RefStruct,
                    format!("{} is a ref struct (IsByRefLike)", def.name),
                ));
            }
            if let Some(a) = crate::platform::framework_assembly_of(&def.name)
                && !a.eq_ignore_ascii_case(&self.surface.assembly.name)
            {
                return Some(Skip::new(
                    SkipReason::DuplicateType,
                    format!(
                        "{} is also defined by the .NET 8 framework ({a}); C# cannot tell the two apart",
                        def.name
                    ),
                ));
            }
            if let Some(a) = self.universe.redefined_in(&def.name) {
                return Some(Skip::new(
                    SkipReason::DuplicateType,
                    format!(
                        "{} is also defined by the referenced assembly {a}; C# cannot tell the two apart",
                        def.name
                    ),
                ));
            }
            None
        });
        let decl = v.listing();
        let accessors: BTreeSet<&str> = def
            .properties
            .iter()
            .flat_map(|p| [p.getter.as_ref(), p.setter.as_ref()])
            .chain(
                def.events
                    .iter()
                    .flat_map(|e| [Some(&e.add), e.remove.as_ref()]),
            )
            .flatten()
            .map(|a| a.method.as_str())
            .collect();
        for m in &def.methods {
            if accessors.contains(m.name.as_str()) {
                continue;
            }
            let src = method_source(&decl, m, &[]);
            if let Some(s) = &type_skip {
                self.skip(src, s.clone());
                continue;
            }
            if !is_speakable(&m.name) {
                self.skip(
                    src,
                    Skip::new(
                        SkipReason::CompilerGenerated,
                        format!("`{}` is a compiler-generated name C# cannot call", m.name),
                    ),
                );
                continue;
            }
            if m.arity > 0 {
                let key = format!("{}::{}``{}", def.name, m.name, m.arity);
                let insts = self.insts.get(&key).to_vec();
                if insts.is_empty() {
                    self.skip(
                        src,
                        Skip::new(
                            SkipReason::UnconcretisedGeneric,
                            format!("generic method has no [dotnet.monomorphise] instantiation (key `{key}`)"),
                        ),
                    );
                }
                for margs in insts {
                    let src = method_source(&decl, m, &margs);
                    match self.method(v, m, &margs) {
                        Ok(d) => self.drafts.push(d),
                        Err(s) => self.skip(src, s),
                    }
                }
                continue;
            }
            match self.method(v, m, &[]) {
                Ok(d) => self.drafts.push(d),
                Err(s) => self.skip(src, s),
            }
        }
        for p in &def.properties {
            for (acc, is_get) in [(&p.getter, true), (&p.setter, false)] {
                let Some(acc) = acc.as_ref().filter(|a| a.public) else {
                    continue;
                };
                let src = format!(
                    "P {decl}::{}({}) : {} {}",
                    p.name,
                    listing_list(&p.params),
                    p.r#type.listing(),
                    if is_get { "get" } else { "set" }
                );
                if let Some(s) = &type_skip {
                    self.skip(src, s.clone());
                    continue;
                }
                match self.accessor(
                    v,
                    p,
                    acc.method.as_str(),
                    is_get,
                    acc.init_only,
                    acc.r#static,
                    src.clone(),
                ) {
                    Ok(d) => self.drafts.push(d),
                    Err(s) => self.skip(src, s),
                }
            }
        }
        for f in &def.fields {
            if def.kind == TypeKind::Enum && !f.r#static {
                continue; // value__
            }
            let src = format!(
                "F {decl}::{} : {}{}",
                f.name,
                f.r#type.listing(),
                if f.r#static { " static" } else { "" }
            );
            if let Some(s) = &type_skip {
                self.skip(src, s.clone());
                continue;
            }
            self.field(v, f, src);
        }
        for e in &def.events {
            let src = format!("E {decl}::{} : {}", e.name, e.r#type.listing());
            let s = type_skip.clone().unwrap_or_else(|| {
                Skip::new(
                    SkipReason::Event,
                    format!("event {} (callbacks do not cross the ABI)", e.name),
                )
            });
            self.skip(src, s);
        }
    }

    /// The receiver (or constructor result) of a view: the declaring type as
    /// a non-null value; collections the table copies cannot be receivers.
    fn receiver(&self, v: &View<'s>) -> Result<Value, Skip> {
        let mapper = self.mapper(&v.args, &[]);
        let mut cur = NullableCursor::new(Some(&[1]), None);
        let m = match mapper.map(&v.sig, &mut cur, Position::Param) {
            Ok(m) => m,
            Err(s) if s.reason == SkipReason::UnsupportedType && v.def.kind != TypeKind::Enum => {
                // Task and friends as receivers are plain handles.
                crate::typemap::Mapped {
                    mochi: MochiType::Handle(v.listing()),
                    marshal: Marshal::Handle(v.listing()),
                }
            }
            Err(s) => return Err(s),
        };
        if matches!(m.marshal, Marshal::List { .. } | Marshal::Map { .. }) {
            return Err(Skip::new(
                SkipReason::UnsupportedType,
                format!(
                    "receiver {} crosses by copy (the table maps it to {}), so its members would act on a copy",
                    v.listing(),
                    m.mochi
                ),
            ));
        }
        Ok(Value {
            clr: v.listing(),
            mochi: m.mochi,
            marshal: m.marshal,
        })
    }

    fn param(
        &self,
        mapper: &TypeMapper<'_>,
        p: &Param,
        ctx: Option<u8>,
    ) -> Result<ParamDraft, Skip> {
        let mut cur = NullableCursor::new(p.attributes.nullable.as_deref(), ctx);
        let clr = mapper
            .substitute(&p.r#type)
            .map(|t| t.listing())
            .unwrap_or_else(|_| p.r#type.listing());
        let with_name =
            |s: Skip| Skip::new(s.reason, format!("parameter `{}`: {}", p.name, s.detail));
        let mut d = ParamDraft {
            name: Some(p.name.clone()),
            clr_name: p.name.clone(),
            clr,
            mochi: None,
            marshal: Marshal::Unit,
            pass: Pass::Value,
            omitted: false,
            default: p.default.clone(),
            param_array: p.attributes.param_array,
        };
        let ty = p.r#type.unmodified();
        let mapped = match ty {
            TypeSig::ByRef(inner) => {
                if p.out && !p.r#in {
                    d.pass = Pass::Out;
                    d.omitted = true;
                    d.name = None;
                } else if p.r#in || has_in_modreq(&p.r#type) {
                    d.pass = Pass::In;
                } else {
                    return Err(Skip::new(
                        SkipReason::Byref,
                        format!(
                            "parameter `{}` is passed by reference (ref {})",
                            p.name,
                            inner.listing()
                        ),
                    ));
                }
                mapper
                    .map(inner, &mut cur, Position::Param)
                    .map_err(with_name)?
            }
            TypeSig::Named(n) if &*n.name == "System.Threading.CancellationToken" => {
                if p.optional || p.default.is_some() {
                    d.omitted = true;
                    d.name = None;
                    d.marshal = Marshal::Handle(n.name.to_string());
                    return Ok(d);
                }
                return Err(Skip::new(
                    SkipReason::CancellationToken,
                    format!("parameter `{}` is a required CancellationToken", p.name),
                ));
            }
            _ => mapper
                .map(&p.r#type, &mut cur, Position::Param)
                .map_err(with_name)?,
        };
        if !d.omitted {
            d.mochi = Some(mapped.mochi.clone());
        } else {
            d.mochi = None;
        }
        d.marshal = mapped.marshal;
        if d.pass == Pass::Out {
            // Kept for the return.
            d.mochi = Some(mapped.mochi);
        }
        Ok(d)
    }

    fn ret(
        &self,
        mapper: &TypeMapper<'_>,
        ty: &TypeSig,
        attrs: &Attributes,
        ctx: Option<u8>,
    ) -> Result<Value, Skip> {
        if let TypeSig::ByRef(_) = ty.unmodified() {
            return Err(Skip::new(
                SkipReason::Byref,
                format!("returns by reference ({})", ty.listing()),
            ));
        }
        let mut cur = NullableCursor::new(attrs.nullable.as_deref(), ctx);
        let m = mapper.map(ty, &mut cur, Position::Return).map_err(|s| {
            if s.reason == SkipReason::DelegateParameter {
                Skip::new(SkipReason::UnsupportedType, format!("return: {}", s.detail))
            } else {
                Skip::new(s.reason, format!("return: {}", s.detail))
            }
        })?;
        let clr = mapper
            .substitute(ty)
            .map(|t| t.listing())
            .unwrap_or_else(|_| ty.listing());
        Ok(Value {
            clr,
            mochi: m.mochi,
            marshal: m.marshal,
        })
    }

    /// Shared by methods, constructors and accessors.
    #[allow(clippy::too_many_arguments)]
    fn callable(
        &self,
        v: &View<'s>,
        m: &Method,
        margs: &[TypeSig],
        kind: ItemKind,
        extra_obsolete: Option<&Attributes>,
        member_snake: String,
        member_alias: String,
        source: String,
    ) -> Result<Draft, Skip> {
        let def = v.def;
        for a in [Some(&m.attributes), extra_obsolete].into_iter().flatten() {
            if let Some(msg) = obsolete_error(a) {
                return Err(Skip::new(
                    SkipReason::ObsoleteError,
                    format!("obsolete (error): {msg}"),
                ));
            }
        }
        if m.sentinel.is_some() || m.calling_convention.as_deref() == Some("vararg") {
            return Err(Skip::new(
                SkipReason::Vararg,
                "vararg calling convention".to_string(),
            ));
        }
        if m.is_constructor() && def.r#abstract && def.kind == TypeKind::Class {
            return Err(Skip::new(
                SkipReason::AbstractClassConstructor,
                format!("{} is abstract", def.name),
            ));
        }
        if def.kind == TypeKind::Interface && m.r#static && (m.r#abstract || m.r#virtual) {
            return Err(Skip::new(
                SkipReason::StaticAbstract,
                "static abstract interface member".to_string(),
            ));
        }
        let mapper = self.mapper(&v.args, margs);
        let ctx = self.context(Some(&m.attributes), def);
        let receiver = if m.r#static || m.is_constructor() {
            None
        } else {
            Some(self.receiver(v)?)
        };
        let mut params = Vec::with_capacity(m.params.len());
        for p in &m.params {
            params.push(self.param(&mapper, p, ctx)?);
        }
        let (mut returns, is_async) = if m.is_constructor() {
            (self.receiver(v)?, false)
        } else {
            (
                self.ret(&mapper, &m.returns.r#type, &m.returns.attributes, ctx)?,
                is_task(&m.returns.r#type),
            )
        };
        let outs: Vec<usize> = params
            .iter()
            .enumerate()
            .filter(|(_, p)| p.pass == Pass::Out)
            .map(|(i, _)| i)
            .collect();
        let mut from = ReturnFrom::Value;
        match outs.as_slice() {
            [] => {}
            [i] => {
                let out = &params[*i];
                let out_mochi = out.mochi.clone().expect("out parameter keeps its type");
                let ret_clr = m.returns.r#type.unmodified();
                if *ret_clr == TypeSig::Primitive("System.Boolean".into()) {
                    from = ReturnFrom::TryPattern(*i);
                    returns = Value {
                        clr: ret_clr.listing(),
                        mochi: out_mochi.optional(),
                        marshal: Marshal::Optional(Box::new(out.marshal.clone())),
                    };
                } else if *ret_clr == TypeSig::Primitive("System.Void".into()) {
                    from = ReturnFrom::OutParam(*i);
                    returns = Value {
                        clr: ret_clr.listing(),
                        mochi: out_mochi,
                        marshal: out.marshal.clone(),
                    };
                } else {
                    return Err(Skip::new(
                        SkipReason::Byref,
                        format!(
                            "out parameter `{}` with a {} return (the out rule needs bool or void)",
                            out.clr_name,
                            m.returns.r#type.listing()
                        ),
                    ));
                }
                params[*i].mochi = None;
            }
            _ => {
                return Err(Skip::new(
                    SkipReason::Byref,
                    format!("{} out parameters (the out rule binds one)", outs.len()),
                ));
            }
        }
        let param_types: Vec<TypeSig> = m.params.iter().map(|p| p.r#type.clone()).collect();
        let mut suffix = params_suffix(&param_types);
        if matches!(m.name.as_str(), "op_Implicit" | "op_Explicit") {
            // Conversion operators overload on their return type too.
            suffix = format!("{suffix}_to_{}", type_suffix(&m.returns.r#type));
        }
        let substituted: Vec<String> = m
            .params
            .iter()
            .map(|p| {
                mapper
                    .substitute(&p.r#type)
                    .map(|t| t.listing())
                    .unwrap_or_default()
            })
            .collect();
        Ok(Draft {
            kind,
            target: DotnetTarget {
                declaring_type: v.listing(),
                member: m.name.clone(),
                parameter_types: substituted,
                generic_arguments: margs.iter().map(TypeSig::listing).collect(),
                is_static: m.r#static,
                property: None,
            },
            type_key: v.sig.clone(),
            receiver,
            params,
            returns,
            from,
            is_async,
            extension: m.attributes.extension && m.r#static && !m.params.is_empty(),
            obsolete: obsolete_message(&m.attributes)
                .or_else(|| extra_obsolete.and_then(obsolete_message))
                .or_else(|| obsolete_message(&def.attributes)),
            value: None,
            source,
            member_snake,
            member_alias,
            suffix,
        })
    }

    fn method(&self, v: &View<'s>, m: &Method, margs: &[TypeSig]) -> Result<Draft, Skip> {
        let (kind, snake_name, alias) = if m.is_constructor() {
            (ItemKind::Constructor, "new".to_string(), "new".to_string())
        } else {
            let mut s = snake(&m.name);
            let mut a = mochi_ident(&m.name);
            for t in margs {
                let id = type_ident(t);
                s.push('_');
                s.push_str(&snake(&id));
                a.push('_');
                a.push_str(&id);
            }
            let kind = if m.r#static {
                ItemKind::StaticMethod
            } else {
                ItemKind::Method
            };
            (kind, s, a)
        };
        let src = method_source(&v.listing(), m, margs);
        self.callable(v, m, margs, kind, None, snake_name, alias, src)
    }

    #[allow(clippy::too_many_arguments)]
    fn accessor(
        &self,
        v: &View<'s>,
        p: &Property,
        method: &str,
        is_get: bool,
        init_only: bool,
        is_static: bool,
        src: String,
    ) -> Result<Draft, Skip> {
        if let Some(msg) = obsolete_error(&p.attributes) {
            return Err(Skip::new(
                SkipReason::ObsoleteError,
                format!("obsolete (error): {msg}"),
            ));
        }
        if !is_get && init_only {
            return Err(Skip::new(
                SkipReason::InitOnlySetter,
                format!("property {} has an init-only setter", p.name),
            ));
        }
        let n = p.params.len() + usize::from(!is_get);
        let Some(m) = v.def.methods.iter().find(|m| {
            m.name == method
                && m.params.len() == n
                && m.params[..p.params.len()]
                    .iter()
                    .map(|x| &x.r#type)
                    .eq(p.params.iter())
        }) else {
            return Err(Skip::new(
                SkipReason::UnsupportedType,
                format!("accessor {method} is not in the surface"),
            ));
        };
        let kind = match (is_get, is_static) {
            (true, false) => ItemKind::Getter,
            (false, false) => ItemKind::Setter,
            (true, true) => ItemKind::StaticGetter,
            (false, true) => ItemKind::StaticSetter,
        };
        let prefix = if is_get { "get_" } else { "set_" };
        // Property-level nullability applies where the accessor has none.
        let mut m = m.clone();
        if p.attributes.nullable.is_some() {
            if is_get && m.returns.attributes.nullable.is_none() {
                m.returns.attributes.nullable = p.attributes.nullable.clone();
            }
            if !is_get
                && let Some(last) = m.params.last_mut()
                && last.attributes.nullable.is_none()
            {
                last.attributes.nullable = p.attributes.nullable.clone();
            }
        }
        self.callable(
            v,
            &m,
            &[],
            kind,
            Some(&p.attributes),
            format!("{prefix}{}", snake(&p.name)),
            format!("{prefix}{}", mochi_ident(&p.name)),
            src,
        )
        .map(|mut d| {
            d.target.property = Some(p.name.clone());
            d
        })
        .map_err(|s| {
            if !is_get && s.reason == SkipReason::DelegateParameter {
                Skip::new(s.reason, format!("value of {}: {}", p.name, s.detail))
            } else {
                s
            }
        })
    }

    fn field(&mut self, v: &View<'s>, f: &Field, src: String) {
        let def = v.def;
        if let Some(msg) = obsolete_error(&f.attributes) {
            self.skip(
                src,
                Skip::new(
                    SkipReason::ObsoleteError,
                    format!("obsolete (error): {msg}"),
                ),
            );
            return;
        }
        let mapper = self.mapper(&v.args, &[]);
        let ctx = self.context(None, def);
        let mut cur = NullableCursor::new(f.attributes.nullable.as_deref(), ctx);
        let mapped = match mapper.map(&f.r#type, &mut cur, Position::Element) {
            Ok(m) => m,
            Err(s) => {
                let s = if s.reason == SkipReason::DelegateParameter {
                    Skip::new(SkipReason::UnsupportedType, s.detail)
                } else {
                    s
                };
                self.skip(src, s);
                return;
            }
        };
        let clr = mapper
            .substitute(&f.r#type)
            .map(|t| t.listing())
            .unwrap_or_default();
        let value = Value {
            clr: clr.clone(),
            mochi: mapped.mochi.clone(),
            marshal: mapped.marshal.clone(),
        };
        let base = |kind: ItemKind, snake_name: String, alias: String| Draft {
            kind,
            target: DotnetTarget {
                declaring_type: v.listing(),
                member: f.name.clone(),
                parameter_types: Vec::new(),
                generic_arguments: Vec::new(),
                is_static: f.r#static,
                property: None,
            },
            type_key: v.sig.clone(),
            receiver: None,
            params: Vec::new(),
            returns: value.clone(),
            from: ReturnFrom::Value,
            is_async: false,
            extension: false,
            obsolete: obsolete_message(&f.attributes),
            value: None,
            source: src.clone(),
            member_snake: snake_name,
            member_alias: alias,
            suffix: String::new(),
        };
        if f.literal
            && let Some(c) = &f.constant
            && let Some(lit) = mochi_literal(c, &mapped.mochi)
        {
            let mut d = base(ItemKind::Const, snake(&f.name), mochi_ident(&f.name));
            d.value = Some(ConstPlan {
                constant: c.clone(),
                mochi_literal: lit,
            });
            self.drafts.push(d);
            return;
        }
        let receiver = if f.r#static {
            None
        } else {
            match self.receiver(v) {
                Ok(r) => Some(r),
                Err(s) => {
                    self.skip(src, s);
                    return;
                }
            }
        };
        let (get_kind, set_kind) = if f.r#static {
            (ItemKind::StaticFieldGet, ItemKind::StaticFieldSet)
        } else {
            (ItemKind::FieldGet, ItemKind::FieldSet)
        };
        let mut g = base(
            get_kind,
            format!("get_{}", snake(&f.name)),
            format!("get_{}", mochi_ident(&f.name)),
        );
        g.receiver = receiver.clone();
        g.source = format!("{src} get");
        self.drafts.push(g);
        if f.init_only || f.literal {
            return;
        }
        let mut s = base(
            set_kind,
            format!("set_{}", snake(&f.name)),
            format!("set_{}", mochi_ident(&f.name)),
        );
        s.receiver = receiver;
        s.source = format!("{src} set");
        s.params = vec![ParamDraft {
            name: Some("value".into()),
            clr_name: "value".into(),
            clr: clr.clone(),
            mochi: Some(mapped.mochi.clone()),
            marshal: mapped.marshal.clone(),
            pass: Pass::Value,
            omitted: false,
            default: None,
            param_array: false,
        }];
        s.returns = Value {
            clr: "System.Void".into(),
            mochi: MochiType::Unit,
            marshal: Marshal::Unit,
        };
        self.drafts.push(s);
    }

    /// Upcasts to base classes and interfaces that are handles (or copied
    /// collections), and a downcast from `any`, for every handle type of
    /// this surface that a translated item uses.
    /// A type of this assembly (no resolution scope) that its surface does
    /// not list, i.e. one that is not public.
    fn is_hidden_local(&self, t: &TypeSig) -> bool {
        let named = match t.unmodified() {
            TypeSig::Named(n) => n,
            TypeSig::Generic(g, _) => match g.unmodified() {
                TypeSig::Named(n) => n,
                _ => return false,
            },
            _ => return false,
        };
        named.scope.is_none() && !self.by_name.contains_key(&*named.name)
    }

    fn conversions(&mut self) {
        let mut used = BTreeSet::new();
        for d in &self.drafts {
            d.visit_handles(&mut |h| {
                used.insert(h.to_string());
            });
        }
        let mut new = Vec::new();
        for h in used {
            let Some((index, args)) = self.views.get(&h).cloned() else {
                continue;
            };
            let def = &self.surface.types[index];
            if def.kind == TypeKind::Enum || def.kind == TypeKind::Delegate {
                continue;
            }
            let view = View {
                def,
                sig: if args.is_empty() {
                    type_sig_of(def)
                } else {
                    TypeSig::Generic(Box::new(type_sig_of(def)), args.clone())
                },
                args: args.clone(),
            };
            let Ok(recv) = self.receiver(&view) else {
                continue;
            };
            if !matches!(recv.marshal, Marshal::Handle(_)) {
                continue;
            }
            let mapper = self.mapper(&args, &[]);
            let mut targets: Vec<TypeSig> = Vec::new();
            // Base classes, transitively through this surface.
            let mut base = def.base.clone();
            let mut base_args = args.clone();
            let mut guard = 0;
            while let Some(b) = base.take() {
                guard += 1;
                if guard > 64 {
                    break;
                }
                let m = self.mapper(&base_args, &[]);
                let Ok(sb) = m.substitute(&b) else { break };
                let name = match &sb {
                    TypeSig::Named(n) => n.name.clone(),
                    TypeSig::Generic(g, _) => match g.unmodified() {
                        TypeSig::Named(n) => n.name.clone(),
                        _ => break,
                    },
                    _ => break,
                };
                if matches!(&*name, "System.Object" | "System.ValueType" | "System.Enum") {
                    break;
                }
                targets.push(sb.clone());
                match self.by_name.get(&*name) {
                    Some(next) => {
                        base = next.base.clone();
                        base_args = match &sb {
                            TypeSig::Generic(_, a) => a.clone(),
                            _ => Vec::new(),
                        };
                    }
                    None => break,
                }
            }
            for i in &def.interfaces {
                if let Ok(si) = mapper.substitute(i) {
                    targets.push(si);
                }
            }
            let mut seen = BTreeSet::new();
            for t in targets {
                // A base or interface defined in this assembly but absent from
                // its surface is not public: C# cannot name it in a shim.
                if self.is_hidden_local(&t) {
                    continue;
                }
                let mut cur = NullableCursor::new(Some(&[1]), None);
                let Ok(m) = mapper.map(&t, &mut cur, Position::Element) else {
                    continue;
                };
                if !matches!(
                    m.marshal,
                    Marshal::Handle(_) | Marshal::List { .. } | Marshal::Map { .. }
                ) {
                    continue;
                }
                let tl = t.listing();
                if !seen.insert(tl.clone()) {
                    continue;
                }
                let id = type_ident(&t);
                new.push(Draft {
                    kind: ItemKind::Upcast,
                    target: DotnetTarget {
                        declaring_type: view.listing(),
                        member: "(upcast)".into(),
                        parameter_types: vec![tl.clone()],
                        generic_arguments: Vec::new(),
                        is_static: false,
                        property: None,
                    },
                    type_key: view.sig.clone(),
                    receiver: Some(recv.clone()),
                    params: Vec::new(),
                    returns: Value {
                        clr: tl.clone(),
                        mochi: m.mochi,
                        marshal: m.marshal,
                    },
                    from: ReturnFrom::Value,
                    is_async: false,
                    extension: false,
                    obsolete: None,
                    value: None,
                    source: format!("C {}::(upcast) -> {tl}", view.listing()),
                    member_snake: format!("as_{}", snake(&id)),
                    member_alias: format!("as_{id}"),
                    suffix: type_suffix(&t),
                });
            }
            new.push(Draft {
                kind: ItemKind::Downcast,
                target: DotnetTarget {
                    declaring_type: view.listing(),
                    member: "(downcast)".into(),
                    parameter_types: vec!["System.Object".into()],
                    generic_arguments: Vec::new(),
                    is_static: true,
                    property: None,
                },
                type_key: view.sig.clone(),
                receiver: None,
                params: vec![ParamDraft {
                    name: Some("value".into()),
                    clr_name: "value".into(),
                    clr: "System.Object".into(),
                    mochi: Some(MochiType::Any),
                    marshal: Marshal::Any,
                    pass: Pass::Value,
                    omitted: false,
                    default: None,
                    param_array: false,
                }],
                returns: Value {
                    clr: view.listing(),
                    mochi: recv.mochi.clone().optional(),
                    marshal: Marshal::Optional(Box::new(recv.marshal.clone())),
                },
                from: ReturnFrom::Value,
                is_async: false,
                extension: false,
                obsolete: None,
                value: None,
                source: format!("C {}::(downcast) <- System.Object", view.listing()),
                member_snake: "try_from_any".into(),
                member_alias: "try_from_any".into(),
                suffix: String::new(),
            });
        }
        self.drafts.extend(new);
    }
}

/// Whether C# can name a member: compiler-generated members (a record's
/// `<Clone>$`, lambdas' `<M>b__0`) use characters identifiers cannot have.
fn is_speakable(name: &str) -> bool {
    name == ".ctor"
        || name == ".cctor"
        || name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
}

fn method_source(decl: &str, m: &Method, margs: &[TypeSig]) -> String {
    let mut l = format!("M {decl}::{}", m.name);
    if m.arity > 0 {
        l.push_str(&format!("``{}", m.arity));
    }
    if !margs.is_empty() {
        l.push('<');
        l.push_str(&listing_list(margs));
        l.push('>');
    }
    l.push('(');
    l.push_str(
        &m.params
            .iter()
            .map(|p| p.r#type.listing())
            .collect::<Vec<_>>()
            .join(","),
    );
    l.push_str(") -> ");
    l.push_str(&m.returns.r#type.listing());
    if m.r#static {
        l.push_str(" static");
    }
    l
}

/// The Mochi literal of a constant of Mochi type `ty`, or `None` when Mochi
/// cannot write it (NaN, infinities, `null`, control characters, lone
/// surrogates, a UInt64 above INT64_MAX): such a constant is bound as a
/// static field getter instead.
pub fn mochi_literal(c: &Constant, ty: &MochiType) -> Option<String> {
    let v = c.value.as_deref();
    match (c.kind.as_str(), ty) {
        ("bool", MochiType::Bool) => Some(
            if v? == "true" || v? == "1" {
                "true"
            } else {
                "false"
            }
            .into(),
        ),
        ("char", MochiType::String) => {
            let ch = char::from_u32(v?.parse().ok()?)?;
            string_literal(&ch.to_string())
        }
        ("string", MochiType::String) => string_literal(v?),
        (
            "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32" | "int64",
            MochiType::Int | MochiType::Int64,
        ) => {
            let n: i64 = v?.parse().ok()?;
            Some(n.to_string())
        }
        ("uint64", MochiType::Int | MochiType::Int64) => {
            // Above INT64_MAX Mochi cannot hold it (the ABI refuses such a UInt64 too).
            let n: i64 = v?.parse().ok()?;
            Some(n.to_string())
        }
        ("float32" | "float64", MochiType::Float) => {
            // The surface writes Rust's Debug form (`1e300`); Mochi's float
            // literal is `digits.digits`, so re-render without an exponent.
            let f: f64 = v?.parse().ok()?;
            if !f.is_finite() {
                return None;
            }
            let mut s = format!("{f}");
            if !s.contains('.') {
                s.push_str(".0");
            }
            Some(s)
        }
        _ => None,
    }
}

fn string_literal(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || c == '\u{fffd}' => return None,
            c => out.push(c),
        }
    }
    out.push('"');
    Some(out)
}

// ---------------------------------------------------------------------------
// Naming and rendering.

#[allow(clippy::too_many_arguments)]
fn finish(
    surface: &Surface,
    universe: &TypeUniverse,
    options: &BindOptions,
    package: String,
    drafts: Vec<Draft>,
    skipped: Vec<SkippedItem>,
    warnings: Vec<String>,
) -> BindingPlan {
    // 1. Mochi identifiers for every type that names a Mochi type or prefixes an entry point.
    let mut types: BTreeMap<String, TypeSig> = BTreeMap::new();
    let mut handles: BTreeSet<String> = BTreeSet::new();
    for d in &drafts {
        types.insert(d.type_key.listing(), d.type_key.clone());
        d.visit_handles(&mut |h| {
            handles.insert(h.to_string());
        });
    }
    for h in &handles {
        if !types.contains_key(h) {
            let sig = mono::parse_type(h, &TypeUniverse::new()).unwrap_or_else(|_| {
                TypeSig::Named(NamedType {
                    name: h.as_str().into(),
                    scope: None,
                    value_type: false,
                })
            });
            types.insert(h.clone(), sig);
        }
    }
    let mut by_ident: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (listing, sig) in &types {
        let id = mochi_ident(&type_ident(sig));
        by_ident
            .entry(snake(&id))
            .or_default()
            .push(listing.clone());
    }
    let mut ident: HashMap<String, String> = HashMap::new();
    for group in by_ident.values() {
        for l in group {
            let sig = &types[l];
            let id = if group.len() == 1 {
                mochi_ident(&type_ident(sig))
            } else {
                mochi_ident(&qualified_ident(sig))
            };
            ident.insert(l.clone(), id);
        }
    }
    let name_of = |h: &str| {
        ident
            .get(h)
            .cloned()
            .unwrap_or_else(|| mochi_ident(&qualified_ident(&TypeSig::Primitive(h.into()))))
    };

    // 2. Entry points and aliases, suffixed on collision.
    let mut names: Vec<(Option<String>, String)> = drafts
        .iter()
        .map(|d| {
            let tid = &ident[&d.type_key.listing()];
            let alias = format!("{tid}_{}", d.member_alias);
            let entry = (d.kind != ItemKind::Const)
                .then(|| format!("mochi_{package}_{}_{}", snake(tid), d.member_snake));
            (entry, alias)
        })
        .collect();
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (e, a)) in names.iter().enumerate() {
        let key = e
            .clone()
            .unwrap_or_else(|| format!("let:{}", a.to_lowercase()));
        groups.entry(key).or_default().push(i);
    }
    for idxs in groups.values().filter(|g| g.len() > 1) {
        for &i in idxs {
            let suffix = &drafts[i].suffix;
            if suffix.is_empty() {
                continue;
            }
            if let Some(e) = &mut names[i].0 {
                e.push('_');
                e.push_str(suffix);
            }
            names[i].1.push('_');
            names[i].1.push_str(suffix);
        }
    }
    // Still colliding (same parameter-type names, different types or kinds):
    // a hash of the full .NET target.
    for _ in 0..2 {
        let mut seen: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (e, a)) in names.iter().enumerate() {
            seen.entry(e.clone().unwrap_or_default())
                .or_default()
                .push(i);
            seen.entry(format!("alias:{}", a.to_lowercase()))
                .or_default()
                .push(i);
        }
        let mut dup: BTreeSet<usize> = BTreeSet::new();
        for (k, v) in &seen {
            if !k.is_empty() && v.len() > 1 {
                dup.extend(v.iter().copied());
            }
        }
        if dup.is_empty() {
            break;
        }
        for i in dup {
            let d = &drafts[i];
            let key = format!(
                "{:?}|{}|{}|{}|{}|{}",
                d.kind,
                d.target.declaring_type,
                d.target.member,
                d.target.parameter_types.join(","),
                d.target.generic_arguments.join(","),
                d.returns.clr
            );
            let h = short_hash(&key);
            if let Some(e) = &mut names[i].0 {
                e.push('_');
                e.push_str(&h);
            }
            names[i].1.push('_');
            names[i].1.push_str(&h);
        }
    }

    // 3. Render.
    let render = |m: &MochiType| m.render(&name_of);
    let mut items: Vec<PlanItem> = drafts
        .into_iter()
        .zip(names)
        .map(|(d, (entry, alias))| {
            let mut used: BTreeSet<String> = BTreeSet::new();
            if d.receiver.is_some() {
                used.insert(RECEIVER.to_string());
            }
            let params = d
                .params
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let name = p
                        .name
                        .as_ref()
                        .filter(|_| !p.omitted && p.pass != Pass::Out)
                        .map(|n| {
                            let mut n = mochi_ident(if n.is_empty() { "arg" } else { n });
                            if used.contains(&n) {
                                n = format!("{n}_{i}");
                            }
                            used.insert(n.clone());
                            n
                        });
                    ParamPlan {
                        mochi_type: name.as_ref().and(p.mochi.as_ref()).map(render),
                        name,
                        clr_name: p.clr_name.clone(),
                        clr_type: p.clr.clone(),
                        marshal: p.marshal.clone(),
                        pass: p.pass,
                        omitted: p.omitted,
                        default: p.default.clone(),
                        param_array: p.param_array,
                    }
                })
                .collect();
            PlanItem {
                alias,
                entry_point: entry,
                kind: d.kind,
                target: d.target,
                receiver: d.receiver.map(|r| ValuePlan {
                    mochi_type: render(&r.mochi),
                    clr_type: r.clr,
                    marshal: r.marshal,
                }),
                params,
                returns: ReturnPlan {
                    clr_type: d.returns.clr,
                    mochi_type: render(&d.returns.mochi),
                    marshal: d.returns.marshal,
                    from: d.from,
                },
                is_async: d.is_async,
                extension: d.extension,
                obsolete: d.obsolete,
                value: d.value,
                source: d.source,
            }
        })
        .collect();
    items.sort_by(|a, b| {
        (a.entry_point.as_deref().unwrap_or(""), &a.alias)
            .cmp(&(b.entry_point.as_deref().unwrap_or(""), &b.alias))
    });
    let mut extern_types: Vec<ExternType> = handles
        .iter()
        .map(|h| {
            let base = match &types[h] {
                TypeSig::Generic(b, _) => b.listing(),
                other => other.listing(),
            };
            ExternType {
                name: name_of(h),
                clr_type: h.clone(),
                kind: universe.get(&base).map_or(TypeKind::Class, |t| t.kind),
            }
        })
        .collect();
    extern_types.sort_by(|a, b| a.name.cmp(&b.name));
    let report = SkipReport::new(&options.package_id, &options.version, 0, skipped);
    BindingPlan {
        schema: PLAN_SCHEMA,
        package,
        package_id: options.package_id.clone(),
        version: options.version.clone(),
        assembly: surface.assembly.name.clone(),
        assembly_version: surface.assembly.version.clone(),
        extern_types,
        items,
        skipped: report.items,
        skip_counts: report.counts,
        warnings,
    }
}
