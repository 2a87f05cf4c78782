//! Fingerprints the analysis code: every file under `src/` (path and bytes, in path order) is
//! hashed into `CPT_ANALYSIS_SOURCE`, which [`engine`](src/engine.rs) puts into the engine's
//! identity. Any change to how a content is analysed therefore changes the content cache's key,
//! even when the crate version stays the same.

use std::path::{Path, PathBuf};

fn files_under(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files_under(&path, found);
        } else {
            found.push(path);
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=src");
    let mut files = Vec::new();
    files_under(Path::new("src"), &mut files);
    files.sort();
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    println!("cargo:rustc-env=CPT_ANALYSIS_SOURCE={:016x}", hasher.digest());
}
