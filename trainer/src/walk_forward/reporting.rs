//! The walk-forward report: the runs' scores read back, seed ensembles and the baselines on the
//! same days through the core's backtest, the paired daily test, the tables and the figures.

use std::collections::BTreeSet;

use super::*;
use cells::cells;

/// One run's node scores, by panel day: validation and test days.
pub(super) struct RunScores {
    validation: BTreeMap<usize, Vec<f32>>,
    test: BTreeMap<usize, Vec<f32>>,
}

pub(super) fn load_run(dir: &Path, data: &Data) -> Result<RunScores> {
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("run.json"))?)?;
    let s = &run["scores"];
    let tickers: Vec<String> = serde_json::from_value(s["tickers"].clone())?;
    if tickers != data.panel.tickers {
        bail!("{}: scored another universe than the data's", dir.display());
    }
    let bytes = std::fs::read(dir.join("scores.f32"))?;
    let values: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let n = s["nodes"].as_u64().context("nodes")? as usize;
    let day_of = |text: &serde_json::Value| -> Result<usize> {
        let date = text.as_str().and_then(Date::parse).with_context(|| format!("{}: {text} is not a date", dir.display()))?;
        data.panel.day_index(date).with_context(|| format!("{}: {date} is not a trading day of the data", dir.display()))
    };
    let mut rows = values.chunks_exact(n).map(<[f32]>::to_vec);
    let mut take = |key: &str| -> Result<BTreeMap<usize, Vec<f32>>> {
        let dates = s[key].as_array().with_context(|| format!("{}: no {key}", dir.display()))?;
        dates.iter().map(|d| Ok((day_of(d)?, rows.next().with_context(|| format!("{}: too few scores", dir.display()))?))).collect()
    };
    Ok(RunScores { validation: take("validation_dates")?, test: take("test_dates")? })
}

/// Each day's node scores of `members` combined as the ensemble graph combines them
/// (`combine_zscores`).
pub(super) fn ensemble(members: &[&BTreeMap<usize, Vec<f32>>]) -> BTreeMap<usize, Vec<f32>> {
    members[0]
        .keys()
        .map(|&d| {
            let day: Vec<Vec<f64>> = members.iter().map(|m| m[&d].iter().map(|&v| f64::from(v)).collect()).collect();
            (d, combine_zscores(&day).into_iter().map(|v| v as f32).collect())
        })
        .collect()
}

/// `nodes` blended with the 1-day reversal rule at equal weight, by the ensemble rule (each
/// day's z-scores averaged): a declared combination with a known short-term effect, no weight
/// fitted, judged on validation years like every row.
pub(super) fn with_reversal(data: &Data, nodes: &BTreeMap<usize, Vec<f32>>) -> BTreeMap<usize, Vec<f32>> {
    let reversal: BTreeMap<usize, Vec<f32>> = nodes.keys().map(|&d| (d, reversal_scores(&data.panel, d))).collect();
    ensemble(&[nodes, &reversal])
}

/// One seed's cells on the validation year and on the test year.
type SeedCells = (Vec<Cell>, Vec<Cell>);

/// The walk-forward report over the runs under `out`: one entry per row name (each config's runs:
/// the mean over seeds of each metric, and their ensemble when there are several seeds) and per
/// baseline, each with one entry per year. `max_seeds` keeps each row's first seeds only (in
/// seed order), so that ensembles of rows with more seeds compare with the others at equal size.
///
/// With `kept`, the rows and years that file holds (an earlier session's) and these runs lack are
/// taken from it, so that a sweep whose runs did not outlive their machine is reported whole, and
/// the file is written again with every model row; the baselines are computed for every year.
pub fn report(
    out: &Path,
    data: &Data,
    top_k: usize,
    strategies: &[Strategy],
    max_seeds: Option<usize>,
    kept: Option<&Path>,
) -> Result<BTreeMap<String, Vec<YearRow>>> {
    let mut table: BTreeMap<String, Vec<YearRow>> = BTreeMap::new();
    let mut days_of_year: BTreeMap<i32, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for row in std::fs::read_dir(out).with_context(|| format!("reading {}", out.display()))? {
        let row = row?.path();
        let name = row.file_name().context("a row folder")?.to_string_lossy().into_owned();
        let Ok(years) = std::fs::read_dir(&row) else { continue };
        let mut year_dirs: Vec<(i32, PathBuf)> =
            years.filter_map(|y| y.ok()).filter_map(|y| Some((y.file_name().to_str()?.parse().ok()?, y.path()))).collect();
        year_dirs.sort();
        for (year, dir) in year_dirs {
            let mut runs = Vec::new();
            let mut seed_dirs: Vec<PathBuf> = std::fs::read_dir(&dir)?.filter_map(|s| s.ok()).map(|s| s.path()).collect();
            seed_dirs.sort();
            for s in seed_dirs {
                if s.join("run.json").exists() && max_seeds.is_none_or(|m| runs.len() < m) {
                    runs.push(load_run(&s, data)?);
                }
            }
            if runs.is_empty() {
                continue;
            }
            days_of_year
                .entry(year)
                .or_insert_with(|| (runs[0].validation.keys().copied().collect(), runs[0].test.keys().copied().collect()));
            // Per seed, then the mean over seeds of every metric.
            let per_seed = runs
                .iter()
                .map(|r| Ok((cells(data, &r.validation, top_k, strategies)?, cells(data, &r.test, top_k, strategies)?)))
                .collect::<Result<Vec<_>>>()?;
            let n = per_seed.len();
            let mean_of = |pick: fn(&SeedCells) -> &Vec<Cell>| -> Vec<Cell> {
                (0..pick(&per_seed[0]).len())
                    .map(|i| Cell {
                        metrics: mean_metrics(per_seed.iter().map(|p| &pick(p)[i].metrics)),
                        // One seed's days are one ranking, which the paired test can compare (a
                        // single-model bundle's walk-forward: `--max-seeds 1`); a mean is none.
                        daily: if n == 1 { pick(&per_seed[0])[i].daily.clone() } else { Vec::new() },
                        ..pick(&per_seed[0])[i].clone()
                    })
                    .collect()
            };
            let mut row = YearRow::new(year, n, mean_of(|p| &p.0), mean_of(|p| &p.1));
            row.seed_validation = per_seed.iter().map(|p| p.0[0].metrics.rank_ic).collect();
            table.entry(name.clone()).or_default().push(row);
            if n > 1 {
                let val = ensemble(&runs.iter().map(|r| &r.validation).collect::<Vec<_>>());
                let test = ensemble(&runs.iter().map(|r| &r.test).collect::<Vec<_>>());
                let validation = cells(data, &val, top_k, strategies)?;
                let blend_val = with_reversal(data, &val);
                let blend_test = with_reversal(data, &test);
                table.entry(format!("{name} ensemble")).or_default().push(YearRow::new(
                    year,
                    n,
                    validation,
                    cells(data, &test, top_k, strategies)?,
                ));
                table.entry(format!("{name} ensemble + reversal 1d")).or_default().push(YearRow::new(
                    year,
                    n,
                    cells(data, &blend_val, top_k, strategies)?,
                    cells(data, &blend_test, top_k, strategies)?,
                ));
            }
        }
    }
    if let Some(path) = kept {
        if path.exists() {
            for (name, year) in super::kept::merge(path, &mut table, top_k, strategies, max_seeds)? {
                eprintln!("row {name} {year}: from {}", path.display());
            }
        }
        // Written before incomplete rows leave the report: a row still missing years keeps those it has.
        super::kept::write(path, &table, top_k, strategies, max_seeds)?;
    }
    for (name, why) in drop_incomplete_rows(&mut table) {
        eprintln!("row {name} left out: {why}");
    }
    // The signals and the linear baseline on the same days (a kept year's: those its runs scored).
    let mut folds: Vec<Fold> = days_of_year.into_iter().map(|(year, (validation, test))| Fold { year, validation, test }).collect();
    let kept_years: Vec<i32> = table
        .values()
        .flatten()
        .map(|r| r.year)
        .filter(|y| !folds.iter().any(|f| f.year == *y))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    folds.extend(signal_table::folds(data, &kept_years));
    folds.sort_by_key(|f| f.year);
    let (baselines, _) = signal_table::baseline_rows(data, &folds, top_k, strategies)?;
    table.extend(baselines);
    Ok(table)
}

/// Removes the rows that lack a year some other row has, or whose years have different numbers of
/// seeds (a sweep still running): their means and ensembles would not compare with the others'.
/// Returns each removed row's name and why.
pub(super) fn drop_incomplete_rows(table: &mut BTreeMap<String, Vec<YearRow>>) -> Vec<(String, String)> {
    let years: std::collections::BTreeSet<i32> = table.values().flatten().map(|r| r.year).collect();
    let mut dropped = Vec::new();
    table.retain(|name, rows| {
        let missing: Vec<i32> = years.iter().copied().filter(|y| !rows.iter().any(|r| r.year == *y)).collect();
        let seeds: std::collections::BTreeSet<usize> = rows.iter().map(|r| r.seeds).collect();
        let why = if !missing.is_empty() {
            format!("no runs for {missing:?}")
        } else if seeds.len() > 1 {
            format!("{seeds:?} seeds in different years")
        } else {
            return true;
        };
        dropped.push((name.clone(), why));
        false
    });
    dropped
}

/// The rows of an earlier report (its `--json`) that `table` lacks. Runs live in `target/`, which a
/// new machine does not have: regenerating there from a few rows would silently drop the others
/// from the committed report, so the caller refuses unless told to drop them.
pub fn rows_lost(earlier_json: &str, table: &BTreeMap<String, Vec<YearRow>>) -> Result<Vec<String>> {
    let earlier: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(earlier_json).context("the earlier report's JSON is not an object of rows")?;
    Ok(earlier.keys().filter(|name| !table.contains_key(*name)).cloned().collect())
}

/// The mean of each metric over seeds' results.
pub(super) fn mean_metrics<'a>(ms: impl Iterator<Item = &'a Metrics>) -> Metrics {
    let ms: Vec<&Metrics> = ms.collect();
    let n = ms.len() as f64;
    let mean = |f: fn(&Metrics) -> f64| ms.iter().map(|m| f(m)).sum::<f64>() / n;
    Metrics {
        days: ms[0].days,
        arr: mean(|m| m.arr),
        avol: mean(|m| m.avol),
        mdd: mean(|m| m.mdd),
        asr: mean(|m| m.asr),
        cr: mean(|m| m.cr),
        ir: mean(|m| m.ir),
        benchmark_arr: mean(|m| m.benchmark_arr),
        excess_arr: mean(|m| m.excess_arr),
        turnover: mean(|m| m.turnover),
        ic: mean(|m| m.ic),
        icir: mean(|m| m.icir),
        rank_ic: mean(|m| m.rank_ic),
        final_nv: mean(|m| m.final_nv),
    }
}

/// A row's daily rank IC over its test years, by decision day (the first strategy's cells at no
/// cost: rank IC does not depend on the portfolio); empty for a mean over seeds.
pub fn daily_rank_ic(rows: &[YearRow], strategy: &str) -> BTreeMap<Date, f64> {
    let mut out: BTreeMap<Date, f64> = rows.iter().flat_map(|r| r.kept_rank_ic.clone()).collect();
    out.extend(
        rows.iter()
            .filter_map(|r| r.test.iter().find(|c| c.strategy == strategy && c.cost_bps == 0.0))
            .flat_map(|c| c.daily.iter().map(|d| (d.date, d.rank_ic))),
    );
    out
}

/// The std over seeds of each seed's validation rank IC averaged over the years (a mean over two
/// or more seeds; None otherwise): how far one seed's validation figure may lie from another's.
pub fn seed_spread(rows: &[YearRow]) -> Option<f64> {
    let n = rows.first()?.seed_validation.len();
    if n < 2 || rows.iter().any(|r| r.seed_validation.len() != n) {
        return None;
    }
    let per_seed: Vec<f64> = (0..n).map(|i| rows.iter().map(|r| r.seed_validation[i]).sum::<f64>() / rows.len() as f64).collect();
    Some(mean_std(&per_seed).1)
}

pub(super) fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 { v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (m, var.sqrt())
}

/// The report's markdown: per strategy and cost, one table of rows x years (rank IC, excess ARR)
/// and one of every metric's mean ± std over the years.
pub fn markdown(table: &BTreeMap<String, Vec<YearRow>>, strategies: &[Strategy]) -> String {
    let years: Vec<i32> = table.values().flatten().map(|r| r.year).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let mut md = String::new();
    let find =
        |cells: &[Cell], strategy: &str, cost: f64| cells.iter().find(|c| c.strategy == strategy && c.cost_bps == cost).map(|c| c.metrics);
    let cell = |rows: &[YearRow], year: i32, strategy: &str, cost: f64| -> Option<Metrics> {
        find(&rows.iter().find(|r| r.year == year)?.test, strategy, cost)
    };
    // Rank IC by year (the same for every strategy and cost), with the validation years' mean.
    md += "Rank IC per test year (the validation column: mean over the same runs' validation years Y-1, the only figure used to \
           choose; seed std: the std over a row's seeds of each seed's validation mean), and the paired daily test over all test days: the mean daily difference of rank IC against plain reversal and \
           against the linear baseline, with its 20-day block-bootstrap 95% interval (* when it leaves out zero; blank for a mean \
           over seeds, which is no one ranking)\n\n";
    md += &format!(
        "| row | seeds | validation | seed std | {} | mean ± std | vs reversal 1d | vs linear |\n|---|---|---|---|{}---|---|---|\n",
        years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(" | "),
        "---|".repeat(years.len())
    );
    let first = strategies[0].name();
    let references = [signal_table::row_name(Signal::Reversal), signal_table::LINEAR_ROW.to_string()]
        .map(|name| table.get(&name).map(|rows| (name, daily_rank_ic(rows, &first))));
    for (name, rows) in table {
        let v: Vec<f64> = years.iter().filter_map(|&y| cell(rows, y, &first, 0.0)).map(|m| m.rank_ic).collect();
        let (m, s) = mean_std(&v);
        let val = mean_std(&rows.iter().map(|r| r.validation_rank_ic()).collect::<Vec<_>>()).0;
        let per_year: Vec<String> =
            years.iter().map(|&y| cell(rows, y, &first, 0.0).map_or("".into(), |m| format!("{:.4}", m.rank_ic))).collect();
        let own = daily_rank_ic(rows, &first);
        let vs: Vec<String> = references
            .iter()
            .map(|r| {
                r.as_ref()
                    .filter(|(other, _)| other != name)
                    .and_then(|(_, r)| paired(&own, r))
                    .as_ref()
                    .map_or(String::new(), Paired::cell)
            })
            .collect();
        let spread = seed_spread(rows).map_or(String::new(), |s| format!("{s:.4}"));
        md += &format!(
            "| {name} | {} | {val:.4} | {spread} | {} | {m:.4} ± {s:.4} | {} |\n",
            rows[0].seeds,
            per_year.join(" | "),
            vs.join(" | ")
        );
    }
    for strategy in strategies {
        for cost in COSTS_BPS {
            let s = strategy.name();
            md += &format!(
                "\nTop-k `{s}`, {cost} bps per side: excess ARR over the equal-weighted universe per test year (and its mean over the validation years), and the mean ± std over test years of each metric\n\n"
            );
            md += &format!(
                "| row | validation excess | {} | years > 0 | ARR | excess | IC | ICIR | true IR | MDD | turnover | cost drag |\n|---|---|{}---|---|---|---|---|---|---|---|---|\n",
                years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(" | "),
                "---|".repeat(years.len())
            );
            let mut universe: Vec<f64> = Vec::new();
            for (name, rows) in table {
                let ms: Vec<Metrics> = years.iter().filter_map(|&y| cell(rows, y, &s, cost)).collect();
                if universe.is_empty() {
                    universe = ms.iter().map(|m| m.benchmark_arr).collect();
                }
                let f = |g: fn(&Metrics) -> f64| {
                    let (m, sd) = mean_std(&ms.iter().map(g).collect::<Vec<_>>());
                    format!("{m:.3} ± {sd:.3}")
                };
                let per_year: Vec<String> =
                    years.iter().map(|&y| cell(rows, y, &s, cost).map_or("".into(), |m| format!("{:+.3}", m.excess_arr))).collect();
                let positive = ms.iter().filter(|m| m.excess_arr > 0.0).count();
                // What the costs take: ARR without them minus ARR with them, mean over years.
                let free: Vec<Metrics> = years.iter().filter_map(|&y| cell(rows, y, &s, 0.0)).collect();
                let drag = mean_std(&free.iter().zip(&ms).map(|(f, m)| f.arr - m.arr).collect::<Vec<_>>()).0;
                // The same portfolio on the validation years: what a choice of strategy may use.
                let val: Vec<f64> = rows.iter().filter_map(|r| find(&r.validation, &s, cost)).map(|m| m.excess_arr).collect();
                md += &format!(
                    "| {name} | {:+.3} | {} | {positive}/{} | {} | {} | {} | {} | {} | {} | {} | {drag:.3} |\n",
                    mean_std(&val).0,
                    per_year.join(" | "),
                    ms.len(),
                    f(|m| m.arr),
                    f(|m| m.excess_arr),
                    f(|m| m.ic),
                    f(|m| m.icir),
                    f(|m| m.ir),
                    f(|m| m.mdd),
                    f(|m| m.turnover)
                );
            }
            if cost == 0.0 && *strategy == strategies[0] {
                let (m, sd) = mean_std(&universe);
                md += &format!(
                    "| equal-weighted universe (ARR) | | {} | | {m:.3} ± {sd:.3} | 0 | | | | | | |\n",
                    universe.iter().map(|a| format!("{a:.3}")).collect::<Vec<_>>().join(" | ")
                );
            }
        }
    }
    md
}

/// One PNG per test year under `dir` (`walk-forward-YEAR.png`): the net value of every row that is
/// one portfolio (ensembles, single-seed rows, baselines) and of the equal-weighted universe, for
/// `strategy` at `cost_bps`. Returns the files written.
pub fn plots(table: &BTreeMap<String, Vec<YearRow>>, strategy: Strategy, cost_bps: f64, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let years: std::collections::BTreeSet<i32> = table.values().flatten().map(|r| r.year).collect();
    let mut files = Vec::new();
    for year in years {
        let mut lines: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        let mut universe = Vec::new();
        for (name, rows) in table {
            let Some(c) = rows
                .iter()
                .find(|r| r.year == year)
                .and_then(|r| r.test.iter().find(|c| c.strategy == strategy.name() && c.cost_bps == cost_bps))
            else {
                continue;
            };
            if c.daily.is_empty() {
                continue;
            }
            let jan1 = Date::from_ymd(year, 1, 1).expect("a valid date").days_since_epoch();
            let x = |d: &Date| year as f64 + (d.days_since_epoch() - jan1) as f64 / 365.25;
            // Net values: each day's return compounded, at the decision day's date.
            let compound = |pick: fn(&DailyRecord) -> f64| -> Vec<(f64, f64)> {
                let mut nv = 1.0;
                c.daily
                    .iter()
                    .map(|r| {
                        (x(&r.date), {
                            nv *= 1.0 + pick(r);
                            nv
                        })
                    })
                    .collect()
            };
            let curve = compound(|r| r.portfolio);
            if universe.is_empty() {
                universe = compound(|r| r.benchmark);
            }
            lines.push((name.clone(), curve));
        }
        lines.push(("equal-weighted universe".into(), universe));
        let series: Vec<trendcast_export::charts::Series<'_>> =
            lines.iter().map(|(n, p)| trendcast_export::charts::Series { name: n, points: p }).collect();
        let path = dir.join(format!("walk-forward-{year}.png"));
        let title = format!("{year}: top-k {}, {cost_bps} bps per side (walk-forward test year)", strategy.name());
        trendcast_export::charts::line_chart(&path, &title, "year", "net value", &series)?;
        files.push(path);
    }
    Ok(files)
}
