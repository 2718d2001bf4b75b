//! What training and serving must agree on, in one place: which feature rows a direction model's
//! window covers (`window`: the data set builds the training windows by it, the manifest records
//! it, the direction call and the live universe select the serving windows by it) and what each
//! model is trained to predict (`labels`: the manifest records the label, the backtest and the
//! evaluation read the rank target's returns).

pub mod labels;
mod window;

pub use window::{WindowAlignment, is_window_row};
