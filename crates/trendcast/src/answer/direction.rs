//! A direction answer once a stock's feature rows exist: the window is the oldest `window` of the
//! newest `window + skip` window rows (complete rows, with the market's defined where the model
//! reads it; `skip` is 1 for a model trained on windows that end the day before t), each row scaled
//! by the model's scaler; a stock is answered only when that many rows exist and its last bar's
//! features are all finite. Rows are pushed oldest first, one at a time by a live universe as days
//! come, all at once by the stateless call.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};
use crate::model::{Model, TensorIn};

/// Per stock a ring of the newest `window + skip` window rows, already scaled as the model reads
/// them, so that answering is a copy and one run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct DirectionRows {
    window: usize,
    skip: usize,
    /// [stock][slot][feature], `capacity()` slots per stock.
    rows: Vec<f32>,
    /// Per stock: the slot of its oldest row and how many slots are filled.
    head: Vec<u32>,
    len: Vec<u32>,
}

impl DirectionRows {
    pub(crate) fn new(model: &Model, n_stocks: usize) -> DirectionRows {
        let mut rows = DirectionRows::default();
        rows.reset(model, n_stocks);
        rows
    }

    /// Empties the rings and sizes them for `model` and `n_stocks`, keeping the buffers.
    pub(crate) fn reset(&mut self, model: &Model, n_stocks: usize) {
        let m = model.manifest();
        (self.window, self.skip) = (m.window, m.alignment.gap_rows());
        self.rows.clear();
        self.rows.resize(n_stocks * self.capacity() * m.features.len(), 0.0);
        self.head.clear();
        self.head.resize(n_stocks, 0);
        self.len.clear();
        self.len.resize(n_stocks, 0);
    }

    /// Rows a window is cut from: the window and the newest rows it leaves out.
    pub(crate) fn capacity(&self) -> usize {
        self.window + self.skip
    }

    /// Values per row: the model's features (the 13, then the market's when it reads them). Not
    /// kept apart: the rows hold `capacity()` of them per stock, which keeps a saved state's layout.
    fn width(&self) -> usize {
        self.rows.len() / (self.head.len() * self.capacity()).max(1)
    }

    /// Takes stock `k`'s newest window row (`width` values), scaled by the model's scaler.
    pub(crate) fn push<'a>(&mut self, model: &Model, k: usize, values: impl Iterator<Item = &'a f64>) {
        let (cap, width) = (self.capacity(), self.width());
        let (head, len) = (self.head[k] as usize, self.len[k] as usize);
        let slot = (head + len) % cap;
        let dst = &mut self.rows[(k * cap + slot) * width..(k * cap + slot + 1) * width];
        model.manifest().scale_row(values, dst);
        if len == cap {
            self.head[k] = ((head + 1) % cap) as u32;
        } else {
            self.len[k] += 1;
        }
    }

    /// Whether stock `k` has the rows of a full window.
    pub(crate) fn ready(&self, k: usize) -> bool {
        self.len[k] as usize == self.capacity()
    }

    /// Window rows held for stock `k` and the number a window needs.
    pub(crate) fn rows_held(&self, k: usize) -> (usize, usize) {
        (self.len[k] as usize, self.capacity())
    }

    /// Writes stock `k`'s window (oldest row first) into `dst` (`window x width` values).
    pub(crate) fn window_into(&self, k: usize, dst: &mut [f32]) {
        let (cap, width) = (self.capacity(), self.width());
        let head = self.head[k] as usize;
        let base = k * cap;
        // The oldest `window` of the ring's rows, in at most two runs.
        let first = (cap - head).min(self.window);
        dst[..first * width].copy_from_slice(&self.rows[(base + head) * width..(base + head + first) * width]);
        let rest = self.window - first;
        dst[first * width..].copy_from_slice(&self.rows[base * width..(base + rest) * width]);
    }

    /// Whether decoded rings have the sizes `model` and `n_stocks` need.
    pub(crate) fn fits(&self, model: &Model, n_stocks: usize) -> bool {
        let m = model.manifest();
        let cap = self.capacity();
        self.window == m.window
            && self.skip == m.alignment.gap_rows()
            && self.rows.len() == n_stocks * cap * m.features.len()
            && self.head.len() == n_stocks
            && self.len.len() == n_stocks
            && self.head.iter().zip(&self.len).all(|(&h, &l)| (h as usize) < cap && (l as usize) <= cap)
    }
}

/// A stock whose last bar has a feature that is not finite (`what`: which, and why if known): the
/// training data dropped such days, so the model has no answer for it.
pub(crate) fn not_finite_bar(at: Location, what: &str) -> Error {
    Error::InvalidBar { at, what: format!("a feature of the last bar is not finite: {what}; the model was never trained on such a day") }
}

/// A stock with fewer window rows than the window needs (`whose`: a prefix saying whose).
pub(crate) fn too_few_rows(whose: &str, held: usize, need: usize) -> Error {
    Error::TooLittleHistory { what: format!("{whose}{held} complete feature rows, the window needs {need}") }
}

/// The probabilities of a batch of windows (`input`: [stocks, window, width], as
/// [`DirectionRows::window_into`] writes them) into `out`, 3 per stock: one backend run.
pub(crate) fn run_windows(model: &Model, input: &[f32], out: &mut [f32]) -> Result<()> {
    let m = model.manifest();
    let width = m.features.len();
    let stocks = input.len() / (m.window * width).max(1);
    model.run(&[TensorIn { shape: &[stocks, m.window, width], data: input }], out)
}
