//! A ranking model's part of a live universe: the overnight returns of the short-term lookback and
//! their Gram matrix (one day added and one removed per push), and the encodings of the window's
//! days, each computed once, when its day is pushed. A rank is then one run of the window graph on
//! encodings that are already in order in memory.

use serde::{Deserialize, Serialize};

use crate::bars::{Industries, Panel};
use crate::error::Result;
use crate::model::Model;
use crate::relations::{
    NodeSet, RelationMap, RelationSpec, ShortTermRelations, long_term_matrix_into, node_features_at, normalize_day, normalize_relation,
    overnight_returns,
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct RankingStream {
    spec: RelationSpec,
    window: usize,
    n_nodes: usize,
    /// Values of one day's encodings: members x nodes x width.
    day_size: usize,
    /// The universe day from which the Gram matrix may be built (a bootstrap from history builds it
    /// where the whole-history call would, for its last day).
    build_from: usize,
    /// Ring of the last `short_lookback` days' overnight returns, [slot][node].
    returns: Vec<f64>,
    returns_head: usize,
    returns_len: usize,
    /// The Gram matrix of the returns in the ring, once it is full and built.
    gram: Option<ShortTermRelations>,
    /// Encodings of the last `window` encoded days and one slot more: encoded day k lies in slot
    /// k % (window + 1), [window + 1][day_size]. A push encodes its day into the slot of the day
    /// that leaves the window, which the current window does not read, so a failed push leaves the
    /// window as it was and a commit only counts the day. (The window graph reads each day where
    /// it lies.)
    encodings: Vec<f32>,
    /// Days encoded in a row, ending at the latest pushed day.
    encoded_run: usize,
    /// Days encoded since the start (picks the slot).
    encoded_total: usize,
    #[serde(skip)]
    work: Work,
}

/// What a day's push computes before it is committed, and the buffers it computes in.
#[derive(Debug, Clone, Default)]
struct Work {
    nodes: NodeSet,
    members: Vec<Vec<usize>>,
    long_rel: Vec<f32>,
    day_returns: Vec<f64>,
    day_nodes: Vec<f32>,
    day_short: Vec<f32>,
    /// The window's returns in order, when the Gram matrix is first built.
    ordered_returns: Vec<f64>,
    /// The Gram matrix moved to the prepared day, beside the kept one until the day is committed
    /// (the two swap then; buffers reused from day to day).
    gram_next: ShortTermRelations,
    prepared: Option<Prepared>,
}

/// A prepared day: whether it was encoded, and how it moved the Gram matrix.
#[derive(Debug, Clone, Copy)]
struct Prepared {
    encoded: bool,
    gram: GramStep,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum GramStep {
    /// Not built yet (the lookback is not full).
    None,
    /// Built from the ring this day (kept in place: undone by dropping it).
    Built,
    /// Slid by the day into `gram_next`.
    Slid,
}

impl RankingStream {
    pub(super) fn new(model: &Model, tickers: &[String], industries: &Industries, build_from: usize) -> Result<RankingStream> {
        let m = model.manifest();
        let spec = m.relations.ok_or_else(|| crate::error::Error::contract("a ranking model needs its relation settings"))?;
        let (members, width) = model.encoding_shape()?;
        let nodes = NodeSet::new(tickers, industries)?;
        let n = nodes.n_nodes();
        let day_size = members * n * width;
        let mut s = RankingStream {
            spec,
            window: m.window,
            n_nodes: n,
            day_size,
            build_from,
            returns: vec![0.0; spec.short_lookback * n],
            returns_head: 0,
            returns_len: 0,
            gram: None,
            encodings: vec![0.0; (m.window + 1) * day_size],
            encoded_run: 0,
            encoded_total: 0,
            work: Work::default(),
        };
        s.attach(nodes);
        Ok(s)
    }

    /// A stream decoded from a saved state takes what is not saved (the node set, A_L, the work
    /// buffers) from `fresh`, the stream the same model and universe give when made anew.
    pub(super) fn take_work_from(&mut self, fresh: &mut RankingStream) -> Result<()> {
        if fresh.n_nodes != self.n_nodes {
            return Err(crate::error::Error::contract(format!(
                "the state has {} nodes, the universe's industries give {}",
                self.n_nodes, fresh.n_nodes
            )));
        }
        self.work = std::mem::take(&mut fresh.work);
        Ok(())
    }

    /// Builds what is not saved from the node set: A_L and the work buffers.
    fn attach(&mut self, nodes: NodeSet) {
        let n = nodes.n_nodes();
        let w = &mut self.work;
        w.members = nodes.members();
        long_term_matrix_into(&nodes, &mut w.long_rel);
        if self.spec.normalize_relations {
            normalize_relation(&mut w.long_rel, n);
        }
        w.nodes = nodes;
        w.day_returns = vec![0.0; n];
        w.day_nodes = vec![0.0; n * self.spec.node_features.width()];
        w.day_short = vec![0.0; n * n];
    }

    /// Universe days of history the model's inputs read (a stock needs a bar that far back).
    pub(super) fn history(&self) -> usize {
        self.spec.first_day(self.window) + 1
    }

    /// Computes day `day`'s part (the last day of `trail`, the universe's trailing panel with the
    /// day pushed): its overnight returns, and, once the lookback is full, its short-term matrix
    /// and, with `encode`, its encodings. Nothing is committed: [`commit`](Self::commit) or
    /// [`rollback`](Self::rollback) follows.
    pub(super) fn prepare(&mut self, model: &Model, trail: &Panel, day: usize, encode: bool) -> Result<()> {
        let d = trail.n_days() - 1;
        let n = self.n_nodes;
        let lookback = self.spec.short_lookback;
        let w = &mut self.work;
        overnight_returns(trail, &w.nodes, &w.members, d, &mut w.day_returns);
        let map = RelationMap { cut: self.spec.short_cut, normalize: self.spec.normalize_relations };
        // The day's A_S: slide the Gram matrix, or build it once the ring holds a lookback of days
        // after the first (whose return is undefined), as the whole-history call does.
        let full = self.returns_len + 1 >= lookback;
        let step = match &self.gram {
            Some(gram) => {
                let oldest = &self.returns[self.returns_head * n..(self.returns_head + 1) * n];
                w.gram_next.slide_from(gram, &w.day_returns, oldest, Some((map, &mut w.day_short)));
                GramStep::Slid
            }
            None if full && day >= lookback && day >= self.build_from => {
                // The ring's days after the oldest (when full), then this day, in order.
                w.ordered_returns.clear();
                let skip = usize::from(self.returns_len == lookback);
                for k in skip..self.returns_len {
                    let slot = (self.returns_head + k) % lookback;
                    w.ordered_returns.extend_from_slice(&self.returns[slot * n..(slot + 1) * n]);
                }
                w.ordered_returns.extend_from_slice(&w.day_returns);
                let mut gram = ShortTermRelations::new(n);
                gram.add_days_into(&w.ordered_returns, Some((map, &mut w.day_short)));
                self.gram = Some(gram);
                GramStep::Built
            }
            None => GramStep::None,
        };
        let encode = step != GramStep::None && encode;
        if encode {
            node_features_at(trail, &w.nodes, &w.members, d, self.spec.node_features, &mut w.day_nodes);
            normalize_day(&mut w.day_nodes, n, self.spec.node_features.width(), self.spec.clip_std);
            let slot = self.encoded_total % (self.window + 1);
            let into = &mut self.encodings[slot * self.day_size..(slot + 1) * self.day_size];
            let ran = model.encode_days_into(n, &w.day_nodes, &w.long_rel, &w.day_short, into);
            self.work.prepared = Some(Prepared { encoded: encode, gram: step });
            if let Err(e) = ran {
                self.rollback();
                return Err(e);
            }
        }
        self.work.prepared = Some(Prepared { encoded: encode, gram: step });
        Ok(())
    }

    /// Undoes a prepared day: the Gram matrix as it was (a slid one never changed).
    pub(super) fn rollback(&mut self) {
        if let Some(Prepared { gram: GramStep::Built, .. }) = self.work.prepared.take() {
            self.gram = None;
        }
    }

    /// Keeps the prepared day: its returns in the ring, its encodings (already in their slot) in
    /// the window.
    pub(super) fn commit(&mut self) {
        let Some(Prepared { encoded, gram: step }) = self.work.prepared.take() else { return };
        if step == GramStep::Slid
            && let Some(gram) = &mut self.gram
        {
            std::mem::swap(gram, &mut self.work.gram_next);
        }
        let (n, lookback) = (self.n_nodes, self.spec.short_lookback);
        let slot = if self.returns_len == lookback {
            let s = self.returns_head;
            self.returns_head = (s + 1) % lookback;
            s
        } else {
            self.returns_len += 1;
            (self.returns_head + self.returns_len - 1) % lookback
        };
        self.returns[slot * n..(slot + 1) * n].copy_from_slice(&self.work.day_returns);
        if encoded {
            self.encoded_total += 1;
            self.encoded_run += 1;
        } else {
            self.encoded_run = 0;
        }
    }

    /// Day t of the window (0 the oldest) as `Model::encode_days` lays a day out, if the last T
    /// days were encoded.
    pub(super) fn window_days<'a>(&'a self) -> Option<impl Fn(usize) -> &'a [f32] + 'a> {
        (self.encoded_run >= self.window).then_some(move |t: usize| {
            let slot = (self.encoded_total - self.window + t) % (self.window + 1);
            &self.encodings[slot * self.day_size..(slot + 1) * self.day_size]
        })
    }

    /// Zeroes the slot outside the window, which may hold a refused day's encodings: a saved
    /// state then depends on the days pushed only.
    pub(super) fn clear_spare_slot(&mut self) {
        let slot = self.encoded_total % (self.window + 1);
        self.encodings[slot * self.day_size..(slot + 1) * self.day_size].fill(0.0);
    }

    pub(super) fn n_nodes(&self) -> usize {
        self.n_nodes
    }

    /// Whether a decoded stream has the sizes `model` needs (the node count is checked by `attach`).
    pub(super) fn fits(&self, model: &Model) -> bool {
        let m = model.manifest();
        let lookback = self.spec.short_lookback;
        model.encoding_shape().is_ok_and(|(members, width)| self.day_size == members * self.n_nodes * width)
            && m.relations == Some(self.spec)
            && self.window == m.window
            && self.returns.len() == lookback * self.n_nodes
            && self.returns_head < lookback
            && self.returns_len <= lookback
            && self.gram.as_ref().is_none_or(|g| g.is_consistent(self.n_nodes))
            && self.encodings.len() == (self.window + 1) * self.day_size
            && self.encoded_run <= self.encoded_total
    }
}
