//! Reliability under faults: 1000 mixed operations through a fault-injecting proxy in front
//! of s3s-fs (which checks every signature) at a 20% fault rate. Every operation must succeed
//! and every byte read must equal what was written. Then multipart writes made to fail under
//! faults in front of moto, which must leave no upload behind. The same two in front of
//! storage-testbench (GCS: resumable sessions instead of multipart uploads). `#[ignore]`d:
//! `make test` starts the servers.

mod azure;
mod proxy;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use pailfs::core::creds::AwsCredentials;
use pailfs::core::error::ErrorKind;
use pailfs::core::gcs::GcsConfig;
use pailfs::core::provider::Quirks;
use pailfs::core::retry::RetryPolicy;
use pailfs::core::s3::S3Config;
use pailfs::core::types::PutOptions;
use pailfs::fs::Store;
use pailfs::fs::facade::{FileSystem, Options};
use pailfs::fs::gcs::GcsStore;
use pailfs::fs::s3::S3Store;
use pailfs::transport::native::{ReqwestTransport, SystemClock, Timeouts};

const PART: u64 = 5 * 1024 * 1024;
const OPS: u32 = 1000;

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: start the servers with scripts/servers.sh (make test does)"))
}

/// Deterministic pseudo-random numbers for the workload (not the proxy's, not the store's).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, len: usize) -> Bytes {
        (0..len).map(|_| self.next() as u8).collect::<Vec<u8>>().into()
    }
}

/// The workload: 1000 operations drawn from a fixed seed on `fs`, every byte read compared
/// with a model of what was written.
async fn workload<S: Store + Clone + 'static>(
    fs: &FileSystem<S>,
    bucket: &str,
) -> (BTreeMap<String, Bytes>, BTreeMap<&'static str, u32>, usize) {
    let p = |k: &str| format!("{bucket}/{k}");
    let mut rng = Rng(0xC0FFEE);
    let mut model: BTreeMap<String, Bytes> = BTreeMap::new();
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    let mut bytes_verified = 0usize;

    for i in 0..OPS {
        let roll = rng.below(100);
        let op = if model.is_empty() || roll < 25 {
            "put"
        } else if roll < 28 {
            "multipart put"
        } else if roll < 55 {
            "ranged get"
        } else if roll < 65 {
            "get"
        } else if roll < 75 {
            "list"
        } else if roll < 87 {
            "copy"
        } else {
            "delete"
        };
        *counts.entry(op).or_default() += 1;
        let pick = |rng: &mut Rng, model: &BTreeMap<String, Bytes>| {
            let n = rng.below(model.len() as u64) as usize;
            model.keys().nth(n).unwrap().clone()
        };
        match op {
            "put" | "multipart put" => {
                let key = format!("d{}/obj-{i}", rng.below(5));
                let len =
                    if op == "put" { 1 + rng.below(64 * 1024) as usize } else { PART as usize + 1 + rng.below(300_000) as usize };
                let data = rng.bytes(len);
                // Every key is new, so the small puts are create-only: a lost reply followed by
                // a retry must not be reported as "already exists".
                let opts = PutOptions { if_none_match_any: op == "put", ..PutOptions::default() };
                let meta = fs.pipe_with(&p(&key), data.clone(), &opts).await.unwrap_or_else(|e| panic!("op {i} {op} {key}: {e}"));
                assert_eq!(meta.size, len as u64);
                model.insert(key, data);
            }
            "ranged get" => {
                let key = pick(&mut rng, &model);
                let data = &model[&key];
                let start = rng.below(data.len() as u64) as i64;
                let end = start + 1 + rng.below(20_000) as i64;
                let got =
                    fs.cat_file(&p(&key), Some(start), Some(end)).await.unwrap_or_else(|e| panic!("op {i} {op} {key}: {e}"));
                let want = &data[start as usize..(end as usize).min(data.len())];
                assert!(got == want, "op {i}: range {start}..{end} of {key} differs");
                bytes_verified += got.len();
            }
            "get" => {
                let key = pick(&mut rng, &model);
                let got = fs.cat(&p(&key)).await.unwrap_or_else(|e| panic!("op {i} {op} {key}: {e}"));
                assert!(got == model[&key], "op {i}: {key} differs");
                bytes_verified += got.len();
            }
            "list" => {
                let found: Vec<String> = fs
                    .find(bucket, None, false)
                    .await
                    .unwrap_or_else(|e| panic!("op {i} {op}: {e}"))
                    .into_iter()
                    .map(|e| e.name)
                    .collect();
                let want: Vec<String> = model.keys().map(|k| p(k)).collect();
                assert_eq!(found, want, "op {i}: listing");
            }
            "copy" => {
                let key = pick(&mut rng, &model);
                let dst = format!("copies/c-{i}");
                fs.cp(&p(&key), &p(&dst), false).await.unwrap_or_else(|e| panic!("op {i} {op} {key}: {e}"));
                let data = model[&key].clone();
                model.insert(dst, data);
            }
            _ => {
                let key = pick(&mut rng, &model);
                fs.rm(&p(&key), false).await.unwrap_or_else(|e| panic!("op {i} {op} {key}: {e}"));
                model.remove(&key);
            }
        }
    }
    (model, counts, bytes_verified)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs s3s-fs: make test"]
async fn thousand_operations_at_twenty_percent_faults() {
    let endpoint = env("PAILFS_S3S_ENDPOINT");
    let upstream = endpoint.trim_start_matches("http://").parse().expect("s3s endpoint host:port");
    let proxy = proxy::start(upstream, 0.2, proxy::ALL, 0x5eed, Duration::from_millis(1500)).await;

    let config = S3Config::custom(&format!("http://{}", proxy.addr), "us-east-1").unwrap();
    let config = S3Config { url_encoded_listing: false, ..config };
    let creds = AwsCredentials::new(env("PAILFS_S3S_KEY"), env("PAILFS_S3S_SECRET"));
    let timeouts =
        Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(30), read: Duration::from_millis(500) };
    let retry = RetryPolicy {
        max_attempts: 12,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(200),
        max_elapsed: Duration::from_secs(60),
    };
    let store =
        S3Store::new(config, Some(creds), ReqwestTransport::new(timeouts).unwrap(), Arc::new(SystemClock)).with_retry(retry);
    let fs = FileSystem::with_options(store.clone(), Options { part_size: PART, ..Options::default() });

    let bucket = format!("pailfs-faults-{}", std::process::id());
    fs.mkdir(&bucket, true).await.expect("create bucket");
    let p = |k: &str| format!("{bucket}/{k}");

    let (model, counts, bytes_verified) = workload(&fs, &bucket).await;
    // The final state, checked without faults in the way.
    let direct = S3Store::connect(
        Some(&endpoint),
        "us-east-1",
        Some(AwsCredentials::new(env("PAILFS_S3S_KEY"), env("PAILFS_S3S_SECRET"))),
    )
    .unwrap();
    let direct = FileSystem::new(direct);
    for (k, v) in &model {
        assert!(direct.cat(&p(k)).await.unwrap() == *v, "{k} at the end");
    }
    direct.rm(&bucket, true).await.unwrap();

    let retries = store.stats().retries.load(Ordering::Relaxed);
    let attempts = store.stats().attempts.load(Ordering::Relaxed);
    let resumes = store.stats().resumes.load(Ordering::Relaxed);
    println!("fault test: {OPS} operations {counts:?}");
    println!("fault test: proxy saw {}", proxy.stats.summary());
    println!(
        "fault test: client sent {attempts} attempts, {retries} retries, {resumes} reads resumed mid-body; {bytes_verified} bytes read back and compared"
    );
    assert!(proxy.stats.faults() >= 100, "too few faults injected: {}", proxy.stats.summary());
    for (kind, c) in [
        ("slowdown", &proxy.stats.slowdown),
        ("reset", &proxy.stats.reset),
        ("lost reply", &proxy.stats.lost_reply),
        ("stall", &proxy.stats.stall),
        ("truncate", &proxy.stats.truncate),
    ] {
        assert!(c.load(Ordering::Relaxed) > 0, "no {kind} fault was injected");
    }
    assert!(retries >= proxy.stats.faults() / 2, "faults were not retried: {retries}");
    assert!(resumes > 0, "no truncated read was resumed");
    assert!(store.capabilities().presign);
}

/// Multipart writes through a proxy faulting a third of the requests, with a client that gives
/// up after two attempts: many writes fail, and a cancelled one is dropped mid-upload. Failed
/// writes leave no object; once the file system has flushed the aborts it could not send at
/// the time, moto lists no multipart upload (s3s-fs has no ListMultipartUploads).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto: make test"]
async fn failed_multipart_writes_leave_no_upload_behind() {
    let endpoint = env("PAILFS_MOTO_ENDPOINT");
    let creds = || AwsCredentials::new(env("PAILFS_MOTO_KEY"), env("PAILFS_MOTO_SECRET"));
    let upstream = endpoint.trim_start_matches("http://").parse().expect("moto endpoint host:port");
    let proxy = proxy::start(upstream, 0.35, proxy::ALL, 0xAB0127, Duration::from_millis(800)).await;

    let config = S3Config::custom(&format!("http://{}", proxy.addr), "us-east-1").unwrap();
    let timeouts =
        Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(30), read: Duration::from_millis(300) };
    let retry = RetryPolicy { max_attempts: 2, base_delay: Duration::from_millis(5), ..RetryPolicy::default() };
    let store =
        S3Store::new(config, Some(creds()), ReqwestTransport::new(timeouts).unwrap(), Arc::new(SystemClock)).with_retry(retry);
    let fs = FileSystem::with_options(store, Options { part_size: PART, ..Options::default() });
    let direct = FileSystem::new(S3Store::connect(Some(&endpoint), "us-east-1", Some(creds())).unwrap());

    let bucket = format!("pailfs-orphans-{}", std::process::id());
    direct.mkdir(&bucket, true).await.expect("create bucket");
    let p = |k: &str| format!("{bucket}/{k}");

    let mut rng = Rng(0xFEED);
    let (mut written, mut failed) = (Vec::new(), Vec::new());
    for i in 0..24 {
        let key = format!("mp-{i}");
        let len = PART as usize + 1 + rng.below(200_000) as usize;
        let data = rng.bytes(len);
        match fs.pipe(&p(&key), data.clone()).await {
            Ok(_) => written.push((key, data)),
            Err(e) => failed.push((key, e)),
        }
    }
    // Cancelled: the writer is dropped with parts uploaded and no completion.
    let mut cancelled = None;
    for _ in 0..20 {
        use futures::AsyncWriteExt;
        let Ok(mut w) = fs.open_write(&p("cancelled"), PutOptions::default()).await else { continue };
        if w.write_all(&rng.bytes(2 * PART as usize + 10)).await.is_ok() && w.flush().await.is_ok() {
            cancelled = Some(w);
            break;
        }
    }
    let cancelled = cancelled.expect("no writer got its parts through");
    // Writers of earlier attempts that failed midway were dropped with their uploads' aborts
    // queued: send those first (through the faults), so the one upload left is this writer's.
    // (Without this the count depended on which attempts the faults hit: flaky under load.)
    for _ in 0..50 {
        if fs.flush_pending().await.is_ok() {
            break;
        }
    }
    let live = direct.store().list_multipart_uploads(&bucket, "cancelled").await.expect("ListMultipartUploads");
    assert_eq!(live.len(), 1, "the cancelled writer's upload is in progress: {live:?}");
    drop(cancelled);
    // What could not be aborted at the time is queued; flush it (through the faults).
    let mut flushed = None;
    for _ in 0..50 {
        if let Ok(n) = fs.flush_pending().await {
            flushed = Some(n);
            break;
        }
    }
    let flushed = flushed.expect("queued aborts never went through");

    let open = direct.store().list_multipart_uploads(&bucket, "").await.expect("ListMultipartUploads");
    println!(
        "orphan test: {} writes succeeded, {} failed, {flushed} queued aborts flushed; proxy saw {}",
        written.len(),
        failed.len(),
        proxy.stats.summary()
    );
    assert!(open.is_empty(), "uploads left behind: {open:?}");
    assert!(!failed.is_empty() && !written.is_empty(), "the fault rate should fail some writes and not all");
    for (key, e) in &failed {
        assert!(e.kind != ErrorKind::Integrity, "{key}: {e}");
        assert!(!direct.exists(&p(key)).await.unwrap(), "failed write {key} left an object ({e})");
    }
    assert!(!direct.exists(&p("cancelled")).await.unwrap());
    for (key, data) in &written {
        assert!(direct.cat(&p(key)).await.unwrap() == *data, "{key} differs");
    }
    direct.rm(&bucket, true).await.unwrap();
}

/// A GCS store on storage-testbench at `endpoint` (through a proxy or not), with the
/// testbench's declared quirks: no `/batch` endpoint, suffix ranges answered wrong.
fn gcs_store(endpoint: &str, timeouts: Timeouts, retry: RetryPolicy) -> GcsStore<ReqwestTransport> {
    let mut config = GcsConfig::custom(endpoint).unwrap().with_project(Some("test-project".into()));
    config.quirks = Quirks { no_suffix_ranges: true, no_batch_delete: true, ..Quirks::default() };
    GcsStore::new(config, None, ReqwestTransport::new(timeouts).unwrap(), Arc::new(SystemClock)).with_retry(retry)
}

/// The thousand operations in front of storage-testbench, the small puts create-only as on S3
/// (a repeat refused by its own first attempt is confirmed by the stored hashes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs storage-testbench: make test"]
async fn gcs_thousand_operations_at_twenty_percent_faults() {
    let endpoint = env("PAILFS_GCS_ENDPOINT");
    let upstream = endpoint.trim_start_matches("http://").parse().expect("gcs endpoint host:port");
    let proxy = proxy::start(upstream, 0.2, proxy::ALL, 0x6c5, Duration::from_millis(1500)).await;
    let timeouts =
        Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(30), read: Duration::from_millis(500) };
    let retry = RetryPolicy {
        max_attempts: 12,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(200),
        max_elapsed: Duration::from_secs(60),
    };
    let store = gcs_store(&format!("http://{}", proxy.addr), timeouts, retry);
    let fs = FileSystem::with_options(store.clone(), Options { part_size: PART, ..Options::default() });
    let bucket = format!("pailfs-gfaults-{}", std::process::id());
    fs.mkdir(&bucket, true).await.expect("create bucket");

    let (model, counts, bytes_verified) = workload(&fs, &bucket).await;
    let direct = FileSystem::new(gcs_store(&endpoint, Timeouts::default(), RetryPolicy::default()));
    let p = |k: &str| format!("{bucket}/{k}");
    let found: Vec<String> = direct.find(&bucket, None, false).await.unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(found, model.keys().map(|k| p(k)).collect::<Vec<_>>(), "the objects at the end");
    for (k, v) in &model {
        assert!(direct.cat(&p(k)).await.unwrap() == *v, "{k} at the end");
    }
    direct.rm(&bucket, true).await.unwrap();

    let retries = store.stats().retries.load(Ordering::Relaxed);
    let resumes = store.stats().resumes.load(Ordering::Relaxed);
    println!("gcs fault test: {OPS} operations {counts:?}");
    println!("gcs fault test: proxy saw {}", proxy.stats.summary());
    println!(
        "gcs fault test: client sent {} attempts, {retries} retries, {resumes} reads resumed mid-body; {bytes_verified} bytes read back and compared",
        store.stats().attempts.load(Ordering::Relaxed)
    );
    assert!(proxy.stats.faults() >= 100, "too few faults injected: {}", proxy.stats.summary());
    for (kind, c) in [
        ("slowdown", &proxy.stats.slowdown),
        ("reset", &proxy.stats.reset),
        ("lost reply", &proxy.stats.lost_reply),
        ("stall", &proxy.stats.stall),
        ("truncate", &proxy.stats.truncate),
    ] {
        assert!(c.load(Ordering::Relaxed) > 0, "no {kind} fault was injected");
    }
    assert!(resumes > 0, "no truncated read was resumed");
}

/// Resumable writes through a proxy faulting a third of the requests, with a client that gives
/// up after two attempts: some writes fail, and none of those leaves an object (the session is
/// cancelled, or never finished: GCS makes the object only with the last byte). The JSON API
/// cannot list sessions, so what this proves is "no object", not "no session".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs storage-testbench: make test"]
async fn gcs_failed_resumable_writes_leave_no_object() {
    let endpoint = env("PAILFS_GCS_ENDPOINT");
    let upstream = endpoint.trim_start_matches("http://").parse().expect("gcs endpoint host:port");
    let proxy = proxy::start(upstream, 0.35, proxy::ALL, 0x6c0127, Duration::from_millis(800)).await;
    let timeouts =
        Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(30), read: Duration::from_millis(300) };
    let retry = RetryPolicy { max_attempts: 2, base_delay: Duration::from_millis(5), ..RetryPolicy::default() };
    let chunk = 256 * 1024;
    let fs = FileSystem::with_options(
        gcs_store(&format!("http://{}", proxy.addr), timeouts, retry),
        Options { part_size: chunk, ..Options::default() },
    );
    let direct = FileSystem::new(gcs_store(&endpoint, Timeouts::default(), RetryPolicy::default()));
    let bucket = format!("pailfs-gorphans-{}", std::process::id());
    direct.mkdir(&bucket, true).await.expect("create bucket");
    let p = |k: &str| format!("{bucket}/{k}");

    let mut rng = Rng(0xFEED);
    let (mut written, mut failed) = (Vec::new(), Vec::new());
    for i in 0..24 {
        let key = format!("rs-{i}");
        let len = 3 * chunk as usize + 1 + rng.below(100_000) as usize;
        let data = rng.bytes(len);
        match fs.pipe(&p(&key), data.clone()).await {
            Ok(_) => written.push((key, data)),
            Err(e) => failed.push((key, e)),
        }
    }
    let _ = fs.flush_pending().await;
    println!("gcs orphan test: {} writes succeeded, {} failed; proxy saw {}", written.len(), failed.len(), proxy.stats.summary());
    assert!(!failed.is_empty() && !written.is_empty(), "the fault rate should fail some writes and not all");
    for (key, e) in &failed {
        assert!(e.kind != ErrorKind::Integrity, "{key}: {e}");
        assert!(!direct.exists(&p(key)).await.unwrap(), "failed write {key} left an object ({e})");
    }
    for (key, data) in &written {
        assert!(direct.cat(&p(key)).await.unwrap() == *data, "{key} differs");
    }
    direct.rm(&bucket, true).await.unwrap();
}
