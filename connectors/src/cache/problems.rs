//! What went wrong with a cache during a run. The cache is only an optimisation, so a problem
//! never stops a run: the first one is warned about (tracing and standard error) and kept for the
//! run's summary, later ones are only logged.

use std::sync::Mutex;

/// Warns about a cache problem on standard error and in the log.
pub fn warn(message: &str) {
    tracing::warn!("content cache: {message}");
    eprintln!("warning: content cache: {message}");
}

/// The problems of one open cache.
#[derive(Default, Debug)]
pub struct Problems {
    first: Mutex<Option<String>>,
}

impl Problems {
    /// Records a problem: the first is warned about, later ones are logged.
    pub fn report(&self, message: String) {
        let mut first = self.first.lock().expect("cache problems");
        if first.is_none() {
            warn(&message);
            *first = Some(message);
        } else {
            tracing::warn!("content cache: {message}");
        }
    }

    /// The first problem, if any.
    pub fn first(&self) -> Option<String> {
        self.first.lock().expect("cache problems").clone()
    }
}
