package main

import (
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/status"
	"github.com/notimon/notimon/server"
)

// webServer runs the `server` block's listener beside the daemon: started after the first
// load, given each reloaded configuration, stopped at shutdown. Cron runs have none.
type webServer struct {
	log      *slog.Logger
	stateDir string
	current  atomic.Pointer[dsl.Config] // the rules running now
	pending  atomic.Pointer[dsl.Config] // loaded and valid, swapped in by the engine next

	mu  sync.Mutex
	srv *server.Server // nil while the rules have no server block
	tkd bool           // the first tick ran
	api http.Handler
	met http.Handler
}

func startWeb(cfg *dsl.Config, stateDir string, metrics http.Handler, logger *slog.Logger) (*webServer, error) {
	w := &webServer{log: logger, stateDir: stateDir, met: metrics}
	w.current.Store(cfg)
	// read_only is not given to the API: the server refuses writes itself, by the block
	// in force, which a reload may change.
	w.api = status.API(status.APIOptions{
		StateDir: stateDir, Rules: w.current.Load, Now: clock, Logger: logger,
		User: func(r *http.Request) string { return server.User(r.Context()) },
	})
	if cfg.Server == nil {
		return w, nil
	}
	return w, w.start(cfg.Server)
}

func (w *webServer) start(c *dsl.Server) error {
	srv, err := server.New(server.Options{
		Config: c, StateDir: w.stateDir, Rules: w.current.Load,
		API: w.api, Metrics: w.met, Logger: w.log, Now: clock,
	})
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	w.srv = srv
	return nil
}

// load wraps the daemon's Load: a valid configuration is kept until the engine swaps it in.
func (w *webServer) load(load func() (*dsl.Config, error)) func() (*dsl.Config, error) {
	return func() (*dsl.Config, error) {
		cfg, err := load()
		if err == nil && cfg != nil {
			w.pending.Store(cfg)
		}
		return cfg, err
	}
}

// reloaded follows a reload the engine applied: a server block added, changed or removed.
func (w *webServer) reloaded() {
	cfg := w.pending.Swap(nil)
	if cfg == nil {
		return
	}
	w.current.Store(cfg)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case cfg.Server == nil && w.srv != nil:
		w.srv.Close(time.Second)
		w.srv = nil
		w.log.Info("server stopped: the rules have no server block any more")
	case cfg.Server != nil && w.srv == nil:
		if err := w.start(cfg.Server); err != nil {
			w.log.Error("server block added, but the server cannot start", "err", err)
		} else if w.tkd {
			w.srv.SetReady()
		}
	case cfg.Server != nil:
		w.srv.Apply(cfg.Server) // logs what it cannot apply
	}
}

// ready marks /-/ready: the first tick ran.
func (w *webServer) ready() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tkd = true
	if w.srv != nil {
		w.srv.SetReady()
	}
}

func (w *webServer) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.srv != nil {
		w.srv.Close(5 * time.Second)
		w.srv = nil
	}
}
