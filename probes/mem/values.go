package mem

// Values is what rules read as `mem.<field>`.
type Values struct {
	TotalBytes     float64 `expr:"total_bytes" json:"total_bytes"`
	AvailableBytes float64 `expr:"available_bytes" json:"available_bytes"`
	UsedBytes      float64 `expr:"used_bytes" json:"used_bytes"`
	CacheBytes     float64 `expr:"cache_bytes" json:"cache_bytes"`
	BuffersBytes   float64 `expr:"buffers_bytes" json:"buffers_bytes"`
	RealPct        float64 `expr:"real_pct" json:"real_pct"` // 100 × (1 − available/total), what `free` calls used
	UsedPct        float64 `expr:"used_pct" json:"used_pct"` // 100 × used/total
	// The rest of free's columns: free (MemFree, never used at all), shared (Shmem: tmpfs and
	// shared memory) and buff/cache (Buffers + Cached + SReclaimable).
	FreeBytes      float64 `expr:"free_bytes" json:"free_bytes"`
	SharedBytes    float64 `expr:"shared_bytes" json:"shared_bytes"`
	BuffCacheBytes float64 `expr:"buff_cache_bytes" json:"buff_cache_bytes"`
}
