//! `trendcast-train`: runs one experiment config and exports its bundle.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use trendcast::bars::{LoadOptions, load_dataset_dir};
use trendcast::model::Bundle;
use trendcast_export::export::write_direction_ensemble;
use trendcast_trainer::baselines::{self, BaselinesConfig};
use trendcast_trainer::config::{DirectionConfig, RankingConfig};
use trendcast_trainer::{allocator, device, direction, pareto, ranking, report, signal_table, walk_forward};

/// jemalloc as the process's malloc, libtorch's allocations included (the unprefixed build
/// replaces malloc and free for every library). libtorch allocates and frees tensors of tens of MB
/// at every step; glibc returned them to the kernel each time and took page faults to get them back
/// (half of a GAT training run's time was in the kernel). The result is the same bits.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts: large allocations from the ordinary arenas, not one
/// that returns them at once. How long freed pages are kept depends on the command
/// (`allocator::keep_freed_pages`).
#[unsafe(export_name = "malloc_conf")]
static JEMALLOC_SETTINGS: &[u8; 21] = b"oversize_threshold:0\0";

#[derive(Parser)]
#[command(name = "trendcast-train", version, about = "Train trendcast models with libtorch and export ONNX bundles")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a direction model from a config (trainer/configs/*.toml).
    Direction {
        #[arg(long)]
        config: PathBuf,
        #[arg(long, default_value = "../shared/data/sp500")]
        data: PathBuf,
        /// Bundle directory (default: models/<name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Train on the CPU even where CUDA is available.
        #[arg(long)]
        cpu: bool,
        /// Override the config's epochs.
        #[arg(long)]
        epochs: Option<usize>,
        /// Override the config's seed (the results table runs each row with several seeds).
        #[arg(long)]
        seed: Option<u64>,
        /// Override the config's libtorch threads.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Fit and score the tabular baselines (majority, logistic regression, random forest) and
    /// write their rows of the results table as JSON.
    Baselines {
        #[arg(long, default_value = "trainer/configs/baselines.toml")]
        config: PathBuf,
        #[arg(long, default_value = "../shared/data/sp500")]
        data: PathBuf,
        /// JSON file for the rows (default: stdout only).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write a seed ensemble of trained direction bundles (one graph, mean probability) and check
    /// that it answers the mean of its members on both backends.
    Ensemble {
        /// Member bundle directories (same contract).
        #[arg(long = "member", required = true)]
        members: Vec<PathBuf>,
        #[arg(long)]
        name: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "../shared/data/sp500")]
        data: PathBuf,
    },
    /// Write each member of a direction seed ensemble back as its own bundle, OUT/<the member's
    /// folder name in the manifest> (e.g. s42), with the ensemble's contract: to evaluate the
    /// members of a shipped ensemble whose training folders are gone.
    SplitEnsemble {
        #[arg(long)]
        bundle: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// The direction Pareto table (validation macro-F1 against latency through the C ABI) and the
    /// choice of the default by validation: updates the committed summary JSON from this
    /// machine's experiments and criterion figures, prints the chosen bundle, and splices the table
    /// into a REPORT.md between `<!-- pareto:begin -->` and `<!-- pareto:end -->`.
    Pareto {
        #[arg(long, default_value = "target/experiments")]
        experiments: PathBuf,
        /// Criterion's output folder (`cargo bench --bench direction`).
        #[arg(long, default_value = "target/criterion")]
        criterion: PathBuf,
        /// The summary, read (entries missing here are kept) and rewritten.
        #[arg(long, default_value = "models/direction-gru/pareto.json")]
        json: PathBuf,
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Rebuild the direction results table and figures from the experiments' JSON and splice the
    /// table into a REPORT.md between `<!-- results:begin -->` and `<!-- results:end -->`.
    Report {
        #[arg(long, default_value = "target/experiments")]
        experiments: PathBuf,
        #[arg(long)]
        report: PathBuf,
        /// Build the ranking table from the backtest JSON in this folder instead.
        #[arg(long)]
        ranking: Option<PathBuf>,
        /// Build the ranking models' seeds tables from ROW/sSEED/training.json in this folder
        /// instead (spliced between `<!-- seeds:begin -->` and `<!-- seeds:end -->`).
        #[arg(long, conflicts_with = "ranking")]
        ranking_seeds: Option<PathBuf>,
        /// Splice between `<!-- SECTION:begin -->` and `<!-- SECTION:end -->` instead (a report
        /// with two seeds tables, e.g. two training budgets).
        #[arg(long)]
        section: Option<String>,
    },
    /// Train an LSR-IGRU ranking model from a config (trainer/configs/lsr-igru-*.toml).
    Ranking {
        #[arg(long)]
        config: PathBuf,
        #[arg(long, default_value = "../shared/data/sp500")]
        data: PathBuf,
        /// Bundle directory (default: models/<name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Train on the CPU even where CUDA is available.
        #[arg(long)]
        cpu: bool,
        /// Override the config's epochs.
        #[arg(long)]
        epochs: Option<usize>,
        /// Override the config's days per epoch (0: all).
        #[arg(long)]
        max_train_days: Option<usize>,
        /// Override the config's seed (each row of the results table runs several seeds).
        #[arg(long)]
        seed: Option<u64>,
        /// Override the config's libtorch threads.
        #[arg(long)]
        threads: Option<usize>,
        /// Train the paper's ablation of the config's model: the parts kept, "I", "II", "III",
        /// "I+II", "I+III" or "II+III" (I node features, II long-term, III short-term relations);
        /// the bundle's name gets the suffix "-ablation-PARTS".
        #[arg(long)]
        ablation: Option<String>,
        /// Folder of the per-epoch checkpoint (default: target/checkpoints/NAME-sSEED);
        /// a run started again with the same config resumes after its last finished epoch. Removed
        /// once the bundle is written.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
    /// Train a seed ensemble of a ranking config and export it as one bundle (one graph: the mean
    /// of the seeds' per-day z-scored scores). For the model to deploy: a fixed epoch count (chosen
    /// walk-forward), the last epoch kept, training through `--train-to`.
    RankingEnsemble {
        /// The members' config (trainer/configs/lsr-igru-*.toml).
        #[arg(long)]
        config: PathBuf,
        /// The data set: bars_*.csv and industries.csv.
        #[arg(long, default_value = "../shared/data/sp500")]
        data: PathBuf,
        /// Bundle directory to write.
        #[arg(long)]
        out: PathBuf,
        /// Bundle name (default: the config's).
        #[arg(long)]
        name: Option<String>,
        /// The members' seeds, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        seeds: Vec<u64>,
        /// Epochs per member; the last is kept (choose the count walk-forward).
        #[arg(long)]
        epochs: usize,
        /// Override the config's training days per epoch, drawn in blocks (0: all).
        #[arg(long)]
        max_train_days: Option<usize>,
        /// First training day (default: the data's first).
        #[arg(long)]
        train_from: Option<trendcast::Date>,
        /// Last training day: labels past it are not read.
        #[arg(long)]
        train_to: trendcast::Date,
        /// First of the days the per-epoch figures are logged on and the export's parity is
        /// checked on (inside the training range for a final model: in-sample, logged only).
        #[arg(long)]
        check_from: trendcast::Date,
        /// Last of those days.
        #[arg(long)]
        check_to: trendcast::Date,
        /// Train on the CPU even where CUDA is available.
        #[arg(long)]
        cpu: bool,
        /// Override the config's libtorch threads.
        #[arg(long)]
        threads: Option<usize>,
        /// Then distil students from the members: the students' config, whose `teacher` names this
        /// config's row and these seeds (as its walk-forward did).
        #[arg(long, requires_all = ["student_out", "student_seeds", "student_epochs"])]
        student_config: Option<PathBuf>,
        /// The students' bundle directory (one seed: a single model; several: their ensemble).
        #[arg(long)]
        student_out: Option<PathBuf>,
        /// The students' seeds, comma-separated.
        #[arg(long, value_delimiter = ',')]
        student_seeds: Vec<u64>,
        /// Epochs per student; the last is kept (chosen walk-forward).
        #[arg(long)]
        student_epochs: Option<usize>,
    },
    /// Walk-forward runs of a ranking config: for each test year Y, train on the years before
    /// Y - 1, pick the epoch on Y - 1, score Y once. Runs that finished are skipped; an interrupted
    /// one resumes from its checkpoint.
    WalkForward {
        /// The row's config (trainer/configs/lsr-igru-*.toml).
        #[arg(long)]
        config: PathBuf,
        /// The data set: bars_*.csv and industries.csv.
        #[arg(long, default_value = "../shared/data/sp500")]
        data: PathBuf,
        /// Folder of the runs: OUT/ROW/YEAR/sSEED.
        #[arg(long, default_value = "target/experiments/walk-forward")]
        out: PathBuf,
        /// Test years: "2019-2024" or "2019,2021".
        #[arg(long, default_value = "2019-2024")]
        years: String,
        /// Seeds, comma-separated.
        #[arg(long, default_value = "42", value_delimiter = ',')]
        seeds: Vec<u64>,
        /// First training day (default: the data's first; days without a full input window are
        /// skipped).
        #[arg(long)]
        train_from: Option<trendcast::Date>,
        /// Train on this many years before the validation year only (a rolling window).
        #[arg(long, conflicts_with = "train_from")]
        train_years: Option<i32>,
        /// The row's name in the report (default: the config's name, with its ablation).
        #[arg(long)]
        row: Option<String>,
        /// Train on the CPU even where CUDA is available.
        #[arg(long)]
        cpu: bool,
        /// Override the config's epochs (each run keeps the best on its validation year).
        #[arg(long)]
        epochs: Option<usize>,
        /// Override the config's training days per epoch, drawn in blocks (0: all).
        #[arg(long)]
        max_train_days: Option<usize>,
        /// Override the config's libtorch threads.
        #[arg(long)]
        threads: Option<usize>,
        /// Train the config's ablation keeping PARTS ("I" is the GRU on node features alone).
        #[arg(long)]
        ablation: Option<String>,
    },
    /// The walk-forward report from the runs under a folder: every row, seed ensembles and the
    /// baselines on the same days, per year and as mean ± std over years.
    WalkForwardReport {
        /// The runs' folder (as `walk-forward --out`).
        #[arg(long, default_value = "target/experiments/walk-forward")]
        dir: PathBuf,
        /// The data set the runs were scored on.
        #[arg(long, default_value = "../shared/data/sp500")]
        data: PathBuf,
        /// Stocks held.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Portfolio strategies, comma-separated: "rebalance", "dropout:N".
        #[arg(long, default_value = "rebalance,dropout:2", value_delimiter = ',', value_parser = |s: &str| trendcast::backtest::Strategy::parse(s))]
        strategies: Vec<trendcast::backtest::Strategy>,
        /// Each row's first N seeds only (ensembles compared at equal size).
        #[arg(long)]
        max_seeds: Option<usize>,
        /// Splice the tables into this REPORT.md between `<!-- walk-forward:begin -->` and
        /// `<!-- walk-forward:end -->` (otherwise printed).
        #[arg(long)]
        report: Option<PathBuf>,
        /// Write every figure as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Draw each test year's equity curves (the last strategy, 5 bps per side) into this folder.
        #[arg(long)]
        figures: Option<PathBuf>,
        /// Write the report even if rows of the earlier `--json` have no runs under `--dir` (they
        /// leave the report); without it such a report is refused and nothing is written.
        #[arg(long)]
        drop_missing_rows: bool,
        /// Keep the model rows between sessions in this file: the rows and years it holds that the
        /// runs under `--dir` lack are taken from it, and it is written again with them all (commit
        /// it: a sweep's runs do not outlive their machine).
        #[arg(long)]
        kept: Option<PathBuf>,
    },
    /// The ranking signals and the linear baseline walk-forward, on the days the networks are
    /// scored (no training; minutes): rank IC per test year with the paired daily test against
    /// plain reversal and the linear baseline, each strategy's portfolios, and the linear fits.
    SignalTable {
        /// The data set.
        #[arg(long, default_value = "../shared/data/sp500")]
        data: PathBuf,
        /// Test years: "2019-2024" or "2019,2021".
        #[arg(long, default_value = "2019-2024")]
        years: String,
        /// Stocks held.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Portfolio strategies, comma-separated: "rebalance", "dropout:N".
        #[arg(long, default_value = "rebalance,dropout:1", value_delimiter = ',', value_parser = |s: &str| trendcast::backtest::Strategy::parse(s))]
        strategies: Vec<trendcast::backtest::Strategy>,
        /// Splice the tables into this REPORT.md between `<!-- signals:begin -->` and
        /// `<!-- signals:end -->` (otherwise printed).
        #[arg(long)]
        report: Option<PathBuf>,
        /// Write every figure and the linear fits as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

/// A ranking config with the command line's overrides (None: the config's own value) and, when
/// asked, turned into an ablation.
fn ranking_config(
    path: &std::path::Path,
    epochs: Option<usize>,
    max_train_days: Option<usize>,
    threads: Option<usize>,
    ablation: Option<&str>,
) -> Result<RankingConfig> {
    let mut cfg = RankingConfig::load(path)?;
    cfg.epochs = epochs.unwrap_or(cfg.epochs);
    cfg.max_train_days = max_train_days.unwrap_or(cfg.max_train_days);
    cfg.threads = threads.unwrap_or(cfg.threads);
    if let Some(parts) = ablation {
        cfg.keep_only(parts)?;
    }
    Ok(cfg)
}

/// "2019-2024" (inclusive) or "2019,2021".
fn parse_years(s: &str) -> Result<Vec<i32>, String> {
    let year = |t: &str| t.trim().parse::<i32>().map_err(|_| format!("{t:?} is not a year"));
    match s.split_once('-') {
        Some((a, b)) if year(a)? <= year(b)? => Ok((year(a)?..=year(b)?).collect()),
        Some(_) => Err(format!("{s:?}: the first year is after the last")),
        None => s.split(',').map(year).collect(),
    }
}

fn main() -> Result<()> {
    let command = Cli::parse().command;
    if matches!(command, Command::Ranking { .. } | Command::RankingEnsemble { .. } | Command::WalkForward { .. }) {
        allocator::keep_freed_pages()?;
    }
    match command {
        Command::Direction { config, data, out, cpu, epochs, seed, threads } => {
            let mut cfg = DirectionConfig::load(&config)?;
            cfg.epochs = epochs.unwrap_or(cfg.epochs);
            cfg.seed = seed.unwrap_or(cfg.seed);
            cfg.threads = threads.unwrap_or(cfg.threads);
            let (dev, why) = device::pick(cpu);
            eprintln!("device: {why}");
            let universe = load_dataset_dir(&data, &LoadOptions::default())?;
            let trained = direction::train(&cfg, &universe.series, dev)?;
            let out = out.unwrap_or_else(|| PathBuf::from("models").join(&cfg.name));
            let parity = direction::export(&trained, &cfg, &universe.series, &out, dev)?;
            let mut summary = trained.summary;
            summary["parity_max_abs_diff"] = parity.into();
            summary["bundle"] = out.display().to_string().into();
            std::fs::write(out.join("training.json"), serde_json::to_string_pretty(&summary)? + "\n")?;
            println!(
                "{}",
                serde_json::to_string(&serde_json::json!({
                    "bundle": summary["bundle"], "best_epoch": summary["best_epoch"],
                    "validation_macro_f1": summary["validation"]["macro_f1"], "test_macro_f1": summary["test"]["macro_f1"],
                    "parity_max_abs_diff": parity,
                }))?
            );
        }
        Command::Ensemble { members, name, out, data } => {
            let bundles = members.iter().map(|d| Bundle::load(d)).collect::<Result<Vec<_>, _>>()?;
            write_direction_ensemble(&out, &name, &bundles)?;
            let universe = load_dataset_dir(&data, &LoadOptions::default())?;
            let worst = direction::check_ensemble(&out, &members, &universe.series)?;
            println!("{}", serde_json::json!({"bundle": out, "members": members.len(), "max_abs_diff_vs_member_mean": worst}));
        }
        Command::SplitEnsemble { bundle, out } => {
            let b = Bundle::load(&bundle)?;
            let net = trendcast_export::onnx::DirectionNet::from_onnx(&b.onnx)?;
            let members = b.manifest.extra["members"].as_array().context("the manifest lists no members")?;
            anyhow::ensure!(members.len() == net.members.len(), "{} members listed, {} in the graph", members.len(), net.members.len());
            for (member, listed) in net.members.into_iter().zip(members) {
                let name = listed["dir"].as_str().and_then(|d| std::path::Path::new(d).file_name()).context("a member without a dir")?;
                let m = &b.manifest;
                let mut e = trendcast_export::export::DirectionExport::new(listed["name"].as_str().unwrap_or(&m.name), m.window);
                e.alignment = m.alignment;
                e.scaler = m.scaler.clone();
                e.market = m.reads_market();
                let dir = out.join(name);
                trendcast_export::export::write_direction(&dir, &member.into(), &e)?;
                println!("{}", dir.display());
            }
        }
        Command::Pareto { experiments, criterion, json, report: file } => {
            let previous: Option<pareto::Pareto> = match std::fs::read_to_string(&json) {
                Ok(text) => Some(serde_json::from_str(&text).with_context(|| format!("{} is not a Pareto summary", json.display()))?),
                Err(_) => None,
            };
            let p = pareto::build(&experiments, &criterion, previous.as_ref())?;
            std::fs::write(&json, serde_json::to_string_pretty(&p)? + "\n")?;
            if let Some(file) = file {
                report::splice(&file, "pareto", &pareto::table(&p)?)?;
            }
            println!("{}", p.chosen_bundle);
        }
        Command::Report { experiments, report: file, ranking, ranking_seeds, section: chosen } => {
            let figures = report::figures_dir(&file);
            let (section, md) = match (ranking, ranking_seeds) {
                (Some(dir), _) => ("results", report::ranking(&dir)?),
                (_, Some(dir)) => ("seeds", report::ranking_seeds(&dir)?),
                _ => ("results", report::direction(&experiments, &figures, "figures/")?),
            };
            let section = chosen.as_deref().unwrap_or(section);
            report::splice(&file, section, &md)?;
            eprintln!("wrote the {section} section of {} (figures, if any, into {})", file.display(), figures.display());
        }
        Command::Baselines { config, data, out } => {
            let cfg = BaselinesConfig::load(&config)?;
            let universe = load_dataset_dir(&data, &LoadOptions::default())?;
            let rows = baselines::run(&cfg, &universe.series)?;
            let text = serde_json::to_string_pretty(&rows)? + "\n";
            if let Some(out) = out {
                std::fs::write(&out, &text)?;
            }
            print!("{text}");
        }
        Command::Ranking { config, data, out, cpu, epochs, max_train_days, seed, threads, ablation, checkpoint } => {
            let mut cfg = ranking_config(&config, epochs, max_train_days, threads, ablation.as_deref())?;
            cfg.seed = seed.unwrap_or(cfg.seed);
            cfg.check_exportable()?;
            let (dev, why) = device::pick(cpu);
            eprintln!("device: {why}");
            let universe = load_dataset_dir(&data, &LoadOptions::default())?;
            let data = ranking::Data::new(&universe, &cfg)?;
            let out = out.unwrap_or_else(|| PathBuf::from("models").join(&cfg.name));
            let checkpoint = checkpoint.unwrap_or_else(|| PathBuf::from(format!("target/checkpoints/{}-s{}", cfg.name, cfg.seed)));
            let trained = ranking::train(&cfg, &data, dev, Some(&checkpoint))?;
            let (parity, latency) = ranking::export(&trained, &cfg, &data, &out, dev)?;
            std::fs::remove_dir_all(&checkpoint)?;
            let mut summary = trained.summary;
            summary["parity_max_abs_diff"] = parity.into();
            summary["rank_call_seconds"] = latency;
            summary["bundle"] = out.display().to_string().into();
            std::fs::write(out.join("training.json"), serde_json::to_string_pretty(&summary)? + "\n")?;
            println!(
                "{}",
                serde_json::to_string(&serde_json::json!({
                    "bundle": summary["bundle"], "best_epoch": summary["best_epoch"], "validation": summary["validation"],
                    "test": summary["test"], "parity_max_abs_diff": parity, "rank_call_seconds": summary["rank_call_seconds"],
                }))?
            );
        }
        Command::RankingEnsemble {
            config,
            data,
            out,
            name,
            seeds,
            epochs,
            max_train_days,
            train_from,
            train_to,
            check_from,
            check_to,
            cpu,
            threads,
            student_config,
            student_out,
            student_seeds,
            student_epochs,
        } => {
            let mut cfg = ranking_config(&config, Some(epochs), max_train_days, threads, None)?;
            let row = cfg.name.clone();
            cfg.name = name.unwrap_or(cfg.name);
            cfg.check_exportable()?;
            cfg.select = trendcast_trainer::config::Selection::Last;
            cfg.validation = trendcast::model::manifest::DateRange { from: check_from, to: check_to };
            cfg.test = Vec::new();
            // The students' config is checked before hours of training: its teacher must be these members.
            let student = match (&student_config, student_epochs) {
                (Some(path), Some(epochs)) => {
                    let student = ranking_config(path, Some(epochs), max_train_days, threads, None)?;
                    match &student.teacher {
                        Some(t) if t.row == row && t.seeds == seeds => {}
                        other => anyhow::bail!(
                            "{}: its teacher is {other:?}, not the row {row} with the seeds {seeds:?} trained here",
                            path.display()
                        ),
                    }
                    ranking::check_teacher(&cfg, &student)?;
                    student.check_exportable()?;
                    Some(student)
                }
                _ => None,
            };
            let (dev, why) = device::pick(cpu);
            eprintln!("device: {why}");
            let universe = load_dataset_dir(&data, &LoadOptions::default())?;
            let mut data = ranking::Data::new(&universe, &cfg)?;
            cfg.train = trendcast::model::manifest::DateRange { from: train_from.unwrap_or(data.panel.calendar[0]), to: train_to };
            let (mut trained, mut checkpoints) = (Vec::new(), Vec::new());
            for &seed in &seeds {
                let cfg = RankingConfig { seed, ..cfg.clone() };
                let checkpoint = PathBuf::from(format!("target/checkpoints/{}-s{seed}", cfg.name));
                trained.push(ranking::train(&cfg, &data, dev, Some(&checkpoint))?);
                checkpoints.push(checkpoint);
            }
            let (parity, tolerance, latency) = ranking::export_ensemble(&trained, &cfg, &data, &out, dev)?;
            let summary = serde_json::json!({
                "bundle": out.display().to_string(), "seeds": seeds, "epochs": epochs, "parity_max_abs_diff": parity,
                "parity_tolerance": tolerance,
                "rank_call_seconds": latency, "members": trained.iter().map(|t| &t.summary).collect::<Vec<_>>(),
            });
            std::fs::write(out.join("training.json"), serde_json::to_string_pretty(&summary)? + "\n")?;
            for checkpoint in &checkpoints {
                std::fs::remove_dir_all(checkpoint)?;
            }
            println!("{}", serde_json::json!({"bundle": out, "members": seeds.len(), "parity_max_abs_diff": parity}));
            if let (Some(mut student), Some(student_out)) = (student, student_out) {
                (student.select, student.validation, student.test, student.train) = (cfg.select, cfg.validation, Vec::new(), cfg.train);
                let nets: Vec<&trendcast_trainer::lsr_igru::Net> = trained.iter().map(|t| &t.net).collect();
                let students = ranking::distil(&nets, &cfg, &student, &student_seeds, &mut data, dev)?;
                let (parity, latency) = match &students[..] {
                    [one] => ranking::export(one, &student, &data, &student_out, dev)?,
                    several => {
                        let (parity, _, latency) = ranking::export_ensemble(several, &student, &data, &student_out, dev)?;
                        (parity, latency)
                    }
                };
                let summary = serde_json::json!({
                    "bundle": student_out.display().to_string(), "seeds": student_seeds, "epochs": student_epochs,
                    "teacher": {"bundle": out.display().to_string(), "row": row, "seeds": seeds},
                    "parity_max_abs_diff": parity, "rank_call_seconds": latency,
                    "members": students.iter().map(|t| &t.summary).collect::<Vec<_>>(),
                });
                std::fs::write(student_out.join("training.json"), serde_json::to_string_pretty(&summary)? + "\n")?;
                println!("{}", serde_json::json!({"bundle": student_out, "students": student_seeds.len(), "parity_max_abs_diff": parity}));
            }
        }
        Command::WalkForward {
            config,
            data,
            out,
            years,
            seeds,
            train_from,
            train_years,
            row,
            cpu,
            epochs,
            max_train_days,
            threads,
            ablation,
        } => {
            let cfg = ranking_config(&config, epochs, max_train_days, threads, ablation.as_deref())?;
            let (dev, why) = device::pick(cpu);
            eprintln!("device: {why}");
            let universe = load_dataset_dir(&data, &LoadOptions::default())?;
            let mut data = ranking::Data::new(&universe, &cfg)?;
            let plan = walk_forward::Plan { years: parse_years(&years).map_err(anyhow::Error::msg)?, seeds, train_from, train_years };
            let row = row.unwrap_or_else(|| cfg.name.clone());
            walk_forward::train_all(&cfg, &row, &mut data, &plan, &out, dev)?;
        }
        Command::WalkForwardReport { dir, data, top, strategies, max_seeds, report: file, json, figures, drop_missing_rows, kept } => {
            let universe = load_dataset_dir(&data, &LoadOptions::default())?;
            let data = ranking::Data::new(&universe, &RankingConfig::default())?;
            let table = walk_forward::report(&dir, &data, top, &strategies, max_seeds, kept.as_deref())?;
            if let Some(earlier) = json.as_deref().filter(|p| p.exists()) {
                let earlier_json =
                    std::fs::read_to_string(earlier).with_context(|| format!("reading the earlier report {}", earlier.display()))?;
                let lost = walk_forward::rows_lost(&earlier_json, &table)?;
                if !lost.is_empty() && !drop_missing_rows {
                    bail!(
                        "{} rows of {} have no runs under {} (a new machine?): {}; nothing written. \
                         Train them again, or pass --drop-missing-rows to leave them out",
                        lost.len(),
                        earlier.display(),
                        dir.display(),
                        lost.join(", ")
                    );
                }
            }
            let md = walk_forward::markdown(&table, &strategies);
            if let (Some(figures), Some(&last)) = (figures, strategies.last()) {
                let files = walk_forward::plots(&table, last, ranking::REPORTED_COST_BPS, &figures)?;
                eprintln!("wrote {} figures into {}", files.len(), figures.display());
            }
            if let Some(path) = json {
                std::fs::write(&path, serde_json::to_string_pretty(&table)? + "\n")?;
            }
            match file {
                Some(path) => report::splice(&path, "walk-forward", &md)?,
                None => print!("{md}"),
            }
        }
        Command::SignalTable { data, years, top, strategies, report: file, json } => {
            let universe = load_dataset_dir(&data, &LoadOptions::default())?;
            let data = ranking::Data::new(&universe, &RankingConfig::default())?;
            let folds = signal_table::folds(&data, &parse_years(&years).map_err(anyhow::Error::msg)?);
            let (table, fits) = signal_table::baseline_rows(&data, &folds, top, &strategies)?;
            let md = walk_forward::markdown(&table, &strategies) + "\n" + &signal_table::linear_markdown(&fits);
            if let Some(path) = json {
                let all = serde_json::json!({ "rows": table, "linear_fits": fits });
                std::fs::write(&path, serde_json::to_string_pretty(&all)? + "\n")?;
            }
            match file {
                Some(path) => report::splice(&path, "signals", &md)?,
                None => print!("{md}"),
            }
        }
    }
    Ok(())
}
