//! Bytes exchanged between processes, counted from timely's communication log (one event per
//! message on every send and receive thread). Events reach the counters in buffered batches, so
//! the figures trail the network by at most one buffer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use timely::communication::logging::{CommunicationEvent, CommunicationEventBuilder, CommunicationSetup};
use timely::logging_core::Logger;

/// Message and byte counters of this process's network threads.
#[derive(Debug, Default)]
pub struct Traffic {
    /// Bytes sent to other processes (headers included).
    pub bytes_sent: AtomicU64,
    /// Bytes received from other processes (headers included).
    pub bytes_received: AtomicU64,
    /// Messages sent to other processes.
    pub messages_sent: AtomicU64,
    /// Messages received from other processes.
    pub messages_received: AtomicU64,
}

/// timely's hook that builds a logger for each network thread.
pub type LogFn = Arc<dyn Fn(CommunicationSetup) -> Option<Logger<CommunicationEventBuilder>> + Send + Sync>;

impl Traffic {
    /// The hook that makes every network thread of timely count into `self`.
    pub fn log_fn(self: &Arc<Self>) -> LogFn {
        let traffic = Arc::clone(self);
        Arc::new(move |_setup: CommunicationSetup| {
            let traffic = Arc::clone(&traffic);
            let logger = Logger::new(Instant::now(), Duration::ZERO, move |_time, events: &mut Option<Vec<_>>| {
                for (_, event) in events.iter().flatten() {
                    traffic.count(event);
                }
            });
            Some(logger)
        })
    }

    fn count(&self, event: &CommunicationEvent) {
        let CommunicationEvent::Message(message) = event else { return };
        let bytes = message.header.required_bytes() as u64;
        let (messages, total) = if message.is_send {
            (&self.messages_sent, &self.bytes_sent)
        } else {
            (&self.messages_received, &self.bytes_received)
        };
        messages.fetch_add(1, Ordering::Relaxed);
        total.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Bytes sent plus bytes received so far.
    pub fn bytes_exchanged(&self) -> u64 {
        self.bytes_sent.load(Ordering::Relaxed) + self.bytes_received.load(Ordering::Relaxed)
    }
}
