//! The corpus rule for suspect elements (ARCHITECTURE §5): an element that matches no unit of a
//! real corpus, or more than [`MAX_SHARE_PERCENT`] of all its units, is probably mis-specified
//! (a query too narrow to ever fire, or one so loose that it says nothing).

/// The share of all units of a corpus above which an element is suspect, in percent.
pub const MAX_SHARE_PERCENT: u64 = 20;

/// Why an element is suspect in a corpus.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Suspicion {
    /// It matches no unit.
    Unmatched,
    /// It matches more than [`MAX_SHARE_PERCENT`] of all units.
    TooCommon,
}

/// Whether an element matching `matched` of a corpus's `total` units is suspect.
pub fn suspicion(matched: u64, total: u64) -> Option<Suspicion> {
    if matched == 0 {
        Some(Suspicion::Unmatched)
    } else if matched.saturating_mul(100) > MAX_SHARE_PERCENT.saturating_mul(total) {
        Some(Suspicion::TooCommon)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{suspicion, Suspicion};

    #[test]
    fn nothing_and_over_a_fifth_are_suspect() {
        assert_eq!(suspicion(0, 1000), Some(Suspicion::Unmatched));
        assert_eq!(suspicion(1, 1000), None);
        assert_eq!(suspicion(200, 1000), None);
        assert_eq!(suspicion(201, 1000), Some(Suspicion::TooCommon));
    }
}
