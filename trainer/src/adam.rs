//! Adam (Kingma and Ba; libtorch's update, no weight decay) with its moments in plain tensors, so
//! that a checkpoint can hold them and a resumed run takes the very steps an uninterrupted one
//! would. tch's own optimiser keeps its state inside libtorch, out of reach of a save.

use std::path::Path;

use anyhow::{Context, Result, bail};
use tch::{Kind, Tensor, nn};

pub struct Adam {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    /// Steps taken (bias correction).
    steps: i64,
    /// The trained variables, sorted by name, with their first and second moments.
    vars: Vec<(String, Tensor)>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
}

impl Adam {
    /// libtorch's defaults: betas 0.9 / 0.999, eps 1e-8.
    pub fn new(vs: &nn::VarStore, lr: f64) -> Adam {
        let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let zeros = |vars: &[(String, Tensor)]| vars.iter().map(|(_, t)| t.zeros_like()).collect();
        Adam { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, steps: 0, m: zeros(&vars), v: zeros(&vars), vars }
    }

    pub fn zero_grad(&mut self) {
        for (_, t) in &mut self.vars {
            t.zero_grad();
        }
    }

    pub fn steps(&self) -> i64 {
        self.steps
    }

    pub fn step(&mut self) {
        let _guard = tch::no_grad_guard();
        self.steps += 1;
        let c1 = 1.0 - self.beta1.powi(self.steps as i32);
        let c2 = 1.0 - self.beta2.powi(self.steps as i32);
        for (((_, p), m), v) in self.vars.iter_mut().zip(&mut self.m).zip(&mut self.v) {
            let g = p.grad();
            if !g.defined() {
                continue;
            }
            *m *= self.beta1;
            *m += &g * (1.0 - self.beta1);
            *v *= self.beta2;
            *v += g.square() * (1.0 - self.beta2);
            let denom = (&*v / c2).sqrt() + self.eps;
            *p -= (&*m / c1) / denom * self.lr;
        }
    }

    /// Writes the moments and the step count to `path`.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut named: Vec<(String, Tensor)> = vec![("steps".into(), Tensor::from_slice(&[self.steps]))];
        for ((name, _), (m, v)) in self.vars.iter().zip(self.m.iter().zip(&self.v)) {
            named.push((format!("m/{name}"), m.shallow_clone()));
            named.push((format!("v/{name}"), v.shallow_clone()));
        }
        Tensor::save_multi(&named, path).with_context(|| format!("writing {}", path.display()))
    }

    /// Reads what [`Adam::save`] wrote for the same variables.
    pub fn load(&mut self, path: &Path) -> Result<()> {
        let named: std::collections::HashMap<String, Tensor> =
            Tensor::load_multi(path).with_context(|| format!("reading {}", path.display()))?.into_iter().collect();
        let take = |key: &str| named.get(key).with_context(|| format!("{}: no {key}", path.display()));
        let steps = take("steps")?.int64_value(&[0]);
        let _guard = tch::no_grad_guard();
        for ((name, p), (m, v)) in self.vars.iter().zip(self.m.iter_mut().zip(&mut self.v)) {
            for (moment, key) in [(&mut *m, format!("m/{name}")), (&mut *v, format!("v/{name}"))] {
                let saved = take(&key)?;
                if saved.size() != p.size() {
                    bail!("{}: {key} has shape {:?}, the variable {:?}", path.display(), saved.size(), p.size());
                }
                moment.copy_(&saved.to_kind(Kind::Float).to_device(p.device()));
            }
        }
        self.steps = steps;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, nn::OptimizerConfig};

    /// The same steps as libtorch's Adam, and a save / load in the middle changes nothing.
    #[test]
    fn steps_like_libtorchs_adam_and_resumes_exactly() {
        let loss_of = |w: &Tensor| (w * Tensor::from_slice(&[1.0f32, -2.0, 3.0]) - 0.5).square().sum(Kind::Float);
        let make = || {
            let vs = nn::VarStore::new(Device::Cpu);
            let _w = vs.root().var_copy("w", &Tensor::from_slice(&[0.3f32, -0.1, 0.7]));
            vs
        };
        let w_of = |vs: &nn::VarStore| vs.variables()["w"].shallow_clone();

        let theirs = make();
        let mut opt = nn::Adam::default().build(&theirs, 0.05).unwrap();
        let ours = make();
        let mut adam = Adam::new(&ours, 0.05);
        let dir = tempfile::tempdir().unwrap();
        let resumed = make();
        let mut adam2 = Adam::new(&resumed, 0.05);
        for step in 0..20 {
            opt.zero_grad();
            loss_of(&w_of(&theirs)).backward();
            opt.step();
            adam.zero_grad();
            loss_of(&w_of(&ours)).backward();
            adam.step();
            if step == 9 {
                // A fresh optimiser on copied weights, given the saved moments.
                adam.save(&dir.path().join("adam.ot")).unwrap();
                tch::no_grad(|| w_of(&resumed).copy_(&w_of(&ours)));
                adam2.load(&dir.path().join("adam.ot")).unwrap();
            } else if step > 9 {
                adam2.zero_grad();
                loss_of(&w_of(&resumed)).backward();
                adam2.step();
            }
        }
        let diff = (w_of(&theirs) - w_of(&ours)).abs().max().double_value(&[]);
        assert!(diff < 1e-6, "ours vs libtorch's Adam: {diff}");
        assert!(w_of(&theirs).ne_tensor(&Tensor::from_slice(&[0.3f32, -0.1, 0.7])).all().int64_value(&[]) == 1, "it moved");
        assert_eq!(adam2.steps(), 20);
        assert!(w_of(&resumed).equal(&w_of(&ours)), "a resumed run takes the same steps bit for bit");
    }
}
