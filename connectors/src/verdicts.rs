//! What a scan starts from for each path of a tree — a file event or an `errors` row — kept in a
//! map that sources watching a tree change (replay, watch) update path by path, each update
//! returned as differences (ARCHITECTURE §2).

use crate::rows::{ErrorRow, PathBytes};
use cpt_operators::model::ContentKey;
use std::collections::BTreeMap;

/// What a scan starts from for one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A source file to analyse.
    File(ContentKey),
    /// A row of the `errors` table (a policy rejection such as `too_large`, an unreadable file).
    Error(ErrorRow),
}

/// One difference of the filtered state: a path's verdict added (`+1`) or retracted (`-1`).
pub type Delta = (PathBytes, Verdict, i64);

/// The verdict of every path that has one, by path (sorted, so that a folder's paths are a range).
#[derive(Debug, Default)]
pub struct Verdicts {
    by_path: BTreeMap<PathBytes, Verdict>,
}

impl Verdicts {
    /// Sets the verdict of `path` (`None`: it has none) and appends the differences to `deltas`:
    /// nothing when the verdict is unchanged, otherwise the old one retracted and the new one added.
    pub fn set(&mut self, path: PathBytes, verdict: Option<Verdict>, deltas: &mut Vec<Delta>) {
        if self.by_path.get(&path) == verdict.as_ref() {
            return;
        }
        if let Some(old) = self.by_path.remove(&path) {
            deltas.push((path.clone(), old, -1));
        }
        if let Some(new) = verdict {
            self.by_path.insert(path.clone(), new.clone());
            deltas.push((path, new, 1));
        }
    }

    /// Every path with its verdict, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&PathBytes, &Verdict)> {
        self.by_path.iter()
    }

    /// Every path with a verdict, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &PathBytes> {
        self.by_path.keys()
    }

    /// The paths with a verdict that are `path` itself or lie under it as a folder (`""`: all).
    pub fn paths_within<'a>(&'a self, path: &'a [u8]) -> impl Iterator<Item = &'a PathBytes> + 'a {
        let itself = self.by_path.get_key_value(path).map(|(key, _)| key).filter(|_| !path.is_empty());
        let start = if path.is_empty() { Vec::new() } else { [path, b"/"].concat() };
        let under =
            self.by_path.range(start.clone()..).map(|(key, _)| key).take_while(move |key| key.starts_with(&start));
        itself.into_iter().chain(under)
    }

    /// How many paths have a verdict.
    pub fn len(&self) -> usize {
        self.by_path.len()
    }

    /// True when no path has a verdict.
    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }
}

impl FromIterator<(PathBytes, Verdict)> for Verdicts {
    fn from_iter<I: IntoIterator<Item = (PathBytes, Verdict)>>(verdicts: I) -> Self {
        Verdicts { by_path: verdicts.into_iter().collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpt_operators::model::{ContentId, Lang};

    fn file(byte: u8) -> Verdict {
        Verdict::File(ContentKey { id: ContentId::of_bytes(&[byte]), lang: Lang::Rust })
    }

    #[test]
    fn setting_a_verdict_yields_only_its_differences() {
        let mut verdicts = Verdicts::default();
        let mut deltas = Vec::new();
        verdicts.set(b"a.rs".to_vec(), Some(file(1)), &mut deltas);
        verdicts.set(b"a.rs".to_vec(), Some(file(1)), &mut deltas);
        assert_eq!(deltas, vec![(b"a.rs".to_vec(), file(1), 1)]);
        deltas.clear();
        verdicts.set(b"a.rs".to_vec(), Some(file(2)), &mut deltas);
        assert_eq!(deltas, vec![(b"a.rs".to_vec(), file(1), -1), (b"a.rs".to_vec(), file(2), 1)]);
        deltas.clear();
        verdicts.set(b"a.rs".to_vec(), None, &mut deltas);
        verdicts.set(b"b.rs".to_vec(), None, &mut deltas);
        assert_eq!(deltas, vec![(b"a.rs".to_vec(), file(2), -1)]);
        assert!(verdicts.is_empty());
    }

    #[test]
    fn paths_within_a_folder_are_the_folder_and_what_lies_under_it() {
        let mut verdicts = Verdicts::default();
        for path in ["src", "src-old/a.rs", "src.rs", "src/a.rs", "src/b/c.rs", "srd/x.rs"] {
            verdicts.set(path.as_bytes().to_vec(), Some(file(0)), &mut Vec::new());
        }
        let within = |path: &str| -> Vec<String> {
            verdicts.paths_within(path.as_bytes()).map(|p| String::from_utf8(p.clone()).unwrap()).collect()
        };
        assert_eq!(within("src"), ["src", "src/a.rs", "src/b/c.rs"]);
        assert_eq!(within("src/b"), ["src/b/c.rs"]);
        assert_eq!(within("src/a.rs"), ["src/a.rs"]);
        assert_eq!(within("nothing"), Vec::<String>::new());
        assert_eq!(within("").len(), 6);
    }
}
