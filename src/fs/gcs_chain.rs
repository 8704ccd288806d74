//! The GCS credential chain, natively: where gcsfs and the Google libraries look, in their
//! order. This is the only code that reads the environment and files for gs://; what it finds
//! becomes core sources (`core::creds::google`), which build every request.
//!
//! 1. Options: `anon` (or `token="anon"`): unsigned, nothing probed; `token`: that access token.
//! 2. `STORAGE_EMULATOR_HOST`: that endpoint (unless the options name one), unsigned.
//! 3. `GOOGLE_APPLICATION_CREDENTIALS`: a service-account key or `authorized_user` file. Set but
//!    unreadable or of another type is an error, not a reason to look further.
//! 4. gcloud's application-default file: `$CLOUDSDK_CONFIG/application_default_credentials.json`,
//!    else `~/.config/gcloud/application_default_credentials.json`.
//! 5. The GCE metadata server (`GCE_METADATA_HOST`, else `metadata.google.internal`), one second
//!    at most; if it does not answer with a token, anonymous access: gcsfs's last step too.

use std::path::PathBuf;

use super::aws_chain::Env;
use crate::core::creds::google::{GceMetadata, KeyFile};
use crate::core::creds::{CredentialCache, Credentials, DEFAULT_EARLY, OrAnonymous};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::options::StoreOptions;

/// What the chain found for a GCS store.
pub struct GcsSettings {
    /// `None`: the options decide (a `token`, or `anon`).
    pub credentials: Option<CredentialCache>,
    /// Where the credentials came from, for messages and `-v`.
    pub source: String,
    /// `STORAGE_EMULATOR_HOST`, as an endpoint URL.
    pub endpoint_url: Option<String>,
}

impl std::fmt::Debug for GcsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcsSettings").field("source", &self.source).field("endpoint_url", &self.endpoint_url).finish()
    }
}

/// The application-default file gcloud writes (`gcloud auth application-default login`).
const ADC_FILE: &str = "application_default_credentials.json";

/// Find the credentials (and an emulator endpoint) for a GCS store opened with `opts`.
pub fn gcs_settings(opts: &StoreOptions, env: &Env) -> Result<GcsSettings> {
    let emulator =
        env.get("STORAGE_EMULATOR_HOST").map(|h| if h.contains("://") { h.to_string() } else { format!("http://{h}") });
    let settings = |credentials, source: &str| GcsSettings { credentials, source: source.into(), endpoint_url: emulator.clone() };
    if opts.anon || opts.token.is_some() {
        return Ok(settings(None, if opts.anon { "anonymous (anon)" } else { "option token" }));
    }
    if emulator.is_some() {
        return Ok(settings(Some(CredentialCache::fixed(Credentials::Anonymous)), "anonymous (STORAGE_EMULATOR_HOST)"));
    }
    if let Some(path) = env.get("GOOGLE_APPLICATION_CREDENTIALS") {
        let key = read_key_file(&PathBuf::from(path))?.ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("GOOGLE_APPLICATION_CREDENTIALS names {path}, which does not exist"))
        })?;
        return Ok(settings(Some(refreshing(key)), &format!("GOOGLE_APPLICATION_CREDENTIALS ({path})")));
    }
    let adc = match env.get("CLOUDSDK_CONFIG") {
        Some(dir) => Some(PathBuf::from(dir).join(ADC_FILE)),
        None => env.get("HOME").map(|h| PathBuf::from(h).join(".config").join("gcloud").join(ADC_FILE)),
    };
    if let Some(p) = &adc
        && let Some(key) = read_key_file(p)?
    {
        return Ok(settings(Some(refreshing(key)), &format!("gcloud application-default credentials ({})", p.display())));
    }
    let metadata = match env.get("GCE_METADATA_HOST") {
        Some(h) => GceMetadata::at(h)?,
        None => GceMetadata::default(),
    };
    let source = format!("{metadata:?}, else anonymous");
    let last = OrAnonymous::new(Box::new(metadata));
    Ok(settings(Some(CredentialCache::refreshing(Box::new(last), DEFAULT_EARLY)), &source))
}

fn refreshing(key: KeyFile) -> CredentialCache {
    CredentialCache::refreshing(key.into_provider(), DEFAULT_EARLY)
}

/// A key file, `None` if it does not exist. Errors name the file, never its contents.
fn read_key_file(p: &std::path::Path) -> Result<Option<KeyFile>> {
    match std::fs::read(p) {
        Ok(bytes) => KeyFile::parse(&bytes).map(Some).map_err(|e| e.context(format_args!("{}", p.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::new(ErrorKind::Io, format!("cannot read {}: {e}", p.display()))),
    }
}
