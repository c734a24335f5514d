//go:build race

package engine

// raceEnabled: the race detector slows the engine 5–20×; long soaks measure less under it.
const raceEnabled = true
