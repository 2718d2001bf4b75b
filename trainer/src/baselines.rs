//! The direction table's tabular baselines (docs/specs/direction.md): majority class, logistic
//! regression and a random forest, each seeing only the 13 features of day t. They are rows of the
//! results table, not shipped models, so nothing is exported.

use std::time::Instant;

use anyhow::{Result, anyhow};
use serde::{Deserialize, Serialize};
use serde_json::json;
use smartcore::ensemble::random_forest_classifier::{RandomForestClassifier, RandomForestClassifierParameters};
use smartcore::linalg::basic::matrix::DenseMatrix;
use tch::nn::{self, Module, OptimizerConfig};
use tch::{Device, Kind, Reduction, Tensor};
use trendcast::bars::BarSeries;
use trendcast::features::N_FEATURES;
use trendcast_export::dataset::{DatasetSpec, DirectionDataset, Sample, Split};
use trendcast_export::metrics::{ClassScores, Confusion};

use crate::direction::{fit_scaler, subsample};

/// Baseline settings; defaults are the original project's (250k-row training subsample, forest of
/// 200 trees of depth 12).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BaselinesConfig {
    pub name: String,
    /// Training rows drawn (with the seed) from the training split (0: all).
    pub max_train_samples: usize,
    pub seed: u64,
    /// Full-batch Adam steps of the (convex) multinomial logistic regression.
    pub logistic_steps: usize,
    pub logistic_lr: f64,
    pub forest_trees: u16,
    pub forest_depth: u16,
    /// Features tried per split (0: floor(sqrt(13)) = 3, scikit-learn's default).
    pub forest_features: usize,
    pub threads: usize,
}

impl Default for BaselinesConfig {
    fn default() -> Self {
        BaselinesConfig {
            name: "direction-baselines".into(),
            max_train_samples: 250_000,
            seed: 42,
            logistic_steps: 400,
            logistic_lr: 0.05,
            forest_trees: 200,
            forest_depth: 12,
            forest_features: 0,
            threads: 2,
        }
    }
}

impl BaselinesConfig {
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
    }
}

/// Day-t feature rows of `samples`, row-major [n, 13], standardised when `scaler` is given.
fn rows(ds: &DirectionDataset, samples: &[Sample], scaler: Option<&trendcast::model::manifest::Scaler>) -> Vec<f64> {
    let mut out = Vec::with_capacity(samples.len() * N_FEATURES);
    for s in samples {
        for (k, v) in ds.row_values(s.symbol, s.row).enumerate() {
            out.push(match scaler {
                Some(sc) => (v - sc.mean[k]) / sc.std[k],
                None => v,
            });
        }
    }
    out
}

fn score(samples: &[Sample], predicted: impl IntoIterator<Item = usize>) -> ClassScores {
    let mut c = Confusion::default();
    for (s, p) in samples.iter().zip(predicted) {
        c.add(s.label as usize, p);
    }
    c.scores()
}

/// Multinomial logistic regression on standardised features, fitted by full-batch Adam on the
/// mean (optionally class-weighted) cross-entropy; unregularised (scikit-learn's C = 1 is
/// negligible at 250k rows).
fn logistic(x: &[f64], y: &[i64], weights: Option<&[f32]>, cfg: &BaselinesConfig) -> Result<(nn::VarStore, nn::Linear)> {
    tch::manual_seed(cfg.seed as i64);
    let vs = nn::VarStore::new(Device::Cpu);
    let lin = nn::linear(vs.root() / "logistic", N_FEATURES as i64, 3, Default::default());
    let mut opt = nn::Adam::default().build(&vs, cfg.logistic_lr)?;
    let xt = Tensor::from_slice(x).view([y.len() as i64, N_FEATURES as i64]).to_kind(Kind::Float);
    let yt = Tensor::from_slice(y);
    let w = weights.map(Tensor::from_slice);
    for _ in 0..cfg.logistic_steps {
        let loss = lin.forward(&xt).cross_entropy_loss::<&Tensor>(&yt, w.as_ref(), Reduction::Mean, -100, 0.0);
        opt.backward_step(&loss);
    }
    Ok((vs, lin))
}

fn predict_logistic(lin: &nn::Linear, x: &[f64]) -> Vec<usize> {
    let _guard = tch::no_grad_guard();
    let n = (x.len() / N_FEATURES) as i64;
    let xt = Tensor::from_slice(x).view([n, N_FEATURES as i64]).to_kind(Kind::Float);
    Vec::<i64>::try_from(lin.forward(&xt).argmax(-1, false)).expect("i64").into_iter().map(|v| v as usize).collect()
}

/// Fits every baseline on the (subsampled) training split and scores it on all of validation and
/// test. Returns one JSON object per row.
pub fn run(cfg: &BaselinesConfig, series: &[BarSeries]) -> Result<serde_json::Value> {
    tch::set_num_threads(cfg.threads as i32);
    let ds = DirectionDataset::build(series, &DatasetSpec::default())?;
    let by = |split| ds.samples.iter().filter(|s| s.split == split).copied().collect::<Vec<_>>();
    let train = subsample(by(Split::Train), cfg.max_train_samples, cfg.seed);
    let (val, test) = (by(Split::Validation), by(Split::Test));
    let mut counts = [0usize; 3];
    train.iter().for_each(|s| counts[s.label as usize] += 1);
    let mut out = Vec::new();
    let evaluated = |name: &str, started: Instant, v: ClassScores, t: ClassScores| {
        eprintln!("{name}: validation macro-F1 {:.4}, test {:.4} ({:.1} s)", v.macro_f1, t.macro_f1, started.elapsed().as_secs_f64());
        json!({"model": name, "validation": v, "test": t, "seconds": started.elapsed().as_secs_f64()})
    };

    let started = Instant::now();
    let majority = (0..3).max_by_key(|&c| counts[c]).expect("three classes");
    out.push(evaluated("majority class", started, score(&val, std::iter::repeat(majority)), score(&test, std::iter::repeat(majority))));

    let scaler = fit_scaler(&ds, &train);
    let (xtr, xv, xte) = (rows(&ds, &train, Some(&scaler)), rows(&ds, &val, Some(&scaler)), rows(&ds, &test, Some(&scaler)));
    let ytr: Vec<i64> = train.iter().map(|s| s.label as i64).collect();
    let class_weights: Vec<f32> = counts.iter().map(|&k| train.len() as f32 / (3.0 * k.max(1) as f32)).collect();
    for (name, w) in [("logistic regression", None), ("logistic regression, class-weighted", Some(&class_weights[..]))] {
        let started = Instant::now();
        let (_vs, lin) = logistic(&xtr, &ytr, w, cfg)?;
        out.push(evaluated(name, started, score(&val, predict_logistic(&lin, &xv)), score(&test, predict_logistic(&lin, &xte))));
    }

    // Trees need no scaling: the raw features.
    let started = Instant::now();
    let matrix = |x: Vec<f64>| DenseMatrix::new(x.len() / N_FEATURES, N_FEATURES, x, false).map_err(|e| anyhow!("{e}"));
    let mut params =
        RandomForestClassifierParameters::default().with_n_trees(cfg.forest_trees).with_max_depth(cfg.forest_depth).with_seed(cfg.seed);
    params = params.with_m(if cfg.forest_features == 0 { (N_FEATURES as f64).sqrt() as usize } else { cfg.forest_features });
    let ytr_u: Vec<u32> = train.iter().map(|s| s.label as u32).collect();
    let forest =
        RandomForestClassifier::fit(&matrix(rows(&ds, &train, None))?, &ytr_u, params).map_err(|e| anyhow!("random forest: {e}"))?;
    let predict = |samples: &[Sample]| -> Result<Vec<usize>> {
        let p: Vec<u32> = forest.predict(&matrix(rows(&ds, samples, None))?).map_err(|e| anyhow!("random forest: {e}"))?;
        Ok(p.into_iter().map(|v| v as usize).collect())
    };
    let name = format!("random forest ({} trees, depth {})", cfg.forest_trees, cfg.forest_depth);
    out.push(evaluated(&name, started, score(&val, predict(&val)?), score(&test, predict(&test)?)));

    Ok(json!({
        "config": cfg, "train_samples": train.len(), "validation_samples": val.len(), "test_samples": test.len(),
        "class_weights": class_weights, "rows": out,
    }))
}
