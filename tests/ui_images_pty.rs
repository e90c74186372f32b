//! The interface in a pseudo-terminal that plays the terminal: one that answers the image
//! query as kitty does gets kitty pictures of the features, deleted again before the screen is
//! given back; one that never answers gets half blocks after the query's timeout.

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Longest a run may take before the test gives up (it takes seconds).
const PATIENCE: Duration = Duration::from_mins(2);

/// A pseudo-terminal of 120 × 40 cells: (master, slave).
fn pty() -> (std::fs::File, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 40,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: two out-parameters for the descriptors, no name, default termios, our size.
    let rc = unsafe {
        libc::openpty(
            &raw mut master,
            &raw mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &raw const size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned here only.
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
        )
    }
}

/// Run the digits preset's interface in a pseudo-terminal; `answer` is what the terminal
/// says to the image query (None: nothing). Once `seen` appears in the output, `q` is typed.
/// Returns everything the interface wrote.
fn session(answer: Option<&[u8]>, seen: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (master, slave) = pty();
    let io = |fd: &OwnedFd| Stdio::from(fd.try_clone().unwrap_or_else(|e| panic!("{e}")));
    let mut child = Command::new(env!("CARGO_BIN_EXE_aescope"))
        .args(["run", "digits-sign", "--steps", "1000000", "--record"])
        .arg(dir.path().join("run.jsonl"))
        .env("TERM", "xterm-kitty")
        .env("COLORTERM", "truecolor")
        .env_remove("TMUX")
        .env_remove("STY")
        .env_remove("TERM_PROGRAM")
        .env_remove("LC_TERMINAL")
        .env_remove("AESCOPE_IMAGES")
        .stdin(io(&slave))
        .stdout(io(&slave))
        .stderr(io(&slave))
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    drop(slave);
    let mut writer = master.try_clone().unwrap_or_else(|e| panic!("{e}"));
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let mut reader = master;
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        // Ends with EIO once the child has closed the terminal.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut out = Vec::new();
    let (mut answered, mut quit) = (false, false);
    let deadline = Instant::now() + PATIENCE;
    let has = |out: &[u8], s: &[u8]| out.windows(s.len()).any(|w| w == s);
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(chunk) => out.extend(chunk),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if !answered && has(&out, b"\x1b[c") {
            answered = true;
            if let Some(a) = answer {
                writer.write_all(a).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        if !quit && has(&out, seen) {
            quit = true;
            writer.write_all(b"q").unwrap_or_else(|e| panic!("{e}"));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "no end in {PATIENCE:?} (answered {answered}, quit {quit}):\n{}",
                String::from_utf8_lossy(&out)
            );
        }
        if quit && child.try_wait().unwrap_or_else(|e| panic!("{e}")).is_some() {
            // Whatever is still in the pipe.
            while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
                out.extend(chunk);
            }
            break;
        }
    }
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        status.success(),
        "{status}:\n{}",
        String::from_utf8_lossy(&out)
    );
    assert!(has(&out, b"\x1b[?1049l"), "the alternate screen was left");
    out
}

fn find(out: &[u8], s: &[u8]) -> Option<usize> {
    out.windows(s.len()).rposition(|w| w == s)
}

#[test]
fn a_kitty_terminal_gets_pictures_that_are_deleted_on_exit() {
    let out = session(
        Some(b"\x1b_Gi=31;OK\x1b\\\x1b[6;20;10t\x1b[?62;22c"),
        b"\x1b_Ga=T,f=100,",
    );
    // The query was sent once, before anything else was read.
    assert_eq!(out.windows(7).filter(|w| w == b"\x1b_Gi=31").count(), 1);
    // Pictures placed, and every one deleted before the alternate screen is left.
    let delete_all = find(&out, b"\x1b_Ga=d,d=A,q=2\x1b\\").expect("kitty images deleted on exit");
    let leave = find(&out, b"\x1b[?1049l").unwrap();
    let last_place = find(&out, b"\x1b_Ga=T").unwrap();
    assert!(last_place < delete_all && delete_all < leave);
}

#[test]
fn a_terminal_that_never_answers_gets_half_blocks() {
    let out = session(None, "▀".as_bytes());
    assert!(find(&out, b"\x1b_Ga=T").is_none(), "no kitty picture");
    assert!(find(&out, b"\x1bP0;1;0q").is_none(), "no sixel picture");
}
