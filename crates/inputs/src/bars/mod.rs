//! Raw daily bars: one ticker's series, a universe of them on one calendar (the panel), the industry
//! table, loading from CSV, and a synthetic market for tests and demos.

mod bars_ref;
mod industries;
mod load;
mod panel;
mod series;
#[cfg(feature = "synthetic")]
pub mod synthetic;

pub use bars_ref::{AsBars, BarsRef, Dates};
pub use industries::{Industries, IndustryRow};
pub use load::{BadBarPolicy, LoadNote, LoadOptions, load_bars, load_bars_noted, load_dataset_dir, load_industries, read_bars};
pub use panel::{Panel, date_span, trading_calendar};
pub use series::{Bar, BarSeries};

/// A loaded data set: every ticker's series (sorted by ticker) and the industry table.
#[derive(Debug, Clone, Default)]
pub struct Universe {
    pub series: Vec<BarSeries>,
    pub industries: Industries,
    /// Bar rows the loader dropped or repaired under a skip or repair policy
    /// ([`LoadOptions::on_bad_bar`]); empty under the default, which fails instead.
    pub load_notes: Vec<LoadNote>,
}

impl Universe {
    /// The series of `ticker`, if loaded.
    pub fn get(&self, ticker: &str) -> Option<&BarSeries> {
        self.series.binary_search_by(|s| s.ticker.as_str().cmp(ticker)).ok().map(|i| &self.series[i])
    }

    /// Total number of bars over all tickers.
    pub fn n_bars(&self) -> usize {
        self.series.iter().map(BarSeries::len).sum()
    }
}
