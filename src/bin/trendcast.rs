//! The `trendcast` command line: parses arguments, calls the library, prints JSON.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::{Map, Value, json};
use trendcast::bars::{LoadOptions, load_dataset_dir};
use trendcast::dataset::{DatasetSpec, DirectionDataset, Split, WindowAlignment};
use trendcast::features::{self, FEATURE_NAMES};
use trendcast::{Date, Error};

#[derive(Parser)]
#[command(name = "trendcast", version, about = "Stock direction and ranking from raw daily bars")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The shared data set beside the project, when it exists.
fn default_data_dir() -> PathBuf {
    PathBuf::from("../shared/data/sp500")
}

#[derive(Subcommand)]
enum Command {
    /// Print the 13 direction features of one ticker on one date as JSON.
    Features {
        /// Data directory (bars_*.csv[.gz] + industries.csv).
        #[arg(long, default_value_os_t = default_data_dir())]
        data: PathBuf,
        #[arg(long)]
        ticker: String,
        /// YYYY-MM-DD; must be a trading day of the ticker.
        #[arg(long)]
        date: Date,
    },
    /// Print the number of direction samples and their classes per split as JSON.
    Dataset {
        #[arg(long, default_value_os_t = default_data_dir())]
        data: PathBuf,
        #[arg(long, default_value_t = 30)]
        lookback: usize,
        /// Windows end the day before t (the original project's one-day gap).
        #[arg(long)]
        gap: bool,
        /// Drop the last N trading days before each split boundary.
        #[arg(long, default_value_t = 0)]
        embargo: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Features { data, ticker, date } => features_cmd(&data, &ticker, date),
        Command::Dataset { data, lookback, gap, embargo } => dataset_cmd(&data, lookback, gap, embargo),
    };
    match result {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("trendcast: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A JSON number, or null for NaN and infinities (which JSON cannot carry).
fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn features_cmd(data: &Path, ticker: &str, date: Date) -> Result<Value, Error> {
    let opts = LoadOptions { tickers: Some([ticker.to_string()].into()) };
    let universe = load_dataset_dir(data, &opts)?;
    let series = universe.get(ticker).ok_or_else(|| Error::InvalidArgument { what: format!("no bars for ticker {ticker}") })?;
    let t = series
        .dates
        .binary_search(&date)
        .map_err(|_| Error::InvalidArgument { what: format!("{ticker} has no bar on {date}") })?;
    // Only bars up to t are read: the prefix is what was known at the close of t.
    let row = features::compute(&series.prefix(t))[t];
    if t < features::WARMUP_BARS {
        return Err(Error::TooLittleHistory {
            what: format!("{ticker} has {} bars up to {date}; all 13 features need {}", t + 1, features::WARMUP_BARS + 1),
        });
    }
    let feats: Map<String, Value> = FEATURE_NAMES.iter().zip(row).map(|(n, v)| (n.to_string(), number(v))).collect();
    Ok(json!({ "ticker": ticker, "date": date.to_string(), "features": feats }))
}

fn dataset_cmd(data: &Path, lookback: usize, gap: bool, embargo: usize) -> Result<Value, Error> {
    let universe = load_dataset_dir(data, &LoadOptions::default())?;
    let alignment = if gap { WindowAlignment::EndsBeforeT } else { WindowAlignment::EndsAtT };
    let spec = DatasetSpec { lookback, alignment, embargo, ..Default::default() };
    let ds = DirectionDataset::build(&universe.series, &spec)?;
    let mut splits = Map::new();
    for split in Split::ALL {
        let c = ds.counts(split);
        let range = ds.samples.iter().filter(|s| s.split == split).map(|s| s.date);
        let (first, last) = (range.clone().min(), range.max());
        splits.insert(
            split.name().into(),
            json!({
                "samples": c.samples, "down": c.down, "flat": c.flat, "up": c.up,
                "first_date": first.map(|d| d.to_string()), "last_date": last.map(|d| d.to_string()),
            }),
        );
    }
    Ok(json!({
        "lookback": lookback,
        "window": if gap { "ends_before_t" } else { "ends_at_t" },
        "embargo": embargo,
        "symbols": ds.symbols.len(),
        "bars": universe.n_bars(),
        "splits": splits,
        "class_weights": ds.class_weights().to_vec(),
    }))
}
