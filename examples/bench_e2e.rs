//! pailfs running the operations of `make bench-e2e` (see scripts/bench_e2e.py). One operation
//! per process, so the driver can read this process's CPU time alone.
//!
//! usage: bench_e2e list PREFIX | get KEY FILE | put FILE KEY | small PREFIX COUNT | ranges KEY N GAP
//!        | seed PREFIX COUNT SIZE | rm KEY | mkbucket | rmbucket
//! env: E2E_PROVIDER (s3, gcs or azure; default s3), E2E_ENDPOINT, E2E_KEY, E2E_SECRET (S3),
//!      E2E_ACCOUNT, E2E_KEY (Azure), E2E_BUCKET, E2E_PART (bytes), E2E_CONC, E2E_SMALL_CONC,
//!      E2E_COALESCE (bytes; `ranges` only)

use std::sync::Arc;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt, stream};
use pailfs::core::azure::AzureConfig;
use pailfs::core::creds::{AwsCredentials, Secret};
use pailfs::core::gcs::GcsConfig;
use pailfs::core::provider::Quirks;
use pailfs::core::s3::S3Config;
use pailfs::fs::any::AnyStore;
use pailfs::fs::azure::AzureStore;
use pailfs::fs::facade::{FileSystem, Options};
use pailfs::fs::gcs::GcsStore;
use pailfs::fs::s3::S3Store;
use pailfs::fs::{Capabilities, Store};
use pailfs::transport::native::{ReqwestTransport, SystemClock};

fn env(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set (scripts/bench_e2e.py sets it)"))
}

fn num(k: &str) -> u64 {
    env(k).parse().unwrap_or_else(|_| panic!("{k} is not a number"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let transport = ReqwestTransport::new(Default::default())?;
    let endpoint = env("E2E_ENDPOINT");
    let store = match std::env::var("E2E_PROVIDER").as_deref().unwrap_or("s3") {
        "s3" => {
            // s3s-fs, as the behaviour suite declares it: path-like keys, listings not URL-encoded.
            let config = S3Config { url_encoded_listing: false, ..S3Config::custom(&endpoint, "us-east-1")? };
            let creds = AwsCredentials::new(env("E2E_KEY"), env("E2E_SECRET"));
            let store = S3Store::new(config, Some(creds), transport, Arc::new(SystemClock));
            AnyStore::S3(store.clone().with_capabilities(Capabilities { any_key: false, ..store.capabilities() }))
        }
        // An emulator: no credentials; deletes one by one (storage-testbench has no batch endpoint).
        "gcs" => {
            let mut config = GcsConfig::custom(&endpoint)?.with_project(Some("test-project".into()));
            config.quirks = Quirks { no_batch_delete: true, ..Quirks::default() };
            AnyStore::Gcs(GcsStore::new(config, None, transport, Arc::new(SystemClock)))
        }
        "azure" => AnyStore::Azure(AzureStore::shared_key(
            AzureConfig::custom(&endpoint)?,
            &env("E2E_ACCOUNT"),
            Secret::new(env("E2E_KEY")),
            transport,
            Arc::new(SystemClock),
        )),
        other => return Err(format!("E2E_PROVIDER {other:?}: s3, gcs or azure").into()),
    };
    let coalesce_gap = std::env::var("E2E_COALESCE").ok().and_then(|v| v.parse().ok()).unwrap_or(Options::default().coalesce_gap);
    let options = Options {
        part_size: num("E2E_PART"),
        transfer_concurrency: num("E2E_CONC") as usize,
        coalesce_gap,
        ..Options::default()
    };
    let fs = FileSystem::with_options(store.clone(), options);
    let bucket = env("E2E_BUCKET");
    let p = |k: &str| format!("{bucket}/{k}");
    let small_conc = num("E2E_SMALL_CONC") as usize;

    let t = Instant::now();
    let (items, bytes) = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["list", prefix] => (fs.find(&p(prefix), None, false).await?.len() as u64, 0),
        ["get", key, file] => {
            fs.get_file(&p(key), file).await?;
            (1, std::fs::metadata(file)?.len())
        }
        ["put", file, key] => (1, fs.put_file(file, &p(key)).await?.size),
        ["small", prefix, count] => {
            let count: usize = count.parse()?;
            let total = stream::iter((0..count).map(|i| {
                let path = p(&format!("{prefix}/{i:06}"));
                let fs = &fs;
                async move { fs.cat(&path).await.map(|b| b.len() as u64) }
            }))
            .buffer_unordered(small_conc)
            .try_fold(0u64, |a, n| async move { Ok(a + n) })
            .await?;
            (count as u64, total)
        }
        // N ranges of 4 KiB, GAP bytes apart, through cat_ranges (coalescing per E2E_COALESCE).
        ["ranges", key, n, gap] => {
            let (n, gap): (i64, i64) = (n.parse()?, gap.parse()?);
            let starts: Vec<Option<i64>> = (0..n).map(|i| Some(i * (4096 + gap))).collect();
            let ends: Vec<Option<i64>> = starts.iter().map(|s| s.map(|s| s + 4096)).collect();
            let paths = vec![p(key); n as usize];
            let got = fs.cat_ranges(&paths, &starts, &ends).await?;
            let total = got.into_iter().map(|r| r.map(|b| b.len() as u64)).sum::<pailfs::Result<u64>>()?;
            (n as u64, total)
        }
        // Seeding (untimed by the driver): COUNT objects of SIZE bytes, PREFIX/000000 on.
        ["seed", prefix, count, size] => {
            let (count, size): (usize, usize) = (count.parse()?, size.parse()?);
            stream::iter((0..count).map(|i| {
                let path = p(&format!("{prefix}/{i:06}"));
                let body = bytes::Bytes::from(vec![(i % 251) as u8; size]);
                let fs = &fs;
                async move { fs.pipe(&path, body).await }
            }))
            .buffer_unordered(small_conc)
            .try_collect::<Vec<_>>()
            .await?;
            (count as u64, (count * size) as u64)
        }
        ["mkbucket"] => {
            fs.mkdir(&bucket, true).await?;
            (1, 0)
        }
        ["rmbucket"] => {
            fs.rm(&bucket, true).await?;
            (1, 0)
        }
        ["rm", key] => {
            fs.rm(&p(key), false).await?;
            (1, 0)
        }
        _ => return Err("usage: list PREFIX | get KEY FILE | put FILE KEY | small PREFIX COUNT | ranges KEY N GAP | seed PREFIX COUNT SIZE | rm KEY | mkbucket | rmbucket".into()),
    };
    let stats = match &store {
        AnyStore::S3(s) => s.stats(),
        AnyStore::Gcs(s) => s.stats(),
        AnyStore::Azure(s) => s.stats(),
        _ => unreachable!("the bench opens S3, GCS or Azure"),
    };
    let requests = stats.attempts.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "{{\"client\": \"pailfs\", \"op\": \"{}\", \"wall_s\": {:.6}, \"items\": {items}, \"bytes\": {bytes}, \"requests\": {requests}}}",
        args[0],
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
