//! The ranking model's three inputs for one day, built from raw bars: node features [T, N, 5],
//! A_L [N, N] and A_S [T, N, N]. The serving call (`Model::rank`) and the trainer both call
//! `ranking_inputs`, so a model is trained on exactly what it is served.

use serde::{Deserialize, Serialize};

use super::{
    N_NODE_FEATURES, NodeFeatures, NodeSet, ShortTermRelations, long_term_matrix, node_features_at, normalize_day, normalize_relation,
    overnight_returns,
};
use crate::bars::{Industries, Panel};
use crate::error::{Error, Result};

/// How a ranking model's relation inputs are built (shared/specs/lsr-igru.md); stored in the
/// manifest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RelationSpec {
    /// Trading days of overnight returns in each short-term cosine (61).
    pub short_lookback: usize,
    /// Entries of (cos + 1) / 2 below this become 0 (0.5).
    pub short_cut: f64,
    /// Per day and feature, clip to mean +- this many std before the z-score (3).
    pub clip_std: f64,
    /// The five node values: the code's prices and volume, or scale-free ratios.
    #[serde(default)]
    pub node_features: NodeFeatures,
    /// Degree-normalise both relation matrices (D^-1/2 A D^-1/2); the code does not.
    #[serde(default)]
    pub normalize_relations: bool,
}

impl Default for RelationSpec {
    fn default() -> Self {
        RelationSpec { short_lookback: 61, short_cut: 0.5, clip_std: 3.0, node_features: NodeFeatures::Prices, normalize_relations: false }
    }
}

impl RelationSpec {
    /// Index of the first panel day that has a full window of inputs: the first window day needs
    /// `short_lookback` overnight returns, and each return the day before.
    pub fn first_day(&self, window: usize) -> usize {
        window - 1 + self.short_lookback
    }
}

/// The three model inputs of one day, row-major.
#[derive(Debug, Clone)]
pub struct RankingInputs {
    pub n_nodes: usize,
    /// [window, n_nodes, 5]
    pub nodes: Vec<f32>,
    /// [n_nodes, n_nodes]
    pub long_rel: Vec<f32>,
    /// [window, n_nodes, n_nodes]
    pub short_rel: Vec<f32>,
}

/// The inputs of the `window` days ending at panel day `d`, for every ticker of the panel (each
/// must be in `industries`). Reads bars up to the close of `d` only.
pub fn ranking_inputs(panel: &Panel, industries: &Industries, d: usize, window: usize, rel: &RelationSpec) -> Result<RankingInputs> {
    let lookback = rel.short_lookback;
    let need = rel.first_day(window);
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
        node_features_at(panel, &nodes, &members, first + s, rel.node_features, chunk);
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
        if rel.normalize_relations {
            normalize_relation(out, n);
        }
    }
    let mut long = long_term_matrix(&nodes);
    if rel.normalize_relations {
        normalize_relation(&mut long, n);
    }
    Ok(RankingInputs { n_nodes: n, nodes: x, long_rel: long, short_rel: short })
}
