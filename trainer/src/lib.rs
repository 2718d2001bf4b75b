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
pub mod paired;
pub mod pareto;
pub mod parity;
pub mod ranking;
pub mod report;
pub mod signal_table;
pub mod walk_forward;

/// libtorch's random generator is one per process, and tests run on parallel threads: a test that
/// seeds it and draws from it (initial weights, dropout) holds this lock, so that another test's
/// seed or draw cannot land between (a resumed run compared with an uninterrupted one failed so).
#[cfg(test)]
pub(crate) fn torch_rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
