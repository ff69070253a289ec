//! `[dotnet.monomorphise]`: the instantiations under which generic types and
//! methods are bound.
//!
//! Keys are a generic type with its arity (`System.Collections.Generic.List`1`)
//! or a generic method of a type, with the method's arity written as in the
//! listing (`Newtonsoft.Json.Linq.JToken::Value``1`; every overload of that
//! name and arity is instantiated). Each instantiation is a list of type
//! names in listing form (`System.String`, `Ns.Type`1<System.Int32>`,
//! `System.Byte[]`).

use std::collections::BTreeMap;

use ecma335::surface::{NamedType, TypeKind, TypeSig};

use crate::typemap::primitive_of_named;
use crate::universe::TypeUniverse;

/// Key → instantiations (the shape of `project::manifest::DotnetConfig::monomorphise`).
pub type Monomorphise = BTreeMap<String, Vec<Vec<String>>>;

/// More instantiations than this for one key is a warning.
pub const WARN_PER_ITEM: usize = 10;
/// More instantiations than this in all is an error.
pub const MAX_TOTAL: usize = 200;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MonoError {
    #[error(
        "[dotnet.monomorphise] asks for {total} instantiations; the limit is {MAX_TOTAL}\n  hint: bind only the instantiations the program uses"
    )]
    TooMany { total: usize },
    #[error("[dotnet.monomorphise] `{key}`: cannot read type `{text}`: {why}")]
    BadType {
        key: String,
        text: String,
        why: String,
    },
    #[error("[dotnet.monomorphise] `{key}`: {got} type arguments given, the generic takes {want}")]
    Arity {
        key: String,
        got: usize,
        want: usize,
    },
}

/// Parsed instantiations with the warnings they raise.
#[derive(Clone, Debug, Default)]
pub struct Instantiations {
    pub by_key: BTreeMap<String, Vec<Vec<TypeSig>>>,
    pub warnings: Vec<String>,
}

impl Instantiations {
    pub fn get(&self, key: &str) -> &[Vec<TypeSig>] {
        self.by_key.get(key).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The arity a key declares: `` `n `` after the type name or ``` ``n ``` after a method.
pub fn key_arity(key: &str) -> Option<usize> {
    let tail = key.rsplit_once('`')?.1;
    tail.parse().ok().filter(|n: &usize| *n > 0)
}

pub fn parse(mono: &Monomorphise, universe: &TypeUniverse) -> Result<Instantiations, MonoError> {
    let total: usize = mono.values().map(Vec::len).sum();
    if total > MAX_TOTAL {
        return Err(MonoError::TooMany { total });
    }
    let mut out = Instantiations::default();
    for (key, insts) in mono {
        if insts.len() > WARN_PER_ITEM {
            out.warnings.push(format!(
                "[dotnet.monomorphise] `{key}` has {} instantiations (more than {WARN_PER_ITEM}): each one is a copy of every bound member",
                insts.len()
            ));
        }
        let want = key_arity(key);
        let mut parsed = Vec::with_capacity(insts.len());
        for args in insts {
            if let Some(want) = want
                && want != args.len()
            {
                return Err(MonoError::Arity {
                    key: key.clone(),
                    got: args.len(),
                    want,
                });
            }
            let mut sigs = Vec::with_capacity(args.len());
            for a in args {
                sigs.push(parse_type(a, universe).map_err(|why| MonoError::BadType {
                    key: key.clone(),
                    text: a.clone(),
                    why,
                })?);
            }
            parsed.push(sigs);
        }
        out.by_key.insert(key.clone(), parsed);
    }
    Ok(out)
}

/// Parses a listing-form type name. Primitive names become primitives; a
/// named type is a value type when the universe says it is a struct or enum.
pub fn parse_type(text: &str, universe: &TypeUniverse) -> Result<TypeSig, String> {
    let mut p = TypeParser {
        s: text.as_bytes(),
        i: 0,
        universe,
    };
    let t = p.ty()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("unexpected `{}`", &text[p.i..]));
    }
    Ok(t)
}

struct TypeParser<'a> {
    s: &'a [u8],
    i: usize,
    universe: &'a TypeUniverse,
}

impl TypeParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn ty(&mut self) -> Result<TypeSig, String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len() && !b"<>,[] \t".contains(&self.s[self.i]) {
            self.i += 1;
        }
        if start == self.i {
            return Err("expected a type name".into());
        }
        let mut name = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.ws();
        let mut t = if self.s.get(self.i) == Some(&b'<') {
            self.i += 1;
            let mut args = vec![self.ty()?];
            loop {
                self.ws();
                match self.s.get(self.i) {
                    Some(b',') => {
                        self.i += 1;
                        args.push(self.ty()?);
                    }
                    Some(b'>') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err("expected `,` or `>`".into()),
                }
            }
            if !name.contains('`') {
                name = format!("{name}`{}", args.len());
            }
            TypeSig::Generic(Box::new(self.named(&name)), args)
        } else {
            match primitive_of_named(&name) {
                Some(p) => TypeSig::Primitive(p.into()),
                None => self.named(&name),
            }
        };
        loop {
            self.ws();
            if self.s[self.i..].starts_with(b"[]") {
                self.i += 2;
                t = TypeSig::SzArray(Box::new(t));
            } else {
                break;
            }
        }
        Ok(t)
    }

    fn named(&self, name: &str) -> TypeSig {
        let value_type = matches!(
            self.universe.get(name).map(|t| t.kind),
            Some(TypeKind::Struct | TypeKind::Enum)
        ) || matches!(
            name,
            "System.Guid"
                | "System.DateTime"
                | "System.DateTimeOffset"
                | "System.TimeSpan"
                | "System.Decimal"
                | "System.Nullable`1"
        );
        TypeSig::Named(NamedType {
            name: name.into(),
            scope: None,
            value_type,
        })
    }
}
