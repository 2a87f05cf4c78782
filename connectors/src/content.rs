//! Where the parse stage gets bytes from: a [`ContentSource`] turns (path, content id) back into
//! the bytes the id names. File bytes never travel through the dataflow; each process reads them
//! from its own copy of the tree (or, for a replayed history, its own repository).

use cpt_operators::model::{ContentId, ErrorReason, InputError};
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Reads the bytes of a content by the path it was seen at.
pub trait ContentSource: Send + Sync {
    /// The bytes whose content id is `id`, read from `path`; an error when they cannot be read
    /// or are no longer the bytes `id` names.
    fn read(&self, path: &[u8], id: ContentId) -> Result<Vec<u8>, InputError>;
}

/// Reads contents from files under a root folder.
#[derive(Clone, Debug)]
pub struct TreeSource {
    root: PathBuf,
    max_file_size: u64,
}

impl TreeSource {
    /// A source reading paths relative to `root`, refusing files over `max_file_size` bytes.
    pub fn new(root: &Path, max_file_size: u64) -> Self {
        TreeSource { root: root.to_path_buf(), max_file_size }
    }
}

impl ContentSource for TreeSource {
    fn read(&self, path: &[u8], id: ContentId) -> Result<Vec<u8>, InputError> {
        let full = self.root.join(std::ffi::OsStr::from_bytes(path));
        let bytes = read_capped(open_regular(&full)?, self.max_file_size)?;
        if ContentId::of_bytes(&bytes) != id {
            return Err(InputError {
                reason: ErrorReason::ChangedDuringScan,
                detail: "the file's bytes changed between hashing and parsing".into(),
            });
        }
        Ok(bytes)
    }
}

/// Opens a path for reading only if it is a regular file: never follows a final symbolic link and
/// never blocks on a FIFO that replaced the file after the walk saw it.
pub fn open_regular(path: &Path) -> Result<File, InputError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(open_error)?;
    let meta = file.metadata().map_err(read_error)?;
    if !meta.is_file() {
        return Err(InputError {
            reason: ErrorReason::NotRegularFile,
            detail: "not a regular file when opened".into(),
        });
    }
    Ok(file)
}

/// Reads a whole file of at most `limit` bytes; a larger one is `TooLarge`, whatever its
/// metadata said when the walk saw it.
pub fn read_capped(file: File, limit: u64) -> Result<Vec<u8>, InputError> {
    let size = file.metadata().map_err(read_error)?.len();
    if size > limit {
        return Err(too_large(size, limit));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(read_error)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64, limit));
    }
    Ok(bytes)
}

/// The error of a content of `size` bytes over the `limit` of `--max-file-size`.
pub fn too_large(size: u64, limit: u64) -> InputError {
    InputError {
        reason: ErrorReason::TooLarge,
        detail: format!("{size} bytes, over the limit of {limit} (--max-file-size)"),
    }
}

fn open_error(e: io::Error) -> InputError {
    let reason = match e.raw_os_error() {
        Some(libc::ENOENT) => ErrorReason::Vanished,
        _ => ErrorReason::Unreadable,
    };
    InputError { reason, detail: e.to_string() }
}

fn read_error(e: io::Error) -> InputError {
    InputError { reason: ErrorReason::Unreadable, detail: e.to_string() }
}
