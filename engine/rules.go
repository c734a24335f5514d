package engine

import (
	"sync"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/watch"
)

// RuleSource is where the daemon's rules come from: a rules directory (or file) and the
// function that loads and validates it. The directory watcher, SIGHUP and the periodic
// content check all ask for a reload; LoadChanged makes those that find the same files
// cost a content hash (watch.Hash) instead of a load, and a swap of identical rules.
type RuleSource struct {
	Path string
	// Load loads and validates Path. It returns an error (the diagnostics, file:line:col)
	// when the rules have any error, and reports warnings itself.
	Load func() (*dsl.Config, error)

	mu      sync.Mutex
	running string // the content hash of the files the running rules come from; "": unknown
}

// LoadChanged loads the rules unless the files hash as those of the running rules, and
// then returns nil, nil: it is DaemonOptions.Load. The first call always loads. The hash is
// taken before loading and kept only when the files did not change during the load, so a
// save that lands mid-load is loaded again on the next reload. A failed load keeps the
// hash of the running rules: files that return to them are "valid again".
func (s *RuleSource) LoadChanged() (*dsl.Config, error) {
	before, _ := watch.Hash(s.Path)
	s.mu.Lock()
	same := before != "" && before == s.running
	s.mu.Unlock()
	if same {
		return nil, nil
	}
	cfg, err := s.Load()
	if err != nil {
		return nil, err
	}
	if after, _ := watch.Hash(s.Path); after == before {
		s.mu.Lock()
		s.running = before
		s.mu.Unlock()
	}
	return cfg, nil
}

// Forget makes the next LoadChanged load whatever the hash: SIGHUP asks for that, since
// what file("…") reads into the rules is not hashed.
func (s *RuleSource) Forget() {
	s.mu.Lock()
	s.running = ""
	s.mu.Unlock()
}
