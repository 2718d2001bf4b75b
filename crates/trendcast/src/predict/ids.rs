//! Calls on borrowed bars with integer industry ids, the C ABI's form: the panel and the industry
//! table they make, and the ranking call and its inputs on them.

use crate::bars::{AsBars, BarSeries, Industries, IndustryRow, Panel};
use crate::date::Date;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::model::manifest::ModelKind;
use crate::relations::RankingInputs;

use crate::answer::{Ranking, is_scored};

/// The industry table of stocks named "stock #i" with integer sector and sub-industry ids (the C
/// ABI's form: stocks with equal ids share an industry node); returns the names and the table.
/// Industry nodes come in the order of their ids as numbers (the names lead with the id shifted to
/// 10 unsigned digits, which sort as the ids do): a caller that numbers industries in the order
/// of their names (the Python binding does) gets the node order, and so the very sums, of the CLI
/// and the Rust API on named industries.
pub fn industries_from_ids(sector_ids: &[i32], sub_industry_ids: &[i32]) -> Result<(Vec<String>, Industries)> {
    if sector_ids.len() != sub_industry_ids.len() {
        return Err(Error::shape(format!("{} sector ids, {} sub-industry ids", sector_ids.len(), sub_industry_ids.len())));
    }
    // Checked on the caller's ids, so that the message says them (the table's names would not).
    let mut sector_of_sub: std::collections::HashMap<i32, (i32, usize)> = std::collections::HashMap::new();
    for (i, (&sec, &sub)) in sector_ids.iter().zip(sub_industry_ids).enumerate() {
        let &mut (first_sec, first) = sector_of_sub.entry(sub).or_insert((sec, i));
        if first_sec != sec {
            return Err(Error::argument(format!(
                "sub-industry id {sub} appears under two sector ids: {first_sec} (stock #{first}) and {sec} (stock #{i}); a sub-industry belongs to one sector"
            )));
        }
    }
    let names: Vec<String> = (0..sector_ids.len()).map(|i| format!("stock #{i}")).collect();
    let rows = names
        .iter()
        .zip(sector_ids.iter().zip(sub_industry_ids))
        .map(|(t, (&sec, &sub))| IndustryRow {
            ticker: t.clone(),
            sector: id_name("sector", sec),
            sub_industry: id_name("sub-industry", sub),
        })
        .collect();
    Ok((names, Industries::new(rows)?))
}

/// "sector 2147483650 (id 2)": sorts as the ids do, and says the caller's id.
fn id_name(what: &str, id: i32) -> String {
    format!("{what} {:010} (id {id})", i64::from(id) - i64::from(i32::MIN))
}

/// Ranks stocks given as borrowed bars with integer industry ids (the C ABI's form): builds the
/// validated panel and an industry table from the ids, and scores the latest date.
///
/// A stock that gets no score (no bar on the latest date, or less history than the inputs read)
/// takes no part in the others' scores: they are the scores of the same call without it. (As a
/// node of the model's graph it would move them, although the caller chose to rank it; a dataset's
/// panel (`Model::rank`) and a live universe keep their stocks that do not trade yet as nodes
/// without inputs, as the training panels did.)
pub fn rank_with_ids<S: AsBars>(model: &Model, stocks: &[S], sector_ids: &[i32], sub_industry_ids: &[i32]) -> Result<Ranking> {
    let (series, panel, industries, date) = panel_with_ids(stocks, sector_ids, sub_industry_ids)?;
    if model.kind() == ModelKind::Ranking {
        let (history, d) = (model.ranking_history()?, panel.n_days() - 1);
        let nd = panel.n_days();
        let kept: Vec<usize> = (0..panel.n_tickers())
            .filter(|&k| {
                let present = &panel.present[k * nd..(k + 1) * nd];
                is_scored(present[d], present.iter().position(|&p| p), d, history)
            })
            .collect();
        if kept.len() < panel.n_tickers() {
            return rank_kept(model, &series, &kept, sector_ids, sub_industry_ids, date);
        }
    }
    model.rank(&panel, &industries, date)
}

/// The ranking of the stocks `kept` of `series` alone, as scores and order over all of them (NaN
/// and left out for the others).
fn rank_kept(
    model: &Model,
    series: &[BarSeries],
    kept: &[usize],
    sector_ids: &[i32],
    sub_industry_ids: &[i32],
    date: Date,
) -> Result<Ranking> {
    if kept.len() < 2 {
        return Err(Error::argument(format!(
            "{} of the {} stocks can be ranked on {date} (the others have no bar that day, or less history than the model's inputs read): a ranking needs two",
            kept.len(),
            series.len()
        )));
    }
    let pick = |ids: &[i32]| -> Vec<i32> { kept.iter().map(|&k| ids[k]).collect() };
    let (names, industries) = industries_from_ids(&pick(sector_ids), &pick(sub_industry_ids))?;
    let kept_series: Vec<BarSeries> = kept.iter().zip(names).map(|(&k, name)| BarSeries { ticker: name, ..series[k].clone() }).collect();
    let ranked = model.rank(&Panel::from_series(&kept_series), &industries, date)?;
    let mut scores = vec![f32::NAN; series.len()];
    for (&k, &score) in kept.iter().zip(&ranked.scores) {
        scores[k] = score;
    }
    Ok(Ranking { date, scores, order: ranked.order.iter().map(|&j| kept[j]).collect() })
}

/// What a ranking model reads on the latest date of stocks given as in [`rank_with_ids`]: the
/// date and the inputs of its window (nodes in the order of [`node_ids`]).
pub fn ranking_inputs_with_ids<S: AsBars>(
    model: &Model,
    stocks: &[S],
    sector_ids: &[i32],
    sub_industry_ids: &[i32],
) -> Result<(Date, RankingInputs)> {
    require_ranking_inputs(model)?;
    let (_, panel, industries, date) = panel_with_ids(stocks, sector_ids, sub_industry_ids)?;
    let inputs = model.ranking_inputs(&panel, &industries, panel.n_days() - 1)?;
    Ok((date, inputs))
}

/// Ranking inputs exist for ranking models only.
pub fn require_ranking_inputs(model: &Model) -> Result<()> {
    if model.kind() != ModelKind::Ranking {
        return Err(Error::WrongKind { what: format!("ranking inputs of the {} model {:?}", model.kind().name(), model.manifest().name) });
    }
    Ok(())
}

/// The graph's nodes for integer industry ids, as the ranking inputs order them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIds {
    /// Each stock's index, then the sub-industry ids of the stocks, then their sector ids, each
    /// ascending.
    pub ids: Vec<i32>,
    pub n_sub_industries: usize,
    pub n_sectors: usize,
}

/// The nodes of stocks with these industry ids (see [`NodeIds`]).
pub fn node_ids(sector_ids: &[i32], sub_industry_ids: &[i32]) -> NodeIds {
    let sorted = |ids: &[i32]| {
        let mut v = ids.to_vec();
        v.sort_unstable();
        v.dedup();
        v
    };
    let (subs, sectors) = (sorted(sub_industry_ids), sorted(sector_ids));
    let (n_sub_industries, n_sectors) = (subs.len(), sectors.len());
    let stocks = (0..sector_ids.len()).map(|i| i32::try_from(i).unwrap_or(i32::MAX));
    NodeIds { ids: stocks.chain(subs).chain(sectors).collect(), n_sub_industries, n_sectors }
}

/// The validated series and panel of stocks with integer industry ids, their industry table and
/// the latest date: what the calls on borrowed bars score.
fn panel_with_ids<S: AsBars>(
    stocks: &[S],
    sector_ids: &[i32],
    sub_industry_ids: &[i32],
) -> Result<(Vec<BarSeries>, Panel, Industries, Date)> {
    if stocks.len() != sector_ids.len() || stocks.len() != sub_industry_ids.len() {
        return Err(Error::shape(format!(
            "{} stocks, {} sector ids, {} sub-industry ids",
            stocks.len(),
            sector_ids.len(),
            sub_industry_ids.len()
        )));
    }
    let (names, industries) = industries_from_ids(sector_ids, sub_industry_ids)?;
    let series = series_of(stocks, &names)?;
    // Panel rows follow `series`, so panel index k is stock k.
    let panel = Panel::from_series(&series);
    let date = *panel.calendar.last().ok_or_else(|| Error::shape("no bars given"))?;
    Ok((series, panel, industries, date))
}

/// Borrowed bars as validated series named `names`.
pub fn series_of<S: AsBars>(stocks: &[S], names: &[String]) -> Result<Vec<BarSeries>> {
    let mut series = Vec::with_capacity(stocks.len());
    for (s, ticker) in stocks.iter().zip(names) {
        let mut one = BarSeries::empty(ticker.clone());
        let bars = s.as_bars().map_err(|e| e.for_stock(ticker))?;
        for t in 0..bars.checked_len().map_err(|e| e.for_stock(ticker))? {
            one.push(bars.bar(t).map_err(|e| e.for_stock(ticker))?).map_err(|e| e.for_stock(ticker))?;
        }
        series.push(one);
    }
    Ok(series)
}
