//! The stateless calls: inputs computed from the raw bars given with each call, with the same code
//! that built the training samples, then answered by the engine ([`crate::answer`]). `direction`
//! per stock; `rank` for a universe on a day; the same calls on the C ABI's form of input (borrowed
//! bars with integer industry ids) in [`ids`].

mod direction;
mod ids;
mod ranking;

pub use crate::answer::{Ranking, order_best_first};
pub use crate::relations::RankingInputs;
// The calls take borrowed bars: their types, defined in `bars`, where a caller looks for them too.
pub use crate::bars::{AsBars, BarsRef, Dates};
pub use ids::{NodeIds, industries_from_ids, node_ids, rank_with_ids, ranking_inputs_with_ids, require_ranking_inputs, series_of};
pub use ranking::stock_scores;
