//! Rename detection within one commit, so that a renamed file keeps its units' lineage
//! (ARCHITECTURE §3).
//!
//! Among the source files a commit deletes and the ones it adds, exact renames (the same blob) are
//! paired first; then renames with edits: pairs in the same language whose contents share at least
//! [`MIN_SIMILARITY`] percent, measured like git does, as the bytes of the lines both contents hold
//! (lines taken as multisets) over the larger content's size. Pairs are taken best score first,
//! each path at most once. The search for renames with edits is bounded: a commit with more than
//! [`MAX_CANDIDATE_PAIRS`] candidate pairs is not searched, and the result says so.

use crate::rows::PathBytes;
use cpt_operators::model::{ContentId, ContentKey};
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// The least similarity, in percent, of a rename with edits (git's default too).
pub const MIN_SIMILARITY: u32 = 50;

/// The most candidate pairs (a deleted and an added file of the same language, all languages
/// together) whose similarity one commit may ask for.
pub const MAX_CANDIDATE_PAIRS: usize = 1_000_000;

/// A source file that a commit deleted or added: its path and content.
pub type SourceFile = (PathBytes, ContentKey);

/// One detected rename.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rename {
    /// The path before.
    pub old_path: PathBytes,
    /// The content before.
    pub old: ContentKey,
    /// The path after.
    pub new_path: PathBytes,
    /// The content after.
    pub new: ContentKey,
    /// Shared content in percent: 100 for the same blob.
    pub similarity: u32,
}

/// The renames of one commit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Renames {
    /// The pairs, sorted by old path.
    pub pairs: Vec<Rename>,
    /// True when renames with edits were not searched (too many candidate pairs).
    pub similarity_skipped: bool,
}

/// Pairs `deleted` with `added` files; `read` gives a content's bytes (`None`: unreadable, which
/// rules the content out of renames with edits).
pub fn detect_renames(
    deleted: Vec<SourceFile>,
    added: Vec<SourceFile>,
    read: impl Fn(ContentId) -> Option<Vec<u8>>,
) -> Renames {
    detect_bounded(deleted, added, read, MAX_CANDIDATE_PAIRS)
}

fn detect_bounded(
    mut deleted: Vec<SourceFile>,
    mut added: Vec<SourceFile>,
    read: impl Fn(ContentId) -> Option<Vec<u8>>,
    max_candidate_pairs: usize,
) -> Renames {
    deleted.sort();
    added.sort();
    let mut renames = Renames::default();
    let (mut deleted_left, mut added_left) = (vec![true; deleted.len()], vec![true; added.len()]);
    let mut by_blob: HashMap<ContentId, VecDeque<usize>> = HashMap::new();
    for (d, (_, key)) in deleted.iter().enumerate() {
        by_blob.entry(key.id).or_default().push_back(d);
    }
    for (a, (_, key)) in added.iter().enumerate() {
        if let Some(d) = by_blob.get_mut(&key.id).and_then(VecDeque::pop_front) {
            (deleted_left[d], added_left[a]) = (false, false);
            renames.pairs.push(rename(&deleted[d], &added[a], 100));
        }
    }
    let mut by_lang: BTreeMap<_, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for d in (0..deleted.len()).filter(|&d| deleted_left[d]) {
        by_lang.entry(deleted[d].1.lang).or_default().0.push(d);
    }
    for a in (0..added.len()).filter(|&a| added_left[a]) {
        by_lang.entry(added[a].1.lang).or_default().1.push(a);
    }
    let candidate_pairs: usize = by_lang.values().map(|(d, a)| d.len() * a.len()).sum();
    if candidate_pairs > max_candidate_pairs {
        renames.similarity_skipped = true;
    } else if candidate_pairs > 0 {
        let signature = |file: &SourceFile| read(file.1.id).map(|bytes| LineSignature::of(&bytes));
        let mut scored = Vec::new();
        for (lang_deleted, lang_added) in by_lang.values().filter(|(d, a)| !d.is_empty() && !a.is_empty()) {
            let olds: Vec<_> = lang_deleted.iter().map(|&d| (d, signature(&deleted[d]))).collect();
            let news: Vec<_> = lang_added.iter().map(|&a| (a, signature(&added[a]))).collect();
            for (d, old) in olds.iter().filter_map(|(d, s)| Some((*d, s.as_ref()?))) {
                for (a, new) in news.iter().filter_map(|(a, s)| Some((*a, s.as_ref()?))) {
                    if let Some(score) = old.similarity(new).filter(|&score| score >= MIN_SIMILARITY) {
                        scored.push((Reverse(score), d, a));
                    }
                }
            }
        }
        scored.sort();
        for (Reverse(score), d, a) in scored {
            if deleted_left[d] && added_left[a] {
                (deleted_left[d], added_left[a]) = (false, false);
                renames.pairs.push(rename(&deleted[d], &added[a], score));
            }
        }
    }
    renames.pairs.sort_by(|x, y| (&x.old_path, &x.new_path).cmp(&(&y.old_path, &y.new_path)));
    renames
}

fn rename(old: &SourceFile, new: &SourceFile, similarity: u32) -> Rename {
    Rename { old_path: old.0.clone(), old: old.1, new_path: new.0.clone(), new: new.1, similarity }
}

/// A content's lines as a sorted multiset of (hash, length), and its size.
struct LineSignature {
    lines: Vec<(u64, u64)>,
    bytes: u64,
}

impl LineSignature {
    fn of(bytes: &[u8]) -> LineSignature {
        let mut lines: Vec<(u64, u64)> = bytes
            .split_inclusive(|&b| b == b'\n')
            .map(|line| (xxhash_rust::xxh3::xxh3_64(line), line.len() as u64))
            .collect();
        lines.sort_unstable();
        LineSignature { lines, bytes: bytes.len() as u64 }
    }

    /// Bytes of the lines both hold over the larger size, in percent; `None` when the sizes
    /// alone rule out [`MIN_SIMILARITY`] (or both are empty).
    fn similarity(&self, other: &LineSignature) -> Option<u32> {
        let (small, large) = (self.bytes.min(other.bytes), self.bytes.max(other.bytes));
        if large == 0 || small * 100 < large * u64::from(MIN_SIMILARITY) {
            return None;
        }
        let (mut i, mut j, mut shared) = (0, 0, 0u64);
        while i < self.lines.len() && j < other.lines.len() {
            match self.lines[i].cmp(&other.lines[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    shared += self.lines[i].1;
                    (i, j) = (i + 1, j + 1);
                }
            }
        }
        Some((shared * 100 / large) as u32)
    }
}

#[cfg(test)]
mod tests {
    //! On real files: this crate's own sources.

    use super::*;
    use cpt_operators::model::Lang;

    const GIT: &[u8] = include_bytes!("git.rs");
    const TREE_STATE: &[u8] = include_bytes!("tree_state.rs");
    const WALK: &[u8] = include_bytes!("walk.rs");

    fn file(path: &str, bytes: &[u8], lang: Lang) -> SourceFile {
        (path.as_bytes().to_vec(), ContentKey { id: ContentId::of_bytes(bytes), lang })
    }

    /// `GIT` with every tenth line removed.
    fn edited() -> Vec<u8> {
        GIT.split_inclusive(|&b| b == b'\n')
            .enumerate()
            .filter(|(n, _)| n % 10 != 0)
            .flat_map(|(_, l)| l)
            .copied()
            .collect()
    }

    fn reader(contents: Vec<Vec<u8>>) -> impl Fn(ContentId) -> Option<Vec<u8>> {
        move |id| contents.iter().find(|bytes| ContentId::of_bytes(bytes) == id).cloned()
    }

    #[test]
    fn exact_renames_pair_by_blob_then_edited_ones_by_shared_lines() {
        let edited = edited();
        let deleted = vec![file("a/git.rs", GIT, Lang::Rust), file("a/tree_state.rs", TREE_STATE, Lang::Rust)];
        let added = vec![file("b/tree_state.rs", TREE_STATE, Lang::Rust), file("b/git.rs", &edited, Lang::Rust)];
        let renames = detect_renames(deleted, added, reader(vec![GIT.to_vec(), TREE_STATE.to_vec(), edited.clone()]));
        assert!(!renames.similarity_skipped);
        let pairs: Vec<(&[u8], &[u8], u32)> =
            renames.pairs.iter().map(|r| (r.old_path.as_slice(), r.new_path.as_slice(), r.similarity)).collect();
        let expected_similarity = (edited.len() * 100 / GIT.len()) as u32;
        assert!((80..100).contains(&expected_similarity));
        assert_eq!(
            pairs,
            vec![
                (&b"a/git.rs"[..], &b"b/git.rs"[..], expected_similarity),
                (&b"a/tree_state.rs"[..], &b"b/tree_state.rs"[..], 100)
            ]
        );
    }

    #[test]
    fn unrelated_contents_and_other_languages_are_not_renames() {
        let deleted = vec![file("git.rs", GIT, Lang::Rust), file("walk.rs", WALK, Lang::Rust)];
        let added = vec![file("tree_state.rs", TREE_STATE, Lang::Rust), file("walk.c", WALK, Lang::C)];
        let renames = detect_renames(deleted, added, reader(vec![GIT.to_vec(), TREE_STATE.to_vec(), WALK.to_vec()]));
        // walk.rs → walk.c is the same blob: an exact rename whatever the language.
        assert_eq!(renames.pairs.len(), 1);
        assert_eq!(
            (renames.pairs[0].old_path.as_slice(), renames.pairs[0].new_path.as_slice()),
            (&b"walk.rs"[..], &b"walk.c"[..])
        );
        let edited = edited();
        let renames = detect_renames(
            vec![file("git.rs", GIT, Lang::Rust)],
            vec![file("git.c", &edited, Lang::C)],
            reader(vec![GIT.to_vec(), edited.clone()]),
        );
        assert!(renames.pairs.is_empty(), "an edited file in another language is no rename");
    }

    #[test]
    fn each_path_is_paired_once_best_score_first() {
        let edited = edited();
        let deleted = vec![file("old.rs", GIT, Lang::Rust)];
        let added =
            vec![file("copy1.rs", &edited, Lang::Rust), file("copy2.rs", &GIT[..GIT.len() * 3 / 5], Lang::Rust)];
        let renames =
            detect_renames(deleted, added, reader(vec![GIT.to_vec(), edited, GIT[..GIT.len() * 3 / 5].to_vec()]));
        assert_eq!(renames.pairs.len(), 1);
        assert_eq!(renames.pairs[0].new_path, b"copy1.rs");
    }

    #[test]
    fn too_many_candidate_pairs_skip_the_search_and_say_so() {
        let edited = edited();
        let files = || (vec![file("old.rs", GIT, Lang::Rust)], vec![file("new.rs", &edited, Lang::Rust)]);
        let read = || reader(vec![GIT.to_vec(), edited.clone()]);
        let (deleted, added) = files();
        assert_eq!(detect_bounded(deleted, added, read(), 1).pairs.len(), 1);
        let (deleted, added) = files();
        let skipped = detect_bounded(deleted, added, read(), 0);
        assert!(skipped.similarity_skipped && skipped.pairs.is_empty());
    }

    #[test]
    fn unreadable_contents_take_no_part_in_renames_with_edits() {
        let edited = edited();
        let renames = detect_renames(
            vec![file("old.rs", GIT, Lang::Rust)],
            vec![file("new.rs", &edited, Lang::Rust)],
            reader(vec![edited.clone()]),
        );
        assert!(renames.pairs.is_empty() && !renames.similarity_skipped);
    }
}
