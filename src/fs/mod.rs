//! The fsspec-style facade over any [`Store`].

pub mod any;
#[cfg(feature = "native")]
pub mod aws_chain;
pub mod azure;
pub mod facade;
pub mod file;
pub mod gcs;
#[cfg(feature = "native")]
pub mod gcs_chain;
pub mod glob;
pub mod http;
#[cfg(feature = "native")]
pub mod local;
pub mod memory;
pub mod open;
pub mod path;
pub mod s3;
pub mod store;

pub use store::{Capabilities, DeleteFailure, GetResult, Store};
