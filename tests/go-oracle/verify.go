package main

// Self-checks run after ops: the recorder fails loudly if the memory it reads
// does not agree with its own hashes and with a shadow model of the map.

// verifyState checks, for the state just captured:
//   - every live slot (tophash >= 5) in buckets and in unevacuated oldbuckets
//     holds a key whose hash (computed with mt.hasher and hash0) gives that
//     tophash and that bucket index, with the elem the shadow model expects;
//   - new buckets never carry evacuated marks, evacuated old buckets only do;
//   - live slots == count == len(shadow).
func verifyState(st *state, shadow map[uint64]uint64) {
	h := &st.h
	if h.count != len(shadow) {
		fatalf("count %d, shadow model has %d", h.count, len(shadow))
	}
	live := 0
	checkSlot := func(where string, idx int, mask uint64, bd *bdata, s int) {
		k := bd.keys[s]
		hv := hashKey(k, h.hash0)
		if tophash(hv) != bd.top[s] {
			fatalf("%s bucket %d slot %d key %d: runtime tophash %d, computed hash %d gives %d (hasher/hash0 mismatch)",
				where, idx, s, k, bd.top[s], hv, tophash(hv))
		}
		if hv&mask != uint64(idx) {
			fatalf("%s bucket %d slot %d key %d: hash %d belongs to bucket %d", where, idx, s, k, hv, hv&mask)
		}
		e, ok := shadow[k]
		if !ok || e != bd.elems[s] {
			fatalf("%s bucket %d slot %d key %d elem %d: shadow has %d,%v", where, idx, s, k, bd.elems[s], e, ok)
		}
		live++
	}
	if st.buckets != nil {
		mask := uint64(len(st.buckets.chains) - 1)
		for i, c := range st.buckets.chains {
			for j := range c {
				for s := 0; s < bucketCnt; s++ {
					t := c[j].top[s]
					switch {
					case t >= minTopHash:
						checkSlot("buckets", i, mask, &c[j], s)
					case t > emptyOne:
						fatalf("buckets chain %d has evacuated mark %d", i, t)
					}
				}
			}
		}
	}
	if st.old != nil {
		mask := uint64(len(st.old.chains) - 1)
		for i, c := range st.old.chains {
			t0 := c[0].top[0]
			evac := t0 > emptyOne && t0 < minTopHash
			for j := range c {
				for s := 0; s < bucketCnt; s++ {
					t := c[j].top[s]
					if evac {
						if t <= emptyOne || t >= minTopHash {
							fatalf("evacuated old chain %d has non-evacuated tophash %d", i, t)
						}
						continue
					}
					switch {
					case t >= minTopHash:
						checkSlot("oldbuckets", i, mask, &c[j], s)
					case t > emptyOne:
						fatalf("unevacuated old chain %d has evacuated mark %d", i, t)
					}
				}
			}
		}
	}
	if live != h.count {
		fatalf("live slots %d != count %d", live, h.count)
	}
}
