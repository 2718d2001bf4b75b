//! A universe that advances one day at a time. An execution system receives one bar per stock per
//! day; the stateless calls (`Model::direction`, `Model::rank`) start again from the trailing
//! history on every call. A [`LiveUniverse`] keeps what a day adds instead: per stock the
//! incremental feature state and each direction model's window rows; per ranking model the
//! overnight-return window with its Gram matrix and the encodings of the window's days. `push_day`
//! does one day's work once; `direction` and `rank` hand the state for the latest day to the
//! answering engine (`crate::answer`), which the stateless calls use too, so they equal those calls
//! on the same history (tests/live_universe.rs).
//!
//! The state saves to a file and restores from it (`save`, `restore`), so that a process restarts
//! without replaying history.

mod ranking;
mod state_file;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::bars::{Bar, BarSeries, Industries, Panel};
use crate::contract::is_window_row;
use crate::date::Date;
use crate::error::{Error, Location, Result};
use crate::features::{FeatureRow, FeatureState, N_FEATURES};
use crate::model::{Model, ModelKind};

use crate::answer::{DirectionRows, Ranking, is_scored, not_finite_bar, require_two_stocks, run_windows, scores_of, too_few_rows};
use ranking::RankingStream;

/// Days of bars the universe keeps: what a day's node features read (20 days of volume; the day
/// before for the returns).
const TRAILING_DAYS: usize = 20;

/// One stock's bar of the day being pushed: `stock` is its index in the universe's tickers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayBar {
    pub stock: usize,
    pub bar: Bar,
}

/// A universe of stocks and the models that answer about them, advanced a day at a time.
///
/// `&LiveUniverse` may be read from many threads at once (`direction`, `rank`); `push_day` takes
/// `&mut self`. A clone shares the models and copies the state.
#[derive(Clone)]
pub struct LiveUniverse {
    models: Vec<Arc<Model>>,
    industries: Industries,
    tickers: Vec<String>,
    by_ticker: HashMap<String, usize>,
    state: State,
    /// What a push computes before it commits, kept between pushes for its buffers.
    next: Next,
}

/// Everything a saved file holds besides the models and the industries.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct State {
    /// Days pushed, and the last one's date.
    days: usize,
    last_date: Option<Date>,
    /// The last `TRAILING_DAYS` days of bars, one row per stock.
    trail: Panel,
    /// Per stock: the universe day of its first bar.
    first_day: Vec<Option<usize>>,
    features: Vec<FeatureState>,
    /// Per stock: it has a bar on the latest day, and that bar's features are all defined.
    traded_today: Vec<bool>,
    complete_today: Vec<bool>,
    /// One per model, in model order: `Some` where the model is of that kind.
    direction: Vec<Option<DirectionRows>>,
    ranking: Vec<Option<RankingStream>>,
}

#[derive(Default, Clone)]
struct Next {
    bars: Vec<Option<Bar>>,
    trail: Panel,
    features: Vec<FeatureState>,
    rows: Vec<Option<FeatureRow>>,
}

thread_local! {
    /// The direction call's model input, reused by the next call on this thread.
    static DIRECTION_INPUT: RefCell<(Vec<f32>, Vec<f32>, Vec<usize>)> = RefCell::new(Default::default());
}

impl LiveUniverse {
    /// An empty universe of `tickers` (each in `industries`), answered about by `models`. Stocks that
    /// list later are named here and simply have no bars yet; a ticker not named here is refused by
    /// `push_day` (build a new universe to add one). Models that read market features are refused.
    pub fn new(models: Vec<Arc<Model>>, industries: Industries, tickers: Vec<String>) -> Result<LiveUniverse> {
        Self::with_build_from(models, industries, tickers, |_| 0)
    }

    /// A universe bootstrapped from each stock's history (`history[k]` is stock k's series; the
    /// tickers are theirs): every day of the union calendar pushed in order. The ranking state at
    /// the last day is built as the stateless call builds it, and only the last window's days are
    /// encoded.
    pub fn from_history(models: Vec<Arc<Model>>, industries: Industries, history: &[BarSeries]) -> Result<LiveUniverse> {
        let tickers: Vec<String> = history.iter().map(|s| s.ticker.clone()).collect();
        let panel = Panel::from_series(history);
        // The first day of a model's last window: its Gram matrix is built there and its days from
        // there on are encoded, as the stateless call on the last day does.
        let first_of_window = |window: usize| panel.n_days().saturating_sub(window);
        let mut u = Self::with_build_from(models, industries, tickers, first_of_window)?;
        let mut bars = Vec::with_capacity(history.len());
        for d in 0..panel.n_days() {
            bars.clear();
            bars.extend((0..panel.n_tickers()).filter_map(|k| panel.bar(k, d).map(|bar| DayBar { stock: k, bar })));
            u.push(panel.calendar[d], &bars, &|window| d >= first_of_window(window))?;
        }
        Ok(u)
    }

    fn with_build_from(
        models: Vec<Arc<Model>>,
        industries: Industries,
        tickers: Vec<String>,
        build_from: impl Fn(usize) -> usize,
    ) -> Result<LiveUniverse> {
        if models.is_empty() {
            return Err(Error::argument("a universe needs at least one model"));
        }
        let mut by_ticker = HashMap::with_capacity(tickers.len());
        for (k, t) in tickers.iter().enumerate() {
            if by_ticker.insert(t.clone(), k).is_some() {
                return Err(Error::argument(format!("ticker {t} is named twice")));
            }
            if industries.of(t).is_none() {
                return Err(Error::argument(format!("ticker {t} is not in the industry table")));
            }
        }
        let n = tickers.len();
        let mut direction = Vec::new();
        let mut ranking = Vec::new();
        for m in &models {
            let (d, r) = match m.kind() {
                ModelKind::Direction if m.manifest().reads_market() => {
                    return Err(Error::argument(format!(
                        "the model {:?} reads market features, which the live universe does not keep yet",
                        m.manifest().name
                    )));
                }
                ModelKind::Direction => (Some(DirectionRows::new(m, n)), None),
                ModelKind::Ranking => {
                    require_two_stocks(n)?;
                    (None, Some(RankingStream::new(m, &tickers, &industries, build_from(m.manifest().window))?))
                }
            };
            direction.push(d);
            ranking.push(r);
        }
        let state = State {
            days: 0,
            last_date: None,
            trail: Panel::empty(tickers.clone()),
            first_day: vec![None; n],
            features: vec![FeatureState::new(); n],
            traded_today: vec![false; n],
            complete_today: vec![false; n],
            direction,
            ranking,
        };
        Ok(LiveUniverse { models, industries, tickers, by_ticker, state, next: Next::default() })
    }

    pub fn tickers(&self) -> &[String] {
        &self.tickers
    }

    /// The index of `ticker` in the universe (what [`DayBar::stock`] holds).
    pub fn stock_id(&self, ticker: &str) -> Option<usize> {
        self.by_ticker.get(ticker).copied()
    }

    pub fn models(&self) -> &[Arc<Model>] {
        &self.models
    }

    /// The latest pushed day, if any.
    pub fn last_date(&self) -> Option<Date> {
        self.state.last_date
    }

    /// Days pushed so far.
    pub fn days(&self) -> usize {
        self.state.days
    }

    /// Advances the universe to `date` with the bars of the stocks that traded that day (a stock
    /// without a bar did not trade). Refused, leaving the universe exactly as it was: a date not
    /// after the last pushed one, a day without bars (a holiday), a stock id outside the universe,
    /// a stock given twice, a bar dated otherwise or failing validation, or a model run that fails.
    pub fn push_day(&mut self, date: Date, bars: &[DayBar]) -> Result<()> {
        self.push(date, bars, &|_| true)
    }

    fn push(&mut self, date: Date, bars: &[DayBar], encode: &dyn Fn(usize) -> bool) -> Result<()> {
        let n = self.tickers.len();
        let s = &self.state;
        if let Some(last) = s.last_date
            && date <= last
        {
            return Err(Error::Unsorted {
                at: Location { date: Some(date.to_string()), ..Default::default() },
                what: format!("the universe is at {last}: a pushed day must come after it"),
            });
        }
        if bars.is_empty() {
            return Err(Error::argument(format!("no bars for {date}: not a trading day (a holiday?)")));
        }
        // Check every bar and compute its features on copies of the states; nothing is kept yet.
        let next = &mut self.next;
        next.bars.clear();
        next.bars.resize(n, None);
        next.rows.clear();
        next.rows.resize(n, None);
        next.features.clone_from(&s.features);
        for b in bars {
            let Some(ticker) = self.tickers.get(b.stock) else {
                return Err(Error::argument(format!("stock id {} on {date}: the universe has {n} stocks", b.stock)));
            };
            let at = || Location { ticker: Some(ticker.clone()), date: Some(b.bar.date.to_string()), ..Default::default() };
            if next.bars[b.stock].is_some() {
                return Err(Error::argument(format!("{}: the stock is given twice", at())));
            }
            if b.bar.date != date {
                return Err(Error::argument(format!("{}: a bar of another day pushed as {date}", at())));
            }
            let row = next.features[b.stock].push(&b.bar).map_err(|e| e.for_stock(ticker))?;
            next.bars[b.stock] = Some(b.bar);
            next.rows[b.stock] = Some(row);
        }
        next.trail.clone_from(&s.trail);
        next.trail.push_trailing(date, &next.bars, TRAILING_DAYS);

        // The ranking models' day: computed, and committed only when every one succeeded.
        let day = s.days;
        for i in 0..self.models.len() {
            let Some(r) = self.state.ranking[i].as_mut() else { continue };
            if let Err(e) = r.prepare(&self.models[i], &self.next.trail, day, encode(self.models[i].manifest().window)) {
                for r in self.state.ranking[..i].iter_mut().flatten() {
                    r.rollback();
                }
                return Err(e);
            }
        }
        let (s, next) = (&mut self.state, &mut self.next);
        for r in s.ranking.iter_mut().flatten() {
            r.commit();
        }
        std::mem::swap(&mut s.trail, &mut next.trail);
        std::mem::swap(&mut s.features, &mut next.features);
        for k in 0..n {
            let row = next.rows[k];
            s.traded_today[k] = row.is_some();
            s.complete_today[k] = row.as_ref().is_some_and(|r| is_window_row(r, None));
            if row.is_some() && s.first_day[k].is_none() {
                s.first_day[k] = Some(day);
            }
            if let Some(row) = row.filter(|r| is_window_row(r, None)) {
                for (m, d) in self.models.iter().zip(&mut s.direction) {
                    if let Some(d) = d {
                        d.push(m, k, row.iter());
                    }
                }
            }
        }
        s.days += 1;
        s.last_date = Some(date);
        Ok(())
    }

    /// The first model of `kind`'s index.
    fn first_of(&self, kind: ModelKind) -> Result<usize> {
        self.models
            .iter()
            .position(|m| m.kind() == kind)
            .ok_or_else(|| Error::WrongKind { what: format!("the universe has no {} model", kind.name()) })
    }

    /// Down / flat / up probabilities of every stock for the latest day, from the first direction
    /// model; NaN for a stock that cannot be answered that day (no bar that day, a feature of its
    /// bar undefined, or fewer complete rows than the window).
    pub fn direction(&self) -> Result<Vec<[f32; 3]>> {
        let mut out = vec![[0f32; 3]; self.tickers.len()];
        self.direction_into(self.first_of(ModelKind::Direction)?, None, out.as_flattened_mut())?;
        Ok(out)
    }

    /// Model `model`'s probabilities for the latest day into `out` (3 values per stock): for
    /// `stocks` in that order, each of which must be answerable (else the error names the first
    /// that is not), or for every stock with NaN where one is not.
    pub fn direction_into(&self, model: usize, stocks: Option<&[usize]>, out: &mut [f32]) -> Result<()> {
        let (m, stream) = self.stream_of(model, ModelKind::Direction)?;
        let stream = self.state.direction[stream].as_ref().expect("a direction model has its stream");
        let count = stocks.map_or(self.tickers.len(), <[usize]>::len);
        if out.len() != 3 * count {
            return Err(Error::shape(format!("output holds {} values; {count} stocks need {}", out.len(), 3 * count)));
        }
        if count == 0 {
            return Err(Error::shape("no stocks asked for"));
        }
        let answerable = |k: usize| -> Result<()> {
            let s = &self.state;
            let at = || format!("{} on {}", self.tickers[k], s.last_date.map_or("(no day pushed)".into(), |d| d.to_string()));
            if !s.traded_today[k] {
                return Err(Error::argument(format!("{}: no bar that day", at())));
            }
            if !s.complete_today[k] {
                let at = Location { ticker: Some(self.tickers[k].clone()), date: s.last_date.map(|d| d.to_string()), ..Default::default() };
                // With prices and volumes in their plausible ranges, only volume_change can be.
                return Err(not_finite_bar(at, "volume_change (the volume of the bar before is 0)"));
            }
            if !stream.ready(k) {
                let (held, need) = stream.rows_held(k);
                return Err(too_few_rows(&format!("{}: ", at()), held, need));
            }
            Ok(())
        };
        let window = m.manifest().window;
        DIRECTION_INPUT.with_borrow_mut(|(input, probs, batch)| -> Result<()> {
            batch.clear();
            match stocks {
                Some(ids) => {
                    for &k in ids {
                        if k >= self.tickers.len() {
                            return Err(Error::argument(format!("stock id {k}: the universe has {} stocks", self.tickers.len())));
                        }
                        answerable(k)?;
                        batch.push(k);
                    }
                }
                None => batch.extend((0..self.tickers.len()).filter(|&k| answerable(k).is_ok())),
            }
            let per_stock = window * N_FEATURES;
            input.resize(batch.len() * per_stock, 0.0);
            for (&k, dst) in batch.iter().zip(input.chunks_exact_mut(per_stock)) {
                stream.window_into(k, dst);
            }
            probs.resize(3 * batch.len(), 0.0);
            if !batch.is_empty() {
                run_windows(m, input, probs)?;
            }
            match stocks {
                Some(_) => out.copy_from_slice(probs),
                None => {
                    out.fill(f32::NAN);
                    for (&k, p) in batch.iter().zip(probs.chunks_exact(3)) {
                        out[3 * k..3 * k + 3].copy_from_slice(p);
                    }
                }
            }
            Ok(())
        })
    }

    /// The first ranking model's scores and order for the latest day.
    pub fn rank(&self) -> Result<Ranking> {
        self.rank_with(self.first_of(ModelKind::Ranking)?)
    }

    /// Model `model`'s scores for the latest day: one run of its window graph on the encodings the
    /// pushes computed. NaN for a stock without a bar that day or without the history the inputs
    /// read (as `Model::rank`).
    pub fn rank_with(&self, model: usize) -> Result<Ranking> {
        let (m, stream) = self.stream_of(model, ModelKind::Ranking)?;
        let stream = self.state.ranking[stream].as_ref().expect("a ranking model has its stream");
        let date = self.state.last_date.ok_or_else(|| Error::TooLittleHistory { what: "no day pushed yet".into() })?;
        let days = stream.window_days().ok_or_else(|| Error::TooLittleHistory {
            what: format!("{} days pushed by {date}, the model needs {}", self.state.days, stream.history()),
        })?;
        let mut node_scores = vec![0f32; stream.n_nodes()];
        m.score_days(days, stream.n_nodes(), &mut node_scores)?;
        let (s, history) = (&self.state, stream.history());
        let scores = scores_of(&node_scores, self.tickers.len(), |k| is_scored(s.traded_today[k], s.first_day[k], s.days - 1, history));
        Ok(Ranking::of_scores(date, scores))
    }

    /// Model `model` if it is of `kind`, and its index.
    fn stream_of(&self, model: usize, kind: ModelKind) -> Result<(&Model, usize)> {
        let m = self.models.get(model).ok_or_else(|| Error::argument(format!("model {model}: the universe has {}", self.models.len())))?;
        if m.kind() != kind {
            return Err(Error::WrongKind {
                what: format!("a {} call on the {} model {:?}", kind.name(), m.kind().name(), m.manifest().name),
            });
        }
        Ok((m, model))
    }
}
