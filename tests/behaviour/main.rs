//! One behaviour suite, run against every backend: memory and file (no server, part of plain
//! `cargo test`), s3s-fs, moto and storage-testbench (GCS) (`#[ignore]`d; `make test` starts the
//! servers and runs them).
//!
//! Each case gets a fresh bucket on a `FileSystem<AnyStore>`. Where a backend legitimately
//! differs, the case branches on the store's declared `Capabilities` and asserts the other
//! outcome (e.g. `file://` must refuse `a//b` with InvalidInput), so nothing is skipped silently.

mod cases;
#[path = "../common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use pailfs::core::creds::AwsCredentials;
use std::sync::Arc;
use std::time::Duration;

use pailfs::core::azure::AzureConfig;
use pailfs::core::creds::Secret;
use pailfs::core::gcs::GcsConfig;
use pailfs::core::provider::Quirks;
use pailfs::core::retry::RetryPolicy;
use pailfs::core::upload::UploadModel;

use pailfs::fs::any::AnyStore;
use pailfs::fs::azure::AzureStore;
use pailfs::fs::facade::{FileSystem, Options};
use pailfs::fs::gcs::GcsStore;
use pailfs::fs::local::LocalStore;
use pailfs::fs::memory::MemoryStore;
use pailfs::fs::s3::S3Store;
use pailfs::fs::{Capabilities, Store};
use pailfs::transport::native::{ReqwestTransport, SystemClock};

/// Part size used by the suite: S3's minimum, so the multipart cases are real on every backend.
pub const PART: u64 = 5 * 1024 * 1024;

pub struct Fixture {
    pub fs: FileSystem<AnyStore>,
    pub bucket: String,
    /// What the server behind the store is known to do, beyond the store's own Capabilities.
    pub server: Server,
    _tmp: Option<TempDir>,
}

impl Fixture {
    /// `bucket/key`
    pub fn p(&self, key: &str) -> String {
        format!("{}/{}", self.bucket, key)
    }

    /// In-progress multipart uploads in the fixture's bucket, where the backend can tell.
    pub async fn open_uploads(&self) -> Option<Vec<(String, String)>> {
        match self.fs.store() {
            AnyStore::Memory(m) => Some(m.open_uploads(&self.bucket)),
            AnyStore::Local(l) => Some(l.open_uploads(&self.bucket)),
            AnyStore::S3(_) if !self.server.lists_uploads => None,
            AnyStore::S3(s) => Some(s.list_multipart_uploads(&self.bucket, "").await.expect("ListMultipartUploads")),
            // The JSON API has no call that lists resumable sessions.
            AnyStore::Gcs(_) => None,
            // Staged blocks are no upload to abort (Capabilities: no abort); they are invisible
            // until committed and expire on the service (never on Azurite).
            AnyStore::Azure(_) => None,
        }
    }

    pub async fn cleanup(self) {
        if self.fs.exists(&self.bucket).await.unwrap_or(false) {
            self.fs.rm(&self.bucket, true).await.expect("cleanup");
        }
    }
}

/// Facts about a test server that no client can declare for it.
#[derive(Clone, Copy, Debug)]
pub struct Server {
    /// It can list in-progress multipart uploads (s3s-fs cannot).
    pub lists_uploads: bool,
    /// It checks request signatures, presigned URLs included (moto does not by default).
    pub verifies_signatures: bool,
    /// It ignores write conditions on resumable uploads (fake-gcs-server checks them only on
    /// single-request multipart uploads).
    pub ignores_resumable_conditions: bool,
}

const NO_SERVER: Server = Server { lists_uploads: true, verifies_signatures: false, ignores_resumable_conditions: false };

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_bucket(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("pailfs-{tag}-{}-{n}-{t:x}", std::process::id())
}

/// A temporary directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(unique_bucket(tag));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn options() -> Options {
    Options { part_size: PART, ..Options::default() }
}

async fn with_bucket(store: AnyStore, tag: &str, server: Server, tmp: Option<TempDir>) -> Fixture {
    let fs = FileSystem::with_options(store, options());
    let bucket = unique_bucket(tag);
    fs.mkdir(&bucket, true).await.expect("create bucket");
    Fixture { fs, bucket, server, _tmp: tmp }
}

pub async fn memory() -> Fixture {
    with_bucket(AnyStore::Memory(MemoryStore::new()), "mem", NO_SERVER, None).await
}

/// memory:// taking objects as Azure does: staged blocks committed by a list.
pub async fn memory_blocks() -> Fixture {
    let store = MemoryStore::with_upload_model(UploadModel::AZURE_BLOCKS);
    with_bucket(AnyStore::Memory(store), "memblk", NO_SERVER, None).await
}

/// memory:// taking objects as GCS does: one resumable session, chunks in sequence.
pub async fn memory_resumable() -> Fixture {
    let store = MemoryStore::with_upload_model(UploadModel::GCS_RESUMABLE);
    with_bucket(AnyStore::Memory(store), "memres", NO_SERVER, None).await
}

pub async fn file() -> Fixture {
    let tmp = TempDir::new("root");
    let store = LocalStore::new(&tmp.0).expect("local store");
    with_bucket(AnyStore::Local(store), "file", NO_SERVER, Some(tmp)).await
}

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: start the servers with scripts/servers.sh (make test does)"))
}

pub fn s3_store(prefix: &str, secret: Option<&str>) -> S3Store<pailfs::transport::native::ReqwestTransport> {
    let endpoint = env(&format!("PAILFS_{prefix}_ENDPOINT"));
    let secret = secret.map(str::to_string).unwrap_or_else(|| env(&format!("PAILFS_{prefix}_SECRET")));
    let creds = AwsCredentials::new(env(&format!("PAILFS_{prefix}_KEY")), secret);
    S3Store::connect(Some(&endpoint), "us-east-1", Some(creds)).expect("s3 store")
}

/// s3s-fs keeps objects as files, so it declares what that costs: keys must be relative
/// paths (no `a//b`, no `..`, no backslash), its listings claim `EncodingType=url` without
/// encoding (0.14.1), so pailfs asks for plain keys, a HEAD on a "directory" key is a 500, and
/// a suffix range longer than the object fails.
pub async fn s3s() -> Fixture {
    let store = s3_store("S3S", None);
    let mut config = store.config().clone();
    config.url_encoded_listing = false;
    config.quirks = Quirks { head_fails_on_prefixes: true, no_suffix_ranges: true, ..Quirks::default() };
    let caps = Capabilities { any_key: false, ..store.capabilities() };
    let creds = AwsCredentials::new(env("PAILFS_S3S_KEY"), env("PAILFS_S3S_SECRET"));
    // Its 500s for directory paths are deterministic: retrying them only slows the suite.
    let retry = RetryPolicy { max_attempts: 2, base_delay: Duration::from_millis(5), ..RetryPolicy::default() };
    let store = S3Store::new(config, Some(creds), ReqwestTransport::default(), Arc::new(SystemClock))
        .with_capabilities(caps)
        .with_retry(retry);
    // s3s-fs does not implement ListMultipartUploads; it checks every signature.
    with_bucket(
        AnyStore::S3(store),
        "s3s",
        Server { lists_uploads: false, verifies_signatures: true, ignores_resumable_conditions: false },
        None,
    )
    .await
}

pub async fn moto() -> Fixture {
    let server = Server { lists_uploads: true, verifies_signatures: false, ignores_resumable_conditions: false };
    with_bucket(AnyStore::S3(s3_store("MOTO", None)), "moto", server, None).await
}

/// storage-testbench, Google's GCS emulator (scripts/gcs.sh): no credentials (it checks none),
/// buckets in the project it knows, and one declared quirk.
pub async fn gcs() -> Fixture {
    let mut config =
        GcsConfig::custom(&env("PAILFS_GCS_ENDPOINT")).expect("gcs endpoint").with_project(Some("test-project".into()));
    // A suffix range longer than the object gets `Content-Range: bytes -20-9/10` from it.
    config.quirks = Quirks { no_suffix_ranges: true, no_batch_delete: true, ..Quirks::default() };
    let store = GcsStore::new(config, None, ReqwestTransport::default(), Arc::new(SystemClock));
    let server = Server { lists_uploads: false, verifies_signatures: false, ignores_resumable_conditions: false };
    with_bucket(AnyStore::Gcs(store), "gcs", server, None).await
}

/// fake-gcs-server (scripts/gcs.sh start fake): lighter than the testbench and less faithful
/// (docs in ../shared/notes/test-servers.md). It has the batch endpoint, so deletes go in batches.
pub async fn fake_gcs() -> Fixture {
    let config =
        GcsConfig::custom(&env("PAILFS_FAKEGCS_ENDPOINT")).expect("fake-gcs endpoint").with_project(Some("test-project".into()));
    let store = GcsStore::new(config, None, ReqwestTransport::default(), Arc::new(SystemClock));
    let server = Server { lists_uploads: false, verifies_signatures: false, ignores_resumable_conditions: true };
    with_bucket(AnyStore::Gcs(store), "fakegcs", server, None).await
}

/// Azurite (scripts/azurite.sh) with its well-known account and Shared Key: it checks every
/// signature and SAS. Its departures the client must know are declared: a suffix range
/// answers 500, a range starting at the end answers 206 `bytes 10-9/10`, and `\` in a key
/// becomes `/` (so it cannot hold every key, as file systems cannot). The others change nothing pailfs sends or reads, so nothing is declared for
/// them: it has no `x-ms-content-crc64` (pailfs sends and checks Content-MD5 only), a copy is
/// never `pending` (the polling is proven on scripted answers in fs::azure), and uncommitted
/// blocks never expire (the suite checks a failed upload committed nothing, which holds on both).
pub fn azurite_store(key: Option<&str>) -> AzureStore<ReqwestTransport> {
    let mut config = AzureConfig::custom(&env("PAILFS_AZURITE_BLOB")).expect("azurite endpoint");
    config.quirks = Quirks { no_suffix_ranges: true, inverted_empty_ranges: true, ..Quirks::default() };
    let key = key.map(str::to_string).unwrap_or_else(|| env("PAILFS_AZURITE_KEY"));
    AzureStore::shared_key(
        config,
        &env("PAILFS_AZURITE_ACCOUNT"),
        Secret::new(key),
        ReqwestTransport::default(),
        Arc::new(SystemClock),
    )
}

pub async fn azurite() -> Fixture {
    let server = Server { lists_uploads: false, verifies_signatures: true, ignores_resumable_conditions: false };
    // It stores `\` as `/` (`back\slash` lists as `back/slash`): like a file system, it cannot
    // hold every key, so the driver refuses the ones it would change.
    let store = azurite_store(None);
    let caps = Capabilities { any_key: false, ..store.capabilities() };
    let store = store.with_capabilities(caps);
    with_bucket(AnyStore::Azure(store), "az", server, None).await
}

/// Instantiate every case for one backend. The attribute is one bracketed token tree so it
/// can be repeated on every case (`[cfg_attr(any(), ignore)]` is "never ignored").
macro_rules! behaviour_suite {
    ($backend:ident) => {
        behaviour_suite!($backend, [cfg_attr(any(), ignore)]);
    };
    ($backend:ident, $attr:tt) => {
        mod $backend {
            behaviour_suite!(@cases $backend $attr ;
                buckets, pipe_cat_info, cat_ranges_python_slices, listing_find_walk_glob_du,
                hostile_keys, multipart_write, failed_multipart_leaves_nothing, reader_seek_and_cache,
                cp_mv_rm, conditional_writes, typed_errors, local_transfers, presign, touch_and_mkdir);
        }
    };
    (@cases $backend:ident $attr:tt ; $($case:ident),*) => {
        $(
            #[tokio::test]
            #$attr
            async fn $case() {
                let fx = super::$backend().await;
                super::cases::$case(&fx).await;
                fx.cleanup().await;
            }
        )*
    };
}

behaviour_suite!(memory);
behaviour_suite!(memory_blocks);
behaviour_suite!(memory_resumable);
behaviour_suite!(file);
behaviour_suite!(s3s, [ignore = "needs s3s-fs: make test"]);
behaviour_suite!(moto, [ignore = "needs moto: make test"]);
behaviour_suite!(gcs, [ignore = "needs storage-testbench: make test"]);
behaviour_suite!(fake_gcs, [ignore = "needs fake-gcs-server: make test"]);
behaviour_suite!(azurite, [ignore = "needs Azurite: make test"]);

/// s3s-fs checks SigV4 signatures: a wrong secret is a typed permission error, not a panic
/// or a parse failure, and the secret appears nowhere in the error.
#[tokio::test]
#[ignore = "needs s3s-fs: make test"]
async fn s3s_rejects_a_wrong_secret() {
    let wrong = "wrong-secret-0123456789-pailfs";
    let fs = FileSystem::new(AnyStore::S3(s3_store("S3S", Some(wrong))));
    let err = fs.ls("").await.expect_err("a wrong secret must be refused");
    assert_eq!(err.kind, pailfs::ErrorKind::PermissionDenied, "{err:?}");
    assert_eq!(err.status, Some(403));
    assert!(err.code.as_deref().is_some_and(|c| c.contains("Signature")), "{err:?}");
    let shown = format!("{err} {err:?} {:?}", fs.store());
    assert!(!shown.contains(wrong), "secret leaked: {shown}");
    // And the right secret works against the same server, so it is the signature being checked.
    let good = FileSystem::new(AnyStore::S3(s3_store("S3S", None)));
    good.ls("").await.expect("right secret accepted");
    assert!(good.store().capabilities().presign);
}

/// Sends every request with storage-testbench's `x-retry-test-id`, so the faults that test
/// asks for are injected into this client's requests only.
struct RetryTest(ReqwestTransport, String);

impl pailfs::transport::Transport for RetryTest {
    type Body = pailfs::transport::native::ReqwestBody;

    async fn send_streaming(
        &self,
        mut req: pailfs::core::http::Request,
    ) -> pailfs::Result<(pailfs::core::http::Response, Self::Body)> {
        req.headers.set("x-retry-test-id", self.1.clone());
        self.0.send_streaming(req).await
    }

    async fn sleep(&self, d: Duration) {
        self.0.sleep(d).await
    }
}

/// The testbench keeps the first 256 KiB of a 512 KiB chunk and answers 503: the writer asks
/// the session what it kept, sends the rest from there, and the object is every byte once.
#[tokio::test]
#[ignore = "needs storage-testbench: make test"]
async fn gcs_resumes_a_chunk_the_server_broke_off() {
    let endpoint = env("PAILFS_GCS_ENDPOINT");
    let http = reqwest::Client::new();
    let instructions = serde_json::json!({"instructions": {"storage.objects.insert": ["return-503-after-256K"]}});
    let created = http
        .post(format!("{endpoint}/retry_test"))
        .header("Content-Type", "application/json")
        .body(instructions.to_string())
        .send()
        .await
        .unwrap();
    let test: serde_json::Value = serde_json::from_slice(&created.bytes().await.unwrap()).unwrap();
    let id = test["id"].as_str().expect("retry test id").to_string();
    let config = GcsConfig::custom(&endpoint).unwrap().with_project(Some("test-project".into()));
    let store = GcsStore::new(config, None, RetryTest(ReqwestTransport::default(), id.clone()), Arc::new(SystemClock));
    let fs = FileSystem::with_options(store, Options { part_size: 512 * 1024, ..Options::default() });
    let bucket = unique_bucket("gcsfault");
    fs.mkdir(&bucket, true).await.unwrap();
    let body = cases::data(3 * 512 * 1024 + 100, 21);
    let path = format!("{bucket}/resumed.bin");
    fs.pipe(&path, body.clone()).await.expect("resumable upload through an injected fault");
    assert!(fs.cat(&path).await.unwrap() == body, "every byte once, in order");
    let status = http.get(format!("{endpoint}/retry_test/{id}")).send().await.unwrap().bytes().await.unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status).unwrap();
    assert_eq!(status["completed"], serde_json::Value::Bool(true), "the fault was injected: {status}");
    fs.rm(&bucket, true).await.unwrap();
}

/// The JSON API cannot list resumable sessions, so the suite cannot see what a failed write
/// left behind (`open_uploads` is `None`): here one session is followed through by its URI.
/// A chunk is kept (308 with its range), the offset query says so, and after the cancel
/// (GCS's 499, taken as done) the session is gone: a second cancel and a query find nothing.
#[tokio::test]
#[ignore = "needs storage-testbench: make test"]
async fn gcs_cancelled_sessions_are_gone() {
    let fx = gcs().await;
    let AnyStore::Gcs(store) = fx.fs.store() else { unreachable!() };
    let (b, k) = (fx.bucket.as_str(), "session.bin");
    let id = store.create_multipart(b, k, &Default::default()).await.unwrap();
    assert!(id.starts_with(&env("PAILFS_GCS_ENDPOINT")), "{id}");
    let chunk = cases::data(256 * 1024, 3);
    let ack = store.upload_chunk(b, k, &id, 0, chunk, None).await.unwrap();
    assert_eq!((ack.committed, ack.object), (256 * 1024, None));
    assert_eq!(store.query_offset(b, k, &id).await.unwrap().committed, 256 * 1024);
    store.abort_multipart(b, k, &id).await.expect("cancel");
    store.abort_multipart(b, k, &id).await.expect("a second cancel finds nothing to do");
    assert_eq!(store.query_offset(b, k, &id).await.unwrap_err().kind, pailfs::ErrorKind::NotFound);
    assert!(!fx.fs.exists(&fx.p(k)).await.unwrap());
    fx.cleanup().await;
}

/// A simple upload carries the body's MD5 and CRC32C in its metadata: storage-testbench
/// (as GCS) refuses a body that does not match them, and makes no object. The same request
/// uncorrupted is accepted, so it is the hash that is checked.
#[tokio::test]
#[ignore = "needs storage-testbench: make test"]
async fn gcs_refuses_an_upload_whose_body_does_not_match_its_hashes() {
    use pailfs::transport::Transport;
    let fx = gcs().await;
    let AnyStore::Gcs(store) = fx.fs.store() else { unreachable!() };
    let data = cases::data(1000, 5);
    let good = pailfs::core::gcs::insert_multipart(store.config(), &fx.bucket, "hashed", data, &Default::default()).unwrap();
    let mut bad = good.clone();
    let mut body = bad.body.to_vec();
    let at = body.len() - 100; // inside the media part, before the closing delimiter
    body[at] ^= 1;
    bad.body = body.into();
    let http = ReqwestTransport::default();
    let refused = http.send(bad).await.unwrap();
    // GCS answers 400; the testbench answers 412 (its generic "mismatch"), naming the hash.
    let why = String::from_utf8_lossy(&refused.body).to_string();
    assert_eq!(refused.status, 412, "{why}");
    assert!(why.contains("md5Hash validation failed"), "{why}");
    assert!(!fx.fs.exists(&fx.p("hashed")).await.unwrap(), "a refused upload makes no object");
    let accepted = http.send(good).await.unwrap();
    assert_eq!(accepted.status, 200, "{}", String::from_utf8_lossy(&accepted.body));
    assert!(fx.fs.exists(&fx.p("hashed")).await.unwrap());
    fx.cleanup().await;
}

/// The last chunk of a resumable upload states the whole object's CRC32C (X-Goog-Hash): the
/// testbench refuses a final chunk whose object does not match it, and makes no object.
#[tokio::test]
#[ignore = "needs storage-testbench: make test"]
async fn gcs_refuses_a_resumable_upload_whose_last_chunk_states_another_crc32c() {
    let fx = gcs().await;
    let AnyStore::Gcs(store) = fx.fs.store() else { unreachable!() };
    let (b, k) = (fx.bucket.as_str(), "resumed-hash.bin");
    let data = cases::data(256 * 1024 + 10, 8);
    let id = store.create_multipart(b, k, &Default::default()).await.unwrap();
    store.upload_chunk(b, k, &id, 0, data.slice(..256 * 1024), None).await.unwrap();
    let wrong = crc32c::crc32c(&data) ^ 1;
    let err = store.upload_chunk(b, k, &id, 256 * 1024, data.slice(256 * 1024..), Some(wrong)).await.unwrap_err();
    // GCS answers 400; the testbench answers 412 (its generic "mismatch"), naming the hash.
    assert_eq!(err.status, Some(412), "{err:?}");
    assert!(err.message.contains("crc32c"), "{err:?}");
    assert!(!fx.fs.exists(&fx.p(k)).await.unwrap(), "a refused final chunk makes no object");
    store.abort_multipart(b, k, &id).await.unwrap();
    // The right one: the same chunks make the object.
    let id = store.create_multipart(b, k, &Default::default()).await.unwrap();
    store.upload_chunk(b, k, &id, 0, data.slice(..256 * 1024), None).await.unwrap();
    let right = Some(crc32c::crc32c(&data));
    let ack = store.upload_chunk(b, k, &id, 256 * 1024, data.slice(256 * 1024..), right).await.unwrap();
    assert_eq!(ack.committed, data.len() as u64);
    assert!(fx.fs.cat(&fx.p(k)).await.unwrap() == data);
    fx.cleanup().await;
}

/// Asks storage-testbench's Retry Test API for these failures; returns the test's id.
async fn retry_test(endpoint: &str, instructions: serde_json::Value) -> String {
    let created = reqwest::Client::new()
        .post(format!("{endpoint}/retry_test"))
        .header("Content-Type", "application/json")
        .body(serde_json::json!({ "instructions": instructions }).to_string())
        .send()
        .await
        .unwrap();
    let test: serde_json::Value = serde_json::from_slice(&created.bytes().await.unwrap()).unwrap();
    test["id"].as_str().expect("retry test id").to_string()
}

/// Whether every failure the retry test asked for was injected.
async fn retry_test_completed(endpoint: &str, id: &str) -> serde_json::Value {
    let status = reqwest::get(format!("{endpoint}/retry_test/{id}")).await.unwrap().bytes().await.unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status).unwrap();
    status["completed"].clone()
}

fn retry_store(endpoint: &str, id: &str) -> GcsStore<RetryTest> {
    let mut config = GcsConfig::custom(endpoint).unwrap().with_project(Some("test-project".into()));
    config.quirks = Quirks { no_suffix_ranges: true, no_batch_delete: true, ..Quirks::default() };
    let retry = RetryPolicy { base_delay: Duration::from_millis(5), ..RetryPolicy::default() };
    GcsStore::new(config, None, RetryTest(ReqwestTransport::default(), id.to_string()), Arc::new(SystemClock)).with_retry(retry)
}

/// A media read that breaks off after 256 KiB, then a reset connection, then a 503: the read
/// continues from where the body stopped (pinned to the generation it started on) and the
/// bytes are the object's, once each.
#[tokio::test]
#[ignore = "needs storage-testbench: make test"]
async fn gcs_reads_resume_through_the_testbench_failures() {
    let endpoint = env("PAILFS_GCS_ENDPOINT");
    let fx = gcs().await;
    let data = cases::data(1024 * 1024 + 7, 9);
    fx.fs.pipe(&fx.p("read.bin"), data.clone()).await.unwrap();
    let id = retry_test(
        &endpoint,
        serde_json::json!({"storage.objects.get": ["return-broken-stream-after-256K", "return-reset-connection", "return-503"]}),
    )
    .await;
    let store = retry_store(&endpoint, &id);
    let got = store.get(&fx.bucket, "read.bin", None).await.expect("a read through three failures");
    assert!(got.data == data, "every byte once, in order");
    assert_eq!(got.meta.size, data.len() as u64);
    assert!(store.stats().resumes.load(std::sync::atomic::Ordering::Relaxed) >= 1, "the read was continued, not restarted");
    assert_eq!(retry_test_completed(&endpoint, &id).await, serde_json::Value::Bool(true), "every failure was injected");
    fx.cleanup().await;
}

/// A resumable upload through a 503 on the session's creation, a reset connection on a chunk
/// and a final chunk broken off after 100 bytes: the writer asks the session what it kept
/// each time and finishes from there; the object is every byte once.
#[tokio::test]
#[ignore = "needs storage-testbench: make test"]
async fn gcs_resumable_uploads_survive_the_testbench_failures() {
    let endpoint = env("PAILFS_GCS_ENDPOINT");
    let fx = gcs().await;
    let id = retry_test(
        &endpoint,
        serde_json::json!({"storage.objects.insert": ["return-503", "return-reset-connection", "return-broken-stream-final-chunk-after-100B"]}),
    )
    .await;
    let fs = FileSystem::with_options(retry_store(&endpoint, &id), Options { part_size: 256 * 1024, ..Options::default() });
    let data = cases::data(3 * 256 * 1024 + 1000, 10);
    fs.pipe(&fx.p("up.bin"), data.clone()).await.expect("a resumable upload through three failures");
    assert!(fx.fs.cat(&fx.p("up.bin")).await.unwrap() == data, "every byte once, in order");
    assert_eq!(retry_test_completed(&endpoint, &id).await, serde_json::Value::Bool(true), "every failure was injected");
    fx.cleanup().await;
}

/// Batch deletes on fake-gcs-server (storage-testbench has no batch endpoint): hostile keys in
/// one batch of embedded DELETEs, a key that is not there among them (not a failure), and a
/// recursive rm of 150 keys (two batches).
#[tokio::test]
#[ignore = "needs fake-gcs-server: make test"]
async fn fake_gcs_deletes_in_batches() {
    let fx = fake_gcs().await;
    let store = fx.fs.store();
    assert_eq!(store.capabilities().max_delete_batch, 100);
    let keys: Vec<String> =
        ["ünï cødé", "%41", "a+b", "sp ace", "q?h#", "d/e/f", &"long".repeat(200)].iter().map(|k| k.to_string()).collect();
    for k in &keys {
        fx.fs.pipe(&fx.p(k), bytes::Bytes::from_static(b"x")).await.unwrap();
    }
    let mut asked = keys.clone();
    asked.push("never-there".into());
    let failures = store.delete_batch(&fx.bucket, &asked).await.expect("one batch");
    assert!(failures.is_empty(), "{failures:?}");
    for k in &keys {
        assert!(!fx.fs.exists(&fx.p(k)).await.unwrap(), "{k:?} is still there");
    }
    for i in 0..150 {
        fx.fs.pipe(&fx.p(&format!("many/{i:03}")), bytes::Bytes::from_static(b"y")).await.unwrap();
    }
    fx.fs.rm(&fx.p("many"), true).await.unwrap();
    assert!(fx.fs.find(&fx.bucket, None, false).await.unwrap().is_empty());
    fx.cleanup().await;
}

/// Signed URLs from the GCS store, with an HMAC key (GOOG4-HMAC-SHA256) and with a service
/// account key (V4 RSA), fetched with a plain HTTP client from storage-testbench: a GET URL
/// reads the object, a PUT URL writes one. The testbench checks no signature (a tampered one
/// is served too), so this proves the URLs' shape and routing; the signatures themselves are
/// proven by the conformance vectors (tests/gcs_vectors.rs).
#[tokio::test]
#[ignore = "needs storage-testbench: make test"]
async fn gcs_signed_urls_get_and_put_on_the_testbench() {
    use pailfs::core::auth::{CredentialCache, Credentials, Secret};
    use pailfs::core::http::Method;
    let fx = gcs().await;
    let AnyStore::Gcs(plain) = fx.fs.store() else { unreachable!() };
    fx.fs.pipe(&fx.p("signed/in.txt"), bytes::Bytes::from_static(b"read me")).await.unwrap();
    let sa = common::vectors("gcs-v4-signatures-conformance").join("test_service_account.not-a-test.json");
    let sa: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(sa).unwrap()).unwrap();
    let (email, pem) = (sa["client_email"].as_str().unwrap(), sa["private_key"].as_str().unwrap());
    let keys = [
        ("hmac", Credentials::GcsHmac { access_id: "GOOG1TESTKEY".into(), secret: Secret::new("hmac-secret") }),
        ("rsa", Credentials::GcsServiceAccount { client_email: email.into(), private_key_pem: Secret::new(pem) }),
    ];
    let http = reqwest::Client::new();
    for (name, creds) in keys {
        let signer = GcsStore::with_credentials(
            plain.config().clone(),
            CredentialCache::fixed(creds),
            ReqwestTransport::default(),
            Arc::new(SystemClock),
        );
        assert!(signer.capabilities().presign, "{name}");
        let get = signer.presign(Method::Get, &fx.bucket, "signed/in.txt", Duration::from_secs(300)).await.unwrap();
        let algorithm = if name == "hmac" { "X-Goog-Algorithm=GOOG4-HMAC-SHA256" } else { "X-Goog-Algorithm=GOOG4-RSA-SHA256" };
        assert!(get.url.contains(algorithm) && get.url.contains("X-Goog-Signature="), "{}", get.url);
        let r = http.get(&get.url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{name} GET");
        assert_eq!(&r.bytes().await.unwrap()[..], b"read me", "{name} GET");
        let key = format!("signed/out-{name}.txt");
        let put = signer.presign(Method::Put, &fx.bucket, &key, Duration::from_secs(300)).await.unwrap();
        let r = http.put(&put.url).body(format!("written through {name}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{name} PUT: {}", r.text().await.unwrap());
        assert_eq!(fx.fs.cat(&fx.p(&key)).await.unwrap(), format!("written through {name}").as_bytes());
        // What the server does not prove: a tampered signature is served as well.
        let tampered = get.url.replace("X-Goog-Signature=", "X-Goog-Signature=00");
        assert_eq!(http.get(&tampered).send().await.unwrap().status(), 200, "the testbench checks no signature");
    }
    fx.cleanup().await;
}

/// Azurite checks Shared Key: a wrong account key is a typed permission error whose text
/// holds no secret, and the right key works against the same server.
#[tokio::test]
#[ignore = "needs Azurite: make test"]
async fn azurite_rejects_a_wrong_key() {
    // A well-formed base64 key that is not the account's.
    let wrong = "d3Jvbmcta2V5LXBhaWxmcy0wMTIzNDU2Nzg5LXdyb25nLWtleS1wYWlsZnMtMDEyMzQ1Njc4OQ==";
    let fs = FileSystem::new(AnyStore::Azure(azurite_store(Some(wrong))));
    let err = fs.ls("").await.expect_err("a wrong key must be refused");
    assert_eq!((err.kind, err.status), (pailfs::ErrorKind::PermissionDenied, Some(403)), "{err:?}");
    let shown = format!("{err} {err:?} {:?}", fs.store());
    assert!(!shown.contains(wrong) && !shown.contains(&env("PAILFS_AZURITE_KEY")), "secret leaked: {shown}");
    FileSystem::new(AnyStore::Azure(azurite_store(None))).ls("").await.expect("the right key is accepted");
}

/// Fails the second Put Block of every upload before it is sent, as a dropped connection
/// that no retry mends would.
struct FailSecondBlock(ReqwestTransport, AtomicU32);

impl pailfs::transport::Transport for FailSecondBlock {
    type Body = pailfs::transport::native::ReqwestBody;

    async fn send_streaming(
        &self,
        req: pailfs::core::http::Request,
    ) -> pailfs::Result<(pailfs::core::http::Response, Self::Body)> {
        let block = req.query.iter().any(|(k, v)| k == "comp" && v == "block");
        if block && self.1.fetch_add(1, Ordering::SeqCst) == 1 {
            return Err(pailfs::Error::new(pailfs::ErrorKind::Io, "injected: the block never arrived"));
        }
        self.0.send_streaming(req).await
    }

    async fn sleep(&self, d: Duration) {
        self.0.sleep(d).await
    }
}

/// A block upload that fails after a block was staged leaves no committed blob: the key does
/// not exist, not even empty, and what Azurite kept is uncommitted blocks only.
#[tokio::test]
#[ignore = "needs Azurite: make test"]
async fn azurite_failed_block_upload_commits_nothing() {
    let mut config = AzureConfig::custom(&env("PAILFS_AZURITE_BLOB")).unwrap();
    config.quirks = Quirks { no_suffix_ranges: true, inverted_empty_ranges: true, ..Quirks::default() };
    let key = Secret::new(env("PAILFS_AZURITE_KEY"));
    let transport = FailSecondBlock(ReqwestTransport::default(), AtomicU32::new(0));
    let store = AzureStore::shared_key(config, &env("PAILFS_AZURITE_ACCOUNT"), key, transport, Arc::new(SystemClock));
    // One block at a time, so the first is staged before the second fails.
    let fs = FileSystem::with_options(store, Options { part_size: 256 * 1024, transfer_concurrency: 1, ..Options::default() });
    let bucket = unique_bucket("azfail");
    fs.mkdir(&bucket, true).await.unwrap();
    let path = format!("{bucket}/never.bin");
    let err = fs.pipe(&path, cases::data(3 * 256 * 1024, 8)).await.expect_err("the second block fails");
    assert_eq!(err.kind, pailfs::ErrorKind::Io, "{err:?}");
    assert!(!fs.exists(&path).await.unwrap(), "no committed blob");
    assert!(fs.find(&bucket, None, false).await.unwrap().is_empty());
    // The first block did reach the server: the check above is about commits, not silence.
    let mut req = pailfs::core::azure::list_blobs(fs.store().config(), &bucket, &Default::default()).unwrap();
    req.query.push(("include".into(), "uncommittedblobs".into()));
    let call = pailfs::core::provider::Call::new(req, |r| pailfs::core::azure::parse_list_blobs(r, None));
    let staged = fs.store().call(call).await.unwrap();
    assert_eq!(staged.objects.iter().map(|o| (o.key.as_str(), o.size)).collect::<Vec<_>>(), [("never.bin", 0)]);
    fs.rm(&bucket, true).await.unwrap();
}

/// Every way of giving Azure credentials reaches Azurite: a connection string (with its
/// BlobEndpoint), and a container SAS made from the account key as the store's only
/// credential, whose URLs a plain HTTP client fetches.
#[tokio::test]
#[ignore = "needs Azurite: make test"]
async fn azurite_connection_string_and_sas_credentials() {
    let (endpoint, account, key) = (env("PAILFS_AZURITE_BLOB"), env("PAILFS_AZURITE_ACCOUNT"), env("PAILFS_AZURITE_KEY"));
    let cs = format!("DefaultEndpointsProtocol=http;AccountName={account};AccountKey={key};BlobEndpoint={endpoint};");
    let fs = FileSystem::new(AzureStore::from_connection_string(&cs).unwrap());
    let bucket = unique_bucket("azcred");
    fs.mkdir(&bucket, true).await.unwrap();
    fs.pipe(&format!("{bucket}/a.txt"), bytes::Bytes::from_static(b"by key")).await.unwrap();

    use pailfs::core::sign::azure::{SasResource, ServiceSas, service_sas};
    let expiry = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()) + chrono::TimeDelta::minutes(10);
    let sas = ServiceSas::new(SasResource::Container { container: bucket.clone() }, "rwdl", expiry);
    let token = service_sas(&sas, &account, &Secret::new(key)).unwrap();
    let config = AzureConfig::custom(&endpoint).unwrap();
    let by_sas =
        FileSystem::new(AzureStore::sas(config, Secret::new(token.clone()), ReqwestTransport::default(), Arc::new(SystemClock)));
    assert_eq!(&by_sas.cat(&format!("{bucket}/a.txt")).await.unwrap()[..], b"by key");
    by_sas.pipe(&format!("{bucket}/b.txt"), bytes::Bytes::from_static(b"by sas")).await.unwrap();
    assert_eq!(by_sas.ls_names(&bucket).await.unwrap(), [format!("{bucket}/a.txt"), format!("{bucket}/b.txt")]);
    // The store's SAS is what its presigned URL carries; a plain client fetches it.
    let url = by_sas.sign(&format!("{bucket}/b.txt"), Duration::from_secs(60)).await.unwrap();
    assert_eq!(&reqwest::get(&url).await.unwrap().bytes().await.unwrap()[..], b"by sas");
    // A container SAS cannot list the account's containers: refused, typed.
    assert_eq!(by_sas.ls("").await.unwrap_err().kind, pailfs::ErrorKind::PermissionDenied);
    let shown = format!("{:?}", by_sas.ls("").await.unwrap_err());
    let sig = token.split('&').find_map(|p| p.strip_prefix("sig=")).unwrap();
    assert!(!shown.contains(sig), "the SAS signature leaked: {shown}");
    // Blob Batch: every sub-request signed on its own. With a read-only SAS each delete is
    // refused inside the batch, reported per key, and both blobs stay.
    let read_only = ServiceSas::new(SasResource::Container { container: bucket.clone() }, "rl", expiry);
    let token = service_sas(&read_only, &account, &Secret::new(env("PAILFS_AZURITE_KEY"))).unwrap();
    let reader = AzureStore::sas(
        AzureConfig::custom(&endpoint).unwrap(),
        Secret::new(token),
        ReqwestTransport::default(),
        Arc::new(SystemClock),
    );
    let keys = ["a.txt".to_string(), "b.txt".to_string()];
    let failed = reader.delete_batch(&bucket, &keys).await.unwrap();
    assert_eq!(failed.iter().map(|f| f.key.as_str()).collect::<Vec<_>>(), ["a.txt", "b.txt"], "{failed:?}");
    assert!(failed.iter().all(|f| f.code.starts_with("Authorization")), "{failed:?}");
    assert_eq!(by_sas.ls_names(&bucket).await.unwrap().len(), 2);
    // With the key: two blobs and one that never was, in one batch; all gone.
    let keys = ["a.txt".to_string(), "b.txt".to_string(), "never.txt".to_string()];
    assert_eq!(fs.store().delete_batch(&bucket, &keys).await.unwrap(), []);
    assert!(fs.ls_names(&bucket).await.unwrap().is_empty());
    fs.rm(&bucket, true).await.unwrap();
}

/// Anonymous access to a public container: nothing is signed, reads and listings of the
/// container work, writes and the account's container list are refused, typed.
#[tokio::test]
#[ignore = "needs Azurite: make test"]
async fn azurite_anonymous_reads_a_public_container() {
    use pailfs::core::http::{Method, Request};
    let fs = FileSystem::new(azurite_store(None));
    let bucket = unique_bucket("azpub");
    fs.mkdir(&bucket, true).await.unwrap();
    fs.pipe(&format!("{bucket}/open.txt"), bytes::Bytes::from_static(b"public")).await.unwrap();
    // Set Container ACL: anyone may read blobs and list the container.
    let c = fs.store().config();
    let acl = Request::new(Method::Put, &c.scheme, &c.host, format!("{}/{bucket}", c.base_path))
        .query_param("restype", "container")
        .query_param("comp", "acl")
        .header("x-ms-version", pailfs::core::azure::API_VERSION)
        .header("x-ms-blob-public-access", "container")
        .header("Content-Length", "0");
    fs.store().call(pailfs::core::provider::Call::unit(acl)).await.expect("Set Container ACL");

    let anon = FileSystem::new(AzureStore::anonymous(
        AzureConfig::custom(&env("PAILFS_AZURITE_BLOB")).unwrap(),
        ReqwestTransport::default(),
        Arc::new(SystemClock),
    ));
    assert!(!anon.store().capabilities().presign, "nothing to sign with");
    assert_eq!(&anon.cat(&format!("{bucket}/open.txt")).await.unwrap()[..], b"public");
    assert_eq!(anon.ls_names(&bucket).await.unwrap(), [format!("{bucket}/open.txt")]);
    let err = anon.pipe(&format!("{bucket}/mine.txt"), bytes::Bytes::from_static(b"x")).await.unwrap_err();
    assert_eq!((err.kind, err.status), (pailfs::ErrorKind::PermissionDenied, Some(403)), "{err:?}");
    assert!(!fs.exists(&format!("{bucket}/mine.txt")).await.unwrap());
    assert_eq!(
        anon.ls("").await.unwrap_err().kind,
        pailfs::ErrorKind::PermissionDenied,
        "the account's containers are not public"
    );
    fs.rm(&bucket, true).await.unwrap();
}

/// info() carries the user metadata GCS keeps in the object's `metadata` (set here by a raw
/// objects.patch, since the store's writes set none), names as stored.
#[tokio::test]
#[ignore = "needs storage-testbench: make test"]
async fn gcs_info_carries_user_metadata() {
    let fx = gcs().await;
    fx.fs.pipe(&fx.p("meta.txt"), bytes::Bytes::from_static(b"m")).await.unwrap();
    let url = format!("{}/storage/v1/b/{}/o/meta.txt", env("PAILFS_GCS_ENDPOINT"), fx.bucket);
    let patch = serde_json::json!({ "metadata": { "Owner": "ada <lovelace>", "case": "kept" } });
    let r = reqwest::Client::new()
        .patch(url)
        .header("content-type", "application/json")
        .body(patch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let e = fx.fs.info(&fx.p("meta.txt")).await.unwrap();
    let mut md = e.meta.unwrap().metadata;
    // The testbench's own departure: it records how each object was uploaded in entries of its
    // own (x_emulator_*, x_testbench_*), which GCS does not add.
    md.retain(|(k, _)| !k.starts_with("x_emulator_") && !k.starts_with("x_testbench_"));
    assert_eq!(md, [("Owner".to_string(), "ada <lovelace>".to_string()), ("case".to_string(), "kept".to_string())]);
    fx.cleanup().await;
}

/// info() carries the `x-ms-meta-*` headers of Get Blob Properties, names lower-cased: the blob
/// is written by a raw Put Blob signed with the account key (Azurite checks the signature).
#[tokio::test]
#[ignore = "needs Azurite: make test"]
async fn azurite_info_carries_user_metadata() {
    use pailfs::core::http::{Method, Request};
    use pailfs::transport::Transport;
    let fx = azurite().await;
    let url = url::Url::parse(&env("PAILFS_AZURITE_BLOB")).unwrap();
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let path = format!("{}/{}/meta.txt", url.path().trim_end_matches('/'), fx.bucket);
    let mut req = Request::new(Method::Put, url.scheme(), &host, path)
        .header("x-ms-blob-type", "BlockBlob")
        .header("Content-Type", "text/csv")
        .header("x-ms-meta-Owner", "ada")
        .header("x-ms-meta-category", "x y")
        .with_body("m");
    let key = Secret::new(env("PAILFS_AZURITE_KEY"));
    pailfs::core::sign::azure::sign_shared_key(
        &mut req,
        &env("PAILFS_AZURITE_ACCOUNT"),
        &key,
        std::time::SystemTime::now().into(),
    )
    .unwrap();
    let r = ReqwestTransport::default().send(req).await.unwrap();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let e = fx.fs.info(&fx.p("meta.txt")).await.unwrap();
    let m = e.meta.unwrap();
    assert_eq!(m.content_type.as_deref(), Some("text/csv"));
    assert_eq!(m.metadata, [("category".to_string(), "x y".to_string()), ("owner".to_string(), "ada".to_string())]);
    // Listings carry none.
    let listed = fx.fs.ls(&fx.bucket).await.unwrap();
    assert!(listed.iter().all(|e| e.meta.as_ref().is_none_or(|m| m.metadata.is_empty())));
    fx.cleanup().await;
}
