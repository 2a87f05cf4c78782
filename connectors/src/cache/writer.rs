//! The cache's writer: a background thread that receives encoded entries over a bounded channel
//! and commits them in batches — one write transaction (one fsync) per [`BATCH_ENTRIES`] entries
//! or per [`BATCH_INTERVAL`], whichever comes first — so that parse workers never wait for the
//! disk and a killed run loses at most its last batch.

use super::problems::Problems;
use super::record::{now_seconds, EntryTable, KeyBytes};
use redb::Database;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Entries per write transaction.
pub const BATCH_ENTRIES: usize = 2048;

/// The longest an entry waits for its commit.
pub const BATCH_INTERVAL: Duration = Duration::from_secs(2);

enum Message {
    Put(KeyBytes, Vec<u8>),
    Flush(mpsc::Sender<()>),
}

/// The handle on the writer thread; dropping it commits what is pending and joins the thread.
pub struct Writer {
    sender: Option<SyncSender<Message>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts a writer of entries into `table` of `database`.
    pub fn start(database: Arc<Database>, table: String, problems: Arc<Problems>) -> Writer {
        let (sender, receiver) = mpsc::sync_channel(4 * BATCH_ENTRIES);
        let thread = std::thread::Builder::new()
            .name("cpt-cache-writer".into())
            .spawn(move || run(&database, &table, &problems, receiver))
            .expect("starting the cache writer thread");
        Writer { sender: Some(sender), thread: Some(thread) }
    }

    /// Queues an entry; it is committed within [`BATCH_INTERVAL`].
    pub fn put(&self, key: KeyBytes, value: Vec<u8>) {
        if let Some(sender) = &self.sender {
            // A writer thread that ended has already reported why.
            let _ = sender.send(Message::Put(key, value));
        }
    }

    /// Commits every queued entry now and waits for the commit.
    pub fn flush(&self) {
        if let Some(sender) = &self.sender {
            let (done, committed) = mpsc::channel();
            if sender.send(Message::Flush(done)).is_ok() {
                let _ = committed.recv();
            }
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.sender.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(database: &Database, table: &str, problems: &Problems, receiver: Receiver<Message>) {
    let mut pending: Vec<(KeyBytes, Vec<u8>)> = Vec::new();
    let mut oldest = Instant::now();
    loop {
        let wait = BATCH_INTERVAL.saturating_sub(oldest.elapsed());
        let message = if pending.is_empty() {
            receiver.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            receiver.recv_timeout(wait)
        };
        match message {
            Ok(Message::Put(key, value)) => {
                if pending.is_empty() {
                    oldest = Instant::now();
                }
                pending.push((key, value));
                if pending.len() >= BATCH_ENTRIES {
                    commit(database, table, problems, &mut pending);
                }
            }
            Ok(Message::Flush(done)) => {
                commit(database, table, problems, &mut pending);
                let _ = done.send(());
            }
            Err(RecvTimeoutError::Timeout) => commit(database, table, problems, &mut pending),
            Err(RecvTimeoutError::Disconnected) => {
                commit(database, table, problems, &mut pending);
                return;
            }
        }
    }
}

/// Writes `pending` in one transaction; on failure the entries are dropped (they are only a cache).
fn commit(database: &Database, table: &str, problems: &Problems, pending: &mut Vec<(KeyBytes, Vec<u8>)>) {
    if pending.is_empty() {
        return;
    }
    let written = now_seconds();
    let result = database.begin_write().map_err(redb::Error::from).and_then(|txn| {
        {
            let mut entries = txn.open_table(EntryTable::new(table))?;
            for (key, value) in pending.iter() {
                entries.insert(key, (written, value.as_slice()))?;
            }
        }
        txn.commit()?;
        Ok(())
    });
    if let Err(error) = result {
        problems.report(format!("{} entries could not be written to the cache ({error})", pending.len()));
    }
    pending.clear();
}
