package dsl

import (
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Loading a large configuration allocates about 250 bytes for each byte of source (the
// lexer's tokens, the syntax trees, the compiled programs), most of it garbage by the end:
// at the default GOGC collecting it was a fifth of the CPU time of loading a 4 MiB file,
// and the daemon runs at GOGC=50. So while a load that has read at
// least gcBoostMin bytes runs, the collector runs at loadGCPercent (unless GOGC is
// already higher, or off), and at what it was once the last such load ends. Smaller loads,
// such as a daemon's reload of 100 rules, leave the collector alone: its heap stays small.
const loadGCPercent = 400

// gcBoostMin is a variable for tests.
var gcBoostMin int64 = 1 << 20

var gcBoosts struct {
	sync.Mutex
	n     int // loads running with the collector raised
	saved int // GOGC before the first of them
}

// gcBoost raises the collector's GOGC for one load once it has read gcBoostMin bytes.
type gcBoost struct {
	read   atomic.Int64
	once   sync.Once
	raised atomic.Bool
}

// add counts n bytes read.
func (g *gcBoost) add(n int) {
	if g.read.Add(int64(n)) < gcBoostMin {
		return
	}
	g.once.Do(func() {
		gcBoosts.Lock()
		defer gcBoosts.Unlock()
		if gcBoosts.n == 0 {
			gcBoosts.saved = debug.SetGCPercent(loadGCPercent)
			if gcBoosts.saved < 0 || gcBoosts.saved > loadGCPercent {
				debug.SetGCPercent(gcBoosts.saved)
			}
		}
		gcBoosts.n++
		g.raised.Store(true)
	})
}

// done ends the load: the last load to end restores GOGC.
func (g *gcBoost) done() {
	if !g.raised.Load() {
		return
	}
	gcBoosts.Lock()
	defer gcBoosts.Unlock()
	if gcBoosts.n--; gcBoosts.n == 0 {
		debug.SetGCPercent(gcBoosts.saved)
	}
}
