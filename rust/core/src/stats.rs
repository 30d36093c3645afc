//! Noise-floor statistics of random hypervectors and the anchor threshold.
//!
//! For a query and an independent random vector of `dim` bits, the bipolar cosine has mean
//! 0 and variance `1 / dim` (it is `1 - 2 h / dim` with `h ~ Binomial(dim, 1/2)` for bits,
//! and a sum of `dim` random signs weighted by the counts for an accumulator), so
//! `z = cosine * sqrt(dim)` is close to a standard normal. An anchor filter over `n` items
//! that accepts a false-anchor rate `alpha` for the whole codebook keeps the items with
//! `z >= isf(alpha / n)`, a Bonferroni bound.

use crate::error::{Error, Result};

// Coefficients of the rational approximations of the normal quantile by P. J. Acklam
// (2003), relative error below 1.15e-9 over (0, 1).
const A: [f64; 6] = [
    -3.969_683_028_665_376e1,
    2.209_460_984_245_205e2,
    -2.759_285_104_469_687e2,
    1.383_577_518_672_69e2,
    -3.066_479_806_614_716e1,
    2.506_628_277_459_239,
];
const B: [f64; 5] = [
    -5.447_609_879_822_406e1,
    1.615_858_368_580_409e2,
    -1.556_989_798_598_866e2,
    6.680_131_188_771_972e1,
    -1.328_068_155_288_572e1,
];
const C: [f64; 6] = [
    -7.784_894_002_430_293e-3,
    -3.223_964_580_411_365e-1,
    -2.400_758_277_161_838,
    -2.549_732_539_343_734,
    4.374_664_141_464_968,
    2.938_163_982_698_783,
];
const D: [f64; 4] = [
    7.784_695_709_041_462e-3,
    3.224_671_290_700_398e-1,
    2.445_134_137_142_996,
    3.754_408_661_907_416,
];
const P_LOW: f64 = 0.02425;

/// Returns the lower-tail normal quantile, `Phi^-1(p)`, for `p` in (0, 1).
fn normal_ppf(p: f64) -> f64 {
    if p < P_LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_ppf(1.0 - p)
    }
}

/// Returns `z` whose upper-tail probability under the standard normal is `p`, the inverse
/// survival function; exact to about 1e-9 relative even for tiny `p`.
pub fn normal_isf(p: f64) -> Result<f64> {
    if !(p > 0.0 && p < 1.0) {
        return Err(Error::InvalidAlpha(p));
    }
    Ok(-normal_ppf(p))
}

/// Returns the z threshold that keeps the false-anchor rate over `n_items` at `alpha`.
pub fn z_threshold(alpha: f64, n_items: usize) -> Result<f64> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(Error::InvalidAlpha(alpha));
    }
    if n_items == 0 {
        return Err(Error::EmptyCodebook);
    }
    normal_isf(alpha / n_items as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_quantiles() {
        // Reference values of the standard normal quantile.
        let cases = [
            (0.5, 0.0),
            (0.025, 1.959_963_984_540_054),
            (0.001, 3.090_232_306_167_813_6),
            (1e-8, 5.612_001_244_174_789),
            (0.975, -1.959_963_984_540_054),
        ];
        for (p, z) in cases {
            let got = normal_isf(p).unwrap();
            assert!((got - z).abs() < 1e-7 * z.abs().max(1.0), "isf({p}) = {got}, want {z}");
        }
    }

    #[test]
    fn rejects_probabilities_outside_the_open_interval() {
        for p in [0.0, 1.0, -0.1, 1.5, f64::NAN] {
            assert!(normal_isf(p).is_err(), "{p}");
        }
    }

    #[test]
    fn threshold_grows_with_codebook_size() {
        let small = z_threshold(0.01, 10).unwrap();
        let large = z_threshold(0.01, 100_000).unwrap();
        assert!(large > small);
        assert_eq!(z_threshold(0.01, 0), Err(Error::EmptyCodebook));
    }
}
