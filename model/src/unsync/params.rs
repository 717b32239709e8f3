//! The `unsync` model's parameters: their table for `gomap list`, parsing a spec's
//! `[params]` and the checks across them. The `rwmutex` model takes the same map parameters
//! (the map's are [`KEYS`] to [`HINT`]) and parses them here.

use super::{UOp, UOps, UnsyncParams};
use crate::framework::info::ParamDef;
use crate::framework::params;
use crate::framework::spec::{ParamValue, Spec, SpecError};

pub const PARAMS: &[ParamDef] = &[
    ParamDef {
        name: "goroutines",
        default: "2",
        description: "goroutines choosing from every operation in ops (1..=3)",
    },
    ParamDef {
        name: "readers",
        default: "0",
        description:
            "further goroutines that only read: mapaccess2 (and range if ops has iterate) (0..=2)",
    },
    ParamDef {
        name: "ops_per_goroutine",
        default: "1",
        description: "operations each goroutine performs (1..=3)",
    },
    KEYS,
    VALUES,
    HASH_BITS,
    BUCKET_CNT,
    LOAD_FACTOR,
    HINT,
    ParamDef {
        name: "initial",
        default: "0",
        description: "keys the map holds before the goroutines start, k(keys+1).. with elem v1 (0..=8; needs hash_pattern)",
    },
    ParamDef {
        name: "hash_pattern",
        default: "(every injective assignment)",
        description: "low hash bits of each key, goroutine keys then initial ones, e.g. [1, 0, 0, 0]: one hash assignment",
    },
    ParamDef {
        name: "programs",
        default: "(none: goroutines choose from ops)",
        description: "one fixed program per goroutine, e.g. [[\"assign k1 v1\"], [\"assign k2 v2\"]] (the scenarios gomap observe runs on real Go)",
    },
    ParamDef {
        name: "ops",
        default: "[\"assign\"]",
        description: "operations goroutines choose from: assign, delete, access, iterate",
    },
    ParamDef {
        name: "max_preemptions",
        default: "(none: every interleaving)",
        description: "explore only the executions with at most this many preemptions (a step of another goroutine while the one that stepped last is inside an operation) (0..=8); verdicts hold within the bound",
    },
    ParamDef {
        name: "clear_dead_registers",
        default: "false",
        description: "after each step, reset the goroutine's registers that no later step reads (dead-variable reduction): the same verdicts and counterexample steps over fewer states; dead registers print as zero",
    },
    ParamDef {
        name: "merge_terminal_states",
        default: "false",
        description: "search every terminal state (a throw, or every goroutine finished) as the values of the properties on it: terminal states with the same values are one state (needs [search] symmetry = true); the same verdicts and counterexamples over fewer states",
    },
];

// The plain map's parameters, in the tables of both `unsync` and `rwmutex`.

pub const KEYS: ParamDef = ParamDef {
    name: "keys",
    default: "2",
    description: "keys k1..kN (1..=4)",
};

pub const VALUES: ParamDef = ParamDef {
    name: "values",
    default: "1",
    description: "elems v1..vN assigned (1..=3)",
};

pub const HASH_BITS: ParamDef = ParamDef {
    name: "hash_bits",
    default: "1",
    description: "low hash bits that vary (0..=3); every injective assignment is an initial state",
};

pub const BUCKET_CNT: ParamDef = ParamDef {
    name: "bucket_cnt",
    default: "1",
    description: "slots per bmap, a power of two <= 8 (Go: 8)",
};

pub const LOAD_FACTOR: ParamDef = ParamDef {
    name: "load_factor",
    default: "\"1/2\"",
    description: "loadFactorNum/loadFactorDen as \"N/D\" (Go: \"13/2\")",
};

pub const HINT: ParamDef = ParamDef {
    name: "hint",
    default: "0",
    description: "makemap's size hint",
};

/// `assign k1 v2`, `delete k1`, `access k2`, `range`.
pub fn parse_uop(text: &str) -> Option<UOp> {
    let w: Vec<&str> = text.split_whitespace().collect();
    let num = |s: &str, p: char| s.strip_prefix(p)?.parse::<u8>().ok();
    match w.as_slice() {
        ["assign", k, v] => Some(UOp::Assign {
            key: num(k, 'k')?,
            elem: num(v, 'v')?,
        }),
        ["delete", k] => Some(UOp::Delete { key: num(k, 'k')? }),
        ["access", k] => Some(UOp::Access { key: num(k, 'k')? }),
        ["range"] => Some(UOp::Range),
        _ => None,
    }
}

/// Parses and checks the spec's `[params]`.
pub(super) fn parse_params(spec: &Spec) -> Result<UnsyncParams, SpecError> {
    let mut p = UnsyncParams::default();
    for (name, v) in &spec.params {
        if !param(spec, name, v, &mut p)? {
            return Err(params::unknown_param(spec, "unsync", name, v, PARAMS));
        }
    }
    check(spec, &mut p)?;
    Ok(p)
}

/// Sets parameter `name` of `p` from `v`, checking it alone; `Ok(false)`: the model has no
/// parameter of that name.
pub fn param(
    spec: &Spec,
    name: &str,
    v: &ParamValue,
    p: &mut UnsyncParams,
) -> Result<bool, SpecError> {
    match name {
        "goroutines" => p.goroutines = params::int_param(spec, name, v, 1, 3)? as u8,
        "readers" => p.readers = params::int_param(spec, name, v, 0, 2)? as u8,
        "ops_per_goroutine" => p.ops_per_goroutine = params::int_param(spec, name, v, 1, 3)? as u8,
        "keys" => p.keys = params::int_param(spec, name, v, 1, 4)? as u8,
        "values" => p.values = params::int_param(spec, name, v, 1, 3)? as u8,
        "hash_bits" => p.hash_bits = params::int_param(spec, name, v, 0, 3)? as u32,
        "hint" => p.hint = params::int_param(spec, name, v, 0, 64)? as usize,
        "initial" => p.initial = params::int_param(spec, name, v, 0, 8)? as u8,
        "max_preemptions" => {
            p.max_preemptions = Some(params::int_param(spec, name, v, 0, 8)? as u8)
        }
        "clear_dead_registers" => p.clear_dead_registers = params::bool_param(spec, name, v)?,
        "merge_terminal_states" => p.merge_terminal_states = params::bool_param(spec, name, v)?,
        "hash_pattern" => {
            let toml::Value::Array(items) = &v.value else {
                return Err(spec.error(
                    Some(v.line),
                    Some("params.hash_pattern"),
                    "expected a list of low hash bits, one per key, such as [1, 0, 0]",
                ));
            };
            let mut pat = Vec::new();
            for it in items {
                match it.as_integer() {
                    Some(n) if (0..8).contains(&n) => pat.push(n as u8),
                    _ => {
                        return Err(spec.error(
                            Some(v.line),
                            Some("params.hash_pattern"),
                            format!("{it} is not a low-bits value in 0..8"),
                        ))
                    }
                }
            }
            p.hash_pattern = Some(pat);
        }
        "bucket_cnt" | "load_factor" => crate::hmap::geometry_param(spec, name, v, &mut p.geo)?,
        "programs" => {
            let err = |msg: String| spec.error(Some(v.line), Some("params.programs"), msg);
            let toml::Value::Array(gs) = &v.value else {
                return Err(err(
                    "expected one list of operations per goroutine, such as [[\"assign k1 v1\"], [\"access k1\"]]".into(),
                ));
            };
            let mut progs = Vec::new();
            for g in gs {
                let Some(ops) = g.as_array() else {
                    return Err(err(format!("{g} is not a list of operations")));
                };
                let mut prog = Vec::new();
                for op in ops {
                    let text = op.as_str().unwrap_or("");
                    prog.push(parse_uop(text).ok_or_else(|| {
                        err(format!(
                            "{op} is not an operation (\"assign kN vM\", \"delete kN\", \"access kN\", \"range\")"
                        ))
                    })?);
                }
                if prog.is_empty() || prog.len() > 3 {
                    return Err(err("each goroutine runs 1 to 3 operations".into()));
                }
                progs.push(prog);
            }
            if progs.is_empty() || progs.len() > 3 {
                return Err(err("1 to 3 goroutines".into()));
            }
            p.programs = Some(progs);
        }
        "ops" => {
            let bits =
                params::names_param(spec, name, v, &["assign", "delete", "access", "iterate"])?;
            p.ops = UOps {
                assign: bits & 1 != 0,
                delete: bits & 2 != 0,
                access: bits & 4 != 0,
                iterate: bits & 8 != 0,
            };
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// The checks across parameters, once every one is set. Fixed programs decide the
/// goroutines, readers and operations per goroutine.
pub fn check(spec: &Spec, p: &mut UnsyncParams) -> Result<(), SpecError> {
    if let Some(progs) = &p.programs {
        // The goroutines are the programs; readers are not used.
        p.goroutines = progs.len() as u8;
        p.readers = 0;
        p.ops_per_goroutine = progs.iter().map(|g| g.len()).max().unwrap_or(1) as u8;
        for op in progs.iter().flatten() {
            let bad = match *op {
                UOp::Assign { key, elem } => {
                    key == 0 || key > p.keys || elem == 0 || elem > p.values
                }
                UOp::Delete { key } | UOp::Access { key } => key == 0 || key > p.keys,
                UOp::Range => false,
            };
            if bad {
                return Err(spec.error(
                    spec.params.get("programs").map(|v| v.line),
                    Some("params.programs"),
                    format!("{op}: keys are k1..k{} and elems v1..v{}", p.keys, p.values),
                ));
            }
        }
    }
    let nkeys = p.keys as usize + p.initial as usize;
    match &p.hash_pattern {
        Some(pat) if pat.len() != nkeys || pat.iter().any(|&b| b as u64 >= 1 << p.hash_bits) => {
            return Err(spec.error(
                spec.params.get("hash_pattern").map(|v| v.line),
                Some("params.hash_pattern"),
                format!(
                    "expected {nkeys} values (keys + initial), each below 2^hash_bits = {}",
                    1u32 << p.hash_bits
                ),
            ))
        }
        None if p.initial > 0 => {
            return Err(spec.error(
                spec.params.get("initial").map(|v| v.line),
                Some("params.initial"),
                "initial keys need params.hash_pattern (the low hash bits of every key)",
            ))
        }
        _ => {}
    }
    if p.hash_pattern.is_none() && p.keys as u64 > 1 << p.hash_bits {
        return Err(spec.error(
            spec.params.get("keys").map(|v| v.line),
            Some("params.keys"),
            format!(
                "{} keys cannot have distinct hashes in a domain of {} (2^hash_bits)",
                p.keys,
                1u32 << p.hash_bits
            ),
        ));
    }
    if p.geo.load_factor_num > p.geo.bucket_cnt * p.geo.load_factor_den {
        return Err(spec.error(
            spec.params.get("load_factor").map(|v| v.line),
            Some("params.load_factor"),
            format!(
                "load factor {}/{} exceeds bucket_cnt {}: a same-size grow could re-trigger forever (Go: 13/2 <= 8)",
                p.geo.load_factor_num, p.geo.load_factor_den, p.geo.bucket_cnt
            ),
        ));
    }
    if p.merge_terminal_states && !spec.symmetry {
        return Err(spec.error(
            spec.params.get("merge_terminal_states").map(|v| v.line),
            Some("params.merge_terminal_states"),
            "terminal states are merged by the symmetry representative: set [search] symmetry = true (with strategy = \"dfs\")",
        ));
    }
    Ok(())
}
