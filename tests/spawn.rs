//! pailfs calls spawned onto tokio's multi-threaded runtime: the futures of the facade, its
//! file objects and every store are `Send` on native, so an axum handler or a worker pool can
//! use them. The memory case runs in plain `cargo test` (and, being `FileSystem<AnyStore>`, is
//! also the compile-time proof for the S3 variant); the moto case runs the same against a
//! real S3 server (`make test`).

use std::sync::Arc;

use bytes::Bytes;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use pailfs::core::creds::AwsCredentials;
use pailfs::core::types::PutOptions;
use pailfs::fs::any::AnyStore;
use pailfs::fs::facade::{FileSystem, Options};
use pailfs::fs::memory::MemoryStore;
use pailfs::fs::s3::S3Store;

fn assert_send_sync<T: Send + Sync>(_: &T) {}

/// Many tasks at once, each writing (one PUT, and a multipart writer), listing and reading
/// back its own objects; the runtime moves them between its worker threads as it likes.
async fn spawn_many(fs: FileSystem<AnyStore>, bucket: String) {
    assert_send_sync(&fs);
    let fs = Arc::new(fs);
    fs.mkdir(&bucket, true).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..8u8 {
        let (fs, bucket) = (fs.clone(), bucket.clone());
        tasks.push(tokio::spawn(async move {
            let small = format!("{bucket}/task{i}/small");
            fs.pipe(&small, Bytes::from(vec![i; 100])).await?;
            let big = format!("{bucket}/task{i}/big");
            let mut w = fs.open_write(&big, PutOptions::default()).await?;
            // Hop threads mid-write: the writer itself must be Send.
            for _ in 0..3 {
                w.write_all(&vec![i; 2 * 1024 * 1024]).await?;
                tokio::task::yield_now().await;
            }
            w.close().await?;
            let mut r = fs.open_read(&big).await?;
            let mut back = Vec::new();
            r.read_to_end(&mut back).await?;
            let names = fs.ls_names(&format!("{bucket}/task{i}")).await?;
            let head = fs.cat_file(&small, Some(0), Some(10)).await?;
            Ok::<_, pailfs::Error>((i, names, back.len(), back.iter().all(|b| *b == i), head))
        }));
    }
    for t in tasks {
        let (i, names, len, same, head) = t.await.expect("task panicked").expect("task failed");
        assert_eq!(names, [format!("{bucket}/task{i}/big"), format!("{bucket}/task{i}/small")]);
        assert_eq!(len, 6 * 1024 * 1024);
        assert!(same, "task {i} read back another task's bytes");
        assert_eq!(&head[..], &[i; 10][..]);
    }
    fs.rm(&bucket, true).await.unwrap();
}

fn options() -> Options {
    Options { part_size: 5 * 1024 * 1024, ..Options::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_spawn_onto_a_multi_threaded_runtime() {
    let fs = FileSystem::with_options(AnyStore::Memory(MemoryStore::new()), options());
    spawn_many(fs, "spawned".into()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs moto: make test"]
async fn s3_calls_spawn_onto_a_multi_threaded_runtime() {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: make test starts moto"));
    let creds = AwsCredentials::new(var("PAILFS_MOTO_KEY"), var("PAILFS_MOTO_SECRET"));
    let store = S3Store::connect(Some(&var("PAILFS_MOTO_ENDPOINT")), "us-east-1", Some(creds)).unwrap();
    assert_send_sync(&store);
    let bucket = format!("pailfs-spawn-{}", std::process::id());
    spawn_many(FileSystem::with_options(AnyStore::S3(store), options()), bucket).await;
}
