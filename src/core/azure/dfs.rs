//! ADLS Gen2 (the `dfs` endpoint of a hierarchical-namespace account): request builders and
//! parsers for the Path calls that give real directories and atomic renames. Not wired into a
//! store yet, and **not integration-tested**: no local server speaks dfs (Azurite answers
//! every dfs call 400), so these are checked against the documented request shapes and the
//! recorded answers in ../shared/vectors/adls-gen2-responses only (tests/azure_responses.rs).
//!
//! Paths are `/{filesystem}/{path}` on the dfs host (the filesystem is the container). Writes
//! are Create, then Append at increasing positions, then one Flush at the total length, which
//! is what makes the data visible. Recursive deletes and renames on accounts without a
//! hierarchical namespace may need several calls: the answer's `x-ms-continuation` says so.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::config::{AzureConfig, encode_blob_name, validate_container};
use super::request::content_md5;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{Method, Request, Response};

/// What Path - Create makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKind {
    File,
    Directory,
}

fn path(cfg: &AzureConfig, filesystem: &str, p: &str) -> Result<String> {
    validate_container(filesystem)?;
    Ok(format!("{}/{filesystem}/{}", cfg.base_path, encode_blob_name(p.trim_matches('/'))?))
}

fn req(cfg: &AzureConfig, method: Method, path: String) -> Request {
    Request::new(method, &cfg.scheme, &cfg.host, path).header("x-ms-version", super::API_VERSION)
}

/// Path - Create: a file (empty, to be appended to) or a directory; `create_only` refuses an
/// existing path (`If-None-Match: *`).
pub fn create_path(cfg: &AzureConfig, filesystem: &str, p: &str, kind: PathKind, create_only: bool) -> Result<Request> {
    let resource = match kind {
        PathKind::File => "file",
        PathKind::Directory => "directory",
    };
    let mut r = req(cfg, Method::Put, path(cfg, filesystem, p)?).query_param("resource", resource).header("Content-Length", "0");
    if create_only {
        r.headers.set("If-None-Match", "*");
    }
    Ok(r)
}

/// Path - Update `action=append`: `data` at byte `position` of the uncommitted file.
pub fn append(cfg: &AzureConfig, filesystem: &str, p: &str, position: u64, data: Bytes) -> Result<Request> {
    let len = data.len();
    Ok(req(cfg, Method::Patch, path(cfg, filesystem, p)?)
        .query_param("action", "append")
        .query_param("position", position.to_string())
        .header("Content-Length", len.to_string())
        .header("Content-MD5", content_md5(&data))
        .with_body(data))
}

/// Path - Update `action=flush`: commit everything appended, `length` bytes in all, and close
/// the file; `if_match` pins the file created for this write.
pub fn flush(
    cfg: &AzureConfig,
    filesystem: &str,
    p: &str,
    length: u64,
    content_type: Option<&str>,
    if_match: Option<&str>,
) -> Result<Request> {
    let mut r = req(cfg, Method::Patch, path(cfg, filesystem, p)?)
        .query_param("action", "flush")
        .query_param("position", length.to_string())
        .query_param("close", "true")
        .header("Content-Length", "0");
    if let Some(ct) = content_type {
        r.headers.set("x-ms-content-type", ct);
    }
    if let Some(tag) = if_match {
        r.headers.set("If-Match", if tag.starts_with('"') { tag.to_string() } else { format!("\"{tag}\"") });
    }
    Ok(r)
}

/// Path - List of a filesystem: under `directory` (all of it when empty), one level or
/// `recursive`, continued with the previous answer's `x-ms-continuation`.
pub fn list_paths(
    cfg: &AzureConfig,
    filesystem: &str,
    directory: &str,
    recursive: bool,
    continuation: Option<&str>,
    max_results: Option<u32>,
) -> Result<Request> {
    validate_container(filesystem)?;
    let mut r = req(cfg, Method::Get, format!("{}/{filesystem}", cfg.base_path))
        .query_param("resource", "filesystem")
        .query_param("recursive", recursive.to_string());
    let dir = directory.trim_matches('/');
    if !dir.is_empty() {
        r = r.query_param("directory", dir);
    }
    if let Some(c) = continuation {
        r = r.query_param("continuation", c);
    }
    if let Some(n) = max_results {
        r = r.query_param("maxResults", n.max(1).to_string());
    }
    Ok(r)
}

/// Path - Create with `mode=legacy`: rename `src` onto `dst` in one call on a hierarchical
/// namespace (a directory with everything under it). `create_only` refuses an existing `dst`;
/// `lease` is the source's lease id, when it has one.
pub fn rename(
    cfg: &AzureConfig,
    filesystem: &str,
    src: &str,
    dst: &str,
    create_only: bool,
    lease: Option<&str>,
    continuation: Option<&str>,
) -> Result<Request> {
    let source = path(cfg, filesystem, src)?;
    // The source header names the path without the endpoint's base path.
    let source = source.strip_prefix(&cfg.base_path).unwrap_or(&source).to_string();
    let mut r =
        req(cfg, Method::Put, path(cfg, filesystem, dst)?).query_param("mode", "legacy").header("x-ms-rename-source", source);
    r.headers.set("Content-Length", "0");
    if create_only {
        r.headers.set("If-None-Match", "*");
    }
    if let Some(l) = lease {
        r.headers.set("x-ms-source-lease-id", l);
    }
    if let Some(c) = continuation {
        r = r.query_param("continuation", c);
    }
    Ok(r)
}

/// Path - Delete, of a directory with everything under it when `recursive`.
pub fn delete_path(cfg: &AzureConfig, filesystem: &str, p: &str, recursive: bool, continuation: Option<&str>) -> Result<Request> {
    let mut r = req(cfg, Method::Delete, path(cfg, filesystem, p)?).query_param("recursive", recursive.to_string());
    if let Some(c) = continuation {
        r = r.query_param("continuation", c);
    }
    Ok(r)
}

/// Path - Get Properties: `getStatus` (type, size, etag) or `getAccessControl` (owner, group,
/// permissions, ACL; names as user principal names).
pub fn get_properties(cfg: &AzureConfig, filesystem: &str, p: &str, access_control: bool) -> Result<Request> {
    let r = req(cfg, Method::Head, path(cfg, filesystem, p)?);
    Ok(if access_control {
        r.query_param("action", "getAccessControl").query_param("upn", "true")
    } else {
        r.query_param("action", "getStatus")
    })
}

/// One entry of Path - List.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DfsPath {
    pub name: String,
    pub is_directory: bool,
    pub size: u64,
    pub etag: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
    pub owner: Option<String>,
    pub group: Option<String>,
    pub permissions: Option<String>,
}

/// One page of Path - List; `continuation` (from the header) asks for the next.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DfsPage {
    pub paths: Vec<DfsPath>,
    pub continuation: Option<String>,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::invalid_response(msg)
}

/// The `x-ms-continuation` of an answer (Path - List, a recursive delete, a rename): `None`
/// when the operation is complete.
pub fn continuation(resp: &Response) -> Option<String> {
    resp.headers.get("x-ms-continuation").map(str::trim).filter(|c| !c.is_empty()).map(str::to_string)
}

/// Path - List. Every value is a JSON string (`"contentLength":"1977097"`, `"isDirectory":"true"`),
/// and `isDirectory` is left out for files; a number where a string belongs is tolerated.
pub fn parse_path_list(resp: &Response) -> Result<DfsPage> {
    let v: Value = serde_json::from_slice(&resp.body).map_err(|e| invalid(format!("Path - List is not JSON: {e}")))?;
    let paths = v.get("paths").and_then(Value::as_array).ok_or_else(|| invalid("Path - List without \"paths\""))?;
    let text = |p: &Value, k: &str| -> Option<String> {
        match p.get(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    let mut page = DfsPage { paths: Vec::with_capacity(paths.len()), continuation: continuation(resp) };
    for p in paths {
        let name = text(p, "name").filter(|n| !n.is_empty()).ok_or_else(|| invalid("a path without a name"))?;
        let size = match text(p, "contentLength") {
            Some(s) => s.parse().map_err(|_| invalid(format!("{name}: bad contentLength {s:?}")))?,
            None => 0,
        };
        let is_directory = match text(p, "isDirectory").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => return Err(invalid(format!("{name}: bad isDirectory {other:?}"))),
        };
        let last_modified = text(p, "lastModified")
            .map(|t| DateTime::parse_from_rfc2822(&t).map(|t| t.with_timezone(&Utc)))
            .transpose()
            .map_err(|_| invalid(format!("{name}: bad lastModified")))?;
        page.paths.push(DfsPath {
            name,
            is_directory,
            size,
            etag: text(p, "etag"),
            last_modified,
            owner: text(p, "owner"),
            group: text(p, "group"),
            permissions: text(p, "permissions"),
        });
    }
    Ok(page)
}

/// The owner, group, permissions and ACL of Path - Get Properties `getAccessControl`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessControl {
    pub owner: Option<String>,
    pub group: Option<String>,
    pub permissions: Option<String>,
    pub acl: Option<String>,
}

pub fn parse_access_control(resp: &Response) -> AccessControl {
    let h = |k: &str| resp.headers.get(k).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    AccessControl { owner: h("x-ms-owner"), group: h("x-ms-group"), permissions: h("x-ms-permissions"), acl: h("x-ms-acl") }
}

/// Whether Path - Get Properties `getStatus` describes a directory (`x-ms-resource-type`).
pub fn is_directory(resp: &Response) -> bool {
    resp.headers.get("x-ms-resource-type").is_some_and(|t| t.trim().eq_ignore_ascii_case("directory"))
}

/// The typed error of a dfs answer: `{"error":{"code","message"}}`, or `x-ms-error-code` (a
/// HEAD has no body), or the status. Blob codes map as [`super::parse_error`] maps them.
pub fn parse_error(resp: &Response) -> Error {
    let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
    let err = body.as_ref().and_then(|b| b.get("error"));
    let field = |k: &str| err.and_then(|e| e.get(k)).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let code = field("code").map(str::to_string).or_else(|| resp.headers.get("x-ms-error-code").map(|c| c.trim().to_string()));
    let kind = match code.as_deref() {
        Some("PathNotFound" | "FilesystemNotFound" | "SourcePathNotFound" | "RenameDestinationParentPathNotFound") => {
            Some(ErrorKind::NotFound)
        }
        Some("PathAlreadyExists" | "FilesystemAlreadyExists") => Some(ErrorKind::AlreadyExists),
        Some("DirectoryNotEmpty" | "PathConflict" | "InvalidRenameSourcePath" | "LeaseIsAlreadyBroken") => {
            Some(ErrorKind::Conflict)
        }
        Some("InvalidFlushPosition" | "InvalidSourceOrDestinationResourceType") => Some(ErrorKind::InvalidInput),
        _ => None,
    };
    // Everything else is typed as the Blob service types it (same auth and condition codes).
    let mut blob = Response::new(resp.status, resp.headers.clone(), Bytes::new());
    if let Some(c) = &code {
        blob.headers.set("x-ms-error-code", c.clone());
    }
    let mut e = super::parse_error(&blob);
    if let Some(k) = kind {
        e.kind = k;
        e.retryable = false;
    }
    if let Some(m) = field("message").and_then(|m| m.lines().next()) {
        e.message = m.to_string();
    }
    e
}

/// The `x-ms-rename-source` a rename names, decoded (for tests and logs).
pub fn rename_source(req: &Request) -> Option<String> {
    let s = req.headers.get("x-ms-rename-source")?;
    percent_encoding::percent_decode_str(s).decode_utf8().ok().map(|c| c.into_owned())
}

/// The dfs twin of a blob endpoint config (`acct.blob.` → `acct.dfs.`), for the account's
/// Path calls.
pub fn dfs_config(blob: &AzureConfig) -> AzureConfig {
    let mut c = blob.clone();
    if let Some(i) = c.host.find(".blob.") {
        c.host.replace_range(i..i + 6, ".dfs.");
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::http::Headers;

    fn cfg() -> AzureConfig {
        dfs_config(&AzureConfig::account("acct").unwrap())
    }

    #[test]
    fn request_shapes() {
        let c = cfg();
        assert_eq!(c.host, "acct.dfs.core.windows.net");
        let r = create_path(&c, "fs1", "dir/sub/", PathKind::Directory, true).unwrap();
        assert_eq!((r.method, r.url()), (Method::Put, "https://acct.dfs.core.windows.net/fs1/dir/sub?resource=directory".into()));
        assert_eq!(r.headers.get("if-none-match"), Some("*"));
        let r = append(&c, "fs1", "a b", 5, Bytes::from_static(b"hello")).unwrap();
        assert_eq!(
            (r.method, r.url()),
            (Method::Patch, "https://acct.dfs.core.windows.net/fs1/a%20b?action=append&position=5".into())
        );
        assert_eq!(
            (r.headers.get("content-length"), r.headers.get("content-md5")),
            (Some("5"), Some("XUFAKrxLKna5cZ2REBfFkg=="))
        );
        let r = flush(&c, "fs1", "a b", 10, Some("text/plain"), Some("0x1")).unwrap();
        assert_eq!(r.url(), "https://acct.dfs.core.windows.net/fs1/a%20b?action=flush&position=10&close=true");
        assert_eq!((r.headers.get("x-ms-content-type"), r.headers.get("if-match")), (Some("text/plain"), Some("\"0x1\"")));
        let r = list_paths(&c, "fs1", "/dir/", true, Some("tok/+="), Some(0)).unwrap();
        assert_eq!(
            r.url(),
            "https://acct.dfs.core.windows.net/fs1?resource=filesystem&recursive=true&directory=dir&continuation=tok%2F%2B%3D&maxResults=1"
        );
        let r = rename(&c, "fs1", "old dir", "new", true, Some("lease-1"), None).unwrap();
        assert_eq!((r.method, r.url()), (Method::Put, "https://acct.dfs.core.windows.net/fs1/new?mode=legacy".into()));
        assert_eq!(
            (r.headers.get("x-ms-rename-source"), rename_source(&r).as_deref()),
            (Some("/fs1/old%20dir"), Some("/fs1/old dir"))
        );
        assert_eq!((r.headers.get("x-ms-source-lease-id"), r.headers.get("if-none-match")), (Some("lease-1"), Some("*")));
        let r = delete_path(&c, "fs1", "dir", true, Some("c2")).unwrap();
        assert_eq!(
            (r.method, r.url()),
            (Method::Delete, "https://acct.dfs.core.windows.net/fs1/dir?recursive=true&continuation=c2".into())
        );
        let r = get_properties(&c, "fs1", "dir", true).unwrap();
        assert_eq!(
            (r.method, r.url()),
            (Method::Head, "https://acct.dfs.core.windows.net/fs1/dir?action=getAccessControl&upn=true".into())
        );
        assert!(create_path(&c, "FS", "x", PathKind::File, false).is_err());
        assert!(append(&c, "fs1", "", 0, Bytes::new()).is_err());
    }

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        let mut h = Headers::new();
        for (k, v) in headers {
            h.set(*k, *v);
        }
        Response::new(status, h, body.to_string())
    }

    #[test]
    fn errors_and_headers() {
        let e = parse_error(&resp(
            404,
            &[],
            r#"{"error":{"code":"PathNotFound","message":"The specified path does not exist.\nRequestId:x"}}"#,
        ));
        assert_eq!(
            (e.kind, e.code.as_deref(), e.message.as_str()),
            (ErrorKind::NotFound, Some("PathNotFound"), "The specified path does not exist.")
        );
        let e = parse_error(&resp(409, &[("x-ms-error-code", "DirectoryNotEmpty")], ""));
        assert_eq!(e.kind, ErrorKind::Conflict);
        let e = parse_error(&resp(412, &[], r#"{"error":{"code":"ConditionNotMet","message":"m"}}"#));
        assert_eq!(e.kind, ErrorKind::PreconditionFailed);
        assert_eq!(parse_error(&resp(403, &[], "not json")).kind, ErrorKind::PermissionDenied);
        let acl = parse_access_control(&resp(200, &[("x-ms-owner", "$superuser"), ("x-ms-permissions", "rwxr-x---")], ""));
        assert_eq!((acl.owner.as_deref(), acl.permissions.as_deref(), acl.acl), (Some("$superuser"), Some("rwxr-x---"), None));
        assert!(is_directory(&resp(200, &[("x-ms-resource-type", "directory")], "")));
        assert_eq!(continuation(&resp(200, &[("x-ms-continuation", "")], "")), None);
        for bad in [
            r#"{"paths":[{"contentLength":"x","name":"a"}]}"#,
            r#"{"paths":[{"isDirectory":"yes","name":"a"}]}"#,
            r#"{}"#,
            "[",
            r#"{"paths":[{}]}"#,
        ] {
            assert_eq!(parse_path_list(&resp(200, &[], bad)).unwrap_err().kind, ErrorKind::InvalidResponse, "{bad}");
        }
    }
}
