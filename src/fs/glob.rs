//! fsspec glob patterns over `bucket/key` paths: `*` and `?` stay inside one path segment,
//! `**` crosses segments (`a/**/b` also matches `a/b`), `[..]`/`[!..]` are character classes.

use crate::core::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Lit(char),
    /// `?`: one character other than `/`.
    One,
    /// `*`: any run without `/`.
    Star,
    /// `**`: any run, `/` included.
    GlobStar,
    /// `**/` as a whole segment: nothing, or any run ending in `/`.
    GlobStarDir,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A compiled glob.
#[derive(Clone, Debug)]
pub struct Pattern {
    source: String,
    toks: Vec<Tok>,
}

/// Whether a path holds glob syntax at all.
pub fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

impl Pattern {
    pub fn new(pattern: &str) -> Result<Pattern> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut toks = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' if chars.get(i + 1) == Some(&'*') => {
                    let at_seg_start = i == 0 || chars[i - 1] == '/';
                    if at_seg_start && chars.get(i + 2) == Some(&'/') {
                        toks.push(Tok::GlobStarDir);
                        i += 3;
                    } else {
                        toks.push(Tok::GlobStar);
                        i += 2;
                        // `***` is still one glob star.
                        while chars.get(i) == Some(&'*') {
                            i += 1;
                        }
                    }
                }
                '*' => {
                    toks.push(Tok::Star);
                    i += 1;
                }
                '?' => {
                    toks.push(Tok::One);
                    i += 1;
                }
                '[' => {
                    let (tok, next) =
                        class(&chars, i).ok_or_else(|| Error::invalid_input(format!("glob {pattern:?}: unclosed '['")))?;
                    toks.push(tok);
                    i = next;
                }
                c => {
                    toks.push(Tok::Lit(c));
                    i += 1;
                }
            }
        }
        Ok(Pattern { source: pattern.to_string(), toks })
    }

    pub fn matches(&self, path: &str) -> bool {
        let text: Vec<char> = path.chars().collect();
        match_from(&self.toks, &text)
    }

    /// The pattern up to the last `/` before the first magic character: where a search starts.
    pub fn literal_prefix(&self) -> &str {
        let magic = self.source.find(['*', '?', '[']).unwrap_or(self.source.len());
        match self.source[..magic].rfind('/') {
            Some(i) => &self.source[..=i],
            None => "",
        }
    }

    /// How many levels below the literal prefix a match can be; `None` with `**`.
    pub fn max_depth(&self) -> Option<usize> {
        if self.toks.iter().any(|t| matches!(t, Tok::GlobStar | Tok::GlobStarDir)) {
            return None;
        }
        let rest = &self.source[self.literal_prefix().len()..];
        Some(rest.split('/').count())
    }
}

/// Parse `[...]` starting at `open`; returns the token and the index after `]`.
fn class(chars: &[char], open: usize) -> Option<(Tok, usize)> {
    let mut i = open + 1;
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    while i < chars.len() {
        let c = chars[i];
        // A `]` right after the opening is a literal, as in Python's fnmatch.
        if c == ']' && !first {
            return Some((Tok::Class { negated, ranges }, i + 1));
        }
        first = false;
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|&e| e != ']') {
            ranges.push((c, chars[i + 2]));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
    None
}

/// Whether `toks[t..]` matches `text[i..]`, memoised on `(t, i)`: without it, patterns with
/// many stars backtrack exponentially (the fuzzer found a 35-second one).
fn match_from(toks: &[Tok], text: &[char]) -> bool {
    let mut memo = vec![None; (toks.len() + 1) * (text.len() + 1)];
    matches_at(toks, text, 0, 0, &mut memo)
}

fn matches_at(toks: &[Tok], text: &[char], t: usize, i: usize, memo: &mut Vec<Option<bool>>) -> bool {
    let slot = t * (text.len() + 1) + i;
    if let Some(v) = memo[slot] {
        return v;
    }
    let rest = &text[i..];
    let v = match toks.get(t) {
        None => rest.is_empty(),
        Some(Tok::Lit(c)) => rest.first() == Some(c) && matches_at(toks, text, t + 1, i + 1, memo),
        Some(Tok::One) => rest.first().is_some_and(|&c| c != '/') && matches_at(toks, text, t + 1, i + 1, memo),
        Some(Tok::Class { negated, ranges }) => {
            rest.first().is_some_and(|&c| c != '/' && ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated)
                && matches_at(toks, text, t + 1, i + 1, memo)
        }
        Some(Tok::Star) => {
            let run = rest.iter().take_while(|&&c| c != '/').count();
            (0..=run).any(|n| matches_at(toks, text, t + 1, i + n, memo))
        }
        Some(Tok::GlobStar) => (0..=rest.len()).any(|n| matches_at(toks, text, t + 1, i + n, memo)),
        Some(Tok::GlobStarDir) => {
            matches_at(toks, text, t + 1, i, memo)
                || (1..=rest.len()).any(|n| rest[n - 1] == '/' && matches_at(toks, text, t + 1, i + n, memo))
        }
    };
    memo[slot] = Some(v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Pattern::new(p).unwrap().matches(s)
    }

    #[test]
    fn star_and_question_stay_in_a_segment() {
        assert!(m("b/*.csv", "b/x.csv"));
        assert!(!m("b/*.csv", "b/d/x.csv"));
        assert!(m("b/?.txt", "b/a.txt"));
        assert!(!m("b/?.txt", "b/ab.txt"));
        assert!(!m("b?c", "b/c"));
    }

    #[test]
    fn globstar_crosses_segments() {
        assert!(m("b/**/x.csv", "b/x.csv"));
        assert!(m("b/**/x.csv", "b/d/e/x.csv"));
        assert!(m("b/**", "b/d/e/f"));
        assert!(m("b/**.csv", "b/d/e.csv"));
        assert!(!m("b/**/x.csv", "b/dx.csv"));
        assert!(m("pailfs-mem-1-2/**/*.txt", "pailfs-mem-1-2/a/b/c.txt"));
        assert!(m("pailfs-mem-1-2/**/*.txt", "pailfs-mem-1-2/e.txt"));
    }

    #[test]
    fn many_stars_stay_fast() {
        // Found by fuzzing: exponential backtracking before memoisation.
        let p = Pattern::new(&"**/*a".repeat(30)).unwrap();
        assert!(!p.matches(&format!("{}b", "x/".repeat(60))));
    }

    #[test]
    fn classes() {
        assert!(m("b/[ab].txt", "b/a.txt"));
        assert!(!m("b/[!ab].txt", "b/a.txt"));
        assert!(m("b/[0-9]x", "b/7x"));
        assert!(m("b/[]]", "b/]"));
        assert!(Pattern::new("b/[ab").is_err());
    }

    #[test]
    fn prefix_and_depth() {
        let p = Pattern::new("b/dir/*.csv").unwrap();
        assert_eq!(p.literal_prefix(), "b/dir/");
        assert_eq!(p.max_depth(), Some(1));
        assert_eq!(Pattern::new("b/*/x/*").unwrap().max_depth(), Some(3));
        assert_eq!(Pattern::new("b/**/x").unwrap().max_depth(), None);
        assert_eq!(Pattern::new("*").unwrap().literal_prefix(), "");
        assert!(has_magic("a[1]") && !has_magic("plain/key"));
    }
}
