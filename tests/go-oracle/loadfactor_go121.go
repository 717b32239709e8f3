//go:build go1.21 && !go1.22

package main

// loadFactorNum: Go 1.21's runtime/map.go computes it as
// (bucketCnt * 13 / 16) * loadFactorDen = 6 * 2 = 12 (6.5 truncated to 6).
const loadFactorNum = 12
