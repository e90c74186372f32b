//! One picture as the escape sequence of each image protocol: pure functions from pixels to
//! bytes. The picture is first scaled with nearest neighbours (a pixel of a feature stays a
//! sharp square) to the size in pixels of the cells it fills, when the cell size is known.
//!
//! - kitty: `ESC _ G a=T,f=100,…;<base64 PNG> ESC \`, in chunks of 4096 base64 characters,
//!   stretched by the terminal over `c × r` cells, the cursor left in place, no reply (`q=2`);
//! - iTerm2: `ESC ] 1337 ; File=inline=1;width=…;height=…:<base64 PNG> BEL`;
//! - sixel: `ESC P 0;1;0 q "1;1;W;H #i;2;r;g;b … <bands of six rows> ESC \`, at most 256
//!   colours (exact when the picture has no more, else a 6×7×6 colour cube).

use crate::train::feature_png::{Rgb, png_bytes};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;

/// Base64 characters a kitty chunk holds at most (the protocol's limit).
const KITTY_CHUNK: usize = 4096;
/// Cell width in pixels assumed when the terminal does not tell it (kitty and iTerm2 scale
/// the picture to the cells themselves; this only sets how finely it is sent).
const FALLBACK_CELL: (usize, usize) = (10, 20);
/// Longest side, in pixels, a picture is scaled to.
const MAX_SIDE: usize = 2048;

/// Delete every image placement on the screen (kitty), without a reply.
pub const KITTY_DELETE_ALL: &[u8] = b"\x1b_Ga=d,d=A,q=2\x1b\\";

/// The size in pixels a picture of `image` is sent at to fill `cols × rows` cells: the cells'
/// size when `cell` (one cell, in pixels) is known; else the image enlarged by the whole factor
/// that reaches about the cells' size at [`FALLBACK_CELL`].
pub fn target_size(image: &Rgb, cols: u16, rows: u16, cell: Option<(u16, u16)>) -> (usize, usize) {
    let (w, h) = (image.width.max(1), image.height.max(1));
    let (tw, th) = match cell {
        Some((cw, ch)) => (
            usize::from(cols) * usize::from(cw),
            usize::from(rows) * usize::from(ch),
        ),
        None => {
            let k = (usize::from(cols) * FALLBACK_CELL.0)
                .div_ceil(w)
                .max((usize::from(rows) * FALLBACK_CELL.1).div_ceil(h))
                .max(1);
            (w * k, h * k)
        }
    };
    (tw.clamp(1, MAX_SIDE), th.clamp(1, MAX_SIDE))
}

/// `image` scaled to `width × height` by nearest neighbours.
pub fn scale_nearest(image: &Rgb, width: usize, height: usize) -> Rgb {
    if image.width == 0 || image.height == 0 {
        return Rgb {
            width,
            height,
            data: vec![0; 3 * width * height],
        };
    }
    let mut data = Vec::with_capacity(3 * width * height);
    for y in 0..height {
        let sy = y * image.height / height.max(1);
        for x in 0..width {
            let sx = x * image.width / width.max(1);
            let at = 3 * (sy * image.width + sx);
            data.extend_from_slice(image.data.get(at..at + 3).unwrap_or(&[0, 0, 0]));
        }
    }
    Rgb {
        width,
        height,
        data,
    }
}

/// kitty: transmit `image` as PNG with id `id` and place it over `cols × rows` cells at the
/// cursor, leaving the cursor where it is.
pub fn kitty(image: &Rgb, id: u32, cols: u16, rows: u16) -> io::Result<Vec<u8>> {
    let payload = STANDARD.encode(png_bytes(image)?);
    let chunks: Vec<&[u8]> = payload.as_bytes().chunks(KITTY_CHUNK).collect();
    let mut out = Vec::with_capacity(payload.len() + 64 * chunks.len());
    for (i, chunk) in chunks.iter().enumerate() {
        let more = u8::from(i + 1 < chunks.len());
        let head = if i == 0 {
            format!("\x1b_Ga=T,f=100,i={id},c={cols},r={rows},C=1,q=2,m={more};")
        } else {
            format!("\x1b_Gm={more};")
        };
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\x1b\\");
    }
    Ok(out)
}

/// kitty: delete image `id` and its placements, freeing its data, without a reply.
pub fn kitty_delete(id: u32) -> Vec<u8> {
    format!("\x1b_Ga=d,d=I,i={id},q=2\x1b\\").into_bytes()
}

/// iTerm2: `image` as an inline PNG stretched over `cols × rows` cells.
pub fn iterm2(image: &Rgb, cols: u16, rows: u16) -> io::Result<Vec<u8>> {
    let png = png_bytes(image)?;
    let head = format!(
        "\x1b]1337;File=inline=1;size={};width={cols};height={rows};preserveAspectRatio=0;doNotMoveCursor=1:",
        png.len()
    );
    let mut out = head.into_bytes();
    out.extend_from_slice(STANDARD.encode(&png).as_bytes());
    out.push(0x07);
    Ok(out)
}

/// Colours a sixel image holds at most.
const SIXEL_COLORS: usize = 256;

/// `image` as a sixel image at its own size (one image pixel a screen pixel).
pub fn sixel(image: &Rgb) -> Vec<u8> {
    let (w, h) = (image.width, image.height);
    let (palette, index) = sixel_palette(image);
    let mut out = String::with_capacity(64 + 8 * palette.len() + w * h / 2);
    // P2 = 1: pixels left 0 keep what is under them; raster attributes: 1:1 pixels, W × H.
    let _ = write!(out, "\x1bP0;1;0q\"1;1;{w};{h}");
    for (i, rgb) in palette.iter().enumerate() {
        let [r, g, b] = rgb.map(|c| (u32::from(c) * 100 + 127) / 255);
        let _ = write!(out, "#{i};2;{r};{g};{b}");
    }
    // Per band of six rows: a row of sixels per colour present, overprinted ($).
    let mut rows: Vec<Vec<u8>> = vec![Vec::new(); palette.len()];
    for y0 in (0..h).step_by(6) {
        let mut present: Vec<usize> = Vec::new();
        for dy in 0..6.min(h - y0) {
            for x in 0..w {
                let c = usize::from(index[(y0 + dy) * w + x]);
                if rows[c].is_empty() {
                    rows[c].resize(w, 0);
                    present.push(c);
                }
                rows[c][x] |= 1 << dy;
            }
        }
        present.sort_unstable();
        for (k, &c) in present.iter().enumerate() {
            if k > 0 {
                out.push('$');
            }
            let _ = write!(out, "#{c}");
            push_run_length(&mut out, &rows[c]);
            rows[c].clear();
        }
        out.push('-');
    }
    out.push_str("\x1b\\");
    out.into_bytes()
}

/// Sixel characters (`?` + the six bits) of `bits`, runs of four or more as `!n c`, the
/// trailing empty ones left out (the next colour starts again at the left).
fn push_run_length(out: &mut String, bits: &[u8]) {
    let bits = &bits[..bits.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)];
    let mut i = 0;
    while i < bits.len() {
        let run = bits[i..].iter().take_while(|&&b| b == bits[i]).count();
        let ch = char::from(63 + bits[i]);
        if run >= 4 {
            let _ = write!(out, "!{run}{ch}");
        } else {
            out.extend(std::iter::repeat_n(ch, run));
        }
        i += run;
    }
}

/// The colours of `image` (at most [`SIXEL_COLORS`]: its own when it has no more, else the
/// colour cube's that it uses) and each pixel's index among them.
fn sixel_palette(image: &Rgb) -> (Vec<[u8; 3]>, Vec<u8>) {
    let pixels = || image.data.chunks_exact(3).map(|p| [p[0], p[1], p[2]]);
    let mut distinct: HashMap<[u8; 3], u8> = HashMap::new();
    let mut palette = Vec::new();
    let exact = pixels().all(|p| {
        if distinct.contains_key(&p) {
            return true;
        }
        if palette.len() == SIXEL_COLORS {
            return false;
        }
        distinct.insert(p, palette.len() as u8);
        palette.push(p);
        true
    });
    if !exact {
        distinct.clear();
        palette.clear();
    }
    let index = pixels()
        .map(|p| {
            let p = if exact { p } else { cube(p) };
            *distinct.entry(p).or_insert_with(|| {
                palette.push(p);
                (palette.len() - 1) as u8
            })
        })
        .collect();
    (palette, index)
}

/// The nearest colour of a 6×7×6 cube (252 colours; green, which the eye resolves best, gets
/// the seventh level).
fn cube([r, g, b]: [u8; 3]) -> [u8; 3] {
    let level = |c: u8, n: u32| {
        let q = (u32::from(c) * (n - 1) + 127) / 255;
        (q * 255 / (n - 1)) as u8
    };
    [level(r, 6), level(g, 7), level(b, 6)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::iter::Peekable;
    use std::str::Chars;

    /// A small picture with a distinct colour per pixel: w × h, channels from position.
    fn picture(w: usize, h: usize) -> Rgb {
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                data.extend_from_slice(&[(40 * x) as u8, (30 * y) as u8, 200]);
            }
        }
        Rgb {
            width: w,
            height: h,
            data,
        }
    }

    fn decode_png(bytes: &[u8]) -> Rgb {
        let decoder = png::Decoder::new(bytes);
        let mut reader = decoder.read_info().unwrap();
        let mut data = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut data).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        data.truncate(info.buffer_size());
        Rgb {
            width: info.width as usize,
            height: info.height as usize,
            data,
        }
    }

    #[test]
    fn scaling_is_to_the_cells_and_keeps_pixels_square() {
        let img = picture(3, 2);
        // 6 × 2 cells of 10 × 20 px.
        assert_eq!(target_size(&img, 6, 2, Some((10, 20))), (60, 40));
        // Unknown cell size: a whole factor (20) reaching 6 × 10 px wide and 2 × 20 px high.
        assert_eq!(target_size(&img, 6, 2, None), (60, 40));
        let big = scale_nearest(&img, 6, 4);
        // Pixel (5, 3) of the enlarged image is pixel (2, 1) of the original.
        assert_eq!(
            &big.data[3 * (3 * 6 + 5)..3 * (3 * 6 + 5) + 3],
            &[80, 30, 200]
        );
        assert_eq!(&big.data[0..6], &[0, 0, 200, 0, 0, 200]);
    }

    #[test]
    fn kitty_sequence_carries_the_png_of_the_picture() {
        let img = picture(5, 4);
        let seq = kitty(&img, 7, 3, 2).unwrap();
        let text = String::from_utf8(seq).unwrap();
        assert!(
            text.starts_with("\x1b_Ga=T,f=100,i=7,c=3,r=2,C=1,q=2,m=0;"),
            "{text}"
        );
        assert!(text.ends_with("\x1b\\"));
        let payload = &text["\x1b_Ga=T,f=100,i=7,c=3,r=2,C=1,q=2,m=0;".len()..text.len() - 2];
        let png = STANDARD.decode(payload).unwrap();
        assert_eq!(decode_png(&png), img);
        // A large picture goes in chunks of at most 4096 base64 characters, the last m=0.
        let mut x = 1u32;
        let noise = (0..64 * 64 * 3).map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        });
        let noisy = Rgb {
            width: 64,
            height: 64,
            data: noise.collect(),
        };
        let text = String::from_utf8(kitty(&noisy, 8, 10, 5).unwrap()).unwrap();
        let chunks: Vec<&str> = text.split("\x1b\\").filter(|c| !c.is_empty()).collect();
        assert!(chunks.len() > 2, "{} chunks", chunks.len());
        let mut payload = String::new();
        for (i, c) in chunks.iter().enumerate() {
            let (head, data) = c.split_once(';').unwrap();
            assert!(data.len() <= KITTY_CHUNK);
            let last = i + 1 == chunks.len();
            assert!(head.ends_with(if last { "m=0" } else { "m=1" }), "{head}");
            assert!(head.starts_with("\x1b_G"));
            payload.push_str(data);
        }
        assert_eq!(decode_png(&STANDARD.decode(payload).unwrap()), noisy);
    }

    #[test]
    fn iterm2_sequence_carries_the_png_of_the_picture() {
        let img = picture(4, 3);
        let text = String::from_utf8(iterm2(&img, 4, 2).unwrap()).unwrap();
        let (head, rest) = text.split_once(':').unwrap();
        assert!(head.starts_with("\x1b]1337;File=inline=1;size="), "{head}");
        assert!(
            head.contains(";width=4;height=2;preserveAspectRatio=0"),
            "{head}"
        );
        let payload = rest.strip_suffix('\x07').unwrap();
        let png = STANDARD.decode(payload).unwrap();
        assert!(head.contains(&format!("size={};", png.len())));
        assert_eq!(decode_png(&png), img);
    }

    /// A sixel image read back: its raster size, palette (percent) and each pixel's register.
    struct Decoded {
        width: usize,
        height: usize,
        palette: HashMap<usize, [u32; 3]>,
        pixels: Vec<Option<usize>>,
    }

    /// Decode a sixel image as [`sixel`] writes it.
    fn decode_sixel(seq: &[u8]) -> Decoded {
        let text = std::str::from_utf8(seq).unwrap();
        let body = text
            .strip_prefix("\x1bP0;1;0q\"1;1;")
            .and_then(|t| t.strip_suffix("\x1b\\"))
            .unwrap();
        fn number(chars: &mut Peekable<Chars<'_>>) -> usize {
            let mut n = String::new();
            while let Some(&c) = chars.peek().filter(|c| c.is_ascii_digit()) {
                n.push(c);
                chars.next();
            }
            n.parse().unwrap()
        }
        let mut chars = body.chars().peekable();
        let w = number(&mut chars);
        assert_eq!(chars.next(), Some(';'));
        let h = number(&mut chars);
        let mut palette = HashMap::new();
        let mut pixels = vec![None; w * h];
        let (mut x, mut y0, mut color) = (0, 0, 0);
        while let Some(c) = chars.next() {
            match c {
                '#' => {
                    color = number(&mut chars);
                    if chars.peek() == Some(&';') {
                        chars.next();
                        assert_eq!(number(&mut chars), 2);
                        let mut rgb = [0u32; 3];
                        for v in &mut rgb {
                            assert_eq!(chars.next(), Some(';'));
                            *v = number(&mut chars) as u32;
                        }
                        palette.insert(color, rgb);
                    }
                }
                '$' => x = 0,
                '-' => {
                    x = 0;
                    y0 += 6;
                }
                '!' | '?'..='~' => {
                    let (run, ch) = if c == '!' {
                        (number(&mut chars), chars.next().unwrap())
                    } else {
                        (1, c)
                    };
                    let bits = ch as u32 - 63;
                    for _ in 0..run {
                        for dy in 0..6 {
                            if bits & (1 << dy) != 0 {
                                assert!(y0 + dy < h && x < w, "pixel outside the raster");
                                assert!(pixels[(y0 + dy) * w + x].is_none(), "pixel set twice");
                                pixels[(y0 + dy) * w + x] = Some(color);
                            }
                        }
                        x += 1;
                    }
                }
                other => panic!("unexpected {other:?} in the sixel data"),
            }
        }
        Decoded {
            width: w,
            height: h,
            palette,
            pixels,
        }
    }

    #[test]
    fn sixel_sequence_decodes_back_to_the_picture() {
        // 5 × 8: two bands, the second partial; 40 colours, and a run of one colour.
        let mut img = picture(5, 8);
        img.data[..15].copy_from_slice(&[9, 9, 9].repeat(5));
        let seq = sixel(&img);
        let Decoded {
            width,
            height,
            palette,
            pixels,
        } = decode_sixel(&seq);
        assert_eq!((width, height), (5, 8));
        assert!(
            String::from_utf8_lossy(&seq).contains("!5"),
            "a run of five is compressed"
        );
        for (i, px) in img.data.chunks_exact(3).enumerate() {
            let register = pixels[i].unwrap_or_else(|| panic!("pixel {i} left unset"));
            let want = [px[0], px[1], px[2]].map(|c| (u32::from(c) * 100 + 127) / 255);
            assert_eq!(palette[&register], want, "pixel {i}");
        }
    }

    #[test]
    fn sixel_with_many_colours_uses_the_cube() {
        // 32 × 32 distinct colours: more than 256, so each pixel gets its nearest cube colour.
        let img = Rgb {
            width: 32,
            height: 32,
            data: (0..32 * 32)
                .flat_map(|i: usize| [(i % 32 * 8) as u8, (i / 32 * 8) as u8, (i % 7 * 36) as u8])
                .collect(),
        };
        let (palette, index) = sixel_palette(&img);
        assert!(palette.len() <= SIXEL_COLORS, "{}", palette.len());
        for (i, px) in img.data.chunks_exact(3).enumerate() {
            let got = palette[usize::from(index[i])];
            let want = cube([px[0], px[1], px[2]]);
            assert_eq!(got, want);
            for c in 0..3 {
                assert!(
                    (i32::from(got[c]) - i32::from(px[c])).abs() <= 26,
                    "{got:?} {px:?}"
                );
            }
        }
        let back = decode_sixel(&sixel(&img));
        assert_eq!((back.width, back.height), (32, 32));
        assert!(back.pixels.iter().all(Option::is_some));
    }
}
