//! Parsing a spec's `[params]` and `[expect]` sections: integers in range, lists of names,
//! unknown parameters and properties, each error naming the file, line and field; and the
//! parameter descriptions several models share.

use super::concurrent::PropDef;
use super::info::{Kind, ParamDef};
use super::spec::{ParamValue, Spec, SpecError, Strategy, Verdict};
use stateright::Model;

/// `goroutines` for the models whose goroutines each choose their operations (rwmutex,
/// syncmap).
pub const GOROUTINES: ParamDef = ParamDef {
    name: "goroutines",
    default: "2",
    description: "goroutines, each choosing its operations from ops (1..=3)",
};

/// `ops_per_goroutine` for the same models.
pub const OPS_PER_GOROUTINE: ParamDef = ParamDef {
    name: "ops_per_goroutine",
    default: "2",
    description: "operations each goroutine performs (1..=3)",
};

/// `history` for the models that check linearizability (rwmutex, syncmap).
pub const HISTORY: ParamDef = ParamDef {
    name: "history",
    default: "\"events\"",
    description: "what states keep for linearizable: \"events\" (every invoke and return; counterexamples print them) or \"frontier\" (only the linearizations still possible: fewer states, same verdicts)",
};

/// An integer parameter in `min..=max`.
pub fn int_param(
    spec: &Spec,
    name: &str,
    v: &ParamValue,
    min: i64,
    max: i64,
) -> Result<i64, SpecError> {
    let field = format!("params.{name}");
    match &v.value {
        toml::Value::Integer(n) if (min..=max).contains(n) => Ok(*n),
        toml::Value::Integer(n) => Err(spec.error(
            Some(v.line),
            Some(&field),
            format!("{n} is out of range: must be in {min}..={max}"),
        )),
        other => Err(spec.error(
            Some(v.line),
            Some(&field),
            format!("expected an integer, got {}", other.type_str()),
        )),
    }
}

/// A `true` or `false` parameter.
pub fn bool_param(spec: &Spec, name: &str, v: &ParamValue) -> Result<bool, SpecError> {
    match &v.value {
        toml::Value::Boolean(b) => Ok(*b),
        other => Err(spec.error(
            Some(v.line),
            Some(&format!("params.{name}")),
            format!("expected true or false, got {}", other.type_str()),
        )),
    }
}

/// A list of names, each one of `allowed`; returns a bit per allowed name.
pub fn names_param(
    spec: &Spec,
    name: &str,
    v: &ParamValue,
    allowed: &[&str],
) -> Result<u32, SpecError> {
    let field = format!("params.{name}");
    let toml::Value::Array(items) = &v.value else {
        return Err(spec.error(
            Some(v.line),
            Some(&field),
            format!("expected a list of names from {allowed:?}"),
        ));
    };
    let mut bits = 0;
    for it in items {
        match it
            .as_str()
            .and_then(|s| allowed.iter().position(|a| *a == s))
        {
            Some(i) => bits |= 1 << i,
            None => {
                return Err(spec.error(
                    Some(v.line),
                    Some(&field),
                    format!("unknown operation {it} (expected one of {allowed:?})"),
                ))
            }
        }
    }
    if bits == 0 {
        return Err(spec.error(Some(v.line), Some(&field), "the list is empty"));
    }
    Ok(bits)
}

/// The `history` parameter of the models that check linearizability: `"events"` or
/// `"frontier"` (see [`super::history`]).
pub fn history_param(
    spec: &Spec,
    name: &str,
    v: &ParamValue,
) -> Result<super::history::HistoryMode, SpecError> {
    use super::history::HistoryMode;
    let field = format!("params.{name}");
    v.value
        .as_str()
        .and_then(HistoryMode::from_name)
        .ok_or_else(|| {
            spec.error(
                Some(v.line),
                Some(&field),
                format!("expected one of {:?}, got {}", HistoryMode::NAMES, v.value),
            )
        })
}

/// The error for a parameter the model does not have.
pub fn unknown_param(
    spec: &Spec,
    model: &str,
    name: &str,
    v: &ParamValue,
    defs: &[ParamDef],
) -> SpecError {
    let known: Vec<&str> = defs.iter().map(|d| d.name).collect();
    spec.error(
        Some(v.line),
        Some(&format!("params.{name}")),
        format!(
            "unknown parameter of model `{model}` (known: {})",
            known.join(", ")
        ),
    )
}

/// Checks the spec's expected property names against the model's, and that a simulation is
/// not asked to establish an `always` property. Returns the names.
pub fn expected_names<M: Model>(
    spec: &Spec,
    model: &str,
    defs: &[PropDef<M>],
) -> Result<Vec<String>, SpecError> {
    let mut names = Vec::new();
    for e in &spec.expect {
        let field = format!("expect.{}", e.property);
        match defs.iter().find(|d| d.name == e.property) {
            None => {
                return Err(spec.error(
                    Some(e.line),
                    Some(&field),
                    format!("unknown property of model `{model}` (see `gomap list`)"),
                ))
            }
            Some(d) => {
                if spec.strategy == Strategy::Simulation
                    && d.kind == Kind::Always
                    && e.verdict == Verdict::Holds
                {
                    return Err(spec.error(
                        Some(e.line),
                        Some(&field),
                        "a simulation visits some states, not all: it can never establish that an `always` property holds; use bfs or dfs",
                    ));
                }
            }
        }
        names.push(e.property.clone());
    }
    Ok(names)
}
