//! pailfs: one storage client for S3, Google Cloud Storage and Azure Blob/ADLS Gen2.
//!
//! The crate is split along the sans-IO boundary:
//! - [`core`] builds signed requests and parses responses. It does no I/O, owns no clock and
//!   reads no environment: time, randomness and credentials come in as values. It compiles for
//!   `wasm32-unknown-unknown` with no features.
//! - [`fs`] is the fsspec-style facade (`ls`, `info`, `find`, `glob`, `cat`, `put`, `open`, ...)
//!   over any [`fs::Store`]: the embedded `memory://` store, the `file://` store and the S3 store
//!   driven by a [`transport`].
//! - [`transport`] moves bytes: reqwest + tokio on native (feature `native`), `fetch` on wasm32.
//!
//! # Common tasks
//!
//! Open a URL with options (s3fs's names; an unknown name is an error that names it). The same
//! call opens `s3://bucket/key` (or an https endpoint URL), `memory://` and `file://`:
//!
//! ```
//! use pailfs::core::options::StoreOptions;
//! use pailfs::fs::open::{open_url, Opened};
//!
//! let opts = StoreOptions::from_json_str(r#"{"key": "AKID", "secret": "s3cr3t", "region": "eu-west-1"}"#)?;
//! let Opened { fs, path } = open_url("s3://my-bucket/data/2026.csv", &opts)?;
//! assert_eq!(path, "my-bucket/data/2026.csv");
//! let typo = StoreOptions::from_json_str(r#"{"secret_key": "x"}"#).unwrap_err();
//! assert_eq!(typo.kind, pailfs::ErrorKind::InvalidInput);
//! # Ok::<(), pailfs::Error>(())
//! ```
//!
//! List, write, and read a range (here on `memory://`, which needs no server; an S3 store
//! answers the same calls):
//!
//! ```
//! use pailfs::core::options::StoreOptions;
//! use pailfs::fs::open::open_url;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let fs = open_url("memory://demo", &StoreOptions::default())?.fs;
//! fs.mkdir("demo", true).await?;
//! fs.pipe("demo/logs/a.txt", "hello, world".into()).await?;      // write (multipart past the part size)
//! fs.pipe("demo/logs/b.txt", "second".into()).await?;
//! let names = fs.ls_names("demo/logs").await?;                   // list one level
//! assert_eq!(names, ["demo/logs/a.txt", "demo/logs/b.txt"]);
//! let all = fs.find("demo", None, false).await?;                  // everything below, recursively
//! assert_eq!(all.len(), 2);
//! let word = fs.cat_file("demo/logs/a.txt", Some(7), Some(12)).await?;  // bytes [7, 12)
//! assert_eq!(&word[..], b"world");
//! let tail = fs.cat_file("demo/logs/a.txt", Some(-5), None).await?;     // Python slices: the last 5
//! assert_eq!(&tail[..], b"world");
//! let missing = fs.cat("demo/nope").await.unwrap_err();
//! assert_eq!(missing.kind, pailfs::ErrorKind::NotFound);
//! # Ok::<(), pailfs::Error>(()) }).unwrap();
//! ```
//!
//! Write through a file object, streaming (`AsyncWrite`; parts upload as they fill, and a failed or
//! dropped writer leaves no upload behind):
//!
//! ```
//! use futures::io::AsyncWriteExt;
//! use pailfs::core::types::PutOptions;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let fs = pailfs::fs::facade::FileSystem::new(pailfs::fs::memory::MemoryStore::new());
//! fs.mkdir("demo", true).await?;
//! let mut w = fs.open_write("demo/big.bin", PutOptions { if_none_match_any: true, ..Default::default() }).await?;
//! for _ in 0..4 {
//!     w.write_all(&[7u8; 1 << 20]).await?;
//! }
//! w.close().await?;
//! assert_eq!(fs.size("demo/big.bin").await?, 4 << 20);
//! # Ok::<(), pailfs::Error>(()) }).unwrap();
//! ```

pub mod core;
pub mod fs;
pub mod transport;

/// The JavaScript API (wasm32 only).
#[cfg(target_arch = "wasm32")]
pub mod js;

pub use crate::core::error::{Error, ErrorKind, Result};
