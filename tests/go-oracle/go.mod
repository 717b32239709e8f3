module gomap/go-oracle

go 1.19
