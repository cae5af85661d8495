//! Lists paged by cursor. Index and record keys are ordered, so a page is
//! a range scan that starts after the last key the previous page returned;
//! the cursor is that key, opaque to callers (base64url on the wire).
//! A scan may span several prefixes (one per state, say), and may filter
//! what it reads: then it stops after `scan_max` keys even when the page
//! is not full, so no request reads without bound — the cursor says where
//! to go on.

use std::ops::Bound;

use super::error::DbError;

/// Longest cursor accepted on the wire (keys are far shorter).
const CURSOR_CHARS_MAX: usize = 512;

/// Where a paged list stopped: the last key it looked at.
#[derive(Clone, PartialEq, Eq)]
pub struct Cursor(Vec<u8>);

impl std::fmt::Debug for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cursor({})", self.encode())
    }
}

/// A cursor that did not come from this list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the cursor does not belong to this list")]
pub struct CursorError;

impl Cursor {
    pub fn encode(&self) -> String {
        data_encoding::BASE64URL_NOPAD.encode(&self.0)
    }

    /// The key it stands for (lists check its shape).
    pub(super) fn key(&self) -> &[u8] {
        &self.0
    }

    pub fn decode(text: &str) -> Result<Cursor, CursorError> {
        if text.is_empty() || text.len() > CURSOR_CHARS_MAX {
            return Err(CursorError);
        }
        data_encoding::BASE64URL_NOPAD
            .decode(text.as_bytes())
            .map(Cursor)
            .map_err(|_| CursorError)
    }
}

/// One page of a list and where the next one starts (`None`: the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// A range of keys: where it starts and ends.
type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Which way a list runs: oldest key first, or newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

/// What to scan: these prefixes of one tree, in key order.
pub struct Scan<'a> {
    pub tree: &'a sled::Tree,
    pub prefixes: Vec<Vec<u8>>,
    pub direction: Direction,
    pub limit: usize,
    /// Keys read per page at most, kept or not (≥ `limit`).
    pub scan_max: usize,
}

/// The first key after every key that starts with `prefix` (`None`: no
/// such key, the prefix is all `0xff`).
fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

impl Scan<'_> {
    /// Runs the scan from after `cursor`, keeping what `keep` returns.
    /// A cursor under none of the prefixes is refused.
    pub fn run<T>(
        mut self,
        cursor: Option<&Cursor>,
        mut keep: impl FnMut(&[u8], &[u8]) -> Result<Option<T>, DbError>,
    ) -> Result<Result<Page<T>, CursorError>, DbError> {
        if let Some(c) = cursor
            && !self.prefixes.iter().any(|p| c.0.starts_with(p))
        {
            return Ok(Err(CursorError));
        }
        self.prefixes.sort();
        if self.direction == Direction::Descending {
            self.prefixes.reverse();
        }
        let limit = self.limit.max(1);
        let scan_max = self.scan_max.max(limit);
        let mut items = Vec::new();
        let mut scanned = 0usize;
        for prefix in &self.prefixes {
            let Some(range) = self.range(prefix, cursor) else {
                continue;
            };
            let iter = self.tree.range::<Vec<u8>, _>(range);
            let iter: Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>> =
                match self.direction {
                    Direction::Ascending => Box::new(iter),
                    Direction::Descending => Box::new(iter.rev()),
                };
            for item in iter {
                let (key, value) = item?;
                scanned += 1;
                if let Some(kept) = keep(&key, &value)? {
                    items.push(kept);
                }
                if items.len() >= limit || scanned >= scan_max {
                    let next = Some(Cursor(key.to_vec()));
                    return Ok(Ok(Page { items, next }));
                }
            }
        }
        Ok(Ok(Page { items, next: None }))
    }

    /// The part of `prefix`'s keys still to read after `cursor`, if any.
    fn range(&self, prefix: &[u8], cursor: Option<&Cursor>) -> Option<KeyRange> {
        let end = successor(prefix);
        let upper = || end.clone().map_or(Bound::Unbounded, Bound::Excluded);
        let lower = Bound::Included(prefix.to_vec());
        let Some(Cursor(c)) = cursor else {
            return Some((lower, upper()));
        };
        let past_end = end.as_ref().is_some_and(|e| c >= e);
        match self.direction {
            Direction::Ascending if past_end => None,
            Direction::Ascending if c.as_slice() >= prefix => {
                Some((Bound::Excluded(c.clone()), upper()))
            }
            Direction::Ascending => Some((lower, upper())),
            Direction::Descending if c.as_slice() <= prefix => None,
            Direction::Descending if past_end => Some((lower, upper())),
            Direction::Descending => Some((lower, Bound::Excluded(c.clone()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(keys: &[&[u8]]) -> (tempfile::TempDir, sled::Tree) {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        for key in keys {
            tree.insert(key, &[]).unwrap();
        }
        (dir, tree)
    }

    fn all_pages(tree: &sled::Tree, prefixes: &[&[u8]], direction: Direction) -> Vec<Vec<u8>> {
        let mut cursor = None;
        let mut out = Vec::new();
        for _ in 0..100 {
            let scan = Scan {
                tree,
                prefixes: prefixes.iter().map(|p| p.to_vec()).collect(),
                direction,
                limit: 2,
                scan_max: 2,
            };
            let page = scan
                .run(cursor.as_ref(), |k, _| Ok(Some(k.to_vec())))
                .unwrap()
                .unwrap();
            out.extend(page.items);
            match page.next {
                Some(next) => cursor = Some(Cursor::decode(&next.encode()).unwrap()),
                None => return out,
            }
        }
        panic!("the pages never ended");
    }

    #[test]
    fn pages_cover_every_key_once_in_order_across_prefixes() {
        let keys: &[&[u8]] = &[b"a1", b"a2", b"a3", b"b", b"c1", b"c2", b"c\xff", b"d"];
        let (_dir, tree) = tree(keys);
        let up = all_pages(&tree, &[b"c", b"a"], Direction::Ascending);
        assert_eq!(
            up,
            vec![
                b"a1".to_vec(),
                b"a2".into(),
                b"a3".into(),
                b"c1".into(),
                b"c2".into(),
                b"c\xff".into()
            ]
        );
        let down = all_pages(&tree, &[b"a", b"c"], Direction::Descending);
        let mut reversed = up.clone();
        reversed.reverse();
        assert_eq!(down, reversed);
        let everything = all_pages(&tree, &[b""], Direction::Ascending);
        assert_eq!(everything.len(), keys.len());
    }

    #[test]
    fn a_filtered_scan_stops_after_scan_max_and_goes_on_from_there() {
        let (_dir, tree) = tree(&[b"k1", b"k2", b"k3", b"k4", b"k5"]);
        let scan = |cursor: Option<&Cursor>| {
            Scan {
                tree: &tree,
                prefixes: vec![b"k".to_vec()],
                direction: Direction::Ascending,
                limit: 2,
                scan_max: 3,
            }
            .run(cursor, |k, _| Ok((k == b"k5").then(|| k.to_vec())))
            .unwrap()
            .unwrap()
        };
        let first = scan(None);
        assert!(first.items.is_empty());
        let second = scan(first.next.as_ref());
        assert_eq!(second.items, vec![b"k5".to_vec()]);
        assert_eq!(second.next, None);
    }

    #[test]
    fn foreign_and_malformed_cursors_are_refused() {
        let (_dir, tree) = tree(&[b"k1"]);
        let foreign = Cursor(b"other".to_vec());
        let scan = Scan {
            tree: &tree,
            prefixes: vec![b"k".to_vec()],
            direction: Direction::Ascending,
            limit: 1,
            scan_max: 1,
        };
        assert_eq!(
            scan.run(Some(&foreign), |_, _| Ok(Some(()))).unwrap(),
            Err(CursorError)
        );
        for bad in ["", "!!!", "a=b", &"A".repeat(600)] {
            assert_eq!(Cursor::decode(bad), Err(CursorError), "{bad}");
        }
    }
}
