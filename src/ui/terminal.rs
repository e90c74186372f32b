//! The terminal session both interfaces run in: raw mode and the alternate screen, a thread
//! forwarding input events, and the screen restored on every way out: normal return and errors
//! (the guard's `Drop`), panics (a hook that restores the terminal *before* the message
//! prints, so the message is readable), and a terminal that has gone away (SIGHUP: restoring
//! fails quietly instead of panicking in a destructor).
//!
//! A panic on another thread (the worker catches its own and reports them as events) must
//! neither tear the screen down under the running UI nor print over it: its message is kept
//! and printed once the terminal is restored.

use super::images::detect::{self, Detected, ImageMode, Protocol};
use super::images::encode;
use crossbeam_channel::{Receiver, bounded};
use crossterm::cursor::{Hide, Show};
use crossterm::event::{self as ct, DisableMouseCapture, EnableMouseCapture, Event as Input};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::thread::ThreadId;
use std::time::Duration;

/// How often the input thread checks whether the session is over.
const INPUT_POLL: Duration = Duration::from_millis(200);

/// The terminal type the UI draws on.
pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Whether the UI currently owns the terminal (the panic hook restores only then).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Whether kitty images may be on the screen (deleted when the terminal is restored).
static KITTY_IMAGES: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();
/// The thread that owns the terminal.
static UI_THREAD: Mutex<Option<ThreadId>> = Mutex::new(None);
/// Panic messages of other threads, printed after the terminal is restored.
static DEFERRED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Owns the terminal in raw mode on the alternate screen; dropping it gives it back.
pub struct TerminalGuard {
    terminal: Option<Term>,
}

impl TerminalGuard {
    /// Enter raw mode and the alternate screen, capturing the mouse when `mouse`. On failure
    /// the terminal is left as found.
    pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
        install_panic_hook();
        if let Ok(mut t) = UI_THREAD.lock() {
            *t = Some(std::thread::current().id());
        }
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        // From here on a failure must undo raw mode: restore() runs on every error path.
        let setup = || -> io::Result<Term> {
            execute!(io::stdout(), EnterAlternateScreen, Hide)?;
            if mouse {
                execute!(io::stdout(), EnableMouseCapture)?;
            }
            Terminal::new(CrosstermBackend::new(io::stdout()))
        };
        match setup() {
            Ok(terminal) => Ok(TerminalGuard {
                terminal: Some(terminal),
            }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    /// The terminal to draw on (None only while being dropped).
    pub fn terminal(&mut self) -> Option<&mut Term> {
        self.terminal.as_mut()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if let Some(mut t) = self.terminal.take() {
            // ratatui's Terminal shows a hidden cursor when dropped and prints to stderr if
            // that fails, which panics when the terminal is gone: show it here and, if the
            // terminal cannot be written to, do not run its destructor.
            if t.show_cursor().is_ok() {
                drop(t);
            } else {
                std::mem::forget(t);
            }
        }
        restore();
    }
}

/// A terminal session: the screen in raw mode and the input thread. Dropping it stops the
/// thread and restores the terminal.
pub struct Session {
    // Field order is drop order: the input thread is told to stop (by `Drop`) before the
    // guard restores the screen.
    input: Receiver<Input>,
    stop: Arc<AtomicBool>,
    guard: TerminalGuard,
    images: Detected,
}

impl Session {
    /// Take over the terminal (and the mouse, when `mouse`), decide how images are drawn
    /// (`images`; the terminal is asked, if at all, before anything reads its input) and start
    /// reading its input.
    pub fn start(mouse: bool, images: ImageMode) -> io::Result<Session> {
        let guard = TerminalGuard::enter(mouse)?;
        // Raw mode is on (the answer is read unechoed, byte by byte), the input thread not
        // started yet: the answer cannot reach the keys.
        let images = detect::detect(images, &mut io::stdout());
        KITTY_IMAGES.store(images.protocol == Protocol::Kitty, Ordering::SeqCst);
        let stop = Arc::new(AtomicBool::new(false));
        let input = spawn_input(stop.clone())?;
        Ok(Session {
            input,
            stop,
            guard,
            images,
        })
    }

    /// How images are drawn in this session, and why.
    pub fn images(&self) -> &Detected {
        &self.images
    }

    /// The terminal to draw on and its input events; None once the terminal is being given
    /// back.
    pub fn parts(&mut self) -> Option<(&mut Term, &Receiver<Input>)> {
        let input = &self.input;
        self.guard.terminal().map(|t| (t, input))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Follow a resize with a full redraw: `resize` clears the screen and forgets the previous
/// frame, without the cursor-position round trip of `clear` (slow over SSH).
pub fn resize(term: &mut Term, width: u16, height: u16) -> io::Result<()> {
    term.resize(Rect::new(0, 0, width, height))
}

/// Forward terminal events into a channel until `stop` is set or the terminal fails.
fn spawn_input(stop: Arc<AtomicBool>) -> io::Result<Receiver<Input>> {
    let (tx, rx) = bounded(64);
    std::thread::Builder::new()
        .name("aescope-input".into())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match ct::poll(INPUT_POLL) {
                    Ok(true) => match ct::read() {
                        Ok(ev) => {
                            if tx.send(ev).is_err() {
                                break;
                            }
                        }
                        Err(_) => break,
                    },
                    Ok(false) => {}
                    Err(_) => break,
                }
            }
        })?;
    Ok(rx)
}

/// Leave raw mode and the alternate screen, show the cursor; errors are ignored (there is no
/// better place to report them, and the terminal may be gone).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        if KITTY_IMAGES.swap(false, Ordering::SeqCst) {
            // kitty keeps images until deleted: none is left on the screen given back.
            let mut out = io::stdout();
            let _ = out.write_all(encode::KITTY_DELETE_ALL);
            let _ = out.flush();
        }
        let _ = disable_raw_mode();
        // Mouse capture off whether or not it was on: harmless, and never left behind.
        let _ = execute!(
            io::stdout(),
            DisableMouseCapture,
            LeaveAlternateScreen,
            Show
        );
    }
    let deferred = DEFERRED
        .lock()
        .map(|mut d| std::mem::take(&mut *d))
        .unwrap_or_default();
    let mut err = io::stderr();
    for msg in deferred {
        // writeln!, not eprintln!: a closed terminal must not turn this into a panic.
        let _ = writeln!(err, "{msg}");
    }
}

/// Chain a hook that restores the terminal before the previous hook prints the panic.
fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_ui = UI_THREAD
                .lock()
                .map_or(true, |t| *t == Some(std::thread::current().id()));
            if ACTIVE.load(Ordering::SeqCst) && !on_ui {
                let payload = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(ToString::to_string)
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                let place = info
                    .location()
                    .map_or_else(String::new, |l| format!(" at {l}"));
                let name = std::thread::current()
                    .name()
                    .unwrap_or("unnamed")
                    .to_string();
                if let Ok(mut d) = DEFERRED.lock() {
                    d.push(format!("thread '{name}' panicked{place}:\n{payload}"));
                }
                return;
            }
            restore();
            previous(info);
        }));
    });
}
