//! Writing bundles: the contract filled in from what this library computes, the ONNX graph from
//! `model::onnx`. The trainer exports through here; tests and benches build real models with it.

use std::path::Path;

use crate::dataset::Splits;
use crate::onnx::RankingProbe;
use crate::onnx::{DirectionNet, LsrIgru, LsrIgruEnsemble, LsrIgruSpec, RankingGraphs};
use trendcast::contract::WindowAlignment;
use trendcast::contract::labels::{Direction, DirectionLabel, RankTarget};
use trendcast::error::{Error, Result};
use trendcast::model::bundle::Bundle;
use trendcast::model::manifest::{
    DateRange, EncoderGraph, FORMAT_VERSION, LabelSpec, Manifest, ModelKind, RelationSpec, Scaler, direction_features, direction_io,
    ranking_encoder_io, ranking_io,
};

/// Everything a direction bundle records besides its weights.
#[derive(Debug, Clone)]
pub struct DirectionExport {
    pub name: String,
    pub window: usize,
    pub alignment: WindowAlignment,
    pub scaler: Option<Scaler>,
    /// The windows carry the market features after the 13.
    pub market: bool,
    pub label: DirectionLabel,
    pub train: DateRange,
    pub validation: DateRange,
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl DirectionExport {
    /// A contract with the default label and the original's split dates.
    pub fn new(name: &str, window: usize) -> Self {
        DirectionExport {
            name: name.into(),
            window,
            alignment: WindowAlignment::EndsAtT,
            scaler: None,
            market: false,
            label: DirectionLabel::default(),
            train: Splits::default().train_range().into(),
            validation: Splits::default().validation_range().into(),
            extra: Default::default(),
        }
    }

    fn manifest(&self, kind: ModelKind, features: Vec<String>) -> Manifest {
        let mut m = contract(&self.name, kind, features, self.window, self.train, self.validation, &self.extra);
        m.alignment = self.alignment;
        m.scaler = self.scaler.clone();
        m.label = LabelSpec::Direction(self.label);
        m
    }
}

/// Everything a ranking bundle records besides its weights.
#[derive(Debug, Clone)]
pub struct RankingExport {
    pub name: String,
    pub window: usize,
    pub target: RankTarget,
    pub relations: RelationSpec,
    pub train: DateRange,
    pub validation: DateRange,
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl RankingExport {
    /// A contract with the spec's window (15), relation settings, the open-to-open label (what the
    /// backtest earns) and the spec's split dates.
    pub fn new(name: &str) -> Self {
        let d = |s| trendcast::Date::parse(s).expect("valid date");
        RankingExport {
            name: name.into(),
            window: 15,
            target: RankTarget::OpenT1ToT2,
            relations: RelationSpec::default(),
            train: DateRange { from: d("2018-01-01"), to: d("2021-12-31") },
            validation: DateRange { from: d("2022-01-01"), to: d("2022-12-31") },
            extra: Default::default(),
        }
    }
}

/// The fields every bundle has; the writers fill in the rest.
fn contract(
    name: &str,
    kind: ModelKind,
    features: Vec<String>,
    window: usize,
    train: DateRange,
    validation: DateRange,
    extra: &serde_json::Map<String, serde_json::Value>,
) -> Manifest {
    Manifest {
        format: FORMAT_VERSION,
        name: name.into(),
        kind,
        library_version: trendcast::VERSION.into(),
        onnx_file: "model.onnx".into(),
        onnx_sha256: String::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        encoder: None,
        features,
        window,
        alignment: WindowAlignment::EndsAtT,
        scaler: None,
        label: LabelSpec::Direction(DirectionLabel::default()),
        classes: Vec::new(),
        relations: None,
        train,
        validation,
        extra: extra.clone(),
    }
}

fn metadata(m: &Manifest) -> Vec<(String, String)> {
    vec![
        ("trendcast.kind".into(), m.kind.name().into()),
        ("trendcast.name".into(), m.name.clone()),
        ("trendcast.features".into(), m.features.join(",")),
        ("trendcast.window".into(), m.window.to_string()),
        ("trendcast.library_version".into(), m.library_version.clone()),
    ]
}

/// Writes a direction bundle (one recurrent classifier or a seed ensemble) into `dir`; returns its
/// manifest. The architecture is recorded in `extra.architecture` (informational).
pub fn write_direction(dir: &Path, net: &DirectionNet, e: &DirectionExport) -> Result<Manifest> {
    let mut m = e.manifest(ModelKind::Direction, direction_features(e.market));
    (m.inputs, m.outputs) = direction_io(e.window, m.features.len());
    if let Some(net) = net.members.iter().find(|n| n.input_size != m.features.len()) {
        return Err(Error::shape(format!(
            "the net reads {} values per step, the contract's features are {}",
            net.input_size,
            m.features.len()
        )));
    }
    m.classes = Direction::NAMES.map(String::from).to_vec();
    let proto = net.to_onnx(&m.inputs, &m.outputs, &metadata(&m))?;
    m.extra.insert("architecture".into(), net.describe());
    Bundle::write(dir, &mut m, &proto, None)?;
    Ok(m)
}

/// Writes a seed ensemble of direction bundles into `dir`: one graph whose output is the mean of
/// the members' probabilities. The members must share the contract (features, window, alignment,
/// scaler, label, classes); the ensemble's manifest is the first member's, named `name`, with the
/// members listed in `extra.members`.
pub fn write_direction_ensemble(dir: &Path, name: &str, members: &[Bundle]) -> Result<Manifest> {
    let Some(first) = members.first() else {
        return Err(Error::argument("an ensemble needs at least one member"));
    };
    let f = &first.manifest;
    let mut net = DirectionNet { members: Vec::new() };
    for b in members {
        let m = &b.manifest;
        if m.kind != ModelKind::Direction {
            return Err(Error::contract(format!("{}: not a direction bundle", b.dir.display())));
        }
        if (&m.features, m.window, m.alignment, &m.scaler, &m.label, &m.classes)
            != (&f.features, f.window, f.alignment, &f.scaler, &f.label, &f.classes)
        {
            return Err(Error::contract(format!(
                "{} and {} have different contracts (features, window, alignment, scaler, label or classes)",
                first.dir.display(),
                b.dir.display()
            )));
        }
        net.members.extend(DirectionNet::from_onnx(&b.onnx)?.members);
    }
    let e = DirectionExport {
        name: name.into(),
        window: f.window,
        alignment: f.alignment,
        scaler: f.scaler.clone(),
        market: f.reads_market(),
        label: match f.label {
            LabelSpec::Direction(l) => l,
            _ => return Err(Error::contract("a direction bundle without a direction label")),
        },
        train: f.train,
        validation: f.validation,
        extra: serde_json::Map::from_iter([(
            "members".to_string(),
            members
                .iter()
                .map(|b| serde_json::json!({"name": b.manifest.name, "onnx_sha256": b.manifest.onnx_sha256, "dir": b.dir}))
                .collect(),
        )]),
    };
    write_direction(dir, &net, &e)
}

/// Writes an LSR-IGRU ranking bundle into `dir`; returns its manifest. The architecture is recorded
/// in `extra.architecture` (informational: the graphs are what runs).
pub fn write_ranking(dir: &Path, model: &LsrIgru, e: &RankingExport) -> Result<Manifest> {
    check_node_width(&model.spec, e)?;
    let mut m = ranking_contract(e);
    m.extra.insert("architecture".into(), serde_json::to_value(&model.spec).expect("a spec always serialises"));
    m.extra.insert("parameters".into(), model.n_params().into());
    let graphs = model.to_onnx(e.window, &metadata(&m))?;
    write_ranking_graphs(dir, m, &graphs)
}

/// Writes a seed ensemble of LSR-IGRU models as one bundle: the members' encodings side by side,
/// their per-day z-scored node scores averaged. The manifest's `architecture` is the members' (they
/// share one), and `members` says how many there are.
pub fn write_ranking_ensemble(dir: &Path, ensemble: &LsrIgruEnsemble, e: &RankingExport) -> Result<Manifest> {
    let Some(first) = ensemble.members.first() else {
        return Err(Error::argument("an ensemble needs at least one member"));
    };
    check_node_width(&first.spec, e)?;
    let mut m = ranking_contract(e);
    m.extra.insert("architecture".into(), serde_json::to_value(&first.spec).expect("a spec always serialises"));
    m.extra.insert("members".into(), ensemble.members.len().into());
    m.extra.insert("parameters".into(), ensemble.members.iter().map(LsrIgru::n_params).sum::<usize>().into());
    let graphs = ensemble.to_onnx(e.window, &metadata(&m))?;
    write_ranking_graphs(dir, m, &graphs)
}

/// A model reads as many values per node as its relation settings' node features give.
fn check_node_width(spec: &LsrIgruSpec, e: &RankingExport) -> Result<()> {
    let kind = e.relations.node_features;
    if spec.node_width != kind.width() {
        return Err(Error::contract(format!(
            "the model reads {} values per node, its node features {kind:?} are {}",
            spec.node_width,
            kind.width()
        )));
    }
    Ok(())
}

/// Declares the two graphs' tensors in the ranking contract `m` and writes the bundle.
fn write_ranking_graphs(dir: &Path, mut m: Manifest, graphs: &RankingGraphs) -> Result<Manifest> {
    (m.inputs, m.outputs) = ranking_io(m.window, graphs.members, graphs.width, &graphs.inputs);
    let (inputs, outputs) = ranking_encoder_io(graphs.node_width, graphs.members, graphs.width);
    m.encoder = Some(EncoderGraph { onnx_file: String::new(), onnx_sha256: String::new(), inputs, outputs });
    Bundle::write(dir, &mut m, &graphs.window, Some(&graphs.encoder))?;
    Ok(m)
}

/// The ranking contract of `e`, without its architecture and its graphs' tensors.
fn ranking_contract(e: &RankingExport) -> Manifest {
    let mut m = contract(
        &e.name,
        ModelKind::Ranking,
        e.relations.node_features.names().iter().map(|s| s.to_string()).collect(),
        e.window,
        e.train,
        e.validation,
        &e.extra,
    );
    m.label = LabelSpec::Rank { target: e.target };
    m.relations = Some(e.relations);
    m
}

/// Writes a ranking bundle around the ranking probe graphs (tests and benches of the call path).
pub fn write_ranking_probe(dir: &Path, probe: &RankingProbe, e: &DirectionExport, relations: RelationSpec) -> Result<Manifest> {
    let mut m = e.manifest(ModelKind::Ranking, relations.node_features.names().iter().map(|s| s.to_string()).collect());
    m.label = LabelSpec::Rank { target: RankTarget::OpenT1ToT2 };
    m.relations = Some(relations);
    let graphs = probe.to_onnx(e.window, &metadata(&m));
    write_ranking_graphs(dir, m, &graphs)
}
