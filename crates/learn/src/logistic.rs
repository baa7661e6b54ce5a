//! Weighted logistic regression, two ways, both deterministic (same data → same bits).
//!
//! - [`fit_points`]: the finding weights. Binary features (a finding is raised or not), each
//!   weight in score points with a Gaussian prior around its hand-set value and a sign bound
//!   (evidence stays evidence, counter-evidence stays counter-evidence). The model is
//!   `P(phish) = σ((score − threshold) / T)`: a mail is flagged exactly when the cost-weighted
//!   fit finds phishing the likelier reading. Solved by cyclic coordinate Newton steps, which
//!   handle the bounds exactly and need no learning rate.
//! - [`train_sparse`]: the text model. Hundreds of thousands of hashed features, few per mail:
//!   AdaGrad stochastic gradient descent with L2, in a fixed pseudo-random order.

/// One training example of the weight fit: which features it has, its label and weight, and
/// a fixed part of its score (points that are not being fitted).
#[derive(Debug, Clone)]
pub struct PointsExample {
    pub features: Vec<usize>,
    pub phish: bool,
    pub weight: f64,
    pub offset: f64,
}

/// What the weight fit needs to know about each feature.
#[derive(Debug, Clone, Copy)]
pub struct PointsPrior {
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub max: f64,
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Fits weights in points: `P(phish) = σ((Σ w·x + offset − threshold) / t)`.
pub fn fit_points(examples: &[PointsExample], priors: &[PointsPrior], threshold: f64, t: f64) -> Vec<f64> {
    let n = priors.len();
    let mut w: Vec<f64> = priors.iter().map(|p| p.mean.clamp(p.min, p.max)).collect();
    // Column lists: the examples each feature appears in.
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in examples.iter().enumerate() {
        for &f in &e.features {
            columns[f].push(i);
        }
    }
    let mut z: Vec<f64> = examples
        .iter()
        .map(|e| (e.features.iter().map(|&f| w[f]).sum::<f64>() + e.offset - threshold) / t)
        .collect();
    for _sweep in 0..500 {
        let mut largest = 0f64;
        for j in 0..n {
            let p = priors[j];
            let (mut g, mut h) = ((w[j] - p.mean) / (p.sd * p.sd), 1.0 / (p.sd * p.sd));
            for &i in &columns[j] {
                let e = &examples[i];
                let q = sigmoid(z[i]);
                g += e.weight * (q - f64::from(u8::from(e.phish))) / t;
                h += e.weight * q * (1.0 - q) / (t * t);
            }
            let target = (w[j] - g / h).clamp(p.min, p.max);
            // Newton steps on one coordinate of a convex function can overshoot far from the
            // optimum: at most 10 points at a time.
            let step = (target - w[j]).clamp(-10.0, 10.0);
            if step == 0.0 {
                continue;
            }
            w[j] += step;
            for &i in &columns[j] {
                z[i] += step / t;
            }
            largest = largest.max(step.abs());
        }
        if largest < 1e-4 {
            break;
        }
    }
    w
}

/// One example of the text model: its features (bucket numbers), each with the same value.
#[derive(Debug, Clone, Copy)]
pub struct SparseExample<'a> {
    pub buckets: &'a [u32],
    pub value: f32,
    /// Features outside the buckets with value 1 (the language indicator).
    pub extra: Option<usize>,
    pub phish: bool,
    pub weight: f32,
}

/// How the text model is trained.
#[derive(Debug, Clone, Copy)]
pub struct SparseSettings {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
    /// Fit the dense indicators (with the bias) alone first, then go on with everything: the
    /// buckets start from what the indicators leave unexplained.
    pub indicators_first: bool,
}

impl Default for SparseSettings {
    fn default() -> Self {
        SparseSettings {
            epochs: 12,
            learning_rate: 0.3,
            l2: 1e-4,
            seed: 0x6b61_6962_6f00_0001,
            indicators_first: false,
        }
    }
}

/// Trains a logistic regression over `dims` sparse features (+ `extras` dense indicators)
/// with AdaGrad; returns the bias, the bucket weights and the extra weights. Buckets for which
/// `usable` is false keep weight 0.
pub fn train_sparse(
    examples: &[SparseExample<'_>],
    dims: usize,
    extras: usize,
    usable: &[bool],
    settings: SparseSettings,
) -> (f32, Vec<f32>, Vec<f32>) {
    let mut w = vec![0f32; dims + extras];
    let mut g2 = vec![0f32; dims + extras];
    let (mut bias, mut bias_g2) = (0f32, 0f32);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = settings.seed;
    let eps = 1e-6f32;
    // With `indicators_first`, the first `epochs` passes train the bias and the indicators
    // alone (the buckets are still 0, so they add nothing to `z`).
    let warm_up = if settings.indicators_first && extras > 0 { settings.epochs } else { 0 };
    for epoch in 0..warm_up + settings.epochs {
        let words = epoch >= warm_up;
        shuffle(&mut order, &mut rng);
        for &i in &order {
            let e = &examples[i];
            let mut z = bias;
            for &b in e.buckets {
                if usable[b as usize] {
                    z += w[b as usize] * e.value;
                }
            }
            if let Some(x) = e.extra {
                z += w[dims + x];
            }
            let p = 1.0 / (1.0 + (-z).exp());
            let err = e.weight * (p - f32::from(u8::from(e.phish)));
            for &b in e.buckets.iter().filter(|_| words) {
                let b = b as usize;
                if !usable[b] {
                    continue;
                }
                let g = err * e.value + settings.l2 * w[b];
                g2[b] += g * g;
                w[b] -= settings.learning_rate * g / (g2[b].sqrt() + eps);
            }
            if let Some(x) = e.extra {
                let k = dims + x;
                let g = err + settings.l2 * w[k];
                g2[k] += g * g;
                w[k] -= settings.learning_rate * g / (g2[k].sqrt() + eps);
            }
            bias_g2 += err * err;
            bias -= settings.learning_rate * err / (bias_g2.sqrt() + eps);
        }
    }
    let extra = w.split_off(dims);
    (bias, w, extra)
}

/// Fisher–Yates with splitmix64: the same order on every machine.
fn shuffle(v: &mut [usize], state: &mut u64) {
    for i in (1..v.len()).rev() {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut x = *state;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
        let j = (x % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Generated data: feature 0 is strong evidence, feature 1 weak, feature 2 is common in
    /// ham (its prior says counter-evidence), feature 3 never appears.
    fn generated() -> Vec<PointsExample> {
        let mut out = Vec::new();
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        for i in 0..2000 {
            let phish = i % 2 == 0;
            let mut features = Vec::new();
            if next() < if phish { 0.8 } else { 0.02 } {
                features.push(0);
            }
            if next() < if phish { 0.5 } else { 0.3 } {
                features.push(1);
            }
            if next() < if phish { 0.05 } else { 0.6 } {
                features.push(2);
            }
            out.push(PointsExample { features, phish, weight: 1.0, offset: 0.0 });
        }
        out
    }

    fn priors() -> Vec<PointsPrior> {
        vec![
            PointsPrior { mean: 20.0, sd: 15.0, min: 0.0, max: 80.0 },
            PointsPrior { mean: 20.0, sd: 15.0, min: 0.0, max: 80.0 },
            PointsPrior { mean: -5.0, sd: 15.0, min: -80.0, max: 0.0 },
            PointsPrior { mean: 12.0, sd: 15.0, min: 0.0, max: 80.0 },
        ]
    }

    #[test]
    fn weights_follow_the_data_within_their_bounds() {
        let w = fit_points(&generated(), &priors(), 30.0, 10.0);
        assert!(w[0] > 40.0, "strong evidence weighs most: {w:?}");
        assert!(w[1] < w[0] && w[1] >= 0.0, "{w:?}");
        assert!(w[2] < -5.0 && w[2] >= -80.0, "ham-side feature is counter-evidence: {w:?}");
        assert_eq!(w[3], 12.0, "no data: the prior stays");
        // Deterministic.
        assert_eq!(w, fit_points(&generated(), &priors(), 30.0, 10.0));
    }

    #[test]
    fn false_positive_cost_moves_the_weights() {
        let cheap = fit_points(&generated(), &priors(), 30.0, 10.0);
        let costly: Vec<PointsExample> = generated()
            .into_iter()
            .map(|e| PointsExample { weight: if e.phish { 1.0 } else { 8.0 }, ..e })
            .collect();
        let careful = fit_points(&costly, &priors(), 30.0, 10.0);
        assert!(careful[1] < cheap[1], "weak evidence weighs less when false positives cost more");
    }

    #[test]
    fn sparse_training_separates_and_repeats() {
        let docs: Vec<(Vec<u32>, bool)> = (0..400)
            .map(|i| if i % 2 == 0 { (vec![1, 5, 9], true) } else { (vec![2, 5, 7], false) })
            .collect();
        let examples: Vec<SparseExample<'_>> = docs
            .iter()
            .map(|(b, p)| SparseExample { buckets: b, value: 0.577, extra: None, phish: *p, weight: 1.0 })
            .collect();
        let usable = vec![true; 16];
        let (bias, w, _) = train_sparse(&examples, 16, 0, &usable, SparseSettings::default());
        assert!(w[1] > 0.5 && w[9] > 0.5 && w[2] < -0.5 && w[7] < -0.5, "{w:?}");
        assert!(w[5].abs() < w[1].abs(), "a feature both sides share weighs little");
        let again = train_sparse(&examples, 16, 0, &usable, SparseSettings::default());
        assert_eq!((bias, w), (again.0, again.1));
        let blocked = vec![false; 16];
        let (_, w, _) = train_sparse(&examples, 16, 0, &blocked, SparseSettings::default());
        assert!(w.iter().all(|x| *x == 0.0));
    }

    /// Nine in ten mails with the indicator (a language) are phishing, and one word is in every
    /// one of them. Learned alongside, the word takes a share of what the language explains and
    /// becomes evidence in every mail of the language; fitted after the indicator, it stays
    /// near zero.
    #[test]
    fn indicators_first_keep_the_language_out_of_its_words() {
        let word: [u32; 1] = [0];
        let none: [u32; 0] = [];
        let mut examples = Vec::new();
        for i in 0..400 {
            let language = i % 2 == 0;
            let phish = if language { i % 20 != 0 } else { i % 4 == 1 };
            examples.push(SparseExample {
                buckets: if language { &word } else { &none },
                value: 1.0,
                extra: language.then_some(0),
                phish,
                weight: 1.0,
            });
        }
        let usable = [true, true];
        let word_weight = |first: bool| {
            let settings = SparseSettings { indicators_first: first, ..SparseSettings::default() };
            let (_, w, extra) = train_sparse(&examples, 2, 1, &usable, settings);
            (w[0], extra[0])
        };
        let (alongside, _) = word_weight(false);
        let (first, indicator) = word_weight(true);
        assert!(alongside > 0.5, "{alongside}");
        assert!(first.abs() < 0.2 && indicator > 1.5, "{first} {indicator}");
    }
}
