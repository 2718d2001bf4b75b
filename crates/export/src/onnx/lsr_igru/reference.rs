//! The f64 reference of the graphs: the yardstick the engines and the trainer are held to.

use super::*;

pub(super) fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// x [n, i] W [i, o] + b, in f64.
pub(super) fn ref_dense(d: &Dense, x: &[f64], i: usize, o: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0f64; n * o];
    for r in 0..n {
        for c in 0..o {
            out[r * o + c] = d.b[c] as f64 + (0..i).map(|k| x[r * i + k] * d.w[k * o + c] as f64).sum::<f64>();
        }
    }
    out
}

/// Row-wise concatenation of [n, w_k] blocks.
pub(super) fn concat_cols(parts: &[(&[f64], usize)], n: usize) -> Vec<f64> {
    let width: usize = parts.iter().map(|p| p.1).sum();
    let mut out = Vec::with_capacity(n * width);
    for r in 0..n {
        for (p, w) in parts {
            out.extend_from_slice(&p[r * w..(r + 1) * w]);
        }
    }
    out
}

/// One step's encoder in f64: x [n, F], adj [n, n] -> [n, E].
pub(super) fn ref_encoder(spec: &LsrIgruSpec, layers: &[GraphLayer], adj: &[f32], x: &[f64], n: usize) -> Vec<f64> {
    let mut h = x.to_vec();
    let mut width = spec.node_width;
    for (l, layer) in layers.iter().enumerate() {
        let out = spec.encoder_sizes[l];
        let zero_bias = Dense { w: layer.w.clone(), b: vec![0.0; out] };
        let hw = ref_dense(&zero_bias, &h, width, out, n);
        let mut next = vec![0f64; n * out];
        for i in 0..n {
            // Weights of node i's neighbours j.
            let weights: Vec<f64> = match spec.encoder {
                EncoderKind::Gcn => (0..n).map(|j| adj[i * n + j] as f64).collect(),
                EncoderKind::Gat => {
                    let score = |j: usize, a: &[f32]| (0..out).map(|c| hw[j * out + c] * a[c] as f64).sum::<f64>();
                    let s_i = score(i, &layer.att_self);
                    let e: Vec<Option<f64>> = (0..n)
                        .map(|j| {
                            (adj[i * n + j] > 0.0 || i == j).then(|| {
                                let v = s_i + score(j, &layer.att_neigh);
                                if v < 0.0 { GAT_LEAKY_SLOPE as f64 * v } else { v }
                            })
                        })
                        .collect();
                    let m = e.iter().flatten().copied().fold(f64::NEG_INFINITY, f64::max);
                    let ex: Vec<f64> = e.iter().map(|v| v.map_or(0.0, |v| (v - m).exp())).collect();
                    let sum: f64 = ex.iter().sum();
                    ex.iter().map(|v| v / sum).collect()
                }
            };
            for c in 0..out {
                let z = layer.b[c] as f64 + (0..n).map(|j| weights[j] * hw[j * out + c]).sum::<f64>();
                next[i * out + c] = match spec.encoder {
                    EncoderKind::Gcn => z.tanh(),
                    EncoderKind::Gat => {
                        if z > 0.0 {
                            z
                        } else {
                            z.exp() - 1.0
                        }
                    }
                };
            }
        }
        h = next;
        width = out;
    }
    h
}

/// One improved-GRU step in f64: inp [n, i], h [n, u] -> [n, u].
pub(super) fn ref_gru_cell(layer: &RecurrentLayer, inp: &[f64], i: usize, h: &[f64], u: usize, n: usize) -> Vec<f64> {
    let [wu, wr, wc] = &layer.gates[..] else { unreachable!("checked: a GRU layer has three gates") };
    let xh = concat_cols(&[(inp, i), (h, u)], n);
    let upd: Vec<f64> = ref_dense(wu, &xh, i + u, u, n).into_iter().map(sigmoid).collect();
    let reset: Vec<f64> = ref_dense(wr, &xh, i + u, u, n).into_iter().map(sigmoid).collect();
    let rh: Vec<f64> = reset.iter().zip(h).map(|(r, h)| r * h).collect();
    let cand: Vec<f64> = ref_dense(wc, &concat_cols(&[(inp, i), (&rh, u)], n), i + u, u, n).into_iter().map(f64::tanh).collect();
    (0..n * u).map(|k| upd[k] * h[k] + (1.0 - upd[k]) * cand[k]).collect()
}

/// One LSTM step in f64: inp [n, i], h and c [n, u] -> the new (h, c).
pub(super) fn ref_lstm_cell(
    layer: &RecurrentLayer,
    inp: &[f64],
    i: usize,
    h: &[f64],
    c: &[f64],
    u: usize,
    n: usize,
) -> (Vec<f64>, Vec<f64>) {
    let [wi, wf, wo, wc] = &layer.gates[..] else { unreachable!("checked: an LSTM layer has four gates") };
    let xh = concat_cols(&[(inp, i), (h, u)], n);
    let gate = |d: &Dense, f: fn(f64) -> f64| -> Vec<f64> { ref_dense(d, &xh, i + u, u, n).into_iter().map(f).collect() };
    let (ig, fg, og, g) = (gate(wi, sigmoid), gate(wf, sigmoid), gate(wo, sigmoid), gate(wc, f64::tanh));
    let c: Vec<f64> = (0..n * u).map(|k| fg[k] * c[k] + ig[k] * g[k]).collect();
    let h = (0..n * u).map(|k| og[k] * c[k].tanh()).collect();
    (h, c)
}
