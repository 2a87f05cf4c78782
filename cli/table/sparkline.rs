//! An element's occurrences over time as an inline SVG sparkline: a step line from time 0 to the
//! last durable time, scaled to the element's own peak. A single time (a scan) draws a flat line.

/// Width of a sparkline in SVG units (and CSS pixels).
const WIDTH: f64 = 72.0;
/// Height of a sparkline.
const HEIGHT: f64 = 16.0;
/// Room kept above the peak and below zero, so that the stroke is never cut.
const MARGIN: f64 = 2.0;

/// The SVG of `history` (occurrences from each time at which they changed on, in time order)
/// drawn from time 0 to `last_time` (stretched to the width it is given); an empty history is a
/// line at zero.
pub fn sparkline(history: &[(u64, i64)], last_time: u64) -> String {
    let peak = history.iter().map(|&(_, occurrences)| occurrences).max().unwrap_or(0).max(1);
    let x = |time: u64| if last_time == 0 { 0.0 } else { WIDTH * time as f64 / last_time as f64 };
    let y = |occurrences: i64| HEIGHT - MARGIN - (HEIGHT - 2.0 * MARGIN) * occurrences as f64 / peak as f64;
    let (at_start, later) = match history.split_first() {
        Some((&(0, occurrences), later)) => (occurrences, later),
        _ => (0, history),
    };
    let mut path = format!("M0 {:.1}", y(at_start));
    for &(time, occurrences) in later {
        path.push_str(&format!(" H{:.1} V{:.1}", x(time), y(occurrences)));
    }
    path.push_str(&format!(" H{WIDTH}"));
    format!(
        r#"<svg class="sparkline" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="none" aria-hidden="true"><path d="{path}"/></svg>"#
    )
}

#[cfg(test)]
mod tests {
    use super::sparkline;

    #[test]
    fn steps_follow_the_history_scaled_to_its_peak() {
        let svg = sparkline(&[(0, 2), (5, 4), (10, 0)], 10);
        assert!(svg.contains(r#"d="M0 8.0 H36.0 V2.0 H72.0 V14.0 H72""#), "{svg}");
    }

    #[test]
    fn a_single_time_is_a_flat_line() {
        let svg = sparkline(&[(0, 7)], 0);
        assert!(svg.contains(r#"d="M0 2.0 H72""#), "{svg}");
    }

    #[test]
    fn an_element_first_found_later_starts_at_zero() {
        assert!(sparkline(&[(6, 3)], 12).contains(r#"d="M0 14.0 H36.0 V2.0 H72""#));
    }

    #[test]
    fn an_element_never_found_is_a_line_at_zero() {
        assert!(sparkline(&[], 12).contains(r#"d="M0 14.0 H72""#));
    }
}
