#!/usr/bin/env python3
"""Independent consistency check of delta-v1 Go map traces.

Usage: validate_trace.py TRACE.jsonl [...]

Checks (without using the recorder's code):
  * every line is a JSON object; header fields; op indices count from 0;
    the first op is a make; field sets per op kind;
  * deltas decode: base kinds are legal for the situation, delta indices are
    ascending, in range and really differ from the base;
  * chain counts: 2^B buckets, 2^(B-1) (2^B if sameSizeGrow) oldbuckets;
  * every live slot (tophash >= 5) in buckets and unevacuated oldbuckets holds
    a key whose `hash` (taken from the op lines since the last make/reseed)
    gives that tophash and that bucket index, with the elem a dict model holds;
  * live slots in buckets + unevacuated oldbuckets == count == len(model);
  * after assign the key sits in buckets[hash & mask] with tophash(hash);
    lookups and iterator yields agree with the model (before Go 1.21 an
    iterator open across a clear may also yield what was live at the clear;
    an iterator open across a clear of a map with overflow buckets may yield
    a key it already yielded since the clear: it may have stood in an
    overflow bucket the clear recycled);
    hash0 changes only on make, on a delete that empties the map or on a
    clear of a non-empty map; clear_seq (Go 1.24+) only on such a clear.
Prints one summary line per file; exits 1 on the first error in any file.
"""
import json
import sys

HEADER = {"kind": "header", "key": "uint64", "elem": "uint64",
          "format": "delta-v1", "bucket_size": 144}
ZERO_BUCKET = {"tophash": [0] * 8, "keys": [0] * 8, "elems": [0] * 8}
U64 = (1 << 64) - 1
OP_FIELDS = {
    "make": {"hint"},
    "assign": {"key", "elem", "hash"},
    "delete": {"key", "hash"},
    "lookup": {"key", "hash", "found", "elem"},
    "iter_start": {"iter", "start_bucket", "offset"},
}
STATE_FIELDS = ["count", "flags", "B", "noverflow", "hash0", "nevacuate", "prealloc_left",
                "buckets_base", "buckets_delta", "oldbuckets_base", "oldbuckets_delta"]
OP_FIELDS["clear"] = set()


def go_minor(go):
    """The minor version of a header's go field, which must name a classic-map
    runtime: go1.19.x .. go1.23.x, or go1.24.x/go1.25.x "X:noswissmap"."""
    parts = go.split(" ")
    v = parts[0].split(".")
    if len(v) < 2 or v[0] != "go1" or not v[1].isdigit():
        raise Bad(f"header go={go!r}")
    minor = int(v[1])
    exps = parts[1][2:].split(",") if len(parts) > 1 and parts[1].startswith("X:") else []
    if not (19 <= minor <= 23 or (minor in (24, 25) and "noswissmap" in exps)):
        raise Bad(f"header go={go!r}: not a classic-map runtime")
    return minor


class Bad(Exception):
    pass


def top(h):
    t = h >> 56
    return t + 5 if t < 5 else t


def check_chain(c, where):
    if not isinstance(c, list) or not c:
        raise Bad(f"{where}: chain must be a non-empty list")
    for b in c:
        if set(b) != {"tophash", "keys", "elems"}:
            raise Bad(f"{where}: bucket fields {sorted(b)}")
        if len(b["tophash"]) != 8 or len(b["keys"]) != 8 or len(b["elems"]) != 8:
            raise Bad(f"{where}: bucket arrays must have 8 entries")
        for t in b["tophash"]:
            if not (isinstance(t, int) and 0 <= t <= 255):
                raise Bad(f"{where}: bad tophash {t}")
        for v in b["keys"] + b["elems"]:
            if not (isinstance(v, int) and 0 <= v <= U64):
                raise Bad(f"{where}: bad u64 {v}")


def apply_delta(base, delta, n, where):
    if base is None:
        base = [[ZERO_BUCKET] for _ in range(n)]
    if len(base) != n:
        raise Bad(f"{where}: base has {len(base)} chains, want {n}")
    arr = list(base)
    last = -1
    for ent in delta:
        if not (isinstance(ent, list) and len(ent) == 2):
            raise Bad(f"{where}: delta entry must be [idx, chain]")
        idx, c = ent
        if not (isinstance(idx, int) and last < idx < n):
            raise Bad(f"{where}: delta idx {idx} not ascending / out of range (n={n})")
        last = idx
        check_chain(c, f"{where}[{idx}]")
        if c == arr[idx]:
            raise Bad(f"{where}: delta chain {idx} equals its base")
        arr[idx] = c
    return arr


def validate(path):
    stats = {"ops": 0, "maxB": 0, "kinds": {}, "samesize": 0, "grows": 0, "reseeds": 0,
             "max_prealloc": 0, "prealloc_used": 0, "max_noverflow": 0, "iters": 0,
             "lookups_growing": 0, "iter_next_growing": 0, "iters_spanning_grow": 0,
             "iter_next_after_grow": 0}
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        raise Bad("empty file")
    hdr = json.loads(lines[0])
    for k, v in HEADER.items():
        if hdr.get(k) != v:
            raise Bad(f"header {k}={hdr.get(k)!r}, want {v!r}")
    if set(hdr) != set(HEADER) | {"go", "generator"} or not isinstance(hdr["generator"], str):
        raise Bad(f"header fields {sorted(hdr)}")
    minor = go_minor(hdr["go"])
    state_fields = list(STATE_FIELDS)
    if minor >= 24:
        state_fields.insert(state_fields.index("nevacuate") + 1, "clear_seq")

    buckets = old = None  # lists of chains
    prev_state = None
    model = {}        # key -> elem
    hashes = {}       # key -> hash under current hash0
    iters = {}        # id -> {"done": bool, "first": bool, "seen": set}
    used_ids = set()
    for ln, raw in enumerate(lines[1:]):
        where = f"{path}:{ln + 2}"
        try:
            d = json.loads(raw)
        except ValueError as e:
            raise Bad(f"{where}: bad JSON: {e}")
        if d.get("kind") != "op" or d.get("i") != ln:
            raise Bad(f"{where}: kind/i wrong (i={d.get('i')}, want {ln})")
        op = d.get("op")
        if ln == 0 and op != "make":
            raise Bad(f"{where}: first op must be make")
        st = d.get("state")
        if not isinstance(st, dict) or list(st) != state_fields:
            raise Bad(f"{where}: state fields {list(st) if isinstance(st, dict) else st}")
        stale_hashes = d.pop("stale_hashes", None)  # [[key, hash under the new hash0]]
        if stale_hashes is not None and op not in ("clear", "delete"):
            raise Bad(f"{where}: stale_hashes on {op} (Go 1.{minor})")
        fields = set(d) - {"kind", "i", "op", "state"}
        if op == "iter_next":
            if fields not in ({"iter", "key", "elem"}, {"iter", "done"}):
                raise Bad(f"{where}: iter_next fields {sorted(fields)}")
        elif OP_FIELDS.get(op) != fields:
            raise Bad(f"{where}: op {op!r} fields {sorted(fields)}")
        stats["kinds"][op] = stats["kinds"].get(op, 0) + 1
        stats["ops"] += 1

        B, flags, count = st["B"], st["flags"], st["count"]
        if not (0 <= B < 16) or flags & ~0xF or flags & 4:
            raise Bad(f"{where}: B={B} flags={flags}")
        prev_hash0 = prev_state["hash0"] if prev_state else None
        growing_before = prev_state is not None and prev_state["oldbuckets_base"] != "none"

        # ---- op semantics against the model (before decoding state) ----
        if op == "make":
            model, hashes, iters = {}, {}, {}
            prev_state, buckets, old = None, None, None
        elif op in ("assign", "delete", "lookup"):
            k, h = d["key"], d["hash"]
            if k in hashes and hashes[k] != h:
                raise Bad(f"{where}: key {k} hash {h} differs from earlier {hashes[k]}")
            hashes[k] = h
            if op == "assign":
                model[k] = d["elem"]
            elif op == "delete":
                was = len(model)
                model.pop(k, None)
                for x in iters.values():
                    x["seen"].discard(k)  # a re-inserted key may be yielded again
                    if "first_model" in x:
                        x["first_deleted"].add(k)
                if was > 0 and len(model) == 0:
                    stats["reseeds"] += 1
            else:
                want = (k in model, model.get(k, 0))
                if (d["found"], d["elem"]) != want:
                    raise Bad(f"{where}: lookup {k} gave {(d['found'], d['elem'])}, model {want}")
                if growing_before:
                    stats["lookups_growing"] += 1
        elif op == "iter_start":
            it = d["iter"]
            if it in used_ids or len([x for x in iters.values() if not x["done"]]) >= 3:
                raise Bad(f"{where}: iterator id reused or more than 3 open")
            used_ids.add(it)
            # the first iter_next reports the advance made here: keep the
            # model as it is now to check that yield against
            iters[it] = {"done": False, "seen": set(), "first_model": dict(model),
                         "first_deleted": set()}
            stats["iters"] += 1
            if prev_state["count"] == 0:
                if (d["start_bucket"], d["offset"]) != (0, 0):
                    raise Bad(f"{where}: iter_start on empty map must report 0/0")
            elif not (0 <= d["start_bucket"] < (1 << prev_state["B"]) and 0 <= d["offset"] < 8):
                raise Bad(f"{where}: start/offset out of range")
        elif op == "iter_next":
            it = iters.get(d["iter"])
            if it is None or it["done"]:
                raise Bad(f"{where}: iter_next on unknown/finished iterator {d['iter']}")
            if growing_before:
                stats["iter_next_growing"] += 1
            if it.get("grown"):
                stats["iter_next_after_grow"] += 1
            if "done" in d:
                if d["done"] is not True:
                    raise Bad(f"{where}: done must be true")
                it["done"] = True
                it.pop("first_model", None)
            else:
                k = d["key"]
                m = it.pop("first_model", None)
                if (d["elem"] in it.get("stale", {}).get(k, ()) and k not in it["seen"]
                        and (m if m is not None else model).get(k) != d["elem"]):
                    # a stale entry left behind by mapclear (before Go 1.21)
                    stats["stale_yields"] = stats.get("stale_yields", 0) + 1
                else:
                    if k in it["seen"]:
                        if not it.get("cleared_with_overflow"):
                            raise Bad(f"{where}: key {k} yielded twice without a delete in between")
                        # the iterator may have stood in an overflow bucket
                        # the clear recycled (makeBucketArray's preallocated
                        # ones; from Go 1.24 any): Go yields a key again then
                        stats["twice_after_clear"] = stats.get("twice_after_clear", 0) + 1
                    if m is None:
                        m = model
                        it["seen"].add(k)
                    elif k not in it["first_deleted"]:
                        # yielded at iter_start; not deleted since then
                        it["seen"].add(k)
                    if m.get(k) != d["elem"] or k not in m:
                        raise Bad(f"{where}: yield {k}={d['elem']} but model (at the advance) has {m.get(k)}")
        elif op == "clear":
            was = len(model)
            for x in iters.values():
                x["seen"] = set()  # every key is deleted
                if prev_state["noverflow"] > 0:
                    x["cleared_with_overflow"] = True
                if minor < 21:
                    # mapclear leaves overflow/old buckets intact: an open
                    # iterator may still yield what was live (issue 59411)
                    # (every value a key had at any such clear)
                    for sk, se in model.items():
                        x.setdefault("stale", {}).setdefault(sk, set()).add(se)
                if "first_model" in x:
                    x["first_deleted"].update(model)
            model = {}
            if was > 0:
                stats["reseeds"] += 1
            if minor >= 24 and st["clear_seq"] != prev_state["clear_seq"] + (1 if was > 0 else 0):
                raise Bad(f"{where}: clear_seq {st['clear_seq']} after {prev_state['clear_seq']}")
        else:
            raise Bad(f"{where}: unknown op {op!r}")
        if minor >= 24 and op not in ("clear", "make") and st["clear_seq"] != prev_state["clear_seq"]:
            raise Bad(f"{where}: clear_seq changed on {op}")
        if minor >= 24 and op == "make" and st["clear_seq"] != 0:
            raise Bad(f"{where}: clear_seq of a new map is {st['clear_seq']}")

        # ---- hash0 ----
        if prev_state is not None and st["hash0"] != prev_hash0:
            if not (op in ("delete", "clear") and len(model) == 0 and prev_state["count"] > 0):
                raise Bad(f"{where}: hash0 changed on {op}")
            hashes = {}
        if op in ("delete", "clear") and prev_state is not None and prev_state["count"] > 0 and len(model) == 0:
            hashes = {}  # reseeded (a reseed may, rarely, draw the same value)

        # ---- decode arrays ----
        n = 1 << B
        bb = st["buckets_base"]
        if bb == "none":
            if st["buckets_delta"] != [] or B != 0:
                raise Bad(f"{where}: buckets none with B={B} or a delta")
            nb = None
        elif bb == "prev":
            if buckets is None:
                raise Bad(f"{where}: buckets prev without previous array")
            nb = apply_delta(buckets, st["buckets_delta"], n, where + " buckets")
        elif bb == "fresh":
            nb = apply_delta(None, st["buckets_delta"], n, where + " buckets")
            if prev_state is not None and op != "make":
                if buckets is not None:
                    stats["grows"] += 1
                    for x in iters.values():
                        if not x["done"] and not x.get("grown"):
                            x["grown"] = True
                            stats["iters_spanning_grow"] += 1
        else:
            raise Bad(f"{where}: buckets_base {bb!r}")
        ob = st["oldbuckets_base"]
        on = n if flags & 8 else n >> 1
        if ob == "none":
            if st["oldbuckets_delta"] != []:
                raise Bad(f"{where}: oldbuckets none with a delta")
            nold = None
        elif ob == "prev_old":
            if old is None:
                raise Bad(f"{where}: prev_old without previous oldbuckets")
            nold = apply_delta(old, st["oldbuckets_delta"], on, where + " oldbuckets")
        elif ob == "prev_buckets":
            if buckets is None or bb != "fresh":
                raise Bad(f"{where}: prev_buckets needs a previous array and fresh buckets")
            nold = apply_delta(buckets, st["oldbuckets_delta"], on, where + " oldbuckets")
        else:
            raise Bad(f"{where}: oldbuckets_base {ob!r}")
        if ob == "prev_buckets" or (bb == "fresh" and buckets is not None and op != "make"):
            if flags & 8:
                stats["samesize"] += 1
        buckets, old = nb, nold
        if nold is not None and nb is None:
            raise Bad(f"{where}: oldbuckets without buckets")
        if not (0 <= st["nevacuate"] <= (on if nold is not None else (1 << 16))):
            raise Bad(f"{where}: nevacuate {st['nevacuate']}")

        # ---- slot checks ----
        live = 0

        def check_slot(b, s, idx, mask, what):
            k = b["keys"][s]
            h = hashes.get(k)
            if h is None:
                raise Bad(f"{where}: live key {k} in {what} {idx} has no hash under current hash0")
            if top(h) != b["tophash"][s]:
                raise Bad(f"{where}: key {k} tophash {b['tophash'][s]} != top(hash)={top(h)}")
            if h & mask != idx:
                raise Bad(f"{where}: key {k} in {what} {idx}, hash says {h & mask}")
            if model.get(k) != b["elems"][s] or k not in model:
                raise Bad(f"{where}: key {k} elem {b['elems'][s]}, model {model.get(k)}")

        if nb is not None:
            for idx, c in enumerate(nb):
                for b in c:
                    for s in range(8):
                        t = b["tophash"][s]
                        if t >= 5:
                            check_slot(b, s, idx, n - 1, "bucket")
                            live += 1
                        elif t > 1:
                            raise Bad(f"{where}: evacuated mark in buckets chain {idx}")
        if nold is not None:
            for idx, c in enumerate(nold):
                evac = 2 <= c[0]["tophash"][0] <= 4
                for b in c:
                    for s in range(8):
                        t = b["tophash"][s]
                        if evac:
                            if not 2 <= t <= 4:
                                raise Bad(f"{where}: evacuated old chain {idx} has tophash {t}")
                        elif t >= 5:
                            check_slot(b, s, idx, on - 1, "oldbucket")
                            live += 1
                        elif t > 1:
                            raise Bad(f"{where}: unevacuated old chain {idx} has tophash {t}")
        if live != count or count != len(model):
            raise Bad(f"{where}: live slots {live}, count {count}, model {len(model)}")

        if op == "assign":
            h, k = d["hash"], d["key"]
            c = nb[h & (n - 1)]
            if not any(b["tophash"][s] == top(h) and b["keys"][s] == k and b["elems"][s] == d["elem"]
                       for b in c for s in range(8)):
                raise Bad(f"{where}: assigned key {k} not found in buckets[{h & (n - 1)}]")

        # ---- counters ----
        pl = st["prealloc_left"]
        if pl < 0 or (B < 4 and pl != 0):
            raise Bad(f"{where}: prealloc_left {pl} with B={B}")
        if prev_state is not None and bb == "prev" and pl < prev_state["prealloc_left"]:
            stats["prealloc_used"] += prev_state["prealloc_left"] - pl
        stats["max_prealloc"] = max(stats["max_prealloc"], pl)
        stats["max_noverflow"] = max(stats["max_noverflow"], st["noverflow"])
        stats["maxB"] = max(stats["maxB"], B)
        if op == "make":
            iters = {}
        prev_state = st
    return stats


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    rc = 0
    for p in sys.argv[1:]:
        try:
            s = validate(p)
        except (Bad, KeyError, TypeError, ValueError) as e:
            print(f"FAIL {p}: {type(e).__name__}: {e}")
            rc = 1
            continue
        kinds = " ".join(f"{k}={v}" for k, v in sorted(s["kinds"].items()))
        print(f"OK {p}: ops={s['ops']} maxB={s['maxB']} grows={s['grows']} samesize={s['samesize']} "
              f"reseeds={s['reseeds']} max_noverflow={s['max_noverflow']} max_prealloc={s['max_prealloc']} "
              f"prealloc_used={s['prealloc_used']} iters={s['iters']} lookups_growing={s['lookups_growing']} "
              f"iter_next_growing={s['iter_next_growing']} iters_spanning_grow={s['iters_spanning_grow']} "
              f"iter_next_after_grow={s['iter_next_after_grow']} stale_yields={s.get('stale_yields', 0)} twice_after_clear={s.get('twice_after_clear', 0)} [{kinds}]")
    return rc


if __name__ == "__main__":
    sys.exit(main())
