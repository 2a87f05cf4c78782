//! A commit's own ignore files (`.ignore` and `.gitignore`, at the root and in subfolders), matched
//! the way a scan's walk (the `ignore` crate) matches them in a checkout of that commit: a deeper
//! file's rules win over a shallower one's, any `.ignore` match wins over `.gitignore` matches,
//! and a path inside an ignored folder is ignored.

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;
use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The names of ignore files, highest precedence first.
const IGNORE_FILES: [&[u8]; 2] = [b".ignore", b".gitignore"];

/// True when `path` is an ignore file (`.ignore` or `.gitignore` in any folder).
pub fn is_ignore_file(path: &[u8]) -> bool {
    IGNORE_FILES.contains(&file_name(path))
}

fn file_name(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

/// The folder of `path` (`""` for the root).
pub(crate) fn folder(path: &[u8]) -> &[u8] {
    path.iter().rposition(|&b| b == b'/').map_or(&[][..], |at| &path[..at])
}

/// The ignore rules of one tree.
#[derive(Default)]
pub struct IgnoreRules {
    /// By folder (`""` for the root): one matcher per kind of ignore file, in precedence order.
    by_folder: BTreeMap<Vec<u8>, [Option<Gitignore>; 2]>,
}

impl IgnoreRules {
    /// Rules from ignore files given as (path, bytes); other paths are not looked at.
    pub fn build<'a>(files: impl IntoIterator<Item = (&'a [u8], Vec<u8>)>) -> IgnoreRules {
        let mut rules = IgnoreRules::default();
        for (path, bytes) in files {
            let Some(kind) = IGNORE_FILES.iter().position(|name| *name == file_name(path)) else { continue };
            let dir = folder(path);
            let mut builder = GitignoreBuilder::new(Path::new(std::ffi::OsStr::from_bytes(dir)));
            let text = String::from_utf8_lossy(&bytes);
            for line in text.trim_start_matches('\u{feff}').lines() {
                if let Err(error) = builder.add_line(None, line) {
                    tracing::warn!("{}: ignoring the line {line:?}: {error}", String::from_utf8_lossy(path));
                }
            }
            match builder.build() {
                Ok(matcher) => rules.by_folder.entry(dir.to_vec()).or_default()[kind] = Some(matcher),
                Err(error) => tracing::warn!("{}: not used: {error}", String::from_utf8_lossy(path)),
            }
        }
        rules
    }

    /// True when a scan of the tree would not see the file `path`: it or a folder above it is
    /// ignored.
    pub fn is_ignored(&self, path: &[u8]) -> bool {
        if self.by_folder.is_empty() {
            return false;
        }
        let folders = path.iter().enumerate().filter(|(_, &b)| b == b'/').map(|(at, _)| (&path[..at], true));
        folders.chain([(path, false)]).any(|(candidate, is_dir)| self.matches(candidate, is_dir))
    }

    /// Whether the rules of the folders above `candidate` ignore it.
    fn matches(&self, candidate: &[u8], is_dir: bool) -> bool {
        let as_path = Path::new(std::ffi::OsStr::from_bytes(candidate));
        for kind in 0..IGNORE_FILES.len() {
            let mut dir = folder(candidate);
            let found = loop {
                let verdict =
                    self.by_folder.get(dir).and_then(|m| m[kind].as_ref()).map(|m| m.matched(as_path, is_dir));
                match verdict {
                    Some(Match::Ignore(_)) => break Some(true),
                    Some(Match::Whitelist(_)) => break Some(false),
                    _ if dir.is_empty() => break None,
                    _ => dir = folder(dir),
                }
            };
            if let Some(ignored) = found {
                return ignored;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeper_rules_win_and_ignored_folders_hide_their_files() {
        let rules = IgnoreRules::build([
            (&b".gitignore"[..], b"*.js\n/build\n".to_vec()),
            (&b"web/.gitignore"[..], b"!keep.js\nlocal/\n".to_vec()),
        ]);
        assert!(rules.is_ignored(b"app.js"));
        assert!(rules.is_ignored(b"web/app.js"));
        assert!(!rules.is_ignored(b"web/keep.js"));
        assert!(rules.is_ignored(b"build/main.rs"));
        assert!(!rules.is_ignored(b"src/build/main.rs"));
        assert!(rules.is_ignored(b"web/local/x.py"));
        assert!(!rules.is_ignored(b"local/x.py"));
        assert!(!rules.is_ignored(b"src/main.rs"));
    }

    #[test]
    fn ignore_files_win_over_gitignore_files() {
        let rules =
            IgnoreRules::build([(&b"a/.gitignore"[..], b"x.rs\n".to_vec()), (&b".ignore"[..], b"!x.rs\n".to_vec())]);
        assert!(!rules.is_ignored(b"a/x.rs"));
    }
}
