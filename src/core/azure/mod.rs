//! Azure Blob Storage (the Blob REST API of a storage account, or Azurite) as request builders
//! and response parsers: no I/O. `AzureConfig` is the Azure
//! [`Provider`](crate::core::provider::Provider) the shared driver ([`crate::fs::http`]) runs,
//! authorized by Shared Key, a SAS, a bearer token or nothing (`core::auth`).
//!
//! Blobs are block blobs. Large objects are staged as blocks (`Put Block`, ids chosen by the
//! upload machine, all of one length) and made visible only by `Put Block List`: until then
//! nothing is committed, so a failed upload leaves no blob, and there is nothing to abort
//! (the service drops uncommitted blocks after a week).

mod config;
pub mod dfs;
mod provider;
mod request;
mod response;

pub use config::{API_VERSION, AzureConfig, encode_blob_name, validate_account, validate_container};
pub use request::*;
pub use response::*;
