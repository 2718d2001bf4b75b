//! A trained ranking run (or several, as one ensemble) written as a bundle, with the parity gate:
//! tch, tract and ONNX Runtime must give the same scores through the library's ranking call.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::json;
use tch::Device;
use trendcast::predict::stock_scores;
use trendcast_export::export::{RankingExport, write_ranking, write_ranking_ensemble};
use trendcast_export::onnx::{LsrIgruEnsemble, combine_zscores, mean_and_spread};

use super::{Data, Trained, day_scores};
use crate::config::{RankingConfig, Selection};
use crate::parity;

/// Writes the bundle and checks that tch, tract and (when its library loads) ONNX Runtime give the
/// same scores within 1e-5 through the library's ranking call on the last validation day; fails
/// otherwise. Returns the largest difference and the ranking-call latency of each backend.
pub fn export(trained: &Trained, cfg: &RankingConfig, data: &Data, out: &Path, device: Device) -> Result<(f64, serde_json::Value)> {
    cfg.check_exportable()?;
    let s = &trained.summary;
    let mut e = contract(cfg, s)?;
    for k in ["config", "best_epoch", "selected_by", "train_days", "validation", "test", "device"] {
        e.extra.insert(k.into(), s[k].clone());
    }
    write_ranking(out, &trained.net.export()?, &e)?;

    let d = *data.days(&cfg.validation, cfg).last().expect("checked in train");
    let want = day_scores(&trained.net, data, d, cfg, device)?;
    rank_parity(out, data, d, &want, parity::TOLERANCE, "scores")
}

/// The bundle contract of a run of `cfg` whose training summary is `summary`.
fn contract(cfg: &RankingConfig, summary: &serde_json::Value) -> Result<RankingExport> {
    let mut e = RankingExport::new(&cfg.name);
    e.window = cfg.window;
    e.target = cfg.target;
    e.relations = cfg.relations;
    e.train = serde_json::from_value(summary["train_range"].clone())?;
    e.validation = cfg.validation;
    Ok(e)
}

/// The parity gate of a written ranking bundle: on each engine, its scores of panel day `d` must
/// lie within `tolerance` of tch's `want`. Returns the largest difference and each engine's
/// latency of a warm call.
fn rank_parity(out: &Path, data: &Data, d: usize, want: &[f32], tolerance: f64, what: &str) -> Result<(f64, serde_json::Value)> {
    let date = data.panel.calendar[d];
    let mut worst = 0f64;
    let mut latency = serde_json::Map::new();
    for m in parity::engines(out)? {
        let got = m.rank(&data.panel, &data.industries, date)?.scores;
        // Timed again once warm (tract optimises a plan on its first call for a shape).
        let t0 = Instant::now();
        m.rank(&data.panel, &data.industries, date)?;
        latency.insert(m.backend().name().into(), json!(t0.elapsed().as_secs_f64()));
        worst = worst.max(parity::check_within(&m, &format!("{what} vs tch on {date}"), &got, want, tolerance)?);
    }
    Ok((worst, serde_json::Value::Object(latency)))
}

/// Writes the members as one seed-ensemble bundle (the mean of their per-day z-scored node
/// scores) and checks, as [`export`] does, that tract and ONNX Runtime give tch's ensemble scores
/// on the last day of `cfg.validation`, within `parity::ensemble_tolerance` of the members'
/// spreads. Returns the largest difference, that tolerance and each backend's call latency.
pub fn export_ensemble(
    members: &[Trained],
    cfg: &RankingConfig,
    data: &Data,
    out: &Path,
    device: Device,
) -> Result<(f64, f64, serde_json::Value)> {
    cfg.check_exportable()?;
    let first = &members.first().context("an ensemble needs members")?.summary;
    let mut e = contract(cfg, first)?;
    e.extra.insert("config".into(), first["config"].clone());
    e.extra.insert("seeds".into(), members.iter().map(|m| m.summary["config"]["seed"].clone()).collect());
    e.extra.insert("epochs".into(), members.iter().map(|m| m.summary["best_epoch"].clone()).collect());
    if cfg.select == Selection::Last {
        // A model for deployment: nothing was chosen on `validation`, which may lie inside the
        // training range.
        e.extra.insert(
            "selection".into(),
            json!(
                "the last epoch of a count chosen walk-forward; the validation range was only logged (it may lie inside the training range)"
            ),
        );
    }
    let graphs = members.iter().map(|m| m.net.export()).collect::<Result<Vec<_>>>()?;
    write_ranking_ensemble(out, &LsrIgruEnsemble { members: graphs }, &e)?;

    let d = *data.days(&cfg.validation, cfg).last().context("no validation day")?;
    let (x, long, short, _) = data.inputs(d, cfg.window, cfg, device)?;
    let each = members
        .iter()
        .map(|m| {
            let _guard = tch::no_grad_guard();
            let s = Vec::<f32>::try_from(m.net.forward(&x, &long, &short).to_device(Device::Cpu).flatten(0, -1))?;
            Ok(s.into_iter().map(f64::from).collect())
        })
        .collect::<Result<Vec<Vec<f64>>>>()?;
    let spreads: Vec<f64> = each.iter().map(|s| mean_and_spread(s).1).collect();
    let nodes: Vec<f32> = combine_zscores(&each).into_iter().map(|v| v as f32).collect();
    let want = stock_scores(&data.panel, d, data.history, &nodes);
    let tolerance = parity::ensemble_tolerance(&spreads);
    let (worst, latency) = rank_parity(out, data, d, &want, tolerance, "ensemble scores")?;
    Ok((worst, tolerance, latency))
}
