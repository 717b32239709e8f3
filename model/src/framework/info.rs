//! What a model tells the framework: its parameters, its properties, and how a spec builds,
//! runs and explores it. A model implements [`SpecModel`]; [`ModelEntry::of`] turns that into
//! the plain record [`crate::registry`] lists, so the registry knows every model and no model
//! knows the registry.

use super::check::{run_model, Checkable, RunOptions, SpecResult};
use super::cost::{model_cost, ModelCost};
use super::spec::{Spec, SpecError, Strategy};
use serde::Serialize;

pub use super::kind::Kind;

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
    pub kind: Kind,
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

/// A model a spec can name.
pub trait SpecModel: Checkable + Sized {
    /// The name specs use in `model = "..."`.
    const NAME: &'static str;
    /// Its parameters and properties, for `gomap list`.
    fn info() -> ModelInfo;
    /// Builds the model a spec describes, checking every parameter and property name.
    fn from_spec(spec: &Spec) -> Result<Self, SpecError>;
    /// Whether the search adds the sentinel that keeps it going until every state is seen.
    fn set_exhaustive(&mut self, on: bool);
    /// Runs the search the spec asks for.
    fn run(spec: &Spec, opts: &RunOptions) -> Result<SpecResult, SpecError> {
        run_checked(spec, Self::from_spec(spec)?, opts)
    }
    /// Times the model's own work (steps, hashing, symmetry, properties) over a sample of
    /// about `n` states reached by random walks ([`super::cost`]).
    fn cost(spec: &Spec, n: usize) -> Result<ModelCost, SpecError> {
        cost_checked(spec, Self::from_spec(spec)?, n)
    }
    /// Serves stateright's explorer (blocks).
    fn explore(spec: &Spec, addr: std::net::SocketAddr) -> Result<(), SpecError> {
        let mut model = Self::from_spec(spec)?.explorer_model();
        check_initial_memory(spec, &model, RunOptions::default().memory_limit_mb(spec))?;
        model.set_exhaustive(false);
        let _ = stateright::Model::checker(model).serve(addr);
        Ok(())
    }
}

/// [`SpecModel::run`] on a model already built from the spec (a model may build a variant of
/// itself first, such as the map models with fewer slots per bmap).
pub fn run_checked<M: Checkable>(
    spec: &Spec,
    model: M,
    opts: &RunOptions,
) -> Result<SpecResult, SpecError> {
    check_initial_memory(spec, &model, opts.memory_limit_mb(spec))?;
    Ok(run_model(spec, model, opts))
}

/// Whether `spec` asks for symmetry reduction and `model` (built from it) reduces by a
/// representative function, which only stateright's DFS applies.
pub fn symmetry_needs_dfs<M: Checkable>(spec: &Spec, model: &M) -> bool {
    spec.symmetry && model.symmetry_fn().is_some()
}

/// Refuses `search.symmetry = true` with a strategy other than DFS when the model reduces by
/// a representative function: stateright's BFS and simulation accept one and silently ignore
/// it, so the search would count the unreduced space. The hmap model with `reseed = false`
/// reduces at its initial states instead (`HmapModel::symmetry_at_init`) and has none.
pub fn check_symmetry_strategy<M: Checkable>(spec: &Spec, model: &M) -> Result<(), SpecError> {
    if spec.strategy != Strategy::Dfs && symmetry_needs_dfs(spec, model) {
        return Err(spec.error(
            spec.symmetry_line,
            Some("search.symmetry"),
            format!(
                "symmetry reduction of this `{}` spec works with strategy = \"dfs\" only \
                 (stateright's other searches ignore its representative function)",
                spec.model
            ),
        ));
    }
    Ok(())
}

/// [`SpecModel::cost`] on a model already built from the spec.
pub fn cost_checked<M: Checkable>(spec: &Spec, model: M, n: usize) -> Result<ModelCost, SpecError> {
    check_initial_memory(spec, &model, RunOptions::default().memory_limit_mb(spec))?;
    Ok(model_cost(&model, n, spec.symmetry, spec.seed))
}

/// Refuses, before building them, initial states that would not fit in `max_memory_mb`
/// (counting a quarter of it for them, as the search needs the rest).
pub fn check_initial_memory<M: Checkable>(
    spec: &Spec,
    model: &M,
    max_memory_mb: u64,
) -> Result<(), SpecError> {
    let Some((n, each)) = model.init_states_estimate() else {
        return Ok(());
    };
    let need_mb = (n as u64).saturating_mul(each) / (1 << 20);
    if need_mb.saturating_mul(4) > max_memory_mb {
        return Err(spec.error(
            None,
            Some("params"),
            format!(
                "{n} initial states of about {each} bytes each need about {need_mb} MB, more than \
                 a quarter of the memory limit of {max_memory_mb} MB (limits.max_memory_mb, \
                 --max-memory): lower params.hint or params.hash_functions"
            ),
        ));
    }
    Ok(())
}

/// A model a spec can name: how to list, validate, check and explore it.
pub struct ModelEntry {
    pub name: &'static str,
    pub info: fn() -> ModelInfo,
    /// Checks the spec's parameters and property names without running anything (and that
    /// its strategy can honour its `search.symmetry`: [`check_symmetry_strategy`]).
    pub validate: fn(&Spec) -> Result<(), SpecError>,
    /// Whether the spec asks for symmetry reduction and it is a representative function,
    /// which only a DFS search applies ([`symmetry_needs_dfs`]; false without
    /// `search.symmetry`, without building the model).
    pub symmetry_needs_dfs: fn(&Spec) -> Result<bool, SpecError>,
    pub run: fn(&Spec, &RunOptions) -> Result<SpecResult, SpecError>,
    /// Times the spec's model apart from the checker over a sample of about n states.
    pub cost: fn(&Spec, usize) -> Result<ModelCost, SpecError>,
    /// Serves stateright's explorer for the spec's model (blocks).
    pub explore: fn(&Spec, std::net::SocketAddr) -> Result<(), SpecError>,
}

impl ModelEntry {
    /// The entry of model `M`.
    pub const fn of<M: SpecModel>() -> ModelEntry {
        ModelEntry {
            name: M::NAME,
            info: M::info,
            validate: |spec| check_symmetry_strategy(spec, &M::from_spec(spec)?),
            symmetry_needs_dfs: |spec| {
                Ok(spec.symmetry && symmetry_needs_dfs(spec, &M::from_spec(spec)?))
            },
            run: M::run,
            cost: M::cost,
            explore: M::explore,
        }
    }
}
