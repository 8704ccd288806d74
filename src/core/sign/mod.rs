//! Request signers: pure functions over (request, credentials, time).

pub mod azure;
pub mod gcs;
pub mod sigv4;
