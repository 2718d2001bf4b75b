//! Reading ONNX: decoding a graph, its declared inputs and outputs, and its float weights (the
//! bundle checks). Writing graphs is the export side's (`trendcast-export`).

use prost::Message;
use tract_onnx::pb::{ModelProto, ValueInfoProto, tensor_proto::DataType, tensor_shape_proto::dimension, type_proto};

use super::manifest::{Dim, TensorSpec};
use crate::error::{Error, Result};

/// Serialises a model.
pub fn encode(model: &ModelProto) -> Vec<u8> {
    model.encode_to_vec()
}

/// Parses ONNX bytes; a truncated or foreign file is a `Model` error.
pub fn decode(bytes: &[u8]) -> Result<ModelProto> {
    let m = ModelProto::decode(bytes).map_err(|e| Error::model(format!("not a readable ONNX model: {e}")))?;
    if m.graph.as_ref().is_none_or(|g| g.node.is_empty()) {
        return Err(Error::model("the ONNX file has no graph"));
    }
    Ok(m)
}

/// The graph's declared float inputs (minus initializers) and outputs, as the contract states them.
pub fn declared_io(m: &ModelProto) -> Result<(Vec<TensorSpec>, Vec<TensorSpec>)> {
    let g = m.graph.as_ref().ok_or_else(|| Error::model("the ONNX file has no graph"))?;
    let spec = |vi: &ValueInfoProto| -> Result<TensorSpec> {
        let Some(type_proto::Value::TensorType(t)) = vi.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
            return Err(Error::model(format!("graph value {} is not a tensor", vi.name)));
        };
        if t.elem_type != DataType::Float as i32 {
            return Err(Error::contract(format!("graph value {} is not float32", vi.name)));
        }
        let shape = t
            .shape
            .as_ref()
            .map(|s| {
                s.dim
                    .iter()
                    .map(|d| match &d.value {
                        Some(dimension::Value::DimValue(v)) => Dim::Fixed(*v as u64),
                        Some(dimension::Value::DimParam(p)) => Dim::Symbol(p.clone()),
                        None => Dim::Symbol("?".into()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(TensorSpec { name: vi.name.clone(), shape })
    };
    let inits: std::collections::HashSet<&str> = g.initializer.iter().map(|t| t.name.as_str()).collect();
    let inputs = g.input.iter().filter(|v| !inits.contains(v.name.as_str())).map(spec).collect::<Result<_>>()?;
    let outputs = g.output.iter().map(spec).collect::<Result<_>>()?;
    Ok((inputs, outputs))
}

/// The first float initializer value of a graph that is not finite, as (initializer, index,
/// value): NaN or infinite weights (a diverged training) make every answer meaningless, and an
/// engine need not even show it (tract's activations can turn NaN into a constant).
pub fn non_finite_weight(proto: &ModelProto) -> Result<Option<(String, usize, f32)>> {
    Ok(initializers(proto)?.into_iter().find_map(|(name, v)| v.iter().position(|x| !x.is_finite()).map(|i| (name.to_string(), i, v[i]))))
}

/// Float initializers of a graph by name.
pub fn initializers(proto: &ModelProto) -> Result<std::collections::HashMap<&str, Vec<f32>>> {
    let graph = proto.graph.as_ref().ok_or_else(|| Error::model("ONNX model without a graph"))?;
    Ok(graph
        .initializer
        .iter()
        .filter(|t| t.data_type == tract_onnx::pb::tensor_proto::DataType::Float as i32)
        .map(|t| {
            let v = if t.raw_data.is_empty() {
                t.float_data.clone()
            } else {
                t.raw_data.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
            };
            (t.name.as_str(), v)
        })
        .collect())
}
