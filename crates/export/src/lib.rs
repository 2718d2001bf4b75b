//! trendcast's export side: what training and research need and serving must not carry.
//!
//! - [`onnx`]: the graph builder and the graphs trendcast writes (the direction nets, LSR-IGRU's
//!   encoder and window graphs, the ensembles, the ranking probe), each with an f64 reference that
//!   the parity checks hold the engines to.
//! - [`export`]: a trained net -> a bundle (ONNX files + manifest) the serving library opens.
//! - [`upgrade`]: a ranking bundle of an earlier form rewritten in the current one, checked.
//! - [`dataset`], [`evaluate`], [`metrics`]: direction samples per split, and scoring a model over
//!   a date range through the serving library.
//! - [`charts`]: PNG line charts and confusion matrices for reports.
//!
//! It depends on the serving crate (`trendcast`), never the other way round.

#[cfg(feature = "charts")]
pub mod charts;
pub mod dataset;
pub mod evaluate;
pub mod export;
pub mod metrics;
pub mod onnx;
pub mod upgrade;
