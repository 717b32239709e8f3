package main

// The recorder's names for the mirrored Go 1.19 runtime layouts, which live
// in the shared package gomap/go-oracle/hmapview (also used by observe/).

import (
	"fmt"
	"unsafe"

	"gomap/go-oracle/hmapview"
)

const (
	bucketCnt  = hmapview.BucketCnt
	bucketSize = hmapview.BucketSize
	minTopHash = hmapview.MinTopHash

	flagSameSizeGrow = hmapview.FlagSameSizeGrow
	flagHashWriting  = hmapview.FlagHashWriting

	emptyOne = hmapview.EmptyOne
)

type (
	hmap    = hmapview.Hmap
	bmap    = hmapview.Bmap
	mapIter = hmapview.MapIter
)

// theMap is the map under test. It is a package-level global so that the
// hmap and its buckets are heap allocated.
var theMap map[uint64]uint64

// curHmap returns the *hmap that theMap currently points to.
func curHmap() *hmap { return hmapview.Of(&theMap) }

func bucketAt(base unsafe.Pointer, i int) *bmap { return hmapview.BucketAt(base, i) }

// hashKey computes t.hasher(&key, seed) exactly as mapassign_fast64 does.
func hashKey(key uint64, seed uint32) uint64 { return hmapview.HashKey(key, seed) }

func tophash(hash uint64) uint8 { return hmapview.TopHash(hash) }

func fatalf(format string, args ...interface{}) {
	panic(fmt.Sprintf("go-oracle: "+format, args...))
}

// checkLayouts verifies the mirrors against observable facts.
func checkLayouts() {
	if err := hmapview.CheckLayouts(); err != nil {
		fatalf("%v", err)
	}
}
