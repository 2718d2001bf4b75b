//! trendcast: which way stocks will move, and which to hold, from raw daily bars.
//!
//! This is the serving library: what a program linking it (or loading it through the C ABI)
//! needs, and nothing else. Data runs one way: raw bars ([`bars`]) -> features ([`features`]) and
//! relations ([`relations`]), from the history given with each call ([`predict`]) or kept by a
//! universe a day at a time ([`live`]) -> the answering engine ([`answer`]: the contract's windows,
//! which stocks are answered, a model's backend run ([`model`]), the output) -> backtests
//! ([`backtest`]); [`ffi`] is the C
//! layer over all of it. The inputs are computed by `trendcast-inputs` (re-exported here), which
//! the trainer uses too; writing models is `trendcast-export`'s. See ARCHITECTURE.md for the map.

pub mod answer;
pub mod backtest;
pub mod ffi;
pub mod live;
pub mod model;
pub mod predict;

pub use trendcast_inputs::{bars, contract, date, error, features, relations};

pub use date::Date;
pub use error::{Error, Result};
pub use live::{DayBar, LiveUniverse};
pub use model::{BackendKind, Device, Model, ModelKind, OpenOptions};

/// The library's version (from Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
