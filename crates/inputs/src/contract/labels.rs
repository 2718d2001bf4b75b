//! Training targets: the 5-day, 3-class direction label (`docs/specs/direction.md`) and the
//! per-day rank label of the ranking model (`docs/specs/lsr-igru.md`). Labels look into the
//! future by definition; they are used for training and evaluation, never as model inputs.

use serde::{Deserialize, Serialize};

use crate::bars::Panel;

/// Direction classes, in the models' output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Direction {
    Down = 0,
    Flat = 1,
    Up = 2,
}

impl Direction {
    pub const ALL: [Direction; 3] = [Direction::Down, Direction::Flat, Direction::Up];
    pub const NAMES: [&'static str; 3] = ["down", "flat", "up"];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn from_index(i: usize) -> Option<Direction> {
        Self::ALL.get(i).copied()
    }
}

/// The direction label's definition: r = close_{t+h} / close_t - 1; Down if r < -threshold,
/// Up if r > threshold, Flat otherwise (both ends included).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DirectionLabel {
    pub horizon: usize,
    pub threshold: f64,
}

impl Default for DirectionLabel {
    fn default() -> Self {
        DirectionLabel { horizon: 5, threshold: 0.01 }
    }
}

impl DirectionLabel {
    /// The class of a forward return.
    pub fn classify(&self, r: f64) -> Option<Direction> {
        if !r.is_finite() {
            None
        } else if r < -self.threshold {
            Some(Direction::Down)
        } else if r > self.threshold {
            Some(Direction::Up)
        } else {
            Some(Direction::Flat)
        }
    }

    /// The label of bar `t` of a close series, None when the horizon runs past the end.
    pub fn at(&self, close: &[f64], t: usize) -> Option<Direction> {
        let future = *close.get(t + self.horizon)?;
        self.classify(future / close[t] - 1.0)
    }
}

/// Which forward return the rank label ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RankTarget {
    /// close_{t+3} / close_{t+1} - 1 (the LSR-IGRU code's label).
    #[default]
    CloseT1ToT3,
    /// open_{t+2} / open_{t+1} - 1: exactly what the buy-hold-sell backtest earns.
    OpenT1ToT2,
    /// open_{t+6} / open_{t+1} - 1: five days of the returns the backtest earns, a slower label
    /// for a slower (turnover-limited) portfolio.
    OpenT1ToT6,
}

impl RankTarget {
    /// Trading days after the decision day that the label reads up to (3, 2 or 6): a training
    /// split that must not see the next split drops its last `horizon` days.
    pub fn horizon(self) -> usize {
        match self {
            RankTarget::CloseT1ToT3 => 3,
            RankTarget::OpenT1ToT2 => 2,
            RankTarget::OpenT1ToT6 => 6,
        }
    }

    /// The forward return of ticker `k` decided at the close of day `d`, NaN where undefined.
    pub fn forward_return(self, panel: &Panel, k: usize, d: usize) -> f64 {
        let series = match self {
            RankTarget::CloseT1ToT3 => panel.close_of(k),
            RankTarget::OpenT1ToT2 | RankTarget::OpenT1ToT6 => panel.open_of(k),
        };
        match (series.get(d + 1), series.get(d + self.horizon())) {
            (Some(x), Some(y)) => y / x - 1.0,
            _ => f64::NAN,
        }
    }
}

/// Per-day percentile rank of each ticker's forward return among the tickers where it is defined:
/// average rank for ties (1-based) divided by the count, so the best is 1.0. Returned ticker-major
/// like the panel, NaN where undefined.
pub fn rank_labels(panel: &Panel, target: RankTarget) -> Vec<f64> {
    let (nt, nd) = (panel.n_tickers(), panel.n_days());
    let mut out = vec![f64::NAN; nt * nd];
    let mut day: Vec<(f64, usize)> = Vec::with_capacity(nt);
    for d in 0..nd {
        day.clear();
        day.extend((0..nt).map(|k| (target.forward_return(panel, k, d), k)).filter(|(r, _)| r.is_finite()));
        let values: Vec<f64> = day.iter().map(|&(r, _)| r).collect();
        let n = day.len() as f64;
        for (&(_, k), rank) in day.iter().zip(average_ranks(&values)) {
            out[k * nd + d] = rank / n;
        }
    }
    out
}

/// Ranks of `x`, 1-based, smallest first, tied values sharing the mean of their places: the rank
/// label's ranks and the rank IC's (Spearman).
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut out = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            out[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bars::{BarSeries, Panel};
    use crate::date::Date;

    #[test]
    fn direction_thresholds_are_inclusive_for_flat() {
        let l = DirectionLabel::default();
        assert_eq!(l.classify(-0.0100001), Some(Direction::Down));
        assert_eq!(l.classify(-0.01), Some(Direction::Flat));
        assert_eq!(l.classify(0.01), Some(Direction::Flat));
        assert_eq!(l.classify(0.0100001), Some(Direction::Up));
        assert_eq!(l.classify(f64::NAN), None);
        let close = [100.0, 1.0, 1.0, 1.0, 1.0, 102.0, 1.0];
        assert_eq!(l.at(&close, 0), Some(Direction::Up));
        assert_eq!(l.at(&close, 2), None);
    }

    #[test]
    fn rank_labels_rank_within_each_day_with_ties_averaged() {
        let dates = crate::bars::synthetic::business_days(Date::parse("2022-01-03").unwrap(), 4);
        let mk = |t: &str, open: Vec<f64>| {
            BarSeries::new(t, dates.clone(), open.clone(), open.iter().map(|o| o * 2.0).collect(), open.clone(), open, vec![1.0; 4])
                .unwrap()
        };
        let p =
            Panel::from_series(&[mk("A", vec![1.0, 1.0, 1.1, 1.0]), mk("B", vec![1.0, 1.0, 0.9, 1.0]), mk("C", vec![1.0, 1.0, 1.1, 1.0])]);
        let r = rank_labels(&p, RankTarget::OpenT1ToT2);
        let nd = 4;
        // Day 0: opens of day 1 -> day 2: A +10%, B -10%, C +10%.
        assert_eq!([r[0], r[nd], r[2 * nd]], [2.5 / 3.0, 1.0 / 3.0, 2.5 / 3.0]);
        assert!(r[2].is_nan() && r[3].is_nan());
    }

    /// The 5-day label reads the opens of t+1 and t+6, and is undefined where t+6 is past the end.
    #[test]
    fn the_five_day_label_spans_the_opens_of_t_plus_1_to_t_plus_6() {
        let dates = crate::bars::synthetic::business_days(Date::parse("2022-01-03").unwrap(), 8);
        let open: Vec<f64> = (0..8).map(|i| 10.0 + i as f64).collect();
        let s = BarSeries::new("A", dates, open.clone(), open.iter().map(|o| o * 2.0).collect(), open.clone(), open.clone(), vec![1.0; 8]);
        let p = Panel::from_series(&[s.unwrap()]);
        assert_eq!(RankTarget::OpenT1ToT6.horizon(), 6);
        assert_eq!(RankTarget::OpenT1ToT6.forward_return(&p, 0, 1), open[7] / open[2] - 1.0);
        assert!(RankTarget::OpenT1ToT6.forward_return(&p, 0, 2).is_nan());
    }
}
