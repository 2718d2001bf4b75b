//! The features of a series that grows one bar at a time: the state a live system keeps per stock.

use super::{CLOSE_LOOKBACK, FeatureRow, N_FEATURES, RETURN_LOOKBACK, RowInputs, row};
use crate::bars::{AsBars, Bar};
use crate::date::Date;
use crate::error::{Error, Location, Result};

/// Trailing closes and returns of one stock; `push` costs the same whatever the history length
/// (a shift of at most 21 + 20 numbers) and allocates nothing.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FeatureState {
    closes: [f64; CLOSE_LOOKBACK],
    n_closes: usize,
    returns: [f64; RETURN_LOOKBACK],
    n_returns: usize,
    prev_volume: f64,
    last_date: Option<Date>,
}

impl Default for FeatureState {
    fn default() -> Self {
        Self::new()
    }
}

/// Appends `v` to a bounded buffer whose first `*n` slots are filled, dropping the oldest when full.
fn shift_in<const N: usize>(buf: &mut [f64; N], n: &mut usize, v: f64) {
    if *n == N {
        buf.copy_within(1.., 0);
        buf[N - 1] = v;
    } else {
        buf[*n] = v;
        *n += 1;
    }
}

impl FeatureState {
    pub fn new() -> Self {
        FeatureState {
            closes: [0.0; CLOSE_LOOKBACK],
            n_closes: 0,
            returns: [0.0; RETURN_LOOKBACK],
            n_returns: 0,
            prev_volume: f64::NAN,
            last_date: None,
        }
    }

    /// The date of the last bar taken.
    pub fn last_date(&self) -> Option<Date> {
        self.last_date
    }

    /// Bars seen so far (saturating at what the features need: the rest is not kept).
    pub fn bars_seen(&self) -> usize {
        self.n_closes
    }

    /// Takes the next bar and returns its features. Rejects an invalid bar or a date that is not
    /// after the previous one, leaving the state unchanged.
    pub fn push(&mut self, bar: &Bar) -> Result<FeatureRow> {
        bar.check_next(self.last_date, || Location { date: Some(bar.date.to_string()), ..Default::default() })?;
        if self.n_closes > 0 {
            let prev = self.closes[self.n_closes - 1];
            shift_in(&mut self.returns, &mut self.n_returns, bar.close / prev - 1.0);
        }
        shift_in(&mut self.closes, &mut self.n_closes, bar.close);
        let out = row(&RowInputs {
            closes: &self.closes[..self.n_closes],
            returns: &self.returns[..self.n_returns],
            open: bar.open,
            high: bar.high,
            low: bar.low,
            volume: bar.volume,
            prev_volume: self.prev_volume,
        });
        self.prev_volume = bar.volume;
        self.last_date = Some(bar.date);
        Ok(out)
    }
}

/// Every bar's features, row t at `out[t * N_FEATURES..]`: the bars go through a [`FeatureState`],
/// so the numbers are those of [`compute`](super::compute) and of training, bit for bit. Each bar
/// is checked first (as `FeatureState::push` checks it, the error naming its date), and
/// nothing is written unless all of them pass. `out` must hold at least `N_FEATURES` values per
/// bar; no bars at all is an error.
pub fn compute_into<B: AsBars + ?Sized>(bars: &B, out: &mut [f64]) -> Result<()> {
    let b = bars.as_bars()?;
    let n = b.checked_len()?;
    if n == 0 {
        return Err(Error::shape("no bars: the features of an empty series are not defined"));
    }
    if out.len() < n * N_FEATURES {
        return Err(Error::shape(format!("{n} bars need {} feature values; the output holds {}", n * N_FEATURES, out.len())));
    }
    let mut last = None;
    for i in 0..n {
        let bar = b.bar(i)?;
        bar.check_next(last, || Location { date: Some(bar.date.to_string()), ..Default::default() })?;
        last = Some(bar.date);
    }
    let mut state = FeatureState::new();
    for (i, row) in out[..n * N_FEATURES].chunks_exact_mut(N_FEATURES).enumerate() {
        row.copy_from_slice(&state.push(&b.bar(i)?)?);
    }
    Ok(())
}
