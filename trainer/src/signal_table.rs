//! The ranking yardsticks measured walk-forward, on the days the networks are scored: every
//! one-line signal (`trendcast::backtest::Signal`) and a linear baseline, a ridge regression of
//! the per-day rank label on the signals' per-day z-scores, fitted for each test year Y exactly as
//! the networks train (on the days before Y - 1, no label reading into Y - 1), its penalty chosen
//! on Y - 1, scored on Y.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::Serialize;
use trendcast::Date;
use trendcast::backtest::{Signal, Signals, Strategy, rank_correlation};
use trendcast::contract::labels::{RankTarget, average_ranks};
use trendcast::predict::stock_scores;

use crate::ranking::Data;
use crate::walk_forward::cells::{YearRow, cells};

/// The row of a signal in the reports ("baseline: reversal 1d", as the walk-forward named its two
/// baselines before the others).
pub fn row_name(signal: Signal) -> String {
    format!("baseline: {}", signal.name().replace('-', " "))
}

/// The row of the linear baseline.
pub const LINEAR_ROW: &str = "baseline: linear (ridge over the signals)";

/// The ridge penalties tried on each validation year (on standardised inputs: the penalty's share
/// of each input's variance).
pub const PENALTIES: [f64; 7] = [1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0];

/// The label the linear baseline and the rank IC read: the open(t+1) -> open(t+2) return.
const TARGET: RankTarget = RankTarget::OpenT1ToT2;

/// Every signal's z-score (over the stocks scored that day; 0 where a stock has none) for each
/// panel day, computed once: `[stock * ALL.len() + signal]` per day.
pub struct SignalInputs {
    days: Vec<Vec<f32>>,
}

const N: usize = Signal::ALL.len();

impl SignalInputs {
    pub fn new(data: &Data) -> SignalInputs {
        let signals = Signals::new(&data.panel, &data.industries);
        let nt = data.panel.n_tickers();
        let days = (0..data.panel.n_days())
            .map(|d| {
                let mut x = vec![0.0f32; nt * N];
                for (j, &s) in Signal::ALL.iter().enumerate() {
                    let scored = stock_scores(&data.panel, d, data.history, &signals.scores(s, d));
                    let (mean, sd) = mean_sd(scored.iter().map(|&v| f64::from(v)).filter(|v| v.is_finite()));
                    for (k, v) in scored.iter().enumerate() {
                        if v.is_finite() && sd > 0.0 {
                            x[k * N + j] = ((f64::from(*v) - mean) / sd) as f32;
                        }
                    }
                }
                x
            })
            .collect();
        SignalInputs { days }
    }

    fn row(&self, d: usize, k: usize) -> &[f32] {
        &self.days[d][k * N..(k + 1) * N]
    }
}

fn mean_sd(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = values.collect();
    if v.len() < 2 {
        return (0.0, 0.0);
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (mean, (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)).sqrt())
}

/// The stocks a day's ranking is judged on: scored (a bar on d and the inputs' history) and with a
/// defined forward return; with that return.
fn judged(data: &Data, d: usize) -> Vec<(usize, f64)> {
    let scored = stock_scores(&data.panel, d, data.history, &vec![0.0; data.panel.n_tickers()]);
    (0..data.panel.n_tickers())
        .filter(|&k| scored[k].is_finite())
        .map(|k| (k, TARGET.forward_return(&data.panel, k, d)))
        .filter(|(_, r)| r.is_finite())
        .collect()
}

/// One test year's linear baseline.
#[derive(Debug, Clone, Serialize)]
pub struct LinearYear {
    pub year: i32,
    pub train_from: Date,
    pub train_to: Date,
    pub training_rows: usize,
    pub penalty: f64,
    /// The validation year's mean daily rank IC for each penalty tried.
    pub validation_rank_ic: Vec<(f64, f64)>,
    /// The weight of each signal's z-score, by name.
    pub weights: BTreeMap<&'static str, f64>,
}

/// Fits the ridge on `train_days` (each stock's signal z-scores against its per-day centred rank
/// of the forward return), picks the penalty on `validation_days` by mean daily rank IC.
pub fn fit_linear(
    data: &Data,
    x: &SignalInputs,
    year: i32,
    train_days: &[usize],
    validation_days: &[usize],
) -> Result<(LinearYear, Vec<f64>)> {
    let (Some(&first), Some(&last)) = (train_days.first(), train_days.last()) else { bail!("no training days for {year}") };
    let mut gram = [[0.0f64; N]; N];
    let mut cross = [0.0f64; N];
    let mut rows = 0usize;
    for &d in train_days {
        let day = judged(data, d);
        if day.len() < 2 {
            continue;
        }
        let ranks = average_ranks(&day.iter().map(|(_, r)| *r).collect::<Vec<_>>());
        let m = day.len() as f64;
        for ((k, _), rank) in day.iter().zip(ranks) {
            let y = (rank - (m + 1.0) / 2.0) / m;
            let row = x.row(d, *k);
            for i in 0..N {
                cross[i] += f64::from(row[i]) * y;
                for j in 0..N {
                    gram[i][j] += f64::from(row[i]) * f64::from(row[j]);
                }
            }
            rows += 1;
        }
    }
    if rows == 0 {
        bail!("no training rows for {year}");
    }
    // The validation days' judged stocks and returns, read once for every penalty.
    let validation: Vec<JudgedDay> = validation_days
        .iter()
        .map(|&d| {
            let day = judged(data, d);
            let returns = day.iter().map(|(_, r)| *r).collect();
            (d, day, returns)
        })
        .collect();
    let mut tried = Vec::new();
    let mut best: Option<(f64, f64, Vec<f64>)> = None;
    for penalty in PENALTIES {
        let mut a = gram.map(|r| r.map(|v| v / rows as f64));
        for (i, r) in a.iter_mut().enumerate() {
            r[i] += penalty;
        }
        let b = cross.map(|v| v / rows as f64);
        let w = solve_spd(a, b).ok_or_else(|| anyhow::anyhow!("the ridge system of {year} is not positive definite"))?;
        let ics: Vec<f64> = validation
            .iter()
            .map(|(d, day, returns)| {
                let s: Vec<f64> = day.iter().map(|&(k, _)| score(x.row(*d, k), &w)).collect();
                rank_correlation(&s, returns)
            })
            .filter(|v| v.is_finite())
            .collect();
        let ic = ics.iter().sum::<f64>() / ics.len().max(1) as f64;
        tried.push((penalty, ic));
        // The first (smallest) penalty keeps a tie.
        if best.as_ref().is_none_or(|(_, b, _)| ic > *b) {
            best = Some((penalty, ic, w.to_vec()));
        }
    }
    let (penalty, _, weights) = best.expect("penalties tried");
    let fit = LinearYear {
        year,
        train_from: data.panel.calendar[first],
        train_to: data.panel.calendar[last],
        training_rows: rows,
        penalty,
        validation_rank_ic: tried,
        weights: Signal::ALL.iter().map(|s| s.name()).zip(weights.iter().copied()).collect(),
    };
    Ok((fit, weights))
}

fn score(row: &[f32], w: &[f64]) -> f64 {
    row.iter().zip(w).map(|(&x, w)| f64::from(x) * w).sum()
}

/// Solves A w = b for a symmetric positive definite A (Cholesky); None if A is not.
fn solve_spd(a: [[f64; N]; N], b: [f64; N]) -> Option<[f64; N]> {
    let mut l = [[0.0f64; N]; N];
    for i in 0..N {
        for j in 0..=i {
            let s = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if s <= 0.0 {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    let mut y = [0.0f64; N];
    for i in 0..N {
        y[i] = (b[i] - (0..i).map(|k| l[i][k] * y[k]).sum::<f64>()) / l[i][i];
    }
    let mut w = [0.0f64; N];
    for i in (0..N).rev() {
        w[i] = (y[i] - (i + 1..N).map(|k| l[k][i] * w[k]).sum::<f64>()) / l[i][i];
    }
    Some(w)
}

/// The days of a year's fold, as the walk-forward's networks see them.
pub struct Fold {
    pub year: i32,
    /// The validation year's (Y - 1) decision days.
    pub validation: Vec<usize>,
    /// The test year's decision days.
    pub test: Vec<usize>,
}

/// Training days of test year `year`'s fold: from the first scoreable day to the end of Y - 2, less
/// the days whose label reads into Y - 1; the validation days whose label stays inside Y - 1.
fn fit_days(data: &Data, fold: &Fold) -> (Vec<usize>, Vec<usize>) {
    let cal = &data.panel.calendar;
    let end_of = |y: i32| cal.partition_point(|d| d.year() <= y).saturating_sub(1);
    let (train_end, validation_end) = (end_of(fold.year - 2), end_of(fold.year - 1));
    let train = (data.history.saturating_sub(1)..cal.len()).filter(|&d| d + TARGET.horizon() <= train_end).collect();
    let validation = fold.validation.iter().copied().filter(|&d| d + TARGET.horizon() <= validation_end).collect();
    (train, validation)
}

/// A validation day: its panel day, the judged stocks with their returns, and those returns alone.
type JudgedDay = (usize, Vec<(usize, f64)>, Vec<f64>);

/// The baselines' rows by name, each with one entry per year.
pub type BaselineTable = BTreeMap<String, Vec<YearRow>>;

/// The rows of every signal and of the linear baseline on each fold's days, with both strategies'
/// portfolios; and the linear baseline's fit per year.
pub fn baseline_rows(data: &Data, folds: &[Fold], top_k: usize, strategies: &[Strategy]) -> Result<(BaselineTable, Vec<LinearYear>)> {
    let signals = Signals::new(&data.panel, &data.industries);
    let x = SignalInputs::new(data);
    let mut table: BTreeMap<String, Vec<YearRow>> = BTreeMap::new();
    let mut fits = Vec::new();
    for fold in folds {
        let year_row = |score: &dyn Fn(usize) -> Vec<f32>| -> Result<YearRow> {
            let of = |days: &[usize]| days.iter().map(|&d| (d, score(d))).collect::<BTreeMap<_, _>>();
            Ok(YearRow::new(
                fold.year,
                0,
                cells(data, &of(&fold.validation), top_k, strategies)?,
                cells(data, &of(&fold.test), top_k, strategies)?,
            ))
        };
        for signal in Signal::ALL {
            table.entry(row_name(signal)).or_default().push(year_row(&|d| signals.scores(signal, d))?);
        }
        let (train, validation) = fit_days(data, fold);
        let (fit, w) = fit_linear(data, &x, fold.year, &train, &validation)?;
        let linear = |d: usize| (0..data.panel.n_tickers()).map(|k| score(x.row(d, k), &w) as f32).collect();
        table.entry(LINEAR_ROW.into()).or_default().push(year_row(&linear)?);
        fits.push(fit);
    }
    Ok((table, fits))
}

/// The folds of `years` on the data: validation Y - 1 and test Y, each the decision days the
/// walk-forward's runs score (`Data::days` with the default ranking config).
pub fn folds(data: &Data, years: &[i32]) -> Vec<Fold> {
    let cfg = crate::config::RankingConfig::default();
    let range = |y: i32| trendcast::model::manifest::DateRange {
        from: Date::from_ymd(y, 1, 1).expect("a valid date"),
        to: Date::from_ymd(y, 12, 31).expect("a valid date"),
    };
    years.iter().map(|&year| Fold { year, validation: data.days(&range(year - 1), &cfg), test: data.days(&range(year), &cfg) }).collect()
}

/// The linear baseline's fits as a markdown table: the penalty chosen on each validation year and
/// the weights.
pub fn linear_markdown(fits: &[LinearYear]) -> String {
    let mut md = format!(
        "Linear baseline: the ridge fitted for each test year (penalty chosen on the validation year Y-1 from the penalties tried, \
         {PENALTIES:?}; the weights of the signals' daily z-scores, divided by the sum of their absolute values: the scale does not \
         change a ranking)\n\n",
    );
    md += &format!(
        "| test year | trained on | rows | penalty | validation rank IC | {} |\n|---|---|---|---|---|{}\n",
        Signal::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(" | "),
        "---|".repeat(N)
    );
    for f in fits {
        let ic = f.validation_rank_ic.iter().find(|(p, _)| *p == f.penalty).map_or(f64::NAN, |t| t.1);
        let total: f64 = f.weights.values().map(|w| w.abs()).sum();
        md += &format!(
            "| {} | {} to {} | {} | {} | {ic:.4} | {} |\n",
            f.year,
            f.train_from,
            f.train_to,
            f.training_rows,
            f.penalty,
            Signal::ALL.iter().map(|s| format!("{:+.3}", f.weights[s.name()] / total)).collect::<Vec<_>>().join(" | ")
        );
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RankingConfig;
    use trendcast::bars::synthetic::{SyntheticSpec, generate};

    fn data() -> Data {
        let spec = SyntheticSpec { days: 900, sectors: 3, stocks_per_sub_industry: 5, ..Default::default() };
        Data::new(&generate(&spec), &RankingConfig::default()).unwrap()
    }

    #[test]
    fn the_ridge_solves_its_normal_equations() {
        let a: [[f64; N]; N] =
            std::array::from_fn(|i| std::array::from_fn(|j| if i == j { 2.0 + i as f64 } else { 0.3 / (1.0 + (i + j) as f64) }));
        let b: [f64; N] = std::array::from_fn(|i| i as f64 - 3.0);
        let w = solve_spd(a, b).unwrap();
        for i in 0..N {
            let got: f64 = (0..N).map(|j| a[i][j] * w[j]).sum();
            assert!((got - b[i]).abs() < 1e-12, "{got} vs {}", b[i]);
        }
        let mut singular = a;
        singular[0][0] = -1.0;
        assert!(solve_spd(singular, b).is_none());
    }

    /// The fit reads no label of the validation or test year: moving every price after the end of
    /// Y - 2 leaves the weights and penalty choice's training side unchanged, and the training days
    /// end two days before Y - 1 (their labels read the next two opens).
    #[test]
    fn the_linear_fit_reads_nothing_after_its_training_years() {
        let data = data();
        let cal = &data.panel.calendar;
        let year = cal[cal.len() - 1].year();
        let fold = &folds(&data, &[year])[0];
        let (train, validation) = fit_days(&data, fold);
        let last_train_year_day = cal.partition_point(|d| d.year() <= year - 2) - 1;
        assert_eq!(*train.last().unwrap() + 2, last_train_year_day);
        assert!(validation.iter().all(|&d| cal[d].year() == year - 1));
        let x = SignalInputs::new(&data);
        let (fit, w) = fit_linear(&data, &x, year, &train, &validation).unwrap();
        assert!(w.iter().all(|v| v.is_finite()) && fit.training_rows > 1000, "{fit:?}");
        // The same fit on the training days only, from data cut at the end of Y - 2.
        let mut cut = self::data();
        let nd = cut.panel.n_days();
        for k in 0..cut.panel.n_tickers() {
            for t in last_train_year_day + 1..nd {
                let i = k * nd + t;
                cut.panel.open[i] *= 1.3;
                cut.panel.close[i] *= 0.7;
            }
        }
        let xc = SignalInputs::new(&cut);
        let (_, wc) = fit_linear(&cut, &xc, year, &train, &[]).unwrap();
        let (_, w_no_validation) = fit_linear(&data, &x, year, &train, &[]).unwrap();
        assert_eq!(wc, w_no_validation, "the weights do not see the later prices");
    }

    /// One row per signal and the linear one, all judged on the same test days.
    #[test]
    fn every_signal_has_a_row_and_the_baseline_ranks_days_it_did_not_train_on() {
        let data = data();
        let cal = &data.panel.calendar;
        let year = cal[cal.len() - 1].year();
        let (table, fits) = baseline_rows(&data, &folds(&data, &[year]), 5, &[Strategy::Rebalance]).unwrap();
        assert_eq!(table.len(), Signal::ALL.len() + 1);
        assert_eq!(fits.len(), 1);
        assert!(PENALTIES.contains(&fits[0].penalty));
        let linear = &table[LINEAR_ROW][0];
        assert!(linear.test[0].metrics.rank_ic.is_finite() && !linear.test[0].daily.is_empty());
        // Plain reversal's row is the rule itself on the same days.
        let rev = &table[&row_name(Signal::Reversal)][0];
        assert_eq!(rev.test[0].daily.len(), linear.test[0].daily.len());
    }
}
