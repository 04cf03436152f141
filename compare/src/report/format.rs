//! How figures are written in the text and Markdown tables: three
//! significant digits (repeats rarely agree past that), thousands
//! grouped, ratios with a "×".

use super::targets::Limit;
use super::verdicts::{Status, Verdict};
use super::Summary;

/// A figure with three significant digits, or whole with grouped
/// thousands from 1,000 up.
pub fn figure(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1000.0 {
        let whole = format!("{:.0}", magnitude);
        let mut grouped = String::new();
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        if value < 0.0 {
            grouped.insert(0, '-');
        }
        grouped
    } else if magnitude >= 100.0 || value == 0.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else if magnitude >= 0.01 {
        format!("{value:.3}")
    } else {
        format!("{value:.2e}")
    }
}

/// "median [min–max]"; a single run has no spread to show.
pub fn summary(summary: &Summary) -> String {
    if summary.runs < 2 {
        figure(summary.median)
    } else {
        format!(
            "{} [{}–{}]",
            figure(summary.median),
            figure(summary.min),
            figure(summary.max)
        )
    }
}

/// A ratio as "1.04×"; "–" when there is none.
pub fn ratio(ratio: Option<f64>) -> String {
    match ratio {
        Some(r) if r >= 100.0 => format!("{r:.0}×"),
        Some(r) if r >= 10.0 => format!("{r:.1}×"),
        Some(r) => format!("{r:.2}×"),
        None => "–".to_string(),
    }
}

/// A metric's column header: its name, with its unit unless the name
/// already says it ("ns/task" in ns, "B steady" in B).
pub fn header(name: &str, unit: &str) -> String {
    if unit.is_empty() || name.contains(unit) {
        name.to_string()
    } else {
        format!("{name} ({unit})")
    }
}

fn with_unit(value: String, unit: &str) -> String {
    if unit.is_empty() {
        value
    } else {
        format!("{value} {unit}")
    }
}

/// Where a verdict applies: "spawn_many · ns/task · taskchain frame chain".
pub fn verdict_scope(v: &Verdict) -> String {
    format!("{} · {} · {}", v.workload, v.metric, v.subject)
}

/// The paired values a verdict compared, low–high, worded for its kind
/// of limit: "42.1–45.0 ns", "0.95–1.22× tokio multi_thread", "+12.0 B
/// over floor" (one value when the bracket is a single point), and over
/// how many repeats.
pub fn verdict_value(v: &Verdict) -> String {
    let Some(b) = v.bracket else {
        return "–".to_string();
    };
    let span = |write: &dyn Fn(f64) -> String| {
        if b.low == b.high {
            write(b.low)
        } else {
            format!("{}–{}", write(b.low), write(b.high))
        }
    };
    let against = v.against.as_deref().unwrap_or("?");
    let value = match v.limit {
        Limit::AtMost(_) => span(&|x| with_unit(figure(x), &v.unit)),
        Limit::RatioAtMost(..) => format!("{} {against}", span(&|x| ratio(Some(x)))),
        Limit::ExcessAtMost(..) => {
            let signed = |x: f64| {
                let sign = if x >= 0.0 { "+" } else { "" };
                format!("{sign}{}", figure(x))
            };
            format!("{} over {against}", with_unit(span(&signed), &v.unit))
        }
    };
    if b.pairs > 1 {
        format!("{value} in {} repeats", b.pairs)
    } else {
        value
    }
}

/// The limit of a verdict: "≤ 50 ns", "≤ 0.50×", "≤ +16 B".
pub fn verdict_limit(v: &Verdict) -> String {
    match v.limit {
        Limit::AtMost(limit) => format!("≤ {}", with_unit(figure(limit), &v.unit)),
        Limit::RatioAtMost(_, limit) => format!("≤ {}", ratio(Some(limit))),
        Limit::ExcessAtMost(_, limit) => format!("≤ +{}", with_unit(figure(limit), &v.unit)),
    }
}

/// "met", "MISSED", "inconclusive" or "not measured (why)".
pub fn status(status: &Status) -> String {
    match status {
        Status::Met => "met".to_string(),
        Status::Missed => "MISSED".to_string(),
        Status::Inconclusive => "inconclusive".to_string(),
        Status::NotMeasured(why) => format!("not measured ({why})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_keep_three_significant_digits() {
        let cases = [
            (0.0, "0"),
            (0.00123, "1.23e-3"),
            (0.5, "0.500"),
            (1.234, "1.23"),
            (12.34, "12.3"),
            (123.4, "123"),
            (1234.4, "1,234"),
            (1_234_567.0, "1,234,567"),
            (-2500.0, "-2,500"),
            (-3.5, "-3.50"),
        ];
        for (value, text) in cases {
            assert_eq!(figure(value), text, "{value}");
        }
    }

    #[test]
    fn summaries_ratios_and_headers() {
        let s = Summary::of(&[10.0, 12.0, 11.0]).unwrap();
        assert_eq!(summary(&s), "11.0 [10.0–12.0]");
        assert_eq!(summary(&Summary::of(&[3.0]).unwrap()), "3.00");
        assert_eq!(ratio(Some(1.0449)), "1.04×");
        assert_eq!(ratio(Some(12.34)), "12.3×");
        assert_eq!(ratio(None), "–");
        assert_eq!(header("ns/task", "ns"), "ns/task");
        assert_eq!(header("p50", "µs"), "p50 (µs)");
    }
}
