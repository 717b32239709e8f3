module gomap/syncmap-history

go 1.19
