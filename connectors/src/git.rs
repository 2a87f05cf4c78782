//! The `replay` source: a repository's first-parent history, oldest first, as blob changes per
//! commit (gix, with no hooks, filters or worktree: only objects are read).
//!
//! Commit `i` of [`GitHistory::commits`] is time `i`; [`GitHistory::changes`] lists its regular
//! blobs added, modified or deleted against its first parent (a root commit against the empty
//! tree). Trees, submodules and symbolic links (a link blob is not source) are left out.

use crate::content::{too_large, ContentSource};
use crate::rows::PathBytes;
use anyhow::{anyhow, Context};
use cpt_operators::model::{ContentId, ErrorReason, InputError};
use gix::diff::tree::recorder::Change;
use gix::objs::tree::EntryMode;
use gix::ObjectId;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Why a history cannot be read at all: a usage error (the command line must change).
#[derive(Debug)]
pub struct HistoryRefused(pub String);

impl std::fmt::Display for HistoryRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HistoryRefused {}

/// What the `commits` table records of a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitMeta {
    /// The commit id.
    pub id: ObjectId,
    /// Author time, seconds since the epoch.
    pub author_time: i64,
    /// Author name.
    pub author: String,
    /// The subject (first paragraph of the message, on one line).
    pub subject: String,
}

/// One path whose regular blob changed in a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobChange {
    /// Path relative to the repository root.
    pub path: PathBytes,
    /// The blob before (`None`: no regular blob there).
    pub old: Option<ContentId>,
    /// The blob after (`None`: no regular blob there any more).
    pub new: Option<ContentId>,
}

/// The first-parent history of one branch of an open repository.
pub struct GitHistory {
    repo: gix::Repository,
    commits: Vec<CommitMeta>,
}

impl GitHistory {
    /// Opens the repository at `path` (isolated from global configuration) and reads the
    /// first-parent chain of `branch` (default `HEAD`), oldest first.
    pub fn open(path: &Path, branch: Option<&str>) -> anyhow::Result<GitHistory> {
        let repo = open_repo(path)?;
        let tip = match branch {
            None => {
                repo.head_id().map_err(|e| refused(format!("{}: HEAD does not name a commit: {e}", path.display())))?
            }
            Some(name) => repo
                .find_reference(name)
                .map_err(|e| refused(format!("{}: no branch or reference {name:?}: {e}", path.display())))?
                .peel_to_id()
                .with_context(|| format!("resolving {name}"))?,
        }
        .detach();
        let mut commits = Vec::new();
        let mut next = Some(tip);
        while let Some(id) = next {
            let commit = repo.find_commit(id).with_context(|| format!("reading commit {id}"))?;
            let author = commit.author().with_context(|| format!("author of commit {id}"))?;
            let message = commit.message().with_context(|| format!("message of commit {id}"))?;
            commits.push(CommitMeta {
                id,
                author_time: author.seconds(),
                author: author.name.to_string(),
                subject: message.summary().to_string(),
            });
            next = commit.parent_ids().next().map(|parent| parent.detach());
        }
        commits.reverse();
        Ok(GitHistory { repo, commits })
    }

    /// The same history read by another thread: opens the repository at `git_dir` again for
    /// `commits` read earlier by [`GitHistory::open`] (a repository handle stays on its thread).
    pub fn reopen(git_dir: &Path, commits: Vec<CommitMeta>) -> anyhow::Result<GitHistory> {
        Ok(GitHistory { repo: open_repo(git_dir)?, commits })
    }

    /// The commits, oldest first: index `i` is time `i`.
    pub fn commits(&self) -> &[CommitMeta] {
        &self.commits
    }

    /// The git folder, from which a [`GitSource`] reads blobs.
    pub fn git_dir(&self) -> &Path {
        self.repo.git_dir()
    }

    /// The regular-blob changes of commit `i` against its first parent.
    pub fn changes(&self, i: usize) -> anyhow::Result<Vec<BlobChange>> {
        let tree_of = |index: usize| -> anyhow::Result<Vec<u8>> {
            let id = self.repo.find_commit(self.commits[index].id)?.tree_id()?;
            Ok(self.repo.find_tree(id)?.detach().data)
        };
        let new = tree_of(i)?;
        let old = if i == 0 { Vec::new() } else { tree_of(i - 1)? };
        let mut recorder = gix::diff::tree::Recorder::default();
        let kind = self.repo.object_hash();
        gix::diff::tree(
            gix::objs::TreeRefIter::from_bytes(&old, kind),
            gix::objs::TreeRefIter::from_bytes(&new, kind),
            gix::diff::tree::State::default(),
            &self.repo.objects,
            &mut recorder,
        )
        .map_err(|e| anyhow!("diffing commit {} against its parent: {e}", self.commits[i].id))?;
        Ok(recorder.records.into_iter().filter_map(blob_change).collect())
    }

    /// Reads a blob's bytes (for `.gitignore` files).
    pub fn read_blob(&self, id: ContentId) -> anyhow::Result<Vec<u8>> {
        Ok(self.repo.find_blob(object_id(id))?.detach().data)
    }

    /// A blob's size from its object header, without inflating it.
    pub fn blob_size(&self, id: ContentId) -> Result<u64, InputError> {
        self.repo.find_header(object_id(id)).map(|header| header.size()).map_err(|e| missing(&e))
    }
}

fn open_repo(path: &Path) -> anyhow::Result<gix::Repository> {
    gix::open_opts(path, gix::open::Options::isolated())
        .map_err(|e| refused(format!("{} is not a git repository: {e}", path.display())))
}

fn refused(message: String) -> anyhow::Error {
    HistoryRefused(message).into()
}

fn is_regular_blob(mode: EntryMode) -> bool {
    mode.is_blob() && !mode.is_link()
}

fn blob_change(change: Change) -> Option<BlobChange> {
    let blob = |mode: EntryMode, oid: ObjectId| is_regular_blob(mode).then(|| ContentId(content_bytes(oid)));
    let (path, old, new) = match change {
        Change::Addition { entry_mode, oid, path, .. } => (path, None, blob(entry_mode, oid)),
        Change::Deletion { entry_mode, oid, path, .. } => (path, blob(entry_mode, oid), None),
        Change::Modification { previous_entry_mode, previous_oid, entry_mode, oid, path } => {
            (path, blob(previous_entry_mode, previous_oid), blob(entry_mode, oid))
        }
    };
    (old != new).then(|| BlobChange { path: path.into(), old, new })
}

fn content_bytes(oid: ObjectId) -> [u8; 20] {
    oid.as_slice().try_into().expect("SHA-1 object ids are 20 bytes")
}

fn object_id(id: ContentId) -> ObjectId {
    ObjectId::from_bytes_or_panic(&id.0)
}

fn missing(error: &dyn std::fmt::Display) -> InputError {
    InputError {
        reason: ErrorReason::Unreadable,
        detail: format!("object missing from the repository (partial clone?): {error}"),
    }
}

thread_local! {
    /// Repositories opened by this thread, by git folder (a `gix::Repository` is not shared
    /// between threads).
    static REPOS: RefCell<HashMap<PathBuf, gix::Repository>> = RefCell::new(HashMap::new());
}

/// Reads contents by blob id from a repository's object database.
#[derive(Clone, Debug)]
pub struct GitSource {
    git_dir: PathBuf,
    max_file_size: u64,
}

impl GitSource {
    /// A source reading blobs of the repository at `git_dir`, refusing blobs over
    /// `max_file_size` bytes.
    pub fn new(git_dir: &Path, max_file_size: u64) -> Self {
        GitSource { git_dir: git_dir.to_path_buf(), max_file_size }
    }

    fn read_blob(&self, repo: &gix::Repository, id: ContentId) -> Result<Vec<u8>, InputError> {
        let id = object_id(id);
        let size = repo.find_header(id).map_err(|e| missing(&e))?.size();
        if size > self.max_file_size {
            return Err(too_large(size, self.max_file_size));
        }
        Ok(repo.find_blob(id).map_err(|e| missing(&e))?.detach().data)
    }
}

impl ContentSource for GitSource {
    fn read(&self, _path: &[u8], id: ContentId) -> Result<Vec<u8>, InputError> {
        REPOS.with(|repos| {
            let mut repos = repos.borrow_mut();
            if !repos.contains_key(&self.git_dir) {
                let repo = open_repo(&self.git_dir).map_err(|e| InputError {
                    reason: ErrorReason::Unreadable,
                    detail: format!("opening the repository: {e:#}"),
                })?;
                repos.insert(self.git_dir.clone(), repo);
            }
            self.read_blob(&repos[&self.git_dir], id)
        })
    }
}
