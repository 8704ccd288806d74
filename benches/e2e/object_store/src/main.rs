//! object_store running the operations of `make bench-e2e` (see scripts/bench_e2e.py). One
//! operation per process, so the driver can read this process's CPU time alone.
//!
//! usage: bench-e2e-object-store list PREFIX | get KEY FILE | put FILE KEY | small PREFIX COUNT
//! env: E2E_PROVIDER (s3, gcs or azure; default s3), E2E_ENDPOINT, E2E_KEY, E2E_SECRET (S3),
//!      E2E_ACCOUNT, E2E_KEY (Azure; AZURITE_BLOB_STORAGE_URL the emulator's address), E2E_BUCKET,
//!      E2E_PART (bytes), E2E_CONC, E2E_SMALL_CONC

use std::sync::Arc;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt, stream};
use object_store::ClientOptions;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn env(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set (scripts/bench_e2e.py sets it)"))
}

fn num(k: &str) -> usize {
    env(k).parse().unwrap_or_else(|_| panic!("{k} is not a number"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let store: Arc<dyn ObjectStore> = match std::env::var("E2E_PROVIDER").as_deref().unwrap_or("s3") {
        "s3" => Arc::new(
            AmazonS3Builder::new()
                .with_endpoint(env("E2E_ENDPOINT"))
                .with_allow_http(true)
                .with_virtual_hosted_style_request(false)
                .with_region("us-east-1")
                .with_bucket_name(env("E2E_BUCKET"))
                .with_access_key_id(env("E2E_KEY"))
                .with_secret_access_key(env("E2E_SECRET"))
                .build()?,
        ),
        // An emulator, as object_store's own tests reach fake-gcs-server: a "service account"
        // naming the base URL, with OAuth turned off.
        "gcs" => {
            let key = format!(
                r#"{{"gcs_base_url": "{}", "disable_oauth": true, "client_email": "", "private_key": "", "private_key_id": ""}}"#,
                env("E2E_ENDPOINT")
            );
            Arc::new(
                GoogleCloudStorageBuilder::new()
                    .with_bucket_name(env("E2E_BUCKET"))
                    .with_service_account_key(key)
                    .with_client_options(ClientOptions::new().with_allow_http(true))
                    .build()?,
            )
        }
        // Azurite: its address in AZURITE_BLOB_STORAGE_URL (the driver sets it).
        "azure" => Arc::new(
            MicrosoftAzureBuilder::new()
                .with_use_emulator(true)
                .with_account(env("E2E_ACCOUNT"))
                .with_access_key(env("E2E_KEY"))
                .with_container_name(env("E2E_BUCKET"))
                .build()?,
        ),
        other => return Err(format!("E2E_PROVIDER {other:?}: s3, gcs or azure").into()),
    };
    let (part, conc, small_conc) = (num("E2E_PART"), num("E2E_CONC"), num("E2E_SMALL_CONC"));
    let t = Instant::now();
    let (items, bytes) = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["list", prefix] => {
            let n = store.list(Some(&Path::from(prefix))).try_fold(0u64, |n, _| async move { Ok(n + 1) }).await?;
            (n, 0)
        }
        ["get", key, file] => {
            let path = Path::from(key);
            let size = store.head(&path).await?.size;
            let ranges = (0..size.div_ceil(part as u64)).map(|i| i * part as u64..((i + 1) * part as u64).min(size));
            let mut parts = stream::iter(ranges).map(|r| store.get_range(&path, r)).buffered(conc);
            let mut f = tokio::fs::File::create(file).await?;
            while let Some(b) = parts.try_next().await? {
                f.write_all(&b).await?;
            }
            f.flush().await?;
            (1, size)
        }
        ["put", file, key] => {
            let mut f = tokio::fs::File::open(file).await?;
            let upload = store.put_multipart(&Path::from(key)).await?;
            let mut w = WriteMultipart::new_with_chunk_size(upload, part);
            let mut buf = vec![0u8; part];
            let mut total = 0u64;
            loop {
                let n = read_full(&mut f, &mut buf).await?;
                if n == 0 {
                    break;
                }
                w.wait_for_capacity(conc).await?;
                w.write(&buf[..n]);
                total += n as u64;
            }
            w.finish().await?;
            (1, total)
        }
        ["small", prefix, count] => {
            let count: usize = count.parse()?;
            let keys = (0..count).map(|i| Path::from(format!("{prefix}/{i:06}")));
            let total = stream::iter(keys)
                .map(|k| {
                    let store = store.clone();
                    async move { store.get(&k).await?.bytes().await.map(|b| b.len() as u64) }
                })
                .buffer_unordered(small_conc)
                .try_fold(0u64, |a, n| async move { Ok(a + n) })
                .await?;
            (count as u64, total)
        }
        _ => return Err("usage: list PREFIX | get KEY FILE | put FILE KEY | small PREFIX COUNT".into()),
    };
    println!(
        "{{\"client\": \"object_store\", \"op\": \"{}\", \"wall_s\": {:.6}, \"items\": {items}, \"bytes\": {bytes}}}",
        args[0],
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Fill `buf` from the file; fewer bytes only at its end.
async fn read_full(f: &mut tokio::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let m = f.read(&mut buf[n..]).await?;
        if m == 0 {
            break;
        }
        n += m;
    }
    Ok(n)
}
