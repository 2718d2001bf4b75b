//! A walk-forward report's model rows, kept between sessions. The runs live under `target/`,
//! which does not outlive its machine, and a sweep may need more than one machine's session: each
//! session writes its rows here (every cell's metrics, each seed's validation rank IC and, for a
//! row that is one ranking, the test year's daily rank IC that the paired test reads) and commits
//! the file; a later report takes the rows and years its own runs lack from it. Baselines are not
//! kept (they are computed again for every year); equity curves are drawn for runs present only.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use trendcast::Date;
use trendcast::backtest::{Metrics, Strategy};

use super::{Cell, YearRow};

const FORMAT: u64 = 1;

/// What a kept row's figures depend on besides its runs: a report merges only rows made alike.
fn settings(top_k: usize, strategies: &[Strategy], max_seeds: Option<usize>) -> Value {
    json!({"top_k": top_k, "strategies": strategies.iter().map(|s| s.name()).collect::<Vec<_>>(), "max_seeds": max_seeds})
}

/// Writes the model rows of `table` (not the baselines, whose rows have no seeds) to `path`.
pub fn write(
    path: &Path,
    table: &BTreeMap<String, Vec<YearRow>>,
    top_k: usize,
    strategies: &[Strategy],
    max_seeds: Option<usize>,
) -> Result<()> {
    let mut rows = serde_json::Map::new();
    for (name, years) in table.iter().filter(|(_, years)| years.iter().any(|r| r.seeds > 0)) {
        let years = years
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r)?;
                let daily = super::daily_rank_ic(std::slice::from_ref(r), &strategies[0].name());
                if !daily.is_empty() {
                    v["test_rank_ic"] = json!({
                        "dates": daily.keys().map(Date::to_string).collect::<Vec<_>>(),
                        "values": daily.values().collect::<Vec<_>>(),
                    });
                }
                Ok(v)
            })
            .collect::<Result<Vec<Value>>>()?;
        rows.insert(name.clone(), Value::Array(years));
    }
    let kept = json!({"format": FORMAT, "settings": settings(top_k, strategies, max_seeds), "rows": rows});
    std::fs::write(path, serde_json::to_string_pretty(&kept)? + "\n").with_context(|| format!("writing {}", path.display()))
}

/// Adds to `table` each row and year of the kept file at `path` that `table` lacks (the runs
/// present win); returns them. Refuses a file of another format or made with other settings.
pub fn merge(
    path: &Path,
    table: &mut BTreeMap<String, Vec<YearRow>>,
    top_k: usize,
    strategies: &[Strategy],
    max_seeds: Option<usize>,
) -> Result<Vec<(String, i32)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the kept report {}", path.display()))?;
    let kept: Value = serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    if kept["format"].as_u64() != Some(FORMAT) {
        bail!("{}: not a kept walk-forward report of format {FORMAT}", path.display());
    }
    let want = settings(top_k, strategies, max_seeds);
    if kept["settings"] != want {
        bail!("{}: kept with {} but this report uses {want}: regenerate with the same options", path.display(), kept["settings"]);
    }
    let rows = kept["rows"].as_object().with_context(|| format!("{}: no rows", path.display()))?;
    let mut added = Vec::new();
    for (name, years) in rows {
        for v in years.as_array().with_context(|| format!("{}: row {name} is not a list of years", path.display()))? {
            let row = year_row(v).with_context(|| format!("{}: row {name}", path.display()))?;
            let here = table.entry(name.clone()).or_default();
            if !here.iter().any(|r| r.year == row.year) {
                added.push((name.clone(), row.year));
                here.push(row);
                here.sort_by_key(|r| r.year);
            }
        }
    }
    Ok(added)
}

fn year_row(v: &Value) -> Result<YearRow> {
    let cells = |key: &str| -> Result<Vec<Cell>> {
        v[key]
            .as_array()
            .with_context(|| format!("no {key} cells"))?
            .iter()
            .map(|c| {
                Ok(Cell {
                    strategy: c["strategy"].as_str().context("a cell's strategy")?.to_string(),
                    cost_bps: c["cost_bps"].as_f64().context("a cell's cost")?,
                    metrics: metrics(&c["metrics"])?,
                    daily: Vec::new(),
                })
            })
            .collect()
    };
    let year = v["year"].as_i64().context("year")? as i32;
    let mut row = YearRow::new(year, v["seeds"].as_u64().context("seeds")? as usize, cells("validation")?, cells("test")?);
    if let Some(seeds) = v.get("seed_validation") {
        row.seed_validation = seeds.as_array().context("seed_validation")?.iter().map(number).collect::<Result<_>>()?;
    }
    if let Some(daily) = v.get("test_rank_ic") {
        let dates = daily["dates"].as_array().context("test_rank_ic dates")?;
        let values = daily["values"].as_array().context("test_rank_ic values")?;
        if dates.len() != values.len() {
            bail!("{year}: {} dates for {} daily rank ICs", dates.len(), values.len());
        }
        for (d, x) in dates.iter().zip(values) {
            let date = d.as_str().and_then(Date::parse).with_context(|| format!("{d} is not a date"))?;
            row.kept_rank_ic.insert(date, number(x)?);
        }
    }
    Ok(row)
}

/// A figure as JSON writes it: a number, or null for NaN.
fn number(v: &Value) -> Result<f64> {
    match v {
        Value::Null => Ok(f64::NAN),
        v => v.as_f64().with_context(|| format!("{v} is not a number")),
    }
}

fn metrics(v: &Value) -> Result<Metrics> {
    let f = |key: &str| number(v.get(key).with_context(|| format!("no metric {key}"))?).with_context(|| format!("metric {key}"));
    Ok(Metrics {
        days: v["days"].as_u64().context("metric days")? as usize,
        arr: f("arr")?,
        avol: f("avol")?,
        mdd: f("mdd")?,
        asr: f("asr")?,
        cr: f("cr")?,
        ir: f("ir")?,
        benchmark_arr: f("benchmark_arr")?,
        excess_arr: f("excess_arr")?,
        turnover: f("turnover")?,
        ic: f("ic")?,
        icir: f("icir")?,
        rank_ic: f("rank_ic")?,
        final_nv: f("final_nv")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(rank_ic: f64) -> Metrics {
        Metrics {
            days: 3,
            arr: 0.1,
            avol: 0.2,
            mdd: -0.1,
            asr: 0.5,
            cr: 1.0,
            ir: f64::NAN,
            benchmark_arr: 0.05,
            excess_arr: 0.05,
            turnover: 0.3,
            ic: 0.01,
            icir: 0.1,
            rank_ic,
            final_nv: 1.1,
        }
    }

    /// A row read back is the row written: NaN figures (JSON null) included, the seeds' validation
    /// figures and the daily rank IC; rows the table has are left as they are; another format is
    /// refused by name.
    #[test]
    fn a_kept_row_reads_back_as_written() {
        let cell = |rank_ic| Cell { strategy: "rebalance".into(), cost_bps: 0.0, metrics: metrics(rank_ic), daily: Vec::new() };
        let mut row = YearRow::new(2021, 2, vec![cell(0.02)], vec![cell(0.01)]);
        row.seed_validation = vec![0.015, f64::NAN];
        row.kept_rank_ic = BTreeMap::from([(Date::parse("2021-01-04").unwrap(), 0.1), (Date::parse("2021-01-05").unwrap(), -0.2)]);
        let strategies = [Strategy::Rebalance];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kept.json");
        write(&path, &BTreeMap::from([("a".to_string(), vec![row.clone()])]), 10, &strategies, None).unwrap();
        let mut table = BTreeMap::from([("b".to_string(), vec![YearRow::new(2021, 1, vec![cell(0.5)], vec![])])]);
        assert_eq!(merge(&path, &mut table, 10, &strategies, None).unwrap(), [("a".to_string(), 2021)]);
        let back = &table["a"][0];
        assert_eq!((back.year, back.seeds, &back.kept_rank_ic), (2021, 2, &row.kept_rank_ic));
        assert!(back.validation[0].metrics.ir.is_nan() && back.test[0].metrics.rank_ic == 0.01);
        assert!(back.seed_validation[0] == 0.015 && back.seed_validation[1].is_nan());
        assert_eq!(table["b"][0].validation[0].metrics.rank_ic, 0.5, "a row the runs gave stays");
        // Merged again: nothing new.
        assert!(merge(&path, &mut table, 10, &strategies, None).unwrap().is_empty());
        std::fs::write(&path, r#"{"format": 2, "rows": {}}"#).unwrap();
        let err = merge(&path, &mut table, 10, &strategies, None).unwrap_err().to_string();
        assert!(err.contains("not a kept walk-forward report"), "{err}");
    }
}
