//! TEMPORARY stand-in until the theory-bounds branch lands.
use crate::model::Activation;
pub const C_SIGN: f64 = std::f64::consts::FRAC_PI_2 - 1.0;
pub fn r_sign(r: f64) -> f64 {
    if r <= 1.0 {
        1.0 - 2.0 * r / std::f64::consts::PI
    } else {
        C_SIGN / (r + C_SIGN)
    }
}
pub fn pca_bound(r: f64) -> f64 {
    (1.0 - r).max(0.0)
}
pub fn shannon(r: f64) -> f64 {
    2f64.powf(-2.0 * r)
}
pub struct Limit {
    pub value: f64,
    pub label: &'static str,
}
pub fn limit(act: Activation, r: f64) -> Limit {
    match act {
        Activation::Linear => Limit {
            value: pca_bound(r),
            label: "PCA bound",
        },
        _ => Limit {
            value: r_sign(r),
            label: "sign limit",
        },
    }
}
