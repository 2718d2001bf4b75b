//! Experiment configs (TOML, in trainer/configs/): one file per row of a results table.

use serde::{Deserialize, Serialize};

/// A direction experiment. Every field has the original project's value as its default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectionConfig {
    /// Bundle name, and the folder under models/ it is written to.
    pub name: String,
    pub lookback: usize,
    /// Windows end the day before t (the original's one-day gap).
    pub gap: bool,
    pub embargo: usize,
    /// Standardise the features with mean/std fitted on the training split (exported).
    pub scaler: bool,
    /// Train on at most this many samples (0: all), drawn with the seed; for smoke tests.
    pub max_train_samples: usize,
    /// Evaluate on at most this many samples per split (0: all).
    pub max_eval_samples: usize,
    pub hidden: usize,
    pub dropout: f64,
    pub lr: f64,
    pub weight_decay: f64,
    /// Gradient-norm clip.
    pub clip: f64,
    pub batch: usize,
    pub epochs: usize,
    pub seed: u64,
    /// Cross-entropy weights N / (3 * count_c) from the training split.
    pub class_weights: bool,
    /// libtorch intra-op threads.
    pub threads: usize,
}

impl Default for DirectionConfig {
    fn default() -> Self {
        DirectionConfig {
            name: "direction-gru".into(),
            lookback: 30,
            gap: false,
            embargo: 0,
            scaler: false,
            max_train_samples: 0,
            max_eval_samples: 0,
            hidden: 128,
            dropout: 0.3,
            lr: 1e-3,
            weight_decay: 0.0,
            clip: 1.0,
            batch: 1024,
            epochs: 8,
            seed: 42,
            class_weights: true,
            threads: 2,
        }
    }
}

impl DirectionConfig {
    pub fn load(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}
