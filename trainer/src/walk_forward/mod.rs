//! Walk-forward evaluation of ranking configs: for each test year Y, train on the years before
//! Y - 1, pick the epoch on Y - 1, score Y once. Each (config, year, seed) run is a folder holding
//! `run.json` (the training summary and the days scored) and `scores.f32` (the chosen epoch's
//! scores of the validation and test days); a folder that has its `run.json` is skipped, and an
//! interrupted run resumes from its checkpoint, so a sweep spans sessions. The report is computed
//! from those scores with the core's backtest: every row, seed ensembles (the mean of the seeds'
//! node scores, each z-scored per day over the graph's nodes, as an ensemble graph would compute
//! it) and the baselines on the same days, with both portfolio strategies and with and without
//! costs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::json;
use tch::{Device, Tensor};
use trendcast::Date;
use trendcast::backtest::{DailyRecord, Metrics, Signal, Strategy, reversal_scores};
use trendcast::model::manifest::DateRange;
use trendcast_export::onnx::combine_zscores;

use crate::config::{RankingConfig, TeacherRuns};
use crate::lsr_igru::Net;
use crate::paired::{Paired, paired};
use crate::ranking::{self, Data};
use crate::signal_table::{self, Fold};

pub mod cells;
pub mod kept;
mod reporting;

pub use cells::{COSTS_BPS, Cell, YearRow};
pub use reporting::*;

/// Which years, seeds and training ranges a walk-forward covers.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Test years (2019..=2024).
    pub years: Vec<i32>,
    pub seeds: Vec<u64>,
    /// First training day (None: the data's first, of which the trainer uses the days that have a
    /// full input window).
    pub train_from: Option<Date>,
    /// Train on this many years before the validation year only (None: all from `train_from`).
    pub train_years: Option<i32>,
}

fn year_range(from: i32, to: i32) -> DateRange {
    let d = |y: i32, md: &str| Date::parse(&format!("{y}-{md}")).expect("valid date");
    DateRange { from: d(from, "01-01"), to: d(to, "12-31") }
}

/// `base` set up for test year `year`: validation `year - 1`, training up to the end of `year - 2`.
pub fn year_config(base: &RankingConfig, plan: &Plan, year: i32, seed: u64, data_start: Date) -> RankingConfig {
    let mut cfg = base.clone();
    let train_to = year - 2;
    let mut train = year_range(train_to, train_to);
    train.from = match (plan.train_years, plan.train_from) {
        (Some(n), _) => year_range(train_to + 1 - n, train_to).from,
        (None, Some(from)) => from,
        (None, None) => data_start,
    };
    cfg.train = train;
    cfg.validation = year_range(year - 1, year - 1);
    cfg.test = vec![year_range(year, year)];
    cfg.seed = seed;
    cfg
}

/// The folder of one run.
pub fn run_dir(out: &Path, row: &str, year: i32, seed: u64) -> PathBuf {
    out.join(row).join(year.to_string()).join(format!("s{seed}"))
}

/// Trains every (year, seed) of `plan` for config `base` into `out/ROW/YEAR/sSEED`, skipping runs
/// that finished. `row` names the config's row (its bundle name by default). A finished run keeps
/// its chosen epoch's weights (`weights.ot`), so that it can teach: a config with a teacher trains
/// each year on the labels its teacher's runs of that year give (`data`'s labels are replaced for
/// the year and restored after it).
pub fn train_all(base: &RankingConfig, row: &str, data: &mut Data, plan: &Plan, out: &Path, device: Device) -> Result<()> {
    let data_start = *data.panel.calendar.first().context("no trading days")?;
    // Set here, not only in `ranking::train`: a student's teacher scores its training days before
    // any run starts, and libtorch's default (one thread per core) oversubscribes the cores that
    // parallel sweeps share (measured: over 20 minutes for a scoring that takes a few).
    tch::set_num_threads(base.threads as i32);
    for &year in &plan.years {
        let mut hard_labels = None;
        let done = train_year(base, row, data, plan, out, device, year, data_start, &mut hard_labels);
        if let Some(labels) = hard_labels {
            data.labels = labels;
        }
        done?;
    }
    Ok(())
}

/// The runs of one test year. The first run of a student replaces `data`'s labels with its
/// teacher's, keeping the originals in `hard_labels`.
#[allow(clippy::too_many_arguments)]
fn train_year(
    base: &RankingConfig,
    row: &str,
    data: &mut Data,
    plan: &Plan,
    out: &Path,
    device: Device,
    year: i32,
    data_start: Date,
    hard_labels: &mut Option<Vec<f64>>,
) -> Result<()> {
    for &seed in &plan.seeds {
        let dir = run_dir(out, row, year, seed);
        if dir.join("run.json").exists() {
            eprintln!("walk-forward {row} {year} seed {seed}: done, skipped");
            continue;
        }
        std::fs::create_dir_all(&dir)?;
        let Some(_lock) = RunLock::take(&dir)? else {
            eprintln!("walk-forward {row} {year} seed {seed}: another process is training it, skipped");
            continue;
        };
        if dir.join("run.json").exists() {
            continue; // finished by another process meanwhile
        }
        let cfg = year_config(base, plan, year, seed, data_start);
        if let (Some(teacher), None) = (&cfg.teacher, &hard_labels) {
            eprintln!("walk-forward {row} {year}: the teacher {} (seeds {:?}) scores the training days", teacher.row, teacher.seeds);
            let labels = labels_of_teacher(teacher, &cfg, data, out, year, device)?;
            *hard_labels = Some(std::mem::replace(&mut data.labels, labels));
        }
        eprintln!("walk-forward {row} {year} seed {seed}: train {} to {}, validation {}", cfg.train.from, cfg.train.to, year - 1);
        let checkpoint = dir.join("checkpoint");
        let trained = ranking::train(&cfg, data, device, Some(&checkpoint))?;
        let mut days = data.days(&cfg.validation, &cfg);
        let n_validation = days.len();
        days.extend(data.days(&cfg.test[0], &cfg));
        let scores = ranking::node_scores_of_days(&trained.net, data, &days, &cfg, device)?;
        let bytes: Vec<u8> = scores.iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(dir.join("scores.f32"), bytes)?;
        Tensor::save_multi(&trained.net.snapshot(), dir.join("weights.ot"))?;
        let dates: Vec<String> = days.iter().map(|&d| data.panel.calendar[d].to_string()).collect();
        let mut summary = trained.summary;
        summary["scores"] = json!({
            "file": "scores.f32", "tickers": data.panel.tickers, "nodes": scores.first().map_or(0, Vec::len),
            "validation_dates": dates[..n_validation],
            "test_dates": dates[n_validation..],
        });
        std::fs::write(dir.join("run.json"), serde_json::to_string_pretty(&summary)? + "\n")?;
        std::fs::remove_dir_all(&checkpoint)?;
    }
    Ok(())
}

/// The labels a student of test year `year` (config `student`) learns: the teacher's runs of that
/// year, each finished with its weights kept, scoring the student's training days. Fails naming
/// a run that has not finished, or one trained on other years or other inputs.
fn labels_of_teacher(
    teacher: &TeacherRuns,
    student: &RankingConfig,
    data: &Data,
    out: &Path,
    year: i32,
    device: Device,
) -> Result<Vec<f64>> {
    let mut members = Vec::new();
    let mut teacher_cfg = None;
    for &seed in &teacher.seeds {
        let dir = run_dir(out, &teacher.row, year, seed);
        let (run, weights) = (dir.join("run.json"), dir.join("weights.ot"));
        // Two processes share a sweep: a teacher run the other one is training is waited for.
        while !run.exists() && RunLock::held(&dir) {
            eprintln!("walk-forward {year}: waiting for the teacher's run {} (another process trains it)", dir.display());
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
        if !run.exists() || !weights.exists() {
            bail!(
                "the teacher's run {} has not finished with its weights kept (run.json and weights.ot): train the row {} for {year} first",
                dir.display(),
                teacher.row
            );
        }
        let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&run)?)?;
        let cfg: RankingConfig =
            serde_json::from_value(summary["config"].clone()).with_context(|| format!("{}: its config", run.display()))?;
        ranking::check_teacher(&cfg, student)?;
        if (cfg.train, cfg.validation) != (student.train, student.validation) {
            bail!("the teacher's run {} trained on other years than the student's for {year}", dir.display());
        }
        let net = Net::new(cfg.model.clone(), device)?;
        net.load(&weights)?;
        members.push(net);
        teacher_cfg = Some(cfg);
    }
    let cfg = teacher_cfg.context("the teacher names no seeds")?;
    ranking::teacher_labels(&members.iter().collect::<Vec<_>>(), data, &ranking::training_days(data, student), &cfg, device)
}

/// A run folder held by one process (`lock` holds its pid), so that several processes can share a
/// sweep's runs; a lock whose process is gone (a killed session) is taken over. Released on drop.
struct RunLock(PathBuf);

impl RunLock {
    /// Whether a live process holds the run folder `dir`.
    fn held(dir: &Path) -> bool {
        let pid = std::fs::read_to_string(dir.join("lock")).unwrap_or_default();
        !pid.trim().is_empty() && Path::new("/proc").join(pid.trim()).exists()
    }

    fn take(dir: &Path) -> Result<Option<RunLock>> {
        let path = dir.join("lock");
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    use std::io::Write;
                    writeln!(f, "{}", std::process::id())?;
                    return Ok(Some(RunLock(path)));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if RunLock::held(dir) {
                        return Ok(None);
                    }
                    std::fs::remove_file(&path)?; // its process is gone
                }
                Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
            }
        }
        Ok(None)
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_configs_train_before_the_validation_year() {
        let base = RankingConfig::default();
        let plan = Plan { years: vec![2019], seeds: vec![1], train_from: None, train_years: None };
        let start = Date::parse("2010-01-04").unwrap();
        let c = year_config(&base, &plan, 2021, 7, start);
        assert_eq!((c.train.from, c.train.to), (start, Date::parse("2019-12-31").unwrap()));
        assert_eq!((c.validation.from, c.validation.to), (Date::parse("2020-01-01").unwrap(), Date::parse("2020-12-31").unwrap()));
        assert_eq!(c.test.len(), 1);
        assert_eq!(c.test[0].from, Date::parse("2021-01-01").unwrap());
        assert_eq!(c.seed, 7);
        let rolling = year_config(&base, &Plan { train_years: Some(4), ..plan }, 2021, 7, start);
        assert_eq!(rolling.train.from, Date::parse("2016-01-01").unwrap());
    }

    #[test]
    fn rows_of_the_earlier_report_that_a_new_one_lacks_are_named() {
        let table = BTreeMap::from([("kept".to_string(), Vec::new()), ("new".to_string(), Vec::new())]);
        let earlier = r#"{"kept": [], "lost a": [], "lost b": []}"#;
        assert_eq!(rows_lost(earlier, &table).unwrap(), ["lost a", "lost b"]);
        assert!(rows_lost(r#"{"kept": []}"#, &table).unwrap().is_empty());
        assert!(rows_lost("[1, 2]", &table).is_err());
    }

    #[test]
    fn rows_missing_a_year_or_with_uneven_seeds_are_left_out() {
        let row = |years: &[(i32, usize)]| -> Vec<YearRow> {
            years.iter().map(|&(year, seeds)| YearRow::new(year, seeds, Vec::new(), Vec::new())).collect()
        };
        let mut table = BTreeMap::from([
            ("done".to_string(), row(&[(2019, 3), (2020, 3)])),
            ("running".to_string(), row(&[(2019, 3)])),
            ("more seeds so far".to_string(), row(&[(2019, 5), (2020, 3)])),
        ]);
        let dropped = drop_incomplete_rows(&mut table);
        assert_eq!(table.keys().collect::<Vec<_>>(), ["done"]);
        assert_eq!(
            dropped,
            [
                ("more seeds so far".to_string(), "{3, 5} seeds in different years".to_string()),
                ("running".to_string(), "no runs for [2020]".to_string())
            ]
        );
    }

    #[test]
    fn a_run_is_held_by_one_live_process_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let held = RunLock::take(dir.path()).unwrap().expect("free");
        assert!(RunLock::take(dir.path()).unwrap().is_none(), "held by this live process");
        drop(held);
        assert!(!dir.path().join("lock").exists());
        // A lock left by a process that is gone is taken over.
        std::fs::write(dir.path().join("lock"), "4000000000\n").unwrap();
        assert!(RunLock::take(dir.path()).unwrap().is_some());
    }

    #[test]
    fn an_ensemble_averages_z_scores_and_keeps_missing_stocks_missing() {
        let a = BTreeMap::from([(5usize, vec![1.0f32, 2.0, 3.0, f32::NAN])]);
        let b = BTreeMap::from([(5usize, vec![30.0f32, 20.0, 10.0, f32::NAN])]);
        let e = ensemble(&[&a, &b]);
        let row = &e[&5];
        assert!(row[0].abs() < 1e-6 && row[1].abs() < 1e-6 && row[2].abs() < 1e-6, "opposite views cancel: {row:?}");
        assert!(row[3].is_nan());
        let same = ensemble(&[&a, &a]);
        assert!((same[&5][2] - 1.2247449).abs() < 1e-5, "{:?}", same[&5]);
    }

    #[test]
    fn a_blend_weighs_the_reversal_rule_as_one_member() {
        use trendcast::bars::synthetic::{SyntheticSpec, generate};
        let data = Data::new(&generate(&SyntheticSpec { days: 120, ..Default::default() }), &RankingConfig::default()).unwrap();
        let d = 100;
        let rule = reversal_scores(&data.panel, d);
        assert!(rule.iter().filter(|v| v.is_finite()).count() > 10);
        // Scores opposite to the rule cancel it; the rule blended with itself is its z-score.
        let opposite = BTreeMap::from([(d, rule.iter().map(|v| -v).collect::<Vec<f32>>())]);
        let cancelled = &with_reversal(&data, &opposite)[&d];
        let itself = &with_reversal(&data, &BTreeMap::from([(d, rule.clone())]))[&d];
        let (mean, sd) = trendcast_export::onnx::mean_and_spread(&rule.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
        for ((c, s), r) in cancelled.iter().zip(itself).zip(&rule) {
            if r.is_finite() {
                assert!(c.abs() < 1e-5, "{c}");
                assert!((f64::from(*s) - (f64::from(*r) - mean) / sd).abs() < 1e-5, "{s} {r}");
            } else {
                assert!(c.is_nan() && s.is_nan());
            }
        }
    }
}
