package main

// Reading the map's memory after an op and encoding it as a swiss-v1 delta
// (docs/swiss-trace-format.md).

import (
	"unsafe"
)

type mapState struct {
	Used        uint64 `json:"used"`
	Seed        uint64 `json:"seed"`
	DirPtr      string `json:"dirPtr"` // "nil", "small" or "dir"
	DirLen      int    `json:"dirLen"`
	GlobalDepth uint8  `json:"globalDepth"`
	GlobalShift uint8  `json:"globalShift"`
	Writing     uint8  `json:"writing"`
	ClearSeq    uint64 `json:"clearSeq"`
	Dir         []int  `json:"dir"` // table id of each directory entry
}

type tableHdr struct {
	ID         int    `json:"id"`
	Used       uint16 `json:"used"`
	Capacity   uint16 `json:"capacity"`
	GrowthLeft uint16 `json:"growthLeft"`
	LocalDepth uint8  `json:"localDepth"`
	Index      int    `json:"index"`
	Groups     uint64 `json:"groups"` // lengthMask + 1
}

type groupLine struct {
	T     int                `json:"t"` // table id (-1: the small map's group)
	G     uint64             `json:"g"` // group index
	Ctrl  uint64             `json:"ctrl"`
	Keys  [groupSlots]uint64 `json:"keys"`
	Elems [groupSlots]uint64 `json:"elems"`
}

type iterState struct {
	M           bool   `json:"m"`
	EntryOffset uint64 `json:"entryOffset"`
	DirOffset   uint64 `json:"dirOffset"`
	ClearSeq    uint64 `json:"clearSeq"`
	GlobalDepth uint8  `json:"globalDepth"`
	DirIdx      int    `json:"dirIdx"`
	EntryIdx    uint64 `json:"entryIdx"`
	Tab         *int   `json:"tab"`   // table id, null when nil
	Group       int64  `json:"group"` // group index within tab (0 for the small group), -1 when nil
}

// tracker assigns table ids in order of first sight and remembers what was last
// written for each table and for the small group.
type tracker struct {
	ids       map[unsafe.Pointer]int
	keepAlive []unsafe.Pointer // seen tables stay reachable, so addresses are never reused
	hdrs      map[int]tableHdr
	groups    map[int][]group
	small     unsafe.Pointer
	smallLast group
	hdrOf     *mapHdr // the Map the small group belongs to
}

func newTracker() *tracker {
	return &tracker{ids: map[unsafe.Pointer]int{}, hdrs: map[int]tableHdr{}, groups: map[int][]group{}}
}

func (tr *tracker) tableID(t unsafe.Pointer) (int, bool) {
	if id, ok := tr.ids[t]; ok {
		return id, false
	}
	id := len(tr.ids)
	tr.ids[t] = id
	tr.keepAlive = append(tr.keepAlive, t)
	return id, true
}

func lineOf(t int, gi uint64, g *group) groupLine {
	l := groupLine{T: t, G: gi, Ctrl: g.ctrl}
	for i := 0; i < groupSlots; i++ {
		l.Keys[i] = g.slots[i].key
		l.Elems[i] = g.slots[i].elem
	}
	return l
}

// capture reads the current map and fills the state fields of l with the delta
// against what was written before.
func (tr *tracker) capture(l *opLine) {
	h := curHdr()
	l.Map = mapState{
		Used: h.used, Seed: uint64(h.seed), DirLen: h.dirLen, GlobalDepth: h.globalDepth,
		GlobalShift: h.globalShift, Writing: h.writing, ClearSeq: h.clearSeq, Dir: []int{},
	}
	switch {
	case h.dirPtr == nil:
		l.Map.DirPtr = "nil"
	case h.dirLen == 0:
		l.Map.DirPtr = "small"
		g := (*group)(h.dirPtr)
		if tr.small != h.dirPtr || tr.hdrOf != h || *g != tr.smallLast {
			gl := lineOf(-1, 0, g)
			l.Small = &gl
			tr.small, tr.hdrOf, tr.smallLast = h.dirPtr, h, *g
		}
	default:
		l.Map.DirPtr = "dir"
		var last unsafe.Pointer
		for i := 0; i < h.dirLen; i++ {
			tp := *(*unsafe.Pointer)(unsafe.Add(h.dirPtr, i*8))
			id, fresh := tr.tableID(tp)
			l.Map.Dir = append(l.Map.Dir, id)
			if tp == last {
				continue
			}
			last = tp
			t := (*table)(tp)
			hdr := tableHdr{ID: id, Used: t.used, Capacity: t.capacity, GrowthLeft: t.growthLeft,
				LocalDepth: t.localDepth, Index: t.index, Groups: t.lengthMask + 1}
			if fresh || tr.hdrs[id] != hdr {
				l.Tables = append(l.Tables, hdr)
				tr.hdrs[id] = hdr
			}
			prev := tr.groups[id]
			if prev == nil {
				prev = make([]group, t.lengthMask+1)
				tr.groups[id] = prev
			}
			for gi := uint64(0); gi <= t.lengthMask; gi++ {
				g := groupAt(t, gi)
				if fresh || *g != prev[gi] {
					l.Groups = append(l.Groups, lineOf(id, gi, g))
					prev[gi] = *g
				}
			}
		}
	}
}

// iterOf reads the maps.Iter inside a reflect.MapIter.
func (tr *tracker) iterOf(it *mapIter) *iterState {
	s := &iterState{
		M: it.hiter.m != nil, EntryOffset: it.hiter.entryOffset, DirOffset: it.hiter.dirOffset,
		ClearSeq: it.hiter.clearSeq, GlobalDepth: it.hiter.globalDepth, DirIdx: it.hiter.dirIdx,
		EntryIdx: it.hiter.entryIdx, Group: -1,
	}
	if it.hiter.tab != nil {
		id, ok := tr.ids[it.hiter.tab]
		if !ok {
			fatalf("iterator table %p was never in the directory", it.hiter.tab)
		}
		s.Tab = &id
		if it.hiter.group != nil {
			t := (*table)(it.hiter.tab)
			off := uintptr(it.hiter.group) - uintptr(t.groupsData)
			if off%groupSize != 0 || uint64(off/groupSize) > t.lengthMask {
				fatalf("iterator group %p outside its table", it.hiter.group)
			}
			s.Group = int64(off / groupSize)
		}
	} else if it.hiter.group != nil {
		s.Group = 0 // the small map's group
	}
	return s
}
