//! Listing and metadata: ls, info, exists, isdir, isfile, size, find, walk, glob, du.

use std::collections::{BTreeMap, BTreeSet};

use super::{Entry, FileSystem, dir_prefix, not_found};
use crate::core::error::{Error, Result};
use crate::fs::glob::{Pattern, has_magic};
use crate::fs::path;
use crate::fs::store::Store;

impl<S: Store + Clone + 'static> FileSystem<S> {
    /// Entries directly below `path`. On a file, the file itself (as fsspec does).
    pub async fn ls(&self, path: &str) -> Result<Vec<Entry>> {
        let (bucket, key) = path::split_path(path);
        if bucket.is_empty() {
            let buckets = self.store.list_buckets().await?;
            return Ok(buckets.into_iter().map(|b| Entry::dir(b.name)).collect());
        }
        let prefix = dir_prefix(&key);
        let page = self.list_all(&bucket, &prefix, true).await?;
        let mut out: Vec<Entry> = Vec::with_capacity(page.objects.len() + page.prefixes.len());
        for p in page.prefixes {
            out.push(Entry::dir(path::join(&bucket, p.strip_suffix('/').unwrap_or(&p))));
        }
        for o in page.objects {
            // A zero-byte `dir/` marker object stands for the directory itself.
            if o.key != prefix {
                out.push(Entry::file(&bucket, o));
            }
        }
        if out.is_empty() {
            if key.is_empty() {
                if !self.store.bucket_exists(&bucket).await? {
                    return Err(not_found(path));
                }
            } else {
                match self.head_file(&bucket, &key).await? {
                    Some(meta) => out.push(Entry::file(&bucket, meta)),
                    None => return Err(not_found(path)),
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Names only.
    pub async fn ls_names(&self, path: &str) -> Result<Vec<String>> {
        Ok(self.ls(path).await?.into_iter().map(|e| e.name).collect())
    }

    pub async fn info(&self, path: &str) -> Result<Entry> {
        let (bucket, key) = path::split_path(path);
        if bucket.is_empty() {
            return Ok(Entry::dir(String::new()));
        }
        if key.is_empty() {
            return if self.store.bucket_exists(&bucket).await? { Ok(Entry::dir(bucket)) } else { Err(not_found(path)) };
        }
        if let Some(meta) = self.head_file(&bucket, &key).await? {
            return Ok(Entry::file(&bucket, meta));
        }
        if self.has_children(&bucket, &key).await? { Ok(Entry::dir(path::join(&bucket, &key))) } else { Err(not_found(path)) }
    }

    pub async fn exists(&self, path: &str) -> Result<bool> {
        absent_is_false(self.info(path).await.map(|_| true))
    }

    pub async fn isdir(&self, path: &str) -> Result<bool> {
        absent_is_false(self.info(path).await.map(|e| e.is_dir()))
    }

    pub async fn isfile(&self, path: &str) -> Result<bool> {
        let (bucket, key) = path::split_path(path);
        if key.is_empty() {
            return Ok(false);
        }
        Ok(self.head_file(&bucket, &key).await?.is_some())
    }

    /// Size of one file.
    pub async fn size(&self, path: &str) -> Result<u64> {
        Ok(self.info(path).await?.size)
    }

    /// Everything below `path`, sorted by name: files, and with `withdirs` the implied
    /// directories too. `maxdepth` counts levels below `path` (1 = direct children).
    /// On a file, the file itself.
    pub async fn find(&self, path: &str, maxdepth: Option<usize>, withdirs: bool) -> Result<Vec<Entry>> {
        if maxdepth == Some(0) {
            return Err(Error::invalid_input("maxdepth must be at least 1"));
        }
        let (bucket, key) = path::split_path(path);
        if bucket.is_empty() {
            let mut out = Vec::new();
            for b in self.store.list_buckets().await? {
                if withdirs {
                    out.push(Entry::dir(b.name.clone()));
                }
                if maxdepth != Some(1) {
                    out.extend(Box::pin(self.find(&b.name, maxdepth.map(|d| d - 1), withdirs)).await?);
                }
            }
            return Ok(out);
        }
        let prefix = dir_prefix(&key);
        let page = self.list_all(&bucket, &prefix, false).await?;
        let mut files: BTreeMap<String, Entry> = BTreeMap::new();
        let mut dirs: BTreeSet<String> = BTreeSet::new();
        for o in page.objects {
            let rel = &o.key[prefix.len()..];
            if rel.is_empty() {
                continue; // the directory marker of `path` itself
            }
            let depth = rel.split('/').count();
            if withdirs {
                // Every ancestor between `path` and the key is an implied directory.
                let mut end = 0;
                let mut level = 0;
                while let Some(i) = rel[end..].find('/') {
                    end += i;
                    level += 1;
                    if maxdepth.is_none_or(|m| level <= m) {
                        dirs.insert(path::join(&bucket, &format!("{prefix}{}", &rel[..end])));
                    }
                    end += 1;
                }
            }
            if maxdepth.is_some_and(|m| depth > m) || rel.ends_with('/') {
                continue; // too deep, or a `sub/` directory marker
            }
            files.insert(path::join(&bucket, &o.key), Entry::file(&bucket, o));
        }
        if files.is_empty() && dirs.is_empty() && !key.is_empty() {
            return Ok(self.head_file(&bucket, &key).await?.map(|meta| Entry::file(&bucket, meta)).into_iter().collect());
        }
        let mut out: Vec<Entry> = files.into_values().collect();
        if withdirs {
            out.extend(dirs.into_iter().map(Entry::dir));
            if !out.is_empty() {
                out.push(Entry::dir(path::join(&bucket, &key)));
            }
            out.sort_by(|a, b| a.name.cmp(&b.name));
            out.dedup_by(|a, b| a.name == b.name);
        }
        Ok(out)
    }

    /// `os.walk`: (directory, sub-directory names, file names), top down.
    pub async fn walk(&self, path: &str, maxdepth: Option<usize>) -> Result<Vec<(String, Vec<String>, Vec<String>)>> {
        let root = path::strip_protocol(path);
        let entries = self.find(&root, maxdepth, true).await?;
        let mut tree: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
        if entries.iter().any(|e| e.is_dir() && e.name == root) || root.is_empty() {
            tree.entry(root.clone()).or_default();
        }
        for e in &entries {
            if e.name == root {
                continue;
            }
            let parent = path::parent(&e.name);
            let slot = tree.entry(parent).or_default();
            if e.is_dir() {
                slot.0.push(path::name(&e.name));
                tree.entry(e.name.clone()).or_default();
            } else {
                slot.1.push(path::name(&e.name));
            }
        }
        Ok(tree.into_iter().map(|(d, (dirs, files))| (d, dirs, files)).collect())
    }

    /// Paths matching an fsspec glob (`*`, `**`, `?`, `[..]`), files and directories, sorted.
    pub async fn glob(&self, pattern: &str) -> Result<Vec<String>> {
        let pattern = path::strip_protocol(pattern);
        if !has_magic(&pattern) {
            return Ok(if self.exists(&pattern).await? { vec![pattern] } else { Vec::new() });
        }
        let pat = Pattern::new(&pattern)?;
        let root = pat.literal_prefix().trim_end_matches('/').to_string();
        let found = match self.find(&root, pat.max_depth(), true).await {
            Ok(f) => f,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(found.into_iter().map(|e| e.name).filter(|n| n != &root && pat.matches(n)).collect())
    }

    /// Total bytes below `path`.
    pub async fn du(&self, path: &str) -> Result<u64> {
        Ok(self.find(path, None, false).await?.iter().map(|e| e.size).sum())
    }
}

fn absent_is_false(r: Result<bool>) -> Result<bool> {
    match r {
        Err(e) if e.is_not_found() => Ok(false),
        r => r,
    }
}
