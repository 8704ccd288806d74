//! Reading: cat_file, cat, cat_ranges, open_read.

use std::collections::BTreeMap;

use bytes::Bytes;
use futures::stream::{self, StreamExt};

use super::{CONCURRENCY, FileSystem, file_path};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::ranges;
use crate::core::types::ByteRange;
use crate::fs::file::FileReader;
use crate::fs::store::Store;

impl<S: Store + Clone + 'static> FileSystem<S> {
    /// Bytes `[start, end)` of a file, with Python slice semantics: `None` is the start or the
    /// end, negative offsets count from the end, an empty or inverted range is empty.
    pub async fn cat_file(&self, path: &str, start: Option<i64>, end: Option<i64>) -> Result<Bytes> {
        let (bucket, key) = file_path(path)?;
        let range = match (start, end) {
            (None | Some(0), None) => None,
            (Some(s), None) if s < 0 => Some(ByteRange::Suffix(s.unsigned_abs())),
            (Some(s), None) => Some(ByteRange::From { start: s as u64, end: None }),
            (s, Some(e)) if s.unwrap_or(0) >= 0 && e >= 0 => {
                let s = s.unwrap_or(0) as u64;
                if s >= e as u64 {
                    // Still fail on a missing file, as a read would.
                    self.store.head(&bucket, &key).await?;
                    return Ok(Bytes::new());
                }
                Some(ByteRange::From { start: s, end: Some(e as u64) })
            }
            (s, Some(e)) => {
                let size = self.store.head(&bucket, &key).await?.size;
                let (s, e) = (py_index(s.unwrap_or(0), size), py_index(e, size));
                if s >= e {
                    return Ok(Bytes::new());
                }
                Some(ByteRange::From { start: s, end: Some(e) })
            }
        };
        match self.store.get(&bucket, &key, range).await {
            Ok(r) => Ok(r.data),
            // A start at or past the end is an empty slice in Python, but a 416 in HTTP range
            // semantics (S3, GCS and Azure alike).
            Err(e) if e.kind == ErrorKind::InvalidInput && range.is_some() => {
                let size = self.store.head(&bucket, &key).await?.size;
                match range {
                    Some(ByteRange::From { start, .. }) if start >= size => Ok(Bytes::new()),
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Whole file.
    pub async fn cat(&self, path: &str) -> Result<Bytes> {
        self.cat_file(path, None, None).await
    }

    /// Several ranges, fetched concurrently; results in input order, one per range. Explicit
    /// ranges of one file that lie within `coalesce_gap` of each other share one request
    /// (up to `part_size` long), and each gets its slice of the answer.
    pub async fn cat_ranges(&self, paths: &[String], starts: &[Option<i64>], ends: &[Option<i64>]) -> Result<Vec<Result<Bytes>>> {
        if paths.len() != starts.len() || paths.len() != ends.len() {
            return Err(Error::invalid_input("cat_ranges: paths, starts and ends differ in length"));
        }
        // Keyed by path; the value's first index names the path for the jobs.
        type Spans = Vec<(usize, u64, u64)>;
        let mut by_path: BTreeMap<&str, (usize, Spans)> = BTreeMap::new();
        let mut jobs = Vec::new();
        for i in 0..paths.len() {
            match (starts[i].unwrap_or(0), ends[i]) {
                (s, Some(e)) if s >= 0 && e > s => {
                    by_path.entry(&paths[i]).or_insert((i, Vec::new())).1.push((i, s as u64, e as u64))
                }
                _ => jobs.push((i, ranges::Merged { start: 0, end: 0, members: vec![(i, 0, 0)] })),
            }
        }
        let max_len = self.options.part_size.max(1);
        for (_, (p, spans)) in by_path {
            jobs.extend(ranges::coalesce(spans, self.options.coalesce_gap, max_len).into_iter().map(|m| (p, m)));
        }
        let fetch = |(p, m): (usize, ranges::Merged)| async move {
            let path = &paths[p];
            if m.end == 0 {
                // Not coalesced (open-ended, negative or empty): as cat_file reads it.
                let i = m.members[0].0;
                return vec![(i, self.cat_file(path, starts[i], ends[i]).await)];
            }
            let got = self.cat_file(path, Some(m.start as i64), Some(m.end as i64)).await;
            let slice = |data: &Bytes, s: u64, e: u64| {
                let len = data.len();
                data.slice(((s - m.start) as usize).min(len)..((e - m.start) as usize).min(len))
            };
            m.members.iter().map(|&(i, s, e)| (i, got.as_ref().map(|d| slice(d, s, e)).map_err(Clone::clone))).collect()
        };
        let mut out: Vec<Option<Result<Bytes>>> = vec![None; paths.len()];
        let mut done = stream::iter(jobs.into_iter().map(fetch)).buffer_unordered(CONCURRENCY);
        while let Some(results) = done.next().await {
            for (i, r) in results {
                out[i] = Some(r);
            }
        }
        Ok(out.into_iter().map(|r| r.expect("every range is answered")).collect())
    }

    /// A reader with block cache and readahead (`AsyncRead + AsyncSeek`).
    pub async fn open_read(&self, path: &str) -> Result<FileReader<S>> {
        let (bucket, key) = file_path(path)?;
        FileReader::open(self.store.clone(), bucket, key, self.options.read.clone()).await
    }
}

/// A Python slice index resolved against a length.
fn py_index(i: i64, len: u64) -> u64 {
    if i < 0 { len.saturating_sub(i.unsigned_abs()) } else { (i as u64).min(len) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_indices() {
        assert_eq!(py_index(-3, 10), 7);
        assert_eq!(py_index(-30, 10), 0);
        assert_eq!(py_index(4, 10), 4);
        assert_eq!(py_index(40, 10), 10);
    }
}
