//go:build unix

package exec

import "testing"

func TestParseStat(t *testing.T) {
	state, pgrp, ok := parseStat([]byte("4242 (my (odd) name) S 1 4240 4240 0 -1 4194560 …\n"))
	if !ok || state != 'S' || pgrp != 4240 {
		t.Errorf("parseStat = %c, %d, %v; want S, 4240, true", state, pgrp, ok)
	}
}
