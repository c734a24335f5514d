package store

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unicode/utf8"
)

// Entry is one notification waiting in the outbox.
type Entry struct {
	// ID names the entry's file: a 20-digit sequence number and a random suffix, so IDs
	// sort in enqueue order and are not reused after the queue drains.
	ID        string    `json:"id"`
	Notifier  string    `json:"notifier"`
	Created   time.Time `json:"created"` // from Options.Now, in UTC
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	// NextAttempt is when the entry may be tried again (zero: now): the sender's retry
	// schedule, kept here so that it holds across restarts and cron runs.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// Retryable says the last failure may pass with time (an outage, flood control); the
	// sender then keeps the notifier's later entries waiting behind this one, in order.
	Retryable bool `json:"retryable,omitempty"`
	// PartsSent of Parts is how far earlier attempts got with a message its notifier sends
	// in parts (a long Telegram message), so that a retry can send only the rest.
	PartsSent int             `json:"parts_sent,omitempty"`
	Parts     int             `json:"parts,omitempty"`
	Payload   json.RawMessage `json:"payload"`
}

// Failure is one failed delivery attempt, as Fail records it.
type Failure struct {
	Err         error     // why; its text (already redacted by the caller) becomes LastError
	NextAttempt time.Time // when to try again; zero: at once
	Retryable   bool      // the failure may pass with time (see Entry.Retryable)
	// PartsSent of Parts is the progress through a message sent in parts, over all
	// attempts (see Entry.PartsSent).
	PartsSent, Parts int
}

const (
	seqDigits    = 20 // enough for any uint64
	suffixBytes  = 8
	entryExt     = ".json"
	entryNameLen = seqDigits + 1 + 2*suffixBytes + len(entryExt)
	// maxLastError bounds LastError: a notifier that answers with an HTML error page should
	// not make every rewrite of the entry carry it.
	maxLastError = 2048
)

// parseEntryName returns the sequence number of an outbox file name, and whether the name is
// one (temp files, the corrupt directory and strangers are not).
func parseEntryName(name string) (uint64, bool) {
	if len(name) != entryNameLen || name[seqDigits] != '-' || name[entryNameLen-len(entryExt):] != entryExt {
		return 0, false
	}
	seq, err := strconv.ParseUint(name[:seqDigits], 10, 64)
	if err != nil {
		return 0, false
	}
	for _, c := range name[seqDigits+1 : entryNameLen-len(entryExt)] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return 0, false
		}
	}
	return seq, true
}

// entryPath checks that id is an outbox ID (and so cannot name a path elsewhere).
func (s *Store) entryPath(id string) (string, error) {
	if _, ok := parseEntryName(id + entryExt); !ok {
		return "", fmt.Errorf("outbox: %q is not an entry ID", id)
	}
	return filepath.Join(s.outbox, id+entryExt), nil
}

// Enqueue adds a notification for notifier, encoding payload with encoding/json (pass a
// json.RawMessage to store bytes as they are). When it returns nil the entry is on disk,
// fsync'd, and will be returned by Pending, in this process or the next, until Ack or Expire
// removes it.
func (s *Store) Enqueue(notifier string, payload any) (Entry, error) {
	if notifier == "" {
		return Entry{}, errors.New("outbox: enqueue: empty notifier name")
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return Entry{}, fmt.Errorf("outbox: enqueue for %q: %w", notifier, err)
	}
	var suffix [suffixBytes]byte
	rand.Read(suffix[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return Entry{}, ErrClosed
	}
	s.seq++
	e := Entry{
		ID:       fmt.Sprintf("%0*d-%s", seqDigits, s.seq, hex.EncodeToString(suffix[:])),
		Notifier: notifier,
		Created:  s.now().UTC(),
		Payload:  raw,
	}
	if err := s.writeEntry(e); err != nil {
		return Entry{}, fmt.Errorf("outbox: enqueue for %q: %w", notifier, err)
	}
	s.entries++
	return e, nil
}

// Empty reports whether the outbox is known to hold no entry, without reading the
// directory: a daemon asks it every tick, to skip a flush that would find nothing. The
// count behind it is kept by this process (the only writer while it holds the lock) and
// recounted by every Pending and Expire, so false may mean an entry that has just been set
// aside, never the other way round.
func (s *Store) Empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries <= 0
}

func (s *Store) writeEntry(e Entry) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return writeFileAtomic(s.outbox, e.ID+entryExt, append(data, '\n'))
}

// Pending returns every entry in enqueue order, which is also each notifier's order. A file
// that cannot be parsed is moved to outbox/corrupt/ with a warning and skipped, so one bad
// file never holds up the notifications behind it.
func (s *Store) Pending() ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return nil, ErrClosed
	}
	return s.pending()
}

func (s *Store) pending() ([]Entry, error) {
	des, err := os.ReadDir(s.outbox) // sorted by name: enqueue order
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	var out []Entry
	for i, de := range des {
		id, ok := entryID(de.Name())
		if !ok {
			continue
		}
		e, err := s.readEntry(id)
		if err != nil {
			if transient(err) {
				// This entry and those after it are still there, unread.
				s.entries = len(out) + countEntries(des[i:])
				return nil, fmt.Errorf("outbox: %w", err)
			}
			continue // set aside by readEntry (or gone)
		}
		out = append(out, e)
	}
	s.entries = len(out)
	return out, nil
}

// countEntries counts the outbox entry names among des.
func countEntries(des []os.DirEntry) int {
	n := 0
	for _, de := range des {
		if _, ok := parseEntryName(de.Name()); ok {
			n++
		}
	}
	return n
}

func entryID(name string) (string, bool) {
	if _, ok := parseEntryName(name); !ok {
		return "", false
	}
	return name[:len(name)-len(entryExt)], true
}

// readEntry reads and checks one entry file. A file that exists but is unusable is moved to
// outbox/corrupt/ (with a warning) and reported as an error.
func (s *Store) readEntry(id string) (Entry, error) {
	path := filepath.Join(s.outbox, id+entryExt)
	data, err := os.ReadFile(path)
	if err != nil && (os.IsNotExist(err) || transient(err)) {
		return Entry{}, err
	}
	var e Entry
	if err == nil {
		err = json.Unmarshal(data, &e)
	}
	if err == nil {
		switch {
		case e.ID != id:
			err = fmt.Errorf("entry says its ID is %q", e.ID)
		case e.Notifier == "":
			err = errors.New("entry names no notifier")
		case len(e.Payload) == 0 || string(e.Payload) == "null":
			err = errors.New("entry has no payload")
		case e.Created.IsZero():
			err = errors.New("entry has no creation time")
		}
	}
	if err == nil {
		return e, nil
	}
	s.quarantine(path, err)
	return Entry{}, fmt.Errorf("outbox entry %s is unusable: %w", id, err)
}

// quarantine moves an unusable entry file to outbox/corrupt/, keeping its name.
func (s *Store) quarantine(path string, reason error) {
	dir := filepath.Join(s.outbox, corruptDir)
	err := os.Mkdir(dir, 0o700)
	if err == nil {
		err = syncDir(s.outbox)
	} else if os.IsExist(err) {
		err = nil
	}
	moved := ""
	if err == nil {
		moved, err = moveAside(path, filepath.Join(dir, filepath.Base(path)))
	}
	if err != nil {
		// Still skipped by this Pending; it will be tried again by the next.
		s.log.Error("outbox entry unusable and cannot be set aside; skipping it",
			"file", path, "err", reason, "move_err", err)
		return
	}
	s.log.Warn("outbox entry unusable; set aside", "file", path, "moved_to", moved, "err", reason)
}

// Ack removes a delivered entry. It is the only way an entry leaves the outbox short of
// Expire, which makes delivery at-least-once: a process killed after the notifier accepted
// the message but before Ack returned sends it once more on the next run. An unknown ID
// (already acked or expired) is an error that matches fs.ErrNotExist.
func (s *Store) Ack(id string) error {
	path, err := s.entryPath(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return ErrClosed
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("outbox: ack %s: %w", id, err)
	}
	s.entries--
	if err := syncDir(s.outbox); err != nil {
		return fmt.Errorf("outbox: ack %s: %w", id, err)
	}
	return nil
}

// Queued reports whether the entry id is still in the outbox (not delivered, dropped or
// expired yet).
func (s *Store) Queued(id string) (bool, error) {
	path, err := s.entryPath(id)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return false, ErrClosed
	}
	switch _, err := os.Stat(path); {
	case err == nil:
		return true, nil
	case os.IsNotExist(err):
		return false, nil
	default:
		return false, fmt.Errorf("outbox: %w", err)
	}
}

// Fail records a failed delivery attempt: Attempts goes up by one, LastError becomes the
// failure's text (cut to 2 KiB), and the schedule and progress are the failure's. The entry
// keeps its place in the queue. The rewrite is atomic and durable, so a crash keeps either
// the old record or the new one.
func (s *Store) Fail(id string, f Failure) error {
	if _, err := s.entryPath(id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return ErrClosed
	}
	e, err := s.readEntry(id)
	if err != nil {
		return fmt.Errorf("outbox: fail %s: %w", id, err)
	}
	e.Attempts++
	e.LastError = ""
	if f.Err != nil {
		e.LastError = truncateUTF8(f.Err.Error(), maxLastError)
	}
	e.NextAttempt, e.Retryable = f.NextAttempt.UTC(), f.Retryable
	e.PartsSent, e.Parts = f.PartsSent, f.Parts
	if err := s.writeEntry(e); err != nil {
		return fmt.Errorf("outbox: fail %s: %w", id, err)
	}
	return nil
}

// Expire removes and returns the entries created more than maxAge ago: a notification that
// could not be delivered for that long is stale, and the caller logs each one loudly. An
// entry is removed durably before it is returned.
func (s *Store) Expire(maxAge time.Duration) ([]Entry, error) {
	if maxAge <= 0 {
		return nil, fmt.Errorf("outbox: expire: max age must be positive, got %s", maxAge)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return nil, ErrClosed
	}
	entries, err := s.pending()
	if err != nil {
		return nil, err
	}
	cutoff := s.now().Add(-maxAge)
	var expired []Entry
	var errs []error
	for _, e := range entries {
		if !e.Created.Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(s.outbox, e.ID+entryExt)); err != nil {
			errs = append(errs, err)
			continue
		}
		s.entries--
		expired = append(expired, e)
	}
	if len(expired) > 0 {
		if err := syncDir(s.outbox); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return expired, fmt.Errorf("outbox: expire: %w", err)
	}
	return expired, nil
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
