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
}

impl TreeSource {
    /// A source reading paths relative to `root`.
    pub fn new(root: &Path) -> Self {
        TreeSource { root: root.to_path_buf() }
    }
}

impl ContentSource for TreeSource {
    fn read(&self, path: &[u8], id: ContentId) -> Result<Vec<u8>, InputError> {
        let full = self.root.join(std::ffi::OsStr::from_bytes(path));
        let file = open_regular(&full)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let bytes = read_to_end(file, size)?;
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

/// Reads a whole file, sized by its metadata.
pub fn read_to_end(mut file: File, size_hint: u64) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::with_capacity(size_hint as usize);
    file.read_to_end(&mut bytes).map_err(read_error)?;
    Ok(bytes)
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
