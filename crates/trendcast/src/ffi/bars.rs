//! Bars as C hands them over: one array per field (structure of arrays), caller-owned.

use super::guard::slice_or_empty;
use crate::bars::{AsBars, BarsRef, Dates};
use crate::error::Result;

/// One stock's daily bars, oldest first, as six caller-owned arrays of `len` values each.
///
/// Ownership: borrowed for the duration of the call that receives it; the library keeps no
/// pointer. A direction call reads only the trailing bars a model needs (see
/// trendcast_model_min_bars), unless a day of its window has a feature that is not finite (after a
/// zero volume): then it reads earlier bars too, skipping that day as training did. A ranking
/// call reads every bar. The bars read must be plausible (else an invalid-bar error names the
/// first one): dates on weekdays, strictly increasing; prices from 1e-6 to 1e9, high >= low, open
/// and close within [low, high] (an open up to 0.5% of high outside it, a close only by rounding);
/// volume from 0 to 1e15.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct trendcast_bars {
    /// Trading dates as YYYYMMDD integers (20241231), strictly increasing.
    pub dates: *const i32,
    pub open: *const f64,
    pub high: *const f64,
    pub low: *const f64,
    /// Close, adjusted for splits and dividends as the model's training data was.
    pub close: *const f64,
    pub volume: *const f64,
    /// Number of bars in each array.
    pub len: usize,
}

impl trendcast_bars {
    /// A view of a series' bars, as a C caller would pass them, with its dates already written as
    /// YYYYMMDD in `dates` (one per bar): for Rust code that calls the C ABI (tests, benches).
    pub fn of_series(s: &crate::bars::BarSeries, dates: &[i32]) -> trendcast_bars {
        assert_eq!(dates.len(), s.len(), "one YYYYMMDD date per bar");
        trendcast_bars {
            dates: dates.as_ptr(),
            open: s.open.as_ptr(),
            high: s.high.as_ptr(),
            low: s.low.as_ptr(),
            close: s.close.as_ptr(),
            volume: s.volume.as_ptr(),
            len: s.len(),
        }
    }
}

impl AsBars for trendcast_bars {
    fn as_bars(&self) -> Result<BarsRef<'_>> {
        let n = self.len;
        Ok(BarsRef {
            dates: Dates::Yyyymmdd(slice_or_empty(self.dates, n, "bars.dates")?),
            open: slice_or_empty(self.open, n, "bars.open")?,
            high: slice_or_empty(self.high, n, "bars.high")?,
            low: slice_or_empty(self.low, n, "bars.low")?,
            close: slice_or_empty(self.close, n, "bars.close")?,
            volume: slice_or_empty(self.volume, n, "bars.volume")?,
        })
    }
}
