//! The S3 store: the shared HTTP driver ([`HttpStore`]) over the S3 provider
//! ([`S3Config`]) with SigV4. Only what is S3's own lives here: its constructors and
//! ListMultipartUploads.

use std::sync::Arc;

use super::http::HttpStore;
use crate::core::auth::{Authorizer, CredentialCache, Credentials, Scheme};
use crate::core::creds::AwsCredentials;
use crate::core::error::Result;
use crate::core::provider::Call;
use crate::core::s3::{self, S3Config};
use crate::transport::{Clock, Transport};

/// S3 (and S3-compatible servers) through transport `T`.
pub type S3Store<T> = HttpStore<S3Config, T>;

impl<T: Transport> HttpStore<S3Config, T> {
    /// An S3 store; `credentials: None` sends requests unsigned (public buckets).
    pub fn new(config: S3Config, credentials: Option<AwsCredentials>, transport: T, clock: Arc<dyn Clock>) -> Self {
        let creds = credentials.map_or(Credentials::Anonymous, Credentials::Aws);
        Self::with_credentials(config, CredentialCache::fixed(creds), transport, clock)
    }

    /// An S3 store whose credentials come from `credentials`, which may refresh them (container
    /// credentials, STS): fetched through the same transport, before they expire.
    pub fn with_credentials(config: S3Config, credentials: CredentialCache, transport: T, clock: Arc<dyn Clock>) -> Self {
        // Over https TLS protects the body; hashing every part into the signature is wasted CPU.
        let scheme = Scheme::SigV4 { region: config.region.clone(), service: "s3".into(), sign_payload: config.signs_payload() };
        HttpStore::from_parts(config, Authorizer::new(scheme), credentials, transport, clock)
    }

    pub fn config(&self) -> &S3Config {
        self.provider()
    }

    /// In-progress multipart uploads (to prove nothing was left behind, or to clean up).
    pub async fn list_multipart_uploads(&self, bucket: &str, prefix: &str) -> Result<Vec<(String, String)>> {
        let req = s3::list_multipart_uploads(self.config(), bucket, prefix)?;
        let uploads = self.call(Call::new(req, s3::parse_list_multipart_uploads)).await?;
        Ok(uploads.into_iter().map(|u| (u.key, u.upload_id)).collect())
    }
}

#[cfg(feature = "native")]
mod native {
    use super::*;
    use crate::transport::native::{ReqwestTransport, SystemClock};

    impl HttpStore<S3Config, ReqwestTransport> {
        /// An S3 store on AWS (`endpoint: None`) or any S3-compatible endpoint (path style).
        pub fn connect(endpoint: Option<&str>, region: &str, credentials: Option<AwsCredentials>) -> Result<Self> {
            let config = match endpoint {
                Some(e) => S3Config::custom(e, region)?,
                None => S3Config::aws(region),
            };
            Ok(S3Store::new(config, credentials, ReqwestTransport::new(Default::default())?, Arc::new(SystemClock)))
        }

        /// Credentials and region from the standard AWS environment variables
        /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` /
        /// `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`); anonymous when no key is set.
        pub fn from_env(endpoint: Option<&str>) -> Result<Self> {
            let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
            let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".into());
            let creds = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
                (Some(id), Some(secret)) => {
                    let mut c = AwsCredentials::new(id, secret);
                    c.session_token = var("AWS_SESSION_TOKEN").map(Into::into);
                    Some(c)
                }
                _ => None,
            };
            let endpoint = endpoint.map(str::to_string).or_else(|| var("AWS_ENDPOINT_URL"));
            Self::connect(endpoint.as_deref(), &region, creds)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;
    use crate::core::error::{Error, ErrorKind};
    use crate::core::etag::md5_hex;
    use crate::core::http::{Method, Response};
    use crate::core::types::{ByteRange, ObjectMeta, PutOptions};
    use crate::fs::Store;
    use crate::transport::FixedClock;
    use crate::transport::script::{Script, answer};

    fn lost() -> Result<Response> {
        let mut e = Error::new(ErrorKind::Io, "connection reset").retryable(true);
        e.outcome_unknown = true;
        Err(e)
    }

    fn script(answers: Vec<Result<Response>>) -> Arc<Script> {
        Script::new(answers)
    }

    fn store(script: &Arc<Script>, config: S3Config) -> S3Store<Arc<Script>> {
        S3Store::new(
            config,
            Some(AwsCredentials::new("AKID", "SECRET")),
            script.clone(),
            Arc::new(FixedClock(chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap())),
        )
    }

    fn config() -> S3Config {
        S3Config::custom("http://127.0.0.1:9", "us-east-1").unwrap()
    }

    fn put_create(script: &Arc<Script>, data: &'static [u8]) -> Result<ObjectMeta> {
        let opts = PutOptions { if_none_match_any: true, ..PutOptions::default() };
        futures::executor::block_on(store(script, config()).put("bucket", "k", Bytes::from_static(data), &opts))
    }

    const REFUSED: &str = "<Error><Code>PreconditionFailed</Code><Message>exists</Message></Error>";

    #[test]
    fn create_only_put_whose_reply_was_lost_is_confirmed_by_its_content() {
        let etag = format!("\"{}\"", md5_hex(b"mine"));
        let s =
            script(vec![lost(), answer(412, &[], REFUSED), answer(200, &[("etag", etag.as_str()), ("content-length", "4")], "")]);
        let m = put_create(&s, b"mine").unwrap();
        assert_eq!((m.size, m.etag.as_deref()), (4, Some(&etag[1..33])));
        let sent = s.sent();
        assert_eq!(sent.iter().map(|r| r.method).collect::<Vec<_>>(), [Method::Put, Method::Put, Method::Head]);
        assert_eq!(sent[1].headers.get("if-none-match"), Some("*"), "the retry keeps its condition");
    }

    #[test]
    fn create_only_put_refused_for_someone_elses_object_stays_refused() {
        // Lost reply, then 412, but the object holds other bytes: a real conflict.
        let other = format!("\"{}\"", md5_hex(b"theirs"));
        let s = script(vec![
            lost(),
            answer(412, &[], REFUSED),
            answer(200, &[("etag", other.as_str()), ("content-length", "4")], ""),
        ]);
        let e = put_create(&s, b"mine").unwrap_err();
        assert_eq!(e.kind, ErrorKind::PreconditionFailed);
        assert_eq!((e.bucket(), e.key()), (Some("bucket"), Some("k")), "the error names its object");
        // No lost reply: a 412 is final, without a HEAD.
        let s = script(vec![answer(412, &[], REFUSED)]);
        let e = put_create(&s, b"mine").unwrap_err();
        assert!(e.kind == ErrorKind::PreconditionFailed && !e.outcome_unknown);
        assert_eq!(s.sent().len(), 1);
    }

    #[test]
    fn declared_quirks_are_applied_and_only_where_declared() {
        let mut quirky = config();
        quirky.quirks.no_suffix_ranges = true;
        quirky.quirks.head_fails_on_prefixes = true;
        // A suffix range becomes HEAD + absolute range.
        let s = script(vec![
            answer(200, &[("content-length", "10"), ("etag", "\"e\"")], ""),
            answer(206, &[("content-range", "bytes 7-9/10"), ("content-length", "3"), ("etag", "\"e\"")], "789"),
        ]);
        let got = futures::executor::block_on(store(&s, quirky.clone()).get("bucket", "k", Some(ByteRange::Suffix(3)))).unwrap();
        assert_eq!(&got.data[..], b"789");
        let ranges: Vec<_> = s.sent().iter().map(|r| r.method).zip(s.header("range")).collect();
        assert_eq!(ranges, [(Method::Head, None), (Method::Get, Some("bytes=7-9".into()))]);
        // A 500 on HEAD is checked against the listing: absent there, it is NotFound.
        let listing =
            "<ListBucketResult><Name>bucket</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>";
        let s = script(vec![answer(500, &[], ""), answer(200, &[], listing)]);
        let e = futures::executor::block_on(
            store(&s, quirky).with_retry(crate::core::retry::RetryPolicy::none()).head("bucket", "k"),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
        // Without the declaration the same 500 is what the caller sees, and a suffix is sent as is.
        let s = script(vec![answer(500, &[], "")]);
        let e = futures::executor::block_on(
            store(&s, config()).with_retry(crate::core::retry::RetryPolicy::none()).head("bucket", "k"),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Service);
        let s = script(vec![answer(206, &[("content-range", "bytes 7-9/10"), ("content-length", "3")], "789")]);
        futures::executor::block_on(store(&s, config()).get("bucket", "k", Some(ByteRange::Suffix(3)))).unwrap();
        assert_eq!(s.header("range")[0].as_deref(), Some("bytes=-3"));
    }

    /// A clock the test moves forward.
    struct Moving(Mutex<chrono::DateTime<chrono::Utc>>);

    impl Clock for Moving {
        fn now(&self) -> chrono::DateTime<chrono::Utc> {
            *self.0.lock().unwrap()
        }
    }

    fn container_answer(id: &str, expires: &str) -> Result<Response> {
        let body =
            format!(r#"{{"AccessKeyId":"{id}","SecretAccessKey":"secret-{id}","Token":"token-{id}","Expiration":"{expires}"}}"#);
        answer(200, &[("content-type", "application/json")], body)
    }

    #[test]
    fn a_presigned_url_ends_no_later_than_the_credentials_that_signed_it() {
        use crate::core::auth::{AwsContainerCredentials, CredentialCache};
        let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(); // 2023-11-14T22:13:20Z
        let cache = CredentialCache::refreshing(
            Box::new(AwsContainerCredentials::full("http://127.0.0.1:9/creds", None).unwrap()),
            Duration::from_secs(300),
        );
        let s = script(vec![container_answer("A", "2023-11-14T22:43:20Z")]); // valid 30 minutes
        let refreshing = S3Store::with_credentials(config(), cache, s.clone(), Arc::new(FixedClock(t0)));
        let long =
            futures::executor::block_on(refreshing.presign(Method::Get, "bucket", "k", Duration::from_secs(3600))).unwrap();
        assert_eq!(long.expires, t0 + chrono::TimeDelta::minutes(30), "clamped to the credentials' expiry");
        assert!(long.url.contains("X-Amz-Expires=3600"), "the URL itself asks for what was requested: {}", long.url);
        let short =
            futures::executor::block_on(refreshing.presign(Method::Get, "bucket", "k", Duration::from_secs(600))).unwrap();
        assert_eq!(short.expires, t0 + chrono::TimeDelta::minutes(10));
        // Fixed keys have no expiry of their own.
        let fixed = store(&script(vec![]), config());
        let p = futures::executor::block_on(fixed.presign(Method::Get, "bucket", "k", Duration::from_secs(3600))).unwrap();
        assert_eq!(p.expires, t0 + chrono::TimeDelta::hours(1));
    }

    #[test]
    fn credentials_are_fetched_through_the_transport_refreshed_before_expiry_and_after_expired_token() {
        use crate::core::auth::{AwsContainerCredentials, CredentialCache};
        let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(); // 2023-11-14T22:13:20Z
        let clock = Arc::new(Moving(Mutex::new(t0)));
        let provider = AwsContainerCredentials::full("http://127.0.0.1:9/creds", None).unwrap();
        let cache = CredentialCache::refreshing(Box::new(provider), Duration::from_secs(300));
        let expired = "<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>";
        let meta = || answer(200, &[("content-length", "1"), ("etag", "\"e\"")], "");
        let s = script(vec![
            container_answer("A", "2023-11-14T23:13:20Z"), // valid one hour
            meta(),
            meta(),                                        // still fresh: no fetch
            container_answer("B", "2023-11-15T00:13:20Z"), // within 5 minutes of expiry: refreshed first
            meta(),
            answer(403, &[], expired), // the service says it expired: refreshed once, repeated
            container_answer("C", "2023-11-15T23:13:20Z"),
            meta(),
        ]);
        let store = S3Store::with_credentials(config(), cache, s.clone(), clock.clone());
        assert!(store.capabilities().presign, "refreshing AWS keys can presign");
        let head = || futures::executor::block_on(store.head("bucket", "k"));
        head().unwrap();
        head().unwrap();
        *clock.0.lock().unwrap() = t0 + chrono::TimeDelta::minutes(57);
        head().unwrap();
        head().unwrap();
        let methods: Vec<_> = s.sent().iter().map(|r| r.method).collect();
        use Method::{Get, Head};
        assert_eq!(methods, [Get, Head, Head, Get, Head, Head, Get, Head]);
        let auth: Vec<String> = s.header("authorization").into_iter().map(Option::unwrap_or_default).collect();
        let key_of = |i: usize| auth[i].split("Credential=").nth(1).map(|c| c.split('/').next().unwrap().to_string());
        assert_eq!([key_of(1), key_of(2), key_of(4), key_of(5), key_of(7)].map(Option::unwrap), ["A", "A", "B", "B", "C"]);
        assert_eq!(auth[0], "", "the token request itself is not signed");
        assert_eq!(store.stats().credential_fetches.load(std::sync::atomic::Ordering::Relaxed), 3);
        // An expired token refused again after the refresh is the caller's error, not a loop.
        let s = script(vec![
            container_answer("D", "2023-11-15T23:13:20Z"),
            answer(403, &[], expired),
            container_answer("E", "2023-11-15T23:13:20Z"),
            answer(403, &[], expired),
        ]);
        let cache = CredentialCache::refreshing(
            Box::new(AwsContainerCredentials::full("http://127.0.0.1:9/c", None).unwrap()),
            Duration::from_secs(300),
        );
        let store = S3Store::with_credentials(config(), cache, s.clone(), clock);
        let e = futures::executor::block_on(store.head("bucket", "k")).unwrap_err();
        assert_eq!((e.kind, e.code.as_deref()), (ErrorKind::PermissionDenied, Some("ExpiredToken")));
        assert_eq!(s.sent().len(), 4);
    }
}
