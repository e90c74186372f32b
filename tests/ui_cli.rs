//! The interface from the command line, where no terminal is needed to check it.

use std::process::{Command, Stdio};

#[test]
fn without_a_terminal_the_interface_refuses_and_points_to_headless() {
    for args in [&[][..], &["sign-r2"][..], &["run", "sign-r0.5"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_aescope"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("--headless"), "{args:?}: {err}");
        assert!(err.contains("not"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        // Nothing was drawn: no escape sequences on stdout.
        assert!(!out.stdout.contains(&0x1b), "{args:?}");
    }
}

#[test]
fn interface_flags_are_validated() {
    let out = Command::new(env!("CARGO_BIN_EXE_aescope"))
        .args(["--colors", "8"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("truecolor, 256, 16"));
    let help = Command::new(env!("CARGO_BIN_EXE_aescope"))
        .arg("--help")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("--dot-marker") && text.contains("--colors"),
        "{text}"
    );
}
