//! The ranking call: for a universe on a day, the node features, long-term and short-term relation
//! inputs of the model's window, computed from the panel of raw bars and the industry table; one
//! backend run; a score per stock and the order, best first.

use crate::bars::{Industries, Panel};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::model::manifest::ModelKind;
use crate::model::{Model, TensorIn};
use crate::relations::{N_NODE_FEATURES, NodeSet, ShortTermRelations, long_term_matrix, node_features_at, normalize_day, overnight_returns};

/// Scores of a universe on a day.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    pub date: Date,
    /// One per stock of the panel, in panel order; NaN for a stock without a bar that day.
    pub scores: Vec<f32>,
    /// Indices of the stocks with a score, best first.
    pub order: Vec<usize>,
}

/// The three model inputs of one day, built from raw bars.
pub struct RankingInputs {
    pub n_nodes: usize,
    pub nodes: Vec<f32>,
    pub long_rel: Vec<f32>,
    pub short_rel: Vec<f32>,
}

impl Model {
    /// The ranking model's inputs for panel day `d`.
    pub fn ranking_inputs(&self, panel: &Panel, industries: &Industries, d: usize) -> Result<RankingInputs> {
        let m = self.manifest();
        let rel = m.relations.ok_or_else(|| Error::contract("a ranking model needs its relation settings"))?;
        let (window, lookback) = (m.window, rel.short_lookback);
        // The first window day needs `lookback` overnight returns, and each return the day before.
        let need = window - 1 + lookback;
        if d < need {
            return Err(Error::TooLittleHistory {
                what: format!("{} trading days up to {}, the model needs {}", d + 1, panel.calendar[d], need + 1),
            });
        }
        let nodes = NodeSet::new(&panel.tickers, industries)?;
        let members = nodes.members();
        let n = nodes.n_nodes();
        let first = d + 1 - window;

        let mut x = vec![0f32; window * n * N_NODE_FEATURES];
        for (s, chunk) in x.chunks_exact_mut(n * N_NODE_FEATURES).enumerate() {
            node_features_at(panel, &nodes, &members, first + s, chunk);
            normalize_day(chunk, n, rel.clip_std);
        }

        // Overnight returns of days first-lookback+1 ..= d, one row per day.
        let days = lookback + window - 1;
        let mut returns = vec![0f64; days * n];
        for (k, row) in returns.chunks_exact_mut(n).enumerate() {
            overnight_returns(panel, &nodes, &members, first + 1 + k - lookback, row);
        }
        let mut short = vec![0f32; window * n * n];
        let mut gram = ShortTermRelations::new(n);
        for row in returns.chunks_exact(n).take(lookback) {
            gram.add(row);
        }
        for (s, out) in short.chunks_exact_mut(n * n).enumerate() {
            if s > 0 {
                gram.add(&returns[(lookback + s - 1) * n..(lookback + s) * n]);
                gram.remove(&returns[(s - 1) * n..s * n]);
            }
            gram.matrix(rel.short_cut, out);
        }
        Ok(RankingInputs { n_nodes: n, nodes: x, long_rel: long_term_matrix(&nodes), short_rel: short })
    }

    /// Scores every stock of the panel as of the close of `date` and orders them, best first.
    pub fn rank(&self, panel: &Panel, industries: &Industries, date: Date) -> Result<Ranking> {
        let m = self.manifest();
        if m.kind != ModelKind::Ranking {
            return Err(Error::WrongKind { what: format!("a ranking call on the {} model {:?}", m.kind.name(), m.name) });
        }
        let d = panel.day_index(date).ok_or_else(|| Error::argument(format!("{date} is not a trading day of the panel")))?;
        let inp = self.ranking_inputs(panel, industries, d)?;
        let n = inp.n_nodes;
        let mut node_scores = vec![0f32; n];
        self.run(
            &[
                TensorIn { shape: &[m.window, n, N_NODE_FEATURES], data: &inp.nodes },
                TensorIn { shape: &[n, n], data: &inp.long_rel },
                TensorIn { shape: &[m.window, n, n], data: &inp.short_rel },
            ],
            &mut node_scores,
        )?;
        let nd = panel.n_days();
        let scores: Vec<f32> =
            (0..panel.n_tickers()).map(|k| if panel.present[k * nd + d] { node_scores[k] } else { f32::NAN }).collect();
        let mut order: Vec<usize> = (0..scores.len()).filter(|&k| scores[k].is_finite()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        Ok(Ranking { date, scores, order })
    }
}

/// Ranks stocks given as borrowed bars with integer industry ids (the C ABI's form): builds the
/// validated panel and an industry table from the ids, and scores the latest date.
pub fn rank_with_ids<S: super::AsBars>(model: &Model, stocks: &[S], sector_ids: &[i32], sub_industry_ids: &[i32]) -> Result<Ranking> {
    use crate::bars::{BarSeries, IndustryRow};
    if stocks.len() != sector_ids.len() || stocks.len() != sub_industry_ids.len() {
        return Err(Error::shape(format!("{} stocks, {} sector ids, {} sub-industry ids", stocks.len(), sector_ids.len(), sub_industry_ids.len())));
    }
    let mut series = Vec::with_capacity(stocks.len());
    let mut rows = Vec::with_capacity(stocks.len());
    for (i, s) in stocks.iter().enumerate() {
        let ticker = format!("stock #{i}");
        let mut one = BarSeries::empty(ticker.clone());
        let bars = s.as_bars().map_err(|e| e.for_stock(&ticker))?;
        for t in 0..bars.checked_len().map_err(|e| e.for_stock(&ticker))? {
            one.push(bars.bar(t).map_err(|e| e.for_stock(&ticker))?).map_err(|e| e.for_stock(&ticker))?;
        }
        series.push(one);
        rows.push(IndustryRow { ticker, sector: format!("sector {}", sector_ids[i]), sub_industry: format!("sub-industry {}", sub_industry_ids[i]) });
    }
    let industries = Industries::new(rows)?;
    // Panel rows follow `series`, so panel index k is stock k.
    let panel = Panel::from_series(&series);
    let date = *panel.calendar.last().ok_or_else(|| Error::shape("no bars given"))?;
    model.rank(&panel, &industries, date)
}
