//! pailfs: one storage client for S3, Google Cloud Storage and Azure Blob/ADLS Gen2.
//!
//! The crate is split along the sans-IO boundary:
//! - [`core`] builds signed requests and parses responses. It does no I/O, owns no clock and
//!   reads no environment: time, randomness and credentials come in as values. It compiles for
//!   `wasm32-unknown-unknown` with no features.
//! - [`fs`] is the fsspec-style facade (`ls`, `info`, `find`, `glob`, `cat`, `put`, `open`, ...)
//!   over any [`fs::Store`]: the embedded `memory://` store, the `file://` store and the S3 store
//!   driven by a [`transport`].
//! - [`transport`] moves bytes: reqwest + tokio on native (feature `native`).

pub mod core;
pub mod fs;
pub mod transport;

/// The JavaScript API (wasm32 only).
#[cfg(target_arch = "wasm32")]
pub mod js;

pub use crate::core::error::{Error, ErrorKind, Result};
