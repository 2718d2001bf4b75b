//! Experiment configs (TOML, in trainer/configs/): one file per row of a results table.

use serde::{Deserialize, Serialize};
use trendcast::Date;
use trendcast::backtest::Signal;
use trendcast::contract::labels::RankTarget;
use trendcast::model::manifest::{DateRange, RelationSpec};
use trendcast_export::onnx::{Cell, LsrIgruSpec};

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
    /// Append the equal-weighted universe's return and 20-day volatility to each window row (the
    /// original's market-feature ablation); the bundle then needs a market with every call.
    pub market: bool,
    /// Train on at most this many samples (0: all), drawn with the seed; for smoke tests.
    pub max_train_samples: usize,
    /// Evaluate on at most this many samples per split (0: all).
    pub max_eval_samples: usize,
    /// Recurrent cell: "rnn", "lstm" or "gru".
    pub cell: Cell,
    pub hidden: usize,
    pub dropout: f64,
    pub lr: f64,
    pub weight_decay: f64,
    /// Gradient-norm clip.
    pub clip: f64,
    pub batch: usize,
    pub epochs: usize,
    /// Early stopping: stop after this many epochs without a better validation macro-F1 (0: never,
    /// as the original, which trains all `epochs`).
    pub patience: usize,
    pub seed: u64,
    /// Cross-entropy weights N / (3 * count_c) from the training split.
    pub class_weights: bool,
    /// libtorch intra-op threads.
    pub threads: usize,
    /// Distillation: a direction bundle (the teacher, e.g. the seed ensemble) whose class
    /// probabilities on the training samples become soft targets.
    pub teacher: Option<std::path::PathBuf>,
    /// With a teacher, the loss is (1 - w) * the (class-weighted) hard cross-entropy + w * the
    /// cross-entropy against the teacher's probabilities.
    pub distill_weight: f64,
}

impl Default for DirectionConfig {
    fn default() -> Self {
        DirectionConfig {
            name: "direction-gru".into(),
            lookback: 30,
            gap: false,
            embargo: 0,
            scaler: false,
            market: false,
            max_train_samples: 0,
            max_eval_samples: 0,
            cell: Cell::Gru,
            hidden: 128,
            dropout: 0.3,
            lr: 1e-3,
            weight_decay: 0.0,
            clip: 1.0,
            batch: 1024,
            epochs: 8,
            patience: 0,
            seed: 42,
            class_weights: true,
            threads: 2,
            teacher: None,
            distill_weight: 0.5,
        }
    }
}

impl DirectionConfig {
    pub fn load(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}

/// How the ranking trainer picks its epoch on the validation split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// Mean daily rank IC of the scores with the next open-to-open return (less noisy than ARR).
    RankIc,
    /// The top-k buy-hold-sell backtest's annualised return.
    Arr,
    /// The last epoch: an epoch count chosen elsewhere (walk-forward), for a model trained on
    /// every year there is; the validation figures are then only logged.
    Last,
}

/// The ranking trainer's per-day loss over the stocks with a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankLoss {
    /// Mean squared error against the percentile-rank label (the code's).
    #[default]
    Mse,
    /// Minus the Pearson correlation of the scores with the label: blind to the scores' level and
    /// scale, so the net cannot settle on predicting the label's mean for every stock.
    Ic,
    /// RankNet over every pair of the day's stocks with different labels: log(1 + exp(-(z_i -
    /// z_j))) where stock i's label is the higher, z the scores z-scored over the day (blind to
    /// level and scale, as the IC loss).
    Pairwise,
}

/// An LSR-IGRU experiment (docs/specs/lsr-igru.md). Defaults: the paper's model and training,
/// the spec's splits, and the open-to-open label that the backtest earns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RankingConfig {
    /// Bundle name, and the folder under models/ it is written to.
    pub name: String,
    /// Architecture: `[model]` with encoder = "gcn" | "gat", encoder_sizes, gru_sizes, head_hidden,
    /// use_nodes / use_long / use_short (the ablation parts I, II, III).
    pub model: LsrIgruSpec,
    /// Trading days per sample (15).
    pub window: usize,
    /// How A_S and the node features are built (exported into the manifest).
    pub relations: RelationSpec,
    /// The forward return ranked by the label: "open_t1_to_t2" or "close_t1_to_t3" (the code's).
    pub target: RankTarget,
    /// Decision-day ranges. Training days whose label reads past `train.to` are dropped.
    pub train: DateRange,
    pub validation: DateRange,
    /// Evaluated once with the selected epoch (2023 is the spec's test year).
    pub test: Vec<DateRange>,
    pub loss: RankLoss,
    pub lr: f64,
    pub epochs: usize,
    /// Days per Adam step (gradients of per-day losses averaged).
    pub batch_days: usize,
    pub seed: u64,
    /// Epoch selection on the validation split.
    pub select: Selection,
    /// Stocks held by the backtest used for validation and test metrics (the paper: 10).
    pub top_k: usize,
    /// Train on at most this many days per epoch (0: all), drawn anew each epoch; for smoke tests
    /// and runs on a time budget.
    pub max_train_days: usize,
    /// libtorch intra-op threads.
    pub threads: usize,
    /// Base plus correction: each day's score is this signal's z-score over the day's scored
    /// stocks plus the net's output, so the net learns only a correction to it (no base: the net's
    /// output alone). The served graphs do not carry a base yet: such a config trains and runs
    /// walk-forward, and its export is refused.
    pub base: Option<Signal>,
    /// With a base: the net's output is added as it is (none), or as this weight times its per-day
    /// z-score over the day's scored stocks, so that the correction has a scale of its own to
    /// learn against the base's (added as it is, the output of a freshly initialised net is small
    /// beside the base's unit z-score and the IC loss, blind to scale, barely moves it).
    pub correction_weight: Option<f64>,
    /// The return the per-day rank label ranks.
    pub label: LabelReturn,
    /// Distillation: the student learns the teacher ensemble's scores of the training days (its
    /// per-day z-scores, combined as the ensemble graph combines them) instead of the label. The
    /// teacher is a walk-forward row's runs of the same test year; `ranking-ensemble` uses the
    /// members it has just trained and checks that they are the ones named here.
    pub teacher: Option<TeacherRuns>,
}

/// A teacher ensemble: a walk-forward row (its folder under the runs' folder) and its seeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeacherRuns {
    pub row: String,
    pub seeds: Vec<u64>,
}

/// The return a ranking label ranks per day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelReturn {
    /// The stock's forward return (`target`).
    #[default]
    Raw,
    /// The forward return minus the mean forward return of the stock's sub-industry that day
    /// (its stocks with one, the stock included): what sets a stock apart within its industry.
    IndustryResidual,
}

impl Default for RankingConfig {
    fn default() -> Self {
        let range = |a: &str, b: &str| DateRange { from: Date::parse(a).expect("valid date"), to: Date::parse(b).expect("valid date") };
        RankingConfig {
            name: "lsr-igru".into(),
            model: LsrIgruSpec::paper(),
            window: 15,
            relations: RelationSpec::default(),
            target: RankTarget::OpenT1ToT2,
            train: range("2018-01-01", "2021-12-31"),
            validation: range("2022-01-01", "2022-12-31"),
            test: vec![range("2023-01-01", "2023-12-31"), range("2024-01-01", "2024-12-31")],
            loss: RankLoss::Mse,
            lr: 2e-4,
            epochs: 3,
            batch_days: 128,
            seed: 42,
            select: Selection::RankIc,
            top_k: 10,
            max_train_days: 0,
            threads: 2,
            base: None,
            correction_weight: None,
            label: LabelReturn::Raw,
            teacher: None,
        }
    }
}

impl RankingConfig {
    pub fn load(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let mut cfg: Self = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        // The model reads what the relation settings' node features give; a config need not say it.
        let width = cfg.relations.node_features.width();
        if cfg.model.node_width != width && cfg.model.node_width != trendcast::relations::N_NODE_FEATURES {
            anyhow::bail!(
                "{}: model.node_width {} but the node features {:?} give {width} values per node",
                path.display(),
                cfg.model.node_width,
                cfg.relations.node_features
            );
        }
        cfg.model.node_width = width;
        cfg.model.check()?;
        if let Some(t) = &cfg.teacher {
            if t.seeds.is_empty() {
                anyhow::bail!("{}: the teacher {} names no seeds", path.display(), t.row);
            }
            if let Some(signal) = cfg.base {
                anyhow::bail!("{}: a student learns the teacher's scores, not a correction to a base ({})", path.display(), signal.name());
            }
        }
        Ok(cfg)
    }

    /// Refuses a config whose model the bundle's graphs cannot serve: one with a base (the served
    /// graphs compute the net's output alone), before hours of training are spent on an export.
    pub fn check_exportable(&self) -> anyhow::Result<()> {
        match self.base {
            Some(signal) => anyhow::bail!(
                "{}: a config with a base ({}) cannot be exported yet: the bundle's graphs compute the net's correction \
                 without the base; train it with `trendcast-train walk-forward`, which scores base plus correction",
                self.name,
                signal.name()
            ),
            None => Ok(()),
        }
    }

    /// Turns this config into the paper's ablation that keeps only `parts` of the model ("I",
    /// "II", "III" joined by "+": node features, long-term and short-term relations), everything
    /// else unchanged, and names it `NAME-ablation-PARTS`.
    pub fn keep_only(&mut self, parts: &str) -> anyhow::Result<()> {
        let mut keep = [false; 3];
        for part in parts.split('+') {
            let i = ["I", "II", "III"].iter().position(|&p| p == part.trim());
            let i = i.ok_or_else(|| anyhow::anyhow!("ablation {parts:?}: {part:?} is not I, II or III"))?;
            if std::mem::replace(&mut keep[i], true) {
                anyhow::bail!("ablation {parts:?} names {part} twice");
            }
        }
        [self.model.use_nodes, self.model.use_long, self.model.use_short] = keep;
        self.model.check()?;
        self.name = format!("{}-ablation-{}", self.name, parts.replace(' ', ""));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configs_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs")
    }

    /// The checked-in configs: (file stem, path).
    fn configs() -> Vec<(String, std::path::PathBuf)> {
        std::fs::read_dir(configs_dir())
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                (path.file_stem().unwrap().to_string_lossy().into_owned(), path)
            })
            .collect()
    }

    /// Every checked-in direction config parses (unknown keys are errors) and names its bundle after
    /// its file, so a row of the table, its config and its bundle share one name.
    #[test]
    fn direction_configs_load() {
        let dir = configs_dir();
        let mut n = 0;
        for (stem, path) in configs() {
            if stem.starts_with("lsr-igru") || stem == "baselines" {
                continue;
            }
            let cfg = DirectionConfig::load(&path).unwrap();
            assert_eq!(cfg.name, format!("direction-{stem}"), "{}", path.display());
            n += 1;
        }
        assert!(n >= 10, "{n} configs");
        let original = DirectionConfig::load(&dir.join("gru-original.toml")).unwrap();
        assert_eq!((original.hidden, original.epochs, original.patience, original.batch), (128, 8, 0, 1024));
        let early = DirectionConfig::load(&dir.join("gru-early-stop.toml")).unwrap();
        assert_eq!((early.epochs, early.patience), (30, 3));
        assert!(DirectionConfig::load(&dir.join("gru-market.toml")).unwrap().market);
        for row in crate::report::ROWS {
            assert!(dir.join(format!("{}.toml", row.stem)).exists(), "the table's row {} has no config", row.stem);
        }
    }

    /// Every checked-in ranking config parses (unknown keys are errors) into a valid model.
    #[test]
    fn ranking_configs_load() {
        let dir = configs_dir();
        let mut n = 0;
        for (stem, path) in configs() {
            if stem.starts_with("lsr-igru") {
                let cfg = RankingConfig::load(&path).unwrap();
                assert!(path.to_string_lossy().contains(&cfg.name), "{} names its bundle {}", path.display(), cfg.name);
                n += 1;
            }
        }
        assert!(n >= 8, "{n} configs");
        let code = RankingConfig::load(&dir.join("lsr-igru-gcn-code.toml")).unwrap();
        assert_eq!(code.model, LsrIgruSpec::code());
        assert_eq!(code.target, RankTarget::CloseT1ToT3);
        let ablation = RankingConfig::load(&dir.join("lsr-igru-gat-paper-ablation-II+III.toml")).unwrap();
        assert_eq!(ablation.model, LsrIgruSpec { use_nodes: false, ..LsrIgruSpec::paper() });
        assert_eq!((ablation.lr, ablation.epochs, ablation.batch_days), (2e-4, 3, 128));
        let lstm = RankingConfig::load(&dir.join("lsr-igru-baseline-lstm.toml")).unwrap();
        let normalized = RankingConfig::load(&dir.join("lsr-igru-gcn-normalized.toml")).unwrap();
        assert_eq!(lstm.model.cell, trendcast_export::onnx::RecurrentCell::Lstm);
        assert_eq!((lstm.model.use_nodes, lstm.model.use_long, lstm.model.use_short), (true, false, false));
        assert_eq!(
            (lstm.lr, lstm.epochs, lstm.loss, lstm.relations),
            (normalized.lr, normalized.epochs, normalized.loss, normalized.relations)
        );
        // The node-feature width comes from the relation settings; a config that says otherwise is refused.
        let industry = RankingConfig::load(&dir.join("lsr-igru-gat-industry.toml")).unwrap();
        assert_eq!(industry.model, LsrIgruSpec { node_width: 9, ..normalized_gat(&dir) });
        assert_eq!(normalized.model.node_width, 5);
        let tmp = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(dir.join("lsr-igru-gat-industry.toml")).unwrap();
        let bad = tmp.path().join("lsr-igru-gat-industry.toml");
        std::fs::write(&bad, text.replace("use_nodes = true", "use_nodes = true\nnode_width = 7")).unwrap();
        let e = RankingConfig::load(&bad).unwrap_err();
        assert!(e.to_string().contains("node_width 7"), "{e}");
    }

    fn normalized_gat(dir: &std::path::Path) -> LsrIgruSpec {
        RankingConfig::load(&dir.join("lsr-igru-gat-normalized.toml")).unwrap().model
    }

    /// `--ablation` switches the parts of a config's model and renames its bundle; it gives the
    /// same model as the paper's checked-in ablation configs.
    #[test]
    fn ablations_keep_the_named_parts_only() {
        let dir = configs_dir();
        for parts in ["I", "II", "III", "I+II", "I+III", "II+III"] {
            let mut cfg = RankingConfig::load(&dir.join("lsr-igru-gat-paper.toml")).unwrap();
            cfg.keep_only(parts).unwrap();
            let checked_in = RankingConfig::load(&dir.join(format!("lsr-igru-gat-paper-ablation-{parts}.toml"))).unwrap();
            assert_eq!(cfg.model, checked_in.model, "{parts}");
            assert_eq!(cfg.name, checked_in.name);
        }
        let mut cfg = RankingConfig::load(&dir.join("lsr-igru-gcn-normalized.toml")).unwrap();
        cfg.keep_only("II+III").unwrap();
        assert_eq!((cfg.model.use_nodes, cfg.model.use_long, cfg.model.use_short), (false, true, true));
        assert_eq!(cfg.model.encoder_sizes, vec![120, 30], "the rest of the model stays");
        for bad in ["", "IV", "I+I", "I,II"] {
            assert!(RankingConfig::default().keep_only(bad).is_err(), "{bad:?}");
        }
    }
}
