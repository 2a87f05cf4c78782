//! The checks that reject an input before parsing (ARCHITECTURE §7): binary content, invalid
//! UTF-8, generated-code markers and minified code, in that order.

use crate::metrics::line_count;
use crate::model::{AnalysisConfig, ErrorReason, InputError};

/// How far into a file a NUL byte marks it as binary.
pub const BINARY_PROBE_BYTES: usize = 8 * 1024;

/// How many leading lines are searched for a generated-code marker.
pub const GENERATED_PROBE_LINES: usize = 5;

fn error(reason: ErrorReason, detail: String) -> InputError {
    InputError { reason, detail }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// True when one of the first lines carries `@generated`, or "Code generated" and "DO NOT EDIT".
pub fn has_generated_marker(bytes: &[u8]) -> bool {
    bytes.split(|&b| b == b'\n').take(GENERATED_PROBE_LINES).any(|line| {
        contains(line, b"@generated") || (contains(line, b"Code generated") && contains(line, b"DO NOT EDIT"))
    })
}

/// The reason `bytes` cannot be analysed under `cfg`, if any.
pub fn check(bytes: &[u8], cfg: &AnalysisConfig) -> Option<InputError> {
    let probe = &bytes[..bytes.len().min(BINARY_PROBE_BYTES)];
    if let Some(at) = probe.iter().position(|&b| b == 0) {
        return Some(error(ErrorReason::Binary, format!("NUL byte at offset {at}")));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let detail = format!("invalid UTF-8 at byte {}", e.valid_up_to());
        return Some(error(ErrorReason::InvalidUtf8, detail));
    }
    if cfg.skip_generated && has_generated_marker(bytes) {
        let detail = format!("generated-code marker in the first {GENERATED_PROBE_LINES} lines");
        return Some(error(ErrorReason::Generated, detail));
    }
    let lines = u64::from(line_count(bytes).max(1));
    let limit = u64::from(cfg.max_mean_line_length);
    if limit > 0 && bytes.len() as u64 > limit * lines {
        let mean = bytes.len() as u64 / lines;
        let detail = format!("mean line length {mean} over {limit}");
        return Some(error(ErrorReason::Minified, detail));
    }
    None
}
