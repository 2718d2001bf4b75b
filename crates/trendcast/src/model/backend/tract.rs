//! tract: parse once, optimise one plan per input shape (fixed shapes are faster than symbolic
//! ones and avoid tract's symbolic-batch GRU panic), and never let a tract panic reach a caller.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::ensure;

use super::{BackendKind, Engine, TensorIn};
use crate::error::{Error, Result};

/// Plans kept per model; a caller cycling through more batch sizes rebuilds some (about 3 ms each).
const MAX_PLANS: usize = 16;
/// Input dimensions of one call, all inputs concatenated: the plan cache's key (no allocation).
type ShapeKey = [usize; 12];

/// Runs `f`, turning a tract error or a tract panic into a backend error.
fn guarded<T>(what: &str, f: impl FnOnce() -> TractResult<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Error::backend(format!("tract {what}: {e:#}"))),
        Err(p) => Err(Error::backend(format!("tract {what} panicked: {}", crate::model::backend::panic_message(p)))),
    }
}

pub(crate) struct TractEngine {
    model: InferenceModel,
    plans: Mutex<HashMap<ShapeKey, Arc<TypedSimplePlan>>>,
}

impl TractEngine {
    pub(crate) fn new(proto: &ModelProto) -> Result<Self> {
        let model = guarded("load", || tract_onnx::onnx().model_for_proto_model(proto))?;
        Ok(TractEngine { model, plans: Mutex::new(HashMap::new()) })
    }

    fn plan(&self, inputs: &[TensorIn<'_>]) -> Result<Arc<TypedSimplePlan>> {
        let mut key: ShapeKey = [0; 12];
        let dims = inputs.iter().flat_map(|t| t.shape.iter().copied().chain([usize::MAX]));
        for (k, d) in key.iter_mut().zip(dims) {
            *k = d;
        }
        if let Some(p) = self.plans.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(p.clone());
        }
        // Built outside the lock: a slow or panicking optimisation must not block or poison others.
        let plan = guarded("optimise", || {
            let mut m = self.model.clone();
            for (i, t) in inputs.iter().enumerate() {
                m = m.with_input_fact(i, InferenceFact::dt_shape(f32::datum_type(), t.shape))?;
            }
            m.into_optimized()?.into_runnable()
        })?;
        let mut plans = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        if plans.len() >= MAX_PLANS {
            plans.clear();
        }
        Ok(plans.entry(key).or_insert(plan).clone())
    }
}

impl Engine for TractEngine {
    fn run(&self, inputs: &[TensorIn<'_>], out: &mut [f32]) -> Result<()> {
        let plan = self.plan(inputs)?;
        guarded("run", || {
            // tract owns its (aligned) tensors: one copy of each input.
            let values: TVec<TValue> =
                inputs.iter().map(|t| Ok(Tensor::from_shape(t.shape, t.data)?.into_tvalue())).collect::<TractResult<_>>()?;
            let result = plan.run(values)?;
            let data = result[0].try_as_plain_ram()?;
            let data = data.as_slice::<f32>()?;
            ensure!(data.len() == out.len(), "output has {} values, expected {}", data.len(), out.len());
            out.copy_from_slice(data);
            Ok(())
        })
    }

    fn backend(&self) -> BackendKind {
        BackendKind::Tract
    }

    fn execution_provider(&self) -> &str {
        "tract-cpu"
    }
}
