//! The models a spec can name, their parameters (with defaults and limits) and their
//! properties; turning a parsed [`Spec`] into a configured model.

use crate::concurrent::int_param;
use crate::hmap::{hash_domain, properties, HmapModel, HmapParams, OpSet};
use crate::spec::{Spec, SpecError, Strategy, Verdict};
use serde::Serialize;

/// A parameter of a model.
#[derive(Clone, Debug, Serialize)]
pub struct ParamDef {
    pub name: &'static str,
    pub default: &'static str,
    pub description: &'static str,
}

/// A property as listed by `gomap list`.
#[derive(Clone, Debug, Serialize)]
pub struct PropertyInfo {
    pub name: &'static str,
    pub kind: properties::Kind,
    pub description: &'static str,
}

/// A model as listed by `gomap list`.
#[derive(Clone, Debug, Serialize)]
pub struct ModelInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub params: Vec<ParamDef>,
    pub properties: Vec<PropertyInfo>,
}

const HMAP_PARAMS: &[ParamDef] = &[
    ParamDef { name: "keys", default: "2", description: "keys k1..kN (1..=64)" },
    ParamDef { name: "values", default: "1", description: "elems v1..vN assigned (1..=8)" },
    ParamDef { name: "hash_bits", default: "2", description: "low hash bits that vary (bucket index and X/Y choice; 0..=8)" },
    ParamDef { name: "tophash_values", default: "1", description: "distinct top bytes of the hash (2+ explores equal low bits with unequal tophash; 1..=4)" },
    ParamDef { name: "bucket_cnt", default: "2", description: "slots per bmap, a power of two <= 8 (Go: 8)" },
    ParamDef { name: "load_factor", default: "\"3/2\"", description: "loadFactorNum/loadFactorDen as \"N/D\" (Go: \"13/2\")" },
    ParamDef { name: "max_ops", default: "6", description: "Go operations per execution (1..=250)" },
    ParamDef { name: "max_iters", default: "1", description: "range loops open at once (0..=3)" },
    ParamDef { name: "hint", default: "0", description: "makemap's size hint" },
    ParamDef { name: "hash_functions", default: "0", description: "0: every injective assignment of hashes to keys (one initial state each); N: N pseudo-random ones, for configurations too big to enumerate" },
    ParamDef { name: "reseed", default: "true", description: "explore every new hash function when a delete reseeds hash0 at count 0" },
    ParamDef { name: "ops", default: "[\"assign\", \"delete\", \"access\", \"iterate\"]", description: "operations the goroutine performs" },
];

/// A model a spec can name: how to list, validate, check and explore it.
pub struct ModelEntry {
    pub name: &'static str,
    pub info: fn() -> ModelInfo,
    /// Checks the spec's parameters and property names without running anything.
    pub validate: fn(&Spec) -> Result<(), SpecError>,
    pub run: fn(&Spec, &crate::check::RunOptions) -> Result<crate::check::SpecResult, SpecError>,
    /// Serves stateright's explorer for the spec's model (blocks).
    pub explore: fn(&Spec, std::net::SocketAddr) -> Result<(), SpecError>,
}

/// Every model, by name.
pub const ENTRIES: &[ModelEntry] = &[
    ModelEntry {
        name: "hmap",
        info: hmap_info,
        validate: |spec| hmap_model(spec).map(|_| ()),
        run: |spec, opts| Ok(crate::check::run_model(spec, hmap_model(spec)?, opts)),
        explore: |spec, addr| {
            use stateright::Model;
            let mut model = hmap_model(spec)?;
            model.exhaustive = false;
            let _ = model.checker().serve(addr);
            Ok(())
        },
    },
    ModelEntry {
        name: "unsync",
        info: crate::unsync::info,
        validate: |spec| crate::unsync::from_spec(spec).map(|_| ()),
        run: crate::unsync::run,
        explore: |spec, addr| {
            use stateright::Model;
            let mut model = crate::unsync::from_spec(spec)?;
            model.exhaustive = false;
            let _ = model.checker().serve(addr);
            Ok(())
        },
    },
    ModelEntry {
        name: "syncmap",
        info: crate::syncmap::info,
        validate: |spec| crate::syncmap::from_spec(spec).map(|_| ()),
        run: |spec, opts| {
            Ok(crate::check::run_model(
                spec,
                crate::syncmap::from_spec(spec)?,
                opts,
            ))
        },
        explore: |spec, addr| {
            use stateright::Model;
            let mut model = crate::syncmap::from_spec(spec)?;
            model.exhaustive = false;
            let _ = model.checker().serve(addr);
            Ok(())
        },
    },
    ModelEntry {
        name: "rwmutex",
        info: crate::rwmutex::info,
        validate: |spec| crate::rwmutex::from_spec(spec).map(|_| ()),
        run: |spec, opts| {
            Ok(crate::check::run_model(
                spec,
                crate::rwmutex::from_spec(spec)?,
                opts,
            ))
        },
        explore: |spec, addr| {
            use stateright::Model;
            let mut model = crate::rwmutex::from_spec(spec)?;
            model.exhaustive = false;
            let _ = model.checker().serve(addr);
            Ok(())
        },
    },
    ModelEntry {
        name: "cache",
        info: crate::cache::info,
        validate: |spec| crate::cache::from_spec(spec).map(|_| ()),
        run: crate::cache::run,
        explore: |spec, addr| {
            use stateright::Model;
            let mut model = crate::cache::from_spec(spec)?;
            model.exhaustive = false;
            let _ = model.checker().serve(addr);
            Ok(())
        },
    },
];

/// The entry of the model a spec names, or an error naming the spec's `model` line.
pub fn entry(spec: &Spec) -> Result<&'static ModelEntry, SpecError> {
    ENTRIES
        .iter()
        .find(|e| e.name == spec.model)
        .ok_or_else(|| {
            let known: Vec<&str> = ENTRIES.iter().map(|e| e.name).collect();
            spec.error(
                Some(spec.model_line),
                Some("model"),
                format!(
                    "unknown model `{}` (known: {})",
                    spec.model,
                    known.join(", ")
                ),
            )
        })
}

/// Every model a spec can name.
pub fn models() -> Vec<ModelInfo> {
    ENTRIES.iter().map(|e| (e.info)()).collect()
}

fn hmap_info() -> ModelInfo {
    ModelInfo {
        name: "hmap",
        description: "one goroutine using one Go 1.19 map[uint64]uint64: buckets, tophash states, growth and evacuation, deletes, iterators (runtime/map.go, map_fast64.go)",
        params: HMAP_PARAMS.to_vec(),
        properties: properties::PROPERTIES
            .iter()
            .map(|p| PropertyInfo {
                name: p.name,
                kind: p.kind,
                description: p.description,
            })
            .collect(),
    }
}

/// Builds the `hmap` model a spec describes, checking every parameter and property name.
pub fn hmap_model(spec: &Spec) -> Result<HmapModel, SpecError> {
    let mut p = HmapParams::default();
    let mut lf_line = None;
    for (name, v) in &spec.params {
        let field = format!("params.{name}");
        match name.as_str() {
            "keys" => p.keys = int_param(spec, name, v, 1, 64)? as u64,
            "hash_functions" => p.hash_functions = int_param(spec, name, v, 0, 4096)? as u32,
            "values" => p.values = int_param(spec, name, v, 1, 8)? as u64,
            "hash_bits" => p.hash_bits = int_param(spec, name, v, 0, 8)? as u32,
            "tophash_values" => p.tophash_values = int_param(spec, name, v, 1, 4)? as u32,
            "bucket_cnt" => {
                let n = int_param(spec, name, v, 0, i64::MAX)?;
                if n == 0 || n > 8 || (n & (n - 1)) != 0 {
                    return Err(spec.error(
                        Some(v.line),
                        Some(&field),
                        format!(
                            "bucket_cnt must be a power of two between 1 and 8 (Go: 8), got {n}"
                        ),
                    ));
                }
                p.geo.bucket_cnt = n as usize;
            }
            "load_factor" => {
                lf_line = Some(v.line);
                let parsed = match &v.value {
                    toml::Value::String(s) => s.split_once('/').and_then(|(a, b)| {
                        Some((
                            a.trim().parse::<usize>().ok()?,
                            b.trim().parse::<usize>().ok()?,
                        ))
                    }),
                    _ => None,
                };
                match parsed {
                    Some((n, d)) if n > 0 && d > 0 => {
                        p.geo.load_factor_num = n;
                        p.geo.load_factor_den = d;
                    }
                    _ => {
                        return Err(spec.error(
                            Some(v.line),
                            Some(&field),
                            format!(
                                "expected \"N/D\" with N, D > 0 (Go: \"13/2\"), got {}",
                                v.value
                            ),
                        ))
                    }
                }
            }
            "max_ops" => p.max_ops = int_param(spec, name, v, 1, 250)? as u8,
            "max_iters" => p.max_iters = int_param(spec, name, v, 0, 3)? as u8,
            "hint" => p.hint = int_param(spec, name, v, 0, 1 << 20)? as usize,
            "reseed" => match &v.value {
                toml::Value::Boolean(b) => p.reseed = *b,
                other => {
                    return Err(spec.error(
                        Some(v.line),
                        Some(&field),
                        format!("expected true or false, got {}", other.type_str()),
                    ))
                }
            },
            "ops" => {
                let mut ops = OpSet {
                    assign: false,
                    delete: false,
                    access: false,
                    iterate: false,
                };
                let toml::Value::Array(items) = &v.value else {
                    return Err(spec.error(
                        Some(v.line),
                        Some(&field),
                        "expected a list such as [\"assign\", \"delete\"]",
                    ));
                };
                for it in items {
                    match it.as_str() {
                        Some("assign") => ops.assign = true,
                        Some("delete") => ops.delete = true,
                        Some("access") => ops.access = true,
                        Some("iterate") => ops.iterate = true,
                        _ => {
                            return Err(spec.error(
                                Some(v.line),
                                Some(&field),
                                format!(
                                "unknown operation {it} (expected assign, delete, access, iterate)"
                            ),
                            ))
                        }
                    }
                }
                p.ops = ops;
            }
            _ => {
                let known: Vec<&str> = HMAP_PARAMS.iter().map(|d| d.name).collect();
                return Err(spec.error(
                    Some(v.line),
                    Some(&field),
                    format!(
                        "unknown parameter of model `hmap` (known: {})",
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    // The largest B the model can reach must keep bucket indices within u16 and below
    // Go's B = 16 (from there incrnoverflow is random).
    let domain = hash_domain(p.hash_bits, p.tophash_values).len() as u64;
    if p.keys > domain {
        let line = spec.params.get("keys").map(|v| v.line);
        return Err(spec.error(
            line,
            Some("params.keys"),
            format!(
                "{} keys cannot have distinct hashes in a domain of {domain} (2^hash_bits x tophash_values)",
                p.keys
            ),
        ));
    }
    if p.hash_functions == 0 {
        // Every injective assignment is an initial state: refuse counts that cannot be
        // enumerated.
        let n: f64 = (0..p.keys).map(|i| (domain - i) as f64).product();
        if n > 100_000.0 {
            let line = spec.params.get("keys").map(|v| v.line);
            return Err(spec.error(
                line,
                Some("params.keys"),
                format!(
                    "{} keys over a domain of {domain} hashes make {n:.0} hash functions to enumerate (at most 100000); set params.hash_functions to sample some",
                    p.keys
                ),
            ));
        }
    }
    if p.geo.load_factor_num > p.geo.bucket_cnt * p.geo.load_factor_den {
        // Go's 13/2 is below its 8 slots. Above bucket_cnt, a same-size grow can leave as many
        // overflow buckets as it found, and mapassign's hashGrow / `goto again` never ends.
        return Err(spec.error(
            lf_line.or(spec.params.get("bucket_cnt").map(|v| v.line)),
            Some("params.load_factor"),
            format!(
                "load factor {}/{} exceeds bucket_cnt {}: a same-size grow could re-trigger forever (Go: 13/2 <= 8)",
                p.geo.load_factor_num, p.geo.load_factor_den, p.geo.bucket_cnt
            ),
        ));
    }
    if p.geo.load_factor_den > 1 << 15 {
        return Err(spec.error(lf_line, Some("params.load_factor"), "denominator too large"));
    }
    let mut names = Vec::new();
    for e in &spec.expect {
        match properties::find(&e.property) {
            None => {
                return Err(spec.error(
                    Some(e.line),
                    Some(&format!("expect.{}", e.property)),
                    "unknown property of model `hmap` (see `gomap list`)",
                ))
            }
            Some(def) => {
                if spec.strategy == Strategy::Simulation
                    && def.kind == properties::Kind::Always
                    && e.verdict == Verdict::Holds
                {
                    return Err(spec.error(
                        Some(e.line),
                        Some(&format!("expect.{}", e.property)),
                        "a simulation visits some states, not all: it can never establish that an `always` property holds; use bfs or dfs",
                    ));
                }
            }
        }
        names.push(e.property.clone());
    }
    if spec.symmetry && p.hash_functions > 0 {
        return Err(spec.error(
            spec.symmetry_line,
            Some("search.symmetry"),
            "key symmetry needs every hash function (hash_functions = 0): a sample is not closed under renaming keys",
        ));
    }
    let mut model = HmapModel::new(p, Some(&names));
    model.key_symmetry = spec.symmetry;
    model.exhaustive = spec.strategy != Strategy::Simulation;
    Ok(model)
}
