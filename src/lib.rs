//! trendcast: which way stocks will move, and which to hold, from raw daily bars.
//!
//! Data runs one way: raw bars ([`bars`]) -> features ([`features`]) and labels ([`labels`]) ->
//! windows and splits ([`dataset`]) -> models. See ARCHITECTURE.md for the map.

pub mod bars;
pub mod dataset;
pub mod date;
pub mod error;
pub mod features;
pub mod labels;

pub use date::Date;
pub use error::{Error, Result};

/// The library's version (from Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
