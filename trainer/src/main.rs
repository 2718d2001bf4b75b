//! `trendcast-train`: runs one experiment config and exports its bundle.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use trendcast::bars::{LoadOptions, load_dataset_dir};
use trendcast_trainer::config::{DirectionConfig, RankingConfig};
use trendcast_trainer::{device, direction, ranking};

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
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Direction { config, data, out, cpu, epochs } => {
            let mut cfg = DirectionConfig::load(&config)?;
            if let Some(e) = epochs {
                cfg.epochs = e;
            }
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
        Command::Ranking { config, data, out, cpu, epochs, max_train_days } => {
            let mut cfg = RankingConfig::load(&config)?;
            cfg.epochs = epochs.unwrap_or(cfg.epochs);
            cfg.max_train_days = max_train_days.unwrap_or(cfg.max_train_days);
            let (dev, why) = device::pick(cpu);
            eprintln!("device: {why}");
            let universe = load_dataset_dir(&data, &LoadOptions::default())?;
            let data = ranking::Data::new(&universe, &cfg);
            let trained = ranking::train(&cfg, &data, dev)?;
            let out = out.unwrap_or_else(|| PathBuf::from("models").join(&cfg.name));
            let (parity, latency) = ranking::export(&trained, &cfg, &data, &out, dev)?;
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
    }
    Ok(())
}
