//! Listing-form CLR type names (`Ns.G`1<System.Int32>`, `Ns.Outer+Inner`,
//! `System.String[]`, `System.Int32&`) parsed into a tree and written as C#.

/// A parsed listing-form type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClrType {
    /// Full metadata name, arity suffixes kept (`Ns.G`1`, `Ns.Outer+Inner`).
    pub name: String,
    pub args: Vec<ClrType>,
    /// Applied in order: `[]` (array) and `&` (by reference).
    pub suffixes: Vec<Suffix>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suffix {
    Array,
    ByRef,
    Pointer,
}

impl ClrType {
    pub fn parse(s: &str) -> Option<ClrType> {
        let mut p = Parser {
            s: s.as_bytes(),
            i: 0,
        };
        let t = p.ty()?;
        (p.i == p.s.len()).then_some(t)
    }

    /// Without a trailing `&`.
    pub fn without_byref(&self) -> ClrType {
        let mut t = self.clone();
        if t.suffixes.last() == Some(&Suffix::ByRef) {
            t.suffixes.pop();
        }
        t
    }

    pub fn is_byref(&self) -> bool {
        self.suffixes.last() == Some(&Suffix::ByRef)
    }

    /// The element of an array, the argument of a one-argument generic
    /// (`List<T>`, `Nullable<T>`, `Task<T>`).
    pub fn element(&self) -> Option<ClrType> {
        if self.suffixes.last() == Some(&Suffix::Array) {
            let mut t = self.clone();
            t.suffixes.pop();
            return Some(t);
        }
        if self.suffixes.is_empty() && !self.args.is_empty() {
            return self.args.first().cloned();
        }
        None
    }

    /// The type arguments (for `Dictionary<K,V>`), when not an array.
    pub fn generic_args(&self) -> &[ClrType] {
        if self.suffixes.is_empty() {
            &self.args
        } else {
            &[]
        }
    }

    pub fn is_nullable_value(&self) -> bool {
        self.suffixes.is_empty() && self.name == "System.Nullable`1"
    }

    /// C# source text: `global::`-qualified, keywords for primitives,
    /// nested types with `.`, generic arguments distributed over the nesting.
    pub fn cs(&self) -> String {
        let mut out = if let Some(k) = keyword_of(&self.name).filter(|_| self.args.is_empty()) {
            k.to_string()
        } else {
            let mut args = self.args.iter();
            let mut s = String::from("global::");
            for (n, seg) in self.name.split('+').enumerate() {
                if n > 0 {
                    s.push('.');
                }
                let (base, arity) = match seg.rsplit_once('`') {
                    Some((b, a)) => (b, a.parse::<usize>().unwrap_or(0)),
                    None => (seg, 0),
                };
                s.push_str(base);
                if arity > 0 {
                    let taken: Vec<String> = args.by_ref().take(arity).map(ClrType::cs).collect();
                    s.push('<');
                    s.push_str(&taken.join(", "));
                    s.push('>');
                }
            }
            // Arguments left over (a listing without arity markers): append.
            let rest: Vec<String> = args.map(ClrType::cs).collect();
            if !rest.is_empty() {
                s.push('<');
                s.push_str(&rest.join(", "));
                s.push('>');
            }
            s
        };
        for suf in &self.suffixes {
            match suf {
                Suffix::Array => out.push_str("[]"),
                Suffix::Pointer => out.push('*'),
                Suffix::ByRef => {}
            }
        }
        out
    }

    /// `typeof(...)` text; by-reference types through `MakeByRefType()`.
    pub fn type_of(&self) -> String {
        if self.is_byref() {
            format!("typeof({}).MakeByRefType()", self.without_byref().cs())
        } else {
            format!("typeof({})", self.cs())
        }
    }
}

fn keyword_of(name: &str) -> Option<&'static str> {
    Some(match name {
        "System.Void" => "void",
        "System.Boolean" => "bool",
        "System.Char" => "char",
        "System.SByte" => "sbyte",
        "System.Byte" => "byte",
        "System.Int16" => "short",
        "System.UInt16" => "ushort",
        "System.Int32" => "int",
        "System.UInt32" => "uint",
        "System.Int64" => "long",
        "System.UInt64" => "ulong",
        "System.Single" => "float",
        "System.Double" => "double",
        "System.Decimal" => "decimal",
        "System.String" => "string",
        "System.Object" => "object",
        _ => return None,
    })
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ty(&mut self) -> Option<ClrType> {
        let start = self.i;
        while self.i < self.s.len()
            && !matches!(
                self.s[self.i],
                b'<' | b'>' | b',' | b'[' | b']' | b'&' | b'*'
            )
        {
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        let name = std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .trim()
            .to_string();
        let mut args = Vec::new();
        if self.peek() == Some(b'<') {
            self.i += 1;
            loop {
                args.push(self.ty()?);
                match self.peek()? {
                    b',' => self.i += 1,
                    b'>' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        let mut suffixes = Vec::new();
        loop {
            match self.peek() {
                Some(b'[') if self.s.get(self.i + 1) == Some(&b']') => {
                    self.i += 2;
                    suffixes.push(Suffix::Array);
                }
                Some(b'&') => {
                    self.i += 1;
                    suffixes.push(Suffix::ByRef);
                }
                Some(b'*') => {
                    self.i += 1;
                    suffixes.push(Suffix::Pointer);
                }
                _ => break,
            }
        }
        Some(ClrType {
            name,
            args,
            suffixes,
        })
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
}

/// C# keywords (and contextual ones that cannot be parameter names safely):
/// such a parameter name is written `@name`.
const CS_KEYWORDS: &[&str] = &[
    "abstract",
    "as",
    "base",
    "bool",
    "break",
    "byte",
    "case",
    "catch",
    "char",
    "checked",
    "class",
    "const",
    "continue",
    "decimal",
    "default",
    "delegate",
    "do",
    "double",
    "else",
    "enum",
    "event",
    "explicit",
    "extern",
    "false",
    "finally",
    "fixed",
    "float",
    "for",
    "foreach",
    "goto",
    "if",
    "implicit",
    "in",
    "int",
    "interface",
    "internal",
    "is",
    "lock",
    "long",
    "namespace",
    "new",
    "null",
    "object",
    "operator",
    "out",
    "override",
    "params",
    "private",
    "protected",
    "public",
    "readonly",
    "ref",
    "return",
    "sbyte",
    "sealed",
    "short",
    "sizeof",
    "stackalloc",
    "static",
    "string",
    "struct",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "uint",
    "ulong",
    "unchecked",
    "unsafe",
    "ushort",
    "using",
    "virtual",
    "void",
    "volatile",
    "while",
];

/// A Mochi identifier as a C# identifier.
pub fn cs_ident(name: &str) -> String {
    if CS_KEYWORDS.contains(&name) {
        format!("@{name}")
    } else {
        name.to_string()
    }
}

/// `newtonsoft_json` → `NewtonsoftJson`.
pub fn pascal(snake: &str) -> String {
    let mut out = String::new();
    for part in snake.split('_').filter(|p| !p.is_empty()) {
        let mut cs = part.chars();
        if let Some(c) = cs.next() {
            out.push(c.to_ascii_uppercase());
            out.extend(cs);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'P');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes() {
        let t =
            ClrType::parse("System.Collections.Generic.Dictionary`2<System.String,System.Int32>")
                .unwrap();
        assert_eq!(
            t.cs(),
            "global::System.Collections.Generic.Dictionary<string, int>"
        );
        let t = ClrType::parse("Ns.Outer`1+Inner<System.Int32>[]").unwrap();
        assert_eq!(t.cs(), "global::Ns.Outer<int>.Inner[]");
        let t = ClrType::parse("System.Int32&").unwrap();
        assert!(t.is_byref());
        assert_eq!(t.type_of(), "typeof(int).MakeByRefType()");
        assert_eq!(
            ClrType::parse("System.Int32[][]")
                .unwrap()
                .element()
                .unwrap()
                .cs(),
            "int[]"
        );
        assert_eq!(pascal("abi_fixture"), "AbiFixture");
        assert_eq!(cs_ident("base"), "@base");
    }
}
