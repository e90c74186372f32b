//! Text that reaches the terminal from a file or the command line: control characters are
//! shown escaped (an ESC from a preset must never recolour or move the cursor), long text is
//! cut to an excerpt.

/// `s` with every control character except newline and tab shown as `\u{..}`.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// [`sanitize`]d and cut to at most `max_chars` characters (the cut marked with `…` and how
/// many characters were left out).
pub fn excerpt(s: &str, max_chars: usize) -> String {
    let clean = sanitize(s);
    let total = clean.chars().count();
    if total <= max_chars {
        return clean;
    }
    let kept: String = clean.chars().take(max_chars).collect();
    format!("{kept}… ({} more characters)", total - max_chars)
}

/// Whether `s` holds a control character other than newline and tab.
pub fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_shown_not_sent() {
        assert_eq!(sanitize("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(sanitize("x\0y\n"), "x\\u{0}y\n");
        assert!(has_control("\u{7}"));
        assert!(!has_control("r = 0.5\n"));
    }

    #[test]
    fn excerpts_are_short() {
        let long = "\0".repeat(1_000_000);
        let e = excerpt(&long, 80);
        assert!(e.len() < 200, "{}", e.len());
        assert!(
            e.starts_with("\\u{0}") && e.ends_with("more characters)"),
            "{e}"
        );
        assert_eq!(excerpt("short", 80), "short");
    }
}
