//! Planning range reads: which byte ranges of one object to ask for so that several nearby
//! ranges cost one request, and how to split an object into chunks fetched side by side.
//! Pure arithmetic; the facade sends the requests.

/// One request serving several wanted ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merged {
    /// `[start, end)` to fetch.
    pub start: u64,
    pub end: u64,
    /// `(index, start, end)` of each wanted range it serves, in the caller's numbering.
    pub members: Vec<(usize, u64, u64)>,
}

/// Group non-empty ranges `(index, start, end)` of one object. Two ranges share a request
/// when the gap between them is at most `max_gap` and the merged request stays within
/// `max_len` (a single range longer than that is still fetched whole). Overlapping ranges
/// always merge: fetching the shared bytes twice is never cheaper.
pub fn coalesce(mut ranges: Vec<(usize, u64, u64)>, max_gap: u64, max_len: u64) -> Vec<Merged> {
    ranges.sort_by_key(|&(i, s, e)| (s, e, i));
    let mut out: Vec<Merged> = Vec::new();
    for (i, s, e) in ranges {
        match out.last_mut() {
            Some(m) if s < m.end || (s - m.end <= max_gap && e.max(m.end) - m.start <= max_len) => {
                m.end = m.end.max(e);
                m.members.push((i, s, e));
            }
            _ => out.push(Merged { start: s, end: e, members: vec![(i, s, e)] }),
        }
    }
    out
}

/// `[start, end)` chunks of at most `chunk` bytes covering `size` bytes, in order.
pub fn chunks(size: u64, chunk: u64) -> impl Iterator<Item = (u64, u64)> {
    let chunk = chunk.max(1);
    (0..size.div_ceil(chunk)).map(move |i| (i * chunk, (i * chunk + chunk).min(size)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearby_ranges_share_a_request() {
        let got = coalesce(vec![(0, 100, 200), (1, 0, 50), (2, 210, 300), (3, 5000, 5100)], 20, 1000);
        assert_eq!(
            got,
            vec![
                Merged { start: 0, end: 50, members: vec![(1, 0, 50)] },
                Merged { start: 100, end: 300, members: vec![(0, 100, 200), (2, 210, 300)] },
                Merged { start: 5000, end: 5100, members: vec![(3, 5000, 5100)] },
            ]
        );
    }

    #[test]
    fn overlaps_merge_and_the_length_cap_holds() {
        let got = coalesce(vec![(0, 0, 100), (1, 50, 80), (2, 90, 150)], 0, 10);
        assert_eq!(got.len(), 1, "overlaps merge whatever the cap");
        assert_eq!((got[0].start, got[0].end), (0, 150));
        // Adjacent but over the cap: two requests.
        let got = coalesce(vec![(0, 0, 100), (1, 101, 200)], 10, 150);
        assert_eq!(got.len(), 2);
        // Gap 0 merges only touching ranges.
        assert_eq!(coalesce(vec![(0, 0, 10), (1, 10, 20), (2, 21, 30)], 0, 100).len(), 2);
    }

    #[test]
    fn chunks_cover_exactly() {
        assert_eq!(chunks(10, 4).collect::<Vec<_>>(), [(0, 4), (4, 8), (8, 10)]);
        assert_eq!(chunks(8, 4).collect::<Vec<_>>(), [(0, 4), (4, 8)]);
        assert_eq!(chunks(0, 4).count(), 0);
    }
}
