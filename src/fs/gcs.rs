//! The GCS store: the shared HTTP driver ([`HttpStore`]) over the GCS provider ([`GcsConfig`])
//! with bearer tokens. Only what is GCS's own lives here: its constructors.

use std::sync::Arc;

use super::http::HttpStore;
use crate::core::auth::{Authorizer, CredentialCache, Credentials, Scheme};
use crate::core::creds::Secret;
use crate::core::gcs::GcsConfig;
use crate::transport::{Clock, Transport};

/// Google Cloud Storage (and its emulators) through transport `T`.
pub type GcsStore<T> = HttpStore<GcsConfig, T>;

impl<T: Transport> HttpStore<GcsConfig, T> {
    /// A GCS store sending `token` as `Authorization: Bearer`; `None` sends requests without
    /// credentials (public buckets, emulators).
    pub fn new(config: GcsConfig, token: Option<Secret>, transport: T, clock: Arc<dyn Clock>) -> Self {
        let creds = token.map_or(Credentials::Anonymous, Credentials::Bearer);
        Self::with_credentials(config, CredentialCache::fixed(creds), transport, clock)
    }

    /// A GCS store whose credentials come from `credentials`: OAuth2 bearer tokens (refreshed
    /// by the cache when it can) or none. A service account key (V4 RSA, feature `rsa`) or an
    /// HMAC key (GOOG4-HMAC, also on wasm) can only sign URLs here ([`crate::fs::Store::presign`]):
    /// the key is exchanged for bearer tokens by a provider (`core::creds::google`, which the
    /// native chain `fs::gcs_chain` sets up), and the JSON API takes no HMAC signatures (the S3
    /// store on the XML API does).
    pub fn with_credentials(config: GcsConfig, credentials: CredentialCache, transport: T, clock: Arc<dyn Clock>) -> Self {
        HttpStore::from_parts(config, Authorizer::new(Scheme::Bearer), credentials, transport, clock)
    }

    pub fn config(&self) -> &GcsConfig {
        self.provider()
    }
}

#[cfg(feature = "native")]
mod native {
    use super::*;
    use crate::core::error::Result;
    use crate::transport::native::{ReqwestTransport, SystemClock};

    impl HttpStore<GcsConfig, ReqwestTransport> {
        /// A GCS store on Google (`endpoint: None`) or an emulator, in `project` (bucket
        /// listing and creation).
        pub fn connect(endpoint: Option<&str>, project: Option<&str>, token: Option<Secret>) -> Result<Self> {
            let config = match endpoint {
                Some(e) => GcsConfig::custom(e)?,
                None => GcsConfig::google(),
            }
            .with_project(project.map(str::to_string));
            Ok(GcsStore::new(config, token, ReqwestTransport::new(Default::default())?, Arc::new(SystemClock)))
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::core::error::{Error, ErrorKind};
    use crate::core::gcs::{crc32c_base64, md5_base64};
    use crate::core::http::{Method, Request};
    use crate::fs::facade::{FileSystem, Options};
    use crate::transport::FixedClock;
    use crate::transport::script::{Script, answer};

    const SESSION: &str = "http://127.0.0.1:9/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=s1";
    const CHUNK: usize = 256 * 1024;

    /// Method, URL, Content-Range and Authorization of every request sent.
    fn seen(s: &Script) -> Vec<(Method, String, Option<String>, Option<String>)> {
        let h = |r: &Request, n: &str| r.headers.get(n).map(str::to_string);
        s.sent().iter().map(|r| (r.method, r.url(), h(r, "content-range"), h(r, "authorization"))).collect()
    }

    fn object(name: &str, data: &[u8]) -> String {
        serde_json::json!({
            "name": name, "size": data.len().to_string(), "generation": "42",
            "md5Hash": md5_base64(data), "crc32c": crc32c_base64(data),
        })
        .to_string()
    }

    fn fs(script: &Arc<Script>) -> FileSystem<GcsStore<Arc<Script>>> {
        let config = GcsConfig::custom("http://127.0.0.1:9").unwrap();
        let clock = Arc::new(FixedClock(chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap()));
        let store = GcsStore::new(config, Some("ya29.tok".into()), script.clone(), clock);
        FileSystem::with_options(store, Options { part_size: CHUNK as u64, ..Options::default() })
    }

    #[test]
    fn a_broken_chunk_is_resumed_from_the_offset_the_session_reports() {
        let data: Vec<u8> = (0..CHUNK + 10).map(|i| (i * 7 % 251) as u8).collect();
        let reset = Error::new(ErrorKind::Io, "connection reset").retryable(true);
        let s = Script::new(vec![
            answer(200, &[("location", SESSION)], ""),
            // The first chunk breaks off; the session says it kept nothing; it goes again.
            Err(reset),
            answer(308, &[], ""),
            answer(308, &[("range", "bytes=0-262143")], ""),
            answer(200, &[], object("d/k", &data)),
        ]);
        let meta = futures::executor::block_on(fs(&s).pipe("bkt/d/k", Bytes::from(data.clone()))).unwrap();
        assert_eq!((meta.size, meta.etag.as_deref()), (data.len() as u64, Some("42")));
        let seen = seen(&s);
        let ranges: Vec<_> = seen.iter().map(|(m, _, r, _)| (*m, r.as_deref())).collect();
        assert_eq!(
            ranges,
            [
                (Method::Post, None),
                (Method::Put, Some("bytes 0-262143/*")),
                (Method::Put, Some("bytes */*")),
                (Method::Put, Some("bytes 0-262143/*")),
                (Method::Put, Some("bytes 262144-262153/262154")),
            ]
        );
        assert!(seen[0].1.starts_with("http://127.0.0.1:9/upload/storage/v1/b/bkt/o?uploadType=resumable&name=d%2Fk"));
        assert!(seen[1..].iter().all(|(_, url, _, _)| url == SESSION), "every chunk goes to the session URI");
        assert!(seen.iter().all(|(.., auth)| auth.as_deref() == Some("Bearer ya29.tok")));
    }

    #[test]
    fn a_refused_final_chunk_cancels_the_session() {
        let data = vec![1u8; CHUNK + 1];
        let refused = r#"{"error":{"code":412,"message":"ifGenerationMatch failed","errors":[{"reason":"conditionNotMet"}]}}"#;
        let s = Script::new(vec![
            answer(200, &[("location", SESSION)], ""),
            answer(308, &[("range", "bytes=0-262143")], ""),
            answer(412, &[], refused),
            answer(499, &[], ""),
        ]);
        let fs = fs(&s);
        let opts = crate::core::types::PutOptions { if_none_match_any: true, ..Default::default() };
        let e = futures::executor::block_on(fs.pipe_with("bkt/k", Bytes::from(data), &opts)).unwrap_err();
        assert_eq!((e.kind, e.code.as_deref()), (ErrorKind::PreconditionFailed, Some("conditionNotMet")));
        let seen = seen(&s);
        assert!(seen[0].1.ends_with("&ifGenerationMatch=0"), "{}", seen[0].1);
        assert_eq!((seen[3].0, seen[3].1.as_str()), (Method::Delete, SESSION), "the session is cancelled");
    }

    #[test]
    fn a_session_on_another_host_is_refused_before_a_token_is_sent_there() {
        let s = Script::new(vec![answer(200, &[("location", "http://evil.example/upload/x?upload_id=1")], "")]);
        let e = futures::executor::block_on(fs(&s).pipe("bkt/k", Bytes::from(vec![0u8; CHUNK + 1]))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{e:?}");
        assert!(seen(&s).iter().all(|(_, url, ..)| url.starts_with("http://127.0.0.1:9/")));
    }

    #[test]
    fn an_unfinished_rewrite_is_continued_with_its_token_until_done() {
        let s = Script::new(vec![
            // cp asks first whether the source is a file.
            answer(200, &[], object("big", b"stands for 3 GB")),
            answer(200, &[], r#"{"done":false,"rewriteToken":"t1","totalBytesRewritten":"1073741824"}"#),
            answer(200, &[], r#"{"done":false,"rewriteToken":"t2","totalBytesRewritten":"2147483648"}"#),
            answer(200, &[], r#"{"done":true,"resource":{"name":"copy","size":"3000000000","generation":"7"}}"#),
        ]);
        futures::executor::block_on(fs(&s).cp("bkt/big", "bkt/copy", false)).unwrap();
        let urls: Vec<String> = seen(&s)
            .into_iter()
            .filter(|(m, ..)| *m == Method::Post)
            .map(|(m, url, ..)| format!("{} {url}", m.as_str()))
            .collect();
        let rewrite = "POST http://127.0.0.1:9/storage/v1/b/bkt/o/big/rewriteTo/b/bkt/o/copy";
        assert_eq!(urls, [rewrite.to_string(), format!("{rewrite}?rewriteToken=t1"), format!("{rewrite}?rewriteToken=t2")]);
    }

    #[test]
    fn a_recursive_rm_is_one_batch_and_reports_the_key_it_could_not_delete() {
        let not_found = r#"{"error":{"code":404,"message":"No such object","errors":[{"reason":"notFound"}]}}"#;
        let list = r#"{"items":[{"name":"d/a","size":"1"},{"name":"d/b","size":"1"},{"name":"d/c","size":"1"}]}"#;
        let part = |i: usize, status: &str| {
            format!(
                "--B\r\nContent-Type: application/http\r\nContent-ID: <response-pailfs+{i}>\r\n\r\nHTTP/1.1 {status}\r\n\r\n\r\n"
            )
        };
        let batch = format!("{}{}{}--B--\r\n", part(0, "204 No Content"), part(1, "404 Not Found"), part(2, "403 Forbidden"));
        let s = Script::new(vec![
            answer(404, &[], not_found),
            answer(200, &[], list),
            answer(200, &[("content-type", "multipart/mixed; boundary=B")], batch),
        ]);
        let e = futures::executor::block_on(fs(&s).rm("bkt/d", true)).unwrap_err();
        assert_eq!((e.kind, e.code.as_deref()), (ErrorKind::Service, Some("403")), "{e:?}");
        assert!(e.message.starts_with("1 of the deletions failed; first: bkt/d/c: 403"), "{}", e.message);
        let sent = s.sent();
        let last = sent.last().unwrap();
        assert_eq!((sent.len(), last.method, last.url().as_str()), (3, Method::Post, "http://127.0.0.1:9/batch/storage/v1"));
        let body = std::str::from_utf8(&last.body).unwrap();
        let deletes: Vec<&str> = body.lines().filter(|l| l.starts_with("DELETE ")).collect();
        assert_eq!(
            deletes,
            [
                "DELETE /storage/v1/b/bkt/o/d%2Fa HTTP/1.1",
                "DELETE /storage/v1/b/bkt/o/d%2Fb HTTP/1.1",
                "DELETE /storage/v1/b/bkt/o/d%2Fc HTTP/1.1"
            ]
        );
        assert_eq!(last.headers.get("authorization"), Some("Bearer ya29.tok"), "the batch carries the token for its parts");
    }

    #[test]
    fn a_create_only_write_whose_answer_was_lost_is_confirmed_by_its_hashes() {
        let lost = || {
            let mut e = Error::new(ErrorKind::Io, "connection reset").retryable(true);
            e.outcome_unknown = true;
            Err(e)
        };
        let refused = r#"{"error":{"code":412,"message":"ifGenerationMatch failed","errors":[{"reason":"conditionNotMet"}]}}"#;
        let opts = crate::core::types::PutOptions { if_none_match_any: true, ..Default::default() };
        // The first attempt was carried out: the object holds these bytes.
        let s = Script::new(vec![lost(), answer(412, &[], refused), answer(200, &[], object("k", b"mine"))]);
        let meta = futures::executor::block_on(fs(&s).pipe_with("bkt/k", Bytes::from_static(b"mine"), &opts)).unwrap();
        assert_eq!((meta.size, meta.etag.as_deref()), (4, Some("42")));
        let seen = seen(&s);
        assert!(seen[1].1.contains("uploadType=multipart") && seen[1].1.ends_with("&ifGenerationMatch=0"), "repeated");
        assert_eq!((seen[2].0, seen[2].1.as_str()), (Method::Get, "http://127.0.0.1:9/storage/v1/b/bkt/o/k"));
        // Someone else's object was there: the refusal stands.
        let s = Script::new(vec![lost(), answer(412, &[], refused), answer(200, &[], object("k", b"them"))]);
        let e = futures::executor::block_on(fs(&s).pipe_with("bkt/k", Bytes::from_static(b"mine"), &opts)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::PreconditionFailed);
        // An unconditional write is not repeated after a lost answer: its outcome stays unknown.
        let s = Script::new(vec![lost()]);
        let e = futures::executor::block_on(fs(&s).pipe("bkt/k", Bytes::from_static(b"mine"))).unwrap_err();
        assert!(e.outcome_unknown && s.sent().len() == 1, "{e:?}");
    }

    #[test]
    fn the_bucket_listing_follows_its_page_tokens() {
        use crate::fs::Store;
        let config = GcsConfig::custom("http://127.0.0.1:9").unwrap().with_project(Some("p".into()));
        let clock = Arc::new(FixedClock(chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap()));
        let s = Script::new(vec![
            answer(200, &[], r#"{"items":[{"name":"b1"},{"name":"b2"}],"nextPageToken":"t 2"}"#),
            answer(200, &[], r#"{"items":[{"name":"b3"}]}"#),
        ]);
        let store = GcsStore::new(config.clone(), None, s.clone(), clock.clone());
        let names: Vec<String> = futures::executor::block_on(store.list_buckets()).unwrap().into_iter().map(|b| b.name).collect();
        assert_eq!(names, ["b1", "b2", "b3"]);
        let urls: Vec<String> = seen(&s).into_iter().map(|(_, url, ..)| url).collect();
        assert_eq!(
            urls,
            [
                "http://127.0.0.1:9/storage/v1/b?project=p&maxResults=1000",
                "http://127.0.0.1:9/storage/v1/b?project=p&maxResults=1000&pageToken=t%202"
            ]
        );
        // A server that hands out the same token again is an error, not an endless listing.
        let looping = r#"{"items":[{"name":"b1"}],"nextPageToken":"same"}"#;
        let s = Script::new(vec![answer(200, &[], looping), answer(200, &[], looping)]);
        let e = futures::executor::block_on(GcsStore::new(config, None, s, clock).list_buckets()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidResponse);
    }
}
