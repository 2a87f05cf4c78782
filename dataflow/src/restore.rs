//! The state a resumed watch starts from (ARCHITECTURE §6): the verdict of every path at the
//! durable time T — a file event or an `errors` row — rebuilt from the durable `files` and `errors`
//! tables so that, fed at T, it makes the graph hold exactly what the output holds at T.
//!
//! A path with a `files` row held that content; its analysis must be found in the content cache
//! or, failing that, in the file if it still holds those bytes. Every committed row's analysis is
//! committed to the cache first ([`crate::sink::commit_parts`]), so only a run without the cache
//! (or with another one) can miss it, and then the watch cannot resume: it is refused, saying so.
//! The `errors` rows of a content that was analysed are that analysis's own. A path without a
//! `files` row has one `errors` row: a content the analysis rejected (binary, generated, …) when
//! the analysis of its content, found as above, gives that very row — the path then held the
//! content —, otherwise the row itself (a walk's verdict, or a read that failed), which fed as a
//! source error gives the same row. Either way the next walk of the tree judges the path afresh.

use crate::facts::Fact;
use crate::memo::ContentMemo;
use anyhow::bail;
use cpt_connectors::rows::{ErrorRow, PathBytes};
use cpt_connectors::sink::{errors_at, files_at, Manifest, OutputRefused};
use cpt_connectors::verdicts::Verdict;
use cpt_connectors::walk::ScanPolicy;
use cpt_operators::model::{ContentKey, InputError, Lang};
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::path::Path;

/// The verdict of every path at the durable `time` of the output folder `out`, whose manifest
/// is `manifest`, with the analysis of every content it holds in `memo` (looked up on `threads`
/// threads).
pub fn restore_state(
    out: &Path,
    manifest: &Manifest,
    time: u64,
    memo: &ContentMemo,
    policy: &ScanPolicy,
    threads: usize,
) -> anyhow::Result<BTreeMap<PathBytes, Verdict>> {
    let files: BTreeMap<PathBytes, ContentKey> = files_at(out, manifest, time)?.into_iter().collect();
    if let Some((path, key, error)) = first_unavailable(&files, memo, threads) {
        return Err(OutputRefused(format!(
            "cannot resume the watch in {}: {} held content {} at the durable time {time}, and its analysis \
                 is neither in the content cache nor in the file any more ({}: {}); pass --overwrite to start \
                 afresh",
            out.display(),
            String::from_utf8_lossy(path),
            key.id.to_hex(),
            error.reason.name(),
            error.detail
        ))
        .into());
    }
    let mut verdicts: BTreeMap<PathBytes, Verdict> =
        files.iter().map(|(path, key)| (path.clone(), Verdict::File(*key))).collect();
    for row in errors_at(out, manifest, time)? {
        let analysed = files.get(&row.path).map(|key| key.id);
        if analysed.is_some() && analysed == row.content_id {
            continue;
        }
        let verdict = rejected_content(&row, memo, policy).unwrap_or_else(|| Verdict::Error(row.clone()));
        match verdicts.entry(row.path) {
            Entry::Vacant(entry) => {
                entry.insert(verdict);
            }
            Entry::Occupied(entry) => bail!(
                "the output in {} is not consistent at time {time}: {} has a `files` or `errors` row too many; \
                 pass --overwrite to start afresh",
                out.display(),
                String::from_utf8_lossy(entry.key())
            ),
        }
    }
    Ok(verdicts)
}

/// Brings the analysis of every file's content into `memo`, on `threads` threads; the first file
/// whose analysis is found neither in the memo, nor in the content cache, nor in the file, with why.
fn first_unavailable<'a>(
    files: &'a BTreeMap<PathBytes, ContentKey>,
    memo: &ContentMemo,
    threads: usize,
) -> Option<(&'a PathBytes, &'a ContentKey, InputError)> {
    let files: Vec<(&PathBytes, &ContentKey)> = files.iter().collect();
    let chunk = files.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let lookups: Vec<_> = files
            .chunks(chunk)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk.iter().find_map(|&(path, key)| memo.facts(key, path).err().map(|error| (path, key, error)))
                })
            })
            .collect();
        lookups.into_iter().find_map(|lookup| lookup.join().expect("a lookup thread panicked"))
    })
}

/// The file verdict whose analysis rejects its content with exactly the error `row`, if the row is
/// one and that analysis is available. The content is in the language its name gives or, for a
/// name whose text decides (a `.h` header), in C++.
fn rejected_content(row: &ErrorRow, memo: &ContentMemo, policy: &ScanPolicy) -> Option<Verdict> {
    let (id, named) = (row.content_id?, policy.judge_name(&row.path).ok()?);
    let by_text = Lang::text_decides(&row.path).then_some(Lang::Cpp);
    let rejection = Fact::Error(InputError { reason: row.reason, detail: row.detail.clone() });
    [Some(named), by_text].into_iter().flatten().map(|lang| ContentKey { id, lang }).find_map(|key| {
        let facts = memo.facts(&key, &row.path).ok()?;
        (facts.as_slice() == [rejection.clone()]).then_some(Verdict::File(key))
    })
}
