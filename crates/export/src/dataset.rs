//! Direction samples for training and evaluation: the original's cleaning rules, windows of the 13
//! features ending at t (or, behind an option, at t-1 as the original did), splits by label date
//! with an optional embargo, and optionally the market features after the 13. The trainer and
//! `trendcast eval` both build their samples here.

use serde::{Deserialize, Serialize};

use trendcast::bars::{BarSeries, trading_calendar};
use trendcast::contract::labels::{Direction, DirectionLabel};
use trendcast::contract::{WindowAlignment, is_window_row};
use trendcast::date::Date;
use trendcast::error::{Error, Result};
use trendcast::features::{self, FeatureRow, Market, MarketRow, N_FEATURES, N_MARKET_FEATURES};

/// The three splits, by the date of the label's day t.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Train,
    Validation,
    Test,
}

impl Split {
    pub const ALL: [Split; 3] = [Split::Train, Split::Validation, Split::Test];
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

/// Split boundaries (inclusive ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Splits {
    pub train_start: Date,
    pub train_end: Date,
    pub validation_end: Date,
    /// None: the test split runs to the end of the data.
    pub test_end: Option<Date>,
}

impl Default for Splits {
    /// The original's: train 2010-2018, validation 2019-2021, test 2022 onward.
    fn default() -> Self {
        let d = |y, m, day| Date::from_ymd(y, m, day).expect("valid date");
        Splits { train_start: d(2010, 1, 1), train_end: d(2018, 12, 31), validation_end: d(2021, 12, 31), test_end: None }
    }
}

impl Splits {
    /// One split holding every day from `from` to `to` and no other (the training split; the
    /// others empty): what an evaluation over any range builds, whatever the data's years.
    pub fn only(from: Date, to: Date) -> Splits {
        Splits { train_start: from, train_end: to, validation_end: to, test_end: Some(to) }
    }

    /// The training split's first and last days.
    pub fn train_range(&self) -> (Date, Date) {
        (self.train_start, self.train_end)
    }

    /// The validation split's first and last days (it starts the day after training ends).
    pub fn validation_range(&self) -> (Date, Date) {
        (Date::from_days_since_epoch(self.train_end.days_since_epoch() + 1), self.validation_end)
    }

    pub fn of(&self, date: Date) -> Option<Split> {
        if date < self.train_start {
            None
        } else if date <= self.train_end {
            Some(Split::Train)
        } else if date <= self.validation_end {
            Some(Split::Validation)
        } else if self.test_end.is_none_or(|end| date <= end) {
            Some(Split::Test)
        } else {
            None
        }
    }
}

/// Everything that defines a direction data set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetSpec {
    pub lookback: usize,
    pub alignment: WindowAlignment,
    /// Drop the samples of the last `embargo` trading days before each split boundary, whose label
    /// horizon would otherwise reach into the next split (0: none, as the original).
    pub embargo: usize,
    pub splits: Splits,
    pub label: DirectionLabel,
    /// Symbols with fewer bars than this are dropped (the original: 80).
    pub min_bars: usize,
    /// Append the market features of each day (equal-weighted over every series given, see
    /// [`Market`]) to its 13 features; days without them are dropped like incomplete rows.
    #[serde(default)]
    pub market: bool,
}

impl Default for DatasetSpec {
    fn default() -> Self {
        DatasetSpec {
            lookback: 30,
            alignment: WindowAlignment::EndsAtT,
            embargo: 0,
            splits: Splits::default(),
            label: DirectionLabel::default(),
            min_bars: 80,
            market: false,
        }
    }
}

/// One symbol's cleaned rows: the days whose 13 features (and market features, when asked for)
/// are all finite and whose label exists, in date order. Windows run over consecutive cleaned rows,
/// as in the original.
#[derive(Debug, Clone)]
pub struct SymbolRows {
    pub ticker: String,
    pub dates: Vec<Date>,
    pub features: Vec<FeatureRow>,
    /// The market features of each row; empty without them.
    pub market: Vec<MarketRow>,
    pub labels: Vec<Direction>,
}

/// A sample: the window ending at cleaned row `row` of symbol `symbol` (or the row before it, with
/// the gap alignment) and the label of that row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub symbol: u32,
    pub row: u32,
    pub date: Date,
    pub label: Direction,
    pub split: Split,
}

/// Samples of every split over a set of symbols.
#[derive(Debug, Clone)]
pub struct DirectionDataset {
    pub spec: DatasetSpec,
    pub symbols: Vec<SymbolRows>,
    pub samples: Vec<Sample>,
}

/// Sample and class counts of one split.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SplitCounts {
    pub samples: usize,
    pub down: usize,
    pub flat: usize,
    pub up: usize,
}

impl SplitCounts {
    pub fn by_class(&self) -> [usize; 3] {
        [self.down, self.flat, self.up]
    }
}

impl DirectionDataset {
    /// Applies the cleaning rules and builds every sample.
    pub fn build(series: &[BarSeries], spec: &DatasetSpec) -> Result<DirectionDataset> {
        if spec.lookback == 0 {
            return Err(Error::argument("lookback must be at least 1"));
        }
        let market = if spec.market { Some(Market::equal_weighted(series)?) } else { None };
        let symbols: Vec<SymbolRows> =
            series.iter().filter(|s| s.len() >= spec.min_bars).map(|s| clean_rows(s, &spec.label, market.as_ref())).collect();
        let cutoffs = embargo_cutoffs(series, spec);
        // The first cleaned row that has a full window.
        let first = spec.alignment.rows_needed(spec.lookback) - 1;
        let mut samples = Vec::new();
        for (si, sym) in symbols.iter().enumerate() {
            for row in first..sym.dates.len() {
                let date = sym.dates[row];
                let Some(split) = spec.splits.of(date) else {
                    continue;
                };
                if cutoffs.iter().any(|&(from, before)| date >= from && date < before) {
                    continue;
                }
                samples.push(Sample { symbol: si as u32, row: row as u32, date, label: sym.labels[row], split });
            }
        }
        Ok(DirectionDataset { spec: spec.clone(), symbols, samples })
    }

    /// Values per window row: the 13 features, then the market features when the spec asks.
    pub fn width(&self) -> usize {
        N_FEATURES + if self.spec.market { N_MARKET_FEATURES } else { 0 }
    }

    /// The cleaned rows a sample's window covers.
    fn window_rows(&self, s: &Sample) -> std::ops::Range<usize> {
        self.spec.alignment.window_rows(self.spec.lookback, s.row as usize).expect("samples start at the first row with a full window")
    }

    /// The 13 features of a sample's window: `lookback` consecutive rows, oldest first.
    pub fn window(&self, s: &Sample) -> &[FeatureRow] {
        &self.symbols[s.symbol as usize].features[self.window_rows(s)]
    }

    /// The market features of a sample's window (empty without them).
    pub fn window_market(&self, s: &Sample) -> &[MarketRow] {
        let sym = &self.symbols[s.symbol as usize];
        if sym.market.is_empty() { &[] } else { &sym.market[self.window_rows(s)] }
    }

    /// The model inputs of cleaned row `row` of symbol `symbol`: [`width`](Self::width) values.
    pub fn row_values(&self, symbol: u32, row: u32) -> impl Iterator<Item = f64> + '_ {
        let sym = &self.symbols[symbol as usize];
        let market = sym.market.get(row as usize).map_or(&[][..], |m| &m[..]);
        sym.features[row as usize].iter().chain(market).copied()
    }

    /// Writes a sample's window as f32, row-major [lookback, width], into `out`.
    pub fn window_f32(&self, s: &Sample, out: &mut [f32]) {
        let width = self.width();
        debug_assert_eq!(out.len(), self.spec.lookback * width);
        for (row, o) in self.window_rows(s).zip(out.chunks_exact_mut(width)) {
            for (o, v) in o.iter_mut().zip(self.row_values(s.symbol, row as u32)) {
                *o = v as f32;
            }
        }
    }

    pub fn counts(&self, split: Split) -> SplitCounts {
        let mut c = SplitCounts::default();
        for s in self.samples.iter().filter(|s| s.split == split) {
            c.samples += 1;
            match s.label {
                Direction::Down => c.down += 1,
                Direction::Flat => c.flat += 1,
                Direction::Up => c.up += 1,
            }
        }
        c
    }

    /// Class weights N / (3 * count_c) of the training split (the original's weighted loss).
    pub fn class_weights(&self) -> [f64; 3] {
        let c = self.counts(Split::Train);
        c.by_class().map(|k| c.samples as f64 / (3.0 * k as f64))
    }
}

/// Computes features and labels of a series and keeps the rows where all are defined.
fn clean_rows(s: &BarSeries, label: &DirectionLabel, market: Option<&Market>) -> SymbolRows {
    let feats = features::compute(s);
    let mut out = SymbolRows { ticker: s.ticker.clone(), dates: Vec::new(), features: Vec::new(), market: Vec::new(), labels: Vec::new() };
    for (t, row) in feats.into_iter().enumerate() {
        // A day the market does not know is no row of a market model's windows.
        let m = match market.map(|market| market.at(s.dates[t])) {
            None => None,
            Some(Some(m)) => Some(m),
            Some(None) => continue,
        };
        if let (true, Some(l)) = (is_window_row(&row, m), label.at(&s.close, t)) {
            out.dates.push(s.dates[t]);
            out.features.push(row);
            out.market.extend(m.copied());
            out.labels.push(l);
        }
    }
    out
}

/// For each split boundary, the date range [from, before) of the embargoed days: the last
/// `embargo` trading days (on the data's calendar) before the first day of the next split.
fn embargo_cutoffs(series: &[BarSeries], spec: &DatasetSpec) -> Vec<(Date, Date)> {
    if spec.embargo == 0 {
        return Vec::new();
    }
    let calendar = trading_calendar(series);
    [spec.splits.train_end, spec.splits.validation_end]
        .into_iter()
        .filter_map(|end| {
            let first_next = calendar.partition_point(|&d| d <= end);
            let from = first_next.checked_sub(spec.embargo).map_or(calendar.first()?, |i| &calendar[i]);
            let before = calendar.get(first_next).copied().unwrap_or(Date::from_days_since_epoch(i32::MAX));
            Some((*from, before))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use trendcast::bars::synthetic::{SyntheticSpec, generate};

    fn universe() -> Vec<BarSeries> {
        let spec = SyntheticSpec { days: 400, first_day: Date::parse("2018-06-01").unwrap(), ..Default::default() };
        generate(&spec).series
    }

    #[test]
    fn windows_end_at_t_or_before_it() {
        let series = universe();
        let mut spec = DatasetSpec::default();
        let at = DirectionDataset::build(&series, &spec).unwrap();
        spec.alignment = WindowAlignment::EndsBeforeT;
        let gap = DirectionDataset::build(&series, &spec).unwrap();
        // One fewer sample per symbol with the gap (the first row with a window is one later).
        assert_eq!(at.samples.len(), gap.samples.len() + series.len());
        let s = at.samples[0];
        let w = at.window(&s);
        assert_eq!(w.len(), 30);
        assert_eq!(w[29], at.symbols[0].features[s.row as usize]);
        let g = gap.samples.iter().find(|g| g.symbol == s.symbol && g.row == s.row + 1).unwrap();
        assert_eq!(gap.window(g), w);
        let mut buf = vec![0f32; 30 * 13];
        at.window_f32(&s, &mut buf);
        assert_eq!(buf[29 * 13 + 3], w[29][3] as f32);
    }

    #[test]
    fn splits_embargo_and_cleaning() {
        let series = universe();
        let mut spec = DatasetSpec::default();
        let ds = DirectionDataset::build(&series, &spec).unwrap();
        for s in &ds.samples {
            assert_eq!(Some(s.split), spec.splits.of(s.date));
        }
        // Every symbol loses its 20 warm-up rows and 5 unlabeled rows: 400 - 25 rows, 29 without a window.
        assert_eq!(ds.samples.len(), series.len() * (400 - 25 - 29));
        spec.embargo = 5;
        let em = DirectionDataset::build(&series, &spec).unwrap();
        // Five trading days before 2019-01-01 for each symbol (the validation boundary is past the data).
        assert_eq!(ds.samples.len() - em.samples.len(), series.len() * 5);
        let last_train = em.samples.iter().filter(|s| s.split == Split::Train).map(|s| s.date).max().unwrap();
        assert_eq!(last_train.to_string(), "2018-12-24"); // 12-25 .. 12-31 are the five embargoed days
        spec.min_bars = 401;
        assert!(DirectionDataset::build(&series, &spec).unwrap().samples.is_empty());
    }

    #[test]
    fn market_features_follow_the_13_in_each_row() {
        let series = universe();
        let ds = DirectionDataset::build(&series, &DatasetSpec { market: true, ..Default::default() }).unwrap();
        let market = Market::equal_weighted(&series).unwrap();
        assert_eq!(ds.width(), N_FEATURES + N_MARKET_FEATURES);
        for sym in &ds.symbols {
            assert_eq!(sym.market.len(), sym.features.len());
            assert!(sym.market.iter().flatten().all(|v| v.is_finite()));
        }
        let s = ds.samples[ds.samples.len() / 2];
        let mut buf = vec![0f32; 30 * 15];
        ds.window_f32(&s, &mut buf);
        let last = &buf[29 * 15..];
        assert_eq!(last[12], ds.window(&s)[29][12] as f32);
        assert_eq!(last[13..], market.at(s.date).unwrap().map(|v| v as f32));
        assert_eq!(ds.row_values(s.symbol, s.row).count(), 15);
    }

    #[test]
    fn class_weights_follow_the_training_counts() {
        let ds = DirectionDataset::build(&universe(), &DatasetSpec::default()).unwrap();
        let c = ds.counts(Split::Train);
        let w = ds.class_weights();
        assert_eq!(c.samples, c.down + c.flat + c.up);
        assert!((w[0] * c.down as f64 * 3.0 - c.samples as f64).abs() < 1e-6);
    }
}
