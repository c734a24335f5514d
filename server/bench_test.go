package server_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/mem"
	"github.com/notimon/notimon/server"
	"github.com/notimon/notimon/server/metrics"
)

// BenchmarkTickServer measures one tick of the shipped rules on recorded values, with the
// state directory, as engine's BenchmarkTickOverhead does: "off" is a daemon without a
// server block, "on" one with its listener open (nobody scraping or browsing) and the
// metrics registry fed by the engine's observer, as cmd/notimon runs it. Target: on ≤ off
// + 5 %. On a shared machine compare cpu-ns/op (the process's CPU time, the garbage
// collector and the server's goroutines included), which does not count the time other
// processes held the cores.
func BenchmarkTickServer(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			cfg, diags := dsl.Load([]string{"../rules.d"}, dsl.Options{LookupEnv: func(string) (string, bool) { return "", false }})
			if diags.HasErrors() {
				b.Fatal(diags)
			}
			dir := b.TempDir()
			st, err := store.Open(filepath.Join(dir, "state"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			snap := probes.Snapshot{CPU: cpu.Values{Avg3: 23}, Mem: mem.Values{RealPct: 41}}
			sampler := probes.SamplerFunc(func(_ context.Context, at time.Time, _ []probes.Ref) *probes.Snapshot {
				s := snap
				s.Time = at
				return &s
			})
			opts := engine.Options{Sampler: sampler, Stdout: io.Discard, Store: st}
			if on {
				mets := metrics.New(metrics.Options{Outbox: st.Pending})
				opts.Observer = mets.Observer()
				ht := filepath.Join(dir, "htpasswd")
				if err := os.WriteFile(ht, []byte(htpasswdLine(b, "alice", "pw")), 0o600); err != nil {
					b.Fatal(err)
				}
				c := serverBlock(b, dir, "server {\n  listen = \"127.0.0.1:0\"\n  htpasswd_file = \""+ht+"\"\n}")
				srv, err := server.New(server.Options{Config: c, StateDir: st.Dir(), Rules: func() *dsl.Config { return cfg }, Metrics: mets.Handler()})
				if err != nil {
					b.Fatal(err)
				}
				if err := srv.Start(); err != nil {
					b.Fatal(err)
				}
				defer srv.Close(time.Second)
				srv.SetReady()
			}
			e := engine.New(cfg, opts)
			now := time.Now()
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				e.Tick(context.Background(), now)
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time this process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
