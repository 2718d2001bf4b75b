//! trendcast: which way stocks will move, and which to hold, from raw daily bars.
//!
//! Data runs one way: raw bars ([`bars`]) -> features ([`features`]) and labels ([`contract::labels`]) ->
//! windows and splits ([`dataset`]) -> models. See ARCHITECTURE.md for the map.

pub mod backtest;
pub mod bars;
#[cfg(feature = "charts")]
pub mod charts;
pub mod contract;
pub mod dataset;
pub mod date;
pub mod error;
pub mod evaluate;
pub mod features;
pub mod ffi;
pub mod live;
pub mod metrics;
pub mod model;
pub mod predict;
pub mod relations;

pub use date::Date;
pub use error::{Error, Result};
pub use live::{DayBar, LiveUniverse};
pub use model::{BackendKind, Device, Model, ModelKind, OpenOptions};

/// The library's version (from Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
