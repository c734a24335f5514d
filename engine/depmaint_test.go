package engine

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/exec"
	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/mem"
)

// twoInputs drives an engine tick by tick with cpu.pct and mem.real_pct, recording what it
// sends and runs.
type twoInputs struct {
	t    *testing.T
	e    *Engine
	clk  *clock
	sent messages
	mu   sync.Mutex
	cpu  float64
	mem  float64
	ran  []string
}

func newTwoInputs(t *testing.T, src string) *twoInputs {
	h := &twoInputs{t: t, clk: &clock{now: t0}}
	sampler := probes.SamplerFunc(func(_ context.Context, now time.Time, _ []probes.Ref) *probes.Snapshot {
		h.mu.Lock()
		defer h.mu.Unlock()
		return &probes.Snapshot{Time: now, CPU: cpu.Values{Pct: h.cpu}, Mem: mem.Values{RealPct: h.mem}}
	})
	h.e = New(load(t, src), Options{Sampler: sampler, Now: h.clk.Now, SleepUntil: h.clk.SleepUntil,
		Notify: notify.NotifierFunc(h.sent.notify),
		Exec: func(_ context.Context, s exec.Spec) exec.Result {
			h.mu.Lock()
			h.ran = append(h.ran, s.Argv[0])
			h.mu.Unlock()
			return exec.Result{}
		},
	})
	t.Cleanup(h.e.Stop)
	return h
}

// expect ticks at t0+at with the given values and checks what was sent and run (items
// separated by |).
func (h *twoInputs) expect(at time.Duration, cpuPct, memPct float64, sent, ran string) {
	h.t.Helper()
	before := len(h.sent.get())
	h.mu.Lock()
	nRan := len(h.ran)
	h.cpu, h.mem = cpuPct, memPct
	h.mu.Unlock()
	h.clk.Set(t0.Add(at))
	h.e.Tick(context.Background(), t0.Add(at))
	if err := h.e.Wait(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	gotRan := append([]string(nil), h.ran[nRan:]...)
	h.mu.Unlock()
	// Chains of different rules run concurrently: compare what was sent, not its order.
	got := fmt.Sprintf("sent %q ran %q", slices.Sorted(slices.Values(h.sent.get()[before:])), slices.Sorted(slices.Values(gotRan)))
	want := fmt.Sprintf("sent %q ran %q", slices.Sorted(slices.Values(split(sent))), slices.Sorted(slices.Values(split(ran))))
	if got != want {
		h.t.Fatalf("at t0+%s:\n got %s\nwant %s", at, got, want)
	}
}

// The child is declared first: evaluation order comes from depends_on, not the file.
const dependentRules = `
notifier "console" "ops" {}
rule "site_down" {
  when       = "mem.real_pct > 90"
  depends_on = ["db_down"]
  notify "ops" { message = "site down" }
  exec { command = ["restart-site"] }
  on_resolve {
    notify "ops" { message = "site up" }
  }
}
rule "db_down" {
  when = "cpu.pct > 90"
  notify "ops" { message = "db down" }
  on_resolve {
    notify "ops" { message = "db up" }
  }
}
`

// TestDependsOn: a parent and its child that start firing on the same tick: only the parent
// notifies (the child's exec steps still run); when the parent resolves and the child still
// fires, the child notifies then; its resolve follows.
func TestDependsOn(t *testing.T) {
	h := newTwoInputs(t, dependentRules)
	h.expect(0, 95, 95, "db down", "restart-site")
	h.expect(time.Minute, 95, 95, "", "")
	h.expect(2*time.Minute, 10, 95, "db up|still firing after db_down resolved\nsite down", "")
	h.expect(3*time.Minute, 10, 95, "", "")
	h.expect(4*time.Minute, 10, 10, "site up", "")

	// The child alone: nothing holds it back.
	h.expect(5*time.Minute, 10, 95, "site down", "restart-site")
	// Then its parent: the child, announced already, has nothing more to say.
	h.expect(6*time.Minute, 95, 95, "db down", "")
	h.expect(7*time.Minute, 10, 95, "db up", "")
	h.expect(8*time.Minute, 10, 10, "site up", "")
}

// TestDependsOnChildResolvesFirst: a child that fires and resolves while its parent fires
// says nothing at all: its firing was never announced, so neither is its resolve.
func TestDependsOnChildResolvesFirst(t *testing.T) {
	h := newTwoInputs(t, dependentRules)
	h.expect(0, 95, 10, "db down", "")
	h.expect(time.Minute, 95, 95, "", "restart-site")
	h.expect(2*time.Minute, 95, 10, "", "")
	h.expect(3*time.Minute, 10, 10, "db up", "")
}

const maintenanceRules = `
notifier "console" "ops" {}
rule "disk_busy" {
  when   = "cpu.pct > 90"
  repeat = "10m"
  notify "ops" { message = "disk busy" }
  exec { command = ["ionice-backup"] }
  on_resolve {
    notify "ops" { message = "disk calm" }
  }
}
rule "web_down" {
  when = "mem.real_pct > 90"
  notify "ops" { message = "web down" }
  exec { command = ["restart-web"] }
}
maintenance "backup" {
  from  = "2026-11-25T03:05:00Z"
  until = "2026-11-25T03:20:00Z"
  rules = ["disk_*"]
}
maintenance "deploy" {
  from     = "2026-11-25T03:05:00Z"
  until    = "2026-11-25T03:20:00Z"
  rules    = ["web_down"]
  suppress = ["notify"]
}
`

// TestMaintenanceWindow: inside the window, a covered rule fires without notifying or
// running its commands (or without notifying only, as the block says); when the window
// closes while it still fires, one notification says so; rules it does not cover, and
// times outside it, are not affected.
func TestMaintenanceWindow(t *testing.T) {
	h := newTwoInputs(t, maintenanceRules)
	h.expect(0, 95, 10, "disk busy", "ionice-backup") // before the window
	h.expect(time.Minute, 10, 10, "disk calm", "")
	h.expect(6*time.Minute, 95, 95, "", "restart-web") // in it: deploy holds notify only
	h.expect(16*time.Minute, 95, 95, "", "")           // a repeat, held back
	h.expect(20*time.Minute, 95, 95, "still firing after the maintenance window \"backup\"\ndisk busy|still firing after the maintenance window \"deploy\"\nweb down", "")
	h.expect(21*time.Minute, 95, 95, "", "")
	h.expect(30*time.Minute, 95, 95, "disk busy", "") // the repeat schedule resumed from the catch-up
	h.expect(31*time.Minute, 10, 95, "disk calm", "")
}

// TestMaintenanceResolveInside: a rule that fires and resolves inside a window sends
// nothing at all.
func TestMaintenanceResolveInside(t *testing.T) {
	h := newTwoInputs(t, maintenanceRules)
	h.expect(6*time.Minute, 95, 10, "", "")
	h.expect(7*time.Minute, 10, 10, "", "")
	h.expect(21*time.Minute, 10, 10, "", "")
}
