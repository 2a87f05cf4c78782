//! The `scan` source: walks a directory tree and yields, for each file, either a file event
//! (path, content id, language), an error row, or a skip with its reason.
//!
//! Walking honours `.gitignore`/`.ignore` (the `ignore` crate), never follows symbolic links
//! (a link is classified: broken, looping, escaping the root, or a plain in-tree link that is
//! skipped because its target is scanned where it lies), and never opens FIFOs, sockets or
//! devices. Path policies (vendored folders, `*.min.*`, size cap, language filter) are applied
//! here; content policies (binary, generated, minified) belong to the parse stage.
//!
//! Every worker of a job walks the same tree and keeps the entries whose path hashes to it, so
//! the reading and hashing of files is spread over workers without any coordination. A walk can
//! also be restricted to a [`Focus`] (the paths a change touched): it then judges those paths
//! exactly as a walk of the whole tree would, visiting only the folders that lead to them.

use crate::content::{open_regular, read_capped};
use crate::focus::Focus;
use crate::rows::{ErrorRow, PathBytes};
use crate::verdicts::Verdict;
use cpt_operators::model::{ContentId, ContentKey, ErrorReason, Lang};
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Folder names skipped by default as vendored or build output.
pub const VENDOR_DIRS: [&str; 4] = ["node_modules", "vendor", "third_party", "target"];

/// Which files a scan looks at.
#[derive(Clone, Debug)]
pub struct ScanPolicy {
    /// Files larger than this are reported as `too_large` and not read.
    pub max_file_size: u64,
    /// Only these languages; `None` for all.
    pub langs: Option<BTreeSet<Lang>>,
    /// Skip `node_modules/`, `vendor/`, `third_party/`, `target/`.
    pub skip_vendor_dirs: bool,
    /// Report `*.min.*` files as minified without reading them.
    pub skip_minified_names: bool,
}

impl Default for ScanPolicy {
    fn default() -> Self {
        ScanPolicy { max_file_size: 1 << 20, langs: None, skip_vendor_dirs: true, skip_minified_names: true }
    }
}

impl ScanPolicy {
    /// Why an entry named `name` is passed over with everything under it, by its name alone: a
    /// hidden name (a leading dot, `.git` included) or a vendored folder; `None` to walk it.
    pub fn prunes(&self, name: &[u8], is_dir: bool) -> Option<SkipReason> {
        if name.first() == Some(&b'.') {
            Some(SkipReason::Hidden)
        } else if is_dir && self.skip_vendor_dirs && VENDOR_DIRS.iter().any(|v| v.as_bytes() == name) {
            Some(SkipReason::VendorDir)
        } else {
            None
        }
    }

    /// True when a walk never reaches `path` (relative to the root; a folder if `is_dir`) because
    /// of the names along it: a folder above it or the path itself is pruned.
    pub fn passes_over(&self, path: &[u8], is_dir: bool) -> bool {
        if path.is_empty() {
            return false;
        }
        let mut components = path.split(|&b| b == b'/').peekable();
        while let Some(name) = components.next() {
            let last = components.peek().is_none();
            if self.prunes(name, !last || is_dir).is_some() {
                return true;
            }
        }
        false
    }

    /// What the policy makes of the file `path` by its path alone: the language its name gives,
    /// or why not (not source, or left out by `--lang`: skipped; `*.min.*`: a `minified` error).
    /// A `.h` header passes `--lang` when C or C++ is asked for; [`ScanPolicy::judge_text`] then
    /// settles which it is.
    pub fn judge_name(&self, path: &[u8]) -> Result<Lang, WalkItem> {
        let Some(lang) = Lang::from_path(path) else {
            return Err(WalkItem::Skipped { path: path.to_vec(), reason: SkipReason::NotSource });
        };
        let wanted = |lang: Lang| self.langs.as_ref().is_none_or(|langs| langs.contains(&lang));
        let maybe_cpp = Lang::text_decides(path) && wanted(Lang::Cpp);
        if !(wanted(lang) || maybe_cpp) {
            return Err(WalkItem::Skipped { path: path.to_vec(), reason: SkipReason::LanguageFilter });
        }
        if self.skip_minified_names && is_minified_name(path) {
            return Err(error(path.to_vec(), ErrorReason::Minified, "name matches *.min.*".into(), None));
        }
        Ok(lang)
    }

    /// The language of the file `path`, which [`ScanPolicy::judge_name`] let through as `named`,
    /// once its text `bytes` is read ([`Lang::of_text`]: a `.h` header may be C++), or skipped when
    /// `--lang` leaves that language out.
    pub fn judge_text(&self, path: &[u8], named: Lang, bytes: &[u8]) -> Result<Lang, WalkItem> {
        self.judge_language(path, named.of_text(path, bytes))
    }

    /// `lang`, the language of the file `path`, or skipped when `--lang` leaves it out.
    pub fn judge_language(&self, path: &[u8], lang: Lang) -> Result<Lang, WalkItem> {
        match self.langs.as_ref().is_some_and(|langs| !langs.contains(&lang)) {
            true => Err(WalkItem::Skipped { path: path.to_vec(), reason: SkipReason::LanguageFilter }),
            false => Ok(lang),
        }
    }
}

/// Why a file or folder was passed over without being an error.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum SkipReason {
    /// A vendored or build-output folder (`node_modules/`, …), skipped whole.
    VendorDir,
    /// A hidden file or folder (name starting with a dot; `.git` is not even counted).
    Hidden,
    /// Not in a language cpt parses.
    NotSource,
    /// In a language left out by `--lang`.
    LanguageFilter,
    /// A symbolic link inside the root: its target is scanned where it lies.
    Symlink,
}

impl SkipReason {
    /// The name printed in summaries.
    pub fn name(self) -> &'static str {
        match self {
            SkipReason::VendorDir => "vendor_dir",
            SkipReason::Hidden => "hidden",
            SkipReason::NotSource => "not_source",
            SkipReason::LanguageFilter => "language_filter",
            SkipReason::Symlink => "symlink",
        }
    }
}

/// One thing the walk found.
#[derive(Clone, Debug)]
pub enum WalkItem {
    /// A readable source file.
    File {
        /// Path relative to the root.
        path: PathBytes,
        /// Content id and language.
        key: ContentKey,
        /// Size in bytes.
        bytes: u64,
    },
    /// An input that could not be taken (it goes to the `errors` table).
    Error(ErrorRow),
    /// An entry passed over by policy.
    Skipped {
        /// Path relative to the root.
        path: PathBytes,
        /// Why.
        reason: SkipReason,
    },
}

impl WalkItem {
    /// The verdict of a file or an error row, with its path; a skipped entry's path and reason.
    pub fn into_verdict(self) -> Result<(PathBytes, Verdict), (PathBytes, SkipReason)> {
        match self {
            WalkItem::File { path, key, .. } => Ok((path, Verdict::File(key))),
            WalkItem::Error(row) => Ok((row.path.clone(), Verdict::Error(row))),
            WalkItem::Skipped { path, reason } => Err((path, reason)),
        }
    }
}

/// A walk over one tree, yielding the share of entries that belongs to one worker.
pub struct TreeWalk {
    root: PathBuf,
    root_canonical: PathBuf,
    policy: ScanPolicy,
    walk: ignore::Walk,
    pruned: Arc<Mutex<Vec<(SkipReason, PathBuf)>>>,
    share: (u64, u64),
    pending: Vec<WalkItem>,
}

impl TreeWalk {
    /// Starts walking `root`; this walker yields the entries whose path hash modulo `peers`
    /// is `index`.
    pub fn new(root: &Path, policy: ScanPolicy, index: usize, peers: usize) -> io::Result<TreeWalk> {
        TreeWalk::start(root, policy, None, (index as u64, peers.max(1) as u64))
    }

    /// Starts walking only what `focus` covers (all of it, in one share), entering just the
    /// folders that lead there: each entry is judged as a walk of the whole tree judges it.
    pub fn focused(root: &Path, policy: ScanPolicy, focus: Arc<Focus>) -> io::Result<TreeWalk> {
        TreeWalk::start(root, policy, Some(focus), (0, 1))
    }

    fn start(root: &Path, policy: ScanPolicy, focus: Option<Arc<Focus>>, share: (u64, u64)) -> io::Result<TreeWalk> {
        let root_canonical = fs::canonicalize(root)?;
        if !root_canonical.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{} is not a directory", root.display())));
        }
        let pruned = Arc::new(Mutex::new(Vec::new()));
        let mut builder = ignore::WalkBuilder::new(root);
        // Only ignore files inside the root count: no global or repository-wide excludes and no
        // ignore files above the root, so that a tree scans the same on every machine.
        builder
            .follow_links(false)
            .require_git(false)
            .hidden(false)
            .parents(false)
            .git_global(false)
            .git_exclude(false)
            .sort_by_file_name(|a, b| a.cmp(b));
        let record = Arc::clone(&pruned);
        let filter_policy = policy.clone();
        let filter_root = root.to_path_buf();
        builder.filter_entry(move |entry| {
            if entry.depth() == 0 {
                return true;
            }
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if focus.as_ref().is_some_and(|focus| !focus.admits(relative_to(&filter_root, entry.path()), is_dir)) {
                return false;
            }
            let name = entry.file_name().as_bytes();
            let Some(reason) = filter_policy.prunes(name, is_dir) else { return true };
            if name != b".git" {
                record.lock().expect("pruned list").push((reason, entry.path().to_path_buf()));
            }
            false
        });
        Ok(TreeWalk {
            root: root.to_path_buf(),
            root_canonical,
            policy,
            walk: builder.build(),
            pruned,
            share,
            pending: Vec::new(),
        })
    }

    fn relative(&self, path: &Path) -> PathBytes {
        relative_to(&self.root, path).to_vec()
    }

    fn is_mine(&self, relative: &[u8]) -> bool {
        xxhash_rust::xxh3::xxh3_64(relative) % self.share.1 == self.share.0
    }

    fn drain_pruned(&mut self) {
        let pruned = std::mem::take(&mut *self.pruned.lock().expect("pruned list"));
        for (reason, full) in pruned {
            let path = self.relative(&full);
            if self.is_mine(&path) {
                self.pending.push(WalkItem::Skipped { path, reason });
            }
        }
    }

    fn classify(&self, entry: &ignore::DirEntry, path: PathBytes) -> Option<WalkItem> {
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            return None;
        }
        if file_type.is_symlink() {
            return Some(self.classify_symlink(entry.path(), path));
        }
        if file_type.is_fifo() || file_type.is_socket() || file_type.is_block_device() || file_type.is_char_device() {
            let what = if file_type.is_fifo() {
                "FIFO"
            } else if file_type.is_socket() {
                "socket"
            } else {
                "device"
            };
            return Some(error(path, ErrorReason::NotRegularFile, format!("{what}: never opened"), None));
        }
        match self.policy.judge_name(&path) {
            Ok(lang) => Some(self.read(entry.path(), path, lang)),
            Err(passed) => Some(passed),
        }
    }

    fn read(&self, full: &Path, path: PathBytes, lang: Lang) -> WalkItem {
        let file = match open_regular(full) {
            Ok(file) => file,
            Err(e) => return error(path, e.reason, e.detail, None),
        };
        match read_capped(file, self.policy.max_file_size) {
            Ok(bytes) => match self.policy.judge_text(&path, lang, &bytes) {
                Ok(lang) => WalkItem::File {
                    key: ContentKey { id: ContentId::of_bytes(&bytes), lang },
                    bytes: bytes.len() as u64,
                    path,
                },
                Err(skipped) => skipped,
            },
            Err(e) => error(path, e.reason, e.detail, None),
        }
    }

    fn classify_symlink(&self, full: &Path, path: PathBytes) -> WalkItem {
        match fs::canonicalize(full) {
            Ok(target) if target.starts_with(&self.root_canonical) => {
                WalkItem::Skipped { path, reason: SkipReason::Symlink }
            }
            Ok(target) => error(
                path,
                ErrorReason::SymlinkEscapesRoot,
                format!("points to {}, outside the scanned root: not followed", target.display()),
                None,
            ),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                error(path, ErrorReason::SymlinkLoop, format!("symbolic link loop: {e}"), None)
            }
            Err(e) => {
                let target = fs::read_link(full).map(|t| t.display().to_string()).unwrap_or_default();
                error(path, ErrorReason::BrokenSymlink, format!("target {target:?} does not resolve: {e}"), None)
            }
        }
    }

    fn walk_error(&self, err: ignore::Error) -> Option<WalkItem> {
        let path = walk_error_path(&err).map(|p| self.relative(p)).unwrap_or_default();
        if !self.is_mine(&path) {
            return None;
        }
        let reason = if is_loop(&err) { ErrorReason::SymlinkLoop } else { ErrorReason::Unreadable };
        Some(error(path, reason, err.to_string(), None))
    }
}

impl Iterator for TreeWalk {
    type Item = WalkItem;

    fn next(&mut self) -> Option<WalkItem> {
        loop {
            if let Some(item) = self.pending.pop() {
                return Some(item);
            }
            let next = self.walk.next();
            self.drain_pruned();
            let Some(next) = next else {
                return self.pending.pop();
            };
            match next {
                Ok(entry) => {
                    let path = self.relative(entry.path());
                    if !self.is_mine(&path) {
                        continue;
                    }
                    if let Some(item) = self.classify(&entry, path) {
                        self.pending.push(item);
                    }
                }
                Err(err) => {
                    if let Some(item) = self.walk_error(err) {
                        self.pending.push(item);
                    }
                }
            }
        }
    }
}

/// `path` relative to `root`, as bytes.
fn relative_to<'a>(root: &Path, path: &'a Path) -> &'a [u8] {
    path.strip_prefix(root).unwrap_or(path).as_os_str().as_bytes()
}

fn walk_error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => walk_error_path(err),
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        _ => false,
    }
}

fn error(path: PathBytes, reason: ErrorReason, detail: String, content_id: Option<ContentId>) -> WalkItem {
    WalkItem::Error(ErrorRow { path, reason, detail, content_id })
}

/// True for names like `app.min.js` or `style.min.css`.
pub fn is_minified_name(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    name.windows(5).any(|w| w == b".min.")
}
