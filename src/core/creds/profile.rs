//! The AWS shared `config` and `credentials` files, parsed from their text (the native glue
//! reads the files). The rules the AWS CLI follows:
//! - `config` names profiles `[default]` and `[profile NAME]`; `credentials` names them `[NAME]`.
//!   Other sections of `config` (`[sso-session x]`, `[services x]`, a bare `[x]`) are not profiles.
//! - `key = value` lines; `#` and `;` start comment lines. An indented line after `s3 =` (or any
//!   `name =` with no value) belongs to that sub-section: `s3 =\n  addressing_style = path`.
//! - For a key set in both files, `credentials` wins.

use std::collections::BTreeMap;

use crate::core::error::{Error, Result};

/// One profile's settings: top-level keys, and sub-sections (`s3`, `sts`) by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    values: BTreeMap<String, String>,
    sections: BTreeMap<String, BTreeMap<String, String>>,
}

impl Profile {
    /// A top-level setting (`region`, `role_arn`, ...), if set and not empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A setting of a sub-section: `sub("s3", "addressing_style")`.
    pub fn sub(&self, section: &str, key: &str) -> Option<&str> {
        self.sections.get(section)?.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }
}

// Debug of a profile would print `aws_secret_access_key`: print only the names of its keys.
/// The profiles of both files.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Profiles {
    profiles: BTreeMap<String, Profile>,
}

impl std::fmt::Debug for Profiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.profiles.keys()).finish()
    }
}

impl Profiles {
    /// Parse the text of `config` and `credentials` (either may be absent).
    pub fn parse(config: Option<&str>, credentials: Option<&str>) -> Result<Profiles> {
        let mut profiles: BTreeMap<String, Profile> = BTreeMap::new();
        if let Some(text) = config {
            for (name, p) in parse_file(text, "config")? {
                let name = match name.strip_prefix("profile ") {
                    Some(n) => n.trim().to_string(),
                    None if name == "default" => name,
                    None => continue,
                };
                merge(profiles.entry(name).or_default(), p);
            }
        }
        if let Some(text) = credentials {
            for (name, p) in parse_file(text, "credentials")? {
                merge(profiles.entry(name).or_default(), p);
            }
        }
        Ok(Profiles { profiles })
    }

    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }
}

fn merge(into: &mut Profile, from: Profile) {
    into.values.extend(from.values);
    for (k, v) in from.sections {
        into.sections.entry(k).or_default().extend(v);
    }
}

/// Sections of one file in order of appearance (a repeated section adds to the first).
fn parse_file(text: &str, file: &str) -> Result<Vec<(String, Profile)>> {
    let mut out: Vec<(String, Profile)> = Vec::new();
    let mut sub: Option<String> = None;
    for (n, raw) in text.lines().enumerate() {
        // Messages give the line number, never the line: it may hold a secret.
        let bad = |why: &str| Error::invalid_input(format!("AWS {file} file, line {}: {why}", n + 1));
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let name = rest.strip_suffix(']').ok_or_else(|| bad("a section header without ']'"))?.trim();
            if name.is_empty() {
                return Err(bad("an empty section name"));
            }
            sub = None;
            out.push((name.to_string(), Profile::default()));
            continue;
        }
        let (_, profile) = out.last_mut().ok_or_else(|| bad("a setting before any [section]"))?;
        let (k, v) = trimmed.split_once('=').ok_or_else(|| bad("expected 'name = value'"))?;
        let (k, v) = (k.trim().to_string(), v.trim().to_string());
        if k.is_empty() {
            return Err(bad("a setting without a name"));
        }
        let indented = line.starts_with([' ', '\t']);
        match &sub {
            Some(s) if indented => {
                profile.sections.entry(s.clone()).or_default().insert(k, v);
            }
            _ if v.is_empty() => {
                // `s3 =` opens a sub-section for the indented lines that follow.
                profile.sections.entry(k.clone()).or_default();
                sub = Some(k);
            }
            _ => {
                sub = None;
                profile.values.insert(k, v);
            }
        }
    }
    // A repeated section (the same profile twice) is read as one.
    let mut merged: Vec<(String, Profile)> = Vec::new();
    for (name, p) in out {
        match merged.iter_mut().find(|(n, _)| *n == name) {
            Some((_, into)) => merge(into, p),
            None => merged.push((name, p)),
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
# a comment
[default]
region = eu-west-1
s3 =
  addressing_style = path
  endpoint_url = http://127.0.0.1:9000
output = json

[profile dev]
region=us-west-2
role_arn = arn:aws:iam::123456789012:role/dev
source_profile = default
; another comment
[sso-session corp]
sso_region = us-east-1
[bare]
region = ap-south-1
";
    const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = very/secret+key
[dev]
region = us-east-2
";

    #[test]
    fn profiles_sections_and_precedence() {
        let p = Profiles::parse(Some(CONFIG), Some(CREDENTIALS)).unwrap();
        let d = p.get("default").unwrap();
        assert_eq!(d.get("region"), Some("eu-west-1"));
        assert_eq!(d.get("aws_access_key_id"), Some("AKIDDEFAULT"));
        assert_eq!(d.sub("s3", "addressing_style"), Some("path"));
        assert_eq!(d.sub("s3", "endpoint_url"), Some("http://127.0.0.1:9000"));
        assert_eq!(d.get("output"), Some("json"), "an unindented line closes the sub-section");
        assert_eq!(d.sub("s3", "output"), None);
        let dev = p.get("dev").unwrap();
        assert_eq!(dev.get("role_arn"), Some("arn:aws:iam::123456789012:role/dev"));
        assert_eq!(dev.get("region"), Some("us-east-2"), "the credentials file wins");
        assert!(p.get("corp").is_none() && p.get("sso-session corp").is_none());
        assert!(p.get("bare").is_none(), "[bare] in config is not a profile");
        assert_eq!(p.names().collect::<Vec<_>>(), ["default", "dev"]);
        assert!(!format!("{p:?}").contains("very/secret"));
        // In the credentials file a bare name is the profile.
        let only = Profiles::parse(None, Some("[profile x]\na=1\n[x]\nb=2\n")).unwrap();
        assert_eq!(only.get("x").unwrap().get("b"), Some("2"));
        assert!(only.get("profile x").is_some(), "no prefix is stripped in credentials");
    }

    #[test]
    fn malformed_files_are_errors_that_name_the_line_not_its_text() {
        for (text, why, line) in [
            ("region = x\n", "before any [section]", 1),
            ("[default\nregion = x\n", "without ']'", 1),
            ("[default]\nsecretvalue123\n", "expected 'name = value'", 2),
            ("[]\n", "empty section name", 1),
            ("[default]\n = secretvalue123\n", "without a name", 2),
        ] {
            let e = Profiles::parse(Some(text), None).unwrap_err();
            assert_eq!(e.kind, crate::core::error::ErrorKind::InvalidInput);
            assert!(e.message.contains(why) && e.message.contains(&format!("line {line}")), "{e}");
            assert!(!e.message.contains("secretvalue123"), "{e}");
        }
    }
}
