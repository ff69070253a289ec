//! The API declaration file of a Mochi library (docs/native-library.md): the public
//! functions and types its native library exports, in Mochi's declaration syntax.
//!
//! ```text
//! /// A running total.
//! type Counter
//!
//! /// Adds two integers.
//! fun add(a: int, b: int): int
//! ```
//!
//! One item a line; `///` lines document the item that follows; `//` lines are
//! comments. Pure: text in, [`Api`] or a [`PublishError::Declaration`] out.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{PublishError, Result};

/// A type of the declaration vocabulary (the bindings' Mochi types, minus `any`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Int,
    Int64,
    Float,
    Bool,
    String,
    Unit,
    /// A `type` declared in the file: an opaque handle.
    Handle(String),
    List(Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
    Optional(Box<Ty>),
}

impl Ty {
    /// Mochi spelling.
    pub fn mochi(&self) -> String {
        match self {
            Ty::Int => "int".into(),
            Ty::Int64 => "int64".into(),
            Ty::Float => "float".into(),
            Ty::Bool => "bool".into(),
            Ty::String => "string".into(),
            Ty::Unit => "unit".into(),
            Ty::Handle(n) => n.clone(),
            Ty::List(e) => format!("list<{}>", e.mochi()),
            Ty::Map(k, v) => format!("map<{}, {}>", k.mochi(), v.mochi()),
            Ty::Optional(t) => format!("{}?", t.mochi()),
        }
    }

    fn is_scalar(&self) -> bool {
        matches!(self, Ty::Int | Ty::Int64 | Ty::Float | Ty::Bool)
    }
}

/// `name: type`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub ty: Ty,
}

/// `fun name(params): returns`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub params: Vec<Param>,
    pub returns: Ty,
    /// The `///` lines before it, without the markers.
    pub doc: Vec<String>,
    pub line: usize,
}

/// `type Name`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeDecl {
    pub name: String,
    pub doc: Vec<String>,
    pub line: usize,
}

/// A parsed declaration file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Api {
    /// `//!` lines at the top: documentation of the library as a whole.
    pub doc: Vec<String>,
    pub types: Vec<TypeDecl>,
    pub functions: Vec<Function>,
}

/// Names a library exports itself (docs/native-library.md), so no function may take them.
pub const RESERVED_FUNCTIONS: &[&str] = &["abi_version", "free", "handle_release"];

const KEYWORDS: &[&str] = &[
    "int", "int64", "float", "bool", "string", "unit", "any", "list", "map", "fun", "type", "let",
    "var", "return", "if", "else", "for", "while", "in", "true", "false", "null", "extern",
    "import", "export", "match", "struct", "self",
];

/// Reads and parses a declaration file.
pub fn load(path: &Path) -> Result<Api> {
    let text = std::fs::read_to_string(path).map_err(PublishError::io(path))?;
    parse(&text, path)
}

struct Cursor<'a> {
    file: &'a Path,
    line_no: usize,
    line: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn err(&self, at: usize, message: impl Into<String>, hint: impl Into<String>) -> PublishError {
        PublishError::Declaration {
            file: self.file.to_path_buf(),
            line: self.line_no,
            column: self.line[..at.min(self.line.len())].chars().count() + 1,
            message: message.into(),
            hint: hint.into(),
        }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.line.len() && self.line.as_bytes()[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn rest(&self) -> &'a str {
        &self.line[self.pos..]
    }

    fn ident(&mut self, what: &str) -> Result<(String, usize)> {
        self.skip_ws();
        let start = self.pos;
        let bytes = self.line.as_bytes();
        while self.pos < bytes.len()
            && (bytes[self.pos].is_ascii_alphanumeric() || bytes[self.pos] == b'_')
        {
            self.pos += 1;
        }
        let s = &self.line[start..self.pos];
        if s.is_empty() || s.as_bytes()[0].is_ascii_digit() {
            let found = self
                .rest()
                .chars()
                .next()
                .map_or("the end of the line".to_string(), |c| format!("`{c}`"));
            return Err(self.err(
                start,
                format!("expected {what}, found {found}"),
                "names are a letter or `_` then letters, digits and `_`",
            ));
        }
        Ok((s.to_string(), start))
    }

    fn expect(&mut self, token: char, context: &str) -> Result<()> {
        self.skip_ws();
        if self.rest().starts_with(token) {
            self.pos += token.len_utf8();
            Ok(())
        } else {
            let found = self
                .rest()
                .chars()
                .next()
                .map_or("the end of the line".to_string(), |c| format!("`{c}`"));
            Err(self.err(
                self.pos,
                format!("expected `{token}` {context}, found {found}"),
                "declarations are `fun name(p: T, …): R` and `type Name`, one a line",
            ))
        }
    }

    fn peek(&mut self, token: char) -> bool {
        self.skip_ws();
        self.rest().starts_with(token)
    }

    fn ty(&mut self) -> Result<(Ty, usize)> {
        let (name, at) = self.ident("a type")?;
        let base = match name.as_str() {
            "int" => Ty::Int,
            "int64" => Ty::Int64,
            "float" => Ty::Float,
            "bool" => Ty::Bool,
            "string" => Ty::String,
            "unit" => Ty::Unit,
            "any" => {
                return Err(self.err(
                    at,
                    "`any` cannot cross a native library's ABI",
                    "declare a `type` for the value and pass it as a handle",
                ));
            }
            "list" => {
                self.expect('<', "after `list`")?;
                let (e, _) = self.ty()?;
                self.expect('>', "to close `list<`")?;
                Ty::List(Box::new(e))
            }
            "map" => {
                self.expect('<', "after `map`")?;
                let (k, _) = self.ty()?;
                self.expect(',', "between the key and value types of `map`")?;
                let (v, _) = self.ty()?;
                self.expect('>', "to close `map<`")?;
                Ty::Map(Box::new(k), Box::new(v))
            }
            _ => Ty::Handle(name),
        };
        if self.peek('?') {
            self.pos += 1;
            if self.peek('?') {
                return Err(self.err(
                    self.pos,
                    "`??` is not a type",
                    "an optional is written once: `T?`",
                ));
            }
            return Ok((Ty::Optional(Box::new(base)), at));
        }
        Ok((base, at))
    }
}

/// Parses declaration text (`file` names it in errors).
pub fn parse(text: &str, file: &Path) -> Result<Api> {
    let mut api = Api::default();
    let mut doc: Vec<String> = Vec::new();
    let mut doc_line = 0usize;
    let mut seen_item = false;
    // name → (line, kind) for duplicates.
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut uses: Vec<(String, usize, usize)> = Vec::new();
    for (i, raw_line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw_line.trim_end_matches('\r');
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let mut c = Cursor {
            file,
            line_no,
            line,
            pos: indent,
        };
        if trimmed.is_empty() {
            continue;
        }
        if let Some(d) = trimmed.strip_prefix("//!") {
            if seen_item || !doc.is_empty() {
                return Err(c.err(
                    indent,
                    "`//!` documents the library and belongs at the top of the file",
                    "move it above the first declaration, or use `///` for the next item",
                ));
            }
            api.doc
                .push(d.strip_prefix(' ').unwrap_or(d).trim_end().to_string());
            continue;
        }
        if let Some(d) = trimmed.strip_prefix("///") {
            if doc.is_empty() {
                doc_line = line_no;
            }
            doc.push(d.strip_prefix(' ').unwrap_or(d).trim_end().to_string());
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        // Trailing `//` comments after an item.
        let code_end = line.find("//").unwrap_or(line.len());
        let code = &line[..code_end];
        c.line = code;
        seen_item = true;
        let (kw, kw_at) = c.ident("`fun` or `type`")?;
        match kw.as_str() {
            "type" => {
                let (name, at) = c.ident("a type name")?;
                check_name(&c, &name, at, "type")?;
                if !name.as_bytes()[0].is_ascii_uppercase() {
                    return Err(c.err(
                        at,
                        format!("type `{name}` must start with an upper-case letter"),
                        "type names are PascalCase (e.g. `type Counter`)",
                    ));
                }
                c.skip_ws();
                if !c.rest().is_empty() {
                    return Err(c.err(
                        c.pos,
                        format!("unexpected `{}` after the type name", c.rest().trim()),
                        "a type declaration is `type Name` alone: its values are opaque handles",
                    ));
                }
                if let Some(prev) = names.insert(name.clone(), line_no) {
                    return Err(c.err(
                        at,
                        format!("`{name}` is already declared on line {prev}"),
                        "every function and type needs its own name",
                    ));
                }
                api.types.push(TypeDecl {
                    name,
                    doc: std::mem::take(&mut doc),
                    line: line_no,
                });
            }
            "fun" => {
                let (name, at) = c.ident("a function name")?;
                check_name(&c, &name, at, "function")?;
                if RESERVED_FUNCTIONS.contains(&name.as_str()) {
                    return Err(c.err(
                        at,
                        format!(
                            "`{name}` is exported by every library itself (mochi_<pkg>_{name})"
                        ),
                        "rename the function",
                    ));
                }
                if let Some(prev) = names.insert(name.clone(), line_no) {
                    return Err(c.err(
                        at,
                        format!("`{name}` is already declared on line {prev}"),
                        "Mochi declarations have no overloads: give each function its own name",
                    ));
                }
                c.expect('(', "after the function name")?;
                let mut params: Vec<Param> = Vec::new();
                if !c.peek(')') {
                    loop {
                        let (pname, pat) = c.ident("a parameter name")?;
                        check_name(&c, &pname, pat, "parameter")?;
                        if params.iter().any(|p| p.name == pname) {
                            return Err(c.err(
                                pat,
                                format!("parameter `{pname}` appears twice"),
                                "give each parameter its own name",
                            ));
                        }
                        c.expect(':', "after the parameter name")?;
                        let (ty, tat) = c.ty()?;
                        check_param_type(&c, &ty, tat)?;
                        collect_handles(&ty, tat, line_no, &mut uses);
                        params.push(Param { name: pname, ty });
                        if c.peek(',') {
                            c.pos += 1;
                            continue;
                        }
                        break;
                    }
                }
                c.expect(')', "to close the parameter list")?;
                let returns = if c.peek(':') {
                    c.pos += 1;
                    let (ty, tat) = c.ty()?;
                    check_return_type(&c, &ty, tat)?;
                    collect_handles(&ty, tat, line_no, &mut uses);
                    ty
                } else {
                    Ty::Unit
                };
                c.skip_ws();
                if c.peek('{') {
                    return Err(c.err(c.pos, "a declaration has no body", "the body lives in the Mochi source; the declaration file lists signatures only"));
                }
                if !c.rest().is_empty() {
                    return Err(c.err(
                        c.pos,
                        format!("unexpected `{}` after the declaration", c.rest().trim()),
                        "one declaration a line",
                    ));
                }
                api.functions.push(Function {
                    name,
                    params,
                    returns,
                    doc: std::mem::take(&mut doc),
                    line: line_no,
                });
            }
            "extern" | "export" | "pub" => {
                return Err(c.err(
                    kw_at,
                    format!("`{kw}` is not used in a declaration file"),
                    "write `fun name(p: T): R` or `type Name`",
                ));
            }
            other => {
                return Err(c.err(kw_at, format!("expected `fun` or `type`, found `{other}`"), "declarations are `fun name(p: T, …): R` and `type Name`, one a line; `///` documents the next one"));
            }
        }
    }
    if !doc.is_empty() {
        return Err(PublishError::Declaration {
            file: file.to_path_buf(),
            line: doc_line,
            column: 1,
            message: "`///` documentation is followed by no declaration".into(),
            hint: "put it right above the function or type it documents".into(),
        });
    }
    for (name, line, at) in &uses {
        if !api.types.iter().any(|t| &t.name == name) {
            let line_text = text.lines().nth(line - 1).unwrap_or("");
            return Err(PublishError::Declaration {
                file: file.to_path_buf(),
                line: *line,
                column: line_text[..(*at).min(line_text.len())].chars().count() + 1,
                message: format!("unknown type `{name}`"),
                hint: format!(
                    "declare it with `type {name}`, or use int, int64, float, bool, string, list<T>, map<K, V> or T?"
                ),
            });
        }
    }
    if api.functions.is_empty() {
        return Err(PublishError::Declaration {
            file: file.to_path_buf(),
            line: 1,
            column: 1,
            message: "the file declares no function".into(),
            hint: "declare the library's public functions: `fun name(p: T, …): R`".into(),
        });
    }
    Ok(api)
}

fn check_name(c: &Cursor<'_>, name: &str, at: usize, what: &str) -> Result<()> {
    if KEYWORDS.contains(&name) {
        return Err(c.err(
            at,
            format!("`{name}` is a reserved word and cannot name a {what}"),
            "choose another name",
        ));
    }
    if name.starts_with("mochi_") || name.starts_with("Mochi") {
        return Err(c.err(
            at,
            format!("`{name}`: names starting with `mochi` are the bridge's"),
            "choose another name",
        ));
    }
    Ok(())
}

/// Every declared-type name `ty` uses, with where (line, column offset).
fn collect_handles(ty: &Ty, at: usize, line: usize, out: &mut Vec<(String, usize, usize)>) {
    match ty {
        Ty::Handle(n) => out.push((n.clone(), line, at)),
        Ty::List(e) | Ty::Optional(e) => collect_handles(e, at, line, out),
        Ty::Map(k, v) => {
            collect_handles(k, at, line, out);
            collect_handles(v, at, line, out);
        }
        _ => {}
    }
}

/// What the ABI carries (docs/native-library.md "Types").
fn check_value_type(c: &Cursor<'_>, ty: &Ty, at: usize) -> Result<()> {
    let unsupported = |what: String, hint: &str| Err(c.err(at, what, hint.to_string()));
    match ty {
        Ty::Unit => unsupported(
            "`unit` is not a value: it is only a function's result".into(),
            "drop the parameter",
        ),
        Ty::Optional(inner) => match inner.as_ref() {
            Ty::Int | Ty::Int64 | Ty::Float | Ty::Bool | Ty::String | Ty::Handle(_) => Ok(()),
            other => unsupported(
                format!("`{}?` is not supported", other.mochi()),
                "optionals are of int, int64, float, bool, string or a declared type; return an empty list or map instead of an absent one",
            ),
        },
        Ty::List(e) => match e.as_ref() {
            e if e.is_scalar() || *e == Ty::String => Ok(()),
            other => unsupported(
                format!("`list<{}>` is not supported", other.mochi()),
                "list elements are int, int64, float, bool or string",
            ),
        },
        Ty::Map(k, v) => {
            if !matches!(k.as_ref(), Ty::String | Ty::Int | Ty::Int64) {
                return unsupported(
                    format!("`map` keys of type `{}` are not supported", k.mochi()),
                    "map keys are string, int or int64",
                );
            }
            if !(v.is_scalar() || **v == Ty::String) {
                return unsupported(
                    format!("`map` values of type `{}` are not supported", v.mochi()),
                    "map values are int, int64, float, bool or string",
                );
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_param_type(c: &Cursor<'_>, ty: &Ty, at: usize) -> Result<()> {
    check_value_type(c, ty, at)
}

fn check_return_type(c: &Cursor<'_>, ty: &Ty, at: usize) -> Result<()> {
    if *ty == Ty::Unit {
        return Ok(());
    }
    check_value_type(c, ty, at)
}

/// `counter_add` / `counterAdd` → `CounterAdd`.
pub fn pascal(name: &str) -> String {
    let mut out = String::new();
    for part in name.split('_').filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(f) = chars.next() {
            out.extend(f.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() { "_".into() } else { out }
}

/// `by_value` → `byValue`.
pub fn camel(name: &str) -> String {
    let p = pascal(name);
    let mut chars = p.chars();
    match chars.next() {
        Some(f) => f.to_lowercase().chain(chars).collect(),
        None => p,
    }
}

/// Lower snake case of a package name (`MathX` → `math_x`), the C symbol prefix part.
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &ch) in chars.iter().enumerate() {
        if ch.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && !out.ends_with('_') && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Api> {
        parse(text, Path::new("api.mochi"))
    }

    fn err(text: &str) -> (usize, usize, String) {
        match p(text) {
            Err(PublishError::Declaration {
                line,
                column,
                message,
                ..
            }) => (line, column, message),
            other => panic!("expected a declaration error, got {other:?}"),
        }
    }

    #[test]
    fn parses_functions_types_and_docs() {
        let api = p("//! The library.\n\n/// A counter.\ntype Counter\n// a comment\n/// Adds.\n/// Two lines.\nfun add(a: int, b: int64): int // trailing\nfun f(xs: list<float>, m: map<string, int>, o: string?, c: Counter?)\nfun g(): Counter\n").unwrap();
        assert_eq!(api.doc, vec!["The library."]);
        assert_eq!(
            api.types,
            vec![TypeDecl {
                name: "Counter".into(),
                doc: vec!["A counter.".into()],
                line: 4
            }]
        );
        assert_eq!(api.functions[0].name, "add");
        assert_eq!(api.functions[0].doc, vec!["Adds.", "Two lines."]);
        assert_eq!(api.functions[0].params[1].ty, Ty::Int64);
        assert_eq!(api.functions[0].returns, Ty::Int);
        assert_eq!(api.functions[1].returns, Ty::Unit);
        assert_eq!(
            api.functions[1]
                .params
                .iter()
                .map(|p| p.ty.mochi())
                .collect::<Vec<_>>(),
            vec!["list<float>", "map<string, int>", "string?", "Counter?"]
        );
        assert_eq!(api.functions[2].returns, Ty::Handle("Counter".into()));
    }

    #[test]
    fn errors_name_line_and_column() {
        assert_eq!(
            err("fun f(a: any)\n"),
            (1, 10, "`any` cannot cross a native library's ABI".into())
        );
        assert_eq!(err("fun f(a: Thing): int\n").2, "unknown type `Thing`");
        assert_eq!(
            err("fun f(a: int)\nfun f()\n"),
            (2, 5, "`f` is already declared on line 1".into())
        );
        assert_eq!(err("fun free()\n").0, 1);
        assert_eq!(
            err("fun f(a: int\n").2,
            "expected `)` to close the parameter list, found the end of the line"
        );
        assert_eq!(
            err("fun f(a: list<list<int>>)\n").2,
            "`list<list<int>>` is not supported"
        );
        assert_eq!(
            err("fun f(a: map<float, int>)\n").2,
            "`map` keys of type `float` are not supported"
        );
        assert_eq!(
            err("fun f(a: unit)\n").2,
            "`unit` is not a value: it is only a function's result"
        );
        assert_eq!(
            err("fun f(): list<int>?\n").2,
            "`list<int>?` is not supported"
        );
        assert_eq!(
            err("type counter\n").2,
            "type `counter` must start with an upper-case letter"
        );
        assert_eq!(
            err("/// dangling\n"),
            (
                1,
                1,
                "`///` documentation is followed by no declaration".into()
            )
        );
        assert_eq!(err("fun f() { }\n").2, "a declaration has no body");
        assert_eq!(
            err("let x = 1\n").2,
            "expected `fun` or `type`, found `let`"
        );
        assert_eq!(err("type A\n").2, "the file declares no function");
        assert_eq!(
            err("fun f(a: int, a: int)\n").2,
            "parameter `a` appears twice"
        );
        assert_eq!(
            err("fun f(type: int)\n").2,
            "`type` is a reserved word and cannot name a parameter"
        );
    }

    #[test]
    fn names() {
        assert_eq!(pascal("counter_add"), "CounterAdd");
        assert_eq!(pascal("isEven"), "IsEven");
        assert_eq!(camel("by_value"), "byValue");
        assert_eq!(snake("MathX"), "math_x");
        assert_eq!(snake("mathx"), "mathx");
        assert_eq!(snake("HTTPServer"), "http_server");
    }
}
