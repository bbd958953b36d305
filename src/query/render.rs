//! Printing an [`Output`]: an aligned table for people, one JSON object for
//! programs (`{"log_seq": N, "rows": [...]}`, SPEC §8), or CSV.
//!
//! Tables and CSV show the output's `columns`; a list-valued cell (the
//! `others` of a `get`) shows how many entries it has, since the table is a
//! summary and the JSON is the full answer.

use super::execute::Output;
use comfy_table::{presets, Cell, ContentArrangement, Table};
use serde_json::{json, Value as Json};

/// How answers are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

impl Format {
    pub fn from_name(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "table" => Some(Format::Table),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// The text of one cell.
pub fn cell_text(value: Option<&Json>) -> String {
    match value {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(Json::Array(items)) if !items.is_empty() && items.iter().all(Json::is_string) => items
            .iter()
            .filter_map(Json::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        Some(Json::Array(items)) => items.len().to_string(),
        Some(other) => other.to_string(),
    }
}

/// The JSON answer: `{"log_seq": N, "rows": [...]}`.
pub fn json(output: &Output) -> String {
    json!({"log_seq": output.log_seq, "rows": output.rows}).to_string()
}

/// CSV with a header row.
pub fn csv(output: &Output) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(&output.columns);
    for row in &output.rows {
        let _ = writer.write_record(output.columns.iter().map(|c| cell_text(row.get(*c))));
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// An aligned table, `width` columns wide at most (0: as wide as the
/// terminal, or unlimited when not on one), followed by a line that counts
/// the rows and names the log position.
pub fn table(output: &Output, width: u16) -> String {
    if output.rows.is_empty() {
        return format!("(no rows; log_seq {})\n", output.log_seq);
    }
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    if width > 0 {
        table.set_width(width);
    }
    table.set_header(output.columns.iter().map(Cell::new));
    for row in &output.rows {
        table.add_row(
            output
                .columns
                .iter()
                .map(|c| Cell::new(cell_text(row.get(*c)))),
        );
    }
    let count = output.rows.len();
    format!(
        "{table}\n{count} row{}; log_seq {}\n",
        if count == 1 { "" } else { "s" },
        output.log_seq
    )
}

/// Prints in the chosen format.
pub fn render(output: &Output, format: Format, width: u16) -> String {
    match format {
        Format::Table => table(output, width),
        Format::Json => json(output) + "\n",
        Format::Csv => csv(output),
    }
}

/// A small bar chart of a timeline's numeric values, one line per row, so
/// the shape of a series shows at a glance. `None` when nothing is numeric.
pub fn chart(output: &Output) -> Option<String> {
    const WIDTH: f64 = 40.0;
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let points: Vec<(String, String, f64)> = output
        .rows
        .iter()
        .filter_map(|r| {
            let text = r.get("value")?.as_str()?;
            let magnitude = crate::value::Value::parse(text).ok()?.magnitude()?;
            let series = format!(
                "{}.{}",
                cell_text(r.get("subject")),
                cell_text(r.get("attribute"))
            );
            let period = cell_text(r.get("period").or_else(|| r.get("valid")));
            Some((format!("{series} {period}"), text.to_string(), magnitude))
        })
        .collect();
    if points.is_empty() {
        return None;
    }
    let max = points.iter().map(|p| p.2.abs()).fold(0.0, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    let label_width = points
        .iter()
        .map(|p| p.0.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (label, value, magnitude) in &points {
        let eighths = (magnitude.abs() / max * WIDTH * 8.0).round() as usize;
        let bar = format!("{}{}", "█".repeat(eighths / 8), PARTS[eighths % 8]);
        let sign = if *magnitude < 0.0 { "-" } else { "" };
        out.push_str(&format!("{label:<label_width$} │{sign}{bar} {value}\n"));
    }
    Some(out)
}
