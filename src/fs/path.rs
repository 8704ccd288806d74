//! fsspec-style paths: `[proto://]bucket/key`. Pure string work; keys are kept byte for byte
//! (an object key may legitimately hold `//`, `..` or a trailing space), so nothing here
//! normalises the key part.

/// Drop a leading `proto://` and any leading or trailing `/`.
pub fn strip_protocol(p: &str) -> String {
    let rest = match p.find("://") {
        Some(i) if p[..i].chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.') => &p[i + 3..],
        _ => p,
    };
    rest.trim_start_matches('/').trim_end_matches('/').to_string()
}

/// `bucket/key` → (`bucket`, `key`); a bare bucket has an empty key.
pub fn split_path(p: &str) -> (String, String) {
    let p = strip_protocol(p);
    match p.split_once('/') {
        Some((b, k)) => (b.to_string(), k.to_string()),
        None => (p, String::new()),
    }
}

/// Join two path parts with one `/`; an empty part is dropped.
pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{}/{}", a.strip_suffix('/').unwrap_or(a), b),
    }
}

/// Everything before the last `/` (empty at the top level).
pub fn parent(p: &str) -> String {
    let p = strip_protocol(p);
    match p.rfind('/') {
        Some(i) => p[..i].to_string(),
        None => String::new(),
    }
}

/// The last path component.
pub fn name(p: &str) -> String {
    let p = strip_protocol(p);
    match p.rfind('/') {
        Some(i) => p[i + 1..].to_string(),
        None => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_keeps_keys_verbatim() {
        assert_eq!(split_path("s3://b/a//b/../c"), ("b".into(), "a//b/../c".into()));
        assert_eq!(split_path("memory://b"), ("b".into(), String::new()));
        assert_eq!(split_path("/b/k/"), ("b".into(), "k".into()));
        assert_eq!(split_path("b/a b?c#d"), ("b".into(), "a b?c#d".into()));
        // "://" inside a key is not a protocol.
        assert_eq!(split_path("b/x://y"), ("b".into(), "x://y".into()));
    }

    #[test]
    fn join_parent_name() {
        assert_eq!(join("b", "k/x"), "b/k/x");
        assert_eq!(join("", "k"), "k");
        assert_eq!(join("b/", "k"), "b/k");
        assert_eq!(parent("b/d/f"), "b/d");
        assert_eq!(parent("b"), "");
        assert_eq!(name("s3://b/d/f.txt"), "f.txt");
        assert_eq!(name("b"), "b");
    }
}
