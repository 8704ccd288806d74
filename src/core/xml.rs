//! A small element tree over quick-xml, enough for the S3 and Azure response documents:
//! namespaces are dropped (local names only), comments and declarations skipped, text
//! unescaped. Malformed documents (mismatched tags, several roots, bad escapes) are
//! `InvalidResponse` errors, never panics.

use quick_xml::Reader;
use quick_xml::events::Event;

use super::error::{Error, Result};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
    /// Attributes by local name, values unescaped (Azure's `<Name Encoded="true">`).
    pub attrs: Vec<(String, String)>,
}

impl Node {
    /// The first child element with this local name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child element with this local name.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The value of this element's attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Text of the first child with this name.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

fn bad(msg: impl std::fmt::Display) -> Error {
    Error::invalid_response(format!("malformed XML: {msg}"))
}

/// An element of this start (or empty) tag, its attributes read.
fn element(e: &quick_xml::events::BytesStart) -> Result<Node> {
    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(bad)?;
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        attrs.push((key, a.unescape_value().map_err(bad)?.into_owned()));
    }
    Ok(Node { name, attrs, ..Node::default() })
}

/// Parse one XML document into its root element.
pub fn parse(body: &[u8]) -> Result<Node> {
    let text = std::str::from_utf8(body).map_err(|_| bad("not UTF-8"))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let ev = reader.read_event().map_err(|e| bad(format!("{e} at byte {}", reader.buffer_position())))?;
        match ev {
            Event::Start(e) => {
                if root.is_some() {
                    return Err(bad("content after the root element"));
                }
                stack.push(element(&e)?);
            }
            Event::Empty(e) => {
                if root.is_some() {
                    return Err(bad("content after the root element"));
                }
                let node = element(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or_else(|| bad("unbalanced end tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(bad)?;
                match stack.last_mut() {
                    Some(n) => n.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(bad("text outside the root element")),
                }
            }
            Event::CData(c) => {
                let s = c.decode().map_err(bad)?;
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&s);
                }
            }
            Event::Eof => break,
            // Declarations, comments, processing instructions, doctypes.
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(bad("document ends inside an element"));
    }
    root.ok_or_else(|| bad("no root element"))
}

/// Escape text for an element body.
pub fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_text_and_namespaces() {
        let n = parse(br#"<?xml version="1.0"?><!-- c --><a:R xmlns:a="x"><K>a &amp; b</K><E/><K><![CDATA[<c>]]></K></a:R>"#)
            .unwrap();
        assert_eq!(n.name, "R");
        assert_eq!(n.all("K").map(|k| k.text.as_str()).collect::<Vec<_>>(), ["a & b", "<c>"]);
        assert!(n.child("E").is_some());
    }

    #[test]
    fn malformed_is_an_error() {
        for bad in [&b"<a><b></a>"[..], b"<a>", b"", b"<a/><b/>", b"text", b"<a>&bogus;</a>", b"\xff"] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(escape("a<&>\"'"), "a&lt;&amp;&gt;&quot;&apos;");
    }
}
