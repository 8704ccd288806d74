//! S3 as request builders and response parsers: no I/O. `S3Config` is the S3
//! [`Provider`](crate::core::provider::Provider) the shared driver ([`crate::fs::http`]) runs: it builds a
//! request here, signs it with SigV4, sends it through a transport and hands the response back
//! to the matching parser.

mod config;
mod provider;
mod request;
mod response;

pub use config::{S3Config, encode_key, validate_bucket};
pub use request::*;
pub use response::*;
