//! The ranking model's three inputs for one day, built from raw bars: node features [T, N, F] (F the node-feature kind's width),
//! A_L [N, N] and A_S [T, N, N]. The serving call (`Model::rank`) and the trainer both call
//! `ranking_inputs`, so a model is trained on exactly what it is served.

use serde::{Deserialize, Serialize};

use super::{
    NodeFeatures, NodeSet, RelationMap, ShortTermRelations, long_term_matrix_into, node_features_at, normalize_day, normalize_relation,
    overnight_returns,
};
use crate::bars::{Industries, Panel};
use crate::error::{Error, Result};

/// How a ranking model's relation inputs are built (docs/specs/lsr-igru.md); stored in the
/// manifest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RelationSpec {
    /// Trading days of overnight returns in each short-term cosine (61).
    pub short_lookback: usize,
    /// Entries of (cos + 1) / 2 below this become 0 (0.5).
    pub short_cut: f64,
    /// Per day and feature, clip to mean +- this many std before the z-score (3).
    pub clip_std: f64,
    /// The node values: the code's prices and volume, or scale-free ratios and returns.
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
#[derive(Debug, Clone, Default)]
pub struct RankingInputs {
    pub n_nodes: usize,
    /// [window, n_nodes, node_features.width()]
    pub nodes: Vec<f32>,
    /// [n_nodes, n_nodes]
    pub long_rel: Vec<f32>,
    /// [window, n_nodes, n_nodes]
    pub short_rel: Vec<f32>,
    /// The overnight returns and the Gram matrix behind `short_rel`, kept so that a caller that
    /// reuses this value (the ranking call does) allocates nothing for them.
    scratch: Scratch,
}

#[derive(Debug, Clone, Default)]
struct Scratch {
    returns: Vec<f64>,
    gram: ShortTermRelations,
}

/// The inputs of the `window` days ending at panel day `d`, for every ticker of the panel (each
/// must be in `industries`). Reads bars up to the close of `d` only.
pub fn ranking_inputs(panel: &Panel, industries: &Industries, d: usize, window: usize, rel: &RelationSpec) -> Result<RankingInputs> {
    let mut out = RankingInputs::default();
    ranking_inputs_into(panel, industries, d, window, rel, &mut out)?;
    Ok(out)
}

/// As [`ranking_inputs`], into `out`'s buffers: a caller that keeps `out` between calls (the
/// ranking call does, per thread) does not allocate and zero the 27 MB of A_S of a 671-node
/// universe again. Every value of `out` is written.
pub fn ranking_inputs_into(
    panel: &Panel,
    industries: &Industries,
    d: usize,
    window: usize,
    rel: &RelationSpec,
    out: &mut RankingInputs,
) -> Result<()> {
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

    let RankingInputs { n_nodes, nodes: x, long_rel, short_rel: short, scratch } = out;
    *n_nodes = n;
    let width = rel.node_features.width();
    x.resize(window * n * width, 0.0);
    for (s, chunk) in x.chunks_exact_mut(n * width).enumerate() {
        node_features_at(panel, &nodes, &members, first + s, rel.node_features, chunk);
        normalize_day(chunk, n, width, rel.clip_std);
    }

    // Overnight returns of days first-lookback+1 ..= d, one row per day.
    let days = lookback + window - 1;
    let returns = &mut scratch.returns;
    returns.resize(days * n, 0.0);
    for (k, row) in returns.chunks_exact_mut(n).enumerate() {
        overnight_returns(panel, &nodes, &members, first + 1 + k - lookback, row);
    }
    // Each step's matrix is written (and normalised) in the pass that moves the window to it.
    short.resize(window * n * n, 0.0);
    let map = RelationMap { cut: rel.short_cut, normalize: rel.normalize_relations };
    let gram = &mut scratch.gram;
    gram.reset(n);
    for (s, out) in short.chunks_exact_mut(n * n).enumerate() {
        if s == 0 {
            gram.add_days_into(&returns[..lookback * n], Some((map, out)));
        } else {
            gram.slide_into(&returns[(lookback + s - 1) * n..(lookback + s) * n], &returns[(s - 1) * n..s * n], Some((map, out)));
        }
    }
    long_term_matrix_into(&nodes, long_rel);
    if rel.normalize_relations {
        normalize_relation(long_rel, n);
    }
    Ok(())
}
