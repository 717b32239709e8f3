module gomap/go-oracle-swiss

go 1.24
