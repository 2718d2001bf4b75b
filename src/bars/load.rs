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
    let series = load_bars(&bar_files, opts)?;
    let industries = load_industries(&dir.join("industries.csv"))?;
    Ok(Universe { series, industries })
}

/// One file's series with the line number of each bar (for errors found when joining files).
type FileSeries = Vec<(BarSeries, Vec<u64>)>;

/// Loads bar files (one thread per file) and joins them in the order given: a ticker's bars in a
/// later file must come after its bars in an earlier one. Returns the series sorted by ticker.
pub fn load_bars(files: &[PathBuf], opts: &LoadOptions) -> Result<Vec<BarSeries>> {
    let parts: Vec<Result<FileSeries>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files.iter().map(|f| scope.spawn(move || load_bar_file(f, opts))).collect();
        handles.into_iter().map(|h| h.join().expect("loader thread panicked")).collect()
    });
    let mut by_ticker: HashMap<String, BarSeries> = HashMap::new();
    for (file, part) in files.iter().zip(parts) {
        for (s, lines) in part? {
            match by_ticker.get_mut(&s.ticker) {
                None => {
                    by_ticker.insert(s.ticker.clone(), s);
                }
                Some(acc) => {
                    for (i, &line) in lines.iter().enumerate() {
                        let bar = s.bar(i);
                        if let Some(&last) = acc.dates.last()
                            && bar.date <= last
                        {
                            let at = Location {
                                file: Some(file.clone()),
                                line: Some(line),
                                ticker: Some(s.ticker.clone()),
                                date: Some(bar.date.to_string()),
                            };
                            let what = format!("date not after the same ticker's {last} in an earlier file");
                            return Err(Error::Unsorted { at, what });
                        }
                        acc.push_unchecked(bar);
                    }
                }
            }
        }
    }
    let mut series: Vec<BarSeries> = by_ticker.into_values().collect();
    series.sort_by(|a, b| a.ticker.cmp(&b.ticker));
    Ok(series)
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
fn load_bar_file(path: &Path, opts: &LoadOptions) -> Result<FileSeries> {
    // Names and cells padded with spaces ("date, ticker") are read as written without them.
    let mut reader = csv::ReaderBuilder::new().has_headers(true).trim(csv::Trim::All).from_reader(open_maybe_gzip(path)?);
    let csv_err = |e: csv::Error| {
        let line = e.position().map(|p| p.line());
        Error::parse(Location { file: Some(path.to_path_buf()), line, ..Default::default() }, e.to_string())
    };
    let cols = Columns::from_header(&reader.byte_headers().map_err(csv_err)?.clone(), path)?;

    let mut out: Vec<(BarSeries, Vec<u64>)> = Vec::new();
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
            let factor = adj / bar.close;
            bar.open *= factor;
            bar.high *= factor;
            bar.low *= factor;
            bar.close = adj;
        }
        let (series, lines) = &mut out[slot];
        bar.check_next(series.dates.last().copied(), || at(Some(date_field)))?;
        series.push_unchecked(bar);
        lines.push(line);
    }
    Ok(out)
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
        enc.write_all(text.replace("2020-01-0", "2021-01-0").as_bytes()).unwrap();
        enc.finish().unwrap();
        let series = load_bars(&[plain, gz], &LoadOptions::default()).unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].ticker, "A");
        assert_eq!(series[0].len(), 4);
        assert_eq!(series[0].close, vec![1.0, 1.1, 1.0, 1.1]);
        assert_eq!(series[1].volume, vec![10.0, 10.0]);
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
        let opts = LoadOptions { tickers: Some(["A".to_string()].into()) };
        let s = load_bars(&[f], &opts).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].open[0], s[0].high[0], s[0].low[0], s[0].close[0]), (5.0, 6.0, 4.0, 5.0));
    }
}
