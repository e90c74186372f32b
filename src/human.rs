//! Numbers for people: step counts, sample counts, speeds, durations, risk values. One place,
//! so the interface, the headless progress line and the sweep's lines say the same thing the
//! same way.

use std::time::Duration;

/// Step counts in groups of three digits: `12 400`, `1 000 000`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Large counts in SI style: `3.21M`, `12.3k`, `9999`.
pub fn si(n: u64) -> String {
    let x = n as f64;
    if x >= 1e9 {
        format!("{:.2}G", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else {
        n.to_string()
    }
}

/// Training speed: `3210 steps/s`.
pub fn steps_per_sec(x: f64) -> String {
    format!("{x:.0} steps/s")
}

/// Elapsed time as a clock: `m:ss`, or `h:mm:ss` from an hour on; not finite or negative
/// reads `0:00`.
pub fn clock(secs: f64) -> String {
    let s = if secs.is_finite() && secs > 0.0 {
        secs as u64
    } else {
        0
    };
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A duration in words, to the second below an hour: `7 s`, `1m 35s`, `2h 05m`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// A step on a chart's axis: `12400`, `120k`, `1.20M`.
pub fn step_axis(x: f64) -> String {
    let x = x.max(0.0);
    if x < 1e5 {
        format!("{x:.0}")
    } else if x < 1e6 {
        format!("{:.0}k", x / 1e3)
    } else {
        format!("{:.2}M", x / 1e6)
    }
}

/// A risk beside its line: `0.6817`, or scientific below 1e-3 (`2.50e-4`).
pub fn risk(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:.2e}")
    } else {
        format!("{v:.4}")
    }
}

/// `v` with `decimals` decimals; `–` when not finite. A value that rounds to zero prints as
/// zero (a risk of −1e-13 is rounding in an exact formula, not a negative risk).
pub fn fixed(v: f64, decimals: usize) -> String {
    match snapped(v, decimals) {
        Some(v) => format!("{v:.decimals$}"),
        None => "–".into(),
    }
}

/// [`fixed`] with its sign always written (gaps: `+0.0026`).
pub fn signed(v: f64, decimals: usize) -> String {
    match snapped(v, decimals) {
        Some(v) => format!("{v:+.decimals$}"),
        None => "–".into(),
    }
}

/// [`fixed`] of an optional value (`–` when absent).
pub fn fixed_opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".into(), |v| fixed(v, decimals))
}

/// [`signed`] of an optional value (`–` when absent).
pub fn signed_opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".into(), |v| signed(v, decimals))
}

fn snapped(v: f64, decimals: usize) -> Option<f64> {
    if !v.is_finite() {
        return None;
    }
    let half_ulp = 0.5 * 10f64.powi(-i32::from(u16::try_from(decimals.min(300)).unwrap_or(300)));
    Some(if v.abs() < half_ulp { 0.0 } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_speeds() {
        assert_eq!(count(12_400), "12 400");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000_000), "1 000 000");
        assert_eq!(si(3_210_000), "3.21M");
        assert_eq!(si(12_345), "12.3k");
        assert_eq!(si(9_999), "9999");
        assert_eq!(steps_per_sec(3210.4), "3210 steps/s");
    }

    #[test]
    fn times() {
        assert_eq!(clock(83.9), "1:23");
        assert_eq!(clock(3725.0), "1:02:05");
        assert_eq!(clock(f64::NAN), "0:00");
        assert_eq!(duration(Duration::from_secs(7)), "7 s");
        assert_eq!(duration(Duration::from_secs(95)), "1m 35s");
        assert_eq!(duration(Duration::from_mins(125)), "2h 05m");
    }

    #[test]
    fn axis_steps() {
        assert_eq!(step_axis(12_400.0), "12400");
        assert_eq!(step_axis(120_000.0), "120k");
        assert_eq!(step_axis(1_200_000.0), "1.20M");
        assert_eq!(step_axis(-3.0), "0");
    }

    #[test]
    fn values() {
        assert_eq!(risk(0.68171), "0.6817");
        assert_eq!(risk(2.5e-4), "2.50e-4");
        assert_eq!(risk(0.0), "0.0000");
        assert_eq!(fixed(0.681_712_3, 6), "0.681712");
        assert_eq!(fixed(-1e-13, 6), "0.000000");
        assert_eq!(signed(-1e-13, 6), "+0.000000");
        assert_eq!(signed(0.0026, 4), "+0.0026");
        assert_eq!(signed(-0.0026, 4), "-0.0026");
        assert_eq!(fixed(f64::NAN, 5), "–");
        assert_eq!(fixed_opt(None, 5), "–");
        assert_eq!(signed_opt(Some(0.05), 5), "+0.05000");
    }
}
