//! The answering engine: what an answer is made of once a call's inputs exist. Which stocks are
//! answered, the window a model reads, the backend runs and the output are decided here and only
//! here. The stateless calls ([`crate::predict`]) compute the inputs from the history given with
//! each call; a live universe ([`crate::live`]) keeps them as state, a day at a time; both hand
//! them to the engine, so the two differ only in where the inputs come from (tested equal in
//! tests/live_universe.rs).

mod direction;
mod ranking;

pub(crate) use direction::{DirectionRows, not_finite_bar, run_windows, too_few_rows};
pub(crate) use ranking::require_two_stocks;
pub use ranking::{Ranking, is_scored, order_best_first, scores_of};
