//! Opening the cache file. redb commits are atomic and durable, and every open verifies the
//! checksums of the committed pages, so a file damaged outside redb is refused here instead of
//! misleading a run later. A file that can be opened for reading and writing but is not a sound
//! cache is moved aside to `content.redb.corrupt` (replacing an earlier one) and a new cache is
//! started in its place; a file held by another process (redb admits one writer) is left alone.

use super::namespace::NAMESPACES;
use redb::{Builder, Database};
use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Memory for redb's page cache: each entry is read about once per run, so little is needed.
const PAGE_CACHE_BYTES: usize = 32 << 20;

/// Why a cache file could not be opened.
#[derive(Debug)]
pub enum OpenFailure {
    /// Another process has it open.
    InUse(String),
    /// It (or its folder) cannot be created, read or written.
    Inaccessible(String),
    /// It can be read and written but is not a sound cache.
    Unsound(String),
}

impl OpenFailure {
    /// What happened, for a message.
    pub fn message(&self) -> &str {
        match self {
            OpenFailure::InUse(m) | OpenFailure::Inaccessible(m) | OpenFailure::Unsound(m) => m,
        }
    }
}

/// Opens the cache file `file`, creating it and its folder if missing; never renews it.
pub fn open_file(file: &Path) -> Result<Database, OpenFailure> {
    let folder = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)
        .map_err(|e| OpenFailure::Inaccessible(format!("cannot create the folder {}: {e}", folder.display())))?;
    let database = Builder::new()
        .set_check_integrity_on_open(true)
        .set_cache_size(PAGE_CACHE_BYTES)
        .create(file)
        .map_err(|e| classify(file, redb::Error::from(e)))?;
    let registered = database.begin_write().map_err(redb::Error::from).and_then(|txn| {
        txn.open_table(NAMESPACES)?;
        txn.commit()?;
        Ok(())
    });
    registered.map_err(|e| classify(file, e))?;
    Ok(database)
}

/// Opens `file` like [`open_file`]; an unsound file is moved aside and a new cache started.
/// Returns the database and, when the file was renewed, what happened.
pub fn open_or_renew(file: &Path) -> Result<(Database, Option<String>), OpenFailure> {
    match open_file(file) {
        Ok(database) => Ok((database, None)),
        Err(OpenFailure::Unsound(why)) => {
            let aside = aside_path(file);
            std::fs::rename(file, &aside).map_err(|e| {
                OpenFailure::Inaccessible(format!("{why}; moving it aside to {} failed: {e}", aside.display()))
            })?;
            let database = open_file(file)?;
            Ok((database, Some(format!("{why}; moved it aside to {} and started a new cache", aside.display()))))
        }
        Err(failure) => Err(failure),
    }
}

/// Where an unsound cache file is moved.
fn aside_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".corrupt");
    file.with_file_name(name)
}

/// Sorts an open failure: a lock held elsewhere, an I/O failure of the file system (no access,
/// no space: the file may be sound), or a file that opens but holds no sound cache.
fn classify(file: &Path, error: redb::Error) -> OpenFailure {
    let shown = file.display();
    match error {
        redb::Error::DatabaseAlreadyOpen | redb::Error::LockProtocolMismatch => {
            OpenFailure::InUse(format!("{shown} is in use by another cpt process"))
        }
        redb::Error::Io(io) if !matches!(io.kind(), ErrorKind::InvalidData | ErrorKind::UnexpectedEof) => {
            OpenFailure::Inaccessible(format!("cannot use {shown}: {io}"))
        }
        error => match OpenOptions::new().read(true).write(true).open(file) {
            Err(access) => OpenFailure::Inaccessible(format!("cannot open {shown}: {access}")),
            Ok(_) => OpenFailure::Unsound(format!("{shown} is not a readable cache ({error})")),
        },
    }
}
