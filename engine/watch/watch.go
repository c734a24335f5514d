package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

const (
	// DefaultDebounce is long enough to cover an editor's save, sed -i or a ConfigMap swap
	// (a handful of events within milliseconds) and short enough that a save takes effect
	// well within a second.
	DefaultDebounce = 300 * time.Millisecond
	// DefaultPoll is how often the content hash is compared, the fallback for every change
	// inotify does not report (a symlink retargeted outside the directory, an unmount, an
	// event queue overflow).
	DefaultPoll = 5 * time.Second

	// recheckEvery is how often the watcher stats the directory (and its parent) to see
	// that the watch is still on the inode the path names, while something may change
	// that no event reports (needsRecheck): a missing directory coming back, a symlink
	// above the directory being retargeted. It is then noticed, and signalled after the
	// debounce, within a second. Not more often, and not at all otherwise: each wakeup of
	// an otherwise idle daemon costs more CPU than the calls (every 250 ms, the rechecks
	// were 40 % of an idle daemon's CPU time; every 500 ms, 15 % of a daemon ticking 100
	// rules every second).
	recheckEvery = 500 * time.Millisecond
	// maxExtraDirs bounds the directories watched because rule files link into them.
	maxExtraDirs = 32
)

// Options tune Watch. The zero value is ready to use.
type Options struct {
	// Debounce is the quiet time after the last event before a signal is sent, so a burst
	// of events gives one reload (zero: DefaultDebounce). A steady stream of events still
	// gives a signal every 2×Debounce.
	Debounce time.Duration
	// Poll is how often the content hash is checked, whatever the events said
	// (zero or negative: DefaultPoll).
	Poll   time.Duration
	Logger *slog.Logger // nil: discard

	// For tests: how often the directory's identity is rechecked (zero: recheckEvery), a
	// hook that drops fsnotify events as a lost event would be, and running without inotify
	// as when fs.inotify.max_user_instances is exhausted.
	recheck   time.Duration
	dropEvent func(fsnotify.Event) bool
	noInotify bool
	rechecked func() // called after each periodic recheck
}

// Watch watches dir until ctx ends and sends on the returned channel each time the *.hcl
// files a load of dir reads may have changed; the channel is closed when ctx ends. Sends
// are coalesced (buffer 1): the watcher never blocks on a slow reader, and one pending
// signal stands for any number of changes.
//
// The watch is in place when Watch returns, so a caller that calls Watch and then loads
// misses no change. A signal means "may have changed": compare Hash before loading with the
// hash of the configuration running to skip reloads that change nothing. Watch fails only
// when dir cannot be made absolute; a directory that is missing, or an inotify that is not
// available, is logged and retried, with the content poll carrying on meanwhile.
func Watch(ctx context.Context, dir string, opts Options) (<-chan struct{}, error) {
	if dir == "" {
		return nil, errors.New("watch: no directory given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", dir, err)
	}
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.recheck <= 0 {
		opts.recheck = recheckEvery
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &watcher{
		dir:    abs,
		parent: filepath.Dir(abs),
		opts:   opts,
		log:    log.With("dir", abs),
		paths:  map[string]watched{},
		extras: map[string]bool{},
		out:    make(chan struct{}, 1),
		quiet:  time.NewTimer(time.Hour),
		max:    time.NewTimer(time.Hour),
	}
	w.quiet.Stop()
	w.max.Stop()
	w.fsw, err = fsnotify.NewWatcher()
	if opts.noInotify && err == nil {
		w.fsw.Close()
		err = errors.New("inotify disabled by the test")
	}
	if err != nil {
		// Typically fs.inotify.max_user_instances is exhausted: reload still works, later.
		w.log.Warn("cannot watch the rules directory for changes; checking it every poll interval instead",
			"err", err, "poll", opts.Poll)
		w.fsw = nil
	}
	w.recheck()
	if h, links, err := scan(w.dir); err == nil {
		w.baseline = h
		w.syncExtras(links)
	}
	w.started = true
	go w.run(ctx)
	return w.out, nil
}

// watched is what the watcher knows about a path it watches.
type watched struct {
	fi   os.FileInfo // the inode the path named when it was (re)added
	live bool        // fsnotify holds a watch on it
}

// watcher is owned by the goroutine running run; nothing in it is shared.
type watcher struct {
	dir, parent string
	opts        Options
	log         *slog.Logger
	fsw         *fsnotify.Watcher // nil: poll only
	out         chan struct{}

	paths  map[string]watched // dir, parent and extras
	extras map[string]bool    // directories that symlinked rule files resolve into

	started    bool   // the first watch is in place: later changes are news
	missing    bool   // dir does not exist (or cannot be stat'ed)
	symlinked  bool   // the path to dir's parent goes through a symlink
	lastErr    string // last watch error logged for dir, to log each problem once
	baseline   string // hash at the last signal or poll; "" when unknown
	mainDirty  bool   // something happened in dir or to dir: signal at the next flush
	extraDirty bool   // something happened in an extra directory: signal if the hash moved

	// Debounce: quiet restarts on each event, max runs from the first event of a burst.
	quiet, max *time.Timer
	armed      bool
}

func (w *watcher) run(ctx context.Context) {
	defer close(w.out)
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w.fsw != nil {
		defer w.fsw.Close()
		events, errs = w.fsw.Events, w.fsw.Errors
	}
	defer w.quiet.Stop()
	defer w.max.Stop()
	poll := time.NewTicker(w.opts.Poll)
	defer poll.Stop()
	// The periodic recheck runs only while needsRecheck says so.
	var recheck *time.Ticker
	var rechecks <-chan time.Time
	defer func() {
		if recheck != nil {
			recheck.Stop()
		}
	}()

	for {
		switch need := w.needsRecheck(); {
		case need && recheck == nil:
			recheck = time.NewTicker(w.opts.recheck)
			rechecks = recheck.C
		case !need && recheck != nil:
			recheck.Stop()
			recheck, rechecks = nil, nil
		}
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			w.event(ev)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			// An overflow means events were lost; any other error may mean the same.
			// Either way the directory may have changed: check it all.
			w.log.Warn("rules directory watch reported an error; rechecking the directory", "err", err)
			w.recheck()
			w.mainDirty = true
			w.kick()
		case <-w.quiet.C:
			w.flush()
		case <-w.max.C:
			w.flush()
		case <-rechecks:
			if w.recheck() {
				w.mainDirty = true
				w.kick()
			}
			if w.opts.rechecked != nil {
				w.opts.rechecked()
			}
		case <-poll.C:
			w.poll()
		}
	}
}

// event sorts one fsnotify event. Nothing is filtered on the file name: a ConfigMap update
// only renames ..data, and an editor's save may only rename a temporary file.
func (w *watcher) event(ev fsnotify.Event) {
	if w.opts.dropEvent != nil && w.opts.dropEvent(ev) {
		return
	}
	// Only events about the rules directory are logged: the parent is watched too, and a
	// log file kept there would otherwise log its own writes, each write one more event.
	switch d := filepath.Dir(ev.Name); {
	case ev.Name == w.dir:
		w.log.Debug("rules directory event", "event", ev.String())
		// The directory itself, from its own watch (moved or deleted: inotify's watch ends
		// with it) or from the parent's (renamed, replaced, created, symlink retargeted).
		w.recheck()
		w.mainDirty = true
		w.kick()
	case d == w.dir:
		w.log.Debug("rules directory event", "event", ev.String())
		w.mainDirty = true
		w.kick()
	case ev.Name == w.parent:
		// The parent itself, from its own watch: moved or deleted (its watch ends with it),
		// so the path may name another directory now, or none.
		w.log.Debug("rules directory event", "event", ev.String())
		w.recheck()
		w.mainDirty = true
		w.kick()
	case w.extras[d] || w.extras[ev.Name]:
		w.log.Debug("rules directory event", "event", ev.String())
		w.extraDirty = true
		w.kick()
	default:
		// Another entry of the parent directory: not ours, and not logged.
	}
}

// kick (re)starts the debounce.
func (w *watcher) kick() {
	w.quiet.Reset(w.opts.Debounce)
	if !w.armed {
		w.max.Reset(2 * w.opts.Debounce)
		w.armed = true
	}
}

// flush ends a burst: it signals if the burst touched the directory, or if it touched an
// extra directory and moved the hash.
func (w *watcher) flush() {
	w.quiet.Stop()
	w.max.Stop()
	w.armed = false
	if w.recheck() {
		w.mainDirty = true
	}
	if w.missing {
		// Nothing to load; the signal comes when the directory is back (recheck reports it).
		w.mainDirty, w.extraDirty = false, false
		return
	}
	h, links, err := scan(w.dir)
	if err != nil {
		w.log.Warn("cannot read the rules directory", "err", err)
		h = ""
	}
	if w.mainDirty || (w.extraDirty && h != w.baseline) {
		w.signal()
	}
	w.baseline = h
	w.mainDirty, w.extraDirty = false, false
	if err == nil {
		w.syncExtras(links)
	}
}

// poll is the fallback: it signals when the contents changed and no event said so.
func (w *watcher) poll() {
	if w.recheck() {
		w.mainDirty = true
		w.kick()
	}
	if w.missing || w.armed {
		return // a flush is coming, or nothing to read
	}
	h, links, err := scan(w.dir)
	if err != nil {
		return
	}
	if h != w.baseline {
		w.log.Info("rules changed without a file system event; reloading")
		w.baseline = h
		w.signal()
	}
	w.syncExtras(links)
}

// signal sends without blocking: a signal already waiting covers this one.
func (w *watcher) signal() {
	select {
	case w.out <- struct{}{}:
	default:
	}
}

// recheck makes sure the directory and its parent are watched as the inodes their paths
// name now. inotify watches an inode, not a path: when the directory is moved, deleted,
// replaced, or reached through a symlink that is retargeted, the old watch ends (or keeps
// watching the wrong directory) without an error. recheck reports whether the directory
// changed identity, came back, or got its watch back: the caller must then signal.
func (w *watcher) recheck() (changed bool) {
	resolved, lerr := filepath.EvalSymlinks(w.parent)
	w.symlinked = lerr != nil || resolved != w.parent
	list := w.watchList()
	if w.parent != w.dir {
		// The parent's watch reports the directory being renamed, deleted, created or
		// retargeted (a symlink replaced) at once. Its absence is not an error.
		_, _ = w.watchPath(w.parent, list)
	}
	changed, err := w.watchPath(w.dir, list)
	switch {
	case err != nil && errors.Is(err, errStat):
		if !w.missing {
			w.log.Warn("rules directory is missing; keeping the loaded rules until it is back", "err", err)
			w.missing, w.lastErr = true, ""
		}
		return false
	case w.missing:
		w.log.Info("rules directory is back")
		w.missing = false
		changed = true
	case changed && w.started:
		w.log.Info("rules directory was replaced or its watch lost; watching it again")
	}
	if err != nil {
		if err.Error() != w.lastErr {
			// Typically fs.inotify.max_user_watches: the poll still sees every change.
			w.log.Warn("cannot watch the rules directory; relying on the poll", "err", err, "poll", w.opts.Poll)
			w.lastErr = err.Error()
		}
	} else {
		w.lastErr = ""
	}
	for p := range w.extras {
		moved, err := w.watchPath(p, list)
		if err != nil {
			w.unwatch(p)
			delete(w.extras, p)
		}
		if moved || err != nil {
			// What the links read may have changed: let the hash decide.
			w.extraDirty = true
			w.kick()
		}
	}
	return changed
}

// needsRecheck reports whether the directory can change in a way no event reports, so
// that it must be rechecked periodically: without inotify; while the directory is
// missing, or it or its parent is not watched (a parent that comes back is an event in a
// directory not watched); when the path to the parent goes through a symlink (retargeting
// it is an event in a directory not watched); when rule files link into other
// directories (whose own replacement is not watched either). Otherwise the directory's
// and its parent's watches report every move, deletion and replacement, and the watch
// errors (a lost event) and the content poll stand for the rest.
func (w *watcher) needsRecheck() bool {
	if w.fsw == nil || w.missing || w.symlinked || len(w.extras) > 0 {
		return true
	}
	for _, p := range []string{w.dir, w.parent} {
		if wt, ok := w.paths[p]; !ok || !wt.live {
			return true
		}
	}
	return false
}

var errStat = errors.New("stat")

// watchPath (re)adds the watch on path when the inode it names is not the one watched, or
// when fsnotify dropped the watch (after IN_MOVE_SELF, IN_DELETE_SELF, IN_IGNORED on
// unmount). It reports whether it did, or whether a live watch was lost. A path that cannot
// be stat'ed gives an error wrapping errStat.
func (w *watcher) watchPath(path string, list map[string]bool) (changed bool, err error) {
	prev, had := w.paths[path]
	fi, err := os.Stat(path) // through symlinks, as inotify_add_watch goes
	if err != nil {
		if had {
			w.unwatch(path)
		}
		return had, fmt.Errorf("%w: %w", errStat, err)
	}
	same := had && os.SameFile(prev.fi, fi)
	if w.fsw == nil {
		w.paths[path] = watched{fi: fi, live: true}
		return !same, nil
	}
	if same && prev.live && list[path] {
		return false, nil
	}
	for range 3 {
		// Remove first: fsnotify keys watches by path, and a stale IN_MOVE_SELF for the old
		// inode would otherwise remove the new watch along with the old.
		_ = w.fsw.Remove(path)
		if err := w.fsw.Add(path); err != nil {
			w.paths[path] = watched{fi: fi}
			return !same || prev.live, fmt.Errorf("watch %s: %w", path, err)
		}
		// Add followed the path as it was a moment later: make sure it is still fi.
		now, err := os.Stat(path)
		if err != nil {
			w.unwatch(path)
			return had, fmt.Errorf("%w: %w", errStat, err)
		}
		if os.SameFile(fi, now) {
			w.paths[path] = watched{fi: now, live: true}
			return true, nil
		}
		fi, same = now, false
	}
	w.paths[path] = watched{fi: fi}
	return true, fmt.Errorf("watch %s: it keeps being replaced", path)
}

func (w *watcher) unwatch(path string) {
	if w.fsw != nil {
		_ = w.fsw.Remove(path)
	}
	delete(w.paths, path)
}

func (w *watcher) watchList() map[string]bool {
	list := map[string]bool{}
	if w.fsw != nil {
		for _, p := range w.fsw.WatchList() {
			list[p] = true
		}
	}
	return list
}

// syncExtras watches the directories that symlinked rule files resolve into, so that an
// edit of a file reached through a link (rules.d/a.hcl -> /srv/shared/a.hcl) is seen at
// once rather than at the next poll. Events there are weighed by the hash, since those
// directories hold other files too.
func (w *watcher) syncExtras(links []string) {
	want := map[string]bool{}
	dirFI, parentFI := w.paths[w.dir].fi, w.paths[w.parent].fi
	for _, d := range links {
		if len(want) >= maxExtraDirs || d == w.dir || d == w.parent || want[d] {
			continue
		}
		fi, err := os.Stat(d)
		if err != nil {
			continue
		}
		// One inode is one inotify watch: watching it again under another name would
		// take over the directory's own watch.
		if (dirFI != nil && os.SameFile(fi, dirFI)) || (parentFI != nil && os.SameFile(fi, parentFI)) {
			continue
		}
		want[d] = true
	}
	for d := range w.extras {
		if !want[d] {
			w.unwatch(d)
			delete(w.extras, d)
		}
	}
	list := w.watchList()
	for d := range want {
		if w.extras[d] {
			continue
		}
		if _, err := w.watchPath(d, list); err != nil {
			w.log.Debug("cannot watch a directory rule files link into", "link_dir", d, "err", err)
			w.unwatch(d)
			continue
		}
		w.extras[d] = true
	}
}
