//! Bars borrowed from the caller (as the C ABI and the Python binding hand them over: one array per
//! field) or from a [`BarSeries`]: what the calls, the features and the relations read.

use super::{Bar, BarSeries};
use crate::date::Date;
use crate::error::{Error, Location, Result};

/// Dates as the library stores them, or as `YYYYMMDD` integers (the C ABI's form).
#[derive(Debug, Clone, Copy)]
pub enum Dates<'a> {
    Days(&'a [Date]),
    Yyyymmdd(&'a [i32]),
}

impl Dates<'_> {
    pub fn len(&self) -> usize {
        match self {
            Dates::Days(d) => d.len(),
            Dates::Yyyymmdd(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The i-th date; a `YYYYMMDD` that is not a date is an error.
    pub fn get(&self, i: usize) -> Result<Date> {
        match self {
            Dates::Days(d) => Ok(d[i]),
            Dates::Yyyymmdd(d) => {
                let v = d[i];
                Date::from_yyyymmdd(v)
                    .ok_or_else(|| Error::parse(Location { date: Some(v.to_string()), ..Default::default() }, "not a YYYYMMDD date"))
            }
        }
    }
}

/// One stock's bars in date order, borrowed. Only the trailing bars a call needs are read.
#[derive(Debug, Clone, Copy)]
pub struct BarsRef<'a> {
    pub dates: Dates<'a>,
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    pub volume: &'a [f64],
}

/// Anything that can lend one stock's bars: `BarsRef`, `BarSeries`, the C ABI's `trendcast_bars`.
/// The calls take slices of these, so no caller has to build a list of views first.
pub trait AsBars {
    fn as_bars(&self) -> Result<BarsRef<'_>>;
}

impl AsBars for BarsRef<'_> {
    fn as_bars(&self) -> Result<BarsRef<'_>> {
        Ok(*self)
    }
}

impl AsBars for BarSeries {
    fn as_bars(&self) -> Result<BarsRef<'_>> {
        Ok(BarsRef::from(self))
    }
}

impl<'a> From<&'a BarSeries> for BarsRef<'a> {
    fn from(s: &'a BarSeries) -> Self {
        BarsRef { dates: Dates::Days(&s.dates), open: &s.open, high: &s.high, low: &s.low, close: &s.close, volume: &s.volume }
    }
}

impl<'a> BarsRef<'a> {
    /// The bars up to and including index `end`: what was known at the close of that day.
    pub fn prefix(self, end: usize) -> BarsRef<'a> {
        let k = end + 1;
        let dates = match self.dates {
            Dates::Days(d) => Dates::Days(&d[..k]),
            Dates::Yyyymmdd(d) => Dates::Yyyymmdd(&d[..k]),
        };
        BarsRef {
            dates,
            open: &self.open[..k],
            high: &self.high[..k],
            low: &self.low[..k],
            close: &self.close[..k],
            volume: &self.volume[..k],
        }
    }

    /// Number of bars, after checking that every column has it.
    pub fn checked_len(&self) -> Result<usize> {
        let n = self.dates.len();
        for (name, len) in [
            ("open", self.open.len()),
            ("high", self.high.len()),
            ("low", self.low.len()),
            ("close", self.close.len()),
            ("volume", self.volume.len()),
        ] {
            if len != n {
                return Err(Error::shape(format!("{n} dates but {len} {name} values")));
            }
        }
        Ok(n)
    }

    pub fn bar(&self, i: usize) -> Result<Bar> {
        Ok(Bar {
            date: self.dates.get(i)?,
            open: self.open[i],
            high: self.high[i],
            low: self.low[i],
            close: self.close[i],
            volume: self.volume[i],
        })
    }
}
