package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a hand-stepped clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// logRecorder keeps every record logged through it, with its attributes flattened.
type logRecorder struct {
	mu   sync.Mutex
	recs []logRecord
}

type logRecord struct {
	Level slog.Level
	Msg   string
	Attrs map[string]string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	lr := logRecord{Level: rec.Level, Msg: rec.Message, Attrs: map[string]string{}}
	rec.Attrs(func(a slog.Attr) bool {
		lr.Attrs[a.Key] = a.Value.String()
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, lr)
	return nil
}

func (r *logRecorder) atLevel(l slog.Level) []logRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []logRecord
	for _, rec := range r.recs {
		if rec.Level == l {
			out = append(out, rec)
		}
	}
	return out
}

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// testOpts returns options with a fixed clock and a log recorder.
func testOpts() (Options, *fakeClock, *logRecorder) {
	clock := newClock(t0)
	rec := &logRecorder{}
	return Options{LockWait: -1, Now: clock.Now, Logger: slog.New(rec)}, clock, rec
}

// stateDir returns an empty state directory with the mode Open would give it (t.TempDir's
// mode depends on the Go version).
func stateDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "notimon")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustOpen(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func perm(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// tempFiles lists the temp files left in the state directory and its outbox.
func tempFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	for _, d := range []string{dir, filepath.Join(dir, outboxDir)} {
		des, _ := os.ReadDir(d)
		for _, de := range des {
			if strings.Contains(de.Name(), tmpMarker) {
				out = append(out, filepath.Join(d, de.Name()))
			}
		}
	}
	return out
}

func TestOpenCreatesPrivateDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "lib", "notimon")
	opts, _, _ := testOpts()
	s := mustOpen(t, dir, opts)
	if s.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", s.Dir(), dir)
	}
	if err := s.Save(map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	e, err := s.Enqueue("ops", "hello")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]fs.FileMode{
		dir:                              0o700,
		filepath.Dir(dir):                0o700, // created parents too
		filepath.Join(dir, "lock"):       0o600,
		filepath.Join(dir, "state.json"): 0o600,
		filepath.Join(dir, "outbox"):     0o700,
		filepath.Join(dir, "outbox", e.ID+".json"): 0o600,
	} {
		if got := perm(t, path); got != want {
			t.Errorf("mode of %s = %#o, want %#o", path, got, want)
		}
	}
}

func TestOpenRelativePathIsMadeAbsolute(t *testing.T) {
	dir := stateDir(t)
	t.Chdir(dir)
	opts, _, _ := testOpts()
	s := mustOpen(t, "state", opts)
	if want := filepath.Join(dir, "state"); s.Dir() != want {
		t.Errorf("Dir() = %q, want %q", s.Dir(), want)
	}
}

func TestOpenExistingOpenDirectoryWarnsAndKeepsMode(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts, _, rec := testOpts()
	mustOpen(t, dir, opts)
	if got := perm(t, dir); got != 0o755 {
		t.Errorf("mode changed to %#o", got)
	}
	warns := rec.atLevel(slog.LevelWarn)
	if len(warns) != 1 || warns[0].Attrs["dir"] != dir || warns[0].Attrs["mode"] != "0755" {
		t.Errorf("warnings = %+v, want one naming %s and mode 0755", warns, dir)
	}
}

func TestOpenNotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	opts, _, _ := testOpts()
	for _, dir := range []string{file, filepath.Join(file, "sub")} {
		_, err := Open(dir, opts)
		if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("Open(%s) = %v, want an error naming the path and saying not a directory", dir, err)
		}
	}
	if _, err := Open("", opts); err == nil {
		t.Error("Open(\"\") succeeded")
	}
}

func TestOpenRemovesLeftoverTempFiles(t *testing.T) {
	dir := stateDir(t)
	opts, _, _ := testOpts()
	s := mustOpen(t, dir, opts)
	if err := s.Save("kept"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	leftovers := []string{
		filepath.Join(dir, ".state.json.tmp-123456"),
		filepath.Join(dir, "outbox", ".00000000000000000007-0123456789abcdef.json.tmp-99"),
	}
	for _, f := range leftovers {
		if err := os.WriteFile(f, []byte(`{"half":`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stranger := filepath.Join(dir, "outbox", "README")
	os.WriteFile(stranger, []byte("hands off"), 0o600)

	s = mustOpen(t, dir, opts)
	if got := tempFiles(t, dir); len(got) != 0 {
		t.Errorf("temp files after Open: %v", got)
	}
	if _, err := os.Stat(stranger); err != nil {
		t.Errorf("Open removed a file that is not its own: %v", err)
	}
	var v string
	if found, err := s.Load(&v); !found || err != nil || v != "kept" {
		t.Errorf("Load = %q, %v, %v; want kept, true, nil", v, found, err)
	}
	// The leftover's sequence number is not an entry's: the next ID starts at 1.
	e, err := s.Enqueue("ops", 1)
	if err != nil || !strings.HasPrefix(e.ID, "00000000000000000001-") {
		t.Errorf("Enqueue = %q, %v", e.ID, err)
	}
}

func TestLockInSameProcess(t *testing.T) {
	dir := stateDir(t)
	opts, _, _ := testOpts()
	a := mustOpen(t, dir, opts)

	opts.LockWait = 100 * time.Millisecond
	start := time.Now()
	_, err := Open(dir, opts)
	var le *LockError
	if !errors.As(err, &le) {
		t.Fatalf("second Open = %v, want a *LockError", err)
	}
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Errorf("gave up after %v, before LockWait", el)
	}
	want := fmt.Sprintf("another notimon (pid %d) holds %s; waited 100ms", os.Getpid(), filepath.Join(dir, "lock"))
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}

	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	opts.LockWait = -1
	mustOpen(t, dir, opts)
}

func TestLockErrorWithoutPID(t *testing.T) {
	err := &LockError{Path: "/var/lib/notimon/lock", Waited: 10 * time.Second}
	if got, want := err.Error(), "another notimon holds /var/lib/notimon/lock; waited 10s"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestClosedStoreRefusesEverything(t *testing.T) {
	opts, _, _ := testOpts()
	s := mustOpen(t, stateDir(t), opts)
	e, err := s.Enqueue("ops", 1)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	var v any
	_, errLoad := s.Load(&v)
	_, errEnq := s.Enqueue("ops", 2)
	_, errPending := s.Pending()
	_, errExpire := s.Expire(time.Hour)
	for name, err := range map[string]error{
		"Load": errLoad, "Save": s.Save(1), "Enqueue": errEnq, "Pending": errPending,
		"Ack": s.Ack(e.ID), "Fail": s.Fail(e.ID, Failure{Err: errors.New("x")}), "Expire": errExpire,
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

// ruleState stands in for the engine's document.
type ruleState struct {
	Version int                  `json:"version"`
	Rules   map[string]ruleEntry `json:"rules"`
	Cursor  []int                `json:"cursor"`
}

type ruleEntry struct {
	State string    `json:"state"`
	Since time.Time `json:"since"`
}

func TestLoadWithoutState(t *testing.T) {
	opts, _, rec := testOpts()
	s := mustOpen(t, stateDir(t), opts)
	v := ruleState{Version: 7}
	found, err := s.Load(&v)
	if found || err != nil {
		t.Errorf("Load = %v, %v; want false, nil", found, err)
	}
	if v.Version != 7 || v.Rules != nil {
		t.Errorf("Load touched v: %+v", v)
	}
	if len(rec.recs) != 0 {
		t.Errorf("logged %+v for a first run", rec.recs)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := stateDir(t)
	opts, _, _ := testOpts()
	s := mustOpen(t, dir, opts)
	first := ruleState{Version: 1, Rules: map[string]ruleEntry{"overload": {"pending", t0}}}
	second := ruleState{Version: 1, Rules: map[string]ruleEntry{
		"overload":  {"firing", t0.Add(2 * time.Minute)},
		"site_down": {"inactive", t0.Add(time.Hour)},
	}, Cursor: []int{2, 0}}
	for _, doc := range []ruleState{first, second} {
		if err := s.Save(doc); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	s = mustOpen(t, dir, opts)
	var got ruleState
	found, err := s.Load(&got)
	if !found || err != nil {
		t.Fatalf("Load = %v, %v", found, err)
	}
	if !reflect.DeepEqual(got, second) {
		t.Errorf("Load = %+v\nwant %+v", got, second)
	}
	if left := tempFiles(t, dir); len(left) != 0 {
		t.Errorf("temp files left by Save: %v", left)
	}
	// Fields the document lacks keep the caller's value, as with json.Unmarshal.
	if err := s.Save(map[string]any{"rules": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	withDefault := ruleState{Version: 9}
	if found, err := s.Load(&withDefault); !found || err != nil || withDefault.Version != 9 {
		t.Errorf("Load = %+v, %v, %v; want Version kept at 9", withDefault, found, err)
	}
}

func TestSaveRefusesWhatJSONCannotEncode(t *testing.T) {
	dir := stateDir(t)
	opts, _, _ := testOpts()
	s := mustOpen(t, dir, opts)
	if err := s.Save("good"); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(make(chan int)); err == nil {
		t.Error("Save(chan) succeeded")
	}
	var v string
	if found, err := s.Load(&v); !found || err != nil || v != "good" {
		t.Errorf("after a failed Save, Load = %q, %v, %v", v, found, err)
	}
}

func TestLoadSetsAsideUnusableState(t *testing.T) {
	cases := []struct {
		name    string
		content string // written as state.json
		asDir   bool   // state.json is a directory instead
		errLike string // in the logged error
	}{
		{name: "truncated", content: `{"version": 1, "rules": {"overload": {"sta`, errLike: "unexpected end of JSON input"},
		{name: "garbage", content: "\x00\x01binary\xffjunk", errLike: "invalid character"},
		{name: "empty", content: "", errLike: "unexpected end of JSON input"},
		{name: "wrong type", content: `[1, 2, 3]`, errLike: "cannot unmarshal array"},
		{name: "wrong field type after a good one", content: `{"version": 3, "rules": "overload"}`, errLike: "cannot unmarshal string"},
		{name: "trailing garbage", content: `{"version": 3} {"version": 4}`, errLike: "invalid character"},
		{name: "directory", asDir: true, errLike: "is a directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := stateDir(t)
			path := filepath.Join(dir, "state.json")
			if tc.asDir {
				os.Mkdir(path, 0o700)
			} else if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			opts, _, rec := testOpts()
			s := mustOpen(t, dir, opts)

			v := ruleState{Version: 42}
			found, err := s.Load(&v)
			if found || err != nil {
				t.Fatalf("Load = %v, %v; want false, nil", found, err)
			}
			if v.Version != 42 || v.Rules != nil {
				t.Errorf("Load touched v: %+v", v)
			}
			aside := path + ".corrupt-20260304T050607Z"
			if tc.asDir {
				if fi, err := os.Stat(aside); err != nil || !fi.IsDir() {
					t.Errorf("set-aside directory: %v", err)
				}
			} else if got, err := os.ReadFile(aside); err != nil || string(got) != tc.content {
				t.Errorf("set-aside file %s = %q, %v; want the original content", aside, got, err)
			}
			if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("state.json still there: %v", err)
			}
			warns := rec.atLevel(slog.LevelWarn)
			if len(warns) != 1 {
				t.Fatalf("warnings = %+v, want 1", rec.recs)
			}
			if w := warns[0]; w.Attrs["file"] != path || w.Attrs["moved_to"] != aside || !strings.Contains(w.Attrs["err"], tc.errLike) {
				t.Errorf("warning = %+v; want file=%s moved_to=%s err containing %q", w, path, aside, tc.errLike)
			}

			// The engine starts over; the next Save and Load work.
			if err := s.Save(ruleState{Version: 1}); err != nil {
				t.Fatal(err)
			}
			var again ruleState
			if found, err := s.Load(&again); !found || err != nil || again.Version != 1 {
				t.Errorf("Load after Save = %+v, %v, %v", again, found, err)
			}
		})
	}
}

func TestLoadSetAsideKeepsEarlierCorruptFiles(t *testing.T) {
	dir := stateDir(t)
	opts, _, _ := testOpts()
	s := mustOpen(t, dir, opts)
	path := filepath.Join(dir, "state.json")
	for _, content := range []string{"first{", "second{", "third{"} {
		os.WriteFile(path, []byte(content), 0o600)
		var v any
		if found, err := s.Load(&v); found || err != nil {
			t.Fatalf("Load = %v, %v", found, err)
		}
	}
	base := path + ".corrupt-20260304T050607Z"
	for name, want := range map[string]string{base: "first{", base + ".1": "second{", base + ".2": "third{"} {
		if got, err := os.ReadFile(name); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
}

func TestLoadNeedsAPointer(t *testing.T) {
	dir := stateDir(t)
	opts, _, _ := testOpts()
	s := mustOpen(t, dir, opts)
	if err := s.Save(ruleState{Version: 1}); err != nil {
		t.Fatal(err)
	}
	var nilPtr *ruleState
	for _, v := range []any{nil, ruleState{}, nilPtr} {
		if _, err := s.Load(v); err == nil {
			t.Errorf("Load(%T) succeeded", v)
		}
	}
	// A programming error is not a corrupt file.
	if _, err := os.Stat(filepath.Join(dir, "state.json")); err != nil {
		t.Errorf("state.json was set aside for a bad Load argument: %v", err)
	}
}

type message struct {
	Rule string `json:"rule"`
	Text string `json:"text"`
	N    int    `json:"n"`
}

func ids(entries []Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.ID
	}
	return out
}

func TestOutboxOrderAcrossReopen(t *testing.T) {
	dir := stateDir(t)
	opts, clock, _ := testOpts()
	s := mustOpen(t, dir, opts)
	var want []Entry
	for i, notifier := range []string{"ops", "stdout", "ops", "ops", "stdout"} {
		clock.Set(t0.Add(time.Duration(i) * time.Minute))
		e, err := s.Enqueue(notifier, message{Rule: "overload", Text: "cpu <b>high</b> & rising", N: i})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, e)
	}
	s.Close()

	s = mustOpen(t, dir, opts)
	for i := 5; i < 7; i++ {
		e, err := s.Enqueue("ops", message{N: i})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, e)
	}
	got, err := s.Pending()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Pending = %v\nwant      %v", ids(got), ids(want))
	}
	if !slices.IsSorted(ids(got)) {
		t.Errorf("IDs do not sort in enqueue order: %v", ids(got))
	}
	if !strings.HasPrefix(got[5].ID, "00000000000000000006-") {
		t.Errorf("sequence did not continue after reopen: %s", got[5].ID)
	}
	for i, e := range got {
		var m message
		if err := json.Unmarshal(e.Payload, &m); err != nil || m.N != i {
			t.Errorf("entry %d payload = %s, %v", i, e.Payload, err)
		}
		if e.Attempts != 0 || e.LastError != "" {
			t.Errorf("entry %d: %+v, want no attempts", i, e)
		}
	}
	if !got[3].Created.Equal(t0.Add(3 * time.Minute)) {
		t.Errorf("Created = %v, want the injected clock's %v", got[3].Created, t0.Add(3*time.Minute))
	}
	// Per-notifier order follows from the global order.
	var ops []int
	for _, e := range got {
		if e.Notifier == "ops" {
			var m message
			json.Unmarshal(e.Payload, &m)
			ops = append(ops, m.N)
		}
	}
	if !slices.Equal(ops, []int{0, 2, 3, 5, 6}) {
		t.Errorf("ops entries in order %v", ops)
	}
}

func TestEnqueueRawPayloadAndValidation(t *testing.T) {
	opts, _, _ := testOpts()
	s := mustOpen(t, stateDir(t), opts)
	e, err := s.Enqueue("ops", json.RawMessage(`{"text":"as is"}`))
	if err != nil || string(e.Payload) != `{"text":"as is"}` {
		t.Errorf("Enqueue(RawMessage) = %s, %v", e.Payload, err)
	}
	if _, err := s.Enqueue("", "x"); err == nil {
		t.Error("Enqueue with no notifier succeeded")
	}
	if _, err := s.Enqueue("ops", make(chan int)); err == nil {
		t.Error("Enqueue of an unencodable payload succeeded")
	}
	if _, err := s.Enqueue("ops", json.RawMessage(`{broken`)); err == nil {
		t.Error("Enqueue of invalid raw JSON succeeded")
	}
	got, _ := s.Pending()
	if len(got) != 1 {
		t.Errorf("Pending = %v, want only the good entry", ids(got))
	}
}

func TestAck(t *testing.T) {
	dir := stateDir(t)
	opts, _, _ := testOpts()
	s := mustOpen(t, dir, opts)
	var es []Entry
	for i := range 3 {
		e, err := s.Enqueue("ops", i)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	if err := s.Ack(es[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "outbox", es[1].ID+".json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("acked file still there: %v", err)
	}
	got, _ := s.Pending()
	if !slices.Equal(ids(got), []string{es[0].ID, es[2].ID}) {
		t.Errorf("Pending after Ack = %v", ids(got))
	}
	if err := s.Ack(es[1].ID); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second Ack = %v, want fs.ErrNotExist", err)
	}
	for _, bad := range []string{"", "../state", "../../etc/passwd", "00000000000000000001", es[0].ID + ".json"} {
		if err := s.Ack(bad); err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Ack(%q) = %v, want an invalid-ID error", bad, err)
		}
	}
	s.Close()
	s = mustOpen(t, dir, opts)
	got, _ = s.Pending()
	if !slices.Equal(ids(got), []string{es[0].ID, es[2].ID}) {
		t.Errorf("Pending after reopen = %v", ids(got))
	}
}

func TestFail(t *testing.T) {
	dir := stateDir(t)
	opts, _, _ := testOpts()
	s := mustOpen(t, dir, opts)
	var es []Entry
	for i := range 3 {
		e, _ := s.Enqueue("ops", i)
		es = append(es, e)
	}
	if err := s.Fail(es[1].ID, Failure{Err: errors.New("dial tcp: i/o timeout")}); err != nil {
		t.Fatal(err)
	}
	// The schedule and the progress through a message in parts are the last failure's, and
	// survive a restart (a cron run reads them from the file).
	next := time.Date(2026, 11, 25, 12, 10, 0, 0, time.FixedZone("KST", 9*3600))
	if err := s.Fail(es[1].ID, Failure{Err: errors.New("telegram: 502 Bad Gateway"), NextAttempt: next, Retryable: true, PartsSent: 2, Parts: 3}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, dir, opts)
	got, _ := s.Pending()
	if !slices.Equal(ids(got), ids(es)) {
		t.Fatalf("order after Fail = %v, want %v", ids(got), ids(es))
	}
	if b := got[1]; b.Attempts != 2 || b.LastError != "telegram: 502 Bad Gateway" || !reflect.DeepEqual(b.Payload, es[1].Payload) || !b.Created.Equal(es[1].Created) ||
		!b.NextAttempt.Equal(next) || !b.Retryable || b.PartsSent != 2 || b.Parts != 3 {
		t.Errorf("failed entry = %+v", b)
	}
	if got[0].Retryable || !got[0].NextAttempt.IsZero() {
		t.Errorf("an entry never failed has a schedule: %+v", got[0])
	}
	if got[0].Attempts != 0 || got[2].Attempts != 0 {
		t.Errorf("other entries changed: %+v %+v", got[0], got[2])
	}

	long := strings.Repeat("é", 3000) // 6000 bytes
	if err := s.Fail(es[0].ID, Failure{Err: errors.New(long)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Fail(es[2].ID, Failure{Err: nil}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Pending()
	if n := len(got[0].LastError); n > maxLastError+len("…") || !strings.HasSuffix(got[0].LastError, "é…") {
		t.Errorf("long error kept as %d bytes, ending %q", n, got[0].LastError[n-8:])
	}
	if got[2].Attempts != 1 || got[2].LastError != "" {
		t.Errorf("Fail(nil) = %+v", got[2])
	}
	// A later failure replaces the schedule: a refused message is retried later, and no
	// longer holds the others back.
	if err := s.Fail(es[1].ID, Failure{Err: errors.New("telegram: HTTP 400: Bad Request")}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Pending()
	if b := got[1]; b.Attempts != 3 || b.Retryable || !b.NextAttempt.IsZero() || b.PartsSent != 0 {
		t.Errorf("after a second failure: %+v", b)
	}
	s.Ack(es[0].ID)
	if err := s.Fail(es[0].ID, Failure{Err: errors.New("x")}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Fail of an acked entry = %v, want fs.ErrNotExist", err)
	}
	if left := tempFiles(t, dir); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestExpire(t *testing.T) {
	opts, clock, _ := testOpts()
	s := mustOpen(t, stateDir(t), opts)
	var es []Entry
	for _, age := range []time.Duration{0, time.Hour, 2 * time.Hour, 3 * time.Hour} {
		clock.Set(t0.Add(age))
		e, _ := s.Enqueue("ops", age.String())
		es = append(es, e)
	}
	clock.Set(t0.Add(3 * time.Hour))
	// Created 3h, 2h, 1h and 0h ago: "older than 1h" keeps exactly 1h.
	expired, err := s.Expire(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(expired), ids(es[:2])) {
		t.Errorf("Expire = %v, want %v", ids(expired), ids(es[:2]))
	}
	got, _ := s.Pending()
	if !slices.Equal(ids(got), ids(es[2:])) {
		t.Errorf("Pending after Expire = %v", ids(got))
	}
	if again, err := s.Expire(time.Hour); len(again) != 0 || err != nil {
		t.Errorf("second Expire = %v, %v", ids(again), err)
	}
	clock.Set(t0.Add(48 * time.Hour))
	if all, _ := s.Expire(24 * time.Hour); len(all) != 2 {
		t.Errorf("Expire a day later = %v", ids(all))
	}
	for _, bad := range []time.Duration{0, -time.Hour} {
		if _, err := s.Expire(bad); err == nil {
			t.Errorf("Expire(%v) succeeded", bad)
		}
	}
}

func TestPendingSetsAsideCorruptEntries(t *testing.T) {
	dir := stateDir(t)
	opts, _, rec := testOpts()
	s := mustOpen(t, dir, opts)
	var es []Entry
	for i := range 4 {
		e, _ := s.Enqueue("ops", i)
		es = append(es, e)
	}
	outbox := filepath.Join(dir, "outbox")
	file := func(id string) string { return filepath.Join(outbox, id+".json") }
	// es[1]: truncated; es[2]: someone else's content (wrong ID); one more file of garbage.
	data, _ := os.ReadFile(file(es[1].ID))
	os.WriteFile(file(es[1].ID), data[:len(data)/2], 0o600)
	data, _ = os.ReadFile(file(es[0].ID))
	os.WriteFile(file(es[2].ID), data, 0o600)
	junk := "00000000000000000002-ffffffffffffffff"
	os.WriteFile(file(junk), []byte("\x00\x00garbage"), 0o600)
	noPayload := "00000000000000000003-eeeeeeeeeeeeeeee"
	os.WriteFile(file(noPayload), []byte(`{"id":"`+noPayload+`","notifier":"ops","created":"2026-03-04T05:06:07Z"}`), 0o600)
	os.WriteFile(filepath.Join(outbox, "notes.txt"), []byte("not an entry"), 0o600)

	got, err := s.Pending()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), []string{es[0].ID, es[3].ID}) {
		t.Errorf("Pending = %v, want the two good entries", ids(got))
	}
	bad := []string{es[1].ID, junk, es[2].ID, noPayload}
	warns := rec.atLevel(slog.LevelWarn)
	if len(warns) != len(bad) {
		t.Fatalf("warnings = %+v", warns)
	}
	slices.Sort(bad)
	for i, id := range bad {
		moved := filepath.Join(outbox, "corrupt", id+".json")
		if _, err := os.Stat(moved); err != nil {
			t.Errorf("%s not set aside: %v", id, err)
		}
		if w := warns[i]; w.Attrs["file"] != file(id) || w.Attrs["moved_to"] != moved || w.Attrs["err"] == "" {
			t.Errorf("warning %d = %+v, want file=%s moved_to=%s and the error", i, w, file(id), moved)
		}
	}
	if _, err := os.Stat(filepath.Join(outbox, "notes.txt")); err != nil {
		t.Errorf("a file that is not an entry was touched: %v", err)
	}
	if perm(t, filepath.Join(outbox, "corrupt")) != 0o700 {
		t.Error("outbox/corrupt is not 0700")
	}

	// Set aside once: the next Pending neither warns nor loses the good entries.
	got, _ = s.Pending()
	if len(got) != 2 || len(rec.atLevel(slog.LevelWarn)) != len(bad) {
		t.Errorf("second Pending = %v, warnings %d", ids(got), len(rec.atLevel(slog.LevelWarn)))
	}
	// Fail on a corrupt entry reports it and sets it aside too.
	os.WriteFile(file(es[3].ID), []byte("{"), 0o600)
	if err := s.Fail(es[3].ID, Failure{Err: errors.New("x")}); err == nil {
		t.Error("Fail on a corrupt entry succeeded")
	}
	if _, err := os.Stat(filepath.Join(outbox, "corrupt", es[3].ID+".json")); err != nil {
		t.Errorf("corrupt entry not set aside by Fail: %v", err)
	}
}

func TestConcurrentEnqueueKeepsEachCallersOrder(t *testing.T) {
	opts, _, _ := testOpts()
	s := mustOpen(t, stateDir(t), opts)
	const writers, each = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e, err := s.Enqueue(fmt.Sprintf("n%d", w), i)
				if err != nil {
					errs <- err
					return
				}
				if i%4 == 3 {
					errs <- s.Fail(e.ID, Failure{Err: errors.New("retry")})
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.Pending()
	if len(got) != writers*each {
		t.Fatalf("Pending returned %d entries, want %d", len(got), writers*each)
	}
	next := map[string]int{}
	for _, e := range got {
		var n int
		json.Unmarshal(e.Payload, &n)
		if n != next[e.Notifier] {
			t.Fatalf("%s: entry %d came before %d", e.Notifier, n, next[e.Notifier])
		}
		next[e.Notifier]++
	}
}

// TestOpenConcurrentColdStart: cron runs started the same second each create the missing
// state directory (and its missing parents); none may fail because another created a
// level first. Each round starts the Opens together on a fresh path.
func TestOpenConcurrentColdStart(t *testing.T) {
	const rounds, opens = 100, 8
	base := t.TempDir()
	for r := range rounds {
		dir := filepath.Join(base, fmt.Sprint(r), "var", "notimon")
		start := make(chan struct{})
		errs := make(chan error, opens)
		var wg sync.WaitGroup
		for range opens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				opts, _, _ := testOpts()
				opts.LockWait = time.Minute // they take turns on the lock
				<-start
				s, err := Open(dir, opts)
				if err == nil {
					err = s.Close()
				}
				errs <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: concurrent cold Open: %v", r, err)
			}
		}
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("round %d: state directory %v, %v; want mode 0700", r, fi, err)
		}
	}
}

// TestEmpty follows the outbox through what fills and drains it, and across a reopen: a
// daemon skips its per-tick flush on Empty, so Empty must never say true while an entry
// is there.
func TestEmpty(t *testing.T) {
	dir := stateDir(t)
	opts, clock, _ := testOpts()
	s := mustOpen(t, dir, opts)
	if !s.Empty() {
		t.Error("a new outbox is not empty")
	}
	a, _ := s.Enqueue("ops", "a")
	clock.Set(t0.Add(time.Hour))
	b, _ := s.Enqueue("ops", "b")
	if s.Empty() {
		t.Fatal("empty after two Enqueues")
	}
	if err := s.Ack(a.ID); err != nil {
		t.Fatal(err)
	}
	if s.Empty() {
		t.Fatal("empty with one entry left")
	}
	s.Close()

	// Reopened: the entry left by the previous run counts.
	s = mustOpen(t, dir, opts)
	if s.Empty() {
		t.Fatal("empty after a reopen with an entry left")
	}
	clock.Set(t0.Add(3 * time.Hour))
	if expired, err := s.Expire(time.Hour); err != nil || len(expired) != 1 || expired[0].ID != b.ID {
		t.Fatalf("Expire = %v, %v", ids(expired), err)
	}
	if !s.Empty() {
		t.Error("not empty once its last entry expired")
	}

	// An entry set aside as corrupt leaves the outbox: the next listing recounts.
	c, _ := s.Enqueue("ops", "c")
	os.WriteFile(filepath.Join(dir, "outbox", c.ID+".json"), []byte("{"), 0o600)
	if s.Empty() {
		t.Fatal("empty before the corrupt entry was seen")
	}
	if got, _ := s.Pending(); len(got) != 0 {
		t.Fatalf("Pending = %v", ids(got))
	}
	if !s.Empty() {
		t.Error("not empty once its only entry was set aside")
	}
	// An entry removed behind the store's back is recounted by the next listing too.
	d, _ := s.Enqueue("ops", "d")
	os.Remove(filepath.Join(dir, "outbox", d.ID+".json"))
	if s.Empty() {
		t.Fatal("Empty trusted a listing it did not make")
	}
	s.Pending()
	if !s.Empty() {
		t.Error("not empty after a listing found nothing")
	}
}
