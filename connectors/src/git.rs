//! The `replay` source: a repository's first-parent history, oldest first, as blob changes per
//! commit (gix, with no hooks, filters or worktree: only objects are read).
//!
//! The replayed commits are a branch's whole first-parent chain or, for a range `A..B`, the commits
//! of `B`'s chain after `A` ([`HistorySpec`]). Commit `i` of [`GitHistory::commits`] is time `i`;
//! [`GitHistory::changes`] lists its regular blobs added, modified or deleted against its first
//! parent (a root commit against the empty tree), and [`GitHistory::tree_blobs`] every blob of a
//! commit's tree. Trees, submodules and symbolic links (a link blob is not source) are left out.

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

/// Which commits a replay covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistorySpec {
    /// The whole first-parent history of a branch or other reference (`None`: `HEAD`).
    Branch(Option<String>),
    /// The commits after `from` on the first-parent history of `to` (`from` itself excluded).
    Range {
        /// The commit the range starts after: a branch, tag or commit id.
        from: String,
        /// The commit the range ends at: a branch, tag or commit id.
        to: String,
    },
}

impl std::fmt::Display for HistorySpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HistorySpec::Branch(branch) => f.write_str(branch.as_deref().unwrap_or("HEAD")),
            HistorySpec::Range { from, to } => write!(f, "{from}..{to}"),
        }
    }
}

/// The commits a replay covers, oldest first (index `i` is time `i`), and the commit just before
/// the first (the start of a range; `None` when the first commit is a root commit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitLine {
    /// The commit before the first replayed one.
    pub base: Option<ObjectId>,
    /// The replayed commits, oldest first.
    pub commits: Vec<CommitMeta>,
}

/// The first-parent history of one branch (or range) of an open repository.
pub struct GitHistory {
    repo: gix::Repository,
    line: CommitLine,
}

impl GitHistory {
    /// Opens the repository at `path` (isolated from global configuration) and reads the
    /// first-parent commits that `spec` selects, oldest first. A repository, reference or range
    /// that cannot be used is a [`HistoryRefused`] error.
    pub fn open(path: &Path, spec: &HistorySpec) -> anyhow::Result<GitHistory> {
        let repo = open_tree_reader(path)?;
        let (tip, stop) = match spec {
            HistorySpec::Branch(None) => {
                let head = repo
                    .head_id()
                    .map_err(|e| refused(format!("{}: HEAD does not name a commit: {e}", path.display())))?;
                (head.detach(), None)
            }
            HistorySpec::Branch(Some(name)) => (resolve(&repo, path, name)?, None),
            HistorySpec::Range { from, to } => (resolve(&repo, path, to)?, Some(resolve(&repo, path, from)?)),
        };
        let mut commits = Vec::new();
        let mut next = Some(tip);
        while let Some(id) = next.filter(|id| Some(*id) != stop) {
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
        if let (HistorySpec::Range { from, to }, Some(base)) = (spec, stop) {
            if next != Some(base) {
                return Err(refused(format!(
                    "{from} ({base}) is not on the first-parent history of {to}; write a start commit listed by \
                     `git rev-list --first-parent {to}`"
                )));
            }
            if commits.is_empty() {
                return Err(refused(format!(
                    "the range {from}..{to} holds no commit ({from} and {to} are the same commit); write an \
                     earlier start commit"
                )));
            }
        }
        commits.reverse();
        Ok(GitHistory { repo, line: CommitLine { base: stop, commits } })
    }

    /// The same history read by another thread: opens the repository at `git_dir` again for the
    /// `line` read earlier by [`GitHistory::open`] (a repository handle stays on its thread).
    pub fn reopen(git_dir: &Path, line: CommitLine) -> anyhow::Result<GitHistory> {
        Ok(GitHistory { repo: open_tree_reader(git_dir)?, line })
    }

    /// The commits, oldest first: index `i` is time `i`.
    pub fn commits(&self) -> &[CommitMeta] {
        &self.line.commits
    }

    /// The replayed commits and the commit before them.
    pub fn line(&self) -> &CommitLine {
        &self.line
    }

    /// The git folder, from which a [`GitSource`] reads blobs.
    pub fn git_dir(&self) -> &Path {
        self.repo.git_dir()
    }

    /// The regular-blob changes of commit `i` against its first parent (the range's start for
    /// the first commit of a range, the empty tree for a root commit).
    pub fn changes(&self, i: usize) -> anyhow::Result<Vec<BlobChange>> {
        let parent = if i == 0 { self.line.base } else { Some(self.line.commits[i - 1].id) };
        self.diff(parent, self.line.commits[i].id)
    }

    /// Every regular blob of the tree of `commit`, as an addition.
    pub fn tree_blobs(&self, commit: ObjectId) -> anyhow::Result<Vec<BlobChange>> {
        self.diff(None, commit)
    }

    /// The regular-blob changes from the tree of `old` (`None`: the empty tree) to that of `new`.
    fn diff(&self, old: Option<ObjectId>, new: ObjectId) -> anyhow::Result<Vec<BlobChange>> {
        let tree_of = |commit: ObjectId| -> anyhow::Result<Vec<u8>> {
            let tree = || -> anyhow::Result<Vec<u8>> {
                let id = self.repo.find_commit(commit)?.tree_id()?;
                Ok(self.repo.find_tree(id)?.detach().data)
            };
            tree().with_context(|| format!("reading the tree of commit {commit} (a clone filtered by tree lacks it)"))
        };
        let new_tree = tree_of(new)?;
        let old_tree = old.map(tree_of).transpose()?.unwrap_or_default();
        let mut recorder = gix::diff::tree::Recorder::default();
        let kind = self.repo.object_hash();
        gix::diff::tree(
            gix::objs::TreeRefIter::from_bytes(&old_tree, kind),
            gix::objs::TreeRefIter::from_bytes(&new_tree, kind),
            gix::diff::tree::State::default(),
            &self.repo.objects,
            &mut recorder,
        )
        .map_err(|e| match old {
            Some(old) => anyhow!("diffing commit {new} against commit {old}: {e}"),
            None => anyhow!("reading the tree of commit {new}: {e}"),
        })?;
        Ok(recorder.records.into_iter().filter_map(blob_change).collect())
    }

    /// Reads a blob's bytes (for `.gitignore` files and rename detection).
    pub fn read_blob(&self, id: ContentId) -> anyhow::Result<Vec<u8>> {
        Ok(self.repo.find_blob(object_id(id))?.detach().data)
    }

    /// A blob's size from its object header, without inflating it.
    pub fn blob_size(&self, id: ContentId) -> Result<u64, InputError> {
        self.repo.find_header(object_id(id)).map(|header| header.size()).map_err(|e| missing(&e))
    }
}

/// The commit that `name` (a branch, tag or other reference, or a full or abbreviated commit id)
/// names in `repo`.
fn resolve(repo: &gix::Repository, path: &Path, name: &str) -> anyhow::Result<ObjectId> {
    let unknown = || {
        refused(format!(
            "{}: no branch, tag or commit {name:?}; write a branch or tag name or a commit id \
             (`git log --oneline` lists them)",
            path.display()
        ))
    };
    let id = match repo.try_find_reference(name) {
        Ok(Some(mut reference)) => reference.peel_to_id().with_context(|| format!("resolving {name}"))?.detach(),
        _ => {
            let prefix = gix::hash::Prefix::from_hex(name).map_err(|_| unknown())?;
            match repo.objects.lookup_prefix(prefix, None) {
                Ok(Some(Ok(id))) => id,
                Ok(Some(Err(()))) => {
                    return Err(refused(format!(
                        "{}: the commit id {name:?} is ambiguous; write more of its digits",
                        path.display()
                    )))
                }
                Ok(None) | Err(_) => return Err(unknown()),
            }
        }
    };
    repo.find_commit(id).map_err(|_| refused(format!("{}: {name:?} ({id}) is not a commit", path.display())))?;
    Ok(id)
}

fn open_repo(path: &Path) -> anyhow::Result<gix::Repository> {
    gix::open_opts(path, gix::open::Options::isolated())
        .map_err(|e| refused(format!("{} is not a git repository: {e}", path.display())))
}

/// Bytes of decoded trees a history reader keeps: a commit's trees are the next commit's old trees.
const TREE_CACHE_BYTES: usize = 64 << 20;

/// A repository opened to diff trees commit after commit, keeping the trees it decoded recently.
fn open_tree_reader(path: &Path) -> anyhow::Result<gix::Repository> {
    let mut repo = open_repo(path)?;
    repo.object_cache_size(TREE_CACHE_BYTES);
    Ok(repo)
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
