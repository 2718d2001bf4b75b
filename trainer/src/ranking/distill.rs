//! Distillation: a student trained to rank the training days as a teacher ensemble does. Each
//! member scores a day from that day's own window, as it serves; the members' node scores are
//! combined as the ensemble graph combines them (`combine_zscores`), and the day's stock scores of
//! that combination (`stock_scores`: none for a stock with too little history) replace the label.
//! The IC loss compares the student's scores with them by order and spread, blind to scale.

use anyhow::{Result, bail};
use tch::Device;
use trendcast::predict::stock_scores;
use trendcast_export::onnx::combine_zscores;

use super::{Data, Trained, node_scores_of_days, train};
use crate::config::RankingConfig;
use crate::lsr_igru::Net;

/// The teacher `members`' labels of the consecutive decision `days`, ticker-major as
/// `Data::labels`: NaN on every other day and for a stock the ensemble does not score. `teacher` is
/// the members' config; its inputs must be the student's (`check_teacher`).
pub fn teacher_labels(members: &[&Net], data: &Data, days: &[usize], teacher: &RankingConfig, device: Device) -> Result<Vec<f64>> {
    if members.is_empty() {
        bail!("a teacher needs at least one member");
    }
    if !data.base.is_empty() {
        bail!("the teacher's scores are the net's own: the data must carry no base");
    }
    let each = members.iter().map(|m| node_scores_of_days(m, data, days, teacher, device)).collect::<Result<Vec<_>>>()?;
    let (nt, nd) = (data.panel.n_tickers(), data.panel.n_days());
    let mut labels = vec![f64::NAN; nt * nd];
    for (i, &d) in days.iter().enumerate() {
        let day: Vec<Vec<f64>> = each.iter().map(|m| m[i].iter().map(|&v| f64::from(v)).collect()).collect();
        let nodes: Vec<f32> = combine_zscores(&day).into_iter().map(|v| v as f32).collect();
        for (k, s) in stock_scores(&data.panel, d, data.history, &nodes).into_iter().enumerate() {
            labels[k * nd + d] = f64::from(s);
        }
    }
    Ok(labels)
}

/// Students of config `student`, one per seed of `seeds`, each trained on the labels the teacher
/// `members` (of config `teacher`) give its training days; `data`'s labels are restored after.
pub fn distil(
    members: &[&Net],
    teacher: &RankingConfig,
    student: &RankingConfig,
    seeds: &[u64],
    data: &mut Data,
    device: Device,
) -> Result<Vec<Trained>> {
    check_teacher(teacher, student)?;
    let labels = teacher_labels(members, data, &training_days(data, student), teacher, device)?;
    let hard = std::mem::replace(&mut data.labels, labels);
    let students = seeds.iter().map(|&seed| train(&RankingConfig { seed, ..student.clone() }, data, device, None)).collect();
    data.labels = hard;
    students
}

/// Refuses a teacher whose inputs are not the student's: the teacher scores the student's data,
/// built for the student's window, relations and label.
pub fn check_teacher(teacher: &RankingConfig, student: &RankingConfig) -> Result<()> {
    if teacher.window != student.window || teacher.relations != student.relations || teacher.target != student.target {
        bail!(
            "the teacher {} reads other inputs than the student {} (window {} / {}, relations or label differ): a student learns \
             from a teacher of the same inputs",
            teacher.name,
            student.name,
            teacher.window,
            student.window
        );
    }
    if let Some(signal) = teacher.base {
        bail!("the teacher {} adds a base ({}), which its served graphs would not carry", teacher.name, signal.name());
    }
    Ok(())
}

/// The training days of `cfg` whose labels read no price after `cfg.train.to` (those `train`
/// trains on).
pub fn training_days(data: &Data, cfg: &RankingConfig) -> Vec<usize> {
    let last_label_day = data.panel.calendar.partition_point(|&d| d <= cfg.train.to).saturating_sub(1);
    data.days(&cfg.train, cfg).into_iter().filter(|&d| d + cfg.target.horizon() <= last_label_day).collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{market, small};
    use super::*;
    use trendcast::bars::synthetic::{SyntheticSpec, generate};
    use trendcast_export::onnx::EncoderKind;

    /// Each member's node scores of day `d` from that day's window alone (the serving path).
    fn one_window(net: &Net, data: &Data, d: usize, cfg: &RankingConfig) -> Vec<f64> {
        let _guard = tch::no_grad_guard();
        let (x, long, short, _) = data.inputs(d, cfg.window, cfg, Device::Cpu).unwrap();
        Vec::<f32>::try_from(net.forward(&x, &long, &short).flatten(0, -1)).unwrap().into_iter().map(f64::from).collect()
    }

    /// A teacher labels each day with its members' node scores z-scored and averaged (as the
    /// ensemble graph does), on the stocks it scores; nothing else; and a day's label reads no bar
    /// after that day.
    #[test]
    fn a_teacher_labels_its_days_as_its_ensemble_ranks_them() {
        let _rng = crate::torch_rng_lock();
        let cfg = small(EncoderKind::Gat);
        let data = market(160);
        tch::manual_seed(11);
        let members = [Net::new(cfg.model.clone(), Device::Cpu).unwrap(), Net::new(cfg.model.clone(), Device::Cpu).unwrap()];
        let refs: Vec<&Net> = members.iter().collect();
        let days: Vec<usize> = (95..111).collect();
        let labels = teacher_labels(&refs, &data, &days, &cfg, Device::Cpu).unwrap();
        let (nt, nd) = (data.panel.n_tickers(), data.panel.n_days());
        let mut unscored = 0;
        for &d in &days {
            let each: Vec<Vec<f64>> = members.iter().map(|m| one_window(m, &data, d, &cfg)).collect();
            let nodes: Vec<f32> = combine_zscores(&each).into_iter().map(|v| v as f32).collect();
            for (k, want) in stock_scores(&data.panel, d, data.history, &nodes).into_iter().enumerate() {
                let got = labels[k * nd + d];
                assert!(got.is_nan() == want.is_nan() && (want.is_nan() || (got - f64::from(want)).abs() < 1e-4), "day {d} stock {k}");
                unscored += usize::from(want.is_nan());
            }
        }
        assert!(unscored > 0, "the market lists stocks late: some are not scored");
        assert!((0..nt).all(|k| labels[k * nd + 94].is_nan() && labels[k * nd + 111].is_nan()), "only the days asked");

        // Bars after day 100 moved: the labels of days up to 100 stay.
        let u = generate(&SyntheticSpec {
            days: 160,
            first_day: trendcast::Date::parse("2019-01-01").unwrap(),
            late_listing_every: 5,
            ..Default::default()
        });
        let mut later = u.clone();
        for s in &mut later.series {
            for i in (0..s.len()).filter(|&i| s.dates[i] > data.panel.calendar[100]) {
                s.close[i] *= 1.3;
                s.high[i] *= 1.3;
                s.volume[i] *= 2.0;
            }
        }
        let moved = Data::new(&later, &cfg).unwrap();
        let again = teacher_labels(&refs, &moved, &days, &cfg, Device::Cpu).unwrap();
        let same = |d: usize| {
            (0..nt).all(|k| {
                let (a, b) = (labels[k * nd + d], again[k * nd + d]);
                a.is_nan() == b.is_nan() && (a.is_nan() || (a - b).abs() < 1e-5)
            })
        };
        assert!((95..=100).all(same), "a label read a later bar");
        assert!(!(101..111).all(same), "the moved bars changed no later label");
    }

    /// A student trained on a teacher's labels comes to rank as it does (the teacher here: a net
    /// of the same size with other weights); `data`'s own labels are back afterwards.
    #[test]
    fn a_student_learns_its_teachers_ranking_and_the_labels_are_restored() {
        let _rng = crate::torch_rng_lock();
        let cfg = RankingConfig { epochs: 4, ..small(EncoderKind::Gcn) };
        let mut data = market(220);
        tch::manual_seed(5);
        let teacher = Net::new(cfg.model.clone(), Device::Cpu).unwrap();
        let days = training_days(&data, &cfg);
        let taught = teacher_labels(&[&teacher], &data, &days, &cfg, Device::Cpu).unwrap();
        let hard = data.labels.clone();
        let student = distil(&[&teacher], &cfg, &RankingConfig { seed: 9, ..cfg.clone() }, &[9], &mut data, Device::Cpu).unwrap();
        assert_eq!(student.len(), 1);
        assert!(data.labels.iter().zip(&hard).all(|(a, b)| a.to_bits() == b.to_bits()), "the labels are restored");
        // Mean daily correlation with the teacher's labels: the student's, against an untrained net's.
        let agreement = |net: &Net| {
            let scores = super::super::scores_of_days(net, &data, &days, &cfg, Device::Cpu).unwrap();
            let nd = data.panel.n_days();
            let ic: Vec<f64> = days
                .iter()
                .zip(&scores)
                .map(|(&d, s)| {
                    let (p, y): (Vec<f64>, Vec<f64>) = (0..data.panel.n_tickers())
                        .filter(|&k| s[k].is_finite() && taught[k * nd + d].is_finite())
                        .map(|k| (f64::from(s[k]), taught[k * nd + d]))
                        .unzip();
                    trendcast::backtest::correlation(&p, &y)
                })
                .collect();
            ic.iter().sum::<f64>() / ic.len() as f64
        };
        tch::manual_seed(9);
        let untrained = Net::new(cfg.model.clone(), Device::Cpu).unwrap();
        let (before, after) = (agreement(&untrained), agreement(&student[0].net));
        assert!(after > 0.5 && after > before + 0.2, "agreement with the teacher: {before:.3} untrained, {after:.3} taught");
    }

    #[test]
    fn a_teacher_of_other_inputs_or_with_a_base_is_refused() {
        let cfg = small(EncoderKind::Gat);
        assert!(
            check_teacher(&cfg, &RankingConfig { model: small(EncoderKind::Gcn).model, ..cfg.clone() }).is_ok(),
            "other sizes are fine"
        );
        let err = check_teacher(&RankingConfig { window: 10, ..cfg.clone() }, &cfg).unwrap_err().to_string();
        assert!(err.contains("other inputs"), "{err}");
        let based = RankingConfig { base: Some(trendcast::backtest::Signal::IntradayReversal), ..cfg.clone() };
        assert!(check_teacher(&based, &cfg).unwrap_err().to_string().contains("base"));
    }
}
