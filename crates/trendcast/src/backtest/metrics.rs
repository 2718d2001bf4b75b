//! Portfolio metrics (docs/specs/lsr-igru.md): ARR, AVol, MDD, ASR, CR, the true information
//! ratio against the benchmark, and the mean daily IC and rank IC.

use serde::Serialize;

use super::DailyRecord;
use crate::contract::labels::average_ranks;

const DAYS_PER_YEAR: f64 = 252.0;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    pub days: usize,
    /// Annualised return: NV_n^(252/n) - 1.
    pub arr: f64,
    /// Annualised volatility: population std of daily returns * sqrt(252).
    pub avol: f64,
    /// Maximum drawdown: min(NV / running max NV - 1) (<= 0).
    pub mdd: f64,
    /// ARR / AVol.
    pub asr: f64,
    /// ARR / |MDD|.
    pub cr: f64,
    /// mean(r - b) * sqrt(252) / std(r - b): the information ratio against the benchmark (the
    /// LSR-IGRU code computed it on r alone, which is a Sharpe ratio).
    pub ir: f64,
    /// The benchmark's ARR over the same days.
    pub benchmark_arr: f64,
    /// ARR - the benchmark's ARR.
    pub excess_arr: f64,
    /// Mean fraction of the portfolio bought (= sold) a day.
    pub turnover: f64,
    pub ic: f64,
    /// Mean daily IC / its (population) std over the days: how steady the signal is.
    pub icir: f64,
    pub rank_ic: f64,
    /// Net value at the end.
    pub final_nv: f64,
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn pop_std(x: &[f64]) -> f64 {
    let m = mean(x);
    (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / x.len() as f64).sqrt()
}

fn arr(r: &[f64]) -> f64 {
    let nv: f64 = r.iter().map(|x| 1.0 + x).product();
    nv.powf(DAYS_PER_YEAR / r.len() as f64) - 1.0
}

impl Metrics {
    pub fn from_daily(daily: &[DailyRecord]) -> Metrics {
        let r: Vec<f64> = daily.iter().map(|d| d.portfolio).collect();
        let b: Vec<f64> = daily.iter().map(|d| d.benchmark).collect();
        let excess: Vec<f64> = r.iter().zip(&b).map(|(x, y)| x - y).collect();
        let (mut nv, mut peak, mut mdd) = (1.0f64, 1.0f64, 0.0f64);
        for x in &r {
            nv *= 1.0 + x;
            peak = peak.max(nv);
            mdd = mdd.min(nv / peak - 1.0);
        }
        let a = arr(&r);
        let avol = pop_std(&r) * DAYS_PER_YEAR.sqrt();
        let finite = |v: Vec<f64>| -> Vec<f64> { v.into_iter().filter(|x| x.is_finite()).collect() };
        let finite_mean = |v: Vec<f64>| {
            let v = finite(v);
            if v.is_empty() { f64::NAN } else { mean(&v) }
        };
        let ics = finite(daily.iter().map(|d| d.ic).collect());
        let benchmark_arr = arr(&b);
        Metrics {
            days: r.len(),
            arr: a,
            avol,
            mdd,
            asr: a / avol,
            cr: a / mdd.abs(),
            ir: mean(&excess) * DAYS_PER_YEAR.sqrt() / pop_std(&excess),
            benchmark_arr,
            excess_arr: a - benchmark_arr,
            turnover: mean(&daily.iter().map(|d| d.turnover).collect::<Vec<_>>()),
            ic: finite_mean(ics.clone()),
            icir: if ics.is_empty() { f64::NAN } else { mean(&ics) / pop_std(&ics) },
            rank_ic: finite_mean(daily.iter().map(|d| d.rank_ic).collect()),
            final_nv: nv,
        }
    }
}

/// Pearson correlation (NaN when undefined).
pub fn correlation(x: &[f64], y: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

/// Spearman rank correlation.
pub fn rank_correlation(x: &[f64], y: &[f64]) -> f64 {
    correlation(&average_ranks(x), &average_ranks(y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Date;

    #[test]
    fn metrics_follow_the_spec_formulas() {
        let r = [0.01, -0.02, 0.03, -0.01];
        let b = [0.0, -0.01, 0.01, 0.0];
        let daily: Vec<DailyRecord> = r
            .iter()
            .zip(b)
            .map(|(&p, b)| DailyRecord {
                date: Date::from_days_since_epoch(0),
                portfolio: p,
                benchmark: b,
                turnover: 0.0,
                ic: 0.1,
                rank_ic: f64::NAN,
            })
            .collect();
        let m = Metrics::from_daily(&daily);
        let nv = 1.01 * 0.98 * 1.03 * 0.99;
        assert!((m.final_nv - nv).abs() < 1e-15);
        assert!((m.arr - (nv.powf(252.0 / 4.0) - 1.0)).abs() < 1e-12);
        // Running max after day 1 is 1.01; the trough 1.01 * 0.98 -> drawdown -2%.
        assert!((m.mdd - (-0.02)).abs() < 1e-12, "{}", m.mdd);
        let std = {
            let mu = r.iter().sum::<f64>() / 4.0;
            (r.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / 4.0).sqrt()
        };
        assert!((m.avol - std * 252f64.sqrt()).abs() < 1e-12);
        assert!((m.asr - m.arr / m.avol).abs() < 1e-12 && (m.cr - m.arr / 0.02).abs() < 1e-9);
        // Excess returns 0.01, -0.01, 0.02, -0.01: mean 0.0025, deviations 0.0075, -0.0125, 0.0175, -0.0125.
        let (mu, sd) = (0.0025, ((0.0075f64.powi(2) + 0.0125f64.powi(2) * 2.0 + 0.0175f64.powi(2)) / 4.0).sqrt());
        assert!((m.ir - mu * 252f64.sqrt() / sd).abs() < 1e-9, "{} vs {}", m.ir, mu * 252f64.sqrt() / sd);
        assert_eq!(m.ic, 0.1);
        assert!(m.rank_ic.is_nan());
        assert!((rank_correlation(&[1.0, 2.0, 3.0], &[10.0, 20.0, 25.0]) - 1.0).abs() < 1e-12);
        assert!((correlation(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
    }
}
