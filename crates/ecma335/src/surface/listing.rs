//! The surface listing (docs/surface-listing.md, version 1).

use std::fmt::Write;

use crate::surface::model::{Surface, TypeDef, TypeSig};

impl Surface {
    /// The listing: one line per type and member, byte-sorted, `\n`-joined
    /// with a trailing `\n`; empty when nothing is listed.
    pub fn listing(&self) -> String {
        let mut lines = Lines::default();
        for t in &self.types {
            lines.add_type(t);
        }
        lines.finish()
    }
}

/// Listing lines kept in one buffer, sorted at the end.
#[derive(Default)]
pub(crate) struct Lines {
    pub(crate) buf: String,
    /// Byte ranges of the lines in `buf` (usize: a hostile file can make a
    /// listing larger than 4 GiB, since every line repeats its type's name).
    spans: Vec<(usize, usize)>,
}

impl Lines {
    pub(crate) fn with_capacity(bytes: usize, lines: usize) -> Self {
        Lines {
            buf: String::with_capacity(bytes),
            spans: Vec::with_capacity(lines),
        }
    }

    /// Ends the line that started at byte `start` of `buf`.
    pub(crate) fn end_line(&mut self, start: usize) {
        self.spans.push((start, self.buf.len()));
    }

    pub(crate) fn add_type(&mut self, t: &TypeDef) {
        let name = &*t.name;
        let l = &mut self.buf;
        let start = l.len();
        let _ = write!(l, "T {} {name}", t.kind.as_str());
        self.end_line(start);
        for m in &t.methods {
            let l = &mut self.buf;
            let start = l.len();
            l.push_str("M ");
            l.push_str(name);
            l.push_str("::");
            l.push_str(&m.name);
            if m.arity > 0 {
                let _ = write!(l, "``{}", m.arity);
            }
            l.push('(');
            for (i, p) in m.params.iter().enumerate() {
                if i > 0 {
                    l.push(',');
                }
                if m.sentinel == Some(i as u32) {
                    l.push_str("...,");
                }
                p.r#type.write_listing(l);
            }
            l.push_str(") -> ");
            m.returns.r#type.write_listing(l);
            if m.r#static {
                l.push_str(" static");
            }
            self.end_line(start);
        }
        for f in &t.fields {
            let l = &mut self.buf;
            let start = l.len();
            let _ = write!(l, "F {name}::{} : ", f.name);
            f.r#type.write_listing(l);
            if f.r#static {
                l.push_str(" static");
            }
            self.end_line(start);
        }
        for p in &t.properties {
            let l = &mut self.buf;
            let start = l.len();
            let _ = write!(l, "P {name}::{}(", p.name);
            write_list(l, &p.params);
            l.push_str(") : ");
            p.r#type.write_listing(l);
            self.end_line(start);
        }
        for e in &t.events {
            let l = &mut self.buf;
            let start = l.len();
            let _ = write!(l, "E {name}::{} : ", e.name);
            e.r#type.write_listing(l);
            self.end_line(start);
        }
    }

    pub(crate) fn finish(self) -> String {
        let mut out = Vec::with_capacity(self.buf.len() + self.spans.len());
        self.write_to(&mut out)
            .expect("writing to memory cannot fail");
        String::from_utf8(out).expect("the listing is UTF-8")
    }

    /// Sorts the lines and writes them, each followed by `\n`.
    pub(crate) fn write_to<W: std::io::Write>(mut self, out: &mut W) -> std::io::Result<()> {
        let buf = std::mem::take(&mut self.buf);
        let line = |s: &(usize, usize)| &buf.as_bytes()[s.0..s.1];
        self.spans.sort_unstable_by(|a, b| line(a).cmp(line(b)));
        for s in &self.spans {
            out.write_all(line(s))?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

fn write_list(out: &mut String, types: &[TypeSig]) {
    for (i, t) in types.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        t.write_listing(out);
    }
}
