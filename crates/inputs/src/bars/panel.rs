//! A panel: a universe of tickers on one trading calendar, with explicit missing values (a ticker
//! not yet listed, or not trading that day).

use super::{Bar, BarSeries};
use crate::date::Date;

/// Tickers x trading days. Values are stored ticker-major (`[ticker * n_days + day]`), so one
/// ticker's history is contiguous; `present` says which cells hold a bar.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Panel {
    pub tickers: Vec<String>,
    pub calendar: Vec<Date>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
    pub present: Vec<bool>,
}

impl Clone for Panel {
    fn clone(&self) -> Self {
        let mut p = Panel::default();
        p.clone_from(self);
        p
    }

    /// Field by field, reusing this panel's buffers: a live universe copies its trailing panel on
    /// every push.
    fn clone_from(&mut self, other: &Self) {
        self.tickers.clone_from(&other.tickers);
        self.calendar.clone_from(&other.calendar);
        self.open.clone_from(&other.open);
        self.high.clone_from(&other.high);
        self.low.clone_from(&other.low);
        self.close.clone_from(&other.close);
        self.volume.clone_from(&other.volume);
        self.present.clone_from(&other.present);
    }
}

/// "FIRST to LAST" of a universe's bars, for messages ("nowhere: no bars" without any).
pub fn date_span(series: &[BarSeries]) -> String {
    let first = series.iter().filter_map(|s| s.dates.first()).min();
    let last = series.iter().filter_map(|s| s.dates.last()).max();
    match (first, last) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "nowhere: no bars".into(),
    }
}

/// The trading calendar of a universe: every date on which any of its stocks has a bar, sorted.
pub fn trading_calendar(series: &[BarSeries]) -> Vec<Date> {
    let mut calendar: Vec<Date> = series.iter().flat_map(|s| s.dates.iter().copied()).collect();
    calendar.sort_unstable();
    calendar.dedup();
    calendar
}

impl Panel {
    /// Puts (already validated) series on the union of their dates. Missing cells hold NaN and
    /// `present = false`.
    pub fn from_series(series: &[BarSeries]) -> Panel {
        let calendar = trading_calendar(series);
        let (nt, nd) = (series.len(), calendar.len());
        let mut p = Panel {
            tickers: series.iter().map(|s| s.ticker.clone()).collect(),
            open: vec![f64::NAN; nt * nd],
            high: vec![f64::NAN; nt * nd],
            low: vec![f64::NAN; nt * nd],
            close: vec![f64::NAN; nt * nd],
            volume: vec![f64::NAN; nt * nd],
            present: vec![false; nt * nd],
            calendar,
        };
        for (ti, s) in series.iter().enumerate() {
            // Both date lists are sorted: walk them together.
            let mut day = 0;
            for i in 0..s.len() {
                while p.calendar[day] < s.dates[i] {
                    day += 1;
                }
                let k = ti * nd + day;
                p.open[k] = s.open[i];
                p.high[k] = s.high[i];
                p.low[k] = s.low[i];
                p.close[k] = s.close[i];
                p.volume[k] = s.volume[i];
                p.present[k] = true;
            }
        }
        p
    }

    pub fn n_tickers(&self) -> usize {
        self.tickers.len()
    }

    pub fn n_days(&self) -> usize {
        self.calendar.len()
    }

    /// The bar of ticker `t` on day `d`, or None where it is missing.
    pub fn bar(&self, t: usize, d: usize) -> Option<Bar> {
        let k = t * self.n_days() + d;
        self.present[k].then(|| Bar {
            date: self.calendar[d],
            open: self.open[k],
            high: self.high[k],
            low: self.low[k],
            close: self.close[k],
            volume: self.volume[k],
        })
    }

    /// An empty panel of `tickers` (no days yet), to be grown by [`push_trailing`](Self::push_trailing).
    pub fn empty(tickers: Vec<String>) -> Panel {
        Panel { tickers, ..Default::default() }
    }

    /// Appends a day (`bars[t]`: ticker t's bar, or None where it has none), keeping the last
    /// `keep` days only: what a universe that advances a day at a time holds to compute a day's
    /// inputs with the same functions the whole-history calls use. The caller checks the bars.
    pub fn push_trailing(&mut self, date: Date, bars: &[Option<Bar>], keep: usize) {
        debug_assert_eq!(bars.len(), self.n_tickers());
        let (n, old) = (self.tickers.len(), self.n_days());
        let drop = old >= keep;
        let value = |f: fn(&Bar) -> f64| move |t: usize| bars[t].as_ref().map_or(f64::NAN, f);
        roll(&mut self.open, n, old, drop, value(|b| b.open));
        roll(&mut self.high, n, old, drop, value(|b| b.high));
        roll(&mut self.low, n, old, drop, value(|b| b.low));
        roll(&mut self.close, n, old, drop, value(|b| b.close));
        roll(&mut self.volume, n, old, drop, value(|b| b.volume));
        roll(&mut self.present, n, old, drop, |t| bars[t].is_some());
        if drop {
            self.calendar.remove(0);
        }
        self.calendar.push(date);
    }

    /// Index of a trading day in the calendar.
    pub fn day_index(&self, date: Date) -> Option<usize> {
        self.calendar.binary_search(&date).ok()
    }

    /// One ticker's closes over the whole calendar (NaN where missing).
    pub fn close_of(&self, t: usize) -> &[f64] {
        &self.close[t * self.n_days()..(t + 1) * self.n_days()]
    }

    /// One ticker's opens over the whole calendar (NaN where missing).
    pub fn open_of(&self, t: usize) -> &[f64] {
        &self.open[t * self.n_days()..(t + 1) * self.n_days()]
    }
}

/// One ticker-major column of `n` tickers x `old` days gains a day (`day(t)` for ticker t): the
/// oldest day dropped when `drop`, else every row widened by one.
fn roll<T: Copy + Default>(col: &mut Vec<T>, n: usize, old: usize, drop: bool, day: impl Fn(usize) -> T) {
    let new = if drop { old } else { old + 1 };
    if drop {
        for t in 0..n {
            col.copy_within(t * old + 1..(t + 1) * old, t * new);
        }
    } else {
        col.resize(n * new, T::default());
        // Rows move to their wider places, the last ticker first.
        for t in (0..n).rev() {
            col.copy_within(t * old..(t + 1) * old, t * new);
        }
    }
    for t in 0..n {
        col[t * new + new - 1] = day(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_cells_are_explicit() {
        let d = |s: &str| Date::parse(s).unwrap();
        let mk = |t: &str, dates: &[&str]| {
            let n = dates.len();
            BarSeries::new(t, dates.iter().map(|s| d(s)).collect(), vec![1.0; n], vec![2.0; n], vec![0.5; n], vec![1.5; n], vec![9.0; n])
                .unwrap()
        };
        let p = Panel::from_series(&[mk("A", &["2020-01-02", "2020-01-06"]), mk("B", &["2020-01-03", "2020-01-06"])]);
        assert_eq!(p.calendar, [d("2020-01-02"), d("2020-01-03"), d("2020-01-06")]);
        assert!(p.bar(0, 1).is_none());
        assert!(p.bar(1, 0).is_none());
        assert_eq!(p.bar(1, 2).unwrap().close, 1.5);
        assert!(p.close_of(0)[1].is_nan());
        assert_eq!(p.day_index(d("2020-01-06")), Some(2));
    }

    /// A panel grown a day at a time, keeping the last two days, holds what the whole panel holds
    /// on those days.
    #[test]
    fn a_trailing_panel_is_the_tail_of_the_whole_one() {
        let d = |s: &str| Date::parse(s).unwrap();
        let bar = |date: &str, c: f64| Some(Bar { date: d(date), open: c, high: c + 1.0, low: c - 0.5, close: c, volume: 10.0 * c });
        let days = [
            ("2020-01-02", [bar("2020-01-02", 1.0), None]),
            ("2020-01-03", [bar("2020-01-03", 2.0), bar("2020-01-03", 5.0)]),
            ("2020-01-06", [None, bar("2020-01-06", 6.0)]),
        ];
        let mut p = Panel::empty(vec!["A".into(), "B".into()]);
        for (k, (date, bars)) in days.iter().enumerate() {
            p.push_trailing(d(date), bars, 2);
            assert_eq!(p.n_days(), (k + 1).min(2));
        }
        assert_eq!(p.calendar, [d("2020-01-03"), d("2020-01-06")]);
        assert_eq!(p.bar(0, 0).unwrap().close, 2.0);
        assert!(p.bar(0, 1).is_none());
        assert_eq!(p.bar(1, 0).unwrap().volume, 50.0);
        assert_eq!(p.bar(1, 1).unwrap().high, 7.0);
    }
}
