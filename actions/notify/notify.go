// Package notify defines the contract every notifier kind implements (one method that
// makes one attempt to deliver a rendered Message), and what they share: how a failed
// attempt says whether and when to try again (the retryable bool, RetryAfterError,
// PartialError), header safety, and the redaction of secrets from errors. Each kind lives
// in a folder of its own below this one.
//
// A notifier never retries and never sleeps: whoever calls it owns the retry schedule. For
// alerts that is the engine's outbox (backoff per notifier, kept in the state directory, so
// a stop never waits on a retry); for `notimon send`, a short loop of its own.
package notify

import (
	"context"
	"time"
)

// Message is one rendered notification and the alert it belongs to.
type Message struct {
	Notifier string            // the notifier's name in the rules
	Rule     string            // the rule's name
	State    string            // "firing", "resolved", or "" for a message sent by hand
	Severity string            // the rule's severity
	Labels   map[string]string // the rule's labels
	Host     string            // host.name
	Text     string            // the rendered message, placeholders already escaped for the notifier
	// Title is the notifier's title template (an email's subject, an ntfy title: the
	// kind's spec.TypeTemplate attribute) rendered for this message, placeholders not
	// escaped, made one line by HeaderValue; "" for a message sent by hand.
	Title string `json:",omitempty"`
	// Values are the probe fields the rule's condition read, by path ("cpu.avg3").
	Values map[string]any
	Time   time.Time // when the tick that produced the message ran
	// StartsAt is when the rule started firing; EndsAt when it resolved (zero while firing).
	StartsAt time.Time
	EndsAt   time.Time
	// Link is the web page of the alert's rule on this host's status page, when notimon
	// serves one (a server block); "" otherwise.
	Link string `json:",omitempty"`
	// Resume is what earlier attempts delivered of a message sent in parts (from their
	// PartialError): a notifier that still splits the message into Resume.Of parts sends
	// the parts after the first Resume.Sent only. It is the sender's bookkeeping, not part
	// of the message, so it is not encoded with it.
	Resume Parts `json:"-"`
}

// Notifier makes one attempt to deliver a message, bounded by the notifier's own
// per-request timeout and by ctx. When it fails, the bool tells the caller whether trying
// again can help (a timeout, a 5xx, flood control can; a rejected token, a 400 cannot), a
// *RetryAfterError in the error's chain says how long the service asked to wait, and a
// *PartialError says which parts of a long message were delivered.
type Notifier interface {
	Notify(ctx context.Context, m Message) (retryable bool, err error)
}

// NotifierFunc lets a plain function serve as a Notifier.
type NotifierFunc func(ctx context.Context, m Message) (bool, error)

func (f NotifierFunc) Notify(ctx context.Context, m Message) (bool, error) { return f(ctx, m) }
