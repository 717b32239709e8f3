package main

// Reading hmap/bucket memory and delta-encoding bucket arrays (delta-v1).

import (
	"strconv"
	"unsafe"
)

// bdata is the raw content of one bucket without its overflow pointer.
type bdata struct {
	top   [bucketCnt]uint8
	keys  [bucketCnt]uint64
	elems [bucketCnt]uint64
}

type chain []bdata

// snap is a snapshot of one bucket array: its address (pointer identity,
// also keeping the array alive so its address cannot be reused while the
// snapshot exists) and its chains.
type snap struct {
	ptr    unsafe.Pointer
	chains []chain
}

var zeroChain = chain{bdata{}}

// maxChain guards against corrupted/cyclic overflow lists.
const maxChain = 1 << 20

// readArray reads n chains of the bucket array at base. base is compared to
// prev (nil = compare against all-zero single-bucket chains). Unchanged
// chains share storage with prev. It returns the new chains and the
// ascending indices of chains that differ from the base.
func readArray(base unsafe.Pointer, n int, prev []chain) ([]chain, []int) {
	chains := make([]chain, n)
	var changed []int
	for i := 0; i < n; i++ {
		var ref chain
		if prev != nil {
			ref = prev[i]
		} else {
			ref = zeroChain
		}
		same := true
		l := 0
		for b := bucketAt(base, i); b != nil; b = b.overflow {
			if l >= len(ref) || ref[l].top != b.tophash || ref[l].keys != b.keys || ref[l].elems != b.elems {
				same = false
				break
			}
			l++
			if l > maxChain {
				fatalf("overflow chain %d too long (cycle?)", i)
			}
		}
		if same && l == len(ref) {
			chains[i] = ref
			continue
		}
		var c chain
		for b := bucketAt(base, i); b != nil; b = b.overflow {
			c = append(c, bdata{top: b.tophash, keys: b.keys, elems: b.elems})
			if len(c) > maxChain {
				fatalf("overflow chain %d too long (cycle?)", i)
			}
		}
		chains[i] = c
		changed = append(changed, i)
	}
	return chains, changed
}

// preallocLeft counts preallocated overflow buckets not yet handed out by
// newoverflow: from h.extra.nextOverflow up to and including the bucket
// whose overflow pointer is the non-nil sentinel (makeBucketArray).
func preallocLeft(h *hmap) int {
	if h.extra == nil || h.extra.nextOverflow == nil {
		return 0
	}
	n := 0
	for b := h.extra.nextOverflow; ; b = (*bmap)(unsafe.Add(unsafe.Pointer(b), bucketSize)) {
		n++
		if b.overflow != nil {
			return n
		}
		if n > maxChain {
			fatalf("preallocated overflow list without sentinel")
		}
	}
}

// state is the decoded state after an op plus the JSON text for it.
type state struct {
	h        hmap // copy of the header fields
	buckets  *snap
	old      *snap
	prealloc int
}

func appendChain(b []byte, c chain) []byte {
	b = append(b, '[')
	for j, bd := range c {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"tophash":[`...)
		for s := 0; s < bucketCnt; s++ {
			if s > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, uint64(bd.top[s]), 10)
		}
		b = append(b, `],"keys":[`...)
		for s := 0; s < bucketCnt; s++ {
			if s > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, bd.keys[s], 10)
		}
		b = append(b, `],"elems":[`...)
		for s := 0; s < bucketCnt; s++ {
			if s > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, bd.elems[s], 10)
		}
		b = append(b, "]}"...)
	}
	return append(b, ']')
}

func appendDelta(b []byte, chains []chain, changed []int) []byte {
	b = append(b, '[')
	for j, idx := range changed {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(idx), 10)
		b = append(b, ',')
		b = appendChain(b, chains[idx])
		b = append(b, ']')
	}
	return append(b, ']')
}

// captureState reads the current map state, delta-encodes it against the
// previous state (prev may be nil: the make line) and appends the STATE
// object to out.
func captureState(out []byte, prev *state) ([]byte, *state) {
	h := curHmap()
	st := &state{h: *h}
	if h.flags&flagHashWriting != 0 {
		fatalf("hashWriting set after op")
	}
	if h.B >= 16 {
		fatalf("B=%d >= 16: incrnoverflow becomes random; keep the map smaller", h.B)
	}
	var prevB, prevOld *snap
	if prev != nil {
		prevB, prevOld = prev.buckets, prev.old
	}

	// buckets
	bbase := "none"
	var bchanged []int
	if h.buckets != nil {
		n := 1 << h.B
		st.buckets = &snap{ptr: h.buckets}
		if prevB != nil && prevB.ptr == h.buckets {
			bbase = "prev"
			if len(prevB.chains) != n {
				fatalf("same bucket array but %d chains, want %d", len(prevB.chains), n)
			}
			st.buckets.chains, bchanged = readArray(h.buckets, n, prevB.chains)
		} else {
			bbase = "fresh"
			st.buckets.chains, bchanged = readArray(h.buckets, n, nil)
		}
	}

	// oldbuckets
	obase := "none"
	var ochanged []int
	if h.oldbuckets != nil {
		n := 1 << (h.B - 1)
		if h.flags&flagSameSizeGrow != 0 {
			n = 1 << h.B
		}
		st.old = &snap{ptr: h.oldbuckets}
		var ref []chain
		switch {
		case prevOld != nil && prevOld.ptr == h.oldbuckets:
			obase = "prev_old"
			ref = prevOld.chains
		case prevB != nil && prevB.ptr == h.oldbuckets:
			obase = "prev_buckets"
			ref = prevB.chains
		default:
			fatalf("oldbuckets is neither the previous oldbuckets nor the previous buckets")
		}
		if len(ref) != n {
			fatalf("oldbuckets base has %d chains, want %d", len(ref), n)
		}
		st.old.chains, ochanged = readArray(h.oldbuckets, n, ref)
	}
	st.prealloc = preallocLeft(h)

	out = append(out, `"state":{"count":`...)
	out = strconv.AppendInt(out, int64(h.count), 10)
	out = append(out, `,"flags":`...)
	out = strconv.AppendUint(out, uint64(h.flags), 10)
	out = append(out, `,"B":`...)
	out = strconv.AppendUint(out, uint64(h.B), 10)
	out = append(out, `,"noverflow":`...)
	out = strconv.AppendUint(out, uint64(h.noverflow), 10)
	out = append(out, `,"hash0":`...)
	out = strconv.AppendUint(out, uint64(h.hash0), 10)
	out = append(out, `,"nevacuate":`...)
	out = strconv.AppendUint(out, uint64(h.nevacuate), 10)
	if hasClearSeq {
		out = append(out, `,"clear_seq":`...)
		out = strconv.AppendUint(out, clearSeqOf(h), 10)
	}
	out = append(out, `,"prealloc_left":`...)
	out = strconv.AppendInt(out, int64(st.prealloc), 10)
	out = append(out, `,"buckets_base":"`...)
	out = append(out, bbase...)
	out = append(out, `","buckets_delta":`...)
	if st.buckets != nil {
		out = appendDelta(out, st.buckets.chains, bchanged)
	} else {
		out = append(out, "[]"...)
	}
	out = append(out, `,"oldbuckets_base":"`...)
	out = append(out, obase...)
	out = append(out, `","oldbuckets_delta":`...)
	if st.old != nil {
		out = appendDelta(out, st.old.chains, ochanged)
	} else {
		out = append(out, "[]"...)
	}
	out = append(out, '}')
	return out, st
}

// growing reports whether oldbuckets is set.
func (s *state) growing() bool { return s.old != nil }

// overLoadFactor mirrors runtime/map.go.
func overLoadFactor(count int, B uint8) bool {
	return count > bucketCnt && uintptr(count) > loadFactorNum*((uintptr(1)<<B)/2)
}

// tooManyOverflowBuckets mirrors runtime/map.go.
func tooManyOverflowBuckets(noverflow uint16, B uint8) bool {
	if B > 15 {
		B = 15
	}
	return noverflow >= uint16(1)<<(B&15)
}

// growPredicted: the next assign of a new key would call hashGrow.
func (s *state) growPredicted() bool {
	return !s.growing() && (overLoadFactor(s.h.count+1, s.h.B) || tooManyOverflowBuckets(s.h.noverflow, s.h.B))
}
