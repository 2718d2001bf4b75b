//! trendcast-trainer: fits trendcast's models with libtorch (tch) on the samples the core crate
//! builds (the same feature, label and window code that serves), and exports them as ONNX bundles
//! through the core's writer.
//!
//! This crate is outside the workspace's default members: building or running the core never
//! needs libtorch.

pub mod adam;
pub mod allocator;
pub mod baselines;
pub mod batch;
pub mod config;
pub mod device;
pub mod direction;
pub mod lsr_igru;
pub mod pareto;
pub mod parity;
pub mod ranking;
pub mod report;
pub mod walk_forward;
