//! The sans-IO core. Nothing in here performs I/O, sleeps, reads the clock or the environment.
//! Requests come out as plain data ([`http::Request`]); responses go back in as plain data
//! ([`http::Response`]). Any transport can drive it.

pub mod auth;
pub mod azure;
pub mod creds;
pub mod error;
pub mod etag;
pub mod gcs;
pub mod http;
pub mod location;
pub mod options;
pub mod pager;
pub mod provider;
pub mod ranges;
pub mod read;
pub mod retry;
pub mod s3;
pub mod sign;
pub mod types;
pub mod upload;
pub mod xml;
