//! What is on screen as pixel images, so that a picture is encoded and sent only when its
//! pixels or its cells change (features arrive with each snapshot; frames are drawn far more
//! often), and removed when it goes (kitty keeps images over text until they are deleted;
//! sixel and iTerm2 pictures are painted over by the cells ratatui draws back).

use super::encode;
use super::{Detected, Picture, Protocol};
use ratatui::buffer::{Buffer, CellDiffOption};
use ratatui::layout::Rect;
use std::hash::{DefaultHasher, Hash, Hasher};

/// kitty image ids start here (any id is ours on the alternate screen; a recognisable range
/// helps reading a capture).
const FIRST_KITTY_ID: u32 = 0x00ae_0001;

/// A picture on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shown {
    rect: Rect,
    /// Hash of its pixels (and their size).
    pixels: u64,
    /// Its kitty image id (unused by the other protocols).
    id: u32,
}

/// The pictures on screen and how they are sent.
#[derive(Debug, Clone)]
pub struct ImageLayer {
    detected: Detected,
    shown: Vec<Shown>,
    /// The screen the pictures were sent to (a new size is a cleared screen).
    screen: Option<Rect>,
    next_id: u32,
    /// Pictures encoded so far (each new one, or one whose pixels or cells changed).
    pub encodes: u64,
    /// Bytes of image escape sequences produced so far.
    pub bytes: u64,
}

impl ImageLayer {
    /// A layer speaking the protocol `detected` chose.
    pub fn new(detected: Detected) -> ImageLayer {
        ImageLayer {
            detected,
            shown: Vec::new(),
            screen: None,
            next_id: FIRST_KITTY_ID,
            encodes: 0,
            bytes: 0,
        }
    }

    /// The protocol, and why it was chosen.
    pub fn detected(&self) -> &Detected {
        &self.detected
    }

    /// Whether pictures are sent at all (not with half blocks).
    pub fn active(&self) -> bool {
        self.detected.protocol != Protocol::Blocks
    }

    /// Leave the cells under `pictures` to the pictures: ratatui does not print them (their
    /// half blocks stay in the buffer, so the buffer is the same in every mode).
    pub fn mask(&self, pictures: &[Picture], buf: &mut Buffer) {
        if !self.active() {
            return;
        }
        for p in pictures {
            let rect = p.rect.intersection(buf.area);
            for y in rect.top()..rect.bottom() {
                for x in rect.left()..rect.right() {
                    if let Some(cell) = buf.cell_mut((x, y)) {
                        cell.set_diff_option(CellDiffOption::Skip);
                    }
                }
            }
        }
    }

    /// The bytes that bring the screen (of size `screen`) from what was sent before to
    /// `pictures`, written after ratatui's frame: each new or changed picture encoded and
    /// placed, those gone deleted. Empty when nothing changed.
    pub fn update(&mut self, screen: Rect, pictures: &[Picture]) -> Vec<u8> {
        if !self.active() {
            return Vec::new();
        }
        let mut out = Vec::new();
        if self.screen != Some(screen) {
            // A resize clears the screen (and ratatui redraws every cell).
            out.extend(self.forget());
            self.screen = Some(screen);
        }
        let mut kept = vec![false; self.shown.len()];
        let mut now = Vec::with_capacity(pictures.len());
        for p in pictures {
            let rect = p.rect.intersection(screen);
            if rect.is_empty() || rect != p.rect {
                continue;
            }
            let pixels = pixel_hash(p);
            let same = self
                .shown
                .iter()
                .enumerate()
                .position(|(i, s)| !kept[i] && s.rect == rect && s.pixels == pixels);
            if let Some(i) = same {
                kept[i] = true;
                now.push(self.shown[i]);
                continue;
            }
            let id = self.next_id;
            self.next_id = self.next_id.checked_add(1).unwrap_or(FIRST_KITTY_ID);
            self.encodes += 1;
            // An encoding error (none is expected in memory) leaves the cells blank; the
            // picture is tried again next frame.
            if let Ok(seq) = self.encode(p, id) {
                out.extend_from_slice(format!("\x1b[{};{}H", rect.y + 1, rect.x + 1).as_bytes());
                out.extend(seq);
                now.push(Shown { rect, pixels, id });
            }
        }
        if self.detected.protocol == Protocol::Kitty {
            for (s, _) in self.shown.iter().zip(&kept).filter(|(_, k)| !**k) {
                out.extend(encode::kitty_delete(s.id));
            }
        }
        self.shown = now;
        self.bytes += out.len() as u64;
        out
    }

    /// Forget every picture (the screen was cleared, or is about to be given back): kitty's
    /// are deleted; the others are gone with the cleared cells.
    pub fn forget(&mut self) -> Vec<u8> {
        let had = !self.shown.is_empty();
        self.shown.clear();
        self.screen = None;
        if had && self.detected.protocol == Protocol::Kitty {
            encode::KITTY_DELETE_ALL.to_vec()
        } else {
            Vec::new()
        }
    }

    /// The escape sequence of `p` in this layer's protocol.
    fn encode(&self, p: &Picture, id: u32) -> std::io::Result<Vec<u8>> {
        let (cols, rows) = (p.rect.width, p.rect.height);
        let (w, h) = encode::target_size(&p.image, cols, rows, self.detected.cell);
        let image = encode::scale_nearest(&p.image, w, h);
        match self.detected.protocol {
            Protocol::Blocks => Ok(Vec::new()),
            Protocol::Kitty => encode::kitty(&image, id, cols, rows),
            Protocol::Iterm2 => encode::iterm2(&image, cols, rows),
            Protocol::Sixel => Ok(encode::sixel(&image)),
        }
    }
}

/// A hash of a picture's pixels and their size.
fn pixel_hash(p: &Picture) -> u64 {
    let mut h = DefaultHasher::new();
    (p.image.width, p.image.height, &p.image.data).hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::feature_png::Rgb;

    fn layer(protocol: Protocol) -> ImageLayer {
        ImageLayer::new(Detected {
            protocol,
            cell: Some((8, 16)),
            reason: String::new(),
        })
    }

    fn picture(x: u16, shade: u8) -> Picture {
        Picture {
            rect: Rect::new(x, 2, 4, 2),
            image: Rgb {
                width: 2,
                height: 2,
                data: vec![shade; 12],
            },
        }
    }

    const SCREEN: Rect = Rect::new(0, 0, 80, 24);

    #[test]
    fn pictures_are_encoded_only_when_pixels_or_cells_change() {
        let mut l = layer(Protocol::Kitty);
        let frame = [picture(0, 10), picture(5, 20)];
        assert!(!l.update(SCREEN, &frame).is_empty());
        assert_eq!(l.encodes, 2);
        // Ten more frames of the same snapshot: nothing sent.
        for _ in 0..10 {
            assert!(l.update(SCREEN, &frame).is_empty());
        }
        assert_eq!(l.encodes, 2);
        // A new snapshot changes one picture: one encode, the old image deleted.
        let next = [picture(0, 10), picture(5, 21)];
        let out = String::from_utf8(l.update(SCREEN, &next)).unwrap();
        assert_eq!(l.encodes, 3);
        assert_eq!(out.matches("a=T").count(), 1);
        assert!(
            out.contains(&format!("a=d,d=I,i={}", FIRST_KITTY_ID + 1)),
            "{out}"
        );
        // The same pixels in other cells (a resized panel): sent again.
        let moved = [picture(1, 10), picture(5, 21)];
        l.update(SCREEN, &moved);
        assert_eq!(l.encodes, 4);
        // A resized screen was cleared: everything again.
        l.update(Rect::new(0, 0, 100, 30), &moved);
        assert_eq!(l.encodes, 6);
        // The view closed: every picture deleted, nothing encoded.
        let out = String::from_utf8(l.update(Rect::new(0, 0, 100, 30), &[])).unwrap();
        assert_eq!(out.matches("a=d,d=I").count(), 2, "{out}");
        assert_eq!(l.encodes, 6);
        assert!(l.bytes > 0);
    }

    #[test]
    fn each_picture_is_placed_at_its_cells() {
        let mut l = layer(Protocol::Sixel);
        let out = l.update(SCREEN, &[picture(5, 20)]);
        // Row 3, column 6 (1-based), then a sixel image of 4 × 8 px by 2 × 16 px cells.
        assert!(out.starts_with(b"\x1b[3;6H\x1bP0;1;0q\"1;1;32;32"));
        // Sixel and iTerm2 pictures vanish under redrawn cells: nothing to delete.
        assert!(l.update(SCREEN, &[]).is_empty());
        let mut l = layer(Protocol::Iterm2);
        let out = l.update(SCREEN, &[picture(5, 20)]);
        assert!(out.starts_with(b"\x1b[3;6H\x1b]1337;File=inline=1;"));
    }

    #[test]
    fn half_blocks_send_nothing_and_mask_nothing() {
        let mut l = layer(Protocol::Blocks);
        let frame = [picture(0, 10)];
        let mut buf = Buffer::empty(SCREEN);
        l.mask(&frame, &mut buf);
        assert!(
            buf.content
                .iter()
                .all(|c| c.diff_option == CellDiffOption::None)
        );
        assert!(l.update(SCREEN, &frame).is_empty());
        assert_eq!(l.encodes, 0);
        // With a protocol, exactly the picture's cells are left to it.
        let l = layer(Protocol::Kitty);
        l.mask(&frame, &mut buf);
        let skipped: Vec<(u16, u16)> = buf
            .content
            .iter()
            .enumerate()
            .filter(|(_, c)| c.diff_option == CellDiffOption::Skip)
            .map(|(i, _)| ((i % 80) as u16, (i / 80) as u16))
            .collect();
        assert_eq!(
            skipped,
            vec![
                (0, 2),
                (1, 2),
                (2, 2),
                (3, 2),
                (0, 3),
                (1, 3),
                (2, 3),
                (3, 3)
            ]
        );
    }
}
