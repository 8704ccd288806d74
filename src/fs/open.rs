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
use crate::core::options::{StoreOptions, Target, resolve};
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
    let (store, path) = match resolve(url, opts)? {
        Target::Memory { bucket, key } => (AnyStore::Memory(MemoryStore::new()), join(bucket, key)),
        #[cfg(feature = "native")]
        Target::File { path } => {
            // file:///a/b/c → bucket `a`, key `b/c` of a store rooted at `/`.
            (AnyStore::Local(super::local::LocalStore::new("/")?), path.trim_start_matches('/').to_string())
        }
        #[cfg(not(feature = "native"))]
        Target::File { .. } => return Err(crate::core::error::Error::not_supported("file:// URLs need the native build")),
        Target::S3 { config, credentials, bucket, key } => {
            let mut store = S3Store::new(config, credentials, platform.transport, platform.clock);
            if let Some(n) = opts.max_attempts {
                store = store.with_retry(RetryPolicy { max_attempts: n.max(1), ..RetryPolicy::default() });
            }
            if let Some(r) = platform.random {
                store = store.with_random(r);
            }
            (AnyStore::S3(store), join(bucket, key))
        }
        Target::Gcs { endpoint, project, token, anon, user_project, bucket, key } => {
            let config = match endpoint {
                Some(e) => GcsConfig::custom(&e)?,
                None => GcsConfig::google(),
            }
            .with_project(project)
            .with_user_project(user_project);
            let token = token.filter(|_| !anon);
            let mut store = GcsStore::new(config, token, platform.transport, platform.clock);
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
        super::azure::fill_from_environment(&mut opts, loc.account.is_some(), |k| std::env::var(k).ok());
    }
    open_with(url, &opts, Platform { transport, clock: Arc::new(SystemClock), random: None })
}

#[cfg(all(test, feature = "native"))]
mod tests {
    use super::*;
    use crate::fs::Store;

    #[test]
    fn urls_open_the_store_they_name() {
        let s3 = StoreOptions::from_json_str(r#"{"key": "AKID", "secret": "s", "endpoint_url": "http://127.0.0.1:9"}"#).unwrap();
        let o = open_url("s3://bkt/a/b.csv", &s3).unwrap();
        assert_eq!((o.fs.store().protocol(), o.path.as_str()), ("s3", "bkt/a/b.csv"));
        let AnyStore::S3(store) = o.fs.store() else { panic!("not S3") };
        assert_eq!(store.config().host, "127.0.0.1:9");
        // The region an AWS URL names is used.
        let o = open_url("https://bkt.s3.eu-west-2.amazonaws.com/k", &StoreOptions::default()).unwrap();
        let AnyStore::S3(store) = o.fs.store() else { panic!("not S3") };
        assert_eq!((store.config().region.as_str(), o.path.as_str()), ("eu-west-2", "bkt/k"));
        assert!(!store.capabilities().presign, "no credentials, no presigning");
        assert_eq!(open_url("memory://b", &StoreOptions::default()).unwrap().path, "b");
        assert_eq!(open_url("file:///tmp/x", &StoreOptions::default()).unwrap().path, "tmp/x");
        let gs =
            StoreOptions::from_json_str(r#"{"endpoint_url": "http://127.0.0.1:9", "project": "p", "token": "ya29.t"}"#).unwrap();
        let o = open_url("gs://bkt/a/b.csv", &gs).unwrap();
        assert_eq!((o.fs.store().protocol(), o.path.as_str()), ("gs", "bkt/a/b.csv"));
        let AnyStore::Gcs(store) = o.fs.store() else { panic!("not GCS") };
        assert_eq!((store.config().host.as_str(), store.config().project.as_deref()), ("127.0.0.1:9", Some("p")));
        assert!(!store.capabilities().presign, "a bearer token cannot sign URLs");
        let o = open_url("gs://bkt", &StoreOptions::default()).unwrap();
        let AnyStore::Gcs(store) = o.fs.store() else { panic!("not GCS") };
        assert_eq!(store.config().host, "storage.googleapis.com");
        // Requester pays bills the named project; `anon` sends no token.
        let paid = StoreOptions::from_json_str(r#"{"requester_pays": "billing", "token": "ya29.t", "anon": true}"#).unwrap();
        let o = open_url("gs://bkt/k", &paid).unwrap();
        let AnyStore::Gcs(store) = o.fs.store() else { panic!("not GCS") };
        assert_eq!(store.config().user_project.as_deref(), Some("billing"));
        // Azurite by its connection string shorthand; abfs:// through the account's blob host.
        let dev = StoreOptions::from_json_str(r#"{"connection_string": "UseDevelopmentStorage=true"}"#).unwrap();
        let o = open_url("az://cnt/a/b.csv", &dev).unwrap();
        assert_eq!((o.fs.store().protocol(), o.path.as_str()), ("az", "cnt/a/b.csv"));
        let AnyStore::Azure(store) = o.fs.store() else { panic!("not Azure") };
        assert_eq!((store.config().host.as_str(), store.config().base_path.as_str()), ("127.0.0.1:10000", "/devstoreaccount1"));
        assert!(store.capabilities().presign, "an account key signs a service SAS");
        let sas = StoreOptions::from_json_str(r#"{"sas_token": "?sv=2022-11-02&sig=x"}"#).unwrap();
        let o = open_url("abfs://cnt@acct.dfs.core.windows.net/dir/f", &sas).unwrap();
        let AnyStore::Azure(store) = o.fs.store() else { panic!("not Azure") };
        assert_eq!((store.config().host.as_str(), o.path.as_str()), ("acct.blob.core.windows.net", "cnt/dir/f"));
    }
}
