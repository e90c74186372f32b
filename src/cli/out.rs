//! Printing that never panics: a closed pipe (`aescope theory | head -1`, a headless run whose
//! log reader has gone) stops the output quietly; the run itself, and its record, go on.
//! `outln!` would panic on EPIPE, since Rust ignores SIGPIPE.

/// `outln!` to stdout, ignoring write errors.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` to stdout, ignoring write errors.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

/// `errln!` to stderr, ignoring write errors.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
