//! The GCS store: the shared HTTP driver ([`HttpStore`]) over the GCS provider ([`GcsConfig`])
//! with bearer tokens. Only what is GCS's own lives here: its constructors.

use std::sync::Arc;

use super::http::HttpStore;
use crate::core::auth::{Authorizer, CredentialCache, Credentials, Scheme};
use crate::core::creds::Secret;
use crate::core::gcs::GcsConfig;
use crate::transport::{Clock, Transport};

/// Google Cloud Storage (and its emulators) through transport `T`.
pub type GcsStore<T> = HttpStore<GcsConfig, T>;

impl<T: Transport> HttpStore<GcsConfig, T> {
    /// A GCS store sending `token` as `Authorization: Bearer`; `None` sends requests without
    /// credentials (public buckets, emulators).
    pub fn new(config: GcsConfig, token: Option<Secret>, transport: T, clock: Arc<dyn Clock>) -> Self {
        let creds = token.map_or(Credentials::Anonymous, Credentials::Bearer);
        Self::with_credentials(config, CredentialCache::fixed(creds), transport, clock)
    }

    /// A GCS store whose credentials come from `credentials`: bearer tokens (refreshed by the
    /// cache when it can), a service account (which can also sign URLs), or none.
    pub fn with_credentials(config: GcsConfig, credentials: CredentialCache, transport: T, clock: Arc<dyn Clock>) -> Self {
        HttpStore::from_parts(config, Authorizer::new(Scheme::Bearer), credentials, transport, clock)
    }

    pub fn config(&self) -> &GcsConfig {
        self.provider()
    }
}

#[cfg(feature = "native")]
mod native {
    use super::*;
    use crate::core::error::Result;
    use crate::transport::native::{ReqwestTransport, SystemClock};

    impl HttpStore<GcsConfig, ReqwestTransport> {
        /// A GCS store on Google (`endpoint: None`) or an emulator, in `project` (bucket
        /// listing and creation).
        pub fn connect(endpoint: Option<&str>, project: Option<&str>, token: Option<Secret>) -> Result<Self> {
            let config = match endpoint {
                Some(e) => GcsConfig::custom(e)?,
                None => GcsConfig::google(),
            }
            .with_project(project.map(str::to_string));
            Ok(GcsStore::new(config, token, ReqwestTransport::new(Default::default())?, Arc::new(SystemClock)))
        }
    }
}
