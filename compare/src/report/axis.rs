//! The value axis of a chart: linear, or logarithmic when the bars span
//! more than tenfold (one slow subject, such as a thread per task, would
//! otherwise squash every other bar to a sliver), its range, and tick
//! labels written plainly (1, 10, 100, 1k, 10k) rather than in
//! scientific notation.

/// Above this ratio of the largest positive bar to the smallest, the
/// axis is logarithmic.
const LOG_SPAN: f64 = 10.0;

/// The value axis of one chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    /// Whether the axis is logarithmic.
    pub log: bool,
    /// The smallest value shown; where the bars start on a log axis (a
    /// bar cannot start at 0 there).
    pub low: f64,
    /// The largest value shown.
    pub high: f64,
}

/// The smallest and largest positive value of `values`, if any.
fn positive_span(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|&v| v > 0.0)
        .fold(None, |span, v| match span {
            None => Some((v, v)),
            Some((lo, hi)) => Some((v.min(lo), v.max(hi))),
        })
}

/// Whether bars of these `values` need a log axis: the largest positive
/// one over the smallest is above tenfold.
pub fn is_log(values: &[f64]) -> bool {
    positive_span(values.iter().copied()).is_some_and(|(min, max)| max / min > LOG_SPAN)
}

impl Axis {
    /// The axis for bars at `medians` whose spreads reach `extremes`
    /// (every min and max), and target lines at `lines`: log when the
    /// medians span more than tenfold, with room past the largest value
    /// for the label written after its bar.
    pub fn of(medians: &[f64], extremes: &[f64], lines: &[f64]) -> Axis {
        let all = || medians.iter().chain(extremes).chain(lines).copied();
        if let Some((min, max)) = positive_span(all()).filter(|_| is_log(medians)) {
            // Half a decade below the smallest, so its bar shows; a
            // factor of 3 above the largest, for its label.
            return Axis {
                log: true,
                low: min / 3.0,
                high: max * 3.0,
            };
        }
        let low = all().fold(0.0_f64, f64::min);
        let high = all().fold(0.0_f64, f64::max);
        if high > low {
            Axis {
                log: false,
                low: low * 1.2,
                high: high * 1.2,
            }
        } else {
            Axis {
                log: false,
                low: 0.0,
                high: 1.0,
            }
        }
    }

    /// Where a bar starts: 0 on a linear axis, the axis's low end on a
    /// log one.
    pub fn origin(&self) -> f64 {
        if self.log {
            self.low
        } else {
            0.0
        }
    }

    /// `value` as drawn: on a log axis a value at or below zero (which
    /// has no place there) is drawn at the low end.
    pub fn clamp(&self, value: f64) -> f64 {
        if self.log {
            value.max(self.low)
        } else {
            value
        }
    }
}

/// A tick label, plainly: "0.5", "2", "250", "1k", "1.5k", "10k", "2M".
pub fn tick(value: f64) -> String {
    let magnitude = value.abs();
    let (scaled, suffix) = if magnitude >= 1e6 {
        (value / 1e6, "M")
    } else if magnitude >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    // Up to three significant digits, trailing zeros dropped.
    let decimals = match scaled.abs() {
        m if m >= 100.0 || m == 0.0 => 0,
        m if m >= 10.0 => 1,
        m if m >= 1.0 => 2,
        _ => 3,
    };
    let text = format!("{scaled:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    format!("{text}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_only_beyond_tenfold() {
        assert!(
            !is_log(&[10.0, 50.0, 100.0]),
            "exactly tenfold stays linear"
        );
        assert!(is_log(&[10.0, 50.0, 101.0]));
        // Zero and negative bars have no say.
        assert!(!is_log(&[0.0, -5.0, 3.0, 20.0]));
        assert!(!is_log(&[]));
    }

    #[test]
    fn a_log_axis_starts_the_bars_above_zero() {
        let axis = Axis::of(&[10.0, 2000.0], &[8.0, 2500.0], &[]);
        assert!(axis.log);
        assert!(axis.low > 0.0 && axis.low < 8.0);
        assert!(axis.high > 2500.0);
        assert_eq!(axis.origin(), axis.low);
        assert_eq!(axis.clamp(0.0), axis.low);
    }

    #[test]
    fn a_linear_axis_starts_at_zero_and_holds_the_target_line() {
        let axis = Axis::of(&[1.0, 1.1], &[0.9, 1.3], &[2.0]);
        assert!(!axis.log);
        assert_eq!((axis.low, axis.origin()), (0.0, 0.0));
        assert_eq!(axis.high, 2.4);
    }

    #[test]
    fn ticks_are_plain() {
        let cases = [
            (0.5, "0.5"),
            (1.0, "1"),
            (2.5, "2.5"),
            (10.0, "10"),
            (100.0, "100"),
            (1000.0, "1k"),
            (1500.0, "1.5k"),
            (10_000.0, "10k"),
            (250_000.0, "250k"),
            (2_000_000.0, "2M"),
            (0.0, "0"),
        ];
        for (value, text) in cases {
            assert_eq!(tick(value), text, "{value}");
        }
    }
}
