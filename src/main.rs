//! The `trendcast` command line: parses arguments, calls the library, prints JSON.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use chrono::Datelike;
use clap::builder::TypedValueParser as _;
use clap::{Parser, Subcommand};
use serde_json::{Map, Value, json};
use trendcast::backtest::{BacktestSpec, Signal, Strategy};
use trendcast::bars::BarsRef;
use trendcast::bars::synthetic::{SyntheticSpec, generate};
use trendcast::bars::{BadBarPolicy, BarSeries, LoadOptions, Panel, Universe, load_dataset_dir};
use trendcast::contract::WindowAlignment;
use trendcast::contract::labels::Direction;
use trendcast::features::{self, FEATURE_NAMES, Market};
use trendcast::model::ModelKind;
use trendcast::{BackendKind, Date, Error, Model, OpenOptions};
use trendcast_export::charts;
use trendcast_export::dataset::{DatasetSpec, DirectionDataset, Split};
use trendcast_export::evaluate::Progress;

#[derive(Parser)]
#[command(name = "trendcast", version, about = "Stock direction and ranking from raw daily bars")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// A bar row that fails validation (unparseable; a date on a weekend or not after the ticker's
    /// previous one; a price not from 1e-6 to 1e9, high below low, open or close outside [low,
    /// high]; a volume not from 0 to 1e15): `fail` stops the load naming file, line, ticker and
    /// date; `skip` drops it; `repair` swaps high and low where that makes the bar consistent and
    /// drops the others. Each dropped or repaired row is reported on stderr (or in --bad-bar-report).
    #[arg(long, global = true, value_enum, default_value = "fail")]
    on_bad_bar: OnBadBar,
    /// Write the dropped or repaired rows to this file (one per line) instead of stderr.
    #[arg(long, global = true)]
    bad_bar_report: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum OnBadBar {
    Fail,
    Skip,
    Repair,
}

/// How every command loads its data set (set once from the command line).
static LOADING: std::sync::OnceLock<(BadBarPolicy, Option<PathBuf>)> = std::sync::OnceLock::new();

/// Loads the data set with the command line's bad-bar policy, reporting what it dropped or repaired.
/// A progress bar of `len` steps on stderr when stderr is a terminal; hidden otherwise, so that logs
/// and pipes get only the results.
fn progress(len: usize, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let style = indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})").expect("a valid template");
    indicatif::ProgressBar::new(len as u64).with_style(style.progress_chars("=> ")).with_message(what.to_string())
}

/// A spinner for a step without countable parts (loading, building a dataset), on the same terms.
fn spinner(what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner().with_message(what.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

fn load(data: &Path, tickers: Option<std::collections::HashSet<String>>) -> Result<Universe, Error> {
    let (policy, report) = LOADING.get().cloned().unwrap_or_default();
    let loading = spinner(&format!("loading bars from {}", data.display()));
    let u = load_dataset_dir(data, &LoadOptions { tickers, on_bad_bar: policy });
    loading.finish_and_clear();
    let u = u?;
    if !u.load_notes.is_empty() {
        let text: String = u.load_notes.iter().map(|n| format!("{n}\n")).collect();
        match report {
            Some(path) => std::fs::write(&path, text).map_err(|source| Error::Write { path, source })?,
            None => eprint!("{text}"),
        }
        eprintln!("trendcast: {} bar rows dropped or repaired ({:?})", u.load_notes.len(), policy);
    }
    Ok(u)
}

/// The data folder when `--data` is not given: `$TRENDCAST_DATA`, else the shared data set beside
/// the project.
fn default_data_dir() -> PathBuf {
    std::env::var_os("TRENDCAST_DATA").filter(|p| !p.is_empty()).map_or_else(|| PathBuf::from("../shared/data/sp500"), PathBuf::from)
}

/// The bundles the demo runs when `--models` is not given: `$TRENDCAST_MODELS`, else `models` in
/// the working directory (the project's shipped bundles for `cargo run`). Never a path of the
/// machine that built the program.
fn shipped_models() -> PathBuf {
    std::env::var_os("TRENDCAST_MODELS").filter(|p| !p.is_empty()).map_or_else(|| PathBuf::from("models"), PathBuf::from)
}

#[derive(Subcommand)]
enum Command {
    /// Print the 13 direction features of one ticker on one date as JSON.
    Features {
        /// Data directory (bars_*.csv[.gz] + industries.csv).
        #[arg(long, default_value_os_t = default_data_dir())]
        data: PathBuf,
        /// The ticker, as in the data.
        #[arg(long)]
        ticker: String,
        /// YYYY-MM-DD; must be a trading day of the ticker.
        #[arg(long)]
        date: Date,
    },
    /// Print every one-line ranking signal (the backtest's --baseline values) of each stock on
    /// one date as JSON: {"date", "signals": {TICKER: {NAME: score or null}}}.
    Signals {
        /// Data directory: bars_*.csv[.gz] and industries.csv (default: $TRENDCAST_DATA, else ../shared/data/sp500).
        #[arg(long, default_value_os_t = default_data_dir())]
        data: PathBuf,
        /// YYYY-MM-DD: a trading day of the data.
        #[arg(long)]
        date: Date,
    },
    /// Print the number of direction samples and their classes per split as JSON.
    Dataset {
        /// Data directory: bars_*.csv[.gz] and industries.csv (default: $TRENDCAST_DATA, else ../shared/data/sp500).
        #[arg(long, default_value_os_t = default_data_dir())]
        data: PathBuf,
        /// Window length in trading days.
        #[arg(long, default_value_t = 30)]
        lookback: usize,
        /// Which rows a window for day t covers: ends-at-t (t-L+1..=t, known at the close of t) or
        /// ends-before-t (t-L..=t-1, the original project's one-day gap).
        #[arg(long, value_enum, default_value = "ends-at-t")]
        alignment: WindowAlignment,
        /// Drop the last N trading days before each split boundary.
        #[arg(long, default_value_t = 0)]
        embargo: usize,
    },
    /// Direction probabilities of each ticker as of the close of a date (JSON lines).
    Direction {
        /// A model bundle directory (manifest.json and its ONNX files).
        #[arg(long)]
        model: PathBuf,
        /// Data directory: bars_*.csv[.gz] and industries.csv (default: $TRENDCAST_DATA, else ../shared/data/sp500).
        #[arg(long, default_value_os_t = default_data_dir())]
        data: PathBuf,
        /// YYYY-MM-DD: the close the answer is as of (a trading day of the data).
        #[arg(long)]
        date: Date,
        /// auto (ONNX Runtime when it loads, else tract), ort or tract.
        #[arg(long, default_value = "auto", value_parser = backend_parser())]
        backend: BackendKind,
        /// Comma-separated tickers (default: all).
        #[arg(long, value_delimiter = ',')]
        tickers: Vec<String>,
    },
    /// The top K tickers by a ranking model's score as of the close of a date.
    Rank {
        /// A model bundle directory (manifest.json and its ONNX files).
        #[arg(long)]
        model: PathBuf,
        /// Data directory: bars_*.csv[.gz] and industries.csv (default: $TRENDCAST_DATA, else ../shared/data/sp500).
        #[arg(long, default_value_os_t = default_data_dir())]
        data: PathBuf,
        /// YYYY-MM-DD: the close the answer is as of (a trading day of the data).
        #[arg(long)]
        date: Date,
        /// How many stocks: the top k listed or held.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// auto (ONNX Runtime when it loads, else tract), ort or tract.
        #[arg(long, default_value = "auto", value_parser = backend_parser())]
        backend: BackendKind,
    },
    /// Buy-hold-sell backtest of a ranking model (or a baseline): decide at the close of
    /// t, trade at the open of t+1, hold to the open of t+2. Prints the metrics as JSON.
    Backtest {
        /// A ranking bundle; omit with --baseline.
        #[arg(long, required_unless_present = "baseline")]
        model: Option<PathBuf>,
        /// A one-line signal instead of a model: reversal-1d (or reversal), intraday-reversal,
        /// overnight-reversal, reversal-5d, sub-industry-reversal, sector-reversal,
        /// within-industry-reversal, volatility-scaled-reversal, high-volume-reversal,
        /// low-volume-reversal, momentum-20d (or momentum).
        #[arg(long, value_parser = |s: &str| Signal::parse(s))]
        baseline: Option<Signal>,
        /// Data directory: bars_*.csv[.gz] and industries.csv (default: $TRENDCAST_DATA, else ../shared/data/sp500).
        #[arg(long, default_value_os_t = default_data_dir())]
        data: PathBuf,
        /// First day of the range, YYYY-MM-DD (inclusive).
        #[arg(long)]
        from: Date,
        /// Last day of the range, YYYY-MM-DD (inclusive).
        #[arg(long)]
        to: Date,
        /// How many stocks: the top k listed or held.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Cost per side in basis points of traded value.
        #[arg(long, default_value_t = 0.0)]
        cost_bps: f64,
        /// `rebalance`: hold the day's top k (the paper's); `dropout:N`: hold k and replace at most
        /// N a day, the worst-ranked held for a better-ranked outsider (qlib's top-k dropout).
        #[arg(long, default_value = "rebalance", value_parser = |s: &str| Strategy::parse(s))]
        strategy: Strategy,
        /// Write the daily portfolio, benchmark and excess net values as CSV.
        #[arg(long)]
        curve: Option<PathBuf>,
        /// Draw the portfolio, benchmark and excess net values as a PNG chart.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// auto (ONNX Runtime when it loads, else tract), ort or tract.
        #[arg(long, default_value = "auto", value_parser = backend_parser())]
        backend: BackendKind,
    },
    /// Rewrites a ranking bundle of an earlier form in the current one: a single-graph bundle
    /// (written before the encoder / window split) as two graphs, a window graph taking the
    /// encodings stacked as one taking each day's in pieces; after checking that both forms rank
    /// alike.
    UpgradeBundle {
        /// The old bundle's directory.
        old: PathBuf,
        /// Where to write the new bundle.
        new: PathBuf,
    },
    /// A model's manifest and the backend and execution provider it runs on.
    Info {
        /// A model bundle directory (manifest.json and its ONNX files).
        #[arg(long)]
        model: PathBuf,
        /// auto (ONNX Runtime when it loads, else tract), ort or tract.
        #[arg(long, default_value = "auto", value_parser = backend_parser())]
        backend: BackendKind,
    },
    /// Macro-F1, accuracy, per-class F1 and confusion matrix of a direction model over a date range,
    /// computed through the inference library.
    Eval {
        /// A model bundle directory (manifest.json and its ONNX files).
        #[arg(long)]
        model: PathBuf,
        /// Data directory: bars_*.csv[.gz] and industries.csv (default: $TRENDCAST_DATA, else ../shared/data/sp500).
        #[arg(long, default_value_os_t = default_data_dir())]
        data: PathBuf,
        /// First day of the range, YYYY-MM-DD (inclusive).
        #[arg(long)]
        from: Date,
        /// Last day of the range, YYYY-MM-DD (inclusive).
        #[arg(long)]
        to: Date,
        /// auto (ONNX Runtime when it loads, else tract), ort or tract.
        #[arg(long, default_value = "auto", value_parser = backend_parser())]
        backend: BackendKind,
    },
    /// The main job: the shipped models on the latest day of the shared data (or of a synthetic
    /// market when the data is absent), on tract: per model the time each call took and the few
    /// most confident calls (direction) or the top and bottom of the ranking.
    Demo {
        /// Data directory (default: $TRENDCAST_DATA, else ../shared/data/sp500).
        #[arg(long, default_value_os_t = default_data_dir())]
        data: PathBuf,
        /// Folder of model bundles (default: $TRENDCAST_MODELS, else ./models).
        #[arg(long, default_value_os_t = shipped_models())]
        models: PathBuf,
        /// tract (the default: no download), ort, or auto (ONNX Runtime when it loads, else tract).
        #[arg(long, default_value = "tract", value_parser = backend_parser())]
        backend: BackendKind,
        /// Also write every stock of every model to this CSV file
        /// (model,kind,date,ticker,down,flat,up,class,rank,score).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Print every stock of each model instead of the few most confident calls.
        #[arg(long)]
        all: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let policy = match cli.on_bad_bar {
        OnBadBar::Fail => BadBarPolicy::Fail,
        OnBadBar::Skip => BadBarPolicy::Skip,
        OnBadBar::Repair => BadBarPolicy::Repair,
    };
    LOADING.set((policy, cli.bad_bar_report)).expect("set once");
    let result = match cli.command {
        Command::Features { data, ticker, date } => features_cmd(&data, &ticker, date).map(print_json),
        Command::Signals { data, date } => signals_cmd(&data, date).map(print_json),
        Command::Dataset { data, lookback, alignment, embargo } => dataset_cmd(&data, lookback, alignment, embargo).map(print_json),
        Command::Direction { model, data, date, backend, tickers } => direction_cmd(&model, &data, date, backend, &tickers),
        Command::Rank { model, data, date, top, backend } => rank_cmd(&model, &data, date, top, backend).map(print_json),
        Command::Backtest { model, baseline, data, from, to, top, cost_bps, strategy, curve, plot, backend } => {
            let outputs = CurveOutputs { csv: curve.as_deref(), png: plot.as_deref() };
            backtest_cmd(model.as_deref(), baseline, &data, (from, to), BacktestSpec { top_k: top, cost_bps, strategy }, outputs, backend)
                .map(print_json)
        }
        Command::UpgradeBundle { old, new } => {
            trendcast_export::upgrade::upgrade_ranking(&old, &new).map(|m| print_json(json!({"written": new, "name": m.name})))
        }
        Command::Info { model, backend } => info_cmd(&model, backend).map(print_json),
        Command::Eval { model, data, from, to, backend } => eval_cmd(&model, &data, from, to, backend).map(print_json),
        Command::Demo { data, models, backend, csv, all } => demo_cmd(&data, &models, backend, csv.as_deref(), all),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trendcast: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a line of output; a closed pipe (`trendcast ... | head`) ends the program quietly.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            eprintln!("trendcast: cannot write output: {e}");
            std::process::exit(1);
        }
    }};
}

fn print_json(v: Value) {
    say!("{v}");
}

/// A JSON number, or null for NaN and infinities (which JSON cannot carry).
fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// The `--backend` values, listed in `--help` and in the error for any other.
fn backend_parser() -> impl clap::builder::TypedValueParser<Value = BackendKind> {
    clap::builder::PossibleValuesParser::new(["auto", "ort", "tract"]).map(|s| s.parse::<BackendKind>().expect("one of the listed values"))
}

/// Refuses an output path that cannot be written before any work is done: a folder, a missing
/// parent folder, or (for a chart) a name that does not end in `.png`.
fn check_output(path: &Path, flag: &str, png: bool) -> Result<(), Error> {
    let refuse = |why: String| Err(Error::InvalidArgument { what: format!("{flag} {}: {why}", path.display()) });
    if path.is_dir() {
        return refuse(format!("is a folder; name a file{}", if png { " ending in .png" } else { "" }));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return refuse(format!("the folder {} does not exist", parent.display()));
    }
    if png && !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) {
        return refuse("the chart is a PNG file: name one ending in .png".into());
    }
    Ok(())
}

fn open(model: &Path, backend: BackendKind) -> Result<Model, Error> {
    Model::open(model, &OpenOptions { backend, ..Default::default() })
}

fn features_cmd(data: &Path, ticker: &str, date: Date) -> Result<Value, Error> {
    let universe = load(data, Some([ticker.to_string()].into()))?;
    let series = universe.get(ticker).ok_or_else(|| Error::InvalidArgument { what: format!("no bars for ticker {ticker}") })?;
    let t = series.dates.binary_search(&date).map_err(|_| Error::InvalidArgument { what: format!("{ticker} has no bar on {date}") })?;
    if t < features::WARMUP_BARS {
        return Err(Error::TooLittleHistory {
            what: format!("{ticker} has {} bars up to {date}; all 13 features need {}", t + 1, features::WARMUP_BARS + 1),
        });
    }
    // Only bars up to t are read: the prefix is what was known at the close of t.
    let row = features::compute(&series.prefix(t))[t];
    let feats: Map<String, Value> = FEATURE_NAMES.iter().zip(row).map(|(n, v)| (n.to_string(), number(v))).collect();
    Ok(json!({ "ticker": ticker, "date": date.to_string(), "features": feats }))
}

fn signals_cmd(data: &Path, date: Date) -> Result<Value, Error> {
    let u = load(data, None)?;
    let panel = Panel::from_series(&u.series);
    let d = panel.day_index(date).ok_or_else(|| Error::InvalidArgument {
        what: format!(
            "{date} is not a trading day of the data (a holiday or weekend, or outside {})",
            trendcast::bars::date_span(&u.series)
        ),
    })?;
    let signals = trendcast::backtest::Signals::new(&panel, &u.industries);
    let scores: Vec<Vec<f32>> = Signal::ALL.iter().map(|&s| signals.scores(s, d)).collect();
    let by_ticker: serde_json::Map<String, Value> = panel
        .tickers
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let row = Signal::ALL.iter().zip(&scores).map(|(s, v)| (s.name().to_string(), number(f64::from(v[k])))).collect();
            (t.clone(), Value::Object(row))
        })
        .collect();
    Ok(json!({ "date": date.to_string(), "signals": by_ticker }))
}

fn dataset_cmd(data: &Path, lookback: usize, alignment: WindowAlignment, embargo: usize) -> Result<Value, Error> {
    let universe = load(data, None)?;
    let spec = DatasetSpec { lookback, alignment, embargo, ..Default::default() };
    let building = spinner("building the samples");
    let ds = DirectionDataset::build(&universe.series, &spec);
    building.finish_and_clear();
    let ds = ds?;
    if ds.samples.is_empty() {
        let (train, validation) = (spec.splits.train_range(), spec.splits.validation_range());
        return Err(Error::InvalidArgument {
            what: format!(
                "no samples in any split: the splits are train {} to {}, validation {} to {}, test from {} on (by the label's day), \
                 and the data runs {}{}",
                train.0,
                train.1,
                validation.0,
                validation.1,
                Date::from_days_since_epoch(validation.1.days_since_epoch() + 1),
                trendcast::bars::date_span(&universe.series),
                if universe.series.is_empty() { "" } else { " (or no stock has a full window with a label there)" }
            ),
        });
    }
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
        "window": alignment.name(),
        "embargo": embargo,
        "symbols": ds.symbols.len(),
        "bars": universe.n_bars(),
        "splits": splits,
        "class_weights": ds.class_weights().to_vec(),
    }))
}

/// Each selected ticker's bars up to the close of `date` (tickers without a bar that day are
/// reported on stderr and left out).
fn stocks_on<'a>(u: &'a Universe, date: Date, tickers: &[String]) -> Vec<(&'a str, BarsRef<'a>)> {
    let mut out = Vec::new();
    for s in &u.series {
        if !tickers.is_empty() && !tickers.contains(&s.ticker) {
            continue;
        }
        match s.dates.binary_search(&date) {
            Ok(t) => out.push((s.ticker.as_str(), BarsRef::from(s).prefix(t))),
            Err(_) => eprintln!("{}: no bar on {date}, skipped", s.ticker),
        }
    }
    out
}

/// One JSON line of direction probabilities.
fn direction_line(ticker: &str, date: Date, p: &[f32; 3]) -> Value {
    let class = trendcast_export::metrics::argmax3(p);
    json!({ "ticker": ticker, "date": date.to_string(), "down": p[0], "flat": p[1], "up": p[2],
            "class": Direction::NAMES[class] })
}

/// The universe's market features, for a direction model that reads them.
fn market_for(m: &Model, universe: &[BarSeries]) -> Result<Option<Market>, Error> {
    m.manifest().reads_market().then(|| Market::equal_weighted(universe)).transpose()
}

/// The direction call, given the market when the model reads it.
fn direction_cmd(model: &Path, data: &Path, date: Date, backend: BackendKind, tickers: &[String]) -> Result<(), Error> {
    let m = open(model, backend)?;
    if m.kind() != ModelKind::Direction {
        return Err(Error::WrongKind { what: format!("direction needs a direction model; {} is a {:?} model", model.display(), m.kind()) });
    }
    // A model with market features needs the whole universe, whichever tickers are asked for.
    let load_all = tickers.is_empty() || m.manifest().reads_market();
    let u = load(data, (!load_all).then(|| tickers.iter().cloned().collect()))?;
    let market = market_for(&m, &u.series)?;
    for t in tickers {
        if u.get(t).is_none() {
            return Err(Error::InvalidArgument { what: format!("no bars for ticker {t}") });
        }
    }
    let stocks = stocks_on(&u, date, tickers);
    if stocks.is_empty() {
        let span = trendcast::bars::date_span(&u.series);
        return Err(Error::InvalidArgument {
            what: format!("no stock has a bar on {date} (not a trading day of the data, which runs {span})"),
        });
    }
    // One call per stock, so that a stock with too little history is reported, not fatal; but a
    // run that answers for no stock at all is an error.
    let mut answered = 0;
    for (ticker, bars) in &stocks {
        match m.direction_given(std::slice::from_ref(bars), market.as_ref()) {
            Ok(p) => {
                say!("{}", direction_line(ticker, date, &p[0]));
                answered += 1;
            }
            Err(e) => eprintln!("{ticker}: {e}"),
        }
    }
    if answered == 0 {
        return Err(Error::InvalidArgument { what: format!("no stock could be predicted on {date} (each reason is above)") });
    }
    Ok(())
}

fn rank_cmd(model: &Path, data: &Path, date: Date, top: usize, backend: BackendKind) -> Result<Value, Error> {
    if top == 0 {
        return Err(Error::InvalidArgument { what: "--top must be at least 1: the top 0 is an empty list".into() });
    }
    let m = open(model, backend)?;
    let u = load(data, None)?;
    let panel = Panel::from_series(&u.series);
    let r = m.rank(&panel, &u.industries, date)?;
    let top: Vec<Value> = r.order.iter().take(top).map(|&k| json!({ "ticker": panel.tickers[k], "score": r.scores[k] })).collect();
    Ok(json!({ "date": date.to_string(), "scored": r.order.len(), "top": top }))
}

#[allow(clippy::too_many_arguments)]
fn backtest_cmd(
    model: Option<&Path>,
    baseline: Option<Signal>,
    data: &Path,
    (from, to): (Date, Date),
    spec: BacktestSpec,
    outputs: CurveOutputs<'_>,
    backend: BackendKind,
) -> Result<Value, Error> {
    use trendcast::backtest::{Signals, run};
    let BacktestSpec { top_k: top, cost_bps, strategy } = spec;
    if let Some(p) = outputs.csv {
        check_output(p, "--curve", false)?;
    }
    if let Some(p) = outputs.png {
        check_output(p, "--plot", true)?;
    }
    let u = load(data, None)?;
    let panel = Panel::from_series(&u.series);
    if from > to {
        return Err(Error::InvalidArgument { what: format!("--from {from} is after --to {to}") });
    }
    // Decision days are first..end; the last needs the opens of the next two trading days.
    let first = panel.calendar.partition_point(|&d| d < from);
    let end = panel.calendar.partition_point(|&d| d <= to).min(panel.n_days().saturating_sub(2));
    if first >= end {
        return Err(Error::InvalidArgument {
            what: format!(
                "no decision day from {from} to {to} with two trading days after it (the data runs {})",
                trendcast::bars::date_span(&u.series)
            ),
        });
    }
    let last = end - 1;
    let days = progress(last + 1 - first, "backtest days");
    let (name, result) = match (model, baseline) {
        (Some(dir), _) => {
            let m = open(dir, backend)?;
            let r = run(&panel, first, last, spec, |d| {
                days.inc(1);
                Ok(m.rank(&panel, &u.industries, panel.calendar[d])?.scores)
            })?;
            (m.manifest().name.clone(), r)
        }
        (None, Some(signal)) => {
            let signals = Signals::new(&panel, &u.industries);
            let r = run(&panel, first, last, spec, |d| {
                days.inc(1);
                Ok(signals.scores(signal, d))
            })?;
            (signal.name().to_string(), r)
        }
        (None, None) => unreachable!("clap requires --model or --baseline"),
    };
    days.finish_and_clear();
    let nv = result.net_values();
    if let Some(path) = outputs.csv {
        let mut text = String::from("date,portfolio_nv,benchmark_nv,excess_nv\n");
        for v in &nv {
            text += &format!("{},{},{},{}\n", v.date, v.portfolio, v.benchmark, v.excess);
        }
        std::fs::write(path, text).map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
    }
    if let Some(path) = outputs.png {
        // x: fractional year, so that any range reads naturally on the axis.
        let year = |d: &Date| d.year() as f64 + (d.naive().ordinal0() as f64 + 0.5) / 365.25;
        let line = |k: usize| nv.iter().map(|v| (year(&v.date), [v.portfolio, v.benchmark, v.excess][k])).collect::<Vec<_>>();
        let (pl, bl, el) = (line(0), line(1), line(2));
        let title = format!("{name}: top {top} ({}), {cost_bps} bps per side, {from} to {to}", strategy.name());
        let series = [
            charts::Series { name: "portfolio", points: &pl },
            charts::Series { name: "equal-weighted universe", points: &bl },
            charts::Series { name: "excess (daily difference, compounded)", points: &el },
        ];
        charts::line_chart(path, &title, "year", "net value", &series)
            .map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
    }
    Ok(json!({
        "model": name, "from": result.daily.first().map(|r| r.date.to_string()), "to": result.daily.last().map(|r| r.date.to_string()),
        "top": top, "strategy": strategy.name(), "cost_bps": cost_bps, "metrics": result.metrics,
    }))
}

/// Where `backtest` writes its equity curves, if anywhere.
struct CurveOutputs<'a> {
    csv: Option<&'a Path>,
    png: Option<&'a Path>,
}

fn info_cmd(model: &Path, backend: BackendKind) -> Result<Value, Error> {
    let m = open(model, backend)?;
    Ok(json!({
        "manifest": m.manifest(), "backend": m.backend().name(), "execution_provider": m.execution_provider(),
        "fallback_reason": m.fallback_reason(), "min_bars": m.min_bars(),
    }))
}

fn eval_cmd(model: &Path, data: &Path, from: Date, to: Date, backend: BackendKind) -> Result<Value, Error> {
    if from > to {
        return Err(Error::InvalidArgument { what: format!("--from {from} is after --to {to}") });
    }
    let m = open(model, backend)?;
    if m.kind() != ModelKind::Direction {
        return Err(Error::WrongKind { what: "eval needs a direction model".into() });
    }
    let u = load(data, None)?;
    let mut bar = indicatif::ProgressBar::hidden();
    let s = trendcast_export::evaluate::evaluate_direction(&m, &u.series, from, to, |p| match p {
        Progress::Total(n) => bar = progress(n, "eval samples"),
        Progress::Done(n) => bar.inc(n as u64),
    });
    bar.finish_and_clear();
    let s = s?;
    Ok(json!({
        "model": m.manifest().name, "backend": m.backend().name(), "from": from.to_string(), "to": to.to_string(),
        "samples": s.samples, "macro_f1": s.macro_f1, "accuracy": s.accuracy,
        "f1": { "down": s.f1[0], "flat": s.f1[1], "up": s.f1[2] }, "confusion": s.confusion,
    }))
}

/// How many calls per side the demo shows for each model; `--all` or `--csv` give every stock.
const DEMO_SHOWN: usize = 5;

fn demo_cmd(data: &Path, models: &Path, backend: BackendKind, csv: Option<&Path>, all: bool) -> Result<(), Error> {
    use std::fmt::Write as _;
    if let Some(p) = csv {
        check_output(p, "--csv", false)?;
    }
    let (u, source) = if data.join("industries.csv").exists() {
        (load(data, None)?, format!("shared data {}", data.display()))
    } else {
        let spec = SyntheticSpec { sectors: 11, sub_industries_per_sector: 4, stocks_per_sub_industry: 5, days: 400, ..Default::default() };
        (generate(&spec), format!("SYNTHETIC market ({} not found): generated sectors, sub-industries and correlated bars", data.display()))
    };
    let mut bundles: Vec<PathBuf> = std::fs::read_dir(models)
        .map_err(|e| Error::InvalidArgument {
            what: format!("no model folder at {} ({e}): pass --models DIR or set TRENDCAST_MODELS", models.display()),
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("manifest.json").exists())
        .collect();
    bundles.sort();
    let date = u.series.iter().filter_map(|s| s.dates.last()).max().copied().ok_or_else(|| Error::Shape { what: "no bars".into() })?;
    // Stocks without a bar on the latest day (delisted, or a gap) get no direction call: counted
    // once here rather than named per stock and model.
    let stocks: Vec<(&str, BarsRef)> = u
        .series
        .iter()
        .filter_map(|s| s.dates.binary_search(&date).ok().map(|t| (s.ticker.as_str(), BarsRef::from(s).prefix(t))))
        .collect();
    say!("data: {source}; {} stocks; latest day {date}, {} of them with a bar that day", u.series.len(), stocks.len());
    let mut table = String::from("model,kind,date,ticker,down,flat,up,class,rank,score\n");
    let mut rows = 0usize;
    for dir in bundles {
        let started = Instant::now();
        let m = open(&dir, backend)?;
        let name = &m.manifest().name;
        say!(
            "\nmodel {name} ({}), backend {} / {}, opened in {:.1} ms",
            m.kind().name(),
            m.backend().name(),
            m.execution_provider(),
            started.elapsed().as_secs_f64() * 1e3
        );
        match m.kind() {
            ModelKind::Direction => {
                let refs: Vec<BarsRef> = stocks.iter().map(|(_, b)| *b).collect();
                let market = market_for(&m, &u.series)?;
                // Timed twice: the first call of a batch size builds tract's plan for it.
                let timed = |stocks: &[BarsRef]| -> Result<(Vec<[f32; 3]>, f64, f64), Error> {
                    let t0 = Instant::now();
                    m.direction_given(stocks, market.as_ref())?;
                    let first = t0.elapsed().as_secs_f64();
                    let t1 = Instant::now();
                    let p = m.direction_given(stocks, market.as_ref())?;
                    Ok((p, first, t1.elapsed().as_secs_f64()))
                };
                let (probs, batch_first, batch_warm) = timed(&refs)?;
                let (_, one_first, one_warm) = timed(&refs[..1])?;
                say!(
                    "  direction: {} stocks in one call {:.2} ms (first call {:.2} ms); one stock {:.0} us (first call {:.0} us)",
                    refs.len(),
                    batch_warm * 1e3,
                    batch_first * 1e3,
                    one_warm * 1e6,
                    one_first * 1e6
                );
                let class = |p: &[f32; 3]| Direction::NAMES[trendcast_export::metrics::argmax3(p)];
                let mut counts = [0usize; 3];
                for ((t, _), p) in stocks.iter().zip(&probs) {
                    counts[trendcast_export::metrics::argmax3(p)] += 1;
                    let _ = writeln!(table, "{name},direction,{date},{t},{},{},{},{},,", p[0], p[1], p[2], class(p));
                    rows += 1;
                }
                say!("  5-day direction calls: {} up, {} flat, {} down", counts[2], counts[1], counts[0]);
                if all {
                    say!("ticker,date,down,flat,up,class");
                    for ((t, _), p) in stocks.iter().zip(&probs) {
                        say!("{t},{date},{:.4},{:.4},{:.4},{}", p[0], p[1], p[2], class(p));
                    }
                } else {
                    for (label, col) in [("up", 2), ("down", 0)] {
                        let mut by: Vec<usize> = (0..probs.len()).collect();
                        by.sort_by(|&a, &b| probs[b][col].total_cmp(&probs[a][col]));
                        say!("  most confident {label} (highest P({label})):");
                        for &i in by.iter().take(DEMO_SHOWN) {
                            let p = &probs[i];
                            say!("    {:<8} down {:.4}  flat {:.4}  up {:.4}  -> {}", stocks[i].0, p[0], p[1], p[2], class(p));
                        }
                    }
                }
            }
            ModelKind::Ranking => {
                let panel = Panel::from_series(&u.series);
                // Timed twice, as above: the first call builds tract's plan for the universe's size.
                let started = Instant::now();
                m.rank(&panel, &u.industries, date)?;
                let first_ms = started.elapsed().as_secs_f64() * 1e3;
                let started = Instant::now();
                let r = m.rank(&panel, &u.industries, date)?;
                let ms = started.elapsed().as_secs_f64() * 1e3;
                say!("  ranking: {} of {} stocks scored in {ms:.1} ms (first call {first_ms:.1} ms)", r.order.len(), panel.tickers.len());
                let mut rank_of = vec![None; panel.tickers.len()];
                for (i, &k) in r.order.iter().enumerate() {
                    rank_of[k] = Some(i + 1);
                }
                // Every stock of the panel, unscored ones with empty rank and score.
                for (k, t) in panel.tickers.iter().enumerate() {
                    let rank = rank_of[k].map(|i| i.to_string()).unwrap_or_default();
                    let score = if r.scores[k].is_finite() { r.scores[k].to_string() } else { String::new() };
                    let _ = writeln!(table, "{name},ranking,{date},{t},,,,,{rank},{score}");
                    rows += 1;
                }
                if all {
                    say!("rank,ticker,score");
                    for (i, &k) in r.order.iter().enumerate() {
                        say!("{},{},{:.5}", i + 1, panel.tickers[k], r.scores[k]);
                    }
                } else {
                    let n = r.order.len();
                    let bottom = n.saturating_sub(DEMO_SHOWN).max(DEMO_SHOWN.min(n));
                    say!("  top {} (held first):", DEMO_SHOWN.min(n));
                    for (i, &k) in r.order.iter().enumerate().take(DEMO_SHOWN) {
                        say!("    {:>4}. {:<8} {:+.5}", i + 1, panel.tickers[k], r.scores[k]);
                    }
                    if n > bottom {
                        say!("  bottom {}:", n - bottom);
                        for (i, &k) in r.order.iter().enumerate().skip(bottom) {
                            say!("    {:>4}. {:<8} {:+.5}", i + 1, panel.tickers[k], r.scores[k]);
                        }
                    }
                }
            }
        }
    }
    match csv {
        Some(path) => {
            std::fs::write(path, table).map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
            say!("\nevery stock of every model: {} ({rows} rows)", path.display());
        }
        None if !all => say!("\nevery stock: --all (printed), or --csv FILE (one table of every model)"),
        None => {}
    }
    Ok(())
}
