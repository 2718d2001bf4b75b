//! The stateless direction call: for each stock, the 13 features over its trailing bars (the same
//! kernel that built the training windows) and its window rows, handed to the answering engine
//! (the window cut, the scaler, one batched backend run). Steady-state calls allocate nothing of
//! their own: the buffers are per thread. A model trained with market features reads them from a
//! [`Market`] given with each call.

use std::cell::RefCell;

use crate::answer::{DirectionRows, not_finite_bar, run_windows, too_few_rows};
use crate::contract::is_window_row;
use crate::error::{Error, Location, Result};
use crate::features::{FeatureRow, FeatureState, Market, MarketRow, WARMUP_BARS, is_complete};
use crate::model::Model;
use crate::model::manifest::ModelKind;

use super::{AsBars, BarsRef};

#[derive(Default)]
struct Scratch {
    rows: Vec<FeatureRow>,
    /// The feature rows a window is cut from (indices into `rows`, newest first).
    picked: Vec<usize>,
    /// One stock's window rows as the engine cuts the window from them.
    window_rows: DirectionRows,
    input: Vec<f32>,
    /// The run's output, copied to the caller's only once it is checked.
    probs: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Model {
    /// Bars a direction call needs per stock: the window plus the features' warm-up (plus the day
    /// of the gap for models trained with the original's one-day-gap windows).
    pub fn min_bars(&self) -> usize {
        let m = self.manifest();
        match m.kind {
            ModelKind::Direction => m.alignment.rows_needed(m.window) + WARMUP_BARS,
            ModelKind::Ranking => m.window + m.relations.map_or(0, |r| r.short_lookback),
        }
    }

    /// Down / flat / up probabilities for each stock, as of its last bar.
    pub fn direction<S: AsBars>(&self, stocks: &[S]) -> Result<Vec<[f32; 3]>> {
        let mut out = vec![[0f32; 3]; stocks.len()];
        self.direction_into(stocks, out.as_flattened_mut())?;
        Ok(out)
    }

    /// Writes each stock's three probabilities (down, flat, up) into `out` (`3 * stocks.len()`
    /// values). `out` is written only on success.
    pub fn direction_into<S: AsBars>(&self, stocks: &[S], out: &mut [f32]) -> Result<()> {
        self.direction_given_into(stocks, None, out)
    }

    /// As [`direction`](Self::direction), for a model trained with market features: `market` must
    /// cover every day of each stock's window (build it from the universe's bars up to the last
    /// day, e.g. with [`Market::equal_weighted`]).
    pub fn direction_with_market<S: AsBars>(&self, stocks: &[S], market: &Market) -> Result<Vec<[f32; 3]>> {
        let mut out = vec![[0f32; 3]; stocks.len()];
        self.direction_with_market_into(stocks, market, out.as_flattened_mut())?;
        Ok(out)
    }

    /// As [`direction_into`](Self::direction_into), with the market features from `market`.
    pub fn direction_with_market_into<S: AsBars>(&self, stocks: &[S], market: &Market, out: &mut [f32]) -> Result<()> {
        self.direction_given_into(stocks, Some(market), out)
    }

    /// The direction call for a model of either kind: `market` must be given exactly when the
    /// model reads market features ([`Manifest::reads_market`](crate::model::manifest::Manifest::reads_market)).
    pub fn direction_given<S: AsBars>(&self, stocks: &[S], market: Option<&Market>) -> Result<Vec<[f32; 3]>> {
        let mut out = vec![[0f32; 3]; stocks.len()];
        self.direction_given_into(stocks, market, out.as_flattened_mut())?;
        Ok(out)
    }

    /// As [`direction_given`](Self::direction_given), into `out` (`3 * stocks.len()` values).
    pub fn direction_given_into<S: AsBars>(&self, stocks: &[S], market: Option<&Market>, out: &mut [f32]) -> Result<()> {
        let m = self.manifest();
        if m.kind != ModelKind::Direction {
            return Err(Error::WrongKind { what: format!("a direction call on the {} model {:?}", m.kind.name(), m.name) });
        }
        match (m.reads_market(), market.is_some()) {
            (true, false) => {
                return Err(Error::argument(format!(
                    "the model {:?} reads market features ({}): give it the market (direction_with_market)",
                    m.name,
                    m.features[crate::features::N_FEATURES..].join(", ")
                )));
            }
            (false, true) => {
                return Err(Error::argument(format!("the model {:?} reads no market features: call direction without a market", m.name)));
            }
            _ => {}
        }
        if stocks.is_empty() {
            return Err(Error::shape("no stocks given"));
        }
        if out.len() != 3 * stocks.len() {
            return Err(Error::shape(format!("output holds {} values; {} stocks need {}", out.len(), stocks.len(), 3 * stocks.len())));
        }
        let width = m.features.len();
        let per_stock = m.window * width;
        SCRATCH.with_borrow_mut(|scratch| {
            let Scratch { rows, picked, window_rows, input, probs } = scratch;
            input.resize(stocks.len() * per_stock, 0.0);
            for (i, (stock, dst)) in stocks.iter().zip(input.chunks_exact_mut(per_stock)).enumerate() {
                stock
                    .as_bars()
                    .and_then(|b| self.window_into(&b, market, rows, picked, window_rows, dst))
                    .map_err(|e| e.for_stock(&format!("stock #{i}")))?;
            }
            probs.resize(out.len(), 0.0);
            run_windows(self, input, probs)?;
            out.copy_from_slice(probs);
            Ok(())
        })
    }

    /// The model input of one stock: its window rows (13 features, then the market's when given)
    /// up to its last bar, cut into the window by the engine, scaled, as f32.
    fn window_into(
        &self,
        stock: &BarsRef<'_>,
        market: Option<&Market>,
        rows: &mut Vec<FeatureRow>,
        picked: &mut Vec<usize>,
        window_rows: &mut DirectionRows,
        dst: &mut [f32],
    ) -> Result<()> {
        let n = stock.checked_len()?;
        // The market row of bar t; a day the market does not know is an error, not a skipped row.
        let market_row = |t: usize| -> Result<Option<&MarketRow>> {
            let Some(market) = market else { return Ok(None) };
            let date = stock.dates.get(t)?;
            market.at(date).map(Some).ok_or_else(|| {
                Error::argument(format!("the market has no row for {date}: build it from the universe's bars up to the stock's last day"))
            })
        };
        let need = self.min_bars();
        if n < need {
            return Err(Error::TooLittleHistory { what: format!("{n} bars given, the model needs at least {need}") });
        }
        // The trailing `need` bars first: only they are read and validated, as the header says.
        // A window that must skip a row (a feature not finite, as training skipped it) reads the
        // whole history on a second pass.
        let mut start = n - need;
        loop {
            rows.clear();
            let mut state = FeatureState::new();
            for t in start..n {
                rows.push(state.push(&stock.bar(t)?)?);
            }
            let last = rows.last().expect("n >= need > 0");
            if !is_complete(last) {
                // With prices and volumes in their plausible ranges, only volume_change can be,
                // after a zero volume.
                let hint = if n > 1 && stock.volume[n - 2] == 0.0 { " (the volume of the bar before is 0)" } else { "" };
                let at = Location { date: Some(stock.dates.get(n - 1)?.to_string()), ..Default::default() };
                return Err(not_finite_bar(at, &format!("{}{hint}", crate::features::not_finite(last))));
            }
            if !market_row(n - 1)?.is_none_or(|r| r.iter().all(|v| v.is_finite())) {
                return Err(Error::TooLittleHistory {
                    what: format!(
                        "the market features of {} are not defined: the market needs 20 days of returns before it",
                        stock.dates.get(n - 1)?
                    ),
                });
            }
            // The newest window rows the engine cuts the window from, newest first (rows the
            // training data dropped are skipped). A row dropped for its own features is skipped
            // before its market row is looked up: the market need not know that day.
            window_rows.reset(self, 1);
            picked.clear();
            for (j, row) in rows.iter().enumerate().rev() {
                if picked.len() == window_rows.capacity() {
                    break;
                }
                if is_complete(row) && is_window_row(row, market_row(start + j)?) {
                    picked.push(j);
                }
            }
            if picked.len() == window_rows.capacity() {
                for &j in picked.iter().rev() {
                    let market = market_row(start + j)?;
                    window_rows.push(self, 0, rows[j].iter().chain(market.map_or(&[][..], |r| &r[..])));
                }
                window_rows.window_into(0, dst);
                return Ok(());
            }
            if start == 0 {
                return Err(too_few_rows(&format!("{n} bars hold "), picked.len(), window_rows.capacity()));
            }
            start = 0; // rows were skipped: read the whole history
        }
    }
}
