//! `inspect --json`: the report as JSON, schema [`super::SCHEMA`] (docs/inspect.md).
//! Keys are written in a fixed order, two-space indented.

use super::verdict::Judgement;
use super::Report;

/// A JSON value with ordered object keys.
pub enum J {
    Null,
    Bool(bool),
    Num(u64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

fn s(v: impl Into<String>) -> J {
    J::Str(v.into())
}

fn opt(v: Option<impl Into<String>>) -> J {
    v.map(s).unwrap_or(J::Null)
}

fn strs<T: AsRef<str>>(v: &[T]) -> J {
    J::Arr(v.iter().map(|x| s(x.as_ref())).collect())
}

pub(crate) fn escape(out: &mut String, t: &str) {
    out.push('"');
    for c in t.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl J {
    fn write(&self, out: &mut String, indent: usize) {
        let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => out.push_str(&n.to_string()),
            J::Str(t) => escape(out, t),
            J::Arr(v) if v.is_empty() => out.push_str("[]"),
            J::Obj(v) if v.is_empty() => out.push_str("{}"),
            J::Arr(v) => {
                out.push_str("[\n");
                for (i, x) in v.iter().enumerate() {
                    pad(out, indent + 2);
                    x.write(out, indent + 2);
                    out.push_str(if i + 1 < v.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push(']');
            }
            J::Obj(v) => {
                out.push_str("{\n");
                for (i, (k, x)) in v.iter().enumerate() {
                    pad(out, indent + 2);
                    escape(out, k);
                    out.push_str(": ");
                    x.write(out, indent + 2);
                    out.push_str(if i + 1 < v.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push('}');
            }
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out.push('\n');
        out
    }
}

fn judgement(j: &Judgement, extra: Option<(&'static str, J)>) -> J {
    let mut v = vec![
        ("runs", J::Bool(j.runs)),
        ("summary", s(&j.summary)),
        ("reasons", strs(&j.reasons)),
    ];
    v.extend(extra);
    J::Obj(v)
}

/// The report as a JSON value.
pub fn value(r: &Report) -> J {
    let abis = r
        .abis
        .iter()
        .map(|a| {
            J::Obj(vec![
                ("name", s(&a.name)),
                ("generation", opt(a.generation)),
                ("evidence", strs(&a.evidence)),
            ])
        })
        .collect();
    let memory = r
        .memories
        .iter()
        .map(|m| {
            J::Obj(vec![
                ("import", opt(m.import.clone())),
                ("shared", J::Bool(m.shared)),
                ("memory64", J::Bool(m.memory64)),
                ("min_pages", J::Num(m.min_pages)),
                ("max_pages", m.max_pages.map(J::Num).unwrap_or(J::Null)),
            ])
        })
        .collect();
    let pic = match &r.pic {
        None => J::Null,
        Some(p) => J::Obj(vec![
            ("role", s(p.role)),
            ("needed", strs(&p.needed)),
            ("memory_size", J::Num(p.memory_size.into())),
            ("table_size", J::Num(p.table_size.into())),
        ]),
    };
    let imports = r
        .imports
        .iter()
        .map(|i| {
            J::Obj(vec![
                ("module", s(&i.module)),
                ("name", s(&i.name)),
                ("kind", s(i.kind)),
                ("signature", s(&i.signature)),
                ("status", s(i.status.name())),
                ("provider", opt(i.provider)),
                ("reason", opt(i.reason.clone())),
                (
                    "differences",
                    J::Arr(
                        i.differences
                            .iter()
                            .map(|d| J::Obj(vec![("table", s(d.table)), ("text", s(&d.text))]))
                            .collect(),
                    ),
                ),
                ("wasmer_wasix", J::Bool(i.wasmer_wasix)),
            ])
        })
        .collect();
    let count = |st: super::Status| r.imports.iter().filter(|i| i.status == st).count() as u64;
    let v = &r.verdict;
    J::Obj(vec![
        ("schema", s(super::SCHEMA)),
        ("file", s(&r.file)),
        ("kind", s(r.kind.name())),
        ("abis", J::Arr(abis)),
        ("memory", J::Arr(memory)),
        (
            "asyncify",
            J::Obj(vec![
                ("asyncified", J::Bool(r.asyncify.asyncified)),
                ("fork", J::Bool(r.asyncify.fork)),
                ("setjmp", J::Bool(r.asyncify.setjmp)),
                ("contexts", J::Bool(r.asyncify.contexts)),
            ]),
        ),
        ("pic", pic),
        (
            "exports",
            J::Obj(r.exports.iter().map(|(n, on)| (*n, J::Bool(*on))).collect()),
        ),
        ("entry", opt(r.entry.clone())),
        (
            "counts",
            J::Obj(vec![
                ("implemented", J::Num(count(super::Status::Implemented))),
                (
                    "implemented-with-difference",
                    J::Num(count(super::Status::ImplementedWithDifference)),
                ),
                ("missing", J::Num(count(super::Status::Missing))),
            ]),
        ),
        ("imports", J::Arr(imports)),
        (
            "verdict",
            J::Obj(vec![
                ("ours", judgement(&v.ours, None)),
                (
                    "wasmer_wasix",
                    judgement(&v.wasmer_wasix, Some(("method", s(v.wasmer_wasix_method)))),
                ),
                (
                    "component",
                    J::Obj(vec![
                        ("wrappable", J::Bool(v.component.wrappable)),
                        ("summary", s(&v.component.summary)),
                        ("reasons", strs(&v.component.reasons)),
                        (
                            "blockers",
                            J::Arr(
                                v.component
                                    .blockers
                                    .iter()
                                    .map(|b| {
                                        J::Obj(vec![
                                            ("import", s(&b.import)),
                                            ("nearest", opt(b.nearest)),
                                        ])
                                    })
                                    .collect(),
                            ),
                        ),
                    ]),
                ),
            ]),
        ),
    ])
}

pub fn render(r: &Report) -> String {
    value(r).render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_json_escapes_and_keeps_key_order() {
        let v = J::Obj(vec![
            ("z", J::Str("a\"b\\c\n\u{1}".into())),
            ("a", J::Arr(vec![J::Num(1), J::Null, J::Bool(true)])),
            ("e", J::Arr(vec![])),
        ]);
        assert_eq!(
            v.render(),
            "{\n  \"z\": \"a\\\"b\\\\c\\n\\u0001\",\n  \"a\": [\n    1,\n    null,\n    true\n  ],\n  \"e\": []\n}\n"
        );
    }
}
