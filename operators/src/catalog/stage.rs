//! An element's evolution stage and trend, from its adoption over the times of a job
//! (ARCHITECTURE §5). Times are the job's own: the commits of a replay, the batches of a watch,
//! the one time of a scan.
//!
//! **Adoption** at a time is the share of the analysed files holding at least one unit that
//! matches the element, in parts per million (ppm). An element's [`History`] is its adoption at
//! each time. At time `t`, with `H = t + 1` times seen, `first` the first time its adoption was
//! above zero, `age = t − first + 1`, `peak` its highest adoption so far and `now` its adoption at
//! `t`, the **stage** is the first of these that holds:
//!
//! | stage | rule |
//! |---|---|
//! | unseen | never above zero |
//! | deprecated | `4·now ≤ peak` (fallen to a quarter of its peak or less, gone included) |
//! | legacy | `10·now < 6·peak` (below 60 % of its peak) |
//! | emerging | `4·age ≤ H` (first seen in the last quarter of the times) |
//! | mature | `now ≥ 5 %` of files and `2·age ≥ H` (widespread, and present for half the times) |
//! | established | otherwise |
//!
//! The **trend** compares `now` with the adoption `then` at `t − W`, the window `W` being a tenth
//! of the times seen (`⌈H/10⌉`, at least 1): `unknown` when there is no such earlier time (a scan),
//! `new` when the element was first seen after it, else `rising` when `10·now > 11·then`,
//! `falling` when `10·now < 9·then`, `steady` otherwise.

use std::fmt;

/// Adoption in parts per million of the analysed files.
pub type Ppm = u32;

/// The share of files, 5 %, from which a long-present element is mature.
pub const MATURE_PPM: Ppm = 50_000;

/// Where an element stands in its life.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub enum Stage {
    /// Never found.
    Unseen,
    /// First found lately.
    Emerging,
    /// In use, neither new nor widespread.
    Established,
    /// Widespread and long present.
    Mature,
    /// Well below its peak.
    Legacy,
    /// Fallen to a quarter of its peak or less.
    Deprecated,
}

/// Which way an element's adoption goes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub enum Trend {
    /// No earlier time to compare with.
    Unknown,
    /// First found within the window.
    New,
    /// Up by more than 10 %.
    Rising,
    /// Within 10 %.
    Steady,
    /// Down by more than 10 %.
    Falling,
}

impl Stage {
    /// Every stage, in the order of an element's life.
    pub const ALL: [Stage; 6] =
        [Stage::Unseen, Stage::Emerging, Stage::Established, Stage::Mature, Stage::Legacy, Stage::Deprecated];

    /// The name written in tables.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Unseen => "unseen",
            Stage::Emerging => "emerging",
            Stage::Established => "established",
            Stage::Mature => "mature",
            Stage::Legacy => "legacy",
            Stage::Deprecated => "deprecated",
        }
    }
}

impl Trend {
    /// The name written in tables.
    pub fn name(self) -> &'static str {
        match self {
            Trend::Unknown => "unknown",
            Trend::New => "new",
            Trend::Rising => "rising",
            Trend::Steady => "steady",
            Trend::Falling => "falling",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Trend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An element's adoption over time, as the times at which it changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// (time, adoption from that time on), times increasing, no two adjacent values equal.
    changes: Vec<(u64, Ppm)>,
    /// The first time the adoption was above zero.
    first_seen: Option<u64>,
    /// The highest adoption so far.
    peak: Ppm,
}

/// What the rules make of a history at one time.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub struct Standing {
    /// The first time the element was found.
    pub first_seen: Option<u64>,
    /// Its highest adoption up to the time.
    pub peak: Ppm,
    /// Its stage.
    pub stage: Stage,
    /// Its trend.
    pub trend: Trend,
}

impl History {
    /// Records the adoption from `time` on; times must increase from one call to the next.
    pub fn record(&mut self, time: u64, adoption: Ppm) {
        debug_assert!(self.changes.last().is_none_or(|(at, _)| *at < time), "times must increase");
        if adoption != self.adoption_at(time) {
            self.changes.push((time, adoption));
        }
        if adoption > 0 && self.first_seen.is_none() {
            self.first_seen = Some(time);
        }
        self.peak = self.peak.max(adoption);
    }

    /// The adoption at `time`.
    pub fn adoption_at(&self, time: u64) -> Ppm {
        let after = self.changes.partition_point(|(at, _)| *at <= time);
        after.checked_sub(1).map_or(0, |index| self.changes[index].1)
    }

    /// The stage and trend at `time`, which must not be before the last recorded time.
    pub fn standing(&self, time: u64) -> Standing {
        let now = self.adoption_at(time);
        let seen = time + 1;
        let stage = match self.first_seen {
            None => Stage::Unseen,
            Some(_) if 4 * u64::from(now) <= u64::from(self.peak) => Stage::Deprecated,
            Some(_) if 10 * u64::from(now) < 6 * u64::from(self.peak) => Stage::Legacy,
            Some(first) if 4 * (time - first + 1) <= seen => Stage::Emerging,
            Some(first) if now >= MATURE_PPM && 2 * (time - first + 1) >= seen => Stage::Mature,
            Some(_) => Stage::Established,
        };
        let window = seen.div_ceil(10).max(1);
        let trend = match (time.checked_sub(window), self.first_seen) {
            (None, _) => Trend::Unknown,
            (Some(_), None) => Trend::Steady,
            (Some(earlier), Some(first)) if first > earlier => Trend::New,
            (Some(earlier), Some(_)) => {
                let (now, then) = (u64::from(now), u64::from(self.adoption_at(earlier)));
                if 10 * now > 11 * then {
                    Trend::Rising
                } else if 10 * now < 9 * then {
                    Trend::Falling
                } else {
                    Trend::Steady
                }
            }
        };
        Standing { first_seen: self.first_seen, peak: self.peak, stage, trend }
    }
}

/// The adoption of an element found in `files` of `total` files.
pub fn adoption(files: u64, total: u64) -> Ppm {
    if total == 0 {
        0
    } else {
        (u128::from(files) * 1_000_000 / u128::from(total)) as Ppm
    }
}

#[cfg(test)]
mod tests {
    use super::{adoption, History, Stage, Trend};

    fn history(points: &[(u64, u32)]) -> History {
        let mut history = History::default();
        points.iter().for_each(|&(time, ppm)| history.record(time, ppm));
        history
    }

    #[test]
    fn a_single_snapshot_has_a_stage_and_no_trend() {
        let scan = history(&[(0, 60_000)]);
        assert_eq!(scan.standing(0).stage, Stage::Mature);
        assert_eq!(scan.standing(0).trend, Trend::Unknown);
        assert_eq!(history(&[(0, 1_000)]).standing(0).stage, Stage::Established);
        assert_eq!(History::default().standing(0).stage, Stage::Unseen);
    }

    #[test]
    fn stages_follow_age_and_decline_from_the_peak() {
        let late = history(&[(90, 1_000)]);
        assert_eq!(late.standing(99).stage, Stage::Emerging);
        assert_eq!(late.standing(99).trend, Trend::New);
        let falling = history(&[(0, 100_000), (50, 55_000)]);
        assert_eq!(falling.standing(99).stage, Stage::Legacy);
        let gone = history(&[(0, 100_000), (50, 0)]);
        assert_eq!(gone.standing(99).stage, Stage::Deprecated);
        assert_eq!(gone.standing(99).first_seen, Some(0));
        assert_eq!(gone.standing(99).peak, 100_000);
    }

    #[test]
    fn the_trend_compares_with_a_tenth_of_the_times_ago() {
        let rising = history(&[(0, 1_000), (95, 2_000)]);
        assert_eq!(rising.standing(99).trend, Trend::Rising);
        assert_eq!(rising.standing(104).trend, Trend::Rising);
        assert_eq!(rising.standing(200).trend, Trend::Steady);
        assert_eq!(history(&[(0, 1_000), (95, 800)]).standing(99).trend, Trend::Falling);
    }

    #[test]
    fn only_changes_are_kept() {
        let h = history(&[(0, 5), (1, 5), (2, 7), (4, 7)]);
        assert_eq!(h.changes, vec![(0, 5), (2, 7)]);
        assert_eq!(h.adoption_at(1), 5);
        assert_eq!(h.adoption_at(10), 7);
        assert_eq!(adoption(1, 3), 333_333);
        assert_eq!(adoption(0, 0), 0);
    }
}
