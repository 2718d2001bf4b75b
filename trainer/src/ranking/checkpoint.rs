//! A training run's checkpoint: after each epoch the weights, the optimiser's moments and the best
//! epoch so far, so that a run started again on the same folder resumes after its last finished
//! epoch (a sweep can span sessions).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::json;
use tch::Tensor;

use crate::adam::Adam;
use crate::config::RankingConfig;
use crate::lsr_igru::Net;

/// The epoch chosen so far: its number, selection value, validation metrics and weights.
pub(super) struct BestEpoch {
    pub(super) epoch: usize,
    pub(super) value: f64,
    pub(super) validation: serde_json::Value,
    pub(super) weights: Vec<(String, Tensor)>,
}

/// A config as a checkpoint compares it: the epoch count may grow (a stopped run is continued by
/// the same command) and the thread count may change; anything else is another run. Unset options
/// are left out, so that a checkpoint written before an option existed matches a config without it.
fn resume_key(cfg: &serde_json::Value) -> serde_json::Value {
    let mut key = cfg.clone();
    if let Some(fields) = key.as_object_mut() {
        fields.retain(|k, v| !v.is_null() && k != "epochs" && k != "threads");
    }
    key
}

/// What a checkpoint gives back to a resumed run.
pub(super) struct Resumed {
    pub(super) epoch: usize,
    pub(super) best: Option<BestEpoch>,
    pub(super) history: Vec<serde_json::Value>,
}

/// A training run's state after its last finished epoch, in a folder: `current/` holds the
/// weights, the optimiser's moments, the best epoch's weights and `state.json` (written last). A
/// new state is written to `next/` and then renamed, so a run killed at any moment leaves one
/// complete state behind.
pub(super) struct Checkpoint {
    dir: PathBuf,
}

impl Checkpoint {
    pub(super) fn new(dir: &Path) -> Checkpoint {
        Checkpoint { dir: dir.to_path_buf() }
    }

    pub(super) fn save(
        &self,
        cfg: &RankingConfig,
        epoch: usize,
        net: &Net,
        opt: &Adam,
        best: &BestEpoch,
        history: &[serde_json::Value],
    ) -> Result<()> {
        let (next, current) = (self.dir.join("next"), self.dir.join("current"));
        if next.exists() {
            std::fs::remove_dir_all(&next)?;
        }
        std::fs::create_dir_all(&next).with_context(|| format!("creating {}", next.display()))?;
        Tensor::save_multi(&net.snapshot(), next.join("weights.ot"))?;
        opt.save(&next.join("adam.ot"))?;
        Tensor::save_multi(&best.weights, next.join("best.ot"))?;
        let state = json!({
            "config": cfg, "epoch": epoch, "history": history,
            "best": {"epoch": best.epoch, "value": best.value, "validation": best.validation},
        });
        std::fs::write(next.join("state.json"), serde_json::to_string_pretty(&state)? + "\n")?;
        if current.exists() {
            std::fs::remove_dir_all(&current)?;
        }
        std::fs::rename(&next, &current)?;
        Ok(())
    }

    /// The saved state, loaded into `net` and `opt`; None when the folder holds none. A state of
    /// another config is refused.
    pub(super) fn load(&self, cfg: &RankingConfig, net: &Net, opt: &mut Adam) -> Result<Option<Resumed>> {
        let Some(dir) = ["current", "next"].iter().map(|d| self.dir.join(d)).find(|d| d.join("state.json").exists()) else {
            return Ok(None);
        };
        let state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("state.json"))?)?;
        if resume_key(&state["config"]) != resume_key(&serde_json::to_value(cfg)?) {
            bail!("checkpoint {} is of another config; remove it or pass another folder", self.dir.display());
        }
        net.restore(&Tensor::load_multi(dir.join("weights.ot"))?);
        opt.load(&dir.join("adam.ot"))?;
        let b = &state["best"];
        let best = BestEpoch {
            epoch: b["epoch"].as_u64().context("best epoch")? as usize,
            value: b["value"].as_f64().unwrap_or(f64::NEG_INFINITY),
            validation: b["validation"].clone(),
            weights: Tensor::load_multi(dir.join("best.ot"))?,
        };
        Ok(Some(Resumed {
            epoch: state["epoch"].as_u64().context("epoch")? as usize,
            best: Some(best),
            history: state["history"].as_array().cloned().unwrap_or_default(),
        }))
    }
}
