//! Where the content cache lives: the folder `$CPT_CACHE_DIR`, else `$XDG_CACHE_HOME/cpt`, else
//! `~/.cache/cpt`, holding the one file [`CACHE_FILE`].

use std::path::{Path, PathBuf};

/// The cache's file name inside its folder.
pub const CACHE_FILE: &str = "content.redb";

/// The default cache folder, from the environment; `None` when no variable names one.
pub fn default_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from);
    var("CPT_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").filter(|dir| dir.is_absolute()).map(|dir| dir.join("cpt")))
        .or_else(|| var("HOME").map(|home| home.join(".cache").join("cpt")))
}

/// The cache file in the folder `dir`.
pub fn cache_file(dir: &Path) -> PathBuf {
    dir.join(CACHE_FILE)
}
