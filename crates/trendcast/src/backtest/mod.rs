//! The buy-hold-sell backtest of docs/specs/lsr-igru.md: decide at the close of t from that day's
//! scores, trade at the open of t+1 into the top k (equal weight), hold to the open of t+2. The
//! benchmark is the equal-weighted universe over the same open-to-open periods. Beside the daily
//! rebalance into the top k, a turnover-limited strategy (qlib's top-k dropout) replaces at most a
//! few holdings a day.

mod metrics;
mod signals;

pub use metrics::{Metrics, correlation, rank_correlation};
pub use signals::{SIGNAL_WINDOW, Signal, Signals};

use serde::Serialize;

use crate::answer::order_best_first;
use crate::bars::Panel;
use crate::contract::labels::RankTarget;
use crate::date::Date;
use crate::error::{Error, Result};

/// Backtest settings.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BacktestSpec {
    /// Stocks held each day (the paper: 10).
    pub top_k: usize,
    /// Cost in basis points of traded value, per side (0: none, as the paper).
    pub cost_bps: f64,
    pub strategy: Strategy,
}

impl BacktestSpec {
    /// The paper's portfolio: the top k, rebalanced every day.
    pub fn top_k(top_k: usize, cost_bps: f64) -> BacktestSpec {
        BacktestSpec { top_k, cost_bps, strategy: Strategy::Rebalance }
    }
}

/// How the held stocks change from one day to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Strategy {
    /// Hold exactly the day's top k (the paper's buy-hold-sell).
    #[default]
    Rebalance,
    /// Hold k stocks and replace at most `max_swaps` of them a day: the worst-ranked holding is
    /// sold for the best-ranked stock not held while that stock ranks higher (qlib's top-k
    /// dropout). A holding that can no longer be traded or has no score is always sold, and empty
    /// places are filled from the top.
    Dropout { max_swaps: usize },
}

impl Strategy {
    /// `rebalance` or `dropout:N`, as the command line takes it.
    pub fn parse(s: &str) -> Result<Strategy> {
        let bad = || Error::argument(format!("strategy {s:?}: expected \"rebalance\" or \"dropout:N\" with N >= 1 stocks swapped a day"));
        match s.split_once(':') {
            None if s == "rebalance" => Ok(Strategy::Rebalance),
            Some(("dropout", n)) => match n.parse::<usize>() {
                Ok(max_swaps) if max_swaps >= 1 => Ok(Strategy::Dropout { max_swaps }),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }

    /// The name [`Strategy::parse`] reads back.
    pub fn name(self) -> String {
        match self {
            Strategy::Rebalance => "rebalance".into(),
            Strategy::Dropout { max_swaps } => format!("dropout:{max_swaps}"),
        }
    }

    /// The stocks to hold after day `d`'s decision, sorted: from `ranked` (the eligible stocks,
    /// best first) and yesterday's `held` (sorted).
    fn next_holdings(self, top_k: usize, ranked: &[usize], held: &[usize]) -> Vec<usize> {
        let mut picks: Vec<usize> = match self {
            Strategy::Rebalance => ranked.iter().take(top_k).copied().collect(),
            Strategy::Dropout { max_swaps } => {
                // Work on places in `ranked` (0 is the best): holdings still eligible, best first
                // (the others are sold whatever the limit), and the stocks not held.
                let (mut keep, outside): (Vec<usize>, Vec<usize>) =
                    (0..ranked.len()).partition(|&i| held.binary_search(&ranked[i]).is_ok());
                keep.truncate(top_k);
                let mut outside = outside.into_iter().peekable();
                // Empty places (the first day, holdings that went) are filled from the top.
                keep.extend(outside.by_ref().take(top_k - keep.len()));
                keep.sort_unstable();
                for _ in 0..max_swaps {
                    let (Some(&worst), Some(&best)) = (keep.last(), outside.peek()) else { break };
                    if best >= worst {
                        break;
                    }
                    keep.pop();
                    keep.extend(outside.next());
                    keep.sort_unstable();
                }
                keep.into_iter().map(|i| ranked[i]).collect()
            }
        };
        picks.sort_unstable();
        picks
    }
}

/// One trading decision and its outcome.
#[derive(Debug, Clone, Serialize)]
pub struct DailyRecord {
    /// The decision day t (scores known at its close).
    pub date: Date,
    /// Portfolio return from the open of t+1 to the open of t+2, after costs.
    pub portfolio: f64,
    /// Equal-weighted universe return over the same period.
    pub benchmark: f64,
    /// Fraction of the portfolio bought (= sold) at the open of t+1.
    pub turnover: f64,
    pub ic: f64,
    pub rank_ic: f64,
}

/// The daily records and their metrics.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestResult {
    pub spec: BacktestSpec,
    pub metrics: Metrics,
    pub daily: Vec<DailyRecord>,
}

/// Net values after one decision's holding period, all starting from 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NetValue {
    /// The decision day.
    pub date: Date,
    pub portfolio: f64,
    pub benchmark: f64,
    /// The daily differences (portfolio - benchmark), compounded.
    pub excess: f64,
}

impl BacktestResult {
    /// The equity curves: the net values after each decision's holding period.
    pub fn net_values(&self) -> Vec<NetValue> {
        let (mut p, mut b, mut e) = (1.0f64, 1.0f64, 1.0f64);
        self.daily
            .iter()
            .map(|r| {
                p *= 1.0 + r.portfolio;
                b *= 1.0 + r.benchmark;
                e *= 1.0 + r.portfolio - r.benchmark;
                NetValue { date: r.date, portfolio: p, benchmark: b, excess: e }
            })
            .collect()
    }
}

/// A backtest of scores computed elsewhere: `scores` holds one row of `panel.n_tickers()` scores
/// (NaN: not eligible; infinite: an error naming the day and stock) per day of `dates`, which
/// must be consecutive trading days of the panel's calendar, each with two trading days after it.
/// A date that is not a trading day of the bars (a holiday, a day outside them), a gap, or a row
/// count that does not match is an error naming it.
pub fn run_on_scores(panel: &Panel, dates: &[Date], scores: &[f32], spec: BacktestSpec) -> Result<BacktestResult> {
    let n = panel.n_tickers();
    let (Some(&from), Some(&to)) = (dates.first(), dates.last()) else {
        return Err(Error::argument("no decision days: the scores are empty"));
    };
    if scores.len() != dates.len() * n {
        return Err(Error::shape(format!("{} scores for {} days of {n} stocks (expected {})", scores.len(), dates.len(), dates.len() * n)));
    }
    let first = panel.calendar.binary_search(&from).map_err(|_| not_a_trading_day(panel, from))?;
    for (i, &d) in dates.iter().enumerate() {
        if panel.calendar.get(first + i) != Some(&d) {
            return Err(match panel.calendar.binary_search(&d) {
                Err(_) => not_a_trading_day(panel, d),
                Ok(_) if i > 0 && d <= dates[i - 1] => Error::argument(format!("decision days must increase: {d} after {}", dates[i - 1])),
                Ok(_) => Error::argument(format!(
                    "decision days must be consecutive trading days: {} is missing before {d}",
                    panel.calendar[first + i]
                )),
            });
        }
    }
    let last = first + dates.len() - 1;
    if last + 2 >= panel.n_days() {
        return Err(Error::argument(format!("the last decision day {to} needs two trading days after it in the bars")));
    }
    run(panel, first, last, spec, |d| Ok(scores[(d - first) * n..(d - first + 1) * n].to_vec()))
}

fn not_a_trading_day(panel: &Panel, d: Date) -> Error {
    let span = match (panel.calendar.first(), panel.calendar.last()) {
        (Some(a), Some(b)) => format!("the bars run {a} to {b}"),
        _ => "there are no bars".to_string(),
    };
    Error::argument(format!("{d} is not a trading day of the bars (a holiday or weekend, or outside them: {span})"))
}

/// The open-to-open return from t+1 to t+2 of every stock decided on day `d` (NaN where undefined):
/// what a decision earns, the rank label `OpenT1ToT2`.
pub fn next_open_returns(panel: &Panel, d: usize, out: &mut Vec<f64>) {
    out.clear();
    out.extend((0..panel.n_tickers()).map(|k| RankTarget::OpenT1ToT2.forward_return(panel, k, d)));
}

/// The largest cost per side a backtest takes: 10% of the traded value.
pub const MAX_COST_BPS: f64 = 1000.0;

/// Runs the backtest over the panel days `first..=last` (decision days; each needs two later days).
/// `scores(d)` gives one score per panel stock for day d (NaN: not eligible; an infinite score is
/// an error); it must use data up to the close of d only.
pub fn run(
    panel: &Panel,
    first: usize,
    last: usize,
    spec: BacktestSpec,
    mut scores: impl FnMut(usize) -> Result<Vec<f32>>,
) -> Result<BacktestResult> {
    if spec.top_k == 0 {
        return Err(Error::argument("top_k must be at least 1"));
    }
    if !(0.0..=MAX_COST_BPS).contains(&spec.cost_bps) {
        return Err(Error::argument(format!(
            "cost {} bps per side: expected a finite cost from 0 to {MAX_COST_BPS} bps (a negative cost would pay for trading)",
            spec.cost_bps
        )));
    }
    if last + 2 >= panel.n_days() || first > last {
        return Err(Error::argument(format!(
            "decision days {first}..={last} need two trading days after the last one; the panel has {}",
            panel.n_days()
        )));
    }
    let cost = spec.cost_bps / 1e4;
    let mut held: Vec<usize> = Vec::new();
    let mut daily = Vec::with_capacity(last + 1 - first);
    let mut fwd = Vec::new();
    for d in first..=last {
        let s = scores(d)?;
        if s.len() != panel.n_tickers() {
            return Err(Error::shape(format!("{} scores for {} stocks", s.len(), panel.n_tickers())));
        }
        // Only NaN means "not eligible": an infinite score is a broken scorer (or an overflow), not
        // a choice to leave the stock out.
        if let Some(k) = s.iter().position(|v| v.is_infinite()) {
            return Err(Error::argument(format!(
                "the score of {} on {} is {}: a score must be finite, or NaN for a stock not eligible that day",
                panel.tickers[k], panel.calendar[d], s[k]
            )));
        }
        next_open_returns(panel, d, &mut fwd);
        // Eligible: scored, and tradable at both opens (a stock without them cannot be bought).
        let eligible = order_best_first(&s, |k| fwd[k].is_finite());
        let picks = spec.strategy.next_holdings(spec.top_k, &eligible, &held);
        let kept = picks.iter().filter(|k| held.binary_search(k).is_ok()).count();
        let turnover = if picks.is_empty() { 0.0 } else { 1.0 - kept as f64 / picks.len() as f64 };
        let gross = if picks.is_empty() { 0.0 } else { picks.iter().map(|&k| fwd[k]).sum::<f64>() / picks.len() as f64 };
        // Selling the leavers and buying the joiners: each side trades `turnover` of the value.
        let portfolio = gross - 2.0 * turnover * cost;
        let universe: Vec<f64> = fwd.iter().copied().filter(|r| r.is_finite()).collect();
        let benchmark = if universe.is_empty() { 0.0 } else { universe.iter().sum::<f64>() / universe.len() as f64 };
        let (xs, ys): (Vec<f64>, Vec<f64>) = eligible.iter().map(|&k| (s[k] as f64, fwd[k])).unzip();
        daily.push(DailyRecord {
            date: panel.calendar[d],
            portfolio,
            benchmark,
            turnover,
            ic: correlation(&xs, &ys),
            rank_ic: rank_correlation(&xs, &ys),
        });
        held = picks;
    }
    let metrics = Metrics::from_daily(&daily);
    Ok(BacktestResult { spec, metrics, daily })
}

/// The BLSW-style momentum baseline: score = close_t / close_{t-lookback} - 1 (NaN where undefined).
pub fn momentum_scores(panel: &Panel, d: usize, lookback: usize) -> Vec<f32> {
    (0..panel.n_tickers())
        .map(|k| {
            let c = panel.close_of(k);
            if d >= lookback { (c[d] / c[d - lookback] - 1.0) as f32 } else { f32::NAN }
        })
        .collect()
}

/// The short-term reversal baseline: score = -(close_t / close_t-1 - 1), yesterday's losers first.
/// A yardstick for what a model can learn from the last day alone.
pub fn reversal_scores(panel: &Panel, d: usize) -> Vec<f32> {
    momentum_scores(panel, d, 1).into_iter().map(|s| -s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bars::synthetic::{SyntheticSpec, generate};

    fn panel() -> Panel {
        Panel::from_series(&generate(&SyntheticSpec { days: 260, ..Default::default() }).series)
    }

    #[test]
    fn an_oracle_beats_the_benchmark_and_its_inverse_loses() {
        let p = panel();
        let spec = BacktestSpec::top_k(5, 0.0);
        let oracle = |d| {
            let mut f = Vec::new();
            next_open_returns(&p, d, &mut f);
            Ok(f.iter().map(|&r| r as f32).collect())
        };
        let good = run(&p, 30, 250, spec, oracle).unwrap();
        let bad = run(&p, 30, 250, spec, |d| oracle(d).map(|v: Vec<f32>| v.iter().map(|x| -x).collect())).unwrap();
        assert!(good.metrics.arr > 1.0 && good.metrics.ir > 3.0, "{:?}", good.metrics);
        assert!(bad.metrics.arr < good.metrics.arr && bad.metrics.ir < 0.0);
        assert!(good.metrics.ic > 0.5 && good.metrics.rank_ic > 0.9);
        let b: f64 = good.daily.iter().map(|r| r.benchmark).sum();
        let b2: f64 = bad.daily.iter().map(|r| r.benchmark).sum();
        assert_eq!(b, b2, "the benchmark does not depend on the scores");
    }

    #[test]
    fn reversal_ranks_yesterdays_losers_first() {
        let p = panel();
        let (d, r) = (100, reversal_scores(&p, 100));
        assert_eq!(r.len(), p.n_tickers());
        for (k, &score) in r.iter().enumerate() {
            let c = p.close_of(k);
            assert_eq!(score, -((c[d] / c[d - 1] - 1.0) as f32));
        }
        assert!(reversal_scores(&p, 0).iter().all(|s| s.is_nan()), "no previous close on day 0");
    }

    #[test]
    fn costs_are_charged_on_turnover_per_side() {
        let p = panel();
        let mom = |d| Ok(momentum_scores(&p, d, 20));
        let free = run(&p, 30, 200, BacktestSpec::top_k(5, 0.0), mom).unwrap();
        let paid = run(&p, 30, 200, BacktestSpec::top_k(5, 5.0), mom).unwrap();
        assert_eq!(free.daily[0].turnover, 1.0, "the first day buys everything");
        for (a, b) in free.daily.iter().zip(&paid.daily) {
            assert!((a.portfolio - b.portfolio - 2.0 * a.turnover * 5e-4).abs() < 1e-15);
        }
        assert!(paid.metrics.arr < free.metrics.arr);
        assert!(run(&p, 30, 258, BacktestSpec::top_k(5, 0.0), mom).is_err(), "needs t+2");
        for bad in [f64::NAN, f64::INFINITY, -1.0, 1e6] {
            let err = run(&p, 30, 200, BacktestSpec::top_k(5, bad), mom).unwrap_err();
            assert!(matches!(&err, Error::InvalidArgument { what } if what.contains("bps per side")), "{bad}: {err}");
        }
    }

    /// Dropout: at most n swaps a day, each of the worst holding for a better-ranked outsider;
    /// holdings that cannot trade are sold and their places filled from the top.
    #[test]
    fn dropout_swaps_at_most_n_holdings_a_day_and_only_for_better_ones() {
        let s = Strategy::Dropout { max_swaps: 2 };
        // Ranked best first: 7 3 9 1 4 8.
        let ranked = [7, 3, 9, 1, 4, 8];
        assert_eq!(s.next_holdings(3, &ranked, &[]), vec![3, 7, 9], "the first day buys the top");
        assert_eq!(s.next_holdings(3, &ranked, &[1, 4, 8]), vec![1, 3, 7], "two swaps: the worst two held (8, 4) for 7, 3");
        assert_eq!(s.next_holdings(3, &ranked, &[1, 3, 7]), vec![3, 7, 9], "one swap is enough: 9 beats 1");
        assert_eq!(s.next_holdings(3, &ranked, &[3, 7, 9]), vec![3, 7, 9], "nothing better outside");
        // 5 no longer trades (not ranked): sold outside the limit, its place filled from the top.
        assert_eq!(s.next_holdings(3, &ranked, &[4, 5, 8]), vec![3, 7, 9]);
        assert_eq!(Strategy::Dropout { max_swaps: 1 }.next_holdings(3, &ranked, &[4, 5, 8]), vec![3, 4, 7], "5's place, then one swap");
        assert_eq!(Strategy::Rebalance.next_holdings(3, &ranked, &[1, 4, 8]), vec![3, 7, 9]);
        for text in ["rebalance", "dropout:1", "dropout:3"] {
            assert_eq!(Strategy::parse(text).unwrap().name(), text);
        }
        for bad in ["dropout", "dropout:0", "dropout:-1", "topk", ""] {
            assert!(matches!(Strategy::parse(bad), Err(Error::InvalidArgument { .. })), "{bad:?}");
        }
    }

    /// Over a real run the dropout portfolio trades less than the daily rebalance, never swaps more
    /// than its limit after the first day, and pays less in costs.
    #[test]
    fn dropout_turns_over_less_than_the_daily_rebalance() {
        let p = panel();
        let mom = |d| Ok(momentum_scores(&p, d, 20));
        let every = run(&p, 30, 200, BacktestSpec::top_k(10, 5.0), mom).unwrap();
        let spec = BacktestSpec { strategy: Strategy::Dropout { max_swaps: 1 }, ..BacktestSpec::top_k(10, 5.0) };
        let limited = run(&p, 30, 200, spec, mom).unwrap();
        assert!(limited.daily.iter().skip(1).all(|r| r.turnover <= 0.1 + 1e-12), "at most 1 of 10 a day");
        assert!(limited.metrics.turnover < every.metrics.turnover, "{} vs {}", limited.metrics.turnover, every.metrics.turnover);
        assert!(every.metrics.turnover > 0.1);
    }
}
