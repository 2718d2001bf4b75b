//! Rewrites a ranking bundle of an earlier form as the one this library writes:
//! - the single-graph form (nodes, A_L, A_S of the window -> scores) as the encoder and window
//!   graphs: the weights are read back from the old graph's initializers, and both the old graph
//!   and the new bundle are run on the same random inputs against the f64 reference of the weights
//!   read;
//! - a window graph that takes the encodings stacked as one that takes each day's in pieces: the
//!   window weights read back, the encoder kept, old and new run on the same random inputs.
//!
//! An upgrade that changed what the model computes is refused instead of written.

use std::path::Path;

use rand::{Rng, SeedableRng};

use crate::export::{RankingExport, write_ranking, write_ranking_ensemble};
use crate::onnx::{
    LsrIgru, LsrIgruEnsemble, LsrIgruSpec, RankingGraphs, WindowWeights, combine_zscores, mean_and_spread, zscore_tolerance,
};
use trendcast::error::{Error, Result};
use trendcast::model::backend::{TensorIn, run_on_tract};
use trendcast::model::bundle::{Bundle, MANIFEST_FILE, sha256_hex};
use trendcast::model::manifest::{LabelSpec, Manifest, ModelKind, WindowInputs, ranking_io};
use trendcast::model::{BackendKind, Model, OpenOptions};
use trendcast::relations::N_NODE_FEATURES;

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
        return upgrade_window(old, new, m);
    }
    let opath = old.join(&m.onnx_file);
    let bytes = std::fs::read(&opath).map_err(|e| Error::model(format!("cannot read {}: {e}", opath.display())))?;
    if sha256_hex(&bytes) != m.onnx_sha256 {
        return Err(Error::contract(format!("{} does not have the sha256 its manifest says", opath.display())));
    }
    let proto = crate::onnx::decode(&bytes)?;
    let spec = architecture(&m)?;
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
    let mut got = vec![0f32; x.n];
    run_on_tract(
        &proto,
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

/// The LSR-IGRU architecture a ranking manifest records.
fn architecture(m: &Manifest) -> Result<LsrIgruSpec> {
    m.extra
        .get("architecture")
        .and_then(|a| serde_json::from_value(a.clone()).ok())
        .ok_or_else(|| Error::contract("the manifest records no LSR-IGRU architecture (extra.architecture)"))
}

/// Largest difference allowed between an ensemble's z-scores from the stacked and the pieces
/// window graph: the same sums in another order, each member's rounding (~1e-7 of a score)
/// divided by its spread (~1e-2 for trained members). A wrongly cut gate differs by O(1).
const ZSCORE_TOLERANCE: f64 = 1e-4;

/// Rewrites a two-graph LSR-IGRU bundle whose window graph takes the encodings stacked (the form
/// before the pieces) as one whose window graph takes them in pieces: the window weights read
/// back from the old window graph, the encoder graph kept. Both bundles rank the same random
/// inputs on tract and must agree.
fn upgrade_window(old: &Path, new: &Path, mut m: Manifest) -> Result<Manifest> {
    if m.window_inputs() != Some(WindowInputs::Stacked) {
        return Err(Error::argument(format!("{} already takes its encodings in pieces: nothing to upgrade", old.display())));
    }
    let spec = architecture(&m)?;
    let bundle = Bundle::load(old)?;
    let (members, width) = m.encoding_shape().ok_or_else(|| Error::contract("the encoder declares no encodings[days, M, nodes, E]"))?;
    let ensemble = m.extra.get("members").is_some();
    let weights = WindowWeights::from_stacked_window(spec.clone(), members, &bundle.onnx)?;
    let metadata: Vec<(String, String)> = bundle.onnx.metadata_props.iter().map(|p| (p.key.clone(), p.value.clone())).collect();
    let window = RankingGraphs::window_graph(&weights, ensemble, m.window, &metadata)?;
    let encoder = &bundle.encoder.as_ref().ok_or_else(|| Error::contract("a two-graph bundle without its encoder graph"))?.onnx;
    (m.inputs, m.outputs) = ranking_io(m.window, members, width, &WindowInputs::Pieces(spec.day_pieces()));
    Bundle::write(new, &mut m, &window, Some(encoder))?;

    let x = Inputs::random(m.window, 24, 7);
    let tract = OpenOptions { backend: BackendKind::Tract, ..Default::default() };
    let scores = |model: Model| -> Result<Vec<f32>> {
        let (mut encodings, mut got) = (Vec::new(), vec![0f32; x.n]);
        model.encode_days(x.n, &x.nodes, &x.long, &x.short, &mut encodings)?;
        model.score_encodings(&encodings, x.n, &mut got)?;
        Ok(got)
    };
    let want: Vec<f64> = scores(Model::from_bundle(bundle, &tract)?)?.into_iter().map(f64::from).collect();
    let got = scores(Model::open(new, &tract)?)?;
    check_close("the upgraded bundle (against the old one)", &got, &want, if ensemble { ZSCORE_TOLERANCE } else { TOLERANCE })?;
    Ok(m)
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
