package alertmanager

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/webhook"
)

// DefaultTimeout bounds one HTTP request (one attempt) when the timeout attribute is not set.
const DefaultTimeout = webhook.DefaultTimeout

// AlertsPath is the Alertmanager API endpoint alerts are posted to, below the configured URL.
const AlertsPath = "/api/v2/alerts"

// DefaultAlertname is the alertname of a message that belongs to no rule (`notimon send`).
const DefaultAlertname = "notimon"

// Config is an alertmanager notifier's settings: its attributes (url, timeout), plus
// headers for an Alertmanager behind an authenticating proxy, and what tests inject.
type Config struct {
	URL     string            // the Alertmanager's base URL, with any path prefix of its --web.route-prefix
	Headers map[string]string // sent with every request
	Timeout time.Duration     // per attempt; 0 means DefaultTimeout
	Client  *http.Client      // nil: a client of the notifier's own
}

// Alert is one alert in the Alertmanager API v2 format (a PostableAlert).
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     string            `json:"startsAt,omitempty"`
	EndsAt       string            `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Alertmanager posts each message as one alert to an Alertmanager.
type Alertmanager struct {
	name   string
	sender *webhook.Sender
}

var _ notify.Notifier = (*Alertmanager)(nil)

// New builds the notifier called name. It makes no request: notimon must start offline.
func New(name string, cfg Config) (*Alertmanager, error) {
	s, err := webhook.NewSender("alertmanager", webhook.Config{
		URL:     AlertsURL(cfg.URL),
		Headers: cfg.Headers,
		Timeout: cfg.Timeout,
		Client:  cfg.Client,
	}, false)
	if err != nil {
		return nil, err
	}
	return &Alertmanager{name: name, sender: s}, nil
}

// FromAttrs builds the notifier from its block's decoded attributes (url string, headers
// map[string]string, timeout time.Duration), as the dsl typed them.
func FromAttrs(name string, attrs map[string]any) (notify.Notifier, error) {
	wc, err := webhook.ConfigFromAttrs("an alertmanager notifier", block, attrs)
	if err != nil {
		return nil, err
	}
	a, err := New(name, Config{URL: wc.URL, Headers: wc.Headers, Timeout: wc.Timeout})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Notify posts m as a one-alert list. Alertmanager answers 200 when it accepted the alert
// and 400, with the reason, when it did not.
func (a *Alertmanager) Notify(ctx context.Context, m notify.Message) (bool, error) {
	body, err := json.Marshal([]Alert{NewAlert(m)})
	if err != nil {
		return false, fmt.Errorf("alertmanager: encoding the alert: %w", err)
	}
	return a.sender.Post(ctx, body)
}

// AlertsURL is where alerts for the Alertmanager at base are posted: base's path (a
// prefix, with or without a trailing slash) followed by /api/v2/alerts, unless it already
// ends so. The query string is kept. A URL that does not parse is returned unchanged for
// the constructor to report.
func AlertsURL(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return base
	}
	if p := strings.TrimRight(u.Path, "/"); strings.HasSuffix(p, AlertsPath) {
		u.Path, u.RawPath = p, strings.TrimRight(u.RawPath, "/")
		return u.String()
	}
	j := u.JoinPath(strings.Split(strings.TrimPrefix(AlertsPath, "/"), "/")...)
	if !strings.HasPrefix(j.Path, "/") {
		j.Path = "/" + j.Path
		if j.RawPath != "" {
			j.RawPath = "/" + j.RawPath
		}
	}
	return j.String()
}

// NewAlert is the alert posted for m; the package documentation describes the mapping.
func NewAlert(m notify.Message) Alert {
	labels := map[string]string{}
	keys := make([]string, 0, len(m.Labels))
	for k := range m.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name, value := LabelName(k), strings.ToValidUTF8(m.Labels[k], "\uFFFD")
		if _, taken := labels[name]; taken || value == "" {
			continue // the first key (in byte order) that sanitizes to a name keeps it
		}
		labels[name] = value
	}
	if m.Severity != "" {
		labels["severity"] = strings.ToValidUTF8(m.Severity, "\uFFFD")
	}
	alertname := m.Rule
	if alertname == "" {
		alertname = DefaultAlertname
	}
	labels["alertname"] = strings.ToValidUTF8(alertname, "\uFFFD")
	delete(labels, "instance")
	if m.Host != "" {
		labels["instance"] = strings.ToValidUTF8(m.Host, "\uFFFD")
	}

	a := Alert{Labels: labels, GeneratorURL: GeneratorURL(m.Host, m.Rule)}
	annotations := map[string]string{}
	if s := Summary(m.Text); s != "" {
		annotations["summary"] = s
	}
	if m.Text != "" {
		annotations["description"] = strings.ToValidUTF8(m.Text, "\uFFFD")
	}
	if len(annotations) > 0 {
		a.Annotations = annotations
	}
	start := m.StartsAt
	if start.IsZero() {
		start = m.Time
	}
	if !start.IsZero() {
		a.StartsAt = webhook.Timestamp(start)
	}
	if m.State == "resolved" {
		end := m.EndsAt
		if end.IsZero() {
			end = m.Time
		}
		if end.IsZero() {
			end = time.Now()
		}
		a.EndsAt = webhook.Timestamp(end)
	}
	return a
}

// LabelName turns a rule's label key into a valid Prometheus label name
// ([a-zA-Z_][a-zA-Z0-9_]*): every other character becomes "_", a leading digit gets a
// "_" in front, and an empty key becomes "_". Alertmanager 0.25 refuses the whole alert
// (400 "invalid label set") when one name is not valid.
func LabelName(key string) string {
	var b strings.Builder
	for i, r := range key {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// tag matches an HTML tag: <b>, </code>, <a href="…">, <br/>, <tg-spoiler>. A lone "<" in
// text ("load < 2") is not a tag.
var tag = regexp.MustCompile(`</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>`)

// Summary is the first line of text that is not empty once its HTML tags are removed,
// with entities unescaped and surrounding space trimmed: a one-line title for the
// Alertmanager UI and the receivers' templates, which often put it in an email Subject, so
// it is made header-safe (a lone CR or another control character becomes a space).
func Summary(text string) string {
	for _, line := range strings.Split(text, "\n") {
		line = notify.HeaderValue(html.UnescapeString(tag.ReplaceAllString(line, "")))
		if line != "" {
			return strings.ToValidUTF8(line, "\uFFFD")
		}
	}
	return ""
}

// GeneratorURL names the rule that produced an alert: notimon://<host>/rules/<rule>, with
// the rule's name path-escaped (a "/" in it becomes %2F).
func GeneratorURL(host, rule string) string {
	u := url.URL{Scheme: "notimon", Host: host, Path: "/rules/" + rule, RawPath: "/rules/" + url.PathEscape(rule)}
	return u.String()
}
