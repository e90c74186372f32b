//! Colours: the terminal's colour depth (detected once at start), the palette of the series,
//! and the diverging colormap of the heatmap.

pub use crate::colormap::diverging_rgb;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;

/// How many colours the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    /// 24-bit RGB.
    TrueColor,
    /// The xterm 256-colour palette (6×6×6 cube and grey ramp).
    Ansi256,
    /// The 16 named ANSI colours only.
    Ansi16,
}

impl ColorMode {
    /// Guess from the environment: `COLORTERM=truecolor|24bit` means RGB; consoles that are
    /// known to have 16 colours get those; everything else gets the 256-colour palette, which
    /// every terminal emulator of the last twenty years (and tmux, screen) understands.
    pub fn detect() -> ColorMode {
        let get = |k: &str| std::env::var(k).unwrap_or_default().to_ascii_lowercase();
        ColorMode::from_env(&get("COLORTERM"), &get("TERM"))
    }

    /// [`ColorMode::detect`] on explicit values (testable).
    pub fn from_env(colorterm: &str, term: &str) -> ColorMode {
        if colorterm == "truecolor" || colorterm == "24bit" {
            ColorMode::TrueColor
        } else if term == "linux" || term == "dumb" || term.starts_with("vt") || term == "ansi" {
            ColorMode::Ansi16
        } else {
            ColorMode::Ansi256
        }
    }
}

/// Everything about how the screen looks that does not depend on the data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    /// Colour depth of the heatmap.
    pub mode: ColorMode,
    /// Marker of the chart lines: Braille (2×4 dots a cell) or Dot for fonts without Braille.
    pub marker: Marker,
    /// Smoothed minibatch loss.
    pub loss: Color,
    /// Evaluated risk.
    pub risk: Color,
    /// The activation's limit.
    pub limit: Color,
    /// PCA bound.
    pub pca: Color,
    /// Shannon's D(r).
    pub shannon: Color,
    /// R*(B).
    pub best: Color,
    /// The isotropic limit beside a data file's prediction (sweeps).
    pub isotropic: Color,
    /// Risk on the training subset (data files; never drawn with PCA, which is for
    /// isotropic sources only).
    pub train: Color,
    /// Eigenvalue histogram.
    pub histogram: Color,
    /// Marchenko–Pastur law.
    pub mp: Color,
    /// Target spectrum.
    pub target: Color,
    /// Panel borders and axes.
    pub border: Color,
    /// Labels and secondary text.
    pub dim: Color,
    /// Keys in hints and help.
    pub key: Color,
    /// Error messages and divergence.
    pub error: Color,
    /// Good news and the running state.
    pub ok: Color,
    /// Paused and questions.
    pub warn: Color,
    /// The chart cursor and its step.
    pub cursor: Color,
    /// Earlier runs drawn beside this one (`--compare`), in turn: the dim (non-bright)
    /// colours, under the live run's bright ones.
    pub compared: [Color; 4],
}

impl Theme {
    /// Series colours are the named ANSI colours: they read well in every colour mode, on dark
    /// and light backgrounds, and each terminal maps them to its own palette.
    pub fn new(mode: ColorMode, dot_marker: bool) -> Theme {
        Theme {
            mode,
            marker: if dot_marker {
                Marker::Dot
            } else {
                Marker::Braille
            },
            loss: Color::LightGreen,
            risk: Color::LightRed,
            limit: Color::Yellow,
            pca: Color::LightBlue,
            shannon: Color::LightMagenta,
            best: Color::Cyan,
            isotropic: Color::Green,
            train: Color::LightBlue,
            histogram: Color::LightCyan,
            mp: Color::Magenta,
            target: Color::Yellow,
            border: Color::DarkGray,
            dim: Color::Gray,
            key: Color::LightYellow,
            error: Color::LightRed,
            ok: Color::LightGreen,
            warn: Color::Yellow,
            cursor: Color::White,
            compared: [Color::Red, Color::Blue, Color::Magenta, Color::Green],
        }
    }

    /// The colour of the `i`-th compared run.
    pub fn compared_color(&self, i: usize) -> Color {
        self.compared[i % self.compared.len()]
    }

    /// Style of a panel's border.
    pub fn border_style(&self) -> Style {
        Style::default().fg(self.border)
    }

    /// Style of a panel's title.
    pub fn title_style(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    /// The diverging colormap: `t` in [−1, 1] (clamped; NaN is neutral) from blue through
    /// white to red, in this theme's colour depth.
    pub fn diverging(&self, t: f32) -> Color {
        diverging(t, self.mode)
    }

    /// An RGB colour in this theme's colour depth (16 colours: the nearest of four greys by
    /// brightness, so a colour image keeps its light and dark parts).
    pub fn rgb(&self, [r, g, b]: [u8; 3]) -> Color {
        match self.mode {
            ColorMode::TrueColor => Color::Rgb(r, g, b),
            ColorMode::Ansi256 => Color::Indexed(nearest_256([r, g, b])),
            ColorMode::Ansi16 => {
                let luma = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
                match luma {
                    0..64 => Color::Black,
                    64..128 => Color::DarkGray,
                    128..192 => Color::Gray,
                    _ => Color::White,
                }
            }
        }
    }
}

/// [`diverging_rgb`] in the given colour depth.
pub fn diverging(t: f32, mode: ColorMode) -> Color {
    match mode {
        ColorMode::TrueColor => {
            let [r, g, b] = diverging_rgb(t);
            Color::Rgb(r, g, b)
        }
        ColorMode::Ansi256 => Color::Indexed(nearest_256(diverging_rgb(t))),
        ColorMode::Ansi16 => diverging_16(t),
    }
}

/// Five steps with the named colours: sign and rough magnitude stay readable.
fn diverging_16(t: f32) -> Color {
    let t = if t.is_nan() { 0.0 } else { t };
    if t <= -0.6 {
        Color::Blue
    } else if t <= -0.2 {
        Color::LightBlue
    } else if t < 0.2 {
        Color::White
    } else if t < 0.6 {
        Color::LightRed
    } else {
        Color::Red
    }
}

/// Levels of the xterm 6×6×6 colour cube.
const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

/// Nearest entry of the xterm 256-colour palette (cube or grey ramp) in RGB distance.
pub fn nearest_256([r, g, b]: [u8; 3]) -> u8 {
    let level = |v: u8| {
        (0..6)
            .min_by_key(|&i| (i32::from(CUBE[i]) - i32::from(v)).abs())
            .unwrap_or(0)
    };
    let (ri, gi, bi) = (level(r), level(g), level(b));
    let cube = [CUBE[ri], CUBE[gi], CUBE[bi]];
    let cube_index = 16 + 36 * ri as u8 + 6 * gi as u8 + bi as u8;
    // Grey ramp 232..=255: 8, 18, …, 238.
    let mean = (u32::from(r) + u32::from(g) + u32::from(b)) / 3;
    let gi_ramp = ((mean.saturating_sub(8) + 5) / 10).min(23) as u8;
    let grey = 8 + 10 * gi_ramp;
    let dist = |c: [u8; 3]| {
        let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
        d(c[0], r) + d(c[1], g) + d(c[2], b)
    };
    if dist([grey, grey, grey]) < dist(cube) {
        232 + gi_ramp
    } else {
        cube_index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_follows_colorterm_then_term() {
        assert_eq!(
            ColorMode::from_env("truecolor", "xterm"),
            ColorMode::TrueColor
        );
        assert_eq!(ColorMode::from_env("24bit", ""), ColorMode::TrueColor);
        assert_eq!(
            ColorMode::from_env("", "xterm-256color"),
            ColorMode::Ansi256
        );
        assert_eq!(ColorMode::from_env("", "linux"), ColorMode::Ansi16);
    }

    #[test]
    fn colormap_ends_and_middle() {
        assert_eq!(diverging_rgb(-1.0), [33, 102, 172]);
        assert_eq!(diverging_rgb(0.0), [247, 247, 247]);
        assert_eq!(diverging_rgb(1.0), [178, 24, 43]);
        assert_eq!(diverging_rgb(5.0), diverging_rgb(1.0));
        assert_eq!(diverging_rgb(f32::NAN), diverging_rgb(0.0));
        let [r, _, b] = diverging_rgb(0.75);
        assert!(r > b);
    }

    #[test]
    fn palette_256_is_close() {
        assert_eq!(nearest_256([255, 255, 255]), 231);
        assert_eq!(nearest_256([0, 0, 0]), 16);
        // Near-white maps to a light grey or the white corner, never a hue.
        let w = nearest_256(diverging_rgb(0.0));
        assert!(w == 231 || w >= 250, "{w}");
        // Red stays red: the cube's red component dominates.
        let red = nearest_256(diverging_rgb(1.0)) - 16;
        assert!(red / 36 > (red / 6) % 6 && red / 36 > red % 6);
    }

    #[test]
    fn sixteen_colours_keep_the_sign() {
        assert_eq!(diverging(1.0, ColorMode::Ansi16), Color::Red);
        assert_eq!(diverging(-1.0, ColorMode::Ansi16), Color::Blue);
        assert_eq!(diverging(0.0, ColorMode::Ansi16), Color::White);
    }
}
