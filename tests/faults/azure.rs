//! The fault test in front of Azurite (which checks every Shared Key signature): mixed
//! operations through the fault-injecting proxy at a 20% fault rate, block uploads among them.
//! Every operation must succeed and every byte read must equal what was written.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use pailfs::core::azure::AzureConfig;
use pailfs::core::creds::Secret;
use pailfs::core::provider::Quirks;
use pailfs::core::retry::RetryPolicy;
use pailfs::core::types::PutOptions;
use pailfs::fs::azure::AzureStore;
use pailfs::fs::facade::{FileSystem, Options};
use pailfs::transport::native::{ReqwestTransport, SystemClock, Timeouts};

use super::{Rng, env, proxy};

/// Blocks of 1 MiB: a "block put" stages two or three of them and commits the list.
const BLOCK: u64 = 1024 * 1024;

fn store(endpoint: &str, transport: ReqwestTransport) -> AzureStore<ReqwestTransport> {
    let mut config = AzureConfig::custom(endpoint).unwrap();
    // Azurite's departures, as the behaviour suite declares them.
    config.quirks = Quirks { no_suffix_ranges: true, inverted_empty_ranges: true, ..Quirks::default() };
    let key = Secret::new(env("PAILFS_AZURITE_KEY"));
    AzureStore::shared_key(config, &env("PAILFS_AZURITE_ACCOUNT"), key, transport, Arc::new(SystemClock))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Azurite: make test"]
async fn azurite_operations_at_twenty_percent_faults() {
    let endpoint = env("PAILFS_AZURITE_BLOB");
    let rest = endpoint.trim_start_matches("http://");
    let (hostport, base) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let proxy =
        proxy::start(hostport.parse().expect("azurite host:port"), 0.2, proxy::ALL, 0xA2, Duration::from_millis(1500)).await;
    let timeouts =
        Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(30), read: Duration::from_millis(500) };
    let retry = RetryPolicy {
        max_attempts: 12,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(200),
        max_elapsed: Duration::from_secs(60),
    };
    let faulty = store(&format!("http://{}{base}", proxy.addr), ReqwestTransport::new(timeouts).unwrap()).with_retry(retry);
    let fs = FileSystem::with_options(faulty.clone(), Options { part_size: BLOCK, ..Options::default() });

    let bucket = format!("pailfs-azfaults-{}", std::process::id());
    fs.mkdir(&bucket, true).await.expect("create container");
    let p = |k: &str| format!("{bucket}/{k}");

    let mut rng = Rng(0xA2_0FFEE);
    let mut model: BTreeMap<String, Bytes> = BTreeMap::new();
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    let mut bytes_verified = 0usize;
    const OPS: u32 = 600;
    for i in 0..OPS {
        let roll = rng.below(100);
        let op = match roll {
            _ if model.is_empty() => "put",
            0..25 => "put",
            25..30 => "block put",
            30..55 => "ranged get",
            55..65 => "get",
            65..75 => "list",
            75..87 => "copy",
            _ => "delete",
        };
        *counts.entry(op).or_default() += 1;
        let pick = |rng: &mut Rng, model: &BTreeMap<String, Bytes>| {
            let n = rng.below(model.len() as u64) as usize;
            model.keys().nth(n).unwrap().clone()
        };
        match op {
            "put" | "block put" => {
                let key = format!("d{}/obj-{i}", rng.below(5));
                let len =
                    if op == "put" { 1 + rng.below(64 * 1024) as usize } else { 2 * BLOCK as usize + rng.below(BLOCK) as usize };
                let data = rng.bytes(len);
                // Every key is new, so small puts are create-only: a lost reply and its retry's
                // 409 BlobAlreadyExists must be recognised as our own write (by its MD5).
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
                assert!(
                    got == data[start as usize..(end as usize).min(data.len())],
                    "op {i}: range {start}..{end} of {key} differs"
                );
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
                    .find(&bucket, None, false)
                    .await
                    .unwrap_or_else(|e| panic!("op {i} {op}: {e}"))
                    .into_iter()
                    .map(|e| e.name)
                    .collect();
                assert_eq!(found, model.keys().map(|k| p(k)).collect::<Vec<_>>(), "op {i}: listing");
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
    // The final state, checked without faults in the way.
    let direct = FileSystem::new(store(&endpoint, ReqwestTransport::default()));
    for (k, v) in &model {
        assert!(direct.cat(&p(k)).await.unwrap() == *v, "{k} at the end");
    }
    direct.rm(&bucket, true).await.unwrap();

    let stats = faulty.stats();
    let (retries, attempts, resumes) =
        (stats.retries.load(Ordering::Relaxed), stats.attempts.load(Ordering::Relaxed), stats.resumes.load(Ordering::Relaxed));
    println!("azure fault test: {OPS} operations {counts:?}");
    println!("azure fault test: proxy saw {}", proxy.stats.summary());
    println!(
        "azure fault test: {attempts} attempts, {retries} retries, {resumes} reads resumed; {bytes_verified} bytes compared"
    );
    assert!(proxy.stats.faults() >= 60, "too few faults injected: {}", proxy.stats.summary());
    for (kind, c) in [("lost reply", &proxy.stats.lost_reply), ("truncate", &proxy.stats.truncate), ("reset", &proxy.stats.reset)]
    {
        assert!(c.load(Ordering::Relaxed) > 0, "no {kind} fault was injected");
    }
    assert!(retries >= proxy.stats.faults() / 2, "faults were not retried: {retries}");
    assert!(resumes > 0, "no truncated read was resumed");
}
