//! Azure Storage authorization: Shared Key header signing for the Blob and ADLS Gen2 (`dfs`)
//! endpoints, service SAS and account SAS creation, and applying a SAS to a request. Bearer
//! tokens need nothing Azure-specific here (`core::auth` sets the header; the request builders
//! set the `x-ms-version` every Azure request needs).
//!
//! Pure functions: the time comes in as a value. The account key is the base64 string from the
//! portal (or Azurite's well-known key); it is decoded on every call and never printed.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;

use super::hmac_sha256;
use crate::core::creds::Secret;
use crate::core::error::{Error, Result};
use crate::core::http::{Method, Request, encode_unreserved};

/// `x-ms-version` set by [`sign_shared_key`] when the request has none.
pub const DEFAULT_API_VERSION: &str = "2022-11-02";
/// The default signed version (`sv`) of the SAS tokens created here.
pub const SAS_VERSION: &str = "2022-11-02";
/// The oldest `sv` whose string-to-sign layout (with `ses`) is implemented here.
pub const MIN_SAS_VERSION: &str = "2020-12-06";

/// Service SAS permission letters, in the order the service requires.
const SERVICE_PERMISSIONS: &str = "racwdxyltfmeopi";
/// Account SAS permission letters, in the order the service requires.
const ACCOUNT_PERMISSIONS: &str = "rwdxylacuptfi";
const ACCOUNT_SERVICES: &str = "bfqt";
const ACCOUNT_RESOURCE_TYPES: &str = "sco";

/// Format a time as RFC 1123 (`Fri, 26 Jun 2015 23:39:12 GMT`), as `x-ms-date` wants it.
pub fn rfc1123(time: DateTime<Utc>) -> String {
    time.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// SAS times: ISO 8601 UTC to the second (`2024-01-01T00:00:00Z`).
pub fn sas_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Sign a Blob or ADLS Gen2 request with the account key (`Authorization: SharedKey
/// <account>:<signature>`).
///
/// Sets `x-ms-date` to `time` (RFC 1123) and `x-ms-version` to [`DEFAULT_API_VERSION`] when
/// absent. `req.path` must be the encoded path exactly as sent. For path-style endpoints such as
/// Azurite's `http://127.0.0.1:10000/devstoreaccount1/...` the account is also the first path
/// segment, so it appears twice in the canonicalized resource (`/devstoreaccount1/devstoreaccount1/
/// container/blob`), which is what the documentation specifies and Azurite checks.
pub fn sign_shared_key(req: &mut Request, account: &str, key: &Secret, time: DateTime<Utc>) -> Result<()> {
    let key = decode_key(key)?;
    check_account(account)?;
    prepare(req, time);
    let sts = shared_key_string_to_sign(req, account)?;
    let sig = B64.encode(hmac_sha256(&key, sts.as_bytes()));
    req.headers.set("Authorization", format!("SharedKey {account}:{sig}"));
    Ok(())
}

fn prepare(req: &mut Request, time: DateTime<Utc>) {
    req.headers.remove("authorization");
    req.headers.set("x-ms-date", rfc1123(time));
    if !req.headers.contains("x-ms-version") {
        req.headers.set("x-ms-version", DEFAULT_API_VERSION);
    }
}

/// The Shared Key string-to-sign of a request as it stands (Blob, Queue, File and `dfs`
/// flavour, version 2009-09-19 and later).
pub fn shared_key_string_to_sign(req: &Request, account: &str) -> Result<String> {
    let h = &req.headers;
    let std_header = |name: &str| -> Result<String> {
        let v = h.get(name).unwrap_or("").trim();
        if v.contains(['\n', '\r']) {
            return Err(Error::invalid_input(format!("header {name} has a line break in its value")));
        }
        Ok(v.to_string())
    };
    // The header if set, else the body length; an empty body without the header counts as
    // no Content-Length (a GET sends none).
    let mut content_length = match h.get("content-length") {
        Some(v) => v.trim().to_string(),
        None if req.body.is_empty() => String::new(),
        None => req.body.len().to_string(),
    };
    // Since 2015-02-21 a zero length is signed as an empty line (so it does not matter whether
    // the HTTP stack sends `Content-Length: 0`); older versions sign the "0", and an empty PUT
    // for them needs an explicit `Content-Length: 0` header.
    let legacy = h.get("x-ms-version").is_some_and(|v| v.trim() < "2015-02-21");
    if content_length == "0" && !legacy {
        content_length.clear();
    }
    // `Date` is signed only when `x-ms-date` is absent; the service then ignores `Date`.
    let date = if h.contains("x-ms-date") { String::new() } else { std_header("date")? };
    let mut s = String::new();
    s.push_str(req.method.as_str());
    s.push('\n');
    for part in [
        std_header("content-encoding")?,
        std_header("content-language")?,
        content_length,
        std_header("content-md5")?,
        std_header("content-type")?,
        date,
        std_header("if-modified-since")?,
        std_header("if-match")?,
        std_header("if-none-match")?,
        std_header("if-unmodified-since")?,
        std_header("range")?,
    ] {
        s.push_str(&part);
        s.push('\n');
    }
    s.push_str(&canonicalized_headers(req)?);
    s.push_str(&canonicalized_resource(req, account)?);
    Ok(s)
}

/// CanonicalizedHeaders: every `x-ms-` header, names lowercased and sorted (byte order), values
/// trimmed, each as `name:value\n`; repeated headers are joined with `,`.
///
/// Inner whitespace is kept as is. The documentation asks to fold it, but Microsoft's SDKs and
/// Azurite sign the value as sent, and the service accepts their signatures; folding would
/// break every metadata value that contains two spaces in a row.
pub fn canonicalized_headers(req: &Request) -> Result<String> {
    let mut map: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (name, value) in req.headers.iter() {
        let lname = name.trim().to_ascii_lowercase();
        if !lname.starts_with("x-ms-") {
            continue;
        }
        if lname.contains([':', '\n', '\r']) || value.contains(['\n', '\r']) {
            return Err(Error::invalid_input(format!("invalid x-ms- header {lname:?}")));
        }
        map.entry(lname).or_default().push(value.trim());
    }
    let mut out = String::new();
    for (k, vs) in map {
        out.push_str(&k);
        out.push(':');
        out.push_str(&vs.join(","));
        out.push('\n');
    }
    Ok(out)
}

/// CanonicalizedResource (2009-09-19+ Shared Key format): `/<account><encoded path>`, then
/// for each query parameter, sorted by lowercased name, `\nname:v1,v2` with the decoded
/// values sorted. The account is the caller's (so `-secondary` hosts sign the primary name).
pub fn canonicalized_resource(req: &Request, account: &str) -> Result<String> {
    let mut out = format!("/{account}{}", if req.path.is_empty() { "/" } else { req.path.as_str() });
    let mut params: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (k, v) in &req.query {
        params.entry(k.to_ascii_lowercase()).or_default().push(v.as_str());
    }
    for (k, mut vs) in params {
        if k.contains(['\n', '\r', ':']) || vs.iter().any(|v| v.contains(['\n', '\r'])) {
            return Err(Error::invalid_input(format!("invalid query parameter {k:?}")));
        }
        vs.sort_unstable();
        out.push('\n');
        out.push_str(&k);
        out.push(':');
        out.push_str(&vs.join(","));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// SAS

/// `spr`: which protocols a SAS may be used over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SasProtocol {
    Https,
    HttpsAndHttp,
}

impl SasProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            SasProtocol::Https => "https",
            SasProtocol::HttpsAndHttp => "https,http",
        }
    }
}

/// What a service SAS grants access to. Names are unencoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SasResource {
    /// `sr=c`: the container and every blob in it.
    Container { container: String },
    /// `sr=b`: one blob.
    Blob { container: String, blob: String },
    /// `sr=bs`: one snapshot; the request must also carry `snapshot=<time>`.
    BlobSnapshot { container: String, blob: String, snapshot: String },
    /// `sr=bv`: one version; the request must also carry `versionid=<id>`.
    BlobVersion { container: String, blob: String, version_id: String },
    /// `sr=d` with `sdd=<depth>`: a directory of a hierarchical-namespace (ADLS Gen2) account.
    Directory { container: String, path: String },
}

impl SasResource {
    fn code(&self) -> &'static str {
        match self {
            SasResource::Container { .. } => "c",
            SasResource::Blob { .. } => "b",
            SasResource::BlobSnapshot { .. } => "bs",
            SasResource::BlobVersion { .. } => "bv",
            SasResource::Directory { .. } => "d",
        }
    }

    fn container(&self) -> &str {
        match self {
            SasResource::Container { container }
            | SasResource::Blob { container, .. }
            | SasResource::BlobSnapshot { container, .. }
            | SasResource::BlobVersion { container, .. }
            | SasResource::Directory { container, .. } => container,
        }
    }

    fn path(&self) -> Option<&str> {
        match self {
            SasResource::Container { .. } => None,
            SasResource::Blob { blob, .. } | SasResource::BlobSnapshot { blob, .. } | SasResource::BlobVersion { blob, .. } => {
                Some(blob)
            }
            SasResource::Directory { path, .. } => Some(path),
        }
    }

    fn snapshot_time(&self) -> &str {
        match self {
            SasResource::BlobSnapshot { snapshot, .. } => snapshot,
            SasResource::BlobVersion { version_id, .. } => version_id,
            _ => "",
        }
    }
}

/// A service SAS (Blob / ADLS Gen2) signed with the account key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSas {
    pub resource: SasResource,
    /// `sp`: letters from `racwdxyltfmeopi`, any order (they are put in the required order).
    /// May be empty when `identifier` names a stored access policy that sets them.
    pub permissions: String,
    /// `st`; omit to make the SAS valid at once (avoids clock-skew surprises).
    pub start: Option<DateTime<Utc>>,
    /// `se`; may be `None` only with a stored access policy (`identifier`).
    pub expiry: Option<DateTime<Utc>>,
    /// `si`: a stored access policy on the container.
    pub identifier: Option<String>,
    /// `sip`: an address or an inclusive range `a-b`.
    pub ip: Option<String>,
    pub protocol: Option<SasProtocol>,
    /// `sv`; at least [`MIN_SAS_VERSION`].
    pub version: String,
    /// `ses`.
    pub encryption_scope: Option<String>,
    /// Response header overrides: `rscc`, `rscd`, `rsce`, `rscl`, `rsct`.
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub content_type: Option<String>,
}

impl ServiceSas {
    pub fn new(resource: SasResource, permissions: impl Into<String>, expiry: DateTime<Utc>) -> Self {
        ServiceSas {
            resource,
            permissions: permissions.into(),
            start: None,
            expiry: Some(expiry),
            identifier: None,
            ip: None,
            protocol: None,
            version: SAS_VERSION.to_string(),
            encryption_scope: None,
            cache_control: None,
            content_disposition: None,
            content_encoding: None,
            content_language: None,
            content_type: None,
        }
    }
}

/// An account SAS signed with the account key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSas {
    /// `ss`: letters from `bfqt` (blob, file, queue, table).
    pub services: String,
    /// `srt`: letters from `sco` (service, container, object).
    pub resource_types: String,
    /// `sp`: letters from `rwdxylacuptfi`, any order.
    pub permissions: String,
    pub start: Option<DateTime<Utc>>,
    pub expiry: DateTime<Utc>,
    pub ip: Option<String>,
    pub protocol: Option<SasProtocol>,
    pub version: String,
    pub encryption_scope: Option<String>,
}

impl AccountSas {
    pub fn new(
        services: impl Into<String>,
        resource_types: impl Into<String>,
        permissions: impl Into<String>,
        expiry: DateTime<Utc>,
    ) -> Self {
        AccountSas {
            services: services.into(),
            resource_types: resource_types.into(),
            permissions: permissions.into(),
            start: None,
            expiry,
            ip: None,
            protocol: None,
            version: SAS_VERSION.to_string(),
            encryption_scope: None,
        }
    }
}

/// The string-to-sign of a service SAS (layout of `sv` 2020-12-06 and later):
/// `sp st se /blob/<account>/<container>[/<path>] si sip spr sv sr snapshot ses rscc rscd rsce
/// rscl rsct`, joined with `\n`, no trailing newline.
pub fn service_sas_string_to_sign(sas: &ServiceSas, account: &str) -> Result<String> {
    check_account(account)?;
    check_sas_version(&sas.version)?;
    let sp = normalize_letters(&sas.permissions, SERVICE_PERMISSIONS, "service SAS permission")?;
    if sas.identifier.is_none() && (sp.is_empty() || sas.expiry.is_none()) {
        return Err(Error::invalid_input("a service SAS needs permissions and an expiry unless it names a stored access policy"));
    }
    let container = sas.resource.container();
    if container.is_empty() || container.contains('/') {
        return Err(Error::invalid_input(format!("invalid container name {container:?}")));
    }
    let mut resource = format!("/blob/{account}/{container}");
    if let Some(p) = sas.resource.path() {
        if p.is_empty() {
            return Err(Error::invalid_input("a blob or directory SAS needs a non-empty name"));
        }
        resource.push('/');
        resource.push_str(p);
    }
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let fields = [
        sp,
        sas.start.map(sas_time).unwrap_or_default(),
        sas.expiry.map(sas_time).unwrap_or_default(),
        resource,
        opt(&sas.identifier),
        opt(&sas.ip),
        sas.protocol.map(|p| p.as_str().to_string()).unwrap_or_default(),
        sas.version.clone(),
        sas.resource.code().to_string(),
        sas.resource.snapshot_time().to_string(),
        opt(&sas.encryption_scope),
        opt(&sas.cache_control),
        opt(&sas.content_disposition),
        opt(&sas.content_encoding),
        opt(&sas.content_language),
        opt(&sas.content_type),
    ];
    if fields.iter().any(|f| f.contains(['\n', '\r'])) {
        return Err(Error::invalid_input("a SAS field contains a line break"));
    }
    Ok(fields.join("\n"))
}

/// Create a service SAS token: the query string (no leading `?`), values encoded. It grants
/// access by itself: treat it as a secret.
pub fn service_sas(sas: &ServiceSas, account: &str, key: &Secret) -> Result<String> {
    Ok(encode_pairs(&service_sas_pairs(sas, account, key)?))
}

/// [`service_sas`] as decoded `(name, value)` pairs, ready for [`Request::query`].
pub fn service_sas_pairs(sas: &ServiceSas, account: &str, key: &Secret) -> Result<Vec<(String, String)>> {
    let key = decode_key(key)?;
    let sts = service_sas_string_to_sign(sas, account)?;
    let sig = B64.encode(hmac_sha256(&key, sts.as_bytes()));
    let mut q: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            q.push((k.to_string(), v));
        }
    };
    push("sv", Some(sas.version.clone()));
    push("sp", Some(normalize_letters(&sas.permissions, SERVICE_PERMISSIONS, "service SAS permission")?));
    push("st", sas.start.map(sas_time));
    push("se", sas.expiry.map(sas_time));
    push("sip", sas.ip.clone());
    push("spr", sas.protocol.map(|p| p.as_str().to_string()));
    push("sr", Some(sas.resource.code().to_string()));
    if let SasResource::Directory { path, .. } = &sas.resource {
        let depth = path.split('/').filter(|s| !s.is_empty()).count();
        push("sdd", Some(depth.to_string()));
    }
    push("si", sas.identifier.clone());
    push("ses", sas.encryption_scope.clone());
    push("rscc", sas.cache_control.clone());
    push("rscd", sas.content_disposition.clone());
    push("rsce", sas.content_encoding.clone());
    push("rscl", sas.content_language.clone());
    push("rsct", sas.content_type.clone());
    push("sig", Some(sig));
    Ok(q)
}

/// The string-to-sign of an account SAS (`sv` 2020-12-06 and later):
/// `account sp ss srt st se sip spr sv ses`, each followed by `\n` (so it ends with one).
pub fn account_sas_string_to_sign(sas: &AccountSas, account: &str) -> Result<String> {
    check_account(account)?;
    check_sas_version(&sas.version)?;
    let sp = normalize_letters(&sas.permissions, ACCOUNT_PERMISSIONS, "account SAS permission")?;
    let ss = normalize_letters(&sas.services, ACCOUNT_SERVICES, "account SAS service")?;
    let srt = normalize_letters(&sas.resource_types, ACCOUNT_RESOURCE_TYPES, "account SAS resource type")?;
    if sp.is_empty() || ss.is_empty() || srt.is_empty() {
        return Err(Error::invalid_input("an account SAS needs permissions, services and resource types"));
    }
    let fields = [
        account.to_string(),
        sp,
        ss,
        srt,
        sas.start.map(sas_time).unwrap_or_default(),
        sas_time(sas.expiry),
        sas.ip.clone().unwrap_or_default(),
        sas.protocol.map(|p| p.as_str().to_string()).unwrap_or_default(),
        sas.version.clone(),
        sas.encryption_scope.clone().unwrap_or_default(),
    ];
    if fields.iter().any(|f| f.contains(['\n', '\r'])) {
        return Err(Error::invalid_input("a SAS field contains a line break"));
    }
    let mut s = String::new();
    for f in fields {
        s.push_str(&f);
        s.push('\n');
    }
    Ok(s)
}

/// Create an account SAS token: the query string (no leading `?`). Treat it as a secret.
pub fn account_sas(sas: &AccountSas, account: &str, key: &Secret) -> Result<String> {
    Ok(encode_pairs(&account_sas_pairs(sas, account, key)?))
}

/// [`account_sas`] as decoded `(name, value)` pairs.
pub fn account_sas_pairs(sas: &AccountSas, account: &str, key: &Secret) -> Result<Vec<(String, String)>> {
    let key = decode_key(key)?;
    let sts = account_sas_string_to_sign(sas, account)?;
    let sig = B64.encode(hmac_sha256(&key, sts.as_bytes()));
    let mut q = vec![
        ("sv".to_string(), sas.version.clone()),
        ("ss".to_string(), normalize_letters(&sas.services, ACCOUNT_SERVICES, "account SAS service")?),
        ("srt".to_string(), normalize_letters(&sas.resource_types, ACCOUNT_RESOURCE_TYPES, "account SAS resource type")?),
        ("sp".to_string(), normalize_letters(&sas.permissions, ACCOUNT_PERMISSIONS, "account SAS permission")?),
    ];
    if let Some(st) = sas.start {
        q.push(("st".into(), sas_time(st)));
    }
    q.push(("se".into(), sas_time(sas.expiry)));
    if let Some(ip) = sas.ip.as_ref().filter(|s| !s.is_empty()) {
        q.push(("sip".into(), ip.clone()));
    }
    if let Some(p) = sas.protocol {
        q.push(("spr".into(), p.as_str().into()));
    }
    if let Some(es) = sas.encryption_scope.as_ref().filter(|s| !s.is_empty()) {
        q.push(("ses".into(), es.clone()));
    }
    q.push(("sig".into(), sig));
    Ok(q)
}

/// Append a SAS token (`sv=...&sig=...`, with or without a leading `?`) to a request's query,
/// decoding it into pairs. A `+` is kept as a plus sign (it is a base64 character in `sig`).
/// Parameters the token sets replace any already there, so applying it again (on a retry)
/// leaves one copy.
pub fn apply_sas(req: &mut Request, sas: &str) -> Result<()> {
    set_sas(req, sas_pairs(sas)?);
    Ok(())
}

/// Append SAS pairs, replacing parameters of the same names.
fn set_sas(req: &mut Request, pairs: Vec<(String, String)>) {
    req.query.retain(|(k, _)| !pairs.iter().any(|(s, _)| s == k));
    req.query.extend(pairs);
}

/// A SAS token as decoded `(name, value)` pairs. Anything but `name=value` pairs with a `sig`
/// is refused (without quoting it): pasted garbage would otherwise travel, and print, as a
/// query parameter name, which no redaction hides.
pub fn sas_pairs(sas: &str) -> Result<Vec<(String, String)>> {
    let dec = |s: &str| {
        percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| Error::invalid_input("SAS token is not valid percent-encoded UTF-8"))
    };
    let mut pairs = Vec::new();
    for part in sas.trim().trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| Error::invalid_input("SAS token is not a list of name=value pairs"))?;
        pairs.push((dec(k)?, dec(v)?));
    }
    if !pairs.iter().any(|(k, v)| k == "sig" && !v.is_empty()) {
        return Err(Error::invalid_input("SAS token has no signature (sig)"));
    }
    Ok(pairs)
}

/// Append a service SAS for the blob `req` addresses, granting what its method needs (`r` to
/// GET or HEAD, `cw` to PUT, `d` to DELETE) until `expiry`, valid at once (no `st`, so clock
/// skew cannot make it "not yet valid"). The blob comes from the encoded path:
/// `/<container>/<blob>`, or `/<account>/<container>/<blob>` on a path-style endpoint such as
/// Azurite's.
pub fn presign_blob(req: &mut Request, account: &str, key: &Secret, expiry: DateTime<Utc>) -> Result<()> {
    let permissions = match req.method {
        Method::Get | Method::Head => "r",
        Method::Put => "cw",
        Method::Delete => "d",
        m => return Err(Error::not_supported(format!("presigning {} requests to Azure", m.as_str()))),
    };
    let (container, blob) = container_and_blob(req, account)?;
    let sas = ServiceSas::new(SasResource::Blob { container, blob }, permissions, expiry);
    set_sas(req, service_sas_pairs(&sas, account, key)?);
    Ok(())
}

/// The decoded container and blob names of a request's path.
fn container_and_blob(req: &Request, account: &str) -> Result<(String, String)> {
    let mut path = req.path.strip_prefix('/').unwrap_or(&req.path);
    // Path style (the account is not in the host): the account is the first segment.
    let account_host = req.host.get(..account.len()).is_some_and(|h| h.eq_ignore_ascii_case(account))
        && req.host[account.len()..].starts_with('.');
    if !account_host && let Some(rest) = path.strip_prefix(account).and_then(|r| r.strip_prefix('/')) {
        path = rest;
    }
    let (container, blob) = path.split_once('/').unwrap_or((path, ""));
    let decode = |s: &str| {
        percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| Error::invalid_input("the request path is not valid percent-encoded UTF-8"))
    };
    let (container, blob) = (decode(container)?, decode(blob)?);
    if container.is_empty() || blob.is_empty() {
        return Err(Error::invalid_input("an Azure presigned URL addresses one blob: /<container>/<blob>"));
    }
    Ok((container, blob))
}

fn encode_pairs(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", encode_unreserved(k), encode_unreserved(v))).collect::<Vec<_>>().join("&")
}

/// Keep each letter once, in the order the service requires; unknown letters are an error.
fn normalize_letters(given: &str, order: &str, what: &str) -> Result<String> {
    if let Some(bad) = given.chars().find(|c| !order.contains(*c)) {
        return Err(Error::invalid_input(format!("unknown {what} {bad:?} (allowed: {order})")));
    }
    Ok(order.chars().filter(|c| given.contains(*c)).collect())
}

fn check_sas_version(v: &str) -> Result<()> {
    let well_formed =
        v.len() == 10 && v.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !well_formed || v < MIN_SAS_VERSION {
        return Err(Error::invalid_input(format!(
            "SAS version {v:?} not supported: use {MIN_SAS_VERSION} or later (YYYY-MM-DD)"
        )));
    }
    Ok(())
}

fn check_account(account: &str) -> Result<()> {
    if account.is_empty() || !account.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid_input(format!("invalid Azure storage account name {account:?}")));
    }
    Ok(())
}

/// The portal's key is base64 of the raw HMAC key. The message never includes the key.
fn decode_key(key: &Secret) -> Result<Vec<u8>> {
    match B64.decode(key.expose().trim()) {
        Ok(k) if !k.is_empty() => Ok(k),
        _ => Err(Error::invalid_input("Azure account key is not valid base64")),
    }
}

/// Debug for the SAS builders prints no secrets already (they hold none); this wrapper exists
/// for tokens, which do.
pub struct RedactedSas<'a>(pub &'a str);

impl fmt::Debug for RedactedSas<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for part in self.0.trim_start_matches('?').split('&') {
            if !first {
                f.write_str("&")?;
            }
            first = false;
            match part.split_once('=') {
                Some(("sig", _)) => f.write_str("sig=<redacted>")?,
                _ => f.write_str(part)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::http::Method;
    use chrono::TimeZone;

    const KEY: &str = "a2V5LWZvci11bml0LXRlc3Rz"; // base64("key-for-unit-tests")

    fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn rfc1123_format() {
        assert_eq!(rfc1123(t(2015, 6, 26, 23, 39, 12)), "Fri, 26 Jun 2015 23:39:12 GMT");
        assert_eq!(sas_time(t(2024, 1, 2, 3, 4, 5)), "2024-01-02T03:04:05Z");
    }

    #[test]
    fn shared_key_sets_headers_and_path_style_account_twice() {
        let mut r = Request::new(Method::Put, "http", "127.0.0.1:10000", "/devstoreaccount1/c1/a%20b.txt").with_body("hello");
        r.headers.set("x-ms-blob-type", "BlockBlob");
        sign_shared_key(&mut r, "devstoreaccount1", &Secret::new(KEY), t(2024, 1, 1, 0, 0, 0)).unwrap();
        assert_eq!(r.headers.get("x-ms-date"), Some("Mon, 01 Jan 2024 00:00:00 GMT"));
        assert_eq!(r.headers.get("x-ms-version"), Some(DEFAULT_API_VERSION));
        let auth = r.headers.get("authorization").unwrap();
        assert!(auth.starts_with("SharedKey devstoreaccount1:"), "{auth}");
        let sts = shared_key_string_to_sign(&r, "devstoreaccount1").unwrap();
        assert_eq!(
            sts,
            "PUT\n\n\n5\n\n\n\n\n\n\n\n\nx-ms-blob-type:BlockBlob\nx-ms-date:Mon, 01 Jan 2024 00:00:00 GMT\n\
             x-ms-version:2022-11-02\n/devstoreaccount1/devstoreaccount1/c1/a%20b.txt"
        );
        // The signature is HMAC-SHA256 over exactly that string.
        let expect = B64.encode(hmac_sha256(b"key-for-unit-tests", sts.as_bytes()));
        assert_eq!(auth, format!("SharedKey devstoreaccount1:{expect}"));
    }

    #[test]
    fn invalid_key_is_a_typed_error_without_the_key() {
        let mut r = Request::new(Method::Get, "https", "a.blob.core.windows.net", "/c");
        let e = sign_shared_key(&mut r, "a", &Secret::new("not base64!!"), t(2024, 1, 1, 0, 0, 0)).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::InvalidInput);
        assert!(!e.to_string().contains("not base64!!"));
        let sas = ServiceSas::new(SasResource::Container { container: "c".into() }, "r", t(2024, 1, 1, 0, 0, 0));
        assert_eq!(service_sas(&sas, "a", &Secret::new("%%%")).unwrap_err().kind, crate::ErrorKind::InvalidInput);
        let acct = AccountSas::new("b", "sco", "rl", t(2024, 1, 1, 0, 0, 0));
        assert!(account_sas(&acct, "a", &Secret::new("")).is_err());
    }

    #[test]
    fn service_sas_layout_and_permission_order() {
        let mut sas = ServiceSas::new(
            SasResource::Blob { container: "c1".into(), blob: "dir/é x.txt".into() },
            "wr",
            t(2024, 1, 2, 0, 0, 0),
        );
        sas.start = Some(t(2024, 1, 1, 0, 0, 0));
        sas.protocol = Some(SasProtocol::HttpsAndHttp);
        sas.content_type = Some("text/plain".into());
        let sts = service_sas_string_to_sign(&sas, "acct").unwrap();
        assert_eq!(
            sts,
            "rw\n2024-01-01T00:00:00Z\n2024-01-02T00:00:00Z\n/blob/acct/c1/dir/é x.txt\n\n\nhttps,http\n\
             2022-11-02\nb\n\n\n\n\n\n\ntext/plain"
        );
        let tok = service_sas(&sas, "acct", &Secret::new(KEY)).unwrap();
        let sig = B64.encode(hmac_sha256(b"key-for-unit-tests", sts.as_bytes()));
        assert!(tok.starts_with("sv=2022-11-02&sp=rw&st=2024-01-01T00%3A00%3A00Z&se="), "{:?}", RedactedSas(&tok));
        assert!(tok.ends_with(&format!("&sig={}", encode_unreserved(&sig))));
        assert!(!format!("{:?}", RedactedSas(&tok)).contains(&encode_unreserved(&sig)));
        sas.permissions = "rq".into();
        assert!(service_sas(&sas, "acct", &Secret::new(KEY)).is_err());
        sas.permissions = "r".into();
        sas.version = "2019-02-02".into();
        assert!(service_sas(&sas, "acct", &Secret::new(KEY)).is_err());
    }

    #[test]
    fn directory_sas_has_depth() {
        let sas = ServiceSas::new(
            SasResource::Directory { container: "fs".into(), path: "a/b/c".into() },
            "rl",
            t(2024, 1, 2, 0, 0, 0),
        );
        let q = service_sas_pairs(&sas, "acct", &Secret::new(KEY)).unwrap();
        assert!(q.contains(&("sr".into(), "d".into())));
        assert!(q.contains(&("sdd".into(), "3".into())));
    }

    #[test]
    fn account_sas_layout() {
        let mut sas = AccountSas::new("b", "osc", "lr", t(2024, 1, 2, 0, 0, 0));
        sas.protocol = Some(SasProtocol::Https);
        assert_eq!(
            account_sas_string_to_sign(&sas, "acct").unwrap(),
            "acct\nrl\nb\nsco\n\n2024-01-02T00:00:00Z\n\nhttps\n2022-11-02\n\n"
        );
    }

    #[test]
    fn apply_sas_decodes_pairs() {
        let mut r = Request::new(Method::Get, "https", "a.blob.core.windows.net", "/c/b");
        apply_sas(&mut r, "?sv=2022-11-02&se=2024-01-01T00%3A00%3A00Z&sig=ab%2Bc%2F%3D").unwrap();
        assert_eq!(r.query[1], ("se".to_string(), "2024-01-01T00:00:00Z".to_string()));
        assert_eq!(r.query[2].1, "ab+c/=");
        assert!(apply_sas(&mut r, "sig=%FF").is_err());
        for bad in ["sv=2022-11-02&se=2024-01-01", "s3cr3t-pasted-token", "sv=1&sig="] {
            let e = apply_sas(&mut r, bad).unwrap_err();
            assert_eq!(e.kind, crate::ErrorKind::InvalidInput);
            assert!(!e.to_string().contains(bad), "{e}");
        }
    }
}
