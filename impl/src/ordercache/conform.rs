//! Conformance of the [`OrderCache`] protocols to an order store whose `update(id, field,
//! value)` and `read(id)` are atomic ([`SeqOrderStore`]), by recorded histories (see
//! [`crate::syncmap::history`]).

use super::{Field, Order, OrderCache, Variant};
use crate::syncmap::history::{self, Conformance, Gen, RunConfig, Summary};
use stateright::semantics::SequentialSpec;
use std::collections::BTreeMap;
use std::fmt;

/// Orders are `o1..=o<ORDERS>`.
pub const ORDERS: u8 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderOp {
    Update { id: u8, field: Field, value: u16 },
    Read(u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderRet {
    Unit,
    Order(Option<Order>),
}

impl fmt::Display for OrderOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            OrderOp::Update { id, field, value } => {
                write!(f, "update(o{id}.{field:?} = {value})")
            }
            OrderOp::Read(id) => write!(f, "read(o{id})"),
        }
    }
}

impl fmt::Display for OrderRet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderRet::Unit => write!(f, "()"),
            OrderRet::Order(None) => write!(f, "absent"),
            OrderRet::Order(Some(o)) => write!(f, "{{Status: {}, Note: {}}}", o.status, o.note),
        }
    }
}

/// The sequential spec: orders whose updates and reads are atomic.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeqOrderStore(pub BTreeMap<u8, Order>);

impl SequentialSpec for SeqOrderStore {
    type Op = OrderOp;
    type Ret = OrderRet;
    fn invoke(&mut self, op: &OrderOp) -> OrderRet {
        match *op {
            OrderOp::Update { id, field, value } => {
                let o = self.0.entry(id).or_default();
                *o = o.with(field, value);
                OrderRet::Unit
            }
            OrderOp::Read(id) => OrderRet::Order(self.0.get(&id).copied()),
        }
    }
}

/// An order id, shown as `o1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderId(pub u8);
impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "o{}", self.0)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct OrderCacheConformance;

impl Conformance for OrderCacheConformance {
    type Op = OrderOp;
    type Ret = OrderRet;
    type Key = OrderId;
    type Spec = SeqOrderStore;

    fn per_key(op: &OrderOp, ret: Option<&OrderRet>) -> Vec<(OrderId, OrderOp, Option<OrderRet>)> {
        let id = match *op {
            OrderOp::Update { id, .. } | OrderOp::Read(id) => id,
        };
        vec![(OrderId(id), *op, ret.copied())]
    }
    fn is_observer(op: &OrderOp, _ret: Option<&OrderRet>) -> bool {
        matches!(op, OrderOp::Read(_))
    }
}

/// A random program for thread `t`: updates (values unique in the history) and reads of
/// orders `o1..=o<orders>`.
pub fn gen_program(rng: &mut Gen, t: usize, ops: usize, orders: u8) -> Vec<OrderOp> {
    let orders = orders.clamp(1, ORDERS) as u64;
    (0..ops)
        .map(|i| {
            let id = 1 + rng.below(orders) as u8;
            if rng.chance(35) {
                OrderOp::Read(id)
            } else {
                let field = if rng.chance(50) {
                    Field::Status
                } else {
                    Field::Note
                };
                OrderOp::Update {
                    id,
                    field,
                    value: (t * 1000 + i + 1) as u16,
                }
            }
        })
        .collect()
}

pub fn apply(c: &dyn OrderCache, op: &OrderOp) -> OrderRet {
    match *op {
        OrderOp::Update { id, field, value } => {
            c.update(id as u64, field, value);
            OrderRet::Unit
        }
        OrderOp::Read(id) => OrderRet::Order(c.read(id as u64)),
    }
}

/// Runs a campaign on fresh caches of `variant` (`cfg.keys` orders).
pub fn run(cfg: &RunConfig, variant: Variant) -> Summary<OrderCacheConformance> {
    history::run::<OrderCacheConformance, Box<dyn OrderCache>>(
        cfg,
        || variant.make(),
        |rng, t, ops| gen_program(rng, t, ops, cfg.keys),
        |c, op| apply(c.as_ref(), op),
    )
}
