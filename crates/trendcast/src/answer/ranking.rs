//! A ranking answer once its inputs exist: each day's encodings (one encoder run per day), the
//! window graph's run over the window's days, which stocks get a score, and the order.

use std::cell::RefCell;

use crate::date::Date;
use crate::error::{Error, Result};
use crate::model::{Model, TensorIn};
use crate::relations::RankingInputs;

thread_local! {
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

/// Whether a stock gets a score on the day numbered `today` (0 the first day the caller's history
/// or universe holds): it has a bar that day, so that it can be traded on that close, and its
/// first bar (`first_bar`, numbered alike) is at least `history` trading days back counting
/// `today`, so that its inputs read no day before it traded. `history` is what a model's inputs
/// read: `RelationSpec::first_day(window) + 1`. Any other stock's score is NaN.
pub fn is_scored(bar_today: bool, first_bar: Option<usize>, today: usize, history: usize) -> bool {
    bar_today && first_bar.is_some_and(|first| first + history <= today + 1)
}

/// The stocks' scores out of a ranking model's node scores (stocks come first, `n_stocks` of
/// them): stock k's node score where `scored(k)`, else NaN.
pub fn scores_of(node_scores: &[f32], n_stocks: usize, scored: impl Fn(usize) -> bool) -> Vec<f32> {
    (0..n_stocks).map(|k| if scored(k) { node_scores[k] } else { f32::NAN }).collect()
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
    /// Values per node of a ranking model's node features: its manifest's `features`, the
    /// relation settings' node-feature kind.
    pub fn node_width(&self) -> usize {
        self.manifest().features.len()
    }

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
        out.resize(nodes.len() / (n * self.node_width()).max(1) * members * n * width, 0.0);
        self.encode_days_into(n, nodes, long_rel, short_rel, out)
    }

    /// As [`encode_days`](Self::encode_days), into `out` of exactly the days' size (a live
    /// universe encodes a pushed day straight into its slot).
    pub fn encode_days_into(&self, n: usize, nodes: &[f32], long_rel: &[f32], short_rel: &[f32], out: &mut [f32]) -> Result<()> {
        let (members, width) = self.encoding_shape()?;
        let f = self.node_width();
        let days = nodes.len() / (n * f).max(1);
        if days == 0 || nodes.len() != days * n * f || short_rel.len() != days * n * n {
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
        let day_nodes = nodes.chunks_exact((n * f).max(1));
        let day_short = short_rel.chunks_exact((n * n).max(1));
        let pieces = self.window_pieces();
        for ((x, a_s), dst) in day_nodes.zip(day_short).zip(out.chunks_exact_mut(day_size.max(1))) {
            let encode = |into: &mut [f32]| {
                self.encode(
                    &[
                        TensorIn { shape: &[1, n, f], data: x },
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule's edges: a bar on the day, and a first bar exactly `history` days back counting the
    /// day, is scored; one day less, or no bar that day, is not.
    #[test]
    fn a_stock_is_scored_with_a_bar_that_day_and_history_days_back() {
        assert!(is_scored(true, Some(0), 75, 76));
        assert!(!is_scored(true, Some(1), 75, 76));
        assert!(!is_scored(false, Some(0), 75, 76));
        assert!(!is_scored(true, None, 75, 76));
        assert!(is_scored(true, Some(24), 99, 76));
        let scores = scores_of(&[1.0, 2.0, 3.0, 9.0], 3, |k| k != 1);
        assert_eq!(scores[0], 1.0);
        assert!(scores[1].is_nan());
        assert_eq!((scores[2], scores.len()), (3.0, 3));
    }
}
