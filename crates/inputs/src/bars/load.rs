//! Loading long-format bar files (`date,ticker,open,high,low,close[,adj_close],volume`, any column
//! order, plain or gzip) and the industry table. Every rejected value names file, line, ticker, date.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::{Bar, BarSeries, Industries, IndustryRow, Universe};
use crate::date::Date;
use crate::error::{Error, Location, Result};

/// What to load from a data set.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Only these tickers (None: all). Other rows are skipped without parsing their numbers.
    pub tickers: Option<HashSet<String>>,
    /// What a bar that fails validation does to the load.
    pub on_bad_bar: BadBarPolicy,
}

/// What the loader does with a bar row that fails validation: a number or date that does not
/// parse, a bar that could not be real ([`Bar::problem`]: a weekend date, a price out of range,
/// high below low, open or close outside [low, high], a volume out of range), a date not after the
/// ticker's previous one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BadBarPolicy {
    /// Stop the load with an error naming file, line, ticker and date (the default).
    #[default]
    Fail,
    /// Drop the bar and record it in [`Universe::load_notes`](super::Universe::load_notes).
    Skip,
    /// Repair the bar where the repair is unambiguous (high and low swapped: after swapping them,
    /// open and close lie between the two) and drop the others; both are recorded.
    Repair,
}

/// A bar row the loader dropped or repaired under [`BadBarPolicy::Skip`] or [`BadBarPolicy::Repair`].
#[derive(Debug, Clone, PartialEq)]
pub struct LoadNote {
    /// File, line, ticker and date of the row.
    pub at: Location,
    /// What was wrong with it.
    pub problem: String,
    /// `true`: repaired and kept; `false`: dropped.
    pub repaired: bool,
}

impl std::fmt::Display for LoadNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", if self.repaired { "repaired" } else { "dropped" }, self.at, self.problem)
    }
}

/// Loads a data-set directory in the shared layout: every `bars_*.csv[.gz]` (in file-name order, so
/// that later years follow earlier ones) and `industries.csv`.
pub fn load_dataset_dir(dir: &Path, opts: &LoadOptions) -> Result<Universe> {
    let read_dir = std::fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    let mut bar_files: Vec<PathBuf> = read_dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("bars") && (name.ends_with(".csv") || name.ends_with(".csv.gz"))
        })
        .collect();
    bar_files.sort();
    if bar_files.is_empty() {
        return Err(Error::argument(format!("no bars*.csv[.gz] files in {}", dir.display())));
    }
    let (series, load_notes) = load_bars_noted(&bar_files, opts)?;
    let industries = load_industries(&dir.join("industries.csv"))?;
    Ok(Universe { series, industries, load_notes })
}

/// One file's series with the line number of each bar (for errors found when joining files).
type FileSeries = Vec<(BarSeries, Vec<u64>)>;

/// Loads bar files (one thread per file) and joins them in the order given: a ticker's bars in a
/// later file must come after its bars in an earlier one. Returns the series sorted by ticker.
/// Under a skip or repair policy, what was dropped or repaired is not returned: see
/// [`load_bars_noted`].
pub fn load_bars(files: &[PathBuf], opts: &LoadOptions) -> Result<Vec<BarSeries>> {
    load_bars_noted(files, opts).map(|(series, _)| series)
}

/// [`load_bars`], with the rows dropped or repaired under `opts.on_bad_bar`, in file order.
pub fn load_bars_noted(files: &[PathBuf], opts: &LoadOptions) -> Result<(Vec<BarSeries>, Vec<LoadNote>)> {
    let parts: Vec<Result<(FileSeries, Vec<LoadNote>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files.iter().map(|f| scope.spawn(move || load_bar_file(f, opts))).collect();
        handles.into_iter().map(|h| h.join().expect("loader thread panicked")).collect()
    });
    let mut by_ticker: HashMap<String, BarSeries> = HashMap::new();
    let mut notes = Vec::new();
    for (file, part) in files.iter().zip(parts) {
        let (part, file_notes) = part?;
        notes.extend(file_notes);
        for (s, lines) in part {
            match by_ticker.get_mut(&s.ticker) {
                None => {
                    by_ticker.insert(s.ticker.clone(), s);
                }
                Some(acc) => {
                    for (i, &line) in lines.iter().enumerate() {
                        let bar = s.bar(i);
                        if let Some(&last) = acc.dates.last()
                            && let Some(problem) = super::series::date_order_problem(last, bar.date)
                        {
                            let at = Location {
                                file: Some(file.clone()),
                                line: Some(line),
                                ticker: Some(s.ticker.clone()),
                                date: Some(bar.date.to_string()),
                            };
                            let what = format!("{problem}, the same ticker's last date in an earlier file");
                            if opts.on_bad_bar == BadBarPolicy::Fail {
                                return Err(Error::Unsorted { at, what });
                            }
                            notes.push(LoadNote { at, problem: what, repaired: false });
                            continue;
                        }
                        acc.push_unchecked(bar);
                    }
                }
            }
        }
    }
    let mut series: Vec<BarSeries> = by_ticker.into_values().filter(|s| !s.dates.is_empty()).collect();
    series.sort_by(|a, b| a.ticker.cmp(&b.ticker));
    Ok((series, notes))
}

fn open_maybe_gzip(path: &Path) -> Result<Box<dyn Read + Send>> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let mut file = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
    let magic = std::io::BufRead::fill_buf(&mut file).map_err(io)?;
    if magic.starts_with(&[0x1f, 0x8b]) { Ok(Box::new(flate2::bufread::MultiGzDecoder::new(file))) } else { Ok(Box::new(file)) }
}

/// Column positions found in a bar file's header.
struct Columns {
    date: usize,
    ticker: usize,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    adj_close: Option<usize>,
    volume: usize,
}

impl Columns {
    fn from_header(header: &csv::ByteRecord, file: &Path) -> Result<Columns> {
        let find = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name.as_bytes()));
        let need = |name: &str| {
            find(name).ok_or_else(|| {
                let at = Location { file: Some(file.to_path_buf()), line: Some(1), ..Default::default() };
                Error::parse(at, format!("header has no `{name}` column"))
            })
        };
        Ok(Columns {
            date: need("date")?,
            ticker: need("ticker")?,
            open: need("open")?,
            high: need("high")?,
            low: need("low")?,
            close: need("close")?,
            adj_close: find("adj_close"),
            volume: need("volume")?,
        })
    }
}

/// Parses one file into per-ticker series (in first-seen order), with each bar's line number.
fn load_bar_file(path: &Path, opts: &LoadOptions) -> Result<(FileSeries, Vec<LoadNote>)> {
    read_bar_file(open_maybe_gzip(path)?, path, opts)
}

/// Reads one bar file's text (plain CSV) from memory or any reader, as [`load_bars_noted`] reads a
/// file; `source` names it in errors. Returns the series sorted by ticker.
pub fn read_bars(input: impl Read, source: &Path, opts: &LoadOptions) -> Result<(Vec<BarSeries>, Vec<LoadNote>)> {
    let (file, notes) = read_bar_file(input, source, opts)?;
    let mut series: Vec<BarSeries> = file.into_iter().map(|(s, _)| s).filter(|s| !s.dates.is_empty()).collect();
    series.sort_by(|a, b| a.ticker.cmp(&b.ticker));
    Ok((series, notes))
}

fn read_bar_file(input: impl Read, path: &Path, opts: &LoadOptions) -> Result<(FileSeries, Vec<LoadNote>)> {
    // Names and cells padded with spaces ("date, ticker") are read as written without them.
    let mut reader = csv::ReaderBuilder::new().has_headers(true).trim(csv::Trim::All).from_reader(input);
    let csv_err = |e: csv::Error| {
        let line = e.position().map(|p| p.line());
        Error::parse(Location { file: Some(path.to_path_buf()), line, ..Default::default() }, e.to_string())
    };
    let cols = Columns::from_header(&reader.byte_headers().map_err(csv_err)?.clone(), path)?;

    let mut out: Vec<(BarSeries, Vec<u64>)> = Vec::new();
    let mut notes: Vec<LoadNote> = Vec::new();
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut current: Option<usize> = None; // rows usually come grouped by ticker: skip the hash then
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(csv_err)? {
        let line = record.position().map_or(0, |p| p.line());
        let ticker = record.get(cols.ticker).unwrap_or_default();
        let at = |date: Option<&[u8]>| Location {
            file: Some(path.to_path_buf()),
            line: Some(line),
            ticker: Some(String::from_utf8_lossy(ticker).into_owned()),
            date: date.map(|d| String::from_utf8_lossy(d).into_owned()),
        };
        if ticker.is_empty() {
            return Err(Error::parse(at(None), "empty ticker"));
        }
        let slot = match current {
            Some(i) if out[i].0.ticker.as_bytes() == ticker => i,
            _ => match index.get(ticker) {
                Some(&i) => i,
                None => {
                    let name = std::str::from_utf8(ticker).map_err(|_| Error::parse(at(None), "ticker is not UTF-8"))?;
                    if let Some(keep) = &opts.tickers
                        && !keep.contains(name)
                    {
                        current = None;
                        continue;
                    }
                    out.push((BarSeries::empty(name), Vec::new()));
                    index.insert(ticker.to_vec(), out.len() - 1);
                    out.len() - 1
                }
            },
        };
        current = Some(slot);

        let date_field = record.get(cols.date).unwrap_or_default();
        let (series, lines) = &mut out[slot];
        let last = series.dates.last().copied();
        let check = |bar: Bar| bar.check_next(last, || at(Some(date_field))).map(|()| bar);
        // The row parsed once; a repair works on that bar, a row that does not parse has none.
        let (outcome, parsed) = match parse_bar(&record, &cols, date_field, &at) {
            Ok(bar) => (check(bar), Some(bar)),
            Err(e) => (Err(e), None),
        };
        let bar = match (outcome, opts.on_bad_bar) {
            (Ok(bar), _) => bar,
            (Err(e), BadBarPolicy::Fail) => return Err(e),
            (Err(e), policy) => {
                let repaired = parsed.filter(|_| policy == BadBarPolicy::Repair).and_then(swap_high_low).and_then(|bar| check(bar).ok());
                notes.push(LoadNote { at: at(Some(date_field)), problem: e.to_string(), repaired: repaired.is_some() });
                match repaired {
                    Some(bar) => bar,
                    None => continue,
                }
            }
        };
        series.push_unchecked(bar);
        lines.push(line);
    }
    Ok((out, notes))
}

/// The bar of a row, its numbers and date parsed (not yet validated).
fn parse_bar(record: &csv::ByteRecord, cols: &Columns, date_field: &[u8], at: &dyn Fn(Option<&[u8]>) -> Location) -> Result<Bar> {
    let date = std::str::from_utf8(date_field)
        .ok()
        .and_then(Date::parse)
        .ok_or_else(|| Error::parse(at(Some(date_field)), "date is not YYYY-MM-DD"))?;
    let num = |col: usize, name: &str| -> Result<f64> {
        let f = record.get(col).unwrap_or_default();
        std::str::from_utf8(f)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .ok_or_else(|| Error::parse(at(Some(date_field)), format!("{name} {:?} is not a number", String::from_utf8_lossy(f))))
    };
    let mut bar = Bar {
        date,
        open: num(cols.open, "open")?,
        high: num(cols.high, "high")?,
        low: num(cols.low, "low")?,
        close: num(cols.close, "close")?,
        volume: num(cols.volume, "volume")?,
    };
    // A non-empty adj_close adjusts the whole bar by the same factor (open, high, low stay
    // consistent with close). In the shared data it is empty: OHLC are adjusted already.
    if let Some(c) = cols.adj_close
        && !record.get(c).unwrap_or_default().is_empty()
    {
        let adj = num(c, "adj_close")?;
        // Checked here: scaled into the other fields, a bad adj_close would be reported as theirs.
        if !(adj.is_finite() && adj > 0.0) {
            return Err(Error::invalid_bar(at(Some(date_field)), format!("adj_close must be a positive finite number, got {adj}")));
        }
        // A bad close is left for the bar's check to name.
        if bar.close.is_finite() && bar.close > 0.0 {
            let factor = adj / bar.close;
            bar.open *= factor;
            bar.high *= factor;
            bar.low *= factor;
            bar.close = adj;
        }
    }
    Ok(bar)
}

/// The one repair that is unambiguous: high and low swapped, i.e. high < low and, once swapped,
/// open and close both lie between them.
fn swap_high_low(bar: Bar) -> Option<Bar> {
    let swapped = Bar { high: bar.low, low: bar.high, ..bar };
    let inside = |v: f64| v >= swapped.low && v <= swapped.high;
    (bar.high < bar.low && inside(bar.open) && inside(bar.close)).then_some(swapped)
}

/// Loads `ticker,sector,sub_industry` (quoted fields allowed, any column order).
pub fn load_industries(path: &Path) -> Result<Industries> {
    let file = File::open(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(BufReader::new(file));
    let mut rows = Vec::new();
    for (i, rec) in reader.deserialize::<IndustryRow>().enumerate() {
        let row = rec.map_err(|e| {
            let at = Location { file: Some(path.to_path_buf()), line: Some(i as u64 + 2), ..Default::default() };
            Error::parse(at, e.to_string())
        })?;
        rows.push(row);
    }
    Industries::new(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_any_column_order_plain_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let text = "ticker,volume,date,close,open,low,high\nB,10,2020-01-02,2,2,1.5,2.5\nA,5,2020-01-02,1,1,0.5,1.5\nA,6,2020-01-03,1.1,1,0.9,1.2\n";
        let plain = write(dir.path(), "bars_a.csv", text);
        let gz = dir.path().join("bars_b.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        enc.write_all(text.replace("2020-01-0", "2020-06-0").as_bytes()).unwrap(); // weekdays, as the first file's
        enc.finish().unwrap();
        let series = load_bars(&[plain, gz], &LoadOptions::default()).unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].ticker, "A");
        assert_eq!(series[0].len(), 4);
        assert_eq!(series[0].close, vec![1.0, 1.1, 1.0, 1.1]);
        assert_eq!(series[1].volume, vec![10.0, 10.0]);
    }

    /// The three policies on a file with one swappable high/low, one irreparable bar (high below
    /// low with the close outside), an unparseable close, a duplicate date and a date out of order
    /// across files: fail stops at the first, skip drops all five, repair keeps the swappable one.
    #[test]
    fn bad_bar_policies_fail_skip_or_repair_and_say_which_rows() {
        let dir = tempfile::tempdir().unwrap();
        let first = write(
            dir.path(),
            "bars_a.csv",
            "date,ticker,open,high,low,close,volume\n\
             2020-01-02,A,10,11,9,10,100\n\
             2020-01-03,A,10,9,11,10.5,100\n\
             2020-01-06,A,10,9,11,12,100\n\
             2020-01-07,A,10,11,9,x,100\n\
             2020-01-08,A,10,11,9,10,100\n\
             2020-01-08,A,10,11,9,10.2,100\n\
             2020-01-02,B,5,6,4,5,10\n",
        );
        let second = write(
            dir.path(),
            "bars_b.csv",
            "date,ticker,open,high,low,close,volume\n2020-01-07,A,1,2,1,1,1\n2020-01-09,A,10,11,9,10,100\n",
        );
        let files = [first.clone(), second];
        let opts = |on_bad_bar| LoadOptions { on_bad_bar, ..Default::default() };

        let e = load_bars(&files, &opts(BadBarPolicy::Fail)).unwrap_err();
        assert!(e.to_string().contains("line 3") && e.to_string().contains("below low"), "{e}");

        let (series, notes) = load_bars_noted(&files, &opts(BadBarPolicy::Skip)).unwrap();
        let a = &series[0];
        let day = |d: &str| Date::parse(d).unwrap();
        assert_eq!(a.dates, vec![day("2020-01-02"), day("2020-01-08"), day("2020-01-09")]);
        assert_eq!(series[1].len(), 1, "B untouched");
        let dropped: Vec<(u64, bool)> = notes.iter().map(|n| (n.at.line.unwrap(), n.repaired)).collect();
        assert_eq!(dropped, vec![(3, false), (4, false), (5, false), (7, false), (2, false)]);
        assert!(notes[2].problem.contains("close \"x\" is not a number"), "{}", notes[2].problem);
        assert!(notes[3].problem.contains("duplicate date"), "{}", notes[3].problem);
        assert_eq!(notes[4].at.file.as_deref(), Some(files[1].as_path()));
        assert!(notes[0].to_string().starts_with("dropped: file "), "{}", notes[0]);

        let (series, notes) = load_bars_noted(&files, &opts(BadBarPolicy::Repair)).unwrap();
        let a = &series[0];
        assert_eq!(a.dates, vec![day("2020-01-02"), day("2020-01-03"), day("2020-01-08"), day("2020-01-09")]);
        assert_eq!((a.high[1], a.low[1]), (11.0, 9.0), "high and low swapped back");
        assert_eq!(notes.iter().filter(|n| n.repaired).count(), 1);
        assert!(notes[0].repaired && notes[0].at.line == Some(3));
        assert!(!notes[1].repaired, "the close 12 lies outside 9..11: no unambiguous repair");
    }

    #[test]
    fn errors_name_file_line_ticker_and_date() {
        let dir = tempfile::tempdir().unwrap();
        let head = "date,ticker,open,high,low,close,adj_close,volume\n";
        let cases = [
            ("2020-01-02,A,1,1,1,x,,5\n", "close \"x\" is not a number"),
            ("2020-01-02,A,1,1,1,-1,,5\n", "must be positive"),
            ("2020-01-02,A,1,1,1,NaN,,5\n", "not a finite number"),
            ("2020-01-02,A,1,0.5,1,1,,5\n", "below low"),
            ("2020-01-02,A,1,1,1,1,,-5\n", "volume must not be negative"),
            ("2020-13-02,A,1,1,1,1,,5\n", "not YYYY-MM-DD"),
            ("2020-01-02,A,1,1,1,1,-2,5\n", "adj_close must be a positive finite number, got -2"),
            ("2020-01-02,A,1,1,1,0,2,5\n", "close must be positive, got 0"),
            ("2020-01-04,A,1,1,1,1,,5\n", "2020-01-04 is a Saturday"),
            ("2020-01-02,A,1,1,1,2,,5\n", "close 2 is above high 1"),
        ];
        for (row, msg) in cases {
            let f = write(dir.path(), "bad.csv", &format!("{head}2020-01-01,A,1,1,1,1,,5\n{row}"));
            let e = load_bars(&[f], &LoadOptions::default()).unwrap_err().to_string();
            assert!(e.contains(msg) && e.contains("line 3") && e.contains("ticker A") && e.contains("bad.csv"), "{e}");
        }
        let f = write(dir.path(), "dup.csv", &format!("{head}2020-01-02,A,1,1,1,1,,5\n2020-01-02,A,1,1,1,1,,5\n"));
        let e = load_bars(&[f], &LoadOptions::default()).unwrap_err();
        assert!(matches!(e, Error::Unsorted { .. }) && e.to_string().contains("duplicate"), "{e}");
        let f = write(dir.path(), "uns.csv", &format!("{head}2020-01-03,A,1,1,1,1,,5\n2020-01-02,A,1,1,1,1,,5\n"));
        assert!(load_bars(&[f], &LoadOptions::default()).unwrap_err().to_string().contains("out of order"));
        let f = write(dir.path(), "nocol.csv", "date,ticker,open,high,low,volume\n");
        assert!(load_bars(&[f], &LoadOptions::default()).unwrap_err().to_string().contains("no `close` column"));
    }

    #[test]
    fn ticker_filter_and_adj_close() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            dir.path(),
            "b.csv",
            "date,ticker,open,high,low,close,adj_close,volume\n2020-01-02,A,10,12,8,10,5,1\n2020-01-02,B,1,1,1,1,,1\n",
        );
        let opts = LoadOptions { tickers: Some(["A".to_string()].into()), ..Default::default() };
        let s = load_bars(&[f], &opts).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].open[0], s[0].high[0], s[0].low[0], s[0].close[0]), (5.0, 6.0, 4.0, 5.0));
    }
}
