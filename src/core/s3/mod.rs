//! S3 as request builders and response parsers: no I/O. A store ([`crate::fs::s3`]) builds a
//! request here, signs it with SigV4, sends it through a transport and hands the response
//! back to the matching parser.

mod config;
mod request;
mod response;

pub use config::{S3Config, encode_key, validate_bucket};
pub use request::*;
pub use response::*;
