//! What an argument names: a local path, or an object (or folder) of a store. Keys are taken
//! from the URL byte for byte, a trailing `/` included (README, "Keys ending in /").

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use pailfs::core::location::{Location, Provider};
use pailfs::core::options::StoreOptions;
use pailfs::core::pager::ListPager;
use pailfs::core::types::{ListRequest, ObjectMeta};
use pailfs::fs::Store;
use pailfs::fs::any::AnyStore;
use pailfs::fs::open::{Opened, open_url};
use pailfs::{Error, Result};

/// How stores are opened: `-o` options and the global flags, with (for s3://) the AWS
/// environment filling in what they leave unset.
pub struct Opener {
    pub pairs: Vec<(String, String)>,
    pub anon: bool,
    pub region: Option<String>,
    /// The endpoint has a path: named in errors that may come from a wrong one.
    pub endpoint_path: Option<String>,
}

/// One end of a command: a local path or a place in a store.
pub enum Target {
    Local(PathBuf),
    Remote(Remote),
}

/// A bucket (or the service root) and a key, verbatim, in the store that holds them.
#[derive(Clone)]
pub struct Remote {
    pub store: AnyStore,
    /// `s3://`, `gs://`, `file:///`, ...: what names are printed with, so they paste back.
    pub scheme: String,
    pub bucket: String,
    pub key: String,
}

/// One listed thing, as every listing verb prints it.
pub struct Item {
    pub url: String,
    pub key: String,
    pub dir: bool,
    pub size: u64,
    pub modified: Option<DateTime<Utc>>,
    pub etag: Option<String>,
}

impl Item {
    pub fn file(r: &Remote, o: ObjectMeta) -> Item {
        Item { url: r.url_of(&r.bucket, &o.key), key: o.key, dir: false, size: o.size, modified: o.last_modified, etag: o.etag }
    }
}

impl Opener {
    /// `arg` as a target: anything with `scheme://` is a store URL, anything else a local path.
    pub fn target(&self, arg: &str) -> Result<Target> {
        if has_scheme(arg) { Ok(Target::Remote(self.remote(arg)?)) } else { Ok(Target::Local(PathBuf::from(arg))) }
    }

    /// `arg` as a place in a store; a plain local path is opened as its file:// URL.
    pub fn remote(&self, arg: &str) -> Result<Remote> {
        let url = if has_scheme(arg) {
            if arg == "s3:" { "s3://".to_string() } else { arg.to_string() }
        } else {
            let abs = std::path::absolute(arg).map_err(|e| Error::from(e).context(arg))?;
            let abs = abs.to_str().ok_or_else(|| Error::invalid_input(format!("{arg:?}: path is not UTF-8")))?.to_string();
            // Keep the trailing `/` the user typed: it is part of what they named.
            let slash = if arg.ends_with('/') && !abs.ends_with('/') { "/" } else { "" };
            format!("file://{abs}{slash}")
        };
        let loc = Location::parse(&url)?;
        let mut pairs = self.pairs.clone();
        if self.anon {
            pairs.push(("anon".into(), "true".into()));
        }
        match loc.provider {
            Provider::S3 => {
                if let Some(r) = &self.region {
                    pairs.push(("region".into(), r.clone()));
                }
                // Keys, profiles, roles, region and endpoint from the environment and the shared
                // files are the AWS credential chain's (open_url), in the AWS CLI's order.
            }
            Provider::Gcs => {
                // gcsfs and the Google clients point at an emulator with this variable.
                if let Some(host) = var("STORAGE_EMULATOR_HOST").filter(|_| !pairs.iter().any(|(k, _)| k == "endpoint_url")) {
                    pairs.push(("endpoint_url".into(), host));
                }
            }
            _ => {}
        }
        // Unknown options are named before anything else is said.
        let opts = StoreOptions::from_pairs(pairs.clone())?;
        let Opened { fs, path } = open_url(&url, &opts)?;
        let scheme = match loc.provider {
            Provider::File => "file:///".to_string(),
            _ => url[..url.find("://").unwrap_or(0) + 3].to_ascii_lowercase(),
        };
        let (bucket, key) = path.split_once('/').map(|(b, k)| (b.to_string(), k.to_string())).unwrap_or((path, String::new()));
        Ok(Remote { store: fs.store().clone(), scheme, bucket, key })
    }

    /// A hint for errors a wrong endpoint path would cause (a 404 from a proxy, an HTML body).
    pub fn hint(&self, e: &Error) -> Option<String> {
        let p = self.endpoint_path.as_ref()?;
        matches!(e.kind, pailfs::ErrorKind::NotFound | pailfs::ErrorKind::InvalidResponse)
            .then(|| format!("the endpoint URL has a path ({p}); S3 servers are usually reached at scheme://host:port"))
    }
}

fn var(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

pub fn has_scheme(arg: &str) -> bool {
    arg == "s3:" || arg.split_once("://").is_some_and(|(s, _)| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// A URL without its query (which may hold a SAS signature).
pub fn shown(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

impl Remote {
    pub fn url(&self) -> String {
        self.url_of(&self.bucket, &self.key)
    }

    pub fn url_of(&self, bucket: &str, key: &str) -> String {
        match (bucket.is_empty(), key.is_empty()) {
            (true, _) => self.scheme.clone(),
            (false, true) => format!("{}{bucket}", self.scheme),
            _ => format!("{}{bucket}/{key}", self.scheme),
        }
    }

    pub fn with_key(&self, key: String) -> Remote {
        Remote { key, ..self.clone() }
    }

    /// The prefix that lists what is inside this place: `key/`, or the key itself when it
    /// already ends in `/` (so `a//` steps into `a//b`).
    pub fn dir_prefix(&self) -> String {
        if self.key.is_empty() || self.key.ends_with('/') { self.key.clone() } else { format!("{}/", self.key) }
    }

    /// The object with exactly this key, if there is one.
    pub async fn head(&self) -> Result<Option<ObjectMeta>> {
        if self.bucket.is_empty() || self.key.is_empty() {
            return Ok(None);
        }
        match self.store.head(&self.bucket, &self.key).await {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether an object has exactly this key, by listing (the key sorts first among those it
    /// starts): for verbs that need no metadata, and servers whose HEAD of a folder's name fails
    /// (s3s-fs answers 500 where a directory is on its disk).
    pub async fn exists_by_listing(&self) -> Result<bool> {
        if self.bucket.is_empty() || self.key.is_empty() {
            return Ok(false);
        }
        let req = ListRequest { prefix: self.key.clone(), max_keys: Some(1), ..ListRequest::default() };
        let page = self.store.list_page(&self.bucket, &req).await?;
        Ok(page.objects.first().is_some_and(|o| o.key == self.key))
    }

    /// Every object below `prefix` (all pages), or one level of it (objects and sub-prefixes).
    pub async fn list(&self, prefix: &str, delimited: bool) -> Result<(Vec<ObjectMeta>, Vec<String>)> {
        let mut pager = ListPager::new(ListRequest { prefix: prefix.to_string(), delimited, ..ListRequest::default() });
        let (mut objects, mut prefixes) = (Vec::new(), Vec::new());
        while let Some(req) = pager.next_request() {
            let page = self.store.list_page(&self.bucket, req).await?;
            pager.feed(&page)?;
            objects.extend(page.objects);
            prefixes.extend(page.prefixes);
        }
        Ok((objects, prefixes))
    }

    /// Whether anything lies below this place (a folder, a `dir/` marker included).
    pub async fn is_dir(&self) -> Result<bool> {
        if self.key.is_empty() {
            return self.store.bucket_exists(&self.bucket).await;
        }
        let req = ListRequest { prefix: self.dir_prefix(), max_keys: Some(1), ..ListRequest::default() };
        let page = self.store.list_page(&self.bucket, &req).await?;
        Ok(!page.objects.is_empty() || !page.prefixes.is_empty())
    }

    /// The object this names, which must exist: "is a directory" when it is a folder.
    pub async fn file(&self) -> Result<ObjectMeta> {
        if self.bucket.is_empty() || self.key.is_empty() {
            return Err(Error::new(pailfs::ErrorKind::Conflict, format!("{}: is a bucket, not a file", self.url())));
        }
        if let Some(m) = self.head().await? {
            return Ok(m);
        }
        if self.is_dir().await? {
            return Err(Error::new(pailfs::ErrorKind::Conflict, format!("{}: is a directory", self.url())));
        }
        Err(Error::not_found(format!("{}: no such file or directory", self.url())))
    }
}
