//! A direction model over a range of days: the samples of the training rules (the dataset's
//! cleaning and labels) whose day lies in the range, their inputs computed by the direction call
//! from raw bars as in serving, and the classification scores. What `trendcast eval` prints; there
//! for any caller of the library.

use crate::dataset::{DatasetSpec, DirectionDataset, Splits};
use crate::metrics::{ClassScores, Confusion, argmax3};
use trendcast::bars::{BarSeries, BarsRef, date_span};
use trendcast::contract::labels::Direction;
use trendcast::date::Date;
use trendcast::error::{Error, Result};
use trendcast::features::Market;
use trendcast::model::Model;
use trendcast::model::manifest::LabelSpec;

/// Samples sent to the model per call.
const BATCH: usize = 512;

/// Scores `model` on the samples dated `from..=to` of `series` (the whole universe: a model with
/// market features reads it). `progress` hears how many samples there are, then each batch done.
/// A range without samples (no day with a full window and a label) is an error naming the data's
/// span, not zero scores.
pub fn evaluate_direction(
    model: &Model,
    series: &[BarSeries],
    from: Date,
    to: Date,
    mut progress: impl FnMut(Progress),
) -> Result<ClassScores> {
    if from > to {
        return Err(Error::argument(format!("the range starts on {from}, after its end {to}")));
    }
    let LabelSpec::Direction(label) = model.manifest().label else {
        return Err(Error::WrongKind { what: format!("evaluation needs a direction model; {:?} is not one", model.manifest().name) });
    };
    let market = model.manifest().reads_market().then(|| Market::equal_weighted(series)).transpose()?;
    let spec = DatasetSpec {
        lookback: model.manifest().window,
        alignment: model.manifest().alignment,
        label,
        market: market.is_some(),
        // The range's days only, whatever the data's years (the default splits end the data in
        // 2010-2024's train, validation and test; a day outside them would have no sample).
        splits: Splits::only(from, to),
        ..Default::default()
    };
    let ds = DirectionDataset::build(series, &spec)?;
    // Each dataset symbol's series, looked up once (not once per sample).
    let bars_of: Vec<&BarSeries> = ds
        .symbols
        .iter()
        .map(|sym| series.iter().find(|s| s.ticker == sym.ticker).expect("dataset symbols come from the series"))
        .collect();
    let mut by_symbol: Vec<Vec<(usize, Direction)>> = vec![Vec::new(); ds.symbols.len()];
    for s in ds.samples.iter().filter(|s| s.date >= from && s.date <= to) {
        let t = bars_of[s.symbol as usize].dates.binary_search(&s.date).expect("sample dates are bar dates");
        by_symbol[s.symbol as usize].push((t, s.label));
    }
    let total: usize = by_symbol.iter().map(Vec::len).sum();
    if total == 0 {
        return Err(Error::argument(format!(
            "no samples from {from} to {to}: no day in that range has a full window and a label (the data runs {})",
            date_span(series)
        )));
    }
    progress(Progress::Total(total));
    let mut confusion = Confusion::default();
    let (mut batch, mut truth, mut probs): (Vec<BarsRef>, Vec<Direction>, Vec<f32>) = (Vec::new(), Vec::new(), Vec::new());
    let mut flush = |batch: &mut Vec<BarsRef>, truth: &mut Vec<Direction>| -> Result<()> {
        probs.resize(3 * batch.len(), 0.0);
        model.direction_given_into(batch, market.as_ref(), &mut probs)?;
        for (p, t) in probs.chunks_exact(3).zip(truth.iter()) {
            confusion.add(*t as usize, argmax3(p));
        }
        progress(Progress::Done(batch.len()));
        batch.clear();
        truth.clear();
        Ok(())
    };
    for (bars, samples) in bars_of.iter().zip(&by_symbol) {
        for &(t, l) in samples {
            batch.push(BarsRef::from(*bars).prefix(t));
            truth.push(l);
            if batch.len() == BATCH {
                flush(&mut batch, &mut truth)?;
            }
        }
    }
    if !batch.is_empty() {
        flush(&mut batch, &mut truth)?;
    }
    Ok(confusion.scores())
}

/// What [`evaluate_direction`] reports as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The number of samples in the range (once, before any is scored).
    Total(usize),
    /// This many more samples scored.
    Done(usize),
}
