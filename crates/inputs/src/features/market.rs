//! Market features: the equal-weighted universe's daily return and its 20-day volatility. The
//! original project appended SPY's to each window as an ablation; our data has no index series, so
//! the universe stands in for it (`docs/specs/direction.md`). A row of day t reads the universe's
//! bars up to and including t only.

use super::{RETURN_LOOKBACK, sample_std};
use crate::bars::AsBars;
use crate::date::Date;
use crate::error::{Location, Result};

pub const N_MARKET_FEATURES: usize = 2;

/// Market feature names in model-input order; they follow the 13 stock features in a window row.
pub const MARKET_FEATURE_NAMES: [&str; N_MARKET_FEATURES] = ["market_return", "market_volatility_20"];

/// One day's market features.
pub type MarketRow = [f64; N_MARKET_FEATURES];

/// The market features of every day on which some stock of the universe has a daily return.
#[derive(Debug, Clone, PartialEq)]
pub struct Market {
    dates: Vec<Date>,
    rows: Vec<MarketRow>,
}

impl Market {
    /// From the universe's bars: market_return of day t is the mean of the daily returns (close
    /// over the stock's previous close) of the stocks with a bar on t and one before it;
    /// market_volatility_20 is the sample std of the last 20 market returns (NaN before 20 days).
    /// Bars are checked as the features check them.
    pub fn equal_weighted<S: AsBars>(stocks: &[S]) -> Result<Market> {
        let mut returns: Vec<(Date, f64)> = Vec::new();
        for (i, stock) in stocks.iter().enumerate() {
            let name = format!("stock #{i}");
            let bars = stock.as_bars().map_err(|e| e.for_stock(&name))?;
            let n = bars.checked_len()?;
            let mut prev: Option<(Date, f64)> = None;
            for t in 0..n {
                let bar = bars.bar(t).map_err(|e| e.for_stock(&name))?;
                bar.check_next(prev.map(|p| p.0), || Location {
                    ticker: Some(name.clone()),
                    date: Some(bar.date.to_string()),
                    ..Default::default()
                })?;
                if let Some((_, close)) = prev {
                    returns.push((bar.date, bar.close / close - 1.0));
                }
                prev = Some((bar.date, bar.close));
            }
        }
        // Stable: a day's returns are summed in stock order, whatever later days hold.
        returns.sort_by_key(|r| r.0);
        let mut dates = Vec::new();
        let mut means: Vec<f64> = Vec::new();
        for day in returns.chunk_by(|a, b| a.0 == b.0) {
            dates.push(day[0].0);
            means.push(day.iter().map(|r| r.1).sum::<f64>() / day.len() as f64);
        }
        let rows = (0..means.len())
            .map(|i| {
                let vol = if i + 1 >= RETURN_LOOKBACK { sample_std(&means[i + 1 - RETURN_LOOKBACK..=i]) } else { f64::NAN };
                [means[i], vol]
            })
            .collect();
        Ok(Market { dates, rows })
    }

    /// The features of `date`; None when no stock of the universe had a return that day.
    pub fn at(&self, date: Date) -> Option<&MarketRow> {
        self.dates.binary_search(&date).ok().map(|i| &self.rows[i])
    }

    pub fn dates(&self) -> &[Date] {
        &self.dates
    }

    pub fn rows(&self) -> &[MarketRow] {
        &self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bars::BarSeries;
    use crate::bars::synthetic::business_days;
    use crate::error::Error;

    fn series(ticker: &str, dates: &[Date], close: &[f64]) -> BarSeries {
        let n = close.len();
        BarSeries::new(ticker, dates.to_vec(), close.to_vec(), close.to_vec(), close.to_vec(), close.to_vec(), vec![1.0; n]).unwrap()
    }

    /// The mean over the stocks that have a return that day (a stock missing a day contributes
    /// its return over the gap on its next day), and the std of the last 20 means.
    #[test]
    fn equal_weighted_returns_and_volatility() {
        let days = business_days(Date::parse("2020-01-01").unwrap(), 25);
        let a_close: Vec<f64> = (0..25).map(|i| 100.0 * (1.0 + 0.01 * (i as f64).sin())).collect();
        let b_close: Vec<f64> = (0..25).map(|i| 50.0 + i as f64).collect();
        // b lacks day 3.
        let (b_dates, b_close): (Vec<Date>, Vec<f64>) = days.iter().copied().zip(b_close).filter(|(d, _)| *d != days[3]).unzip();
        let m = Market::equal_weighted(&[series("A", &days, &a_close), series("B", &b_dates, &b_close)]).unwrap();
        assert_eq!(m.dates(), &days[1..]);
        let ra = |t: usize| a_close[t] / a_close[t - 1] - 1.0;
        assert_eq!(m.at(days[3]).unwrap()[0], ra(3));
        assert_eq!(m.at(days[4]).unwrap()[0], (ra(4) + (54.0 / 52.0 - 1.0)) / 2.0);
        assert_eq!(m.at(days[2]).unwrap()[0], (ra(2) + (52.0 / 51.0 - 1.0)) / 2.0);
        assert!(m.at(days[0]).is_none());
        // 20 market returns exist from day 20 on.
        assert!(m.at(days[19]).unwrap()[1].is_nan());
        let last20: Vec<f64> = (5..25).map(|t| m.at(days[t]).unwrap()[0]).collect();
        let mean = last20.iter().sum::<f64>() / 20.0;
        let std = (last20.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / 19.0).sqrt();
        assert!((m.at(days[24]).unwrap()[1] - std).abs() < 1e-15);
    }

    #[test]
    fn bad_bars_are_errors_that_name_the_stock() {
        let days = business_days(Date::parse("2020-01-01").unwrap(), 3);
        let good = series("A", &days, &[1.0, 2.0, 3.0]);
        let mut bad = crate::bars::BarsRef::from(&good);
        let close = [1.0, -2.0, 3.0];
        bad.close = &close;
        let e = Market::equal_weighted(&[crate::bars::BarsRef::from(&good), bad]).unwrap_err();
        assert!(matches!(e, Error::InvalidBar { .. }) && e.to_string().contains("stock #1"), "{e}");
        let swapped = [days[0], days[2], days[1]];
        let mut unsorted = crate::bars::BarsRef::from(&good);
        unsorted.dates = crate::bars::Dates::Days(&swapped);
        assert!(matches!(Market::equal_weighted(&[unsorted]).unwrap_err(), Error::Unsorted { .. }));
    }
}
