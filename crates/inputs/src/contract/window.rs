//! Which days' feature rows may stand in a direction model's window, and which of them a window
//! for day t covers.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::features::{FeatureRow, MarketRow, is_complete};

/// Which rows a window of length L for day t covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum WindowAlignment {
    /// Rows t-L+1 ..= t: everything known at the close of t (the correct form).
    #[default]
    EndsAtT,
    /// Rows t-L ..= t-1: the original project's one-day gap.
    EndsBeforeT,
}

impl WindowAlignment {
    /// Window rows between the window's newest row and day t's own row: 0, or 1 for the gap.
    pub fn gap_rows(self) -> usize {
        match self {
            WindowAlignment::EndsAtT => 0,
            WindowAlignment::EndsBeforeT => 1,
        }
    }

    /// Window rows a window of `window` rows needs up to and including day t's: the window and
    /// the gap.
    pub fn rows_needed(self, window: usize) -> usize {
        window + self.gap_rows()
    }

    /// The window of `window` rows for day t, t being window row `row` (indices into one stock's
    /// window rows, oldest first); None when fewer rows precede it.
    pub fn window_rows(self, window: usize, row: usize) -> Option<Range<usize>> {
        let end = (row + 1).checked_sub(self.gap_rows())?;
        Some(end.checked_sub(window)?..end)
    }

    /// The name the manifest and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            WindowAlignment::EndsAtT => "ends_at_t",
            WindowAlignment::EndsBeforeT => "ends_before_t",
        }
    }
}

/// Whether a day's row may stand in a window: its 13 features finite and, for a model that reads
/// them, its market features too. Training dropped every other row (the original's cleaning), so
/// serving skips them as well.
pub fn is_window_row(features: &FeatureRow, market: Option<&MarketRow>) -> bool {
    is_complete(features) && market.is_none_or(|m| m.iter().all(|v| v.is_finite()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_ends_at_t_or_the_row_before_it() {
        assert_eq!(WindowAlignment::EndsAtT.window_rows(3, 5), Some(3..6));
        assert_eq!(WindowAlignment::EndsBeforeT.window_rows(3, 5), Some(2..5));
        // The first row with a full window: L-1, or L with the gap.
        assert_eq!(WindowAlignment::EndsAtT.window_rows(3, 2), Some(0..3));
        assert_eq!(WindowAlignment::EndsAtT.window_rows(3, 1), None);
        assert_eq!(WindowAlignment::EndsBeforeT.window_rows(3, 3), Some(0..3));
        assert_eq!(WindowAlignment::EndsBeforeT.window_rows(3, 2), None);
        assert_eq!(WindowAlignment::EndsBeforeT.window_rows(1, 0), None);
        for a in [WindowAlignment::EndsAtT, WindowAlignment::EndsBeforeT] {
            assert_eq!(a.rows_needed(3) - 1, (0..10).find(|&r| a.window_rows(3, r).is_some()).unwrap());
        }
    }

    #[test]
    fn a_row_with_an_undefined_feature_or_market_value_is_no_window_row() {
        let mut row = [0.5; crate::features::N_FEATURES];
        let market = [0.1; crate::features::N_MARKET_FEATURES];
        assert!(is_window_row(&row, None));
        assert!(is_window_row(&row, Some(&market)));
        let mut undefined = market;
        undefined[1] = f64::NAN;
        assert!(!is_window_row(&row, Some(&undefined)));
        row[4] = f64::INFINITY;
        assert!(!is_window_row(&row, None));
    }

    #[test]
    fn the_manifest_names_match_serde() {
        for a in [WindowAlignment::EndsAtT, WindowAlignment::EndsBeforeT] {
            assert_eq!(serde_json::to_value(a).unwrap(), serde_json::Value::from(a.name()));
        }
    }
}
