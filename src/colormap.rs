//! The colour maps shared by the terminal panels and the image files (PNG grids of learned
//! features): pure functions from a value to RGB, with no terminal in sight.

/// Anchors of the blue–white–red map (ColorBrewer RdBu, reversed so that positive is red).
const ANCHORS: [(f32, [u8; 3]); 5] = [
    (-1.0, [33, 102, 172]),
    (-0.5, [103, 169, 207]),
    (0.0, [247, 247, 247]),
    (0.5, [239, 138, 98]),
    (1.0, [178, 24, 43]),
];

/// The RGB colour of `t` in [−1, 1] on the diverging map (clamped; NaN is the neutral
/// middle).
pub fn diverging_rgb(t: f32) -> [u8; 3] {
    let t = if t.is_nan() { 0.0 } else { t.clamp(-1.0, 1.0) };
    for w in ANCHORS.windows(2) {
        let ((t0, c0), (t1, c1)) = (w[0], w[1]);
        if t <= t1 {
            let f = (t - t0) / (t1 - t0);
            let mix =
                |a: u8, b: u8| (f32::from(a) + f * (f32::from(b) - f32::from(a))).round() as u8;
            return [mix(c0[0], c1[0]), mix(c0[1], c1[1]), mix(c0[2], c1[2])];
        }
    }
    ANCHORS[ANCHORS.len() - 1].1
}

/// A signed colour channel: `t` in [−1, 1] (clamped; NaN is 0) to 0..=255 with 0 at mid-grey,
/// so an RGB feature shows which colours it adds (brighter) and removes (darker).
pub fn signed_channel(t: f32) -> u8 {
    let t = if t.is_nan() { 0.0 } else { t.clamp(-1.0, 1.0) };
    (127.5 + 127.5 * t).round() as u8
}

/// The largest magnitude among `values` (finite ones), or 1 when there is none: the scale that
/// maps a feature onto [−1, 1] with its own contrast.
pub fn max_abs_scale(values: &[f32]) -> f32 {
    let m = values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f32, |a, v| a.max(v.abs()));
    if m > 0.0 { m } else { 1.0 }
}

/// The range `(lo, hi)` of the finite `values` (hi > lo; (0, 1) when there are none): the
/// scale on which an image is drawn as intensities, darkest at lo.
pub fn intensity_range(values: &[f32]) -> (f32, f32) {
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        (0.0, 1.0)
    } else if hi - lo <= f32::EPSILON * hi.abs().max(1.0) {
        (lo - 0.5, lo + 0.5)
    } else {
        (lo, hi)
    }
}

/// `v` on the intensity scale `(lo, hi)` as 0..=255 (clamped; NaN is 0).
pub fn intensity(v: f32, (lo, hi): (f32, f32)) -> u8 {
    let t = (v - lo) / (hi - lo);
    if t.is_nan() {
        0
    } else {
        (255.0 * t.clamp(0.0, 1.0)).round() as u8
    }
}

/// The colour of a pixel of an image drawn as intensities: `channels` of `px` (1: grey, 3: RGB)
/// each on the scale `range`.
pub fn intensity_rgb(px: [f32; 3], channels: usize, range: (f32, f32)) -> [u8; 3] {
    if channels == 3 {
        px.map(|v| intensity(v, range))
    } else {
        [intensity(px[0], range); 3]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_channel_ends_and_middle() {
        assert_eq!(signed_channel(-1.0), 0);
        assert_eq!(signed_channel(1.0), 255);
        assert_eq!(signed_channel(7.0), 255);
        assert_eq!(signed_channel(f32::NAN), signed_channel(0.0));
        assert!((127..=128).contains(&signed_channel(0.0)));
    }

    #[test]
    fn scale_ignores_non_finite_and_zero() {
        assert_eq!(max_abs_scale(&[0.5, -2.0, f32::NAN]), 2.0);
        assert_eq!(max_abs_scale(&[0.0, 0.0]), 1.0);
        assert_eq!(max_abs_scale(&[]), 1.0);
    }

    #[test]
    fn intensities_span_the_range_and_clamp() {
        let r = intensity_range(&[2.0, f32::NAN, 6.0, 4.0]);
        assert_eq!(r, (2.0, 6.0));
        assert_eq!(
            [2.0, 4.0, 6.0, 9.0, -1.0, f32::NAN].map(|v| intensity(v, r)),
            [0, 128, 255, 255, 0, 0]
        );
        // A constant image is mid-grey, not a division by zero.
        let c = intensity_range(&[3.0, 3.0]);
        assert_eq!(intensity(3.0, c), 128);
        assert_eq!(intensity_range(&[]), (0.0, 1.0));
    }
}
