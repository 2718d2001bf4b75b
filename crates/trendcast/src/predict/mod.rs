//! The two calls: inputs computed from raw bars with the same code that built the training
//! samples, then one backend run. `direction` per stock; `rank` for a universe on a day.

mod direction;
mod ranking;

pub use crate::relations::RankingInputs;
// The calls take borrowed bars: their types, defined in `bars`, where a caller looks for them too.
pub use crate::bars::{AsBars, BarsRef, Dates};
pub(crate) use ranking::require_two_stocks;
pub use ranking::{
    NodeIds, Ranking, industries_from_ids, node_ids, order_best_first, rank_with_ids, ranking_inputs_with_ids, require_ranking_inputs,
    series_of, stock_scores,
};
