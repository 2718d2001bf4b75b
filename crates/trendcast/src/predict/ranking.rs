//! The stateless ranking call: for a universe on a day, the node features, long-term and
//! short-term relation inputs of the model's window, computed from the panel of raw bars and the
//! industry table; then the answering engine's encoder and window runs, its scoring rule and order.

use std::cell::RefCell;

use crate::answer::{Ranking, is_scored, require_two_stocks, scores_of};
use crate::bars::{Industries, Panel};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::model::manifest::ModelKind;
use crate::relations::{RankingInputs, RelationSpec, ranking_inputs, ranking_inputs_into};

thread_local! {
    /// The last call's inputs and encodings, whose buffers the next call on this thread reuses.
    static INPUTS: RefCell<(RankingInputs, Vec<f32>)> = RefCell::new(Default::default());
}

impl Model {
    /// The relation settings of the contract, which every ranking model has.
    fn relation_spec(&self) -> Result<RelationSpec> {
        self.manifest().relations.ok_or_else(|| Error::contract("a ranking model needs its relation settings"))
    }

    /// Trading days of history a stock needs for a score, counting the day (see
    /// [`is_scored`]): what the model's inputs read.
    pub fn ranking_history(&self) -> Result<usize> {
        Ok(self.relation_spec()?.first_day(self.manifest().window) + 1)
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
        let scores = stock_scores(panel, d, self.ranking_history()?, &node_scores);
        Ok(Ranking::of_scores(date, scores))
    }
}

/// The stocks' scores on panel day `d` out of a ranking model's node scores: the rule of
/// [`is_scored`] on the panel's bars.
pub fn stock_scores(panel: &Panel, d: usize, history: usize, node_scores: &[f32]) -> Vec<f32> {
    let nd = panel.n_days();
    let present = |k: usize| &panel.present[k * nd..k * nd + d + 1];
    scores_of(node_scores, panel.n_tickers(), |k| is_scored(present(k)[d], present(k).iter().position(|&p| p), d, history))
}
