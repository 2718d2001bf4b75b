//! The backtest of the CLI over scores the caller computed (from any model, or none), for research
//! from C and Python: the same portfolio rules, costs and metrics.

use super::bars::trendcast_bars;
use super::guard::{guard, non_null, slice, slice_mut};
use super::status::trendcast_status;
use crate::backtest::{BacktestSpec, Metrics, Strategy, run_on_scores};
use crate::bars::Panel;
use crate::date::Date;
use crate::error::{Error, Result};
use crate::predict::series_of;

/// A backtest's summary (docs/specs/lsr-igru.md), as `trendcast backtest` prints it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct trendcast_backtest_metrics {
    /// Decision days.
    pub days: usize,
    /// Annualised return: NV^(252/days) - 1.
    pub arr: f64,
    /// Annualised volatility.
    pub avol: f64,
    /// Maximum drawdown (<= 0).
    pub mdd: f64,
    /// ARR / AVol.
    pub asr: f64,
    /// ARR / |MDD|.
    pub cr: f64,
    /// Information ratio against the equal-weighted universe.
    pub ir: f64,
    /// The equal-weighted universe's ARR over the same days.
    pub benchmark_arr: f64,
    /// ARR - benchmark ARR.
    pub excess_arr: f64,
    /// Mean fraction of the portfolio bought (= sold) a day.
    pub turnover: f64,
    /// Mean daily IC of the scores against the next open-to-open returns.
    pub ic: f64,
    /// Mean daily IC / its standard deviation.
    pub icir: f64,
    /// Mean daily rank IC.
    pub rank_ic: f64,
    /// Net value at the end.
    pub final_nv: f64,
}

/// The C mirror of [`Metrics`]: every field taken by name, so that a field added to one and not to
/// the other fails the build (the header is generated from this, and the Python structs from the
/// header).
impl From<Metrics> for trendcast_backtest_metrics {
    fn from(m: Metrics) -> Self {
        let Metrics { days, arr, avol, mdd, asr, cr, ir, benchmark_arr, excess_arr, turnover, ic, icir, rank_ic, final_nv } = m;
        trendcast_backtest_metrics { days, arr, avol, mdd, asr, cr, ir, benchmark_arr, excess_arr, turnover, ic, icir, rank_ic, final_nv }
    }
}

/// One decision day of a backtest: its outcome and the equity curves after it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct trendcast_backtest_day {
    /// The decision day t, YYYYMMDD (scores known at its close; traded at the open of t+1).
    pub date: i32,
    /// Portfolio return from the open of t+1 to the open of t+2, after costs.
    pub portfolio: f64,
    /// The equal-weighted universe's return over the same period.
    pub benchmark: f64,
    /// Fraction of the portfolio bought (= sold) at the open of t+1.
    pub turnover: f64,
    pub ic: f64,
    pub rank_ic: f64,
    /// Net values after the holding period (all start at 1); excess compounds the daily
    /// differences portfolio - benchmark.
    pub portfolio_nv: f64,
    pub benchmark_nv: f64,
    pub excess_nv: f64,
}

/// Backtests caller-computed scores on the stocks' bars, as `trendcast backtest` does with a model:
/// decide at the close of each day from its scores, trade at the open of the next day into the top
/// `top_k` (equal weight), hold to the open after; the benchmark is the equal-weighted universe.
///
/// - `stocks`: `n_stocks` bar sets (see trendcast_bars), borrowed; all bars are validated. Their
///   dates together make the trading calendar.
/// - `days`: `n_days` decision days, YYYYMMDD: consecutive trading days of that calendar (a
///   holiday, a gap or a day outside the bars is an error naming it), the last with two trading
///   days after it.
/// - `scores`: `n_days * n_stocks` floats, day-major: stock i's score on days[d] at
///   `scores[d * n_stocks + i]`, higher is better; NaN: not eligible that day; +-infinity (a
///   double beyond the float range, converted) is an invalid-argument error naming the day and
///   stock. They must use data up to the close of their day only (the backtest cannot check that).
/// - `top_k` >= 1; `cost_bps`: cost per side in basis points of traded value, 0 to 1000 (NaN is an
///   error); `max_swaps`: 0 holds exactly the day's top k (the paper's daily rebalance), n >= 1
///   replaces at most n holdings a day (the turnover-limited top-k dropout).
/// - `out_metrics`: receives the summary. `out_days`: caller-owned, `out_days_len` >= `n_days`
///   entries, receives one entry per decision day; may be NULL when `out_days_len` is 0. Both are
///   untouched on failure.
#[unsafe(no_mangle)]
pub extern "C" fn trendcast_backtest(
    stocks: *const trendcast_bars,
    n_stocks: usize,
    days: *const i32,
    n_days: usize,
    scores: *const f32,
    top_k: usize,
    cost_bps: f64,
    max_swaps: usize,
    out_metrics: *mut trendcast_backtest_metrics,
    out_days: *mut trendcast_backtest_day,
    out_days_len: usize,
) -> trendcast_status {
    guard(|| {
        non_null(stocks, "stocks")?;
        non_null(days, "days")?;
        non_null(scores, "scores")?;
        non_null(out_metrics, "out_metrics")?;
        if n_stocks == 0 {
            return Err(Error::shape("no stocks given"));
        }
        if out_days_len > 0 {
            non_null(out_days, "out_days")?;
        }
        if out_days_len != 0 && out_days_len < n_days {
            return Err(Error::shape(format!("out_days holds {out_days_len} entries for {n_days} decision days")));
        }
        if !cost_bps.is_finite() {
            return Err(Error::argument(format!("cost_bps must be a finite number, got {cost_bps}")));
        }
        let n_scores = n_days.checked_mul(n_stocks).ok_or_else(|| Error::shape("n_days * n_stocks overflows"))?;
        let (stocks, days, scores) = (slice(stocks, n_stocks, "stocks")?, slice(days, n_days, "days")?, slice(scores, n_scores, "scores")?);
        let dates = days
            .iter()
            .enumerate()
            .map(|(i, &d)| Date::from_yyyymmdd(d).ok_or_else(|| Error::argument(format!("days[{i}] = {d} is not a YYYYMMDD date"))))
            .collect::<Result<Vec<_>>>()?;
        let names: Vec<String> = (0..n_stocks).map(|i| format!("stock #{i}")).collect();
        let panel = Panel::from_series(&series_of(stocks, &names)?);
        let strategy = if max_swaps == 0 { Strategy::Rebalance } else { Strategy::Dropout { max_swaps } };
        let result = run_on_scores(&panel, &dates, scores, BacktestSpec { top_k, cost_bps, strategy })?;
        let m = result.metrics;
        // SAFETY: checked non-NULL above; written only now that the run succeeded.
        unsafe {
            *out_metrics = trendcast_backtest_metrics::from(m);
        }
        if out_days_len > 0 {
            let out = slice_mut(out_days, out_days_len, "out_days")?;
            for ((o, r), v) in out.iter_mut().zip(&result.daily).zip(result.net_values()) {
                *o = trendcast_backtest_day {
                    date: r.date.yyyymmdd(),
                    portfolio: r.portfolio,
                    benchmark: r.benchmark,
                    turnover: r.turnover,
                    ic: r.ic,
                    rank_ic: r.rank_ic,
                    portfolio_nv: v.portfolio,
                    benchmark_nv: v.benchmark,
                    excess_nv: v.excess,
                };
            }
        }
        Ok(())
    })
}
