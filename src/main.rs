//! The `aescope` binary: parse the command line and hand over to `aescope::cli`.

fn main() {
    match aescope::cli::main() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
