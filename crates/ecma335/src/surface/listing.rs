//! The surface listing (shared/design/surface-listing.md, version 1).

use crate::surface::model::{Surface, TypeSig};

impl Surface {
    /// The listing: one line per type and member, byte-sorted, `\n`-joined
    /// with a trailing `\n`; empty when nothing is listed.
    pub fn listing(&self) -> String {
        let mut lines: Vec<String> = Vec::new();
        for t in &self.types {
            let name = &*t.name;
            lines.push(format!("T {} {name}", t.kind.as_str()));
            for m in &t.methods {
                let mut l = String::with_capacity(64);
                l.push_str("M ");
                l.push_str(name);
                l.push_str("::");
                l.push_str(&m.name);
                if m.arity > 0 {
                    l.push_str("``");
                    l.push_str(&m.arity.to_string());
                }
                l.push('(');
                for (i, p) in m.params.iter().enumerate() {
                    if i > 0 {
                        l.push(',');
                    }
                    if m.sentinel == Some(i as u32) {
                        l.push_str("...,");
                    }
                    p.r#type.write_listing(&mut l);
                }
                l.push_str(") -> ");
                m.returns.r#type.write_listing(&mut l);
                if m.r#static {
                    l.push_str(" static");
                }
                lines.push(l);
            }
            for f in &t.fields {
                let mut l = format!("F {name}::{} : ", f.name);
                f.r#type.write_listing(&mut l);
                if f.r#static {
                    l.push_str(" static");
                }
                lines.push(l);
            }
            for p in &t.properties {
                let mut l = format!("P {name}::{}(", p.name);
                write_list(&mut l, &p.params);
                l.push_str(") : ");
                p.r#type.write_listing(&mut l);
                lines.push(l);
            }
            for e in &t.events {
                let mut l = format!("E {name}::{} : ", e.name);
                e.r#type.write_listing(&mut l);
                lines.push(l);
            }
        }
        lines.sort_unstable();
        let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
        out
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
