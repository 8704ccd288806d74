//! Google Cloud Storage's JSON API as request builders and response parsers: no I/O.
//! `GcsConfig` is the GCS [`Provider`](crate::core::provider::Provider) the shared driver
//! ([`crate::fs::http`]) runs, with bearer tokens (or none) for authorization.
//!
//! Versions: the JSON API takes write preconditions by *generation* only (it ignores `If-Match`
//! on writes), so the `etag` pailfs reports for a GCS object is its generation, which changes
//! with every write of the content and with nothing else. It is also the `version`. A read
//! pinned to it sends `ifGenerationMatch`; a write with `if_match` does too.

mod batch;
mod config;
mod provider;
mod request;
mod response;

pub use batch::{MAX_BATCH, delete_batch, parse_delete_batch};
pub use config::{GcsConfig, encode_object_name, validate_bucket};
pub use request::*;
pub use response::*;
