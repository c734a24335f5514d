//go:build linux

package store

// Tests with real second processes: the test binary re-executes itself as a helper
// (TestHelperProcess, selected by an environment variable) that holds the lock, or writes in
// a loop until it is SIGKILLed at a random moment.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	helperEnv    = "NOTIMON_STORE_HELPER"
	helperDirEnv = "NOTIMON_STORE_DIR"
)

// TestHelperProcess is not a test: it is the second process of the tests below.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper process for the multi-process tests")
	}
	dir := os.Getenv(helperDirEnv)
	code := 0
	if err := runHelper(mode, dir, os.Stdout); err != nil {
		fmt.Fprintln(os.Stdout, "ERROR", err)
		code = 1
	}
	os.Exit(code) // before the testing package prints anything
}

func runHelper(mode, dir string, out io.Writer) error {
	if mode == "perm" {
		for _, line := range permScenario(dir) {
			fmt.Fprintln(out, line)
		}
		return nil
	}
	s, err := Open(dir, Options{LockWait: 10 * time.Second})
	if err != nil {
		return err
	}
	defer s.Close()
	switch mode {
	case "hold": // hold the lock until stdin closes
		fmt.Fprintln(out, "LOCKED", os.Getpid())
		io.Copy(io.Discard, os.Stdin)
		if err := s.Close(); err != nil {
			return err
		}
		fmt.Fprintln(out, "RELEASED")
		return nil
	case "enqueue": // enqueue until killed; report each ID once Enqueue has returned
		for i := 0; ; i++ {
			e, err := s.Enqueue("ops", crashPayload(i))
			if err != nil {
				return err
			}
			fmt.Fprintln(out, "E", e.ID)
		}
	case "mixed": // enqueue, fail some, ack some, until killed
		for i := 0; ; i++ {
			e, err := s.Enqueue(fmt.Sprintf("n%d", i%3), crashPayload(i))
			if err != nil {
				return err
			}
			fmt.Fprintln(out, "E", e.ID)
			if i%3 == 0 {
				if err := s.Fail(e.ID, Failure{Err: fmt.Errorf("attempt for %d", i)}); err != nil {
					return err
				}
				fmt.Fprintln(out, "F", e.ID)
			}
			if i%2 == 0 {
				if err := s.Ack(e.ID); err != nil {
					return err
				}
				fmt.Fprintln(out, "A", e.ID)
			}
		}
	case "save": // save documents of varying size until killed; report each saved N
		var last crashDoc
		if _, err := s.Load(&last); err != nil {
			return err
		}
		for n := last.N + 1; ; n++ {
			if err := s.Save(newCrashDoc(n)); err != nil {
				return err
			}
			fmt.Fprintln(out, "S", n)
		}
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

// crashPayload is an outbox payload whose content can be checked after the crash. Sizes vary
// (up to 24 KiB) so that a kill can land inside a multi-page write.
type crashPayloadT struct {
	I      int    `json:"i"`
	Filler string `json:"filler"`
}

func crashPayload(i int) crashPayloadT {
	return crashPayloadT{I: i, Filler: strings.Repeat(string(rune('a'+i%26)), (i*7919)%(24<<10))}
}

// crashDoc is a state document that says whether it is whole: Filler's length and content
// follow from N, and Sum covers Filler.
type crashDoc struct {
	N      int    `json:"n"`
	Filler string `json:"filler"`
	Sum    uint32 `json:"sum"`
}

func newCrashDoc(n int) crashDoc {
	f := strings.Repeat(string(rune('A'+n%26)), (n*104729)%(256<<10))
	return crashDoc{N: n, Filler: f, Sum: crc32.ChecksumIEEE([]byte(f))}
}

// helper is a running helper process.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
}

func startHelper(t *testing.T, mode, dir string, configure func(*exec.Cmd)) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	if configure != nil {
		configure(cmd)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 1<<20)
	return &helper{cmd: cmd, stdin: stdin, lines: sc}
}

// expect reads the helper's next line and checks its first word.
func (h *helper) expect(t *testing.T, word string) string {
	t.Helper()
	if !h.lines.Scan() {
		t.Fatalf("helper ended before %s: %v", word, h.lines.Err())
	}
	line := h.lines.Text()
	if first, _, _ := strings.Cut(line, " "); first != word {
		t.Fatalf("helper said %q, want %s", line, word)
	}
	return line
}

func TestLockHeldByAnotherProcessFails(t *testing.T) {
	dir := stateDir(t)
	h := startHelper(t, "hold", dir, nil)
	h.expect(t, "LOCKED")

	opts, _, rec := testOpts()
	opts.LockWait = 300 * time.Millisecond
	start := time.Now()
	_, err := Open(dir, opts)
	elapsed := time.Since(start)
	want := fmt.Sprintf("another notimon (pid %d) holds %s; waited 300ms", h.cmd.Process.Pid, filepath.Join(dir, "lock"))
	if err == nil || err.Error() != want {
		t.Fatalf("Open = %v\nwant   %s", err, want)
	}
	var le *LockError
	if !errors.As(err, &le) || le.PID != h.cmd.Process.Pid {
		t.Errorf("error %#v does not carry the holder's PID", err)
	}
	if elapsed < 300*time.Millisecond || elapsed > 5*time.Second { // the upper bound only catches a hang
		t.Errorf("gave up after %v, want about 300ms", elapsed)
	}
	if infos := rec.atLevel(slog.LevelInfo); len(infos) != 1 || infos[0].Attrs["pid"] != strconv.Itoa(h.cmd.Process.Pid) {
		t.Errorf("info logs = %+v, want one saying it waits for pid %d", infos, h.cmd.Process.Pid)
	}
	h.stdin.Close()
	h.expect(t, "RELEASED")
}

func TestLockReleasedInTimeProceeds(t *testing.T) {
	dir := stateDir(t)
	h := startHelper(t, "hold", dir, nil)
	h.expect(t, "LOCKED")

	opts, _, _ := testOpts()
	opts.LockWait = 10 * time.Second
	type result struct {
		s   *Store
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		s, err := Open(dir, opts)
		done <- result{s, err, time.Now()}
	}()
	time.Sleep(400 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("Open returned while the lock was held: %v", r.err)
	default:
	}
	released := time.Now()
	h.stdin.Close()
	h.expect(t, "RELEASED")
	r := <-done
	if r.err != nil {
		t.Fatalf("Open after release: %v", r.err)
	}
	defer r.s.Close()
	t.Logf("waited %v; acquired %v after the release", r.at.Sub(start).Round(time.Millisecond), r.at.Sub(released).Round(time.Millisecond))
	if lag := r.at.Sub(released); lag > 3*time.Second { // polled every 100 ms at most; a failure bound
		t.Errorf("acquired %v after the release", lag)
	}
	pid, _ := os.ReadFile(filepath.Join(dir, "lock"))
	if strings.TrimSpace(string(pid)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file says %q, want our pid %d", pid, os.Getpid())
	}
}

func TestLockOfKilledHolderIsFree(t *testing.T) {
	dir := stateDir(t)
	h := startHelper(t, "hold", dir, nil)
	h.expect(t, "LOCKED")
	h.cmd.Process.Signal(syscall.SIGKILL)
	h.cmd.Wait()
	opts, _, _ := testOpts()
	opts.LockWait = 20 * time.Second
	start := time.Now()
	s := mustOpen(t, dir, opts)
	if el := time.Since(start); el > 5*time.Second { // a failure bound, far below the lock wait
		t.Errorf("took %v to take a dead process's lock", el)
	}
	s.Close()
}

func TestLockNotInheritedByCommands(t *testing.T) {
	dir := stateDir(t)
	opts, _, _ := testOpts()
	s := mustOpen(t, dir, opts)
	// What an exec step does: start a command that outlives the step (a restarted daemon).
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Skip("no sleep(1):", err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	s.Close()
	s2, err := Open(dir, opts) // LockWait -1: no waiting
	if err != nil {
		t.Fatalf("the command kept the lock: %v", err)
	}
	s2.Close()
}

// TestCrashDuringEnqueue kills a process that enqueues in a loop at random moments, several
// times over the same directory, and checks that every entry whose Enqueue returned is there,
// in order, whole.
func TestCrashDuringEnqueue(t *testing.T) {
	dir := stateDir(t)
	rounds := 8
	if testing.Short() {
		rounds = 3
	}
	var reported []string
	leftovers := 0
	for round := range rounds {
		h := startHelper(t, "enqueue", dir, nil)
		n := 1 + rand.IntN(60)
		for range n {
			reported = append(reported, strings.TrimPrefix(h.expect(t, "E"), "E "))
		}
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		h.cmd.Process.Signal(syscall.SIGKILL)
		for h.lines.Scan() { // written before the kill landed: those Enqueues returned too
			line := h.lines.Text()
			if id, ok := strings.CutPrefix(line, "E "); ok {
				reported = append(reported, id)
			} else if line != "" {
				t.Fatalf("round %d: helper said %q", round, line)
			}
		}
		h.cmd.Wait()
		leftovers += len(tempFiles(t, dir))
	}
	t.Logf("%d rounds, %d entries reported, %d temp files left by the kills", rounds, len(reported), leftovers)

	opts, _, rec := testOpts()
	s := mustOpen(t, dir, opts)
	got, err := s.Pending()
	if err != nil {
		t.Fatal(err)
	}
	checkSubsequence(t, ids(got), reported, rounds)
	for _, e := range got {
		var p crashPayloadT
		if err := json.Unmarshal(e.Payload, &p); err != nil || !reflectEqual(p, crashPayload(p.I)) {
			t.Fatalf("entry %s holds a damaged payload (%v)", e.ID, err)
		}
	}
	checkNoDamage(t, dir, rec)
}

// checkSubsequence checks that every reported ID is among got, in the same order, and that
// got holds at most `slack` others (an Enqueue killed after its rename, before it reported).
func checkSubsequence(t *testing.T, got, reported []string, slack int) {
	t.Helper()
	if !slices.IsSorted(got) {
		t.Errorf("Pending is not in name order")
	}
	i := 0
	for _, id := range got {
		if i < len(reported) && id == reported[i] {
			i++
		}
	}
	if i != len(reported) {
		t.Fatalf("entry %s (#%d of %d reported) is missing or out of order; Pending has %d", reported[i], i, len(reported), len(got))
	}
	if extra := len(got) - len(reported); extra < 0 || extra > slack {
		t.Errorf("Pending has %d entries that were never reported, want at most %d", extra, slack)
	}
}

func checkNoDamage(t *testing.T, dir string, rec *logRecorder) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "outbox", "corrupt")); err == nil {
		des, _ := os.ReadDir(filepath.Join(dir, "outbox", "corrupt"))
		t.Errorf("%d outbox files did not parse", len(des))
	}
	if w := rec.atLevel(slog.LevelWarn); len(w) > 0 {
		t.Errorf("warnings: %+v", w)
	}
	if left := tempFiles(t, dir); len(left) != 0 {
		t.Errorf("Open did not remove temp files: %v", left)
	}
}

func reflectEqual(a, b crashPayloadT) bool { return a == b }

// TestCrashDuringMixedOperations kills a process that enqueues, fails and acks: every reported
// Enqueue not reported acked is there, every reported Ack is gone, every reported Fail counted.
func TestCrashDuringMixedOperations(t *testing.T) {
	dir := stateDir(t)
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	var enqueued []string
	acked, failed := map[string]bool{}, map[string]bool{}
	inFlight := map[string]bool{} // the last entry each round enqueued: its Ack may have run unreported
	for round := range rounds {
		h := startHelper(t, "mixed", dir, nil)
		n := 1 + rand.IntN(80)
		read := func(line string) {
			verb, id, _ := strings.Cut(line, " ")
			switch verb {
			case "E":
				enqueued = append(enqueued, id)
			case "A":
				acked[id] = true
			case "F":
				failed[id] = true
			case "":
			default:
				t.Fatalf("round %d: helper said %q", round, line)
			}
		}
		for range n {
			if !h.lines.Scan() {
				t.Fatalf("helper ended: %v", h.lines.Err())
			}
			read(h.lines.Text())
		}
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		h.cmd.Process.Signal(syscall.SIGKILL)
		for h.lines.Scan() {
			read(h.lines.Text())
		}
		h.cmd.Wait()
		inFlight[enqueued[len(enqueued)-1]] = true
	}
	opts, _, rec := testOpts()
	s := mustOpen(t, dir, opts)
	got, err := s.Pending()
	if err != nil {
		t.Fatal(err)
	}
	present := map[string]Entry{}
	for _, e := range got {
		present[e.ID] = e
	}
	reported := map[string]bool{}
	for _, id := range enqueued {
		reported[id] = true
	}
	// Order: the reported entries still present come back in the order they were enqueued.
	// (Sequence numbers above the highest remaining entry are reused after it is acked, with
	// a new suffix, so the reported IDs alone need not sort.)
	var gotReported, wantOrder []string
	for _, e := range got {
		if reported[e.ID] {
			gotReported = append(gotReported, e.ID)
		}
	}
	for _, id := range enqueued {
		if _, ok := present[id]; ok {
			wantOrder = append(wantOrder, id)
		}
	}
	if !slices.Equal(gotReported, wantOrder) || !slices.IsSorted(ids(got)) {
		t.Errorf("Pending order %v\nwant enqueue order %v", gotReported, wantOrder)
	}
	for _, id := range enqueued {
		_, ok := present[id]
		switch {
		case acked[id] && ok:
			t.Errorf("acked entry %s came back", id)
		case !acked[id] && !ok && !inFlight[id]:
			t.Errorf("entry %s was enqueued, never acked, and is gone", id)
		}
		if e := present[id]; ok && failed[id] && (e.Attempts != 1 || !strings.HasPrefix(e.LastError, "attempt for ")) {
			t.Errorf("failed entry %s: attempts %d, last error %q", id, e.Attempts, e.LastError)
		}
	}
	unreported := 0
	for _, e := range got {
		if !reported[e.ID] {
			unreported++
		}
	}
	if unreported > rounds {
		t.Errorf("%d entries never reported, want at most one per kill (%d)", unreported, rounds)
	}
	t.Logf("%d rounds: %d enqueued, %d acked, %d failed reported; %d pending", rounds, len(enqueued), len(acked), len(failed), len(got))
	checkNoDamage(t, dir, rec)
}

// TestCrashDuringSave kills a process that saves documents of changing size in a loop: Load
// must then return a whole document, the last one reported or the one after it.
func TestCrashDuringSave(t *testing.T) {
	dir := stateDir(t)
	rounds := 8
	if testing.Short() {
		rounds = 3
	}
	leftovers := 0
	for round := range rounds {
		h := startHelper(t, "save", dir, nil)
		n := 1 + rand.IntN(40)
		last := 0
		for range n {
			last, _ = strconv.Atoi(strings.TrimPrefix(h.expect(t, "S"), "S "))
		}
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		h.cmd.Process.Signal(syscall.SIGKILL)
		for h.lines.Scan() {
			if v, ok := strings.CutPrefix(h.lines.Text(), "S "); ok {
				last, _ = strconv.Atoi(v)
			}
		}
		h.cmd.Wait()
		leftovers += len(tempFiles(t, dir))

		opts, _, rec := testOpts()
		s := mustOpen(t, dir, opts)
		var doc crashDoc
		found, err := s.Load(&doc)
		if !found || err != nil {
			t.Fatalf("round %d: Load = %v, %v (warnings %+v)", round, found, err, rec.recs)
		}
		if doc != newCrashDoc(doc.N) {
			t.Fatalf("round %d: torn document: n=%d, %d filler bytes", round, doc.N, len(doc.Filler))
		}
		if doc.N != last && doc.N != last+1 {
			t.Fatalf("round %d: Load returned document %d, last reported %d", round, doc.N, last)
		}
		checkNoDamage(t, dir, rec)
		if des, _ := os.ReadDir(dir); slices.ContainsFunc(des, func(de os.DirEntry) bool { return strings.Contains(de.Name(), "corrupt") }) {
			t.Fatalf("round %d: a state file was set aside", round)
		}
		s.Close()
	}
	t.Logf("%d rounds, %d temp files left by the kills", rounds, leftovers)
}

// permScenario exercises permission problems and returns one line per case. It runs in this
// process when the tests are not root, and in a helper running as nobody when they are (root
// ignores file modes). base must contain "readonly" (not writable by the caller) and "mine"
// (owned by the caller, mode 0700).
func permScenario(base string) []string {
	var out []string
	say := func(name string, err error) { out = append(out, fmt.Sprintf("%s: %v", name, err)) }
	opts := Options{LockWait: -1, Now: func() time.Time { return t0 }}

	_, err := Open(filepath.Join(base, "readonly"), opts)
	say("open-readonly", err)
	_, err = Open(filepath.Join(base, "readonly", "sub"), opts)
	say("open-under-readonly", err)

	mine := filepath.Join(base, "mine")
	s, err := Open(mine, opts)
	if err != nil {
		say("open-mine", err)
		return out
	}
	defer s.Close()
	// An unreadable state file is set aside like a corrupt one.
	os.WriteFile(filepath.Join(mine, "state.json"), []byte(`{"n":1}`), 0o000)
	var v map[string]any
	found, err := s.Load(&v)
	_, aside := os.Stat(filepath.Join(mine, "state.json.corrupt-20260304T050607Z"))
	say(fmt.Sprintf("load-unreadable-file found=%v aside=%v", found, aside == nil), err)
	// A corrupt file in a directory that refuses the rename is an error.
	os.WriteFile(filepath.Join(mine, "state.json"), []byte(`{`), 0o600)
	os.Chmod(mine, 0o500)
	found, err = s.Load(&v)
	say(fmt.Sprintf("load-readonly-dir found=%v", found), err)
	say("save-readonly-dir", s.Save(v))
	os.Chmod(mine, 0o700)
	return out
}

func TestPermissionErrors(t *testing.T) {
	base, err := os.MkdirTemp("", "notimon-store-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(base, "mine"), 0o700); os.RemoveAll(base) })
	mine := filepath.Join(base, "mine")
	readonly := filepath.Join(base, "readonly")
	os.Mkdir(mine, 0o700)
	os.Mkdir(readonly, 0o755)

	var lines []string
	if os.Geteuid() != 0 {
		os.Chmod(readonly, 0o555)
		defer os.Chmod(readonly, 0o755)
		lines = permScenario(base)
	} else {
		// Root ignores modes: run the scenario as nobody, from a copy of the test binary
		// that nobody can reach.
		const nobody = 65534
		os.Chmod(base, 0o755)
		os.Chown(mine, nobody, nobody)
		bin := filepath.Join(base, "store.test")
		data, err := os.ReadFile(os.Args[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), helperEnv+"=perm", helperDirEnv+"="+base)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		cmd.Dir = base
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Skipf("cannot run the scenario as nobody (%v): %s", err, out)
		}
		lines = strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	for _, l := range lines {
		t.Log(l)
	}
	want := []struct{ prefix, contains string }{
		{"open-readonly: ", "state directory " + readonly + " is not writable by uid"},
		{"open-under-readonly: ", "mkdir " + filepath.Join(readonly, "sub") + ": permission denied"},
		{"load-unreadable-file found=false aside=true: ", "<nil>"},
		{"load-readonly-dir found=false: ", filepath.Join(mine, "state.json") + " is unusable"},
		{"save-readonly-dir: ", "save state in " + mine},
	}
	if len(lines) != len(want) {
		t.Fatalf("scenario said %q", lines)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w.prefix) || !strings.Contains(lines[i], w.contains) {
			t.Errorf("got  %q\nwant %q…%q", lines[i], w.prefix, w.contains)
		}
		if i != 2 && !strings.Contains(lines[i], "permission denied") {
			t.Errorf("%q does not say permission denied", lines[i])
		}
	}
}
