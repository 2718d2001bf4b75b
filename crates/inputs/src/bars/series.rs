//! One ticker's daily bars, stored as a structure of arrays (the layout the C ABI takes).

use crate::date::Date;
use crate::error::{Error, Location, Result};

/// One daily bar, for code that receives bars one at a time (the incremental features).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub date: Date,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

/// The smallest and largest price a bar may have: far outside any traded share price (the shared
/// data runs 0.198 to 9965), so that a unit slip or a corrupted value is refused instead of moving
/// the features by orders of magnitude.
pub const PRICE_RANGE: (f64, f64) = (1e-6, 1e9);
/// The largest volume a bar may have (the shared data's largest is 3.7e9 shares).
pub const MAX_VOLUME: f64 = 1e15;
/// How far outside [low, high] a close may lie, relative to high: rounding only (1082 closes of the
/// shared data lie outside by one unit in the last place, 2.2e-16).
pub const CLOSE_TOLERANCE: f64 = 1e-9;
/// How far outside [low, high] an open may lie, relative to high: an opening print can fall just
/// outside the day's consolidated range (one open of the shared data, HUBB on 2021-05-05, lies
/// 0.116% below its low).
pub const OPEN_TOLERANCE: f64 = 5e-3;

impl Bar {
    /// Checks that the bar could be real: a weekday; finite prices within [`PRICE_RANGE`];
    /// high >= low; open and close within [low, high] (up to [`OPEN_TOLERANCE`] and
    /// [`CLOSE_TOLERANCE`]); a finite volume from 0 to [`MAX_VOLUME`]. Returns a message naming
    /// the first problem.
    pub fn problem(&self) -> Option<String> {
        if self.date.is_weekend() {
            return Some(format!("{} is a {}: markets do not trade on weekends", self.date, self.date.weekday_name()));
        }
        let (min, max) = PRICE_RANGE;
        for (name, v) in [("open", self.open), ("high", self.high), ("low", self.low), ("close", self.close)] {
            if !v.is_finite() {
                return Some(format!("{name} is not a finite number ({v})"));
            }
            if v <= 0.0 {
                return Some(format!("{name} must be positive, got {v}"));
            }
            if !(min..=max).contains(&v) {
                return Some(format!("{name} {v:e} is not a plausible price (accepted: {min:e} to {max:e})"));
            }
        }
        if self.high < self.low {
            return Some(format!("high {} is below low {}", self.high, self.low));
        }
        for (name, v, tolerance) in [("open", self.open, OPEN_TOLERANCE), ("close", self.close, CLOSE_TOLERANCE)] {
            let slack = tolerance * self.high;
            if v > self.high + slack {
                return Some(format!("{name} {v} is above high {}", self.high));
            }
            if v < self.low - slack {
                return Some(format!("{name} {v} is below low {}", self.low));
            }
        }
        if !self.volume.is_finite() {
            return Some(format!("volume is not a finite number ({})", self.volume));
        }
        if self.volume < 0.0 {
            return Some(format!("volume must not be negative, got {}", self.volume));
        }
        if self.volume > MAX_VOLUME {
            return Some(format!("volume {:e} is not a plausible volume (accepted: 0 to {MAX_VOLUME:e})", self.volume));
        }
        None
    }

    /// The rule for a stream of one stock's bars: the bar could be real ([`problem`](Self::problem))
    /// and its date comes after `last`, the previous bar's. `at` locates the bar in the error.
    pub fn check_next(&self, last: Option<Date>, at: impl Fn() -> Location) -> Result<()> {
        if let Some(what) = self.problem() {
            return Err(Error::invalid_bar(at(), what));
        }
        if let Some(what) = last.and_then(|last| date_order_problem(last, self.date)) {
            return Err(Error::Unsorted { at: at(), what });
        }
        Ok(())
    }
}

/// What is wrong with `next` following `prev` in one stock's bars, if anything: the one rule for
/// date order (strictly increasing) of the series, the incremental features and the loader.
pub(crate) fn date_order_problem(prev: Date, next: Date) -> Option<String> {
    match next.cmp(&prev) {
        std::cmp::Ordering::Greater => None,
        std::cmp::Ordering::Equal => Some(format!("duplicate date {next}")),
        std::cmp::Ordering::Less => Some(format!("date out of order: {next} comes after {prev}")),
    }
}

/// A ticker's bars in date order, one column per field. Construct with [`BarSeries::new`] (validates)
/// or push bars with [`BarSeries::push`] (validates each bar and the date order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BarSeries {
    pub ticker: String,
    pub dates: Vec<Date>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
}

impl BarSeries {
    pub fn empty(ticker: impl Into<String>) -> Self {
        BarSeries { ticker: ticker.into(), ..Default::default() }
    }

    /// Builds a series from columns, checking lengths, every bar and the date order.
    pub fn new(
        ticker: impl Into<String>,
        dates: Vec<Date>,
        open: Vec<f64>,
        high: Vec<f64>,
        low: Vec<f64>,
        close: Vec<f64>,
        volume: Vec<f64>,
    ) -> Result<Self> {
        let s = BarSeries { ticker: ticker.into(), dates, open, high, low, close, volume };
        s.validate()?;
        Ok(s)
    }

    pub fn len(&self) -> usize {
        self.dates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    pub fn bar(&self, i: usize) -> Bar {
        Bar { date: self.dates[i], open: self.open[i], high: self.high[i], low: self.low[i], close: self.close[i], volume: self.volume[i] }
    }

    /// Appends one bar after checking it and that its date is after the last one.
    pub fn push(&mut self, bar: Bar) -> Result<()> {
        self.check_next(&bar, self.len())?;
        self.push_unchecked(bar);
        Ok(())
    }

    pub(crate) fn push_unchecked(&mut self, bar: Bar) {
        self.dates.push(bar.date);
        self.open.push(bar.open);
        self.high.push(bar.high);
        self.low.push(bar.low);
        self.close.push(bar.close);
        self.volume.push(bar.volume);
    }

    /// Checks column lengths, every bar, and strictly increasing dates.
    pub fn validate(&self) -> Result<()> {
        let n = self.dates.len();
        for (name, col) in
            [("open", &self.open), ("high", &self.high), ("low", &self.low), ("close", &self.close), ("volume", &self.volume)]
        {
            if col.len() != n {
                return Err(Error::Shape { what: format!("ticker {}: {} dates but {} {name} values", self.ticker, n, col.len()) });
            }
        }
        for i in 0..n {
            let bar = self.bar(i);
            if let Some(what) = bar.problem() {
                return Err(Error::invalid_bar(self.location(i), what));
            }
            if i > 0 {
                self.check_order(self.dates[i - 1], bar.date, i)?;
            }
        }
        Ok(())
    }

    fn check_next(&self, bar: &Bar, index: usize) -> Result<()> {
        if let Some(what) = bar.problem() {
            return Err(Error::invalid_bar(self.location_of(bar.date), what));
        }
        if let Some(&last) = self.dates.last() {
            self.check_order(last, bar.date, index)?;
        }
        Ok(())
    }

    fn check_order(&self, prev: Date, next: Date, index: usize) -> Result<()> {
        match date_order_problem(prev, next) {
            None => Ok(()),
            Some(problem) => Err(Error::Unsorted { at: self.location_of(next), what: format!("{problem} (bar {index})") }),
        }
    }

    fn location(&self, i: usize) -> Location {
        self.location_of(self.dates[i])
    }

    fn location_of(&self, date: Date) -> Location {
        Location { ticker: Some(self.ticker.clone()), date: Some(date.to_string()), ..Default::default() }
    }

    /// Index of the last bar dated on or before `date`.
    pub fn index_at_or_before(&self, date: Date) -> Option<usize> {
        self.dates.partition_point(|&d| d <= date).checked_sub(1)
    }

    /// The bars up to and including index `end` (a prefix: what was known at the close of that day).
    pub fn prefix(&self, end_inclusive: usize) -> BarSeries {
        self.first(end_inclusive + 1)
    }

    /// The bars dated before `date`: what was known before that day's bars (possibly none).
    pub fn before(&self, date: Date) -> BarSeries {
        self.first(self.dates.partition_point(|&d| d < date))
    }

    /// The first `k` bars.
    fn first(&self, k: usize) -> BarSeries {
        BarSeries {
            ticker: self.ticker.clone(),
            dates: self.dates[..k].to_vec(),
            open: self.open[..k].to_vec(),
            high: self.high[..k].to_vec(),
            low: self.low[..k].to_vec(),
            close: self.close[..k].to_vec(),
            volume: self.volume[..k].to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn series(dates: &[&str], close: &[f64]) -> Result<BarSeries> {
        let n = dates.len();
        BarSeries::new(
            "T",
            dates.iter().map(|s| d(s)).collect(),
            close.to_vec(),
            close.iter().map(|c| c * 1.01).collect(),
            close.iter().map(|c| c * 0.99).collect(),
            close.to_vec(),
            vec![100.0; n],
        )
    }

    #[test]
    fn rejects_bad_bars_with_a_message_naming_them() {
        let e = series(&["2020-01-02", "2020-01-03"], &[1.0, f64::NAN]).unwrap_err();
        assert!(matches!(e, Error::InvalidBar { .. }), "{e}");
        assert!(e.to_string().contains("ticker T, date 2020-01-03"), "{e}");
        let e = series(&["2020-01-02"], &[-1.0]).unwrap_err();
        assert!(e.to_string().contains("must be positive"), "{e}");
        let e = series(&["2020-01-02"], &[0.0]).unwrap_err();
        assert!(e.to_string().contains("must be positive"), "{e}");
        let mut s = series(&["2020-01-02"], &[1.0]).unwrap();
        s.high[0] = 0.5;
        assert!(s.validate().unwrap_err().to_string().contains("below low"));
        let mut s = series(&["2020-01-02"], &[1.0]).unwrap();
        s.volume[0] = -3.0;
        assert!(s.validate().unwrap_err().to_string().contains("volume must not be negative"));
    }

    /// Bars that parse and pass the old checks but cannot be real: a weekend date, open or close
    /// outside [low, high], prices or volumes of absurd magnitude. Rounding and an opening print
    /// just outside the range (as the shared data holds) pass.
    #[test]
    fn rejects_implausible_bars_and_keeps_rounding() {
        let ok = Bar { date: d("2024-12-27"), open: 10.0, high: 11.0, low: 9.0, close: 10.5, volume: 1e6 };
        assert_eq!(ok.problem(), None);
        let cases = [
            (Bar { date: d("2024-12-28"), ..ok }, "2024-12-28 is a Saturday"),
            (Bar { date: d("2024-12-29"), ..ok }, "2024-12-29 is a Sunday"),
            (Bar { close: 11.5, ..ok }, "close 11.5 is above high 11"),
            (Bar { close: 8.5, ..ok }, "close 8.5 is below low 9"),
            (Bar { open: 12.0, ..ok }, "open 12 is above high 11"),
            (Bar { open: 8.0, ..ok }, "open 8 is below low 9"),
            (Bar { high: 1e308, ..ok }, "high 1e308 is not a plausible price"),
            (Bar { open: 2e9, high: 2e9, low: 2e9, close: 2e9, ..ok }, "open 2e9 is not a plausible price"),
            (Bar { close: 1e-300, low: 1e-300, ..ok }, "low 1e-300 is not a plausible price"),
            (Bar { volume: 1e16, ..ok }, "volume 1e16 is not a plausible volume"),
        ];
        for (bar, says) in cases {
            let got = bar.problem();
            assert!(got.as_deref().is_some_and(|p| p.contains(says)), "{bar:?}: {got:?}, expected {says:?}");
        }
        let rounded = Bar { close: 11.0 * (1.0 + 2.2e-16), ..ok };
        assert_eq!(rounded.problem(), None, "one unit in the last place above high");
        let opening_print = Bar { open: 9.0 * (1.0 - 0.00116), ..ok };
        assert_eq!(opening_print.problem(), None, "an open 0.116% below low");
        let edges = Bar { open: 1e-6, high: 1e9, low: 1e-6, close: 1e9, volume: 1e15, ..ok };
        assert_eq!(edges.problem(), None, "the bounds themselves are accepted");
    }

    #[test]
    fn a_series_before_a_date_holds_the_earlier_bars_only() {
        let s = series(&["2020-01-02", "2020-01-03", "2020-01-07"], &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.before(d("2020-01-03")).close, vec![1.0]);
        assert_eq!(s.before(d("2020-01-06")).dates, vec![d("2020-01-02"), d("2020-01-03")]);
        assert!(s.before(d("2020-01-02")).is_empty());
        assert_eq!(s.before(d("2021-01-01")).close, s.close);
        assert_eq!(s.prefix(1).close, vec![1.0, 2.0]);
    }

    #[test]
    fn rejects_unsorted_and_duplicate_dates() {
        let e = series(&["2020-01-03", "2020-01-02"], &[1.0, 1.0]).unwrap_err();
        assert!(matches!(e, Error::Unsorted { .. }) && e.to_string().contains("out of order"), "{e}");
        let e = series(&["2020-01-03", "2020-01-03"], &[1.0, 1.0]).unwrap_err();
        assert!(e.to_string().contains("duplicate date"), "{e}");
        let mut s = series(&["2020-01-03"], &[1.0]).unwrap();
        let mut b = s.bar(0);
        assert!(s.push(b).is_err());
        b.date = d("2020-01-06");
        s.push(b).unwrap();
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn rejects_mismatched_columns() {
        let mut s = series(&["2020-01-02"], &[1.0]).unwrap();
        s.volume.push(1.0);
        assert!(matches!(s.validate().unwrap_err(), Error::Shape { .. }));
    }
}
