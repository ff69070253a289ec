//! A parser for exactly the Mochi subset the emitter may produce (the
//! architecture page's "Mochi side"), used by tests to check every emitted
//! file:
//!
//! ```text
//! file    := item*
//! item    := "extern" "type" IDENT
//!          | "extern" "fun" IDENT "(" params? ")" ":" type
//!          | "fun" IDENT "(" params? ")" ":" type "{" "return" IDENT "(" args? ")" "}"
//!          | "let" IDENT (":" type)? "=" literal
//! params  := IDENT ":" type ("," IDENT ":" type)*
//! args    := IDENT ("," IDENT)*
//! type    := base "?"? | "fun" "(" (type ("," type)*)? ")" ":" type
//! base    := "int" | "int64" | "float" | "string" | "bool" | "unit" | "any"
//!          | "list" "<" type ">" | "map" "<" type "," type ">" | IDENT
//! literal := "-"? NUMBER | STRING | "true" | "false"
//! ```
//!
//! `//` comments run to the end of the line. Names must not be reserved
//! words; an IDENT type must be declared with `extern type`.

use std::collections::{BTreeMap, BTreeSet};

use crate::names::is_reserved;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    Int,
    Int64,
    Float,
    String,
    Bool,
    Unit,
    Any,
    List(Box<Type>),
    Map(Box<Type>, Box<Type>),
    Optional(Box<Type>),
    Extern(String),
    /// `fun(A, B): R` (a callback parameter; never optional).
    Fun(Vec<Type>, Box<Type>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub params: Vec<(String, Type)>,
    pub ret: Type,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Module {
    pub extern_types: BTreeSet<String>,
    pub extern_funs: BTreeMap<String, Signature>,
    /// name → (signature, called function, argument names)
    pub funs: BTreeMap<String, (Signature, String, Vec<String>)>,
    pub lets: BTreeMap<String, (Option<Type>, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Num(String),
    Str(String),
    Punct(char),
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    let b: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut line = 1;
    let mut out = Vec::new();
    let err = |line, m: &str| ParseError {
        line,
        message: m.to_string(),
    };
    while i < b.len() {
        let c = b[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push((Tok::Ident(b[s..i].iter().collect()), line));
        } else if c.is_ascii_digit() {
            let s = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric()
                    || b[i] == '.'
                    || ((b[i] == '-' || b[i] == '+') && matches!(b[i - 1], 'e' | 'E')))
            {
                i += 1;
            }
            let n: String = b[s..i].iter().collect();
            // Mochi's literals: `\d+` and `\d+\.\d+` (no exponent, no suffix).
            let ok = match n.split_once('.') {
                None => n.bytes().all(|c| c.is_ascii_digit()),
                Some((a, f)) => {
                    !a.is_empty()
                        && !f.is_empty()
                        && (a.bytes().chain(f.bytes())).all(|c| c.is_ascii_digit())
                }
            };
            if !ok {
                return Err(err(line, &format!("bad number `{n}`")));
            }
            out.push((Tok::Num(n), line));
        } else if c == '"' {
            i += 1;
            let mut s = String::new();
            loop {
                match b.get(i) {
                    None | Some('\n') => return Err(err(line, "unterminated string")),
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => {
                        match b.get(i + 1) {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some('r') => s.push('\r'),
                            Some('"') => s.push('"'),
                            Some('\\') => s.push('\\'),
                            _ => return Err(err(line, "bad escape")),
                        }
                        i += 2;
                    }
                    Some(&ch) => {
                        if ch.is_control() {
                            return Err(err(line, "control character in a string"));
                        }
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push((Tok::Str(s), line));
        } else if "(){}<>,:?=-".contains(c) {
            out.push((Tok::Punct(c), line));
            i += 1;
        } else {
            return Err(err(line, &format!("unexpected character `{c}`")));
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    i: usize,
}

impl Parser {
    fn line(&self) -> usize {
        self.toks
            .get(self.i)
            .or(self.toks.last())
            .map_or(1, |t| t.1)
    }

    fn err<T>(&self, m: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            line: self.line(),
            message: m.into(),
        })
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.0)
    }

    fn punct(&mut self, c: char) -> Result<(), ParseError> {
        match self.peek() {
            Some(Tok::Punct(p)) if *p == c => {
                self.i += 1;
                Ok(())
            }
            other => self.err(format!("expected `{c}`, found {other:?}")),
        }
    }

    fn eat_punct(&mut self, c: char) -> bool {
        if matches!(self.peek(), Some(Tok::Punct(p)) if *p == c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn keyword(&mut self, k: &str) -> Result<(), ParseError> {
        match self.peek() {
            Some(Tok::Ident(s)) if s == k => {
                self.i += 1;
                Ok(())
            }
            other => self.err(format!("expected `{k}`, found {other:?}")),
        }
    }

    fn raw_ident(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(Tok::Ident(s)) => {
                let s = s.clone();
                self.i += 1;
                Ok(s)
            }
            other => self.err(format!("expected a name, found {other:?}")),
        }
    }

    fn name(&mut self) -> Result<String, ParseError> {
        let s = self.raw_ident()?;
        if is_reserved(&s) {
            self.i -= 1;
            return self.err(format!("`{s}` is a reserved word"));
        }
        Ok(s)
    }

    fn ty(&mut self) -> Result<Type, ParseError> {
        let id = self.raw_ident()?;
        let base = match id.as_str() {
            "int" => Type::Int,
            "int64" => Type::Int64,
            "float" => Type::Float,
            "string" => Type::String,
            "bool" => Type::Bool,
            "unit" => Type::Unit,
            "any" => Type::Any,
            "list" => {
                self.punct('<')?;
                let e = self.ty()?;
                self.punct('>')?;
                Type::List(Box::new(e))
            }
            "map" => {
                self.punct('<')?;
                let k = self.ty()?;
                self.punct(',')?;
                let v = self.ty()?;
                self.punct('>')?;
                Type::Map(Box::new(k), Box::new(v))
            }
            "fun" => {
                self.punct('(')?;
                let mut ps = Vec::new();
                if !self.eat_punct(')') {
                    loop {
                        ps.push(self.ty()?);
                        if self.eat_punct(')') {
                            break;
                        }
                        self.punct(',')?;
                    }
                }
                self.punct(':')?;
                let r = self.ty()?;
                return Ok(Type::Fun(ps, Box::new(r)));
            }
            other if is_reserved(other) => return self.err(format!("`{other}` is not a type")),
            other => Type::Extern(other.to_string()),
        };
        if self.eat_punct('?') {
            if self.eat_punct('?') {
                return self.err("`T??` is not a type");
            }
            return Ok(Type::Optional(Box::new(base)));
        }
        Ok(base)
    }

    fn params(&mut self) -> Result<Vec<(String, Type)>, ParseError> {
        self.punct('(')?;
        let mut ps = Vec::new();
        if self.eat_punct(')') {
            return Ok(ps);
        }
        loop {
            let n = self.name()?;
            self.punct(':')?;
            let t = self.ty()?;
            if ps.iter().any(|(m, _)| *m == n) {
                return self.err(format!("parameter `{n}` twice"));
            }
            ps.push((n, t));
            if self.eat_punct(')') {
                return Ok(ps);
            }
            self.punct(',')?;
        }
    }

    fn literal(&mut self) -> Result<String, ParseError> {
        let neg = self.eat_punct('-');
        let lit = match self.peek().cloned() {
            Some(Tok::Num(n)) => n,
            Some(Tok::Str(s)) if !neg => format!("{s:?}"),
            Some(Tok::Ident(s)) if !neg && (s == "true" || s == "false") => s,
            other => return self.err(format!("expected a literal, found {other:?}")),
        };
        self.i += 1;
        Ok(if neg { format!("-{lit}") } else { lit })
    }
}

/// Parses one file.
pub fn parse(src: &str) -> Result<Module, ParseError> {
    let mut p = Parser {
        toks: lex(src)?,
        i: 0,
    };
    let mut m = Module::default();
    let mut declared: BTreeSet<String> = BTreeSet::new();
    while let Some(t) = p.peek().cloned() {
        let Tok::Ident(kw) = t else {
            return p.err(format!("expected an item, found {t:?}"));
        };
        match kw.as_str() {
            "extern" => {
                p.i += 1;
                let what = p.raw_ident()?;
                match what.as_str() {
                    "type" => {
                        let n = p.name()?;
                        if !m.extern_types.insert(n.clone()) {
                            return p.err(format!("extern type `{n}` twice"));
                        }
                    }
                    "fun" => {
                        let n = p.name()?;
                        let params = p.params()?;
                        p.punct(':')?;
                        let ret = p.ty()?;
                        if !declared.insert(n.clone()) {
                            return p.err(format!("`{n}` declared twice"));
                        }
                        m.extern_funs.insert(n, Signature { params, ret });
                    }
                    _ => return p.err(format!("`extern {what}` is not in the grammar")),
                }
            }
            "fun" => {
                p.i += 1;
                let n = p.name()?;
                let params = p.params()?;
                p.punct(':')?;
                let ret = p.ty()?;
                p.punct('{')?;
                p.keyword("return")?;
                let callee = p.name()?;
                p.punct('(')?;
                let mut args = Vec::new();
                if !p.eat_punct(')') {
                    loop {
                        args.push(p.name()?);
                        if p.eat_punct(')') {
                            break;
                        }
                        p.punct(',')?;
                    }
                }
                p.punct('}')?;
                if !declared.insert(n.clone()) {
                    return p.err(format!("`{n}` declared twice"));
                }
                m.funs.insert(n, (Signature { params, ret }, callee, args));
            }
            "let" => {
                p.i += 1;
                let n = p.name()?;
                let t = if p.eat_punct(':') {
                    Some(p.ty()?)
                } else {
                    None
                };
                p.punct('=')?;
                let v = p.literal()?;
                if !declared.insert(n.clone()) {
                    return p.err(format!("`{n}` declared twice"));
                }
                m.lets.insert(n, (t, v));
            }
            other => return p.err(format!("`{other}` does not start an item")),
        }
    }
    Ok(m)
}

fn types_in(t: &Type, out: &mut Vec<String>) {
    match t {
        Type::List(e) | Type::Optional(e) => types_in(e, out),
        Type::Map(k, v) => {
            types_in(k, out);
            types_in(v, out);
        }
        Type::Extern(n) => out.push(n.clone()),
        Type::Fun(ps, r) => {
            for p in ps {
                types_in(p, out);
            }
            types_in(r, out);
        }
        _ => {}
    }
}

/// Checks a pair of files as a unit: every extern type used is declared,
/// every alias calls a declared extern function with its own parameters in
/// order and has the same signature.
pub fn check_pair(extern_src: &str, alias_src: &str) -> Result<(Module, Module), String> {
    let ext = parse(extern_src).map_err(|e| format!("extern file: {e}"))?;
    let ali = parse(alias_src).map_err(|e| format!("alias file: {e}"))?;
    if !ali.extern_types.is_empty() || !ali.extern_funs.is_empty() {
        return Err("the alias file declares externs".into());
    }
    let check_types = |sig: &Signature, what: &str| -> Result<(), String> {
        let mut used = Vec::new();
        for (_, t) in &sig.params {
            types_in(t, &mut used);
        }
        types_in(&sig.ret, &mut used);
        for u in used {
            if !ext.extern_types.contains(&u) {
                return Err(format!("{what}: type `{u}` is not declared"));
            }
        }
        Ok(())
    };
    for (n, sig) in &ext.extern_funs {
        check_types(sig, n)?;
    }
    for (n, (sig, callee, args)) in &ali.funs {
        check_types(sig, n)?;
        let Some(target) = ext.extern_funs.get(callee) else {
            return Err(format!("{n}: calls undeclared `{callee}`"));
        };
        if *target != *sig {
            return Err(format!("{n}: signature differs from `{callee}`"));
        }
        let names: Vec<&String> = sig.params.iter().map(|(p, _)| p).collect();
        if names != args.iter().collect::<Vec<_>>() {
            return Err(format!("{n}: arguments do not match its parameters"));
        }
    }
    Ok((ext, ali))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_grammar() {
        let ext = "// header\nextern type JToken // clr\nextern fun f(a: int, b: list<map<string, JToken?>>): JToken?\nextern fun g(): unit\n";
        let ali = "let X: int = -3\nlet S = \"a\\\"b\"\nfun F(a: int, b: list<map<string, JToken?>>): JToken? {\n  return f(a, b)\n}\n";
        let (e, a) = check_pair(ext, ali).unwrap();
        assert_eq!(e.extern_funs.len(), 2);
        assert_eq!(a.lets.len(), 2);
    }

    #[test]
    fn function_types_are_callback_parameters() {
        let ext = "extern type IServiceProvider\nextern fun f(factory: fun(IServiceProvider): any, cmp: fun(string, string): int, act: fun(): unit): unit\n";
        let ali = "fun F(factory: fun(IServiceProvider): any, cmp: fun(string, string): int, act: fun(): unit): unit {\n  return f(factory, cmp, act)\n}\n";
        let (e, _) = check_pair(ext, ali).unwrap();
        let sig = &e.extern_funs["f"];
        assert_eq!(
            sig.params[0].1,
            Type::Fun(
                vec![Type::Extern("IServiceProvider".into())],
                Box::new(Type::Any)
            )
        );
        assert_eq!(sig.params[2].1, Type::Fun(vec![], Box::new(Type::Unit)));
        // Its types must be declared like any other.
        assert!(check_pair("extern fun f(g: fun(Undeclared): int): unit\n", "").is_err());
    }

    #[test]
    fn rejects_outside_the_grammar() {
        assert!(parse("extern fun f(a: (int, int)): int").is_err());
        assert!(parse("extern fun f(type: int): int").is_err());
        assert!(parse("extern fun f(a: int | string): int").is_err());
        assert!(parse("extern fun f(a: int??): int").is_err());
        assert!(parse("import x").is_err());
        assert!(parse("let X: float = 1e10").is_err());
        assert!(parse("let X: float = 1.").is_err());
        assert!(check_pair("extern fun f(): Foo", "").is_err());
        assert!(
            check_pair(
                "extern fun f(a: int): int",
                "fun F(b: int): int { return f(a) }"
            )
            .is_err()
        );
    }
}
