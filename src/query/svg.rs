//! Charts as SVG, drawn from the typed rows of an answer (`--format svg`,
//! and the reading room's `/api/svg`): nothing is fetched, no script runs,
//! and every text that comes from the store is escaped.
//!
//! Three answers draw:
//! - a slot's value over **valid time** (`get`, plain `timeline`): each
//!   slot a segment at its value over its valid period, filled down to
//!   zero — a state attribute's runs read as a step line, a period
//!   attribute's slots as bars;
//! - `timeline … every`: one bar per bucket;
//! - the **knowledge curve** (`curve`): the slot's answer over **known
//!   time**, each step held until the next (the last until the end of the
//!   chart).
//!
//! A value that is not exact (`~`, `<=`, `>=`, a range) is drawn dashed,
//! a range also as a band from its low to its high end; a denied winner
//! is drawn hollow; a contested stretch is marked red. Other answers are
//! refused with an error that says which ones draw.

use super::rows::{AnswerRow, Answered};
use crate::error::{Error, Result};
use crate::period::Period;
use crate::resolve::Status;
use crate::value::{Amount, Value};
use std::fmt::Write as _;

const WIDTH: f64 = 860.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 70.0;
const COLOURS: [&str; 6] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf",
];

/// One drawn piece: a value held over `[x0, x1)` days, in a series.
struct Mark {
    series: String,
    x0: f64,
    x1: f64,
    value: f64,
    band: Option<(f64, f64)>,
    exact: bool,
    hollow: bool,
    contested: bool,
    /// Filled down to zero (slots and buckets); a knowledge curve is a
    /// line, joined to the step before it.
    filled: bool,
    /// What a reader sees on hover.
    label: String,
}

/// The chart of an answer, as a whole SVG document.
pub fn chart(answered: &Answered) -> Result<String> {
    let (marks, axis) = marks(&answered.rows)?;
    let title = format!("{} — log_seq {}", answered.kind.name(), answered.log_seq);
    Ok(draw(&title, axis, &marks))
}

fn unsupported() -> Error {
    Error::InvalidInput(
        "an SVG chart draws get, timeline and curve answers (of numeric values); ask one of those, or choose another format".into(),
    )
}

/// Where a value is drawn: its number (a range's midpoint), the band of a
/// range, and whether it is exact.
type Drawn = (f64, Option<(f64, f64)>, bool);

/// The number a value is drawn at, and the band of a range.
fn number(value: &Value) -> Option<Drawn> {
    let Value::Quantity(q) = value else {
        return None;
    };
    Some(match q.amount {
        Amount::Exact(n) => (n, None, true),
        Amount::Approximately(n) | Amount::AtMost(n) | Amount::AtLeast(n) => (n, None, false),
        Amount::Between(a, b) => ((a + b) / 2.0, Some((a, b)), false),
    })
}

/// The days a period covers, with open sides clipped to `[low, high]`.
fn span(period: &Period, low: f64, high: f64) -> (f64, f64) {
    let start = period.start.map_or(low, |d| d.0 as f64);
    let end = period.end.map_or(high, |d| d.0 as f64);
    (start.max(low), end.min(high))
}

/// The marks of the rows, and what the x axis counts.
fn marks(rows: &[AnswerRow]) -> Result<(Vec<Mark>, &'static str)> {
    // Open periods are clipped to the closed ends the rows mention, plus a
    // year on each side.
    let mut ends: Vec<f64> = Vec::new();
    let mut note = |p: &Period| {
        ends.extend(p.start.map(|d| d.0 as f64));
        ends.extend(p.end.map(|d| d.0 as f64));
    };
    for row in rows {
        match row {
            AnswerRow::Slot(r) => note(&r.valid),
            AnswerRow::Bucket(b) => note(&b.period),
            AnswerRow::Knowledge(k) => note(&k.known_from),
            _ => return Err(unsupported()),
        }
    }
    if ends.is_empty() {
        // Every period open on both sides: one year's width to draw on.
        ends.push(0.0);
    }
    let low = ends.iter().copied().fold(f64::INFINITY, f64::min) - 365.0;
    let high = ends.iter().copied().fold(f64::NEG_INFINITY, f64::max) + 365.0;
    let mut marks = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        match row {
            AnswerRow::Slot(r) => {
                let Some((value, band, exact)) = number(&r.winner.value) else {
                    continue;
                };
                let (x0, x1) = span(&r.valid, low, high);
                marks.push(Mark {
                    series: format!("{}.{}", r.subject, r.attribute),
                    x0,
                    x1,
                    value,
                    band,
                    exact,
                    hollow: r.status == Status::Denied,
                    contested: r.status == Status::Contested,
                    filled: true,
                    label: format!(
                        "{} {}: {} ({})",
                        r.subject,
                        r.valid,
                        r.winner.value,
                        r.status.name()
                    ),
                });
            }
            AnswerRow::Bucket(b) => {
                let Some((value, band, exact)) = number(&b.value) else {
                    continue;
                };
                let (x0, x1) = span(&b.period, low, high);
                marks.push(Mark {
                    series: format!("{}.{} {}", b.subject, b.attribute, b.aggregate.name()),
                    x0,
                    x1,
                    value,
                    band,
                    exact,
                    hollow: false,
                    contested: false,
                    filled: true,
                    label: format!("{}: {}", b.period, b.value),
                });
            }
            AnswerRow::Knowledge(k) => {
                let Some((value, band, exact)) = number(&k.value) else {
                    continue;
                };
                let series = format!("{}.{} for {}", k.subject, k.attribute, k.valid);
                // Held until the next step of the same slot.
                let next = rows[i + 1..].iter().find_map(|later| match later {
                    AnswerRow::Knowledge(n)
                        if (n.subject == k.subject
                            && n.attribute == k.attribute
                            && n.valid == k.valid) =>
                    {
                        n.known_from.start.map(|d| d.0 as f64)
                    }
                    _ => None,
                });
                let x0 = k.known_from.start.map_or(low, |d| d.0 as f64);
                marks.push(Mark {
                    series,
                    x0,
                    x1: next.unwrap_or(high),
                    value,
                    band,
                    exact,
                    hollow: k.status == Status::Denied,
                    contested: k.status == Status::Contested,
                    filled: false,
                    label: format!(
                        "known from {}: {} ({}, {})",
                        k.known_from,
                        k.value,
                        k.status.name(),
                        k.event
                    ),
                });
            }
            _ => return Err(unsupported()),
        }
    }
    let axis = if rows.iter().any(|r| matches!(r, AnswerRow::Knowledge(_))) {
        "known time"
    } else {
        "valid time"
    };
    Ok((marks, axis))
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Where each legend entry goes: rows of entries under the axis, a new
/// row when the next would pass the right edge; and how many rows.
fn legend_layout(series: &[&str]) -> (Vec<(f64, usize)>, usize) {
    let mut places = Vec::with_capacity(series.len());
    let (mut lx, mut row) = (LEFT, 0);
    for name in series {
        let wide = 24.0 + 7.0 * name.chars().count() as f64;
        if lx > LEFT && lx + wide > WIDTH - RIGHT {
            lx = LEFT;
            row += 1;
        }
        places.push((lx, row));
        lx += wide;
    }
    (places, row + 1)
}

/// The height of a legend row.
const LEGEND_ROW: f64 = 16.0;

fn draw(title: &str, axis: &str, marks: &[Mark]) -> String {
    // The series in the order they first appear, a colour each; the chart
    // grows by a legend row for each row past the first.
    let mut series: Vec<&str> = Vec::new();
    for mark in marks {
        if !series.contains(&mark.series.as_str()) {
            series.push(&mark.series);
        }
    }
    let (legend, legend_rows) = legend_layout(&series);
    let height = HEIGHT + LEGEND_ROW * (legend_rows.max(1) - 1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12" role="img" aria-label="{}">"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r#"<rect width="{WIDTH}" height="{height}" fill="white"/>"#
    );
    let _ = write!(
        svg,
        r#"<text x="{LEFT}" y="22" font-size="14">{}</text>"#,
        escape(title)
    );
    if marks.is_empty() {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">nothing numeric to draw</text></svg>"#,
            WIDTH / 2.0,
            HEIGHT / 2.0
        );
        return svg;
    }
    let x_min = marks.iter().map(|m| m.x0).fold(f64::INFINITY, f64::min);
    let x_max = marks
        .iter()
        .map(|m| m.x1)
        .fold(f64::NEG_INFINITY, f64::max)
        .max(x_min + 1.0);
    let values = marks.iter().flat_map(|m| {
        let (a, b) = m.band.unwrap_or((m.value, m.value));
        [a, b, 0.0]
    });
    let (mut y_min, mut y_max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if (y_max - y_min).abs() < f64::EPSILON {
        y_max += 1.0;
        y_min -= 1.0;
    }
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |day: f64| LEFT + (day - x_min) / (x_max - x_min) * plot_w;
    let y = |v: f64| TOP + (y_max - v) / (y_max - y_min) * plot_h;
    // Axes, with the years along x and five values along y.
    let _ = write!(
        svg,
        r##"<g stroke="#999"><line x1="{LEFT}" y1="{}" x2="{}" y2="{}"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{}"/></g>"##,
        y(0.0f64.clamp(y_min, y_max)),
        WIDTH - RIGHT,
        y(0.0f64.clamp(y_min, y_max)),
        TOP + plot_h
    );
    // Years 1 to 9999 are the calendar's (SPEC §3); the margins may fall
    // outside it.
    let calendar = |day: f64| {
        let first = crate::period::Day::first_of_year(1).0 as f64;
        let last = (crate::period::Day::first_of_year(9999).0 + 364) as f64;
        crate::period::Day(day.clamp(first, last) as i32).ymd().0
    };
    let (first_year, last_year) = (calendar(x_min), calendar(x_max));
    // Years along x; over a short span, quarters too.
    let step = ((last_year - first_year) / 12).max(1);
    let quarters = last_year - first_year < 4;
    let mut year = first_year;
    while year <= last_year {
        for month in if quarters { vec![1, 4, 7, 10] } else { vec![1] } {
            let Ok(day) = crate::period::Day::from_ymd(year, month, 1) else {
                continue;
            };
            let day = day.0 as f64;
            if day < x_min || day > x_max {
                continue;
            }
            let label = if month == 1 {
                year.to_string()
            } else {
                format!("{year}-{month:02}")
            };
            let _ = write!(
                svg,
                r##"<line x1="{0:.1}" y1="{1}" x2="{0:.1}" y2="{2}" stroke="#eee"/><text x="{0:.1}" y="{3}" text-anchor="middle" font-size="{4}">{label}</text>"##,
                x(day),
                TOP,
                TOP + plot_h,
                TOP + plot_h + 16.0,
                if month == 1 { 12 } else { 10 }
            );
        }
        year += step;
    }
    for i in 0..=4 {
        let v = y_min + (y_max - y_min) * i as f64 / 4.0;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            y(v) + 4.0,
            tick(v)
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 30.0,
        escape(axis)
    );
    // The marks, a colour per series.
    let mut previous: std::collections::HashMap<String, f64> = std::collections::HashMap::new();
    for mark in marks {
        let index = series.iter().position(|s| *s == mark.series).unwrap_or(0);
        let colour = COLOURS[index % COLOURS.len()];
        let (x0, x1) = (x(mark.x0), x(mark.x1).max(x(mark.x0) + 1.0));
        let (top, base) = (y(mark.value), y(0.0f64.clamp(y_min, y_max)));
        let dash = if mark.exact {
            ""
        } else {
            r#" stroke-dasharray="5 3""#
        };
        let fill = if mark.hollow { "none" } else { colour };
        let _ = write!(
            svg,
            r#"<g class="mark"><title>{}</title>"#,
            escape(&mark.label)
        );
        if let Some((a, b)) = mark.band {
            let _ = write!(
                svg,
                r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}" fill-opacity="0.15"/>"#,
                y(a.max(b)),
                x1 - x0,
                (y(a.min(b)) - y(a.max(b))).max(1.0)
            );
        }
        if mark.filled {
            let _ = write!(
                svg,
                r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}" fill-opacity="0.25" stroke="{colour}"{dash}/>"#,
                top.min(base),
                x1 - x0,
                (top - base).abs().max(1.0)
            );
        } else {
            // The step up or down from the answer known before.
            if let Some(before) = previous.get(&mark.series) {
                let _ = write!(
                    svg,
                    r#"<line x1="{x0:.1}" y1="{before:.1}" x2="{x0:.1}" y2="{top:.1}" stroke="{colour}" stroke-width="1.5"/>"#
                );
            }
            let _ = write!(
                svg,
                r#"<circle cx="{x0:.1}" cy="{top:.1}" r="4" fill="{fill}" stroke="{colour}" stroke-width="1.5"/>"#
            );
            previous.insert(mark.series.clone(), top);
        }
        let _ = write!(
            svg,
            r#"<line x1="{x0:.1}" y1="{top:.1}" x2="{x1:.1}" y2="{top:.1}" stroke="{}" stroke-width="2.5"{dash}/>"#,
            if mark.contested { "#d62728" } else { colour }
        );
        svg.push_str("</g>");
    }
    // The legend under the axis, in as many rows as it takes.
    for (i, (name, (lx, row))) in series.iter().zip(legend).enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let top = HEIGHT - 16.0 + LEGEND_ROW * row as f64;
        let _ = write!(
            svg,
            r#"<rect x="{lx:.1}" y="{top}" width="10" height="10" fill="{colour}"/><text x="{:.1}" y="{}">{}</text>"#,
            lx + 14.0,
            top + 9.0,
            escape(name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// A y-axis label: whole numbers without decimals, others with two.
fn tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fifteen series of `china.* for 2010` ran to x = 3265 in a chart 860
    /// wide: the legend wraps into rows inside the chart, which grows.
    #[test]
    fn a_long_legend_wraps_inside_the_chart() {
        let names: Vec<String> = (0..15)
            .map(|i| format!("china.share_of_world_production_{i}"))
            .collect();
        let series: Vec<&str> = names.iter().map(String::as_str).collect();
        let (places, rows) = legend_layout(&series);
        assert!(rows > 1);
        for (name, (x, _)) in series.iter().zip(&places) {
            let right = x + 24.0 + 7.0 * name.chars().count() as f64;
            assert!(right <= WIDTH - RIGHT, "{name} ends at {right}");
        }
        let (_, one_row) = legend_layout(&["china.export_quota"]);
        assert_eq!(one_row, 1);
    }

    #[test]
    fn text_from_the_store_is_escaped() {
        assert_eq!(escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(escape("a\u{1b}[31mb"), "a [31mb");
    }
}
