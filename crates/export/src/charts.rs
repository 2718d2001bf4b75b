//! PNG charts for reports: line charts (training curves, equity curves) and confusion matrices.
//! Drawn with plotters' bitmap backend and a bundled font (DejaVu Sans, assets/fonts/), so no
//! system font library is needed on any machine.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

const FONT: &str = "sans-serif";
const WIDTH: u32 = 900;
const HEIGHT: u32 = 540;

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font compiled in; failure would be a build defect.
        plotters::style::register_font(FONT, FontStyle::Normal, include_bytes!("../assets/fonts/DejaVuSans.ttf"))
            .unwrap_or_else(|_| panic!("the bundled font is not a valid TrueType font"));
    });
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// One named line of a chart.
pub struct Series<'a> {
    pub name: &'a str,
    pub points: &'a [(f64, f64)],
}

/// Colours by series index (Tableau 10), readable on white.
fn colour(k: usize) -> RGBColor {
    const C: [RGBColor; 6] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
    ];
    C[k % C.len()]
}

/// A line chart of `series` with a legend, written to `path` as PNG.
pub fn line_chart(path: &Path, title: &str, x_label: &str, y_label: &str, series: &[Series<'_>]) -> std::io::Result<()> {
    register_font();
    let pts = series.iter().flat_map(|s| s.points.iter()).filter(|(x, y)| x.is_finite() && y.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in pts {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if !x0.is_finite() {
        return Err(io_err(format!("{title}: nothing to plot")));
    }
    let pad = ((y1 - y0) * 0.05).max(1e-9);
    let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(io_err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
        .map_err(io_err)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(io_err)?;
    for (k, s) in series.iter().enumerate() {
        let c = colour(k);
        chart
            .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))
            .map_err(io_err)?
            .label(s.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(io_err)?;
    root.present().map_err(io_err)
}

/// A confusion matrix (rows: truth, columns: prediction) as a heat map of row shares, each cell
/// labelled with its count and share, written to `path` as PNG.
pub fn confusion_matrix(path: &Path, title: &str, classes: &[&str], counts: &[[u64; 3]; 3]) -> std::io::Result<()> {
    register_font();
    let n = classes.len().min(3);
    let root = BitMapBackend::new(path, (560, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(io_err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 18))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(70)
        // Segmented axes put each class label at the centre of its cell (a segmented a..b has the
        // segments a..=b, hence 0..n-1 for n cells).
        .build_cartesian_2d((0..n as i32 - 1).into_segmented(), (0..n as i32 - 1).into_segmented())
        .map_err(io_err)?;
    let class = |k: i32| classes.get(k as usize).map(|s| s.to_string()).unwrap_or_default();
    let centre_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(k) => Some(*k),
        _ => None,
    };
    // Row y shows true class n - 1 - y: the first class at the top, as a confusion matrix is read.
    let x_name = |v: &SegmentValue<i32>| centre_of(v).map(class).unwrap_or_default();
    let y_name = |v: &SegmentValue<i32>| centre_of(v).map(|y| class(n as i32 - 1 - y)).unwrap_or_default();
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("predicted")
        .y_desc("true")
        .x_labels(n)
        .y_labels(n)
        .x_label_formatter(&x_name)
        .y_label_formatter(&y_name)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(io_err)?;
    let at = |x: usize, y: usize| (SegmentValue::Exact(x as i32), SegmentValue::Exact(y as i32));
    for (t, row) in counts.iter().enumerate().take(n) {
        let total = row.iter().sum::<u64>().max(1) as f64;
        let y = n - 1 - t;
        for (p, &c) in row.iter().enumerate().take(n) {
            let share = c as f64 / total;
            let shade = (255.0 * (1.0 - 0.75 * share)) as u8;
            chart
                .draw_series(std::iter::once(Rectangle::new([at(p, y), at(p + 1, y + 1)], RGBColor(shade, shade, 255).filled())))
                .map_err(io_err)?;
            let text = format!("{c} ({:.0}%)", 100.0 * share);
            let (top_left, bottom_right) = (chart.backend_coord(&at(p, y + 1)), chart.backend_coord(&at(p + 1, y)));
            let centre = ((top_left.0 + bottom_right.0) / 2 - 4 * text.len() as i32, (top_left.1 + bottom_right.1) / 2 - 8);
            root.draw(&Text::new(text, centre, (FONT, 15).into_font().color(&BLACK))).map_err(io_err)?;
        }
    }
    root.present().map_err(io_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both charts render to real PNG files (signature checked), and empty input is an error.
    #[test]
    fn charts_write_png_files() {
        let dir = tempfile::tempdir().unwrap();
        let a: Vec<(f64, f64)> = (0..50).map(|i| (i as f64, (i as f64 / 7.0).sin())).collect();
        let line = dir.path().join("line.png");
        line_chart(&line, "sin", "x", "y", &[Series { name: "sin", points: &a }]).unwrap();
        let cm = dir.path().join("cm.png");
        confusion_matrix(&cm, "confusion", &["down", "flat", "up"], &[[5, 1, 2], [0, 3, 1], [2, 2, 9]]).unwrap();
        for p in [line, cm] {
            let bytes = std::fs::read(&p).unwrap();
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", p.display());
            assert!(bytes.len() > 2000);
        }
        assert!(line_chart(&dir.path().join("none.png"), "empty", "x", "y", &[]).is_err());
    }
}
