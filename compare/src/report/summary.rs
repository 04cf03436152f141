//! The summary of one figure over the repeats of a run: its median, and
//! its spread as the smallest and largest value seen.
//!
//! The spread is min–max rather than quartiles because a quick run has
//! three repeats: quartiles of three values say nothing that min and max
//! do not, and min–max is honest about how far the repeats strayed.

/// Median and min–max spread of one figure over the repeats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The median (the mean of the middle two for an even count).
    pub median: f64,
    /// The smallest value seen.
    pub min: f64,
    /// The largest value seen.
    pub max: f64,
    /// How many values it summarises.
    pub runs: usize,
}

impl Summary {
    /// Summarises `values`; `None` if there are none. Values must be
    /// finite (the collector refuses others before they get here).
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        };
        Some(Summary {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            runs: sorted.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_count_takes_the_middle_value() {
        let s = Summary::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.runs), (2.0, 1.0, 3.0, 3));
    }

    #[test]
    fn even_count_averages_the_middle_two() {
        let s = Summary::of(&[10.0, 1.0, 4.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 10.0));
    }

    #[test]
    fn one_value_is_its_own_spread_and_none_is_nothing() {
        let s = Summary::of(&[7.5]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.runs), (7.5, 7.5, 7.5, 1));
        assert_eq!(Summary::of(&[]), None);
    }
}
