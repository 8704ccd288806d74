//! One way to open a URL: the CLI, the JS API and the Python package all turn
//! (`s3://bucket/key`, [`StoreOptions`]) into a file system here. The core resolves the URL and
//! options ([`resolve`]); this module only adds what the platform supplies (a transport, a
//! clock, randomness) and the facade's tunables.

use std::sync::Arc;

use super::any::AnyStore;
use super::azure::AzureStore;
use super::facade::{FileSystem, Options};
use super::gcs::GcsStore;
use super::memory::MemoryStore;
use super::s3::S3Store;
use crate::core::error::Result;
use crate::core::gcs::GcsConfig;
use crate::core::options::{StoreOptions, Target, declared_quirks, resolve};
use crate::core::retry::RetryPolicy;
use crate::transport::{Clock, Random, Transport};

/// A file system and the path inside it that the URL named (`bucket/key`, `bucket`, or `""`
/// for the service root), ready for the facade's verbs.
pub struct Opened<T: Transport> {
    pub fs: FileSystem<AnyStore<T>>,
    pub path: String,
}

impl<T: Transport> std::fmt::Debug for Opened<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened").field("path", &self.path).finish_non_exhaustive()
    }
}

/// What a platform brings to [`open_with`].
pub struct Platform<T> {
    pub transport: T,
    pub clock: Arc<dyn Clock>,
    /// Retry jitter; `None`: seeded from the clock.
    pub random: Option<Arc<dyn Random>>,
}

/// Open `url` with `opts` over the platform's transport. The transport's timeout is the
/// caller's to set from `opts.timeout` (it built the transport).
pub fn open_with<T: Transport + Clone + 'static>(url: &str, opts: &StoreOptions, platform: Platform<T>) -> Result<Opened<T>> {
    open_inner(url, opts, platform, None, None)
}

/// What a platform found for S3 beyond the options: credentials that may refresh, and the
/// profile's addressing style.
struct S3Found {
    credentials: Option<crate::core::auth::CredentialCache>,
    path_style: Option<bool>,
}

fn open_inner<T: Transport + Clone + 'static>(
    url: &str,
    opts: &StoreOptions,
    platform: Platform<T>,
    s3: Option<S3Found>,
    gcs: Option<crate::core::auth::CredentialCache>,
) -> Result<Opened<T>> {
    let (store, path) = match resolve(url, opts)? {
        Target::Memory { bucket, key } => (AnyStore::Memory(MemoryStore::new()), join(bucket, key)),
        #[cfg(feature = "native")]
        Target::File { path } => {
            // file:///a/b/c → bucket `a`, key `b/c` of a store rooted at `/`.
            (AnyStore::Local(super::local::LocalStore::new("/")?), path.trim_start_matches('/').to_string())
        }
        #[cfg(not(feature = "native"))]
        Target::File { .. } => return Err(crate::core::error::Error::not_supported("file:// URLs need the native build")),
        Target::S3 { mut config, credentials, bucket, key } => {
            let found = s3.unwrap_or(S3Found { credentials: None, path_style: None });
            if let Some(p) = found.path_style {
                config.path_style = p;
            }
            let mut store = match found.credentials {
                Some(cache) => S3Store::with_credentials(config, cache, platform.transport, platform.clock),
                None => S3Store::new(config, credentials, platform.transport, platform.clock),
            };
            if let Some(n) = opts.max_attempts {
                store = store.with_retry(RetryPolicy { max_attempts: n.max(1), ..RetryPolicy::default() });
            }
            if let Some(r) = platform.random {
                store = store.with_random(r);
            }
            (AnyStore::S3(store), join(bucket, key))
        }
        Target::Gcs { endpoint, project, token, anon, user_project, bucket, key } => {
            let mut config = match endpoint {
                Some(e) => GcsConfig::custom(&e)?,
                None => GcsConfig::google(),
            }
            .with_project(project)
            .with_user_project(user_project);
            config.quirks = declared_quirks(&opts.quirks);
            let token = token.filter(|_| !anon);
            let mut store = match gcs {
                Some(cache) if token.is_none() && !anon => {
                    GcsStore::with_credentials(config, cache, platform.transport, platform.clock)
                }
                _ => GcsStore::new(config, token, platform.transport, platform.clock),
            };
            if let Some(n) = opts.max_attempts {
                store = store.with_retry(RetryPolicy { max_attempts: n.max(1), ..RetryPolicy::default() });
            }
            if let Some(r) = platform.random {
                store = store.with_random(r);
            }
            (AnyStore::Gcs(store), join(bucket, key))
        }
        Target::Azure { account, endpoint, credentials, dfs: _, container, path } => {
            // abfs:// goes through the Blob API of the same account (see AzureStore::from_target).
            let mut store = AzureStore::from_target(
                account.as_deref(),
                endpoint.as_deref(),
                credentials,
                declared_quirks(&opts.quirks),
                platform.transport,
                platform.clock,
            )?;
            if let Some(n) = opts.max_attempts {
                store = store.with_retry(RetryPolicy { max_attempts: n.max(1), ..RetryPolicy::default() });
            }
            if let Some(r) = platform.random {
                store = store.with_random(r);
            }
            (AnyStore::Azure(store), join(container, path))
        }
    };
    let mut options = Options::default();
    if let Some(p) = opts.part_size {
        options.part_size = p;
    }
    if let Some(b) = opts.block_size {
        options.read.block_size = b.max(1);
    }
    Ok(Opened { fs: FileSystem::with_options(store, options), path })
}

fn join(bucket: String, key: String) -> String {
    if key.is_empty() { bucket } else { format!("{bucket}/{key}") }
}

/// Open `url` with `opts` natively: reqwest, the system clock, `opts.timeout` per request.
///
/// ```
/// use pailfs::core::options::StoreOptions;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let opts = StoreOptions::from_json_str(r#"{"part_size": 8388608}"#)?;
/// let pailfs::fs::open::Opened { fs, path } = pailfs::fs::open::open_url("memory://demo/notes.txt", &opts)?;
/// fs.mkdir("demo", true).await?;
/// fs.pipe(&path, "hello".into()).await?;
/// assert_eq!(&fs.cat(&path).await?[..], b"hello");
/// // An option pailfs does not know is refused by name.
/// let err = StoreOptions::from_json_str(r#"{"endpoint": "http://127.0.0.1:9000"}"#).unwrap_err();
/// assert!(err.message.contains("endpoint_url"));
/// # Ok::<(), pailfs::Error>(()) }).unwrap();
/// ```
#[cfg(feature = "native")]
pub fn open_url(url: &str, opts: &StoreOptions) -> Result<Opened<crate::transport::native::ReqwestTransport>> {
    open_url_in(url, opts, &super::aws_chain::Env::process())
}

/// [`open_url`] with the environment given as a value (tests; a caller with its own settings):
/// natively, S3 credentials come from the AWS chain ([`super::aws_chain`]), GCS's from the
/// Google chain ([`super::gcs_chain`]) and Azure's from `AZURE_STORAGE_*`, unless the options say.
#[cfg(feature = "native")]
pub fn open_url_in(
    url: &str,
    opts: &StoreOptions,
    env: &super::aws_chain::Env,
) -> Result<Opened<crate::transport::native::ReqwestTransport>> {
    use crate::transport::native::{ReqwestTransport, SystemClock, Timeouts};
    let mut timeouts = Timeouts::default();
    if let Some(t) = opts.timeout {
        timeouts.request = t;
    }
    let transport = ReqwestTransport::new(timeouts)?;
    // Natively, Azure credentials and the account may come from the environment (adlfs, az CLI).
    let loc = crate::core::location::Location::parse(url)?;
    let mut opts = opts.clone();
    if matches!(loc.provider, crate::core::location::Provider::Azure | crate::core::location::Provider::AzureDfs) {
        super::azure::fill_from_environment(&mut opts, loc.account.is_some(), |k| env.get(k).map(str::to_string));
    }
    let mut s3 = None;
    if loc.provider == crate::core::location::Provider::S3 {
        let found = super::aws_chain::aws_settings(&opts, env)?;
        let kw = opts.client_kwargs.clone().unwrap_or_default();
        // The environment and profile fill in only what neither the options nor the URL say.
        if opts.region.is_none() && kw.region_name.is_none() && loc.region.is_none() {
            opts.region = found.region;
        }
        if opts.endpoint_url.is_none() && kw.endpoint_url.is_none() && loc.endpoint.is_none() {
            opts.endpoint_url = found.endpoint_url;
        }
        let path_style = found.addressing_style.as_deref().and_then(|s| match s {
            "path" => Some(true),
            "virtual" => Some(false),
            _ => None,
        });
        s3 = Some(S3Found { credentials: found.credentials, path_style });
    }
    let mut gcs = None;
    if loc.provider == crate::core::location::Provider::Gcs {
        let found = super::gcs_chain::gcs_settings(&opts, env)?;
        if opts.endpoint_url.is_none() {
            opts.endpoint_url = found.endpoint_url;
        }
        gcs = found.credentials;
    }
    open_inner(url, &opts, Platform { transport, clock: Arc::new(SystemClock), random: None }, s3, gcs)
}

#[cfg(all(test, feature = "native"))]
mod tests {
    use super::*;
    use crate::fs::Store;

    #[test]
    fn emulator_quirks_are_declared_for_every_provider() {
        use crate::core::provider::Quirks;
        let none = crate::fs::aws_chain::Env::default();
        let with = |q: &str| {
            StoreOptions::from_json_str(&format!(
                r#"{{"anon": true, "endpoint_url": "http://127.0.0.1:9/devstoreaccount1", "quirks": "{q}"}}"#
            ))
            .unwrap()
        };
        let AnyStore::Gcs(gcs) = open_url_in("gs://b", &with("storage-testbench"), &none).unwrap().fs.store().clone() else {
            panic!()
        };
        assert_eq!(gcs.config().quirks, Quirks { no_suffix_ranges: true, no_batch_delete: true, ..Quirks::default() });
        let AnyStore::Azure(az) = open_url_in("az://c", &with("azurite"), &none).unwrap().fs.store().clone() else { panic!() };
        assert_eq!(az.config().quirks, Quirks { no_suffix_ranges: true, inverted_empty_ranges: true, ..Quirks::default() });
        let AnyStore::S3(s3) = open_url_in("s3://b", &with("no_batch_delete"), &none).unwrap().fs.store().clone() else {
            panic!()
        };
        assert_eq!(s3.config().quirks, Quirks { no_batch_delete: true, ..Quirks::default() });
        let AnyStore::Gcs(plain) = open_url_in("gs://b", &StoreOptions::default(), &none).unwrap().fs.store().clone() else {
            panic!()
        };
        assert_eq!(plain.config().quirks, Quirks::default(), "the real service needs none");
    }

    #[test]
    fn urls_open_the_store_they_name() {
        // No environment, no files: what the options and the URL say, nothing else.
        let none = crate::fs::aws_chain::Env::default();
        let anon = StoreOptions { anon: true, ..StoreOptions::default() };
        let s3 = StoreOptions::from_json_str(r#"{"key": "AKID", "secret": "s", "endpoint_url": "http://127.0.0.1:9"}"#).unwrap();
        let o = open_url_in("s3://bkt/a/b.csv", &s3, &none).unwrap();
        assert_eq!((o.fs.store().protocol(), o.path.as_str()), ("s3", "bkt/a/b.csv"));
        let AnyStore::S3(store) = o.fs.store() else { panic!("not S3") };
        assert_eq!(store.config().host, "127.0.0.1:9");
        // The region an AWS URL names is used.
        let o = open_url_in("https://bkt.s3.eu-west-2.amazonaws.com/k", &anon, &none).unwrap();
        let AnyStore::S3(store) = o.fs.store() else { panic!("not S3") };
        assert_eq!((store.config().region.as_str(), o.path.as_str()), ("eu-west-2", "bkt/k"));
        assert!(!store.capabilities().presign, "no credentials, no presigning");
        assert_eq!(open_url_in("memory://b", &StoreOptions::default(), &none).unwrap().path, "b");
        assert_eq!(open_url_in("file:///tmp/x", &StoreOptions::default(), &none).unwrap().path, "tmp/x");
        let gs =
            StoreOptions::from_json_str(r#"{"endpoint_url": "http://127.0.0.1:9", "project": "p", "token": "ya29.t"}"#).unwrap();
        let o = open_url_in("gs://bkt/a/b.csv", &gs, &none).unwrap();
        assert_eq!((o.fs.store().protocol(), o.path.as_str()), ("gs", "bkt/a/b.csv"));
        let AnyStore::Gcs(store) = o.fs.store() else { panic!("not GCS") };
        assert_eq!((store.config().host.as_str(), store.config().project.as_deref()), ("127.0.0.1:9", Some("p")));
        assert!(!store.capabilities().presign, "a bearer token cannot sign URLs");
        let o = open_url_in("gs://bkt", &StoreOptions::default(), &none).unwrap();
        let AnyStore::Gcs(store) = o.fs.store() else { panic!("not GCS") };
        assert_eq!(store.config().host, "storage.googleapis.com");
        // Requester pays bills the named project; `anon` sends no token.
        let paid = StoreOptions::from_json_str(r#"{"requester_pays": "billing", "token": "ya29.t", "anon": true}"#).unwrap();
        let o = open_url_in("gs://bkt/k", &paid, &none).unwrap();
        let AnyStore::Gcs(store) = o.fs.store() else { panic!("not GCS") };
        assert_eq!(store.config().user_project.as_deref(), Some("billing"));
        // Azurite by its connection string shorthand; abfs:// through the account's blob host.
        let dev = StoreOptions::from_json_str(r#"{"connection_string": "UseDevelopmentStorage=true"}"#).unwrap();
        let o = open_url_in("az://cnt/a/b.csv", &dev, &none).unwrap();
        assert_eq!((o.fs.store().protocol(), o.path.as_str()), ("az", "cnt/a/b.csv"));
        let AnyStore::Azure(store) = o.fs.store() else { panic!("not Azure") };
        assert_eq!((store.config().host.as_str(), store.config().base_path.as_str()), ("127.0.0.1:10000", "/devstoreaccount1"));
        assert!(store.capabilities().presign, "an account key signs a service SAS");
        let sas = StoreOptions::from_json_str(r#"{"sas_token": "?sv=2022-11-02&sig=x"}"#).unwrap();
        let o = open_url_in("abfs://cnt@acct.dfs.core.windows.net/dir/f", &sas, &none).unwrap();
        let AnyStore::Azure(store) = o.fs.store() else { panic!("not Azure") };
        assert_eq!((store.config().host.as_str(), o.path.as_str()), ("acct.blob.core.windows.net", "cnt/dir/f"));
    }
}
