//! Comparing two figures repeat by repeat: the same repeat of a subject
//! and of its reference ran back to back in the rotated schedule, so they
//! shared the machine's state of the moment; dividing (or subtracting)
//! them pair by pair cancels the drift that medians taken apart keep.
//! The bracket of the paired values, min–max, is what a verdict reads.

/// The min–max of a figure's paired values over the repeats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bracket {
    /// The smallest paired value.
    pub low: f64,
    /// The largest paired value.
    pub high: f64,
    /// How many repeats were paired.
    pub pairs: usize,
}

impl Bracket {
    /// The bracket of `values`; `None` if there are none or one is
    /// missing (a pair without a ratio spoils the bracket: it could hide
    /// either end).
    pub fn of(values: impl IntoIterator<Item = Option<f64>>) -> Option<Bracket> {
        let mut bracket: Option<Bracket> = None;
        for value in values {
            let value = value?;
            bracket = Some(match bracket {
                None => Bracket {
                    low: value,
                    high: value,
                    pairs: 1,
                },
                Some(b) => Bracket {
                    low: b.low.min(value),
                    high: b.high.max(value),
                    pairs: b.pairs + 1,
                },
            });
        }
        bracket
    }
}

/// `mine` over `theirs`, repeat by repeat, as far as both ran; `None`
/// when a pair has no ratio (see [`ratio`](super::figures::ratio)).
pub fn ratios(mine: &[f64], theirs: &[f64]) -> Option<Bracket> {
    Bracket::of(
        mine.iter()
            .zip(theirs)
            .map(|(&a, &b)| super::figures::ratio(a, b)),
    )
}

/// `mine` minus `theirs`, repeat by repeat, as far as both ran.
pub fn excesses(mine: &[f64], theirs: &[f64]) -> Option<Bracket> {
    Bracket::of(mine.iter().zip(theirs).map(|(a, b)| Some(a - b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_go_by_repeat_not_by_rank() {
        // Sorted apart, the medians would give 1.0; paired, the repeats
        // show the spread the noise really has.
        let b = ratios(&[10.0, 14.0, 12.0], &[12.0, 10.0, 14.0]).unwrap();
        assert_eq!((b.low, b.high, b.pairs), (10.0 / 12.0, 1.4, 3));
    }

    #[test]
    fn only_repeats_both_ran_pair_up() {
        let b = excesses(&[20.0, 30.0, 40.0], &[10.0]).unwrap();
        assert_eq!((b.low, b.high, b.pairs), (10.0, 10.0, 1));
        assert_eq!(excesses(&[1.0], &[]), None);
    }

    #[test]
    fn a_pair_without_a_ratio_leaves_no_bracket() {
        assert_eq!(ratios(&[1.0, 2.0], &[1.0, 0.0]), None);
    }
}
