//! The ranking call: for a universe on a day, the node features, long-term and short-term relation
//! inputs of the model's window, computed from the panel of raw bars and the industry table; one
//! backend run; a score per stock and the order, best first.

use crate::bars::{Industries, Panel};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::model::manifest::ModelKind;
use crate::model::{Model, TensorIn};
use std::cell::RefCell;

use crate::relations::{N_NODE_FEATURES, RankingInputs, RelationSpec, ranking_inputs, ranking_inputs_into};

thread_local! {
    /// The last call's inputs and encodings, whose buffers the next call on this thread reuses.
    static INPUTS: RefCell<(RankingInputs, Vec<f32>)> = RefCell::new(Default::default());
    /// One day's encodings as the encoder gives them, before they are cut into the window graph's
    /// pieces.
    static DAY: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// A window's days gathered into one run of memory, for a window graph that takes them stacked.
    static STACKED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Scores of a universe on a day.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    pub date: Date,
    /// One per stock of the panel, in panel order; NaN for a stock without a bar that day or
    /// without the history the model's inputs read (see [`stock_scores`]).
    pub scores: Vec<f32>,
    /// Indices of the stocks with a score, best first.
    pub order: Vec<usize>,
}

impl Ranking {
    /// The ranking of `scores` (one per stock, NaN for an unscored one): the scored stocks, best
    /// first, ties in stock order.
    pub fn of_scores(date: Date, scores: Vec<f32>) -> Ranking {
        let order = order_best_first(&scores, |_| true);
        Ranking { date, scores, order }
    }
}

/// The stocks with a finite score that `keep` accepts, best first, ties in stock order: the order
/// of a ranking and of the backtest's picks.
pub fn order_best_first(scores: &[f32], keep: impl Fn(usize) -> bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).filter(|&k| scores[k].is_finite() && keep(k)).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order
}

impl Model {
    /// The relation settings of the contract, which every ranking model has.
    fn relation_spec(&self) -> Result<RelationSpec> {
        self.manifest().relations.ok_or_else(|| Error::contract("a ranking model needs its relation settings"))
    }

    /// The ranking model's inputs for panel day `d` (`relations::ranking_inputs` with this model's
    /// window and relation settings).
    pub fn ranking_inputs(&self, panel: &Panel, industries: &Industries, d: usize) -> Result<RankingInputs> {
        ranking_inputs(panel, industries, d, self.manifest().window, &self.relation_spec()?)
    }

    /// Scores every stock of the panel as of the close of `date` and orders them, best first.
    /// The inputs' buffers (about 4 x window x N^2 bytes: 27 MB for 671 nodes) are kept per
    /// calling thread and reused by its next call.
    pub fn rank(&self, panel: &Panel, industries: &Industries, date: Date) -> Result<Ranking> {
        let m = self.manifest();
        if m.kind != ModelKind::Ranking {
            return Err(Error::WrongKind { what: format!("a ranking call on the {} model {:?}", m.kind.name(), m.name) });
        }
        require_two_stocks(panel.n_tickers())?;
        let d = panel.day_index(date).ok_or_else(|| Error::argument(format!("{date} is not a trading day of the panel")))?;
        let rel = self.relation_spec()?;
        let node_scores = INPUTS.with_borrow_mut(|(inp, encodings)| -> Result<Vec<f32>> {
            ranking_inputs_into(panel, industries, d, m.window, &rel, inp)?;
            let n = inp.n_nodes;
            let mut node_scores = vec![0f32; n];
            self.encode_window(inp, encodings)?;
            self.score_encodings(encodings, n, &mut node_scores)?;
            Ok(node_scores)
        })?;
        let scores = stock_scores(panel, d, rel.first_day(m.window) + 1, &node_scores);
        Ok(Ranking::of_scores(date, scores))
    }
}

/// A ranking orders stocks against each other (an ensemble z-scores its members' scores across
/// them): one stock has no ranking, and its score would be NaN.
pub(crate) fn require_two_stocks(n: usize) -> Result<()> {
    if n < 2 {
        return Err(Error::argument(format!("a ranking needs at least two stocks to order against each other; got {n}")));
    }
    Ok(())
}

impl Model {
    /// The encodings of every day of `inputs` (the window's days): [days, M, N, E] into `out`,
    /// resized to fit (see [`encode_days`](Self::encode_days)).
    pub fn encode_window(&self, inputs: &RankingInputs, out: &mut Vec<f32>) -> Result<()> {
        self.encode_days(inputs.n_nodes, &inputs.nodes, &inputs.long_rel, &inputs.short_rel, out)
    }

    /// The encodings of each day of node features [days, N, F] and A_S [days, N, N] with A_L
    /// [N, N], M x N x E values per day, into `out`, resized to fit: each day laid out as the
    /// window graph takes it, [M, N, E] when stacked, else its pieces one after the other (each
    /// [M, N, w], see [`window_pieces`](Self::window_pieces)). Each day is encoded by a run of
    /// its own, the run a live universe makes when that day is pushed, so that both give the same
    /// bits whatever an engine would do with a batch of days.
    pub fn encode_days(&self, n: usize, nodes: &[f32], long_rel: &[f32], short_rel: &[f32], out: &mut Vec<f32>) -> Result<()> {
        let (members, width) = self.encoding_shape()?;
        out.resize(nodes.len() / (n * N_NODE_FEATURES).max(1) * members * n * width, 0.0);
        self.encode_days_into(n, nodes, long_rel, short_rel, out)
    }

    /// As [`encode_days`](Self::encode_days), into `out` of exactly the days' size (a live
    /// universe encodes a pushed day straight into its slot).
    pub fn encode_days_into(&self, n: usize, nodes: &[f32], long_rel: &[f32], short_rel: &[f32], out: &mut [f32]) -> Result<()> {
        let (members, width) = self.encoding_shape()?;
        let days = nodes.len() / (n * N_NODE_FEATURES).max(1);
        if days == 0 || nodes.len() != days * n * N_NODE_FEATURES || short_rel.len() != days * n * n {
            return Err(Error::shape(format!(
                "{} node feature values and {} short-term relation values are not whole days of {n} nodes",
                nodes.len(),
                short_rel.len()
            )));
        }
        let day_size = members * n * width;
        if out.len() != days * day_size {
            return Err(Error::shape(format!("{} values to hold {days} days of {members} x {n} x {width} encodings", out.len())));
        }
        let day_nodes = nodes.chunks_exact((n * N_NODE_FEATURES).max(1));
        let day_short = short_rel.chunks_exact((n * n).max(1));
        let pieces = self.window_pieces();
        for ((x, a_s), dst) in day_nodes.zip(day_short).zip(out.chunks_exact_mut(day_size.max(1))) {
            let encode = |into: &mut [f32]| {
                self.encode(
                    &[
                        TensorIn { shape: &[1, n, N_NODE_FEATURES], data: x },
                        TensorIn { shape: &[n, n], data: long_rel },
                        TensorIn { shape: &[1, n, n], data: a_s },
                    ],
                    into,
                )
            };
            if pieces.is_empty() {
                encode(dst)?;
            } else {
                DAY.with_borrow_mut(|day| -> Result<()> {
                    day.resize(day_size, 0.0);
                    encode(day)?;
                    cut_into_pieces(day, width, pieces, dst);
                    Ok(())
                })?;
            }
        }
        Ok(())
    }

    /// The node scores of a window's encodings (T days as [`encode_days`](Self::encode_days) lays
    /// them out, in one run of memory), by the window graph, into `out` [N].
    pub fn score_encodings(&self, encodings: &[f32], n_nodes: usize, out: &mut [f32]) -> Result<()> {
        let (members, width) = self.encoding_shape()?;
        let window = self.manifest().window;
        if self.window_pieces().is_empty() {
            return self.run(&[TensorIn { shape: &[window, members, n_nodes, width], data: encodings }], out);
        }
        let day_size = members * n_nodes * width;
        if encodings.len() != window * day_size {
            return Err(Error::shape(format!(
                "{} encoding values are not {window} days of {members} x {n_nodes} x {width}",
                encodings.len()
            )));
        }
        self.score_days(|t| &encodings[t * day_size..(t + 1) * day_size], n_nodes, out)
    }

    /// The node scores of a window whose day `t` (0 the oldest) has its encodings at `day(t)`,
    /// each laid out as [`encode_days`](Self::encode_days) lays a day out, wherever it lies: a
    /// window graph in pieces reads each piece of each day in place; one taking the window stacked
    /// gets the days copied into one run of memory first.
    pub fn score_days<'a>(&self, day: impl Fn(usize) -> &'a [f32], n_nodes: usize, out: &mut [f32]) -> Result<()> {
        let (members, width) = self.encoding_shape()?;
        let window = self.manifest().window;
        let day_size = members * n_nodes * width;
        if let Some(t) = (0..window).find(|&t| day(t).len() != day_size) {
            return Err(Error::shape(format!(
                "day {t} of the window has {} encoding values, not {members} x {n_nodes} x {width}",
                day(t).len()
            )));
        }
        let pieces = self.window_pieces();
        if pieces.is_empty() {
            return STACKED.with_borrow_mut(|stacked| {
                stacked.clear();
                (0..window).for_each(|t| stacked.extend_from_slice(day(t)));
                self.run(&[TensorIn { shape: &[window, members, n_nodes, width], data: stacked }], out)
            });
        }
        // Two small lists per call (a shape per piece, a view per piece and day): the views are
        // what let the engine read the encodings in place.
        let shapes: Vec<[usize; 3]> = pieces.iter().map(|&w| [members, n_nodes, w]).collect();
        let mut inputs = Vec::with_capacity(window * pieces.len());
        for t in 0..window {
            let (day, mut at) = (day(t), 0);
            for shape in &shapes {
                let len = shape.iter().product::<usize>();
                inputs.push(TensorIn { shape, data: &day[at..at + len] });
                at += len;
            }
        }
        self.run(&inputs, out)
    }

    /// (members, values per node and member) of a day's encodings.
    pub fn encoding_shape(&self) -> Result<(usize, usize)> {
        self.manifest().encoding_shape().ok_or_else(|| Error::WrongKind {
            what: format!("the {} model {:?} has no encoder graph", self.kind().name(), self.manifest().name),
        })
    }
}

/// One day's encodings [rows, width] (rows: members x nodes) rewritten into `dst` as its pieces
/// one after the other, piece k [rows, widths[k]] holding columns at its offset (the widths add
/// up to `width`).
fn cut_into_pieces(day: &[f32], width: usize, widths: &[usize], dst: &mut [f32]) {
    let rows = day.len() / width.max(1);
    let (mut offset, mut at) = (0, 0);
    for &w in widths {
        for (r, out) in dst[at..at + rows * w].chunks_exact_mut(w).enumerate() {
            out.copy_from_slice(&day[r * width + offset..r * width + offset + w]);
        }
        offset += w;
        at += rows * w;
    }
}

/// The stocks' scores out of a ranking model's node scores (stocks come first): NaN for a stock
/// without a bar on panel day `d`, which cannot be traded on its close, and for a stock whose first
/// bar is fewer than `history` trading days back (counting `d`), whose inputs would read days
/// before it traded. `history` is what the inputs read: `RelationSpec::first_day(window) + 1`.
pub fn stock_scores(panel: &Panel, d: usize, history: usize, node_scores: &[f32]) -> Vec<f32> {
    let nd = panel.n_days();
    let scored = |k: usize| {
        let row = &panel.present[k * nd..k * nd + d + 1];
        row[d] && (d + 1).checked_sub(history).is_some_and(|start| row[..=start].contains(&true))
    };
    (0..panel.n_tickers()).map(|k| if scored(k) { node_scores[k] } else { f32::NAN }).collect()
}

/// The industry table of stocks named "stock #i" with integer sector and sub-industry ids (the C
/// ABI's form: stocks with equal ids share an industry node); returns the names and the table.
/// Industry nodes come in the order of their ids as numbers (the names lead with the id shifted to
/// 10 unsigned digits, which sort as the ids do): a caller that numbers industries in the order
/// of their names (the Python binding does) gets the node order, and so the very sums, of the CLI
/// and the Rust API on named industries.
pub fn industries_from_ids(sector_ids: &[i32], sub_industry_ids: &[i32]) -> Result<(Vec<String>, Industries)> {
    use crate::bars::IndustryRow;
    if sector_ids.len() != sub_industry_ids.len() {
        return Err(Error::shape(format!("{} sector ids, {} sub-industry ids", sector_ids.len(), sub_industry_ids.len())));
    }
    // Checked on the caller's ids, so that the message says them (the table's names would not).
    let mut sector_of_sub: std::collections::HashMap<i32, (i32, usize)> = std::collections::HashMap::new();
    for (i, (&sec, &sub)) in sector_ids.iter().zip(sub_industry_ids).enumerate() {
        let &mut (first_sec, first) = sector_of_sub.entry(sub).or_insert((sec, i));
        if first_sec != sec {
            return Err(Error::argument(format!(
                "sub-industry id {sub} appears under two sector ids: {first_sec} (stock #{first}) and {sec} (stock #{i}); a sub-industry belongs to one sector"
            )));
        }
    }
    let names: Vec<String> = (0..sector_ids.len()).map(|i| format!("stock #{i}")).collect();
    let rows = names
        .iter()
        .zip(sector_ids.iter().zip(sub_industry_ids))
        .map(|(t, (&sec, &sub))| IndustryRow {
            ticker: t.clone(),
            sector: id_name("sector", sec),
            sub_industry: id_name("sub-industry", sub),
        })
        .collect();
    Ok((names, Industries::new(rows)?))
}

/// "sector 2147483650 (id 2)": sorts as the ids do, and says the caller's id.
fn id_name(what: &str, id: i32) -> String {
    format!("{what} {:010} (id {id})", i64::from(id) - i64::from(i32::MIN))
}

/// Ranks stocks given as borrowed bars with integer industry ids (the C ABI's form): builds the
/// validated panel and an industry table from the ids, and scores the latest date.
pub fn rank_with_ids<S: super::AsBars>(model: &Model, stocks: &[S], sector_ids: &[i32], sub_industry_ids: &[i32]) -> Result<Ranking> {
    let (panel, industries, date) = panel_with_ids(stocks, sector_ids, sub_industry_ids)?;
    model.rank(&panel, &industries, date)
}

/// What a ranking model reads on the latest date of stocks given as in [`rank_with_ids`]: the
/// date and the inputs of its window (nodes in the order of [`node_ids`]).
pub fn ranking_inputs_with_ids<S: super::AsBars>(
    model: &Model,
    stocks: &[S],
    sector_ids: &[i32],
    sub_industry_ids: &[i32],
) -> Result<(Date, RankingInputs)> {
    require_ranking_inputs(model)?;
    let (panel, industries, date) = panel_with_ids(stocks, sector_ids, sub_industry_ids)?;
    let inputs = model.ranking_inputs(&panel, &industries, panel.n_days() - 1)?;
    Ok((date, inputs))
}

/// Ranking inputs exist for ranking models only.
pub fn require_ranking_inputs(model: &Model) -> Result<()> {
    if model.kind() != ModelKind::Ranking {
        return Err(Error::WrongKind { what: format!("ranking inputs of the {} model {:?}", model.kind().name(), model.manifest().name) });
    }
    Ok(())
}

/// The graph's nodes for integer industry ids, as the ranking inputs order them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIds {
    /// Each stock's index, then the sub-industry ids of the stocks, then their sector ids, each
    /// ascending.
    pub ids: Vec<i32>,
    pub n_sub_industries: usize,
    pub n_sectors: usize,
}

/// The nodes of stocks with these industry ids (see [`NodeIds`]).
pub fn node_ids(sector_ids: &[i32], sub_industry_ids: &[i32]) -> NodeIds {
    let sorted = |ids: &[i32]| {
        let mut v = ids.to_vec();
        v.sort_unstable();
        v.dedup();
        v
    };
    let (subs, sectors) = (sorted(sub_industry_ids), sorted(sector_ids));
    let (n_sub_industries, n_sectors) = (subs.len(), sectors.len());
    let stocks = (0..sector_ids.len()).map(|i| i32::try_from(i).unwrap_or(i32::MAX));
    NodeIds { ids: stocks.chain(subs).chain(sectors).collect(), n_sub_industries, n_sectors }
}

/// The validated panel of stocks with integer industry ids, their industry table and the latest
/// date: what the calls on borrowed bars score.
fn panel_with_ids<S: super::AsBars>(stocks: &[S], sector_ids: &[i32], sub_industry_ids: &[i32]) -> Result<(Panel, Industries, Date)> {
    if stocks.len() != sector_ids.len() || stocks.len() != sub_industry_ids.len() {
        return Err(Error::shape(format!(
            "{} stocks, {} sector ids, {} sub-industry ids",
            stocks.len(),
            sector_ids.len(),
            sub_industry_ids.len()
        )));
    }
    let (names, industries) = industries_from_ids(sector_ids, sub_industry_ids)?;
    let series = series_of(stocks, &names)?;
    // Panel rows follow `series`, so panel index k is stock k.
    let panel = Panel::from_series(&series);
    let date = *panel.calendar.last().ok_or_else(|| Error::shape("no bars given"))?;
    Ok((panel, industries, date))
}

/// Borrowed bars as validated series named `names`.
pub fn series_of<S: super::AsBars>(stocks: &[S], names: &[String]) -> Result<Vec<crate::bars::BarSeries>> {
    let mut series = Vec::with_capacity(stocks.len());
    for (s, ticker) in stocks.iter().zip(names) {
        let mut one = crate::bars::BarSeries::empty(ticker.clone());
        let bars = s.as_bars().map_err(|e| e.for_stock(ticker))?;
        for t in 0..bars.checked_len().map_err(|e| e.for_stock(ticker))? {
            one.push(bars.bar(t).map_err(|e| e.for_stock(ticker))?).map_err(|e| e.for_stock(ticker))?;
        }
        series.push(one);
    }
    Ok(series)
}
