//go:build !go1.21 || go1.22

package main

// loadFactorNum over loadFactorDen = 2: 6.5 entries per bucket (runtime/map.go;
// Go 1.21 has 12, see loadfactor_go121.go).
const loadFactorNum = 13
