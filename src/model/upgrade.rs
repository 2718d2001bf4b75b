//! Rewrites a ranking bundle of the single-graph form (nodes, A_L, A_S of the window -> scores) as
//! the encoder and window graphs this library serves. The weights are read back from the old
//! graph's initializers, and both the old graph and the new bundle are run on the same random
//! inputs against the f64 reference of the weights read, so that an upgrade that changed what the
//! model computes is refused instead of written.

use std::path::Path;

use rand::{Rng, SeedableRng};

use super::backend::{Engine, TensorIn};
use super::bundle::{Bundle, MANIFEST_FILE, sha256_hex};
use super::export::{RankingExport, write_ranking, write_ranking_ensemble};
use super::manifest::{LabelSpec, Manifest, ModelKind};
use super::onnx::{LsrIgru, LsrIgruEnsemble, LsrIgruSpec, combine_zscores, mean_and_spread, zscore_tolerance};
use super::{BackendKind, Model, OpenOptions};
use crate::error::{Error, Result};
use crate::relations::N_NODE_FEATURES;

/// Largest difference from the f64 reference either form may show in a model's own scores (the
/// parity gate's); an ensemble's z-scores are allowed this carried through each member's spread.
const TOLERANCE: f64 = 1e-5;

/// Reads the single-graph ranking bundle in `old` and writes it in the two-graph form into `new`;
/// returns the new manifest. The name, contract and `extra` carry over.
pub fn upgrade_ranking(old: &Path, new: &Path) -> Result<Manifest> {
    let mpath = old.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&mpath).map_err(|e| Error::model(format!("cannot read {}: {e}", mpath.display())))?;
    let m: Manifest =
        serde_json::from_str(&text).map_err(|e| Error::contract(format!("{} is not a valid manifest: {e}", mpath.display())))?;
    if m.kind != ModelKind::Ranking {
        return Err(Error::argument(format!("{} is a {} bundle: only ranking bundles are upgraded", old.display(), m.kind.name())));
    }
    if m.encoder.is_some() {
        return Err(Error::argument(format!("{} already has an encoder graph: nothing to upgrade", old.display())));
    }
    let opath = old.join(&m.onnx_file);
    let bytes = std::fs::read(&opath).map_err(|e| Error::model(format!("cannot read {}: {e}", opath.display())))?;
    if sha256_hex(&bytes) != m.onnx_sha256 {
        return Err(Error::contract(format!("{} does not have the sha256 its manifest says", opath.display())));
    }
    let proto = super::onnx::decode(&bytes)?;
    let spec: LsrIgruSpec = m
        .extra
        .get("architecture")
        .and_then(|a| serde_json::from_value(a.clone()).ok())
        .ok_or_else(|| Error::contract("the manifest records no LSR-IGRU architecture (extra.architecture)"))?;
    let n_members = m.extra.get("members").and_then(|v| v.as_u64());
    let members: Vec<LsrIgru> = match n_members {
        None => vec![LsrIgru::from_initializers(spec, &proto, "")?],
        Some(k) => (0..k).map(|i| LsrIgru::from_initializers(spec.clone(), &proto, &format!("m{i}/"))).collect::<Result<_>>()?,
    };
    let ensemble = LsrIgruEnsemble { members };
    let x = Inputs::random(m.window, 24, 7);
    let each: Vec<Vec<f64>> = ensemble.members.iter().map(|g| g.reference(&x.nodes, &x.long, &x.short, x.t, x.n)).collect();
    // An ensemble's scores are z-scores: each member's error is divided by its spread.
    let (want, tolerance) = match n_members {
        None => (each[0].clone(), TOLERANCE),
        Some(_) => {
            let spreads: Vec<f64> = each.iter().map(|s| mean_and_spread(s).1).collect();
            (combine_zscores(&each), zscore_tolerance(TOLERANCE, &spreads))
        }
    };
    let old_engine = super::backend::tract::TractEngine::new(&proto)?;
    let mut got = vec![0f32; x.n];
    old_engine.run(
        &[
            TensorIn { shape: &[x.t, x.n, N_NODE_FEATURES], data: &x.nodes },
            TensorIn { shape: &[x.n, x.n], data: &x.long },
            TensorIn { shape: &[x.t, x.n, x.n], data: &x.short },
        ],
        &mut got,
    )?;
    check_close("the old graph", &got, &want, tolerance)?;

    let target = match m.label {
        LabelSpec::Rank { target } => target,
        LabelSpec::Direction(_) => return Err(Error::contract("a ranking bundle with a direction label")),
    };
    let relations = m.relations.ok_or_else(|| Error::contract("a ranking bundle without relation settings"))?;
    let mut extra = m.extra.clone();
    for written in ["architecture", "members", "parameters"] {
        extra.remove(written);
    }
    let e = RankingExport { name: m.name.clone(), window: m.window, target, relations, train: m.train, validation: m.validation, extra };
    let written = match n_members {
        None => write_ranking(new, &ensemble.members[0], &e)?,
        Some(_) => write_ranking_ensemble(new, &ensemble, &e)?,
    };

    let model = Model::from_bundle(Bundle::load(new)?, &OpenOptions { backend: BackendKind::Tract, ..Default::default() })?;
    let mut encodings = Vec::new();
    model.encode_days(x.n, &x.nodes, &x.long, &x.short, &mut encodings)?;
    model.score_encodings(&encodings, x.n, &mut got)?;
    check_close("the upgraded bundle", &got, &want, tolerance)?;
    Ok(written)
}

fn check_close(what: &str, got: &[f32], want: &[f64], tolerance: f64) -> Result<()> {
    let worst = got.iter().zip(want).map(|(g, w)| (*g as f64 - w).abs()).fold(0f64, f64::max);
    if worst.is_nan() || worst > tolerance {
        return Err(Error::model(format!("{what} differs from the weights' f64 reference by {worst:e} (> {tolerance:e})")));
    }
    Ok(())
}

/// Random ranking inputs of `n` nodes over `t` days: node features around 0, a 0/1 long-term
/// matrix, short-term values in [0, 1].
struct Inputs {
    t: usize,
    n: usize,
    nodes: Vec<f32>,
    long: Vec<f32>,
    short: Vec<f32>,
}

impl Inputs {
    fn random(t: usize, n: usize, seed: u64) -> Inputs {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let nodes = (0..t * n * N_NODE_FEATURES).map(|_| rng.random_range(-2.0..2.0)).collect();
        let long = (0..n * n).map(|k| if k % n == k / n || rng.random_bool(0.2) { 1.0 } else { 0.0 }).collect();
        let short = (0..t * n * n).map(|_| if rng.random_bool(0.5) { rng.random_range(0.5..1.0) } else { 0.0 }).collect();
        Inputs { t, n, nodes, long, short }
    }
}
