//! A row's cells: its scores backtested in one year under each portfolio strategy and cost, as
//! the networks' rows and the baselines (`signal_table`) both fill them.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;
use trendcast::Date;
use trendcast::backtest::{BacktestSpec, DailyRecord, Metrics, Strategy};

use crate::ranking::{self, Data};

/// The cost levels of the report: free, and 5 bps per side.
pub const COSTS_BPS: [f64; 2] = [0.0, ranking::REPORTED_COST_BPS];

/// One row's metrics in one year, per strategy and cost.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub strategy: String,
    pub cost_bps: f64,
    pub metrics: Metrics,
    /// Each decision day's record (empty for a mean over seeds, which is no portfolio): the
    /// equity curves and the paired daily tests.
    #[serde(skip)]
    pub daily: Vec<DailyRecord>,
}

/// A row of the report in one year: the test year's cells, and the validation year's (Y - 1) on
/// which a choice between rows or strategies may be made.
#[derive(Debug, Clone, Serialize)]
pub struct YearRow {
    pub year: i32,
    /// Runs averaged (a mean over seeds) or combined (an ensemble); 0 for a baseline.
    pub seeds: usize,
    pub validation: Vec<Cell>,
    pub test: Vec<Cell>,
    /// Each seed's validation rank IC, for a mean over seeds (empty otherwise): the spread between
    /// seeds that a choice "within one seed std" reads.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub seed_validation: Vec<f64>,
    /// The test year's daily rank IC of a row read back from a kept report (`kept.rs`), whose
    /// cells carry no daily records; empty otherwise (the cells' records hold it).
    #[serde(skip)]
    pub kept_rank_ic: BTreeMap<Date, f64>,
}

impl YearRow {
    pub fn new(year: i32, seeds: usize, validation: Vec<Cell>, test: Vec<Cell>) -> YearRow {
        YearRow { year, seeds, validation, test, seed_validation: Vec::new(), kept_rank_ic: BTreeMap::new() }
    }

    /// The validation year's rank IC (the same in every cell: it does not depend on the
    /// portfolio).
    pub fn validation_rank_ic(&self) -> f64 {
        self.validation[0].metrics.rank_ic
    }
}

/// Days and the stocks' scores (NaN for a stock without a bar or its history) out of node scores by day.
fn stock_rows(data: &Data, nodes: &BTreeMap<usize, Vec<f32>>) -> (Vec<usize>, Vec<Vec<f32>>) {
    nodes.iter().map(|(&d, row)| (d, trendcast::predict::stock_scores(&data.panel, d, data.history, row))).unzip()
}

pub(crate) fn cells(data: &Data, nodes: &BTreeMap<usize, Vec<f32>>, top_k: usize, strategies: &[Strategy]) -> Result<Vec<Cell>> {
    let (days, rows) = stock_rows(data, nodes);
    let mut out = Vec::new();
    for &strategy in strategies {
        for &cost_bps in &COSTS_BPS {
            let spec = BacktestSpec { top_k, cost_bps, strategy };
            let r = ranking::backtest_spec(data, &days, &rows, spec)?;
            out.push(Cell { strategy: strategy.name(), cost_bps, metrics: r.metrics, daily: r.daily });
        }
    }
    Ok(out)
}
