//! Identifier rules shared by the entry points, the alias module and the
//! Mochi parameter names: lower-snake conversion, reserved words, and the
//! stable hash suffix of last resort.

use sha2::{Digest, Sha256};

/// Mochi keywords (the upstream lexer's keyword set), the words its query,
/// import and logic syntax match, and the built-in type names: never used as
/// a parameter, function or type name in emitted Mochi. A clashing name gets
/// a trailing `_`.
pub const MOCHI_RESERVED: &[&str] = &[
    "agent",
    "all",
    "any",
    "as",
    "auto",
    "bool",
    "break",
    "by",
    "continue",
    "distinct",
    "else",
    "emit",
    "except",
    "expect",
    "export",
    "extern",
    "fact",
    "false",
    "fetch",
    "float",
    "for",
    "from",
    "fun",
    "generate",
    "group",
    "having",
    "if",
    "import",
    "in",
    "int",
    "int64",
    "intent",
    "intersect",
    "into",
    "is",
    "join",
    "left",
    "let",
    "list",
    "load",
    "map",
    "match",
    "model",
    "nil",
    "null",
    "object",
    "on",
    "order",
    "outer",
    "package",
    "query",
    "return",
    "right",
    "rule",
    "save",
    "select",
    "skip",
    "sort",
    "stream",
    "string",
    "struct",
    "take",
    "test",
    "then",
    "true",
    "type",
    "union",
    "unit",
    "update",
    "var",
    "where",
    "while",
    "with",
    "yield",
];

pub fn is_reserved(name: &str) -> bool {
    MOCHI_RESERVED.binary_search(&name).is_ok()
}

/// `SerializeObject` → `serialize_object`, `JToken` → `j_token`,
/// `XMLReader` → `xml_reader`, `UInt64` → `u_int64`, `Outer+Inner` →
/// `outer_inner`. Digits stay with the word before them. Anything that is not
/// an ASCII letter or digit separates words; non-ASCII letters become `uXXXX`.
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 8);
    let mut pending_sep = false;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && i > 0 {
                let prev = chars[i - 1];
                let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
                if prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase() && next_lower)
                {
                    pending_sep = true;
                }
            }
            if pending_sep && !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            pending_sep = false;
            out.push(c.to_ascii_lowercase());
        } else if c.is_alphabetic() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push_str(&format!("u{:04x}", c as u32));
            pending_sep = true;
        } else {
            pending_sep = true;
        }
    }
    if out.is_empty() {
        out.push('x');
    }
    if out.as_bytes()[0].is_ascii_digit() {
        out.insert(0, '_');
    }
    out
}

/// A valid Mochi identifier from a .NET name (parameter or type part):
/// kept as written when it already is one, else cleaned; reserved words get a
/// trailing `_`.
pub fn mochi_ident(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        s.push('x');
    }
    if s.as_bytes()[0].is_ascii_digit() {
        s.insert(0, '_');
    }
    if is_reserved(&s) {
        s.push('_');
    }
    s
}

/// The last `+`/`.`-separated segment of a CLR type name, without its
/// backtick arity: `Ns.Outer`1+Inner` → `Inner`, `System.String` → `String`.
pub fn short_type_name(full: &str) -> &str {
    let last = full.rsplit(['.', '+']).next().unwrap_or(full);
    strip_arity(last)
}

pub fn strip_arity(name: &str) -> &str {
    match name.find('`') {
        Some(i) => &name[..i],
        None => name,
    }
}

/// The type part without namespace, nested types joined with `_`, arity
/// removed from each part: `Ns.Outer`1+Inner` → `Outer_Inner`.
pub fn nested_type_name(full: &str) -> String {
    let without_ns = match full.find('+') {
        Some(plus) => {
            let head = &full[..plus];
            let start = head.rfind('.').map_or(0, |d| d + 1);
            &full[start..]
        }
        None => full.rsplit('.').next().unwrap_or(full),
    };
    without_ns
        .split('+')
        .map(strip_arity)
        .collect::<Vec<_>>()
        .join("_")
}

/// Eight hex digits of the SHA-256 of `key`: the suffix of last resort when
/// names derived from types still collide.
pub fn short_hash(key: &str) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_list_is_sorted() {
        let mut v = MOCHI_RESERVED.to_vec();
        v.sort();
        assert_eq!(v, MOCHI_RESERVED);
    }

    #[test]
    fn snake_cases() {
        assert_eq!(snake("SerializeObject"), "serialize_object");
        assert_eq!(snake("JToken"), "j_token");
        assert_eq!(snake("XMLReader"), "xml_reader");
        assert_eq!(snake("UInt64"), "u_int64");
        assert_eq!(snake("Int32"), "int32");
        assert_eq!(snake("Outer+Inner"), "outer_inner");
        assert_eq!(snake("op_Addition"), "op_addition");
        assert_eq!(snake(".ctor"), "ctor");
        assert_eq!(snake("List`1"), "list_1");
        assert_eq!(snake("IPAddress"), "ip_address");
        assert_eq!(snake("Utf8Json"), "utf8_json");
        assert_eq!(snake("Newtonsoft.Json"), "newtonsoft_json");
    }

    #[test]
    fn idents() {
        assert_eq!(mochi_ident("type"), "type_");
        assert_eq!(mochi_ident("value"), "value");
        assert_eq!(mochi_ident("<>x"), "__x");
        assert_eq!(nested_type_name("Ns.Outer`1+Inner"), "Outer_Inner");
        assert_eq!(short_type_name("Ns.Outer`1+Inner`2"), "Inner");
    }
}
