//! The seed's order cache and its proposed fixes: leaks, lost and racy updates, chain lengths
//! (S2-S6, S25, S26).

use crate::checker::Verdict;
use crate::claims::evidence::go_programs::race_text;
use crate::claims::evidence::specs::spec_cmd;
use crate::claims::evidence::{Ctx, MapKind, SyncKind};
use crate::claims::{ClaimVerdict, Decided, Res};

pub(crate) fn s2(c: &mut Ctx) -> Res<Decided> {
    let (v, e) = c.prop("cache-seed-update-status", "live_orders_bounded")?;
    let verdict = ClaimVerdict::false_if(v == Verdict::Holds);
    Ok((
        verdict,
        "No leak: the fresh &Order that LoadOrStore discards is unreachable at once and collected; live Orders stay within the keys plus those held by operations in flight.".into(),
        vec![e],
        vec![spec_cmd("cache-seed-update-status")],
    ))
}

pub(crate) fn s3(c: &mut Ctx) -> Res<Decided> {
    let (v, e) = c.prop("cache-seed-single-update", "first_update_applied")?;
    let r = c.facts("s3")?;
    let first = r.get("status_after_first_update")?.to_string();
    c.agree("S3", v == Verdict::Violated, first == "\"\"")?;
    let verdict = ClaimVerdict::false_if(v == Verdict::Violated);
    Ok((
        verdict,
        "On the first update of a new order LoadOrStore stores the fresh &Order{ID} and returns loaded=false, so the if body and newStatus are skipped.".into(),
        vec![
            e,
            format!("Go program `facts s3`: after updateStatus(42, \"paid\") on an empty cache, Status = {first}"),
        ],
        vec![spec_cmd("cache-seed-single-update"), c.facts_cmd("s3")],
    ))
}

pub(crate) fn s4(c: &mut Ctx) -> Res<Decided> {
    let (v, e) = c.prop("cache-seed-update-status", "no_data_race")?;
    let r = c.run("race", true, "seed")?;
    c.agree("S4", v == Verdict::Violated, r.races() > 0)?;
    let verdict = ClaimVerdict::true_if(v == Verdict::Holds);
    Ok((
        verdict,
        "The loser of LoadOrStore writes order.Status in place; a reader that loaded the same pointer before the Store is not ordered with that write.".into(),
        vec![
            e,
            format!(
                "`go run -race` of the seed's updateStatus with concurrent readers: {} (exit status {})",
                race_text(&r),
                r.code.map_or("none".into(), |c| c.to_string())
            ),
        ],
        vec![spec_cmd("cache-seed-update-status"), c.race_cmd("seed")],
    ))
}

pub(crate) fn s5(c: &mut Ctx) -> Res<Decided> {
    let r = c.facts("s5")?;
    let updates = r.get("updates")?.to_string();
    let orders: usize = r.num("orders")?;
    let map = match (&c.go.sync, &c.go.map) {
        (SyncKind::ReadDirty { .. }, MapKind::Classic { map, .. }) => map.clone(),
        (SyncKind::HashTrie { file, trie }, _) => {
            return Ok((
                ClaimVerdict::NotApplicable,
                format!("not applicable: {}'s sync.Map is a hash-trie (internal/sync.HashTrieMap), not a Go map: it has no buckets, so no bucket chains.", c.go.label()),
                vec![
                    c.source_line(file, Some("type Map struct"), "HashTrieMap")?,
                    c.source_line(trie, None, "type HashTrieMap")?,
                    format!("Go program `facts s5`: the seed's updateStatus, {updates} calls over {orders} orders; sync.Map holds no map to inspect (inspected={})", r.get("inspected")?),
                ],
                vec![c.facts_cmd("s5")],
            ));
        }
        (SyncKind::ReadDirty { .. }, MapKind::Swiss { .. }) => {
            return Ok((
                ClaimVerdict::NotDecided,
                "not decided: Swiss-table map: the maps inside sync.Map are Swiss tables, which have no bucket chains; the facts program inspects only classic buckets".into(),
                vec![format!("Go program `facts s5`: inspected={}", r.get("inspected")?)],
                vec![c.facts_cmd("s5")],
            ));
        }
    };
    let count: usize = r.num("count")?;
    let live: usize = r.num("live_cells")?;
    let buckets = r.get("buckets")?.to_string();
    let mean: f64 = r.num("mean_chain")?;
    let per = r.get("mean_entries_per_bucket")?.to_string();
    if live != count {
        return Err(format!("S5: the walk found {live} live cells but count is {count}: the layout assumption is wrong"));
    }
    let verdict = ClaimVerdict::true_if(mean >= 43.0);
    // The load factor this version grows at (loadFactorNum / 2; the traces of
    // docs/go-versions.md check it per version).
    let v = gomap_impl::goversion::GoVersion {
        minor: c.go.minor,
        patch: 0,
        noswissmap: false,
    };
    let lf = v.load_factor_num() as f64 / 2.0;
    Ok((
        verdict,
        format!("Stores of an existing key update it in place (S12): the map holds one entry per order, and growth keeps the mean entries per bucket at most {lf} and overflow chains short."),
        vec![
            format!("Go program `facts s5`: the seed's updateStatus, {updates} calls over {orders} orders, then sync.Map's read map inspected: count = {count}, {buckets} buckets, {per} entries per bucket, mean chain {} 2 buckets (claimed 43.7)", if mean < 2.0 { "below" } else { "at or above" }),
            c.source_line(&map, Some("func overLoadFactor("), "return count > ")?,
            c.source_line(&map, Some("func tooManyOverflowBuckets("), "return noverflow >=")?,
        ],
        vec![c.facts_cmd("s5")],
    ))
}

pub(crate) fn s6(c: &mut Ctx) -> Res<Decided> {
    let (vc, ec) = c.prop("cache-rwmutex-copy-reader", "no_data_race")?;
    let (vp, ep) = c.prop("cache-rwmutex-pointer-reader", "no_data_race")?;
    let (vn, en) = c.prop("cache-rwmutex-new-order", "first_update_applied")?;
    let rc = c.run("race", true, "rwmutex-copy-reader")?;
    let rp = c.run("race", true, "rwmutex-pointer-reader")?;
    c.agree(
        "S6 (copying readers)",
        vc == Verdict::Violated,
        rc.races() > 0,
    )?;
    c.agree(
        "S6 (pointer readers)",
        vp == Verdict::Violated,
        rp.races() > 0,
    )?;
    let verdict = match (vc, vp) {
        (Verdict::Holds, Verdict::Holds) => ClaimVerdict::True,
        _ => ClaimVerdict::False,
    };
    let mut summary = "Race-free only if readers copy the order under RLock: a reader that keeps the pointer and reads its fields after RUnlock races with the next writer, who mutates the same Order in place.".to_string();
    if vn == Verdict::Violated {
        summary +=
            " As written (`cache[key].Status = ...`) it also panics on an order not yet cached.";
    }
    Ok((
        verdict,
        summary,
        vec![
            ec,
            format!(
                "`go run -race`, readers copying under RLock: {}",
                race_text(&rc)
            ),
            ep,
            format!(
                "`go run -race`, readers keeping the pointer: {}",
                race_text(&rp)
            ),
            en,
        ],
        vec![
            spec_cmd("cache-rwmutex-copy-reader"),
            spec_cmd("cache-rwmutex-pointer-reader"),
            spec_cmd("cache-rwmutex-new-order"),
            c.race_cmd("rwmutex-copy-reader"),
            c.race_cmd("rwmutex-pointer-reader"),
        ],
    ))
}

pub(crate) fn s25(c: &mut Ctx) -> Res<Decided> {
    let (lost, e1) = c.prop("cache-rcu", "no_lost_update")?;
    let (race, e2) = c.prop("cache-rcu", "no_data_race")?;
    let r = c.run("race", true, "rcu")?;
    c.agree("S25 (races)", race == Verdict::Violated, r.races() > 0)?;
    let verdict = ClaimVerdict::true_if(lost == Verdict::Holds);
    Ok((
        verdict,
        "Reads are race-free and see the map last swapped in, but two writers that copy the same map each swap in a copy without the other's change: the first write is lost (even to a different key).".into(),
        vec![e1, e2, format!("`go run -race` of the RCU map: {}", race_text(&r))],
        vec![spec_cmd("cache-rcu"), c.race_cmd("rcu")],
    ))
}

pub(crate) fn s26(c: &mut Ctx) -> Res<Decided> {
    let (race, e1) = c.prop("cache-safemap", "no_data_race")?;
    let (lost, e2) = c.prop("cache-safemap", "no_lost_update")?;
    let r = c.run("race", true, "safemap")?;
    c.agree("S26", race == Verdict::Violated, r.races() > 0)?;
    let verdict = ClaimVerdict::true_if(race == Verdict::Holds && lost == Verdict::Holds);
    Ok((
        verdict,
        "Load reads m.data and the map without the mutex while Store replaces and writes them under it: a data race (the version counter, loaded after the data, orders nothing). Load-modify-Store on top of it loses updates, and every Store copies every order.".into(),
        vec![e1, e2, format!("`go run -race` of the SafeMap: {}", race_text(&r))],
        vec![spec_cmd("cache-safemap"), c.race_cmd("safemap")],
    ))
}
