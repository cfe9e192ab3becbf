//! The samples of a run, printed as a Markdown table (median (min–max) per contender and
//! burrow's ratios to OpenSSH) and written as JSON.

use std::fmt::Write as _;

use crate::common::median;
use crate::peers::Imp;

/// One measure: its name (with unit) and its samples per contender.
pub struct Metric {
    pub name: String,
    pub samples: Vec<(Imp, f64)>,
}

/// Every measure of a run, in the order first recorded.
#[derive(Default)]
pub struct Report {
    pub metrics: Vec<Metric>,
    /// Reference figures that belong to no contender (plain TCP), name -> samples.
    pub reference: Vec<(String, Vec<f64>)>,
}

impl Report {
    /// Adds one sample.
    pub fn add(&mut self, name: &str, imp: Imp, v: f64) {
        if !v.is_finite() {
            return;
        }
        match self.metrics.iter_mut().find(|m| m.name == name) {
            Some(m) => m.samples.push((imp, v)),
            None => self.metrics.push(Metric {
                name: name.to_owned(),
                samples: vec![(imp, v)],
            }),
        }
    }

    /// Adds one reference sample.
    pub fn add_ref(&mut self, name: &str, v: f64) {
        match self.reference.iter_mut().find(|m| m.0 == name) {
            Some(m) => m.1.push(v),
            None => self.reference.push((name.to_owned(), vec![v])),
        }
    }

    fn values(m: &Metric, imp: Imp) -> Vec<f64> {
        m.samples
            .iter()
            .filter(|s| s.0 == imp)
            .map(|s| s.1)
            .collect()
    }

    /// The Markdown table.
    pub fn markdown(&self) -> String {
        let mut out = String::from("| measure |");
        for imp in Imp::ALL {
            let _ = write!(out, " {} |", imp.label());
        }
        out.push_str(" burrow / OpenSSH | privsep / OpenSSH |\n|---|");
        out.push_str(&"---|".repeat(Imp::ALL.len() + 2));
        out.push('\n');
        for m in &self.metrics {
            let _ = write!(out, "| {} |", m.name);
            for imp in Imp::ALL {
                let _ = write!(out, " {} |", cell(&Self::values(m, imp)));
            }
            let base = median(&Self::values(m, Imp::OpenSsh));
            for imp in [Imp::Burrow, Imp::BurrowPrivsep] {
                let r = median(&Self::values(m, imp)) / base;
                if r.is_finite() {
                    let _ = write!(out, " {r:.2}× |");
                } else {
                    out.push_str(" – |");
                }
            }
            out.push('\n');
        }
        for (name, v) in &self.reference {
            let _ = writeln!(out, "\nReference, {name}: {}", cell(v));
        }
        out
    }

    /// The JSON document (`header` is a list of already-quoted `"key": value` members).
    pub fn json(&self, header: &[(String, String)]) -> String {
        let mut out = String::from("{\n");
        for (k, v) in header {
            let _ = writeln!(out, "  {}: {},", quote(k), quote(v));
        }
        out.push_str("  \"metrics\": [\n");
        let mut first = true;
        for m in &self.metrics {
            for imp in Imp::ALL {
                let v = Self::values(m, imp);
                if v.is_empty() {
                    continue;
                }
                if !first {
                    out.push_str(",\n");
                }
                first = false;
                let _ = write!(
                    out,
                    "    {{\"measure\": {}, \"implementation\": {}, \"median\": {}, \"samples\": {:?}}}",
                    quote(&m.name),
                    quote(imp.label()),
                    median(&v),
                    v
                );
            }
        }
        out.push_str("\n  ],\n  \"reference\": [\n");
        let refs: Vec<String> = self
            .reference
            .iter()
            .map(|(n, v)| {
                format!(
                    "    {{\"measure\": {}, \"median\": {}, \"samples\": {v:?}}}",
                    quote(n),
                    median(v)
                )
            })
            .collect();
        out.push_str(&refs.join(",\n"));
        out.push_str("\n  ]\n}\n");
        out
    }
}

/// `median (min–max)`, or `–` without samples.
fn cell(v: &[f64]) -> String {
    if v.is_empty() {
        return "–".into();
    }
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if v.len() == 1 {
        return num(v[0]);
    }
    format!("{} ({}–{})", num(median(v)), num(min), num(max))
}

/// Three significant digits or so.
fn num(x: f64) -> String {
    match x.abs() {
        a if a >= 100.0 => format!("{x:.0}"),
        a if a >= 10.0 => format!("{x:.1}"),
        a if a >= 1.0 => format!("{x:.2}"),
        _ => format!("{x:.3}"),
    }
}

/// A JSON string literal.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
