//! pailfs running the operations of `make bench-e2e` (see scripts/bench_e2e.py). One operation
//! per process, so the driver can read this process's CPU time alone.
//!
//! usage: bench_e2e list PREFIX | get KEY FILE | put FILE KEY | small PREFIX COUNT | ranges KEY N GAP
//! env: E2E_ENDPOINT, E2E_KEY, E2E_SECRET, E2E_BUCKET, E2E_PART (bytes), E2E_CONC, E2E_SMALL_CONC,
//!      E2E_COALESCE (bytes; `ranges` only)

use std::sync::Arc;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt, stream};
use pailfs::core::creds::AwsCredentials;
use pailfs::core::s3::S3Config;
use pailfs::fs::facade::{FileSystem, Options};
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
    // s3s-fs, as the behaviour suite declares it: path-like keys, listings not URL-encoded.
    let config = S3Config { url_encoded_listing: false, ..S3Config::custom(&env("E2E_ENDPOINT"), "us-east-1")? };
    let creds = AwsCredentials::new(env("E2E_KEY"), env("E2E_SECRET"));
    let store = S3Store::new(config, Some(creds), ReqwestTransport::new(Default::default())?, Arc::new(SystemClock));
    let store = store.clone().with_capabilities(Capabilities { any_key: false, ..store.capabilities() });
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
        _ => return Err("usage: list PREFIX | get KEY FILE | put FILE KEY | small PREFIX COUNT | ranges KEY N GAP".into()),
    };
    let requests = store.stats().attempts.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "{{\"client\": \"pailfs\", \"op\": \"{}\", \"wall_s\": {:.6}, \"items\": {items}, \"bytes\": {bytes}, \"requests\": {requests}}}",
        args[0],
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
