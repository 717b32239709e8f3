module gomap/claims

go 1.19
