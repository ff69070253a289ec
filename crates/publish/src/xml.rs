//! XML through quick-xml: a writer for the package's XML parts (fixed layout: two-space
//! indent, LF, UTF-8 declaration) and a small element tree for reading them back.

use std::io::Cursor;

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// An element of a parsed document: local name, attributes, children, text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// The name as written (with any prefix).
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Concatenated text directly inside the element.
    pub text: String,
}

impl Element {
    /// The name without its namespace prefix.
    pub fn local_name(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Children with this local name.
    pub fn children_named<'a>(&'a self, local: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children
            .iter()
            .filter(move |c| c.local_name() == local)
    }

    pub fn child<'a>(&'a self, local: &'a str) -> Option<&'a Element> {
        self.children_named(local).next()
    }
}

/// Parses a whole document into its root element.
pub fn parse(text: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let start = |e: &BytesStart<'_>| -> Result<Element, String> {
        let name = e.name().as_ref().to_string();
        let mut attributes = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|err| format!("bad attribute in <{name}>: {err}"))?;
            let key = a.key.as_ref().to_string();
            let value = a
                .normalized_value(quick_xml::XmlVersion::default())
                .map_err(|err| format!("bad value of {key} in <{name}>: {err}"))?
                .into_owned();
            attributes.push((key, value));
        }
        Ok(Element {
            name,
            attributes,
            ..Element::default()
        })
    };
    loop {
        match reader
            .read_event()
            .map_err(|e| format!("malformed XML at byte {}: {e}", reader.buffer_position()))?
        {
            Event::Start(e) => stack.push(start(&e)?),
            Event::Empty(e) => {
                let el = start(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err("more than one root element".into()),
                }
            }
            Event::End(_) => {
                let mut el = stack.pop().ok_or("an end tag without a start tag")?;
                // Indentation between child elements is not content.
                if !el.children.is_empty() && el.text.trim().is_empty() {
                    el.text.clear();
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err("more than one root element".into()),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                } else if !t.xml10_content().trim().is_empty() {
                    return Err("text outside the root element".into());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text
                        .push_str(&String::from_utf8_lossy(t.into_inner().as_bytes()));
                }
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten().map(String::from)
                } else {
                    match r.into_inner().as_ref() {
                        "lt" => Some("<".into()),
                        "gt" => Some(">".into()),
                        "amp" => Some("&".into()),
                        "apos" => Some("'".into()),
                        "quot" => Some("\"".into()),
                        other => return Err(format!("unknown entity &{other};")),
                    }
                };
                let s = resolved.ok_or("a character reference names no character")?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(format!(
            "<{}> is not closed",
            stack.last().map(|e| e.name.as_str()).unwrap_or("")
        ));
    }
    root.ok_or_else(|| "no root element".into())
}

/// Writes an element tree as a document: `<?xml version="1.0" encoding="utf-8"?>`, two
/// spaces of indent, LF line ends, a final LF. Text-only elements stay on one line.
pub fn write(root: &Element) -> Vec<u8> {
    let mut w = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
        .expect("writing to memory");
    write_element(&mut w, root);
    let mut out = w.into_inner().into_inner();
    out.push(b'\n');
    out
}

fn write_element(w: &mut Writer<Cursor<Vec<u8>>>, e: &Element) {
    let mut start = BytesStart::new(e.name.as_str());
    for (k, v) in &e.attributes {
        start.push_attribute((k.as_str(), v.as_str()));
    }
    if e.children.is_empty() && e.text.is_empty() {
        w.write_event(Event::Empty(start))
            .expect("writing to memory");
        return;
    }
    w.write_event(Event::Start(start))
        .expect("writing to memory");
    if !e.text.is_empty() {
        w.write_event(Event::Text(BytesText::new(&e.text)))
            .expect("writing to memory");
    }
    for c in &e.children {
        write_element(w, c);
    }
    w.write_event(Event::End(BytesEnd::new(e.name.as_str())))
        .expect("writing to memory");
}

/// `<name>text</name>`
pub fn text_element(name: &str, text: &str) -> Element {
    Element {
        name: name.into(),
        text: text.into(),
        ..Element::default()
    }
}

/// `<name a="v" …/>`
pub fn empty_element(name: &str, attributes: &[(&str, &str)]) -> Element {
    Element {
        name: name.into(),
        attributes: attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Element::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_escapes() {
        let mut root = empty_element("package", &[("xmlns", "urn:x")]);
        root.children
            .push(text_element("description", "a < b & \"c\" — é"));
        root.children
            .push(empty_element("group", &[("targetFramework", "net8.0")]));
        let bytes = write(&root);
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<package xmlns=\"urn:x\">\n  <description>a &lt; b &amp; &quot;c&quot; — é</description>\n  <group targetFramework=\"net8.0\"/>\n</package>\n"
        );
        assert_eq!(parse(&text).unwrap(), root);
    }

    #[test]
    fn malformed() {
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>&nope;</a>").is_err());
        assert!(parse("").is_err());
    }
}
