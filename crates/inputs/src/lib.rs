//! trendcast's inputs: what a model reads, computed from raw daily bars the same way when a model
//! is trained and when it serves.
//!
//! Data runs one way: raw bars ([`bars`]) -> the direction features ([`features`]) and the ranking
//! model's relations ([`relations`]) -> the contract's windows and labels ([`contract`]). Nothing
//! here knows about models, backends or files other than bar and industry tables.

pub mod bars;
pub mod contract;
pub mod date;
pub mod error;
pub mod features;
pub mod relations;

pub use date::Date;
pub use error::{Error, Result};
