//! Storage options, one set for every front end (the CLI's `-o name=value`, the JS API, the Python
//! package), named as s3fs, gcsfs and adlfs name their `storage_options`; and [`resolve`], which
//! turns a URL plus options into what a store needs ([`Target`]).
//!
//! Options win over what the URL says. Nothing here reads the environment or a file: a caller that
//! wants `AWS_ACCESS_KEY_ID`, `STORAGE_EMULATOR_HOST` or `AZURE_STORAGE_CONNECTION_STRING` fills
//! the matching option (`key`, `endpoint_url`, `connection_string`) before resolving, unless the
//! user asked for `anon`.
//!
//! Mistakes are errors, never silently ignored: an unknown name (the nearest known one suggested),
//! a value of the wrong type (the option named), an option of another provider (`account_key` on
//! an `s3://` URL). No message repeats an option's value: it could be a secret in the wrong place.

use std::time::Duration;

use serde_json::{Map, Value};

use super::creds::{AwsCredentials, Credentials, Secret};
use super::error::{Error, Result};
use super::location::{Location, Provider};
use super::provider::Quirks;
use super::s3::S3Config;

/// Options for opening a store. Build one with [`StoreOptions::from_json`] (what JS and Python
/// pass), [`StoreOptions::from_pairs`] (`-o name=value`) or as a struct literal; any serde
/// deserializer (serde-wasm-bindgen, pythonize) goes through the same checks as `from_json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "serde_json::Value")]
pub struct StoreOptions {
    /// Anonymous access: requests go unsigned and any credentials given are dropped. S3, GCS, Azure.
    pub anon: bool,
    /// A non-default service endpoint: an S3-compatible server (`http://127.0.0.1:9000`, R2), the
    /// GCS emulator (`STORAGE_EMULATOR_HOST`), Azurite (`http://127.0.0.1:10000/devstoreaccount1`).
    /// An S3 endpoint is addressed path style.
    pub endpoint_url: Option<String>,
    /// S3 access key id (s3fs `key`). Not secret by itself: every signed request carries it.
    pub key: Option<String>,
    /// S3 secret access key (s3fs `secret`).
    pub secret: Option<Secret>,
    /// S3: the session token of temporary credentials (s3fs). GCS: an OAuth2 access token, or
    /// `"anon"` (gcsfs); gcsfs's other values (`google_default`, a JSON file, ...) are refused.
    pub token: Option<Secret>,
    /// S3: the AWS profile of the shared config/credentials files (s3fs `profile`, `aws --profile`).
    /// Read natively by `fs::aws_chain`; the core only carries it.
    pub profile: Option<String>,
    /// AWS region; default: the region the URL names, else `us-east-1`. Wins over `client_kwargs`.
    pub region: Option<String>,
    /// s3fs's `client_kwargs`, of which `region_name` and `endpoint_url` are taken.
    pub client_kwargs: Option<ClientKwargs>,
    /// S3: agree to pay for requests to a requester-pays bucket. GCS: bill `project`, or the
    /// project id given here instead of `true` (gcsfs).
    pub requester_pays: RequesterPays,
    /// GCS project id (gcsfs `project`): where buckets are listed and created, and who pays for
    /// `requester_pays`.
    pub project: Option<String>,
    /// Azure storage account (adlfs `account_name`); also taken from the URL or the connection string.
    pub account_name: Option<String>,
    /// Azure account key, base64 as the portal shows it (adlfs `account_key`).
    pub account_key: Option<Secret>,
    /// Azure SAS token, with or without its leading `?` (adlfs `sas_token`).
    pub sas_token: Option<Secret>,
    /// An Azure connection string (adlfs `connection_string`): account, key or SAS, endpoint.
    pub connection_string: Option<Secret>,
    /// An Azure (Entra ID) OAuth2 access token, sent as a bearer token (adlfs `credential`, as a string).
    pub credential: Option<Secret>,
    /// Attempts per request, retries included (at least 1). Applied by the facade, not by [`resolve`].
    pub max_attempts: Option<u32>,
    /// How long one request (head and body) may take, given in seconds. Applied by the facade.
    pub timeout: Option<Duration>,
    /// Block size of file readers, in bytes (gcsfs's name). Applied by the facade.
    pub block_size: Option<u64>,
    /// Part size of multipart writes, in bytes; raised to the store's minimum. Applied by the facade.
    pub part_size: Option<u64>,
    /// Workarounds a server needs, by name, comma-separated (pailfs's own; the real services need
    /// none): `head_fails_on_prefixes`, `no_suffix_ranges`, `plain_listing` (S3 keys not
    /// URL-encoded in listings), `no_batch_delete` (GCS), `inverted_empty_ranges` (Azure), or an
    /// emulator's name for all it needs: `s3s-fs`, `storage-testbench`, `azurite`.
    pub quirks: Vec<String>,
}

/// The names `quirks` takes.
const QUIRKS: &[&str] = &[
    "head_fails_on_prefixes",
    "no_suffix_ranges",
    "plain_listing",
    "no_batch_delete",
    "inverted_empty_ranges",
    "s3s-fs",
    "storage-testbench",
    "azurite",
];

/// The [`Quirks`] the `quirks` option names (an emulator's name stands for all it needs; what
/// `plain_listing` asks is S3's listing setting, not a quirk).
pub fn declared_quirks(names: &[String]) -> Quirks {
    let mut q = Quirks::default();
    for n in names {
        let n = n.as_str();
        q.head_fails_on_prefixes |= matches!(n, "head_fails_on_prefixes" | "s3s-fs");
        q.no_suffix_ranges |= matches!(n, "no_suffix_ranges" | "s3s-fs" | "storage-testbench" | "azurite");
        q.no_batch_delete |= matches!(n, "no_batch_delete" | "storage-testbench");
        q.inverted_empty_ranges |= matches!(n, "inverted_empty_ranges" | "azurite");
    }
    q
}

/// The part of s3fs's `client_kwargs` (arguments of the botocore client) pailfs understands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientKwargs {
    pub region_name: Option<String>,
    pub endpoint_url: Option<String>,
}

/// `requester_pays`: `false`, `true`, or (gcsfs, GCS only) the project id to bill.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RequesterPays {
    #[default]
    No,
    Yes,
    Project(String),
}

/// What a store needs, resolved from a URL and options. Bucket and key as the URL names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Memory {
        bucket: String,
        key: String,
    },
    /// `path` is the absolute local path.
    File {
        path: String,
    },
    /// `credentials: None` means unsigned requests.
    S3 {
        config: S3Config,
        credentials: Option<AwsCredentials>,
        bucket: String,
        key: String,
    },
    /// `endpoint: None` is `https://storage.googleapis.com`. With `anon` no credentials may be used;
    /// without `anon` or a `token`, the caller may look for some (gcloud, a metadata server).
    Gcs {
        endpoint: Option<String>,
        project: Option<String>,
        token: Option<Secret>,
        anon: bool,
        /// The project billed for requests to requester-pays buckets (`userProject`).
        user_project: Option<String>,
        bucket: String,
        key: String,
    },
    /// `endpoint: None` is `https://{account}.blob.core.windows.net` (`.dfs.` when `dfs`, the
    /// ADLS Gen2 API of `abfs://`); `account` is then always known.
    Azure {
        account: Option<String>,
        endpoint: Option<String>,
        credentials: Credentials,
        dfs: bool,
        container: String,
        path: String,
    },
}

// ---------------------------------------------------------------------------------------------
// The option table: names, value kinds and which providers take them.

/// The providers as far as options go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    S3,
    Gcs,
    Azure,
    Local,
}

impl Family {
    fn of(provider: Provider) -> Family {
        match provider {
            Provider::S3 => Family::S3,
            Provider::Gcs => Family::Gcs,
            Provider::Azure | Provider::AzureDfs => Family::Azure,
            Provider::File | Provider::Memory => Family::Local,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Family::S3 => "S3 (s3://)",
            Family::Gcs => "GCS (gs://)",
            Family::Azure => "Azure (az://, abfs://)",
            Family::Local => "local (file://, memory://)",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Flag,
    Text,
    /// A whole number (`max_attempts`, sizes).
    Count,
    Seconds,
    FlagOrText,
    /// `client_kwargs`.
    Map,
}

struct Spec {
    name: &'static str,
    kind: Kind,
    families: &'static [Family],
}

const CLOUDS: &[Family] = &[Family::S3, Family::Gcs, Family::Azure];
const ANY: &[Family] = &[Family::S3, Family::Gcs, Family::Azure, Family::Local];
const S3: &[Family] = &[Family::S3];
const GCS: &[Family] = &[Family::Gcs];
const AZURE: &[Family] = &[Family::Azure];

const fn spec(name: &'static str, kind: Kind, families: &'static [Family]) -> Spec {
    Spec { name, kind, families }
}

/// Every option, in the order error messages list them.
const SPECS: &[Spec] = &[
    spec("anon", Kind::Flag, CLOUDS),
    spec("endpoint_url", Kind::Text, CLOUDS),
    spec("key", Kind::Text, S3),
    spec("secret", Kind::Text, S3),
    spec("token", Kind::Text, &[Family::S3, Family::Gcs]),
    spec("region", Kind::Text, S3),
    spec("profile", Kind::Text, S3),
    spec("client_kwargs", Kind::Map, S3),
    spec("requester_pays", Kind::FlagOrText, &[Family::S3, Family::Gcs]),
    spec("project", Kind::Text, GCS),
    spec("account_name", Kind::Text, AZURE),
    spec("account_key", Kind::Text, AZURE),
    spec("sas_token", Kind::Text, AZURE),
    spec("connection_string", Kind::Text, AZURE),
    spec("credential", Kind::Text, AZURE),
    spec("max_attempts", Kind::Count, CLOUDS),
    spec("timeout", Kind::Seconds, CLOUDS),
    spec("block_size", Kind::Count, ANY),
    spec("part_size", Kind::Count, ANY),
    spec("quirks", Kind::Text, CLOUDS),
];

/// The keys of `client_kwargs`.
const CLIENT_KWARGS: &[&str] = &["region_name", "endpoint_url"];
const KW_PREFIX: &str = "client_kwargs.";

fn spec_of(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.name == name)
}

/// Every accepted name, `client_kwargs` spelled out as `from_pairs` takes it.
fn known_names() -> Vec<String> {
    let mut names = Vec::new();
    for s in SPECS {
        if s.kind == Kind::Map {
            names.extend(CLIENT_KWARGS.iter().map(|k| format!("{KW_PREFIX}{k}")));
        } else {
            names.push(s.name.to_string());
        }
    }
    names
}

// ---------------------------------------------------------------------------------------------
// Reading options.

impl TryFrom<Value> for StoreOptions {
    type Error = Error;

    fn try_from(v: Value) -> Result<StoreOptions> {
        StoreOptions::from_json(&v)
    }
}

impl StoreOptions {
    /// Options from a JSON object (`null` is no options). Unknown names, and values of the wrong
    /// type, are errors naming the option; a `null` value leaves the option unset (Python's `None`).
    pub fn from_json(v: &Value) -> Result<StoreOptions> {
        let map = match v {
            Value::Null => return Ok(StoreOptions::default()),
            Value::Object(m) => m,
            other => {
                return Err(Error::invalid_input(format!(
                    "options must be an object of names and values, not {}",
                    type_name(other)
                )));
            }
        };
        // All unknown names first, in one message.
        let mut unknown: Vec<String> = map.keys().filter(|k| spec_of(k).is_none()).cloned().collect();
        if let Some(Value::Object(kw)) = map.get("client_kwargs") {
            unknown.extend(kw.keys().filter(|k| !CLIENT_KWARGS.contains(&k.as_str())).map(|k| format!("{KW_PREFIX}{k}")));
        }
        if !unknown.is_empty() {
            return Err(unknown_error(&unknown));
        }
        let mut o = StoreOptions::default();
        for (name, value) in map.iter().filter(|(_, v)| !v.is_null()) {
            o.set(name, value)?;
        }
        Ok(o)
    }

    /// [`StoreOptions::from_json`] of a JSON text.
    pub fn from_json_str(s: &str) -> Result<StoreOptions> {
        // serde_json's message gives a position, never the text.
        let v: Value = serde_json::from_str(s).map_err(|e| Error::invalid_input(format!("options are not valid JSON: {e}")))?;
        StoreOptions::from_json(&v)
    }

    /// Options from `name=value` pairs (the CLI's `-o`), each value read as its option's type:
    /// `true`/`false` for flags, numbers for counts and seconds. `client_kwargs.region_name=...`
    /// sets one key of `client_kwargs`. A name given twice is an error.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Result<StoreOptions> {
        let mut map = Map::new();
        let mut kwargs = Map::new();
        let mut unknown = Vec::new();
        let mut seen = Vec::new();
        for (name, text) in pairs {
            if seen.contains(&name) {
                return Err(Error::invalid_input(format!("option {name:?} is given twice")));
            }
            seen.push(name.clone());
            if let Some(k) = name.strip_prefix(KW_PREFIX) {
                if CLIENT_KWARGS.contains(&k) {
                    kwargs.insert(k.to_string(), Value::String(text));
                } else {
                    unknown.push(name);
                }
                continue;
            }
            match spec_of(&name) {
                Some(s) => {
                    let value = pair_value(s, &text)?;
                    map.insert(name, value);
                }
                None => unknown.push(name),
            }
        }
        if !unknown.is_empty() {
            return Err(unknown_error(&unknown));
        }
        if !kwargs.is_empty() {
            match map.get_mut("client_kwargs") {
                Some(Value::Object(whole)) => whole.extend(kwargs),
                // Not an object: from_json refuses it below.
                Some(_) => {}
                None => {
                    map.insert("client_kwargs".into(), Value::Object(kwargs));
                }
            }
        }
        StoreOptions::from_json(&Value::Object(map))
    }

    fn set(&mut self, name: &str, v: &Value) -> Result<()> {
        match name {
            "anon" => self.anon = flag(name, v)?,
            "endpoint_url" => self.endpoint_url = Some(text(name, v)?),
            "key" => self.key = Some(text(name, v)?),
            "secret" => self.secret = Some(text(name, v)?.into()),
            "token" => self.token = Some(text(name, v)?.into()),
            "region" => self.region = Some(text(name, v)?),
            "profile" => self.profile = Some(text(name, v)?),
            "client_kwargs" => self.client_kwargs = Some(ClientKwargs::from_json(v)?),
            "requester_pays" => {
                self.requester_pays = match v {
                    Value::Bool(true) => RequesterPays::Yes,
                    Value::Bool(false) => RequesterPays::No,
                    Value::String(_) => RequesterPays::Project(text(name, v)?),
                    other => return Err(wrong_type(name, "true, false or a project id", other)),
                }
            }
            "project" => self.project = Some(text(name, v)?),
            "account_name" => self.account_name = Some(text(name, v)?),
            "account_key" => self.account_key = Some(text(name, v)?.into()),
            "sas_token" => self.sas_token = Some(text(name, v)?.into()),
            "connection_string" => self.connection_string = Some(text(name, v)?.into()),
            "credential" => self.credential = Some(text(name, v)?.into()),
            "max_attempts" => {
                let n = count(name, v)?;
                self.max_attempts =
                    Some(u32::try_from(n).ok().filter(|n| *n >= 1).ok_or_else(|| out_of_range(name, "1 or more"))?);
            }
            "timeout" => self.timeout = Some(seconds(name, v)?),
            "block_size" => self.block_size = Some(positive(name, count(name, v)?)?),
            "part_size" => self.part_size = Some(positive(name, count(name, v)?)?),
            "quirks" => {
                let list = text(name, v)?;
                let names: Vec<String> = list.split(',').map(|q| q.trim().to_string()).filter(|q| !q.is_empty()).collect();
                if let Some(bad) = names.iter().find(|q| !QUIRKS.contains(&q.as_str())) {
                    return Err(Error::invalid_input(format!(
                        "option \"quirks\": unknown {bad:?}; known: {}",
                        QUIRKS.join(", ")
                    )));
                }
                self.quirks = names;
            }
            _ => return Err(unknown_error(&[name.to_string()])),
        }
        Ok(())
    }

    /// The options that are set, by name (a flag only when true: `anon: false` asks for nothing).
    fn given(&self) -> Vec<&'static str> {
        let set = [
            ("anon", self.anon),
            ("endpoint_url", self.endpoint_url.is_some()),
            ("key", self.key.is_some()),
            ("secret", self.secret.is_some()),
            ("token", self.token.is_some()),
            ("region", self.region.is_some()),
            ("profile", self.profile.is_some()),
            ("client_kwargs", self.client_kwargs.as_ref().is_some_and(|k| *k != ClientKwargs::default())),
            ("requester_pays", self.requester_pays != RequesterPays::No),
            ("project", self.project.is_some()),
            ("account_name", self.account_name.is_some()),
            ("account_key", self.account_key.is_some()),
            ("sas_token", self.sas_token.is_some()),
            ("connection_string", self.connection_string.is_some()),
            ("credential", self.credential.is_some()),
            ("max_attempts", self.max_attempts.is_some()),
            ("timeout", self.timeout.is_some()),
            ("block_size", self.block_size.is_some()),
            ("part_size", self.part_size.is_some()),
            ("quirks", !self.quirks.is_empty()),
        ];
        set.into_iter().filter(|(_, on)| *on).map(|(name, _)| name).collect()
    }

    /// Refuse options the URL's provider does not take, saying which provider does.
    fn check_family(&self, family: Family) -> Result<()> {
        let wrong: Vec<String> = self
            .given()
            .into_iter()
            .filter_map(spec_of)
            .filter(|s| !s.families.contains(&family))
            .map(|s| {
                let takers: Vec<&str> = s.families.iter().map(|f| f.describe()).collect();
                format!("{:?} is an option of {}", s.name, takers.join(" and "))
            })
            .collect();
        if wrong.is_empty() {
            return Ok(());
        }
        Err(Error::invalid_input(format!("option(s) that do not apply to {} URLs: {}", family.describe(), wrong.join("; "))))
    }
}

impl ClientKwargs {
    fn from_json(v: &Value) -> Result<ClientKwargs> {
        let Value::Object(map) = v else {
            return Err(wrong_type("client_kwargs", "an object", v));
        };
        let mut kw = ClientKwargs::default();
        for (k, v) in map.iter().filter(|(_, v)| !v.is_null()) {
            let name = format!("{KW_PREFIX}{k}");
            match k.as_str() {
                "region_name" => kw.region_name = Some(text(&name, v)?),
                "endpoint_url" => kw.endpoint_url = Some(text(&name, v)?),
                _ => return Err(unknown_error(&[name])),
            }
        }
        Ok(kw)
    }
}

/// A `-o` value as the JSON value its option takes.
fn pair_value(s: &Spec, text: &str) -> Result<Value> {
    let name = s.name;
    let as_flag = |t: &str| match t.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    Ok(match s.kind {
        Kind::Text => Value::String(text.to_string()),
        Kind::Flag => {
            Value::Bool(as_flag(text).ok_or_else(|| Error::invalid_input(format!("option {name:?} takes true or false")))?)
        }
        Kind::FlagOrText => as_flag(text).map_or_else(|| Value::String(text.to_string()), Value::Bool),
        Kind::Count => {
            Value::from(text.parse::<u64>().map_err(|_| Error::invalid_input(format!("option {name:?} takes a whole number")))?)
        }
        Kind::Seconds => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| Error::invalid_input(format!("option {name:?} takes a number of seconds")))?,
        Kind::Map => serde_json::from_str(text).map_err(|_| {
            Error::invalid_input(format!(
                "option {name:?} takes a JSON object here; or set {KW_PREFIX}region_name=... one by one"
            ))
        })?,
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(name: &str, wanted: &str, got: &Value) -> Error {
    Error::invalid_input(format!("option {name:?} takes {wanted}, not {}", type_name(got)))
}

fn out_of_range(name: &str, wanted: &str) -> Error {
    Error::invalid_input(format!("option {name:?} must be {wanted}"))
}

fn flag(name: &str, v: &Value) -> Result<bool> {
    v.as_bool().ok_or_else(|| wrong_type(name, "true or false", v))
}

fn text(name: &str, v: &Value) -> Result<String> {
    match v {
        Value::String(s) if s.is_empty() => Err(Error::invalid_input(format!("option {name:?} is empty"))),
        Value::String(s) => Ok(s.clone()),
        other => Err(wrong_type(name, "a string", other)),
    }
}

/// A whole number; JavaScript's numbers arrive as floats, so `3.0` counts.
fn count(name: &str, v: &Value) -> Result<u64> {
    let Value::Number(n) = v else {
        return Err(wrong_type(name, "a whole number", v));
    };
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: beyond it floats skip whole numbers
    n.as_u64()
        .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && (0.0..=EXACT).contains(f)).map(|f| f as u64))
        .ok_or_else(|| out_of_range(name, "a whole number, 0 or more"))
}

fn positive(name: &str, n: u64) -> Result<u64> {
    if n == 0 { Err(out_of_range(name, "1 or more")) } else { Ok(n) }
}

fn seconds(name: &str, v: &Value) -> Result<Duration> {
    let secs = v.as_f64().ok_or_else(|| wrong_type(name, "a number of seconds", v))?;
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| out_of_range(name, "a positive number of seconds"))
}

// ---------------------------------------------------------------------------------------------
// Unknown names and what they might have meant.

fn unknown_error(names: &[String]) -> Error {
    let listed: Vec<String> = names
        .iter()
        .map(|n| match suggest(n) {
            Some(s) => format!("{n:?} (did you mean {s:?}?)"),
            None => format!("{n:?}"),
        })
        .collect();
    Error::invalid_input(format!("unknown option(s) {}; known: {}", listed.join(", "), known_names().join(", ")))
}

/// Other libraries' names (and the first JS API's) for options pailfs has, normalized.
const ALIASES: &[(&str, &str)] = &[
    ("accesskey", "key"),
    ("accesskeyid", "key"),
    ("awsaccesskeyid", "key"),
    ("secretkey", "secret"),
    ("secretaccesskey", "secret"),
    ("awssecretaccesskey", "secret"),
    ("sessiontoken", "token"),
    ("awssessiontoken", "token"),
    ("securitytoken", "token"),
    ("retries", "max_attempts"),
    ("maxretries", "max_attempts"),
    ("requestpayer", "requester_pays"),
    ("userproject", "requester_pays"),
    ("sas", "sas_token"),
    ("sharedaccesssignature", "sas_token"),
];

/// Case, `_` and `-` aside: `endpointUrl` is `endpoint_url`.
fn normalize(name: &str) -> String {
    name.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
}

fn suggest(unknown: &str) -> Option<String> {
    let nested = unknown.strip_prefix(KW_PREFIX);
    let u = normalize(nested.unwrap_or(unknown));
    if let Some((_, to)) = ALIASES.iter().find(|(from, _)| *from == u) {
        return Some(to.to_string());
    }
    // Within client_kwargs only its keys; at the top level any name, client_kwargs' keys too.
    let candidates: Vec<String> = match nested {
        Some(_) => CLIENT_KWARGS.iter().map(|k| format!("{KW_PREFIX}{k}")).collect(),
        None => known_names(),
    };
    let last = |c: &str| normalize(c.strip_prefix(KW_PREFIX).unwrap_or(c));
    if let Some(c) = candidates.iter().find(|c| last(c) == u) {
        return Some(c.clone());
    }
    let limit = if u.len() >= 6 { 2 } else { 1 };
    let closest = candidates.iter().map(|c| (edit_distance(&last(c), &u), c)).min_by_key(|(d, _)| *d);
    if let Some((_, c)) = closest.filter(|(d, _)| *d <= limit) {
        return Some(c.clone());
    }
    // `endpoint` for `endpoint_url`, `default_block_size` for `block_size`.
    candidates
        .iter()
        .find(|c| {
            let l = last(c);
            l.len().min(u.len()) >= 4 && (l.contains(&u) || u.contains(&l))
        })
        .cloned()
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb)).min(above + 1).min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

// ---------------------------------------------------------------------------------------------
// Resolution.

/// Where `url` lives and how to reach it, given `opts`. Pure: nothing is read or contacted.
pub fn resolve(url: &str, opts: &StoreOptions) -> Result<Target> {
    let loc = Location::parse(url)?;
    opts.check_family(Family::of(loc.provider))?;
    match loc.provider {
        Provider::Memory => Ok(Target::Memory { bucket: loc.bucket, key: loc.key }),
        Provider::File => Ok(Target::File { path: loc.key }),
        Provider::S3 => resolve_s3(loc, opts),
        Provider::Gcs => resolve_gcs(loc, opts),
        Provider::Azure | Provider::AzureDfs => resolve_azure(loc, opts),
    }
}

fn resolve_s3(loc: Location, o: &StoreOptions) -> Result<Target> {
    let kw = o.client_kwargs.clone().unwrap_or_default();
    // As in s3fs, the top-level option wins over client_kwargs.
    let region = o.region.clone().or(kw.region_name).or(loc.region).unwrap_or_else(|| "us-east-1".into());
    if region.is_empty() || !region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(Error::invalid_input("the S3 region may hold only lower-case letters, digits and '-'"));
    }
    let mut config = match o
        .endpoint_url
        .as_ref()
        .map(|e| ("endpoint_url", e))
        .or(kw.endpoint_url.as_ref().map(|e| ("client_kwargs.endpoint_url", e)))
    {
        Some((name, e)) => S3Config::custom(&endpoint(name, e)?, &region)?,
        None => match loc.endpoint {
            Some(e) => S3Config::custom(&e, &region)?,
            None => S3Config::aws(&region),
        },
    };
    config.quirks = declared_quirks(&o.quirks);
    config.url_encoded_listing &= !o.quirks.iter().any(|q| q == "s3s-fs" || q == "plain_listing");
    config.requester_pays = match &o.requester_pays {
        RequesterPays::No => false,
        RequesterPays::Yes => true,
        RequesterPays::Project(_) => {
            return Err(Error::invalid_input("option \"requester_pays\" takes true or false on S3 (a project id is for gs://)"));
        }
    };
    let credentials = match (&o.key, &o.secret) {
        (Some(id), Some(secret)) => {
            Some(AwsCredentials { access_key_id: id.clone(), secret_access_key: secret.clone(), session_token: o.token.clone() })
        }
        (Some(_), None) => return Err(Error::invalid_input("option \"key\" is given without \"secret\"")),
        (None, Some(_)) => return Err(Error::invalid_input("option \"secret\" is given without \"key\"")),
        (None, None) if o.token.is_some() => {
            return Err(Error::invalid_input("option \"token\" (an S3 session token) needs \"key\" and \"secret\""));
        }
        (None, None) => None,
    };
    Ok(Target::S3 { config, credentials: credentials.filter(|_| !o.anon), bucket: loc.bucket, key: loc.key })
}

/// gcsfs's `token` values that name a way of finding credentials, which the core cannot do.
const GCSFS_METHODS: &[&str] = &["google_default", "cache", "browser", "cloud"];

fn resolve_gcs(loc: Location, o: &StoreOptions) -> Result<Target> {
    let endpoint = o.endpoint_url.as_ref().map(|e| endpoint("endpoint_url", e)).transpose()?;
    let mut anon = o.anon;
    let mut token = None;
    if let Some(t) = &o.token {
        let t_str = t.expose();
        if t_str == "anon" {
            anon = true;
        } else if let Some(m) = GCSFS_METHODS.iter().find(|m| **m == t_str) {
            return Err(Error::invalid_input(format!(
                "token {m:?} is a gcsfs way of finding credentials; pailfs takes an OAuth2 access token or \"anon\""
            )));
        } else if t_str.ends_with(".json") || t_str.starts_with('{') {
            return Err(Error::invalid_input(
                "option \"token\" looks like a credentials file or its contents; pailfs takes an OAuth2 access token or \"anon\"",
            ));
        } else {
            token = Some(t.clone());
        }
    }
    let user_project = match &o.requester_pays {
        RequesterPays::No => None,
        RequesterPays::Project(p) => Some(p.clone()),
        RequesterPays::Yes => Some(o.project.clone().ok_or_else(|| {
            Error::invalid_input(
                "requester_pays=true bills \"project\", which is not given (or pass the project id as requester_pays)",
            )
        })?),
    };
    Ok(Target::Gcs {
        endpoint,
        project: o.project.clone(),
        token: token.filter(|_| !anon),
        anon,
        user_project,
        bucket: loc.bucket,
        key: loc.key,
    })
}

fn resolve_azure(loc: Location, o: &StoreOptions) -> Result<Target> {
    let dfs = loc.provider == Provider::AzureDfs;
    let cs = match &o.connection_string {
        Some(c) => ConnectionString::parse(c.expose())?,
        None => ConnectionString::default(),
    };
    if let (Some(a), Some(b)) = (&o.account_name, &cs.account)
        && a != b
    {
        return Err(Error::invalid_input("option \"account_name\" and the connection string's AccountName differ"));
    }
    let account = o.account_name.clone().or(cs.account.clone()).or(loc.account);
    if let Some(a) = &account
        && !((3..=24).contains(&a.len()) && a.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
    {
        return Err(Error::invalid_input("an Azure storage account name is 3 to 24 lower-case letters and digits"));
    }
    let service = if dfs { "dfs" } else { "blob" };
    let endpoint = if let Some(e) = &o.endpoint_url {
        Some(endpoint("endpoint_url", e)?)
    } else if let Some(e) = &cs.blob_endpoint {
        Some(endpoint("connection_string's BlobEndpoint", e)?)
    } else if cs.protocol.is_some() || cs.suffix.is_some() {
        let a = account.as_deref().ok_or_else(|| Error::invalid_input("the connection string names no AccountName"))?;
        let protocol = cs.protocol.as_deref().unwrap_or("https");
        Some(format!("{protocol}://{a}.{service}.{}", cs.suffix.as_deref().unwrap_or("core.windows.net")))
    } else {
        loc.endpoint
    };
    // ADLS Gen2 is served at the `dfs` twin of an account's blob host (as the Azure SDKs do it).
    let endpoint = endpoint.map(|e| if dfs { blob_to_dfs(&e) } else { e });
    if account.is_none() && endpoint.is_none() {
        return Err(Error::invalid_input(
            "Azure needs the storage account: option \"account_name\", a connection string, or a URL naming it \
             (abfs://container@account.dfs.core.windows.net/path)",
        ));
    }

    let shared_key = |key: &Secret| -> Result<Credentials> {
        let account = account.clone().ok_or_else(|| Error::invalid_input("an Azure account key needs \"account_name\""))?;
        Ok(Credentials::AzureSharedKey { account, key: key.clone() })
    };
    let mut found: Vec<(&str, Credentials)> = Vec::new();
    if let Some(k) = &o.account_key {
        found.push(("account_key", shared_key(k)?));
    }
    if let Some(k) = &cs.key {
        found.push(("the connection string's AccountKey", shared_key(k)?));
    }
    if let Some(s) = &o.sas_token {
        found.push(("sas_token", Credentials::AzureSas(sas("sas_token", s.expose())?)));
    }
    if let Some(s) = &cs.sas {
        found.push(("the connection string's SharedAccessSignature", Credentials::AzureSas(s.clone())));
    }
    if let Some(t) = &o.credential {
        found.push(("credential", Credentials::Bearer(t.clone())));
    }
    if found.len() > 1 {
        let names: Vec<&str> = found.iter().map(|(n, _)| *n).collect();
        return Err(Error::invalid_input(format!("more than one Azure credential: {}; give one", names.join(", "))));
    }
    let credentials = match found.pop() {
        Some((_, c)) if !o.anon => c,
        _ => Credentials::Anonymous,
    };
    Ok(Target::Azure { account, endpoint, credentials, dfs, container: loc.bucket, path: loc.key })
}

/// An endpoint option: http(s), a host, no user name, query or fragment; returned without a
/// trailing `/`. The message never repeats the URL (it could hold a password).
fn endpoint(name: &str, raw: &str) -> Result<String> {
    let bad = |why: &str| Error::invalid_input(format!("option {name:?}: {why}"));
    let url = url::Url::parse(raw).map_err(|_| bad("not a URL (expected http(s)://host[:port][/path])"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry credentials; pass them as options"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not carry a query or fragment (a SAS goes in sas_token)"));
    }
    Ok(raw.trim_end_matches('/').to_string())
}

/// `https://acct.blob.core.windows.net` → `https://acct.dfs.core.windows.net`; other hosts as given.
fn blob_to_dfs(endpoint: &str) -> String {
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("", endpoint));
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if scheme.is_empty() || !host.contains(".blob.") {
        return endpoint.to_string();
    }
    format!("{scheme}://{}{path}", host.replacen(".blob.", ".dfs.", 1))
}

/// A SAS token as the signer takes it: without a leading `?`.
fn sas(name: &str, raw: &str) -> Result<Secret> {
    let token = raw.trim().trim_start_matches('?');
    if token.is_empty() {
        return Err(Error::invalid_input(format!("{name} is empty")));
    }
    Ok(Secret::new(token))
}

/// Azurite's well-known account, key and blob endpoint (`UseDevelopmentStorage=true`), as
/// Microsoft documents them for the storage emulator.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
pub const AZURITE_KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
pub const AZURITE_BLOB_ENDPOINT: &str = "http://127.0.0.1:10000/devstoreaccount1";

/// The parts of an Azure Storage connection string a blob client uses.
#[derive(Default)]
struct ConnectionString {
    account: Option<String>,
    key: Option<Secret>,
    sas: Option<Secret>,
    blob_endpoint: Option<String>,
    protocol: Option<String>,
    suffix: Option<String>,
}

impl ConnectionString {
    /// `Name=value` parts separated by `;`, names in any case. Queue, table and file endpoints
    /// and `DevelopmentStorageProxyUri` are not for a blob client and are ignored.
    fn parse(s: &str) -> Result<ConnectionString> {
        let bad = |why: &str| Error::invalid_input(format!("connection_string: {why}"));
        let mut cs = ConnectionString::default();
        let mut development = false;
        for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').ok_or_else(|| bad("every part must be Name=value"))?;
            let (name, value) = (name.trim(), value.trim());
            let given = || if value.is_empty() { Err(bad(&format!("{name} is empty"))) } else { Ok(value) };
            match name.to_ascii_lowercase().as_str() {
                "usedevelopmentstorage" => development = given()?.eq_ignore_ascii_case("true"),
                "accountname" => cs.account = Some(given()?.to_string()),
                "accountkey" => cs.key = Some(Secret::new(given()?)),
                "sharedaccesssignature" => cs.sas = Some(sas("connection_string: SharedAccessSignature", value)?),
                "blobendpoint" => cs.blob_endpoint = Some(given()?.to_string()),
                "defaultendpointsprotocol" => match given()?.to_ascii_lowercase().as_str() {
                    p @ ("http" | "https") => cs.protocol = Some(p.to_string()),
                    _ => return Err(bad("DefaultEndpointsProtocol must be http or https")),
                },
                "endpointsuffix" => cs.suffix = Some(given()?.trim_start_matches('.').to_string()),
                _ => {}
            }
        }
        if development {
            // The shorthand fills in what the string does not say itself.
            cs.account.get_or_insert_with(|| AZURITE_ACCOUNT.into());
            cs.blob_endpoint.get_or_insert_with(|| AZURITE_BLOB_ENDPOINT.into());
            if cs.sas.is_none() {
                cs.key.get_or_insert_with(|| Secret::new(AZURITE_KEY));
            }
        }
        if cs.account.is_none() && cs.blob_endpoint.is_none() {
            return Err(bad("needs AccountName or BlobEndpoint (or UseDevelopmentStorage=true)"));
        }
        Ok(cs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value of each kind, as JSON.
    fn sample(spec: &Spec) -> Value {
        if spec.name == "quirks" {
            return Value::String("s3s-fs".into());
        }
        match spec.kind {
            Kind::Flag | Kind::FlagOrText => Value::Bool(true),
            Kind::Text => Value::String("x".into()),
            Kind::Count | Kind::Seconds => Value::from(3),
            Kind::Map => serde_json::json!({"region_name": "eu-west-1"}),
        }
    }

    #[test]
    fn the_table_the_setter_and_given_agree() {
        for s in SPECS {
            let mut map = Map::new();
            map.insert(s.name.to_string(), sample(s));
            let o = StoreOptions::from_json(&Value::Object(map)).unwrap_or_else(|e| panic!("{}: {e}", s.name));
            assert_eq!(o.given(), vec![s.name], "{}", s.name);
        }
        // Every field is in the table: all set at once, all reported.
        let all: Map<String, Value> = SPECS.iter().map(|s| (s.name.to_string(), sample(s))).collect();
        let o = StoreOptions::from_json(&Value::Object(all)).unwrap();
        assert_eq!(o.given(), SPECS.iter().map(|s| s.name).collect::<Vec<_>>());
    }

    #[test]
    fn quirks_are_declared_by_name() {
        let resolve_with = |q: &str| -> Result<S3Config> {
            let o = StoreOptions::from_pairs([("quirks".to_string(), q.to_string())])?;
            match resolve("s3://b/k", &o)? {
                Target::S3 { config, .. } => Ok(config),
                _ => unreachable!(),
            }
        };
        let c = resolve_with("s3s-fs").unwrap();
        assert!(c.quirks.head_fails_on_prefixes && c.quirks.no_suffix_ranges && !c.url_encoded_listing);
        let c = resolve_with("no_suffix_ranges").unwrap();
        assert!(!c.quirks.head_fails_on_prefixes && c.quirks.no_suffix_ranges && c.url_encoded_listing);
        let e = resolve_with("no_suffix_ranges, teapot").unwrap_err();
        assert!(e.message.contains("\"teapot\"") && e.message.contains("head_fails_on_prefixes"), "{e}");
        let none = match resolve("s3://b/k", &StoreOptions::default()).unwrap() {
            Target::S3 { config, .. } => config,
            _ => unreachable!(),
        };
        assert_eq!(none.quirks, crate::core::provider::Quirks::default(), "AWS needs none");
        let e = resolve("memory://b", &StoreOptions::from_pairs([("quirks".into(), "s3s-fs".into())]).unwrap()).unwrap_err();
        assert!(e.message.contains("S3"), "{e}");
    }

    #[test]
    fn suggestions() {
        let s = |n: &str| suggest(n);
        assert_eq!(s("endpoint").as_deref(), Some("endpoint_url"));
        assert_eq!(s("endpointUrl").as_deref(), Some("endpoint_url"));
        assert_eq!(s("accessKeyId").as_deref(), Some("key"));
        assert_eq!(s("aws_secret_access_key").as_deref(), Some("secret"));
        assert_eq!(s("sessionToken").as_deref(), Some("token"));
        assert_eq!(s("anonymous").as_deref(), Some("anon"));
        assert_eq!(s("timeoutMs").as_deref(), Some("timeout"));
        assert_eq!(s("maxAttempts").as_deref(), Some("max_attempts"));
        assert_eq!(s("acount_name").as_deref(), Some("account_name"));
        assert_eq!(s("reigon").as_deref(), Some("region"));
        assert_eq!(s("region_name").as_deref(), Some("client_kwargs.region_name"));
        assert_eq!(s("default_block_size").as_deref(), Some("block_size"));
        assert_eq!(s("blocksize").as_deref(), Some("block_size"));
        assert_eq!(s("client_kwargs.region").as_deref(), Some("client_kwargs.region_name"));
        assert_eq!(s("client_kwargs.aws_access_key_id").as_deref(), Some("key"));
        assert_eq!(s("zzz"), None);
        assert_eq!(s("version_aware"), None);
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn dfs_hosts() {
        assert_eq!(blob_to_dfs("https://a.blob.core.windows.net"), "https://a.dfs.core.windows.net");
        assert_eq!(blob_to_dfs("https://a.blob.core.chinacloudapi.cn/"), "https://a.dfs.core.chinacloudapi.cn/");
        assert_eq!(blob_to_dfs("http://127.0.0.1:10000/x.blob.y"), "http://127.0.0.1:10000/x.blob.y");
    }
}
