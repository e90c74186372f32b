//! Independent computations the tests check the library against: a naive covariance, Jacobi
//! eigenvalues (not faer), and reverse water-filling solved in closed form per active set (not
//! by bisection).

#![allow(dead_code)]

/// The covariance of the rows (samples) of `rows`, summed naively (divided by the count).
pub fn covariance(rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let (n, d) = (rows.len() as f64, rows[0].len());
    let mean: Vec<f64> = (0..d)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let mut c = vec![vec![0.0; d]; d];
    for r in rows {
        for i in 0..d {
            for j in 0..d {
                c[i][j] += (r[i] - mean[i]) * (r[j] - mean[j]) / n;
            }
        }
    }
    c
}

/// Eigenvalues of a symmetric matrix by cyclic Jacobi rotations, descending.
pub fn jacobi_eigenvalues(mut a: Vec<Vec<f64>>) -> Vec<f64> {
    let d = a.len();
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let (c, s) = (1.0 / (t * t + 1.0).sqrt(), t / (t * t + 1.0).sqrt());
                for row in &mut a {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (rp, rq) = (a[p].clone(), a[q].clone());
                a[p] = rp.iter().zip(&rq).map(|(x, y)| c * x - s * y).collect();
                a[q] = rp.iter().zip(&rq).map(|(x, y)| s * x + c * y).collect();
            }
        }
    }
    let mut e: Vec<f64> = (0..d).map(|i| a[i][i].max(0.0)).collect();
    e.sort_by(|x, y| y.total_cmp(x));
    e
}

/// THEORY §4 by its KKT conditions: with p active directions, √ν = √c Σ√s_j / (n + p c); the
/// right p is the largest whose smallest active m_j is positive.
pub fn water_filling_kkt(s: &[f64], n: usize, c: f64) -> f64 {
    let k = n.min(s.len());
    let trace: f64 = s.iter().sum();
    let active = (1..=k)
        .rev()
        .find(|&p| {
            let root_nu =
                c.sqrt() * s[..p].iter().map(|v| v.sqrt()).sum::<f64>() / (n as f64 + p as f64 * c);
            (c * s[p - 1]).sqrt() / root_nu > c
        })
        .unwrap_or(1);
    let root_nu = c.sqrt() * s[..active].iter().map(|v| v.sqrt()).sum::<f64>()
        / (n as f64 + active as f64 * c);
    let head: f64 = s[..active].iter().map(|v| (c * v).sqrt() * root_nu).sum();
    (head + s[active..].iter().sum::<f64>()) / trace
}
