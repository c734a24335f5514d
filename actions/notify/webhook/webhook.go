package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/notimon/notimon/actions/notify"
)

// PayloadVersion is the payload's "version" field. It changes only when a field is renamed,
// removed or changes meaning; new fields may be added within a version.
const PayloadVersion = "1"

// Payload is the JSON document a webhook receives; the package documentation shows it.
type Payload struct {
	Version  string            `json:"version"`
	Notifier string            `json:"notifier"`
	Rule     string            `json:"rule"`
	State    string            `json:"state"`
	Severity string            `json:"severity"`
	Labels   map[string]string `json:"labels"`
	Host     string            `json:"host"`
	Message  string            `json:"message"`
	Values   map[string]any    `json:"values"`
	Time     string            `json:"time"`
	StartsAt string            `json:"starts_at,omitempty"`
	EndsAt   string            `json:"ends_at,omitempty"`
}

// Webhook posts each message as a Payload to one URL.
type Webhook struct {
	name   string
	sender *Sender
}

var _ notify.Notifier = (*Webhook)(nil)

// New builds the notifier called name. It makes no request: notimon must start offline.
func New(name string, cfg Config) (*Webhook, error) {
	s, err := NewSender("webhook", cfg, true)
	if err != nil {
		return nil, err
	}
	return &Webhook{name: name, sender: s}, nil
}

// FromAttrs builds the notifier from its block's decoded attributes (url string, headers
// map[string]string, timeout time.Duration), as the dsl typed them.
func FromAttrs(name string, attrs map[string]any) (notify.Notifier, error) {
	cfg, err := ConfigFromAttrs("a webhook notifier", block, attrs)
	if err != nil {
		return nil, err
	}
	w, err := New(name, cfg)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Notify posts m. Any 2xx answer means delivered.
func (w *Webhook) Notify(ctx context.Context, m notify.Message) (bool, error) {
	body, err := json.Marshal(NewPayload(w.name, m))
	if err != nil {
		return false, fmt.Errorf("webhook: encoding the payload: %w", err)
	}
	return w.sender.Post(ctx, body)
}

// NewPayload is the document posted for m by the notifier called name (used when the
// message does not say which notifier it was for).
func NewPayload(name string, m notify.Message) Payload {
	p := Payload{
		Version:  PayloadVersion,
		Notifier: m.Notifier,
		Rule:     m.Rule,
		State:    m.State,
		Severity: m.Severity,
		Labels:   map[string]string{},
		Host:     m.Host,
		Message:  m.Text,
		Values:   map[string]any{},
		Time:     Timestamp(m.Time),
	}
	if p.Notifier == "" {
		p.Notifier = name
	}
	if m.Time.IsZero() {
		p.Time = Timestamp(time.Now())
	}
	for k, v := range m.Labels {
		p.Labels[k] = v
	}
	for k, v := range m.Values {
		p.Values[k] = jsonValue(v)
	}
	if !m.StartsAt.IsZero() {
		p.StartsAt = Timestamp(m.StartsAt)
	}
	if !m.EndsAt.IsZero() {
		p.EndsAt = Timestamp(m.EndsAt)
	}
	return p
}

// Timestamp formats t as the payloads do: RFC 3339 in UTC, to the second.
func Timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// jsonValue makes a probe value encodable: JSON has no NaN or infinities, so those become
// null, and a value encoding/json rejects becomes its fmt.Sprint text.
func jsonValue(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil
		}
		return x
	case nil, bool, string, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return x
	}
	if _, err := json.Marshal(v); err != nil {
		return fmt.Sprint(v)
	}
	return v
}
