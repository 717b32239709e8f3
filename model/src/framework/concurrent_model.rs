//! The plumbing every concurrent model (unsync, rwmutex, syncmap, cache) would otherwise
//! repeat, written once. A model implements [`ConcurrentModel`]: its name, parameters and
//! property table, how a spec's parameters build it, where it keeps its property selection,
//! and the one function that performs an action with Go's steps logged. From that it gets the
//! runner's [`Checkable`] and the registry's [`SpecModel`] (the tail of `from_spec`: expected
//! property names, exhaustive or not; its `info`), and the bodies of stateright's
//! `next_state` and `properties`.

use super::check::{Checkable, Representative};
use super::check::{RunOptions, SpecResult};
use super::concurrent::{selected_properties, PropDef};
use super::cost::ModelCost;
use super::info::{cost_checked, run_checked, ModelInfo, ParamDef, SpecModel};
use super::log::Log;
use super::params::expected_names;
use super::spec::{Spec, SpecError, Strategy};
use stateright::{Model, Property};
use std::fmt::Debug;
use std::hash::Hash;

/// A concurrent model: what it supplies; the rest is provided.
pub trait ConcurrentModel:
    Model<
        State: Clone + PartialEq + Hash + Send + Sync + Debug + 'static,
        Action: Clone + PartialEq + Debug + Send + Sync + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
    /// The name specs use in `model = "..."`.
    const MODEL: &'static str;
    /// One line for `gomap list`.
    const DESCRIPTION: &'static str;
    /// Its parameters, for `gomap list` and unknown-parameter errors.
    const PARAMS: &'static [ParamDef];
    /// Every property, in `gomap list` order.
    const PROPERTIES: &'static [PropDef<Self>];
    /// The model's parameters.
    type Params;

    /// Parses and checks the spec's `[params]`.
    fn parse_params(spec: &Spec) -> Result<Self::Params, SpecError>;
    /// The model with parameters `p`, checking the named properties (all when None).
    fn with_params(p: Self::Params, names: Option<&[String]>) -> Self;
    /// The indices of the properties checked, and whether the search is exhaustive.
    fn selection(&self) -> (&[usize], bool);
    /// The same, to change.
    fn selection_mut(&mut self) -> (&mut Vec<usize>, &mut bool);
    /// Performs action `a` on `s`, logging Go's inner steps; returns what the program
    /// observed ("" if nothing).
    fn perform(&self, s: &mut Self::State, a: &Self::Action, log: &mut Log) -> String;
    /// The state, readably (a few lines).
    fn render(&self, s: &Self::State) -> String;
    /// The representative of a state's symmetry class; None: the model has no symmetry.
    fn symmetry() -> Option<Representative<Self::State>> {
        None
    }
    /// Told whether the search uses [`ConcurrentModel::symmetry`] (the spec's
    /// `search.symmetry`), for a model whose states carry what their representative needs
    /// only then.
    fn set_symmetry(&mut self, _on: bool) {}

    /// Runs a spec's search ([`SpecModel::run`]); a model may override it to search a variant
    /// of itself built from the spec.
    fn run_spec(spec: &Spec, opts: &RunOptions) -> Result<SpecResult, SpecError>
    where
        Self: SpecModel,
    {
        run_checked(spec, <Self as SpecModel>::from_spec(spec)?, opts)
    }
    /// Times a spec's model ([`SpecModel::cost`]); a model that overrides
    /// [`Self::run_spec`] overrides this the same way.
    fn cost_spec(spec: &Spec, n: usize) -> Result<ModelCost, SpecError>
    where
        Self: SpecModel,
    {
        cost_checked(spec, <Self as SpecModel>::from_spec(spec)?, n)
    }

    /// stateright's `next_state`: the state after `a`, nothing logged.
    fn next(&self, s: &Self::State, a: &Self::Action) -> Self::State {
        let mut n = s.clone();
        self.perform(&mut n, a, &mut Log::default());
        n
    }
    /// stateright's `properties`: the selected ones, plus the exhaustive-search sentinel.
    fn checked_properties(&self) -> Vec<Property<Self>> {
        let (selected, exhaustive) = self.selection();
        selected_properties(Self::PROPERTIES, selected, exhaustive)
    }
}

impl<M: ConcurrentModel> Checkable for M {
    fn state_text(&self, s: &M::State) -> String {
        self.render(s)
    }
    fn explain_step(&self, s: &M::State, a: &M::Action) -> (Vec<String>, String, M::State) {
        let mut n = s.clone();
        let mut log = Log::enabled();
        let out = self.perform(&mut n, a, &mut log);
        (log.0.unwrap_or_default(), out, n)
    }
    fn only(&self, name: &'static str) -> Self {
        let mut m = self.clone();
        let (selected, exhaustive) = m.selection_mut();
        *exhaustive = false;
        selected.retain(|&i| M::PROPERTIES[i].name == name);
        m
    }
    fn symmetry_fn(&self) -> Option<Representative<M::State>> {
        M::symmetry()
    }
}

impl<M: ConcurrentModel> SpecModel for M {
    const NAME: &'static str = M::MODEL;
    fn info() -> ModelInfo {
        ModelInfo {
            name: M::MODEL,
            description: M::DESCRIPTION,
            params: M::PARAMS.to_vec(),
            properties: M::PROPERTIES.iter().map(|p| p.info()).collect(),
        }
    }
    /// Parameters first, then the expected property names, then the search: a model without
    /// symmetry refuses `search.symmetry = true`; a simulation is not exhaustive.
    fn from_spec(spec: &Spec) -> Result<Self, SpecError> {
        let p = M::parse_params(spec)?;
        let names = expected_names(spec, M::MODEL, M::PROPERTIES)?;
        if spec.symmetry && M::symmetry().is_none() {
            return Err(spec.error(
                spec.symmetry_line,
                Some("search.symmetry"),
                format!("the {} model has no symmetry reduction", M::MODEL),
            ));
        }
        let mut m = M::with_params(p, Some(&names));
        m.set_symmetry(spec.symmetry);
        m.set_exhaustive(spec.strategy != Strategy::Simulation);
        Ok(m)
    }
    fn set_exhaustive(&mut self, on: bool) {
        *self.selection_mut().1 = on;
    }
    fn run(spec: &Spec, opts: &RunOptions) -> Result<SpecResult, SpecError> {
        M::run_spec(spec, opts)
    }
    fn cost(spec: &Spec, n: usize) -> Result<ModelCost, SpecError> {
        M::cost_spec(spec, n)
    }
}
