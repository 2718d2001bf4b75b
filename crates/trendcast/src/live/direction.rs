//! A direction model's part of a live universe: per stock, the newest complete feature rows its
//! window reads, already scaled as the model reads them, so that answering is a copy and one run.

use serde::{Deserialize, Serialize};

use crate::features::{FeatureRow, N_FEATURES};
use crate::model::Model;

/// Per stock a ring of the last `window + skip` complete rows (`skip`: 1 for a model trained on
/// windows that end the day before t, whose newest complete row is left out).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct DirectionStream {
    window: usize,
    skip: usize,
    /// [stock][slot][feature], `capacity()` slots per stock.
    rows: Vec<f32>,
    /// Per stock: the slot of its oldest row and how many slots are filled.
    head: Vec<u32>,
    len: Vec<u32>,
}

impl DirectionStream {
    pub(super) fn new(model: &Model, n_stocks: usize) -> DirectionStream {
        let m = model.manifest();
        let skip = m.alignment.gap_rows();
        let cap = m.window + skip;
        DirectionStream {
            window: m.window,
            skip,
            rows: vec![0.0; n_stocks * cap * N_FEATURES],
            head: vec![0; n_stocks],
            len: vec![0; n_stocks],
        }
    }

    fn capacity(&self) -> usize {
        self.window + self.skip
    }

    /// Takes stock `k`'s newest complete row, scaled by the model's scaler.
    pub(super) fn push(&mut self, model: &Model, k: usize, row: &FeatureRow) {
        let cap = self.capacity();
        let (head, len) = (self.head[k] as usize, self.len[k] as usize);
        let slot = (head + len) % cap;
        let dst = &mut self.rows[(k * cap + slot) * N_FEATURES..(k * cap + slot + 1) * N_FEATURES];
        model.manifest().scale_row(row.iter(), dst);
        if len == cap {
            self.head[k] = ((head + 1) % cap) as u32;
        } else {
            self.len[k] += 1;
        }
    }

    /// Whether stock `k` has the rows of a full window.
    pub(super) fn ready(&self, k: usize) -> bool {
        self.len[k] as usize == self.capacity()
    }

    /// Complete rows held for stock `k` and the number a window needs.
    pub(super) fn rows_held(&self, k: usize) -> (usize, usize) {
        (self.len[k] as usize, self.capacity())
    }

    /// Writes stock `k`'s window (oldest row first) into `dst` (`window x 13` values).
    pub(super) fn window_into(&self, k: usize, dst: &mut [f32]) {
        let cap = self.capacity();
        let head = self.head[k] as usize;
        let base = k * cap;
        // The oldest `window` of the ring's rows, in at most two runs.
        let first = (cap - head).min(self.window);
        dst[..first * N_FEATURES].copy_from_slice(&self.rows[(base + head) * N_FEATURES..(base + head + first) * N_FEATURES]);
        let rest = self.window - first;
        dst[first * N_FEATURES..].copy_from_slice(&self.rows[base * N_FEATURES..(base + rest) * N_FEATURES]);
    }

    /// Whether a decoded stream has the sizes `model` and `n_stocks` need.
    pub(super) fn fits(&self, model: &Model, n_stocks: usize) -> bool {
        let m = model.manifest();
        let cap = self.capacity();
        self.window == m.window
            && self.skip == m.alignment.gap_rows()
            && self.rows.len() == n_stocks * cap * N_FEATURES
            && self.head.len() == n_stocks
            && self.len.len() == n_stocks
            && self.head.iter().zip(&self.len).all(|(&h, &l)| (h as usize) < cap && (l as usize) <= cap)
    }
}
