//! Which image protocol to speak: decided once, before the input thread starts reading, so
//! the terminal's answer to the query is read here and never reaches the key handling.
//!
//! In order: `--images` when it names a protocol; else `AESCOPE_IMAGES`; else half blocks
//! under tmux or screen (they do not pass image sequences through) and on the Linux console;
//! iTerm2's inline images where the environment names iTerm2 or WezTerm; else the terminal
//! is asked (kitty's graphics query, the cell size in pixels, the device attributes, whose
//! answer every terminal sends last) and half blocks are kept when it does not answer in time.

use clap::ValueEnum;
use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// The environment variable that chooses the protocol when `--images` does not.
pub const HINT_VAR: &str = "AESCOPE_IMAGES";

/// How long to wait for the terminal's answer (a terminal that never answers costs this once,
/// at start; over SSH the answer takes a round trip).
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(1);

/// The query: kitty's graphics query (a 1×1 image that is not stored), the cell size in
/// pixels (CSI 16 t), and the primary device attributes (CSI c: every terminal answers it, and
/// answers in order, so it ends the reading).
pub const QUERY: &[u8] = b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\\x1b[16t\x1b[c";

/// At most this many bytes of answer are read (keys typed meanwhile are dropped).
const MAX_ANSWER: usize = 4096;

/// How the feature images are drawn (`--images`, `AESCOPE_IMAGES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ImageMode {
    /// Ask the terminal; half blocks under tmux/screen and when it does not answer.
    #[default]
    Auto,
    /// Half-block cells only.
    Blocks,
    /// kitty's graphics protocol (kitty, WezTerm, Ghostty, Konsole).
    Kitty,
    /// Sixel graphics (foot, mlterm, xterm -ti vt340, WezTerm, recent tmux built with it).
    Sixel,
    /// iTerm2's inline images (iTerm2, WezTerm, mintty).
    Iterm2,
}

/// The protocol the images are sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// No pixel images: the half-block cells the widgets draw.
    Blocks,
    Kitty,
    Sixel,
    Iterm2,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Blocks => "half blocks",
            Protocol::Kitty => "kitty graphics",
            Protocol::Sixel => "sixel",
            Protocol::Iterm2 => "iTerm2 inline images",
        })
    }
}

/// The parts of the environment the choice depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// `TERM`.
    pub term: String,
    /// `TERM_PROGRAM`.
    pub term_program: String,
    /// `LC_TERMINAL` (iTerm2 sets it, and SSH passes `LC_*` on).
    pub lc_terminal: String,
    /// `TMUX` or `STY` (screen) is set.
    pub multiplexer: bool,
    /// `AESCOPE_IMAGES`.
    pub hint: Option<String>,
}

impl Env {
    /// This process's environment.
    pub fn from_process() -> Env {
        let get = |k: &str| std::env::var(k).unwrap_or_default();
        let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        Env {
            term: get("TERM"),
            term_program: get("TERM_PROGRAM"),
            lc_terminal: get("LC_TERMINAL"),
            multiplexer: set("TMUX") || set("STY"),
            hint: std::env::var(HINT_VAR).ok().filter(|v| !v.is_empty()),
        }
    }

    /// Inside tmux or screen.
    fn in_multiplexer(&self) -> bool {
        self.multiplexer
            || self.term.starts_with("tmux")
            || self.term.starts_with("screen")
            || self.term_program == "tmux"
    }

    /// A terminal known to show iTerm2's inline images (it answers no query for them).
    fn iterm2(&self) -> bool {
        self.term_program.contains("iTerm")
            || self.term_program.contains("WezTerm")
            || self.lc_terminal.contains("iTerm")
    }
}

/// What the terminal answered to [`QUERY`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Answer {
    /// kitty's graphics query was answered OK.
    pub kitty: bool,
    /// The device attributes list sixel graphics (attribute 4).
    pub sixel: bool,
    /// One cell in pixels (width, height), from CSI 16 t.
    pub cell: Option<(u16, u16)>,
}

/// The protocol chosen, the cell size in pixels when known, and why (for the event log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub protocol: Protocol,
    /// One cell in pixels (width, height): sixel images are drawn at exactly the cells' size.
    pub cell: Option<(u16, u16)>,
    pub reason: String,
}

impl Detected {
    /// Half blocks, for `reason`.
    pub fn blocks(reason: impl Into<String>) -> Detected {
        Detected {
            protocol: Protocol::Blocks,
            cell: None,
            reason: reason.into(),
        }
    }
}

/// Choose the protocol for `flag` (from `--images`) in `env`. `window_cell` is the cell size
/// the kernel reports (TIOCGWINSZ; often zero over SSH); `query` asks the terminal (called at
/// most once, and only when the answer matters).
pub fn choose(
    flag: ImageMode,
    env: &Env,
    window_cell: Option<(u16, u16)>,
    query: impl FnOnce() -> Option<Answer>,
) -> Detected {
    let (mode, by) = if flag == ImageMode::Auto {
        match env.hint.as_deref().map(|h| ImageMode::from_str(h, true)) {
            Some(Ok(mode)) => (mode, format!("{HINT_VAR}={}", mode_name(mode))),
            Some(Err(_)) => {
                let hint = env.hint.as_deref().unwrap_or_default();
                let mut d = auto(env, window_cell, query);
                d.reason = format!(
                    "{} ({HINT_VAR}={hint:?} ignored: expected auto, blocks, kitty, sixel or iterm2)",
                    d.reason
                );
                return d;
            }
            None => (ImageMode::Auto, String::new()),
        }
    } else {
        (flag, format!("--images {}", mode_name(flag)))
    };
    let forced = |protocol, cell| Detected {
        protocol,
        cell,
        reason: by.clone(),
    };
    match mode {
        ImageMode::Auto => auto(env, window_cell, query),
        ImageMode::Blocks => Detected::blocks(by.clone()),
        ImageMode::Kitty => forced(Protocol::Kitty, window_cell),
        ImageMode::Iterm2 => forced(Protocol::Iterm2, window_cell),
        ImageMode::Sixel => match window_cell.or_else(|| query().and_then(|a| a.cell)) {
            Some(cell) => forced(Protocol::Sixel, Some(cell)),
            None => Detected::blocks(format!(
                "{by}, but the terminal did not tell its cell size in pixels, which sixel images need"
            )),
        },
    }
}

/// The name of `mode` as `--images` spells it.
fn mode_name(mode: ImageMode) -> String {
    mode.to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}

/// The automatic choice.
fn auto(
    env: &Env,
    window_cell: Option<(u16, u16)>,
    query: impl FnOnce() -> Option<Answer>,
) -> Detected {
    if env.in_multiplexer() {
        return Detected::blocks("inside tmux or screen, which do not pass images on");
    }
    if matches!(env.term.as_str(), "" | "dumb" | "linux") {
        return Detected::blocks(format!("TERM={:?} shows no images", env.term));
    }
    if env.iterm2() {
        return Detected {
            protocol: Protocol::Iterm2,
            cell: window_cell,
            reason: "the terminal is iTerm2 or WezTerm (TERM_PROGRAM, LC_TERMINAL)".into(),
        };
    }
    let Some(answer) = query() else {
        return Detected::blocks(format!(
            "the terminal did not answer the image query within {} ms",
            QUERY_TIMEOUT.as_millis()
        ));
    };
    let cell = answer.cell.or(window_cell);
    if answer.kitty {
        Detected {
            protocol: Protocol::Kitty,
            cell,
            reason: "the terminal answered kitty's graphics query".into(),
        }
    } else if answer.sixel {
        match cell {
            Some(cell) => Detected {
                protocol: Protocol::Sixel,
                cell: Some(cell),
                reason: "the terminal lists sixel graphics".into(),
            },
            None => Detected::blocks("sixel terminal without a cell size in pixels"),
        }
    } else {
        Detected::blocks("the terminal speaks no image protocol")
    }
}

/// The answer in `bytes` once it is complete (the device attributes have arrived), else None.
/// Anything else in between (keys typed meanwhile, unknown answers) is passed over.
pub fn parse_answer(bytes: &[u8]) -> Option<Answer> {
    let mut answer = Answer::default();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != 0x1b {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            // APC: kitty's answer "ESC _ G i=31;OK ESC \".
            Some(b'_') => {
                let body = &bytes[i + 2..];
                let end = body.windows(2).position(|w| w == b"\x1b\\")?;
                let body = &body[..end];
                if body.first() == Some(&b'G') && body.windows(2).any(|w| w == b"OK") {
                    answer.kitty = true;
                }
                i += 2 + end + 2;
            }
            // CSI: parameters, then one final byte.
            Some(b'[') => {
                let rest = &bytes[i + 2..];
                let end = rest.iter().position(|b| (0x40..=0x7e).contains(b))?;
                let params = std::str::from_utf8(&rest[..end]).unwrap_or_default();
                match rest[end] {
                    b'c' if params.starts_with('?') => {
                        answer.sixel = params[1..].split(';').any(|p| p == "4");
                        return Some(answer);
                    }
                    b't' => {
                        let v: Vec<u16> =
                            params.split(';').filter_map(|p| p.parse().ok()).collect();
                        if let [6, h, w] = v[..]
                            && w > 0
                            && h > 0
                        {
                            answer.cell = Some((w, h));
                        }
                    }
                    _ => {}
                }
                i += 2 + end + 1;
            }
            Some(_) => i += 1,
            None => return None,
        }
    }
    None
}

/// The cell size in pixels the kernel reports for the terminal, when it knows it.
pub fn window_cell() -> Option<(u16, u16)> {
    let size = crossterm::terminal::window_size().ok()?;
    if size.columns == 0 || size.rows == 0 || size.width == 0 || size.height == 0 {
        return None;
    }
    Some((size.width / size.columns, size.height / size.rows)).filter(|&(w, h)| w > 0 && h > 0)
}

/// Send [`QUERY`] to `out` and read the terminal's answer for at most `timeout`. The terminal
/// must be in raw mode, and nothing else may be reading its input yet.
pub fn query_terminal(out: &mut impl Write, timeout: Duration) -> Option<Answer> {
    // The input of the terminal: stdin when it is one, else the controlling terminal (as
    // crossterm reads it).
    let tty;
    let fd = if io::stdin().is_terminal() {
        io::stdin().as_raw_fd()
    } else {
        tty = std::fs::File::open("/dev/tty").ok()?;
        tty.as_raw_fd()
    };
    out.write_all(QUERY).ok()?;
    out.flush().ok()?;
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while got.len() < MAX_ANSWER {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX).max(1);
        // SAFETY: one valid pollfd, and its count.
        let ready = unsafe { libc::poll(&raw mut pfd, 1, ms) };
        if ready < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return None;
        }
        if ready == 0 {
            return None;
        }
        // SAFETY: reads at most buf.len() bytes into buf, which lives across the call.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        let Ok(n) = usize::try_from(n) else {
            return None;
        };
        if n == 0 {
            return None;
        }
        got.extend_from_slice(&buf[..n]);
        if let Some(answer) = parse_answer(&got) {
            return Some(answer);
        }
    }
    None
}

/// Decide the protocol for this terminal: [`choose`] with the real environment, asking the
/// terminal on `out` when needed.
pub fn detect(flag: ImageMode, out: &mut impl Write) -> Detected {
    let mut asked = false;
    let detected = choose(flag, &Env::from_process(), window_cell(), || {
        asked = true;
        query_terminal(out, QUERY_TIMEOUT)
    });
    if asked {
        // A terminal that does not know the query may have printed part of it.
        let _ = out.write_all(b"\x1b[2J");
        let _ = out.flush();
    }
    detected
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn kitty_terminal() -> Env {
        Env {
            term: "xterm-kitty".into(),
            ..Env::default()
        }
    }

    const KITTY: Answer = Answer {
        kitty: true,
        sixel: false,
        cell: Some((10, 20)),
    };

    #[test]
    fn tmux_keeps_half_blocks_without_asking() {
        let asked = Cell::new(false);
        let ask = || {
            asked.set(true);
            Some(KITTY)
        };
        let env = Env {
            term: "tmux-256color".into(),
            ..Env::default()
        };
        assert_eq!(
            choose(ImageMode::Auto, &env, None, ask).protocol,
            Protocol::Blocks
        );
        let env = Env {
            term: "xterm-kitty".into(),
            multiplexer: true,
            ..Env::default()
        };
        assert_eq!(
            choose(ImageMode::Auto, &env, None, ask).protocol,
            Protocol::Blocks
        );
        assert!(!asked.get(), "the terminal was asked inside tmux");
    }

    #[test]
    fn the_answer_decides_in_auto() {
        let env = kitty_terminal();
        let d = choose(ImageMode::Auto, &env, None, || Some(KITTY));
        assert_eq!((d.protocol, d.cell), (Protocol::Kitty, Some((10, 20))));
        let sixel = Answer {
            kitty: false,
            sixel: true,
            cell: None,
        };
        // Sixel needs the cell size: from the answer, else the kernel's, else no sixel.
        let d = choose(ImageMode::Auto, &env, Some((9, 18)), || Some(sixel));
        assert_eq!((d.protocol, d.cell), (Protocol::Sixel, Some((9, 18))));
        let d = choose(ImageMode::Auto, &env, None, || Some(sixel));
        assert_eq!(d.protocol, Protocol::Blocks);
        let d = choose(ImageMode::Auto, &env, None, || Some(Answer::default()));
        assert_eq!(d.protocol, Protocol::Blocks);
        // No answer within the timeout: half blocks.
        let d = choose(ImageMode::Auto, &env, Some((9, 18)), || None);
        assert_eq!(d.protocol, Protocol::Blocks);
        assert!(d.reason.contains("did not answer"), "{}", d.reason);
        // iTerm2 (also over SSH, by LC_TERMINAL) answers no query: the environment says it.
        let env = Env {
            term: "xterm-256color".into(),
            lc_terminal: "iTerm2".into(),
            ..Env::default()
        };
        assert_eq!(
            choose(ImageMode::Auto, &env, None, || None).protocol,
            Protocol::Iterm2
        );
    }

    #[test]
    fn a_forced_mode_wins_over_environment_and_answer() {
        let tmux = Env {
            term: "screen".into(),
            multiplexer: true,
            hint: Some("blocks".into()),
            ..Env::default()
        };
        let d = choose(ImageMode::Kitty, &tmux, None, || None);
        assert_eq!(d.protocol, Protocol::Kitty);
        assert_eq!(d.reason, "--images kitty");
        let d = choose(ImageMode::Blocks, &kitty_terminal(), None, || Some(KITTY));
        assert_eq!(d.protocol, Protocol::Blocks);
        // Forced sixel asks for the cell size when the kernel does not know it.
        let d = choose(ImageMode::Sixel, &tmux, None, || Some(KITTY));
        assert_eq!((d.protocol, d.cell), (Protocol::Sixel, Some((10, 20))));
        let d = choose(ImageMode::Sixel, &tmux, None, || None);
        assert_eq!(d.protocol, Protocol::Blocks);
        // The environment hint decides when the flag is auto, also inside tmux.
        let hinted = Env {
            hint: Some("ITERM2".into()),
            ..tmux.clone()
        };
        let d = choose(ImageMode::Auto, &hinted, None, || None);
        assert_eq!(
            (d.protocol, d.reason.as_str()),
            (Protocol::Iterm2, "AESCOPE_IMAGES=iterm2")
        );
        // A hint that names nothing is reported and ignored.
        let wrong = Env {
            hint: Some("kity".into()),
            ..kitty_terminal()
        };
        let d = choose(ImageMode::Auto, &wrong, None, || Some(KITTY));
        assert_eq!(d.protocol, Protocol::Kitty);
        assert!(d.reason.contains("\"kity\" ignored"), "{}", d.reason);
    }

    #[test]
    fn answers_are_parsed_in_any_company() {
        // kitty: graphics OK, cell 10×21, device attributes without sixel.
        let kitty = b"\x1b_Gi=31;OK\x1b\\\x1b[6;21;10t\x1b[?62;22c";
        assert_eq!(
            parse_answer(kitty),
            Some(Answer {
                kitty: true,
                sixel: false,
                cell: Some((10, 21)),
            })
        );
        // xterm -ti vt340: no kitty answer, sixel in the attributes; a key typed before.
        let xterm = b"q\x1b[6;16;8t\x1b[?63;1;2;4;6;9;15;22c";
        assert_eq!(
            parse_answer(xterm),
            Some(Answer {
                kitty: false,
                sixel: true,
                cell: Some((8, 16)),
            })
        );
        // An error answer to the graphics query is no support.
        let refused = b"\x1b_Gi=31;ENOTSUPPORTED:no\x1b\\\x1b[?1;2c";
        assert_eq!(parse_answer(refused), Some(Answer::default()));
        // Incomplete: the device attributes have not arrived yet.
        assert_eq!(parse_answer(b"\x1b_Gi=31;OK\x1b\\\x1b[6;21;10t"), None);
        assert_eq!(parse_answer(b"\x1b_Gi=31;OK\x1b\\\x1b[?62;2"), None);
        assert_eq!(parse_answer(b"\x1b_Gi=31;O"), None);
        assert_eq!(parse_answer(b""), None);
    }
}
