//! The `aescope` binary: parse the command line and hand over to `aescope::cli`.

fn main() {
    match aescope::cli::main() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            use std::io::Write as _;
            // Escaped and cut: the message may quote a hostile file; stderr may be closed.
            let msg = aescope::safe_io::excerpt(&format!("{e:#}"), 2000);
            let _ = writeln!(std::io::stderr(), "error: {msg}");
            std::process::exit(aescope::cli::exit_code(&e));
        }
    }
}
