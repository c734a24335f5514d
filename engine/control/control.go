package control

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/internal/glob"
)

const (
	silencesFile = "silences.json"
	acksFile     = "acks.json"
	lockFile     = "control.lock"
	fileVersion  = 1
)

// Retention is how long an ended silence stays listed (`silence list`, the status page)
// before a write prunes it.
const Retention = 24 * time.Hour

// LockWait bounds how long a writer waits for another writer: they hold the lock for
// milliseconds, so running out means a process hung while holding it.
const LockWait = 5 * time.Second

// Matcher selects rules: by a glob on the name (internal/glob: *, ?, [a-z]), or by one
// label's exact value.
type Matcher struct {
	Rule  string `json:"rule,omitempty"`  // glob (internal/glob) on the rule name
	Label string `json:"label,omitempty"` // with Value: labels[Label] == Value
	Value string `json:"value,omitempty"`
}

// Matches reports whether the rule called rule, with labels, is selected by m.
func (m Matcher) Matches(rule string, labels map[string]string) bool {
	if m.Rule != "" {
		ok, err := glob.Match(m.Rule, rule)
		return ok && err == nil
	}
	v, ok := labels[m.Label]
	return ok && v == m.Value
}

func (m Matcher) String() string {
	if m.Rule != "" {
		return "rule=" + m.Rule
	}
	return m.Label + "=" + m.Value
}

// Validate says what is wrong with m.
func (m Matcher) Validate() error {
	switch {
	case m.Rule != "" && m.Label != "":
		return fmt.Errorf("matcher %q: a matcher is either a rule glob or a label, not both", m.String())
	case m.Rule != "":
		if _, err := glob.Match(m.Rule, ""); err != nil {
			return fmt.Errorf("rule glob %q: %w (globs use *, ? and [a-z])", m.Rule, err)
		}
	case m.Label != "":
		if strings.IndexFunc(m.Label, func(r rune) bool { return r == '=' || unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			return fmt.Errorf("label %q: a label name has no '=', spaces or control characters", m.Label)
		}
	default:
		if m.Value != "" {
			return fmt.Errorf("label value %q without a label name", m.Value)
		}
		return errors.New("empty matcher: give a rule glob or a label")
	}
	return nil
}

// ParseLabel parses KEY=VALUE (the CLI's --label) into a label matcher.
func ParseLabel(s string) (Matcher, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return Matcher{}, fmt.Errorf("label %q: want KEY=VALUE, e.g. team=web", s)
	}
	m := Matcher{Label: k, Value: v}
	return m, m.Validate()
}

// Silence holds back the notifications of the rules its matchers select between StartsAt and
// EndsAt (or ExpiredAt, when expired early). The rules are still evaluated and move through
// their lifecycle; exec steps still run unless NoExec.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  []Matcher `json:"matchers"` // all must match
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Comment   string    `json:"comment,omitempty"`
	By        string    `json:"by,omitempty"`
	NoExec    bool      `json:"no_exec,omitempty"`
	ExpiredAt time.Time `json:"expired_at,omitzero"` // set by ExpireSilence
}

// End is when the silence stops holding anything back: EndsAt, or ExpiredAt if earlier.
func (s Silence) End() time.Time {
	if !s.ExpiredAt.IsZero() && s.ExpiredAt.Before(s.EndsAt) {
		return s.ExpiredAt
	}
	return s.EndsAt
}

// Active reports whether the silence holds notifications back at now.
func (s Silence) Active(now time.Time) bool {
	return !now.Before(s.StartsAt) && now.Before(s.End())
}

// Matches reports whether every matcher selects the rule (a silence without matchers
// selects nothing).
func (s Silence) Matches(rule string, labels map[string]string) bool {
	if len(s.Matchers) == 0 {
		return false
	}
	for _, m := range s.Matchers {
		if !m.Matches(rule, labels) {
			return false
		}
	}
	return true
}

// Status is "active", "pending" (starts later) or "expired" at now.
func (s Silence) Status(now time.Time) string {
	switch {
	case s.Active(now):
		return "active"
	case now.Before(s.StartsAt):
		return "pending"
	}
	return "expired"
}

// Describe is the silence in a few words, for logs, explain and messages:
// `silence 1a2b3c4d (rule=web*, by alice: "deploy") until 15:04 UTC`.
func (s Silence) Describe() string {
	ms := make([]string, len(s.Matchers))
	for i, m := range s.Matchers {
		ms[i] = m.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "silence %s (%s", s.ID, strings.Join(ms, " "))
	if s.By != "" {
		fmt.Fprintf(&b, ", by %s", s.By)
	}
	if s.Comment != "" {
		fmt.Fprintf(&b, ": %q", s.Comment)
	}
	fmt.Fprintf(&b, ") until %s", s.End().UTC().Format(time.RFC3339))
	if s.NoExec {
		b.WriteString(", exec steps too")
	}
	return b.String()
}

// Validate says what is wrong with s (ID aside).
func (s Silence) Validate() error {
	if len(s.Matchers) == 0 {
		return errors.New("silence: no matcher: give at least one rule glob or label")
	}
	var errs []error
	for _, m := range s.Matchers {
		if err := m.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case s.EndsAt.IsZero():
		errs = append(errs, errors.New("silence: no end time (give a positive duration)"))
	case !s.EndsAt.After(s.StartsAt):
		errs = append(errs, fmt.Errorf("silence: duration %s is not positive", s.EndsAt.Sub(s.StartsAt)))
	}
	return errors.Join(errs...)
}

// Ack acknowledges the incident of a firing rule: its repeats stop until it resolves.
type Ack struct {
	Rule    string    `json:"rule"`
	By      string    `json:"by,omitempty"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
	// FiringSince is when the acknowledged incident started firing: an ack never carries
	// over to a later incident of the same rule.
	FiringSince time.Time `json:"firing_since,omitzero"`
}

// Describe is the ack in a few words: `acked by alice at … ("looking")`.
func (a Ack) Describe() string {
	s := "acked"
	if a.By != "" {
		s += " by " + a.By
	}
	s += " at " + a.At.UTC().Format(time.RFC3339)
	if a.Comment != "" {
		s += fmt.Sprintf(" (%q)", a.Comment)
	}
	return s
}

// Set is what the engine reads: every silence still listed and every ack, by rule.
type Set struct {
	Silences []Silence
	Acks     map[string]Ack
}

// Silencing returns the silences active at now that select the rule, in file order.
func (c Set) Silencing(rule string, labels map[string]string, now time.Time) []Silence {
	var out []Silence
	for _, s := range c.Silences {
		if s.Active(now) && s.Matches(rule, labels) {
			out = append(out, s)
		}
	}
	return out
}

// Ack returns the ack of the rule's incident that started firing at firingSince.
func (c Set) Ack(rule string, firingSince time.Time) (Ack, bool) {
	a, ok := c.Acks[rule]
	if !ok || (!a.FiringSince.IsZero() && !a.FiringSince.Equal(firingSince)) {
		return Ack{}, false
	}
	return a, true
}

type silencesDoc struct {
	Version  int       `json:"version"`
	Silences []Silence `json:"silences"`
}

type acksDoc struct {
	Version int            `json:"version"`
	Acks    map[string]Ack `json:"acks"`
}

// AddSilence validates s, gives it a new ID and stores it. A zero StartsAt means now.
func AddSilence(dir string, s Silence, now time.Time) (Silence, error) {
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	if err := s.Validate(); err != nil {
		return Silence{}, err
	}
	err := update(dir, silencesFile, func() error {
		doc, err := readSilences(dir)
		if err != nil {
			return err
		}
		doc.Silences = prune(doc.Silences, now)
		if s.ID, err = newID(doc.Silences); err != nil {
			return err
		}
		s.ExpiredAt = time.Time{}
		doc.Silences = append(doc.Silences, s)
		return write(dir, silencesFile, doc)
	})
	if err != nil {
		return Silence{}, err
	}
	return s, nil
}

// ExpireSilence ends the silence id at now. Expiring a silence that has already ended is an
// error that says when it ended.
func ExpireSilence(dir, id string, now time.Time) (Silence, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	var out Silence
	err := update(dir, silencesFile, func() error {
		doc, err := readSilences(dir)
		if err != nil {
			return err
		}
		doc.Silences = prune(doc.Silences, now)
		i := slices.IndexFunc(doc.Silences, func(s Silence) bool { return s.ID == id })
		if i < 0 {
			return unknownSilence(id, doc.Silences, now)
		}
		s := &doc.Silences[i]
		if !now.Before(s.End()) {
			return fmt.Errorf("silence %s already ended at %s", id, s.End().UTC().Format(time.RFC3339))
		}
		s.ExpiredAt = now
		out = *s
		return write(dir, silencesFile, doc)
	})
	return out, err
}

func unknownSilence(id string, list []Silence, now time.Time) error {
	var ids []string
	for _, s := range list {
		if now.Before(s.End()) {
			ids = append(ids, s.ID)
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("no silence %q (there are no active silences)", id)
	}
	return fmt.Errorf("no silence %q (active or pending: %s)", id, strings.Join(ids, ", "))
}

// Silences returns the silences of dir that are active, pending, or ended less than
// Retention ago, ordered by start.
func Silences(dir string, now time.Time) ([]Silence, error) {
	doc, err := readSilences(dir)
	if err != nil {
		return nil, err
	}
	list := prune(doc.Silences, now)
	sort.SliceStable(list, func(i, j int) bool { return list[i].StartsAt.Before(list[j].StartsAt) })
	return list, nil
}

// prune drops the silences that ended more than Retention before now.
func prune(list []Silence, now time.Time) []Silence {
	out := list[:0:0]
	for _, s := range list {
		if now.Sub(s.End()) <= Retention {
			out = append(out, s)
		}
	}
	return out
}

// RuleState is the part of a rule's state AckRule checks.
type RuleState struct {
	State       string    `json:"state"`
	Since       time.Time `json:"since"`
	FiringSince time.Time `json:"firing_since,omitzero"`
}

// RuleStates reads the rules' states from the state document of dir (without its lock):
// found is false when no run has written one yet.
func RuleStates(dir string) (states map[string]RuleState, found bool, err error) {
	var doc struct {
		Rules map[string]RuleState `json:"rules"`
	}
	found, err = store.NewReader(dir).Load(&doc)
	return doc.Rules, found, err
}

// AckRule acknowledges the current incident of rule, which must be firing in the state of dir.
func AckRule(dir, rule, by, comment string, now time.Time) (Ack, error) {
	rule = strings.TrimSpace(rule)
	if rule == "" {
		return Ack{}, errors.New("ack: no rule name")
	}
	states, found, err := RuleStates(dir)
	if err != nil {
		return Ack{}, fmt.Errorf("ack %s: %w", rule, err)
	}
	if !found {
		return Ack{}, fmt.Errorf("ack %s: no state in %s yet: nothing is firing", rule, dir)
	}
	st, ok := states[rule]
	if !ok {
		names := make([]string, 0, len(states))
		for n := range states {
			names = append(names, n)
		}
		sort.Strings(names)
		return Ack{}, fmt.Errorf("ack %s: no rule %q in the state of %s (rules: %s)", rule, rule, dir, strings.Join(names, ", "))
	}
	if st.State != "firing" {
		return Ack{}, fmt.Errorf("ack %s: the rule is not firing (%s since %s); only a firing rule can be acknowledged",
			rule, st.State, st.Since.UTC().Format(time.RFC3339))
	}
	a := Ack{Rule: rule, By: by, Comment: comment, At: now, FiringSince: st.FiringSince}
	err = update(dir, acksFile, func() error {
		doc, err := readAcks(dir)
		if err != nil {
			return err
		}
		doc.Acks[rule] = a
		return write(dir, acksFile, doc)
	})
	if err != nil {
		return Ack{}, err
	}
	return a, nil
}

// Acks returns the acks of dir, by rule.
func Acks(dir string) (map[string]Ack, error) {
	doc, err := readAcks(dir)
	return doc.Acks, err
}

// ClearAck removes the ack of rule if it acknowledges the incident that started firing at
// firingSince (or any incident, when firingSince is zero): the engine calls it when the rule
// resolves. Clearing an ack that is not there does nothing.
func ClearAck(dir, rule string, firingSince time.Time) error {
	doc, err := readAcks(dir)
	if err != nil {
		return err
	}
	if _, ok := doc.Acks[rule]; !ok {
		return nil // the common case costs no lock
	}
	return update(dir, acksFile, func() error {
		doc, err := readAcks(dir)
		if err != nil {
			return err
		}
		a, ok := doc.Acks[rule]
		if !ok || (!firingSince.IsZero() && !a.FiringSince.IsZero() && !a.FiringSince.Equal(firingSince)) {
			return nil
		}
		delete(doc.Acks, rule)
		return write(dir, acksFile, doc)
	})
}

// update runs fn under the control lock of dir, creating dir if needed.
func update(dir, name string, fn func() error) error {
	if dir == "" {
		return errors.New("state directory: empty path")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	l, err := store.LockFile(filepath.Join(dir, lockFile), LockWait)
	if err != nil {
		return err
	}
	defer l.Unlock()
	_ = store.RemoveParts(dir, name) // left by a writer that died; harmless if they stay
	return fn()
}

func write(dir, name string, doc any) error {
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := store.WriteFile(dir, name, append(data, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}

func readSilences(dir string) (silencesDoc, error) {
	doc := silencesDoc{Version: fileVersion}
	err := readDoc(filepath.Join(dir, silencesFile), &doc)
	return doc, err
}

func readAcks(dir string) (acksDoc, error) {
	doc := acksDoc{Version: fileVersion}
	err := readDoc(filepath.Join(dir, acksFile), &doc)
	if doc.Acks == nil {
		doc.Acks = map[string]Ack{}
	}
	return doc, err
}

// readDoc decodes the file at p into doc; a missing file leaves doc as it is. A file that
// does not decode is an error naming it: the operator's silences are not thrown away.
func readDoc(p string, doc any) error {
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	return decode(p, data, doc)
}

func decode(p string, data []byte, doc any) error {
	var v struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("%s is unusable (%w); fix or remove it", p, err)
	}
	if v.Version != fileVersion {
		return fmt.Errorf("%s has version %d; this notimon reads version %d", p, v.Version, fileVersion)
	}
	if err := json.Unmarshal(data, doc); err != nil {
		return fmt.Errorf("%s is unusable (%w); fix or remove it", p, err)
	}
	return nil
}

// newID returns 8 hex digits that no silence in list has.
func newID(list []Silence) (string, error) {
	for range 100 {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		id := hex.EncodeToString(b[:])
		if !slices.ContainsFunc(list, func(s Silence) bool { return s.ID == id }) {
			return id, nil
		}
	}
	return "", errors.New("cannot find a free silence id")
}
