//! A job's first fatal failure, shared by its workers: an operator that cannot go on (the output
//! folder became unwritable, say) records why, and the job reports it when the workers finish.

use std::sync::Mutex;

/// The first fatal failure of a job, if any.
#[derive(Default, Debug)]
pub struct JobFailure {
    first: Mutex<Option<String>>,
}

impl JobFailure {
    /// Records a failure; later ones are logged but the first is kept.
    pub fn record(&self, message: String) {
        tracing::error!("{message}");
        let mut first = self.first.lock().expect("failure slot");
        first.get_or_insert(message);
    }

    /// The first failure recorded.
    pub fn first(&self) -> Option<String> {
        self.first.lock().expect("failure slot").clone()
    }
}
