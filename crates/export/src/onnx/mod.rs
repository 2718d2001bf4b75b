//! Writing ONNX from Rust: a small graph builder over tract's prost-generated protobuf types, and
//! the graphs trendcast exports (the trainer writes its models through these; tests and benches
//! build real models with known weights the same way).

mod direction;
mod lsr_igru;
mod ranking;

pub use direction::{Cell, DirectionNet, RecurrentClassifier};
pub use lsr_igru::{
    Dense, EncoderKind, GAT_LEAKY_SLOPE, GAT_MASKED_LOGIT, GraphLayer, LsrIgru, LsrIgruEnsemble, LsrIgruSpec, RankingGraphs, RecurrentCell,
    RecurrentLayer, WindowLayer, WindowWeights, aggregate_first, combine_zscores, mean_and_spread, zscore_tolerance,
};
pub use ranking::RankingProbe;
// Reading graphs is the serving side's; re-exported so that writers and readers meet in one place.
pub use trendcast::model::onnx::{declared_io, decode, encode, initializers, non_finite_weight};

use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto, TensorShapeProto,
    TypeProto, ValueInfoProto, attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto::Dimension,
    tensor_shape_proto::dimension, type_proto,
};

use trendcast::model::manifest::{Dim, TensorSpec};

/// IR version of tract's bundled onnx.proto; ONNX Runtime 1.31 reads it too.
pub const IR_VERSION: i64 = 8;
/// Default-domain opset: inside what both tract (9..=18) and ONNX Runtime 1.31 support.
pub const OPSET: i64 = 17;

/// Accumulates initializers and nodes; `finish` wraps them into a model.
#[derive(Default)]
pub struct GraphBuilder {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
}

/// A node attribute. (The tensor variant is large; attributes are built once per export.)
#[allow(clippy::large_enum_variant)]
pub enum Attr<'a> {
    Int(&'a str, i64),
    Ints(&'a str, &'a [i64]),
    Float(&'a str, f32),
    Tensor(&'a str, TensorProto),
}

impl GraphBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a float32 constant.
    pub fn f32(&mut self, name: &str, dims: &[usize], data: &[f32]) -> &mut Self {
        self.initializers.push(f32_tensor(name, dims, data));
        self
    }

    /// Adds an int64 constant.
    pub fn i64(&mut self, name: &str, dims: &[usize], data: &[i64]) -> &mut Self {
        self.initializers.push(TensorProto {
            name: name.into(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Int64 as i32,
            raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ..Default::default()
        });
        self
    }

    /// Adds a node; `""` stands for an absent optional input or output.
    pub fn node(&mut self, op: &str, inputs: &[&str], outputs: &[&str], attrs: Vec<Attr<'_>>) -> &mut Self {
        let attribute = attrs
            .into_iter()
            .map(|a| match a {
                Attr::Int(n, v) => AttributeProto { name: n.into(), r#type: AttributeType::Int as i32, i: v, ..Default::default() },
                Attr::Ints(n, v) => {
                    AttributeProto { name: n.into(), r#type: AttributeType::Ints as i32, ints: v.to_vec(), ..Default::default() }
                }
                Attr::Float(n, v) => AttributeProto { name: n.into(), r#type: AttributeType::Float as i32, f: v, ..Default::default() },
                Attr::Tensor(n, t) => {
                    AttributeProto { name: n.into(), r#type: AttributeType::Tensor as i32, t: Some(t), ..Default::default() }
                }
            })
            .collect();
        self.nodes.push(NodeProto {
            op_type: op.into(),
            name: format!("{}_{}", op.to_lowercase(), self.nodes.len()),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|s| s.to_string()).collect(),
            attribute,
            ..Default::default()
        });
        self
    }

    /// The model: graph inputs and outputs as declared by the contract, metadata as key/value pairs.
    pub fn finish(self, name: &str, inputs: &[TensorSpec], outputs: &[TensorSpec], metadata: &[(String, String)]) -> ModelProto {
        let graph = GraphProto {
            name: name.into(),
            node: self.nodes,
            initializer: self.initializers,
            input: inputs.iter().map(value_info).collect(),
            output: outputs.iter().map(value_info).collect(),
            ..Default::default()
        };
        ModelProto {
            ir_version: IR_VERSION,
            opset_import: vec![OperatorSetIdProto { domain: String::new(), version: OPSET }],
            producer_name: "trendcast".into(),
            producer_version: trendcast::VERSION.into(),
            graph: Some(graph),
            metadata_props: metadata.iter().map(|(k, v)| StringStringEntryProto { key: k.clone(), value: v.clone() }).collect(),
            ..Default::default()
        }
    }
}

pub fn f32_tensor(name: &str, dims: &[usize], data: &[f32]) -> TensorProto {
    debug_assert_eq!(dims.iter().product::<usize>(), data.len());
    TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: DataType::Float as i32,
        raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn value_info(spec: &TensorSpec) -> ValueInfoProto {
    let dim = spec
        .shape
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Dim::Fixed(v) => dimension::Value::DimValue(*v as i64),
                Dim::Symbol(s) => dimension::Value::DimParam(s.clone()),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: spec.name.clone(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}
