//! Classification metrics of the direction models: accuracy, per-class and macro-averaged F1,
//! the confusion matrix. One implementation for the trainer and `trendcast eval`.

use serde::Serialize;

/// A 3 x 3 confusion matrix: `counts[true][predicted]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    pub counts: [[u64; 3]; 3],
}

/// The scores derived from a confusion matrix.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassScores {
    pub samples: u64,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// F1 of down, flat, up.
    pub f1: [f64; 3],
    pub confusion: [[u64; 3]; 3],
}

impl Confusion {
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth][predicted] += 1;
    }

    pub fn merge(&mut self, other: &Confusion) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }

    /// Accuracy, per-class F1 (0 for a class never predicted nor present, as scikit-learn's
    /// zero_division=0) and their unweighted mean.
    pub fn scores(&self) -> ClassScores {
        let c = &self.counts;
        let total: u64 = c.iter().flatten().sum();
        let correct: u64 = (0..3).map(|k| c[k][k]).sum();
        let f1 = [0, 1, 2].map(|k| {
            let tp = c[k][k] as f64;
            let predicted: u64 = (0..3).map(|t| c[t][k]).sum();
            let actual: u64 = c[k].iter().sum();
            let denom = predicted as f64 + actual as f64;
            if denom == 0.0 { 0.0 } else { 2.0 * tp / denom }
        });
        ClassScores {
            samples: total,
            accuracy: if total == 0 { 0.0 } else { correct as f64 / total as f64 },
            macro_f1: f1.iter().sum::<f64>() / 3.0,
            f1,
            confusion: *c,
        }
    }
}

/// The index of the largest of three probabilities (the first on ties).
pub fn argmax3(p: &[f32]) -> usize {
    let mut best = 0;
    for k in 1..3 {
        if p[k] > p[best] {
            best = k;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hand_computed_scores() {
        let mut c = Confusion::default();
        // truth down: 3 right, 1 called up; truth flat: 1 right, 1 called down; truth up: 2 right.
        for (t, p) in [(0, 0), (0, 0), (0, 0), (0, 2), (1, 1), (1, 0), (2, 2), (2, 2)] {
            c.add(t, p);
        }
        let s = c.scores();
        assert_eq!(s.samples, 8);
        assert!((s.accuracy - 6.0 / 8.0).abs() < 1e-12);
        // down: tp 3, predicted 4, actual 4 -> 0.75; flat: 1, 1, 2 -> 2/3; up: 2, 3, 2 -> 0.8
        let want = [0.75, 2.0 / 3.0, 0.8];
        for (got, want) in s.f1.iter().zip(want) {
            assert!((got - want).abs() < 1e-12);
        }
        assert!((s.macro_f1 - want.iter().sum::<f64>() / 3.0).abs() < 1e-12);
        assert_eq!(argmax3(&[0.2, 0.5, 0.3]), 1);
    }
}
