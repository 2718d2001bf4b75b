//! The ranking model's inputs (docs/specs/lsr-igru.md): the node set (stocks, then
//! sub-industries, then sectors), node features with the per-day clip-and-z-score, the static
//! long-term relation matrix, and the daily short-term matrices from overnight-return cosines,
//! optionally degree-normalised.
//! Everything for day t reads bars up to the close of t only.

mod inputs;
mod long_term;
mod node_features;
mod nodes;
mod normalize;
mod short_term;

pub use inputs::{RankingInputs, RelationSpec, ranking_inputs, ranking_inputs_into};
pub use long_term::{LongTermFactors, long_term_matrix, long_term_matrix_into};
pub use node_features::{MAX_NODE_FEATURES, N_NODE_FEATURES, NodeFeatures, node_features_at, normalize_day};
pub use nodes::NodeSet;
pub use normalize::normalize_relation;
#[cfg(feature = "test-support")]
pub use short_term::short_term_direct;
pub use short_term::{RelationMap, ShortTermRelations, overnight_returns};
