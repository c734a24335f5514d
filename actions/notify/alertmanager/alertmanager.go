package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/webhook"
	"github.com/notimon/notimon/spec"
)

// DefaultTimeout bounds one HTTP request (one attempt) when the timeout attribute is not set.
const DefaultTimeout = webhook.DefaultTimeout

// AlertsPath is the Alertmanager API endpoint alerts are posted to, below the configured URL.
const AlertsPath = "/api/v2/alerts"

// DefaultAlertname is the alertname of a message that belongs to no rule (`notimon send`).
const DefaultAlertname = "notimon"

// DefaultResendDelay is how often the engine sends a firing alert again when the
// resend_delay attribute is not set: Prometheus's default, well within Alertmanager's
// default resolve_timeout (5m).
const DefaultResendDelay = time.Minute

// Config is an alertmanager notifier's settings: its attributes (url or urls, timeout),
// plus headers for an Alertmanager behind an authenticating proxy, and what tests inject.
type Config struct {
	// URL is one Alertmanager's base URL, with any path prefix of its --web.route-prefix.
	URL string
	// URLs are the members of an Alertmanager cluster, each a base URL like URL: every
	// alert is posted to each of them (with URL, if both are set).
	URLs    []string
	Headers map[string]string // sent with every request
	Timeout time.Duration     // per attempt, per member; 0 means DefaultTimeout
	Client  *http.Client      // nil: a client of the notifier's own
	// Logger is where a member that refused an alert another member accepted is logged
	// (at warning level); nil: nowhere.
	Logger *slog.Logger
}

// Alert is one alert in the Alertmanager API v2 format (a PostableAlert).
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     string            `json:"startsAt,omitempty"`
	EndsAt       string            `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Alertmanager posts each message as one alert to every member of an Alertmanager cluster.
type Alertmanager struct {
	name    string
	members []*webhook.Sender
	log     *slog.Logger
}

var _ notify.Notifier = (*Alertmanager)(nil)

// New builds the notifier called name. It makes no request: notimon must start offline.
func New(name string, cfg Config) (*Alertmanager, error) {
	urls := cfg.URLs
	if cfg.URL != "" || len(urls) == 0 {
		urls = append([]string{cfg.URL}, urls...)
	}
	a := &Alertmanager{name: name, log: cfg.Logger}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	for i, u := range urls {
		s, err := webhook.NewSender("alertmanager", webhook.Config{
			URL:     AlertsURL(u),
			Headers: cfg.Headers,
			Timeout: cfg.Timeout,
			Client:  cfg.Client,
		}, false)
		if err != nil {
			if len(urls) > 1 {
				err = fmt.Errorf("urls item %d: %w", i+1, err)
			}
			return nil, err
		}
		a.members = append(a.members, s)
	}
	return a, nil
}

// FromAttrs builds the notifier from its block's decoded attributes (url string, urls
// []string, headers map[string]string, timeout and resend_delay time.Duration), as the dsl
// typed them. resend_delay is the engine's business (Resend).
func FromAttrs(name string, attrs map[string]any, env notify.Env) (notify.Notifier, error) {
	var cfg Config
	err := block.Each("an alertmanager notifier", attrs, func(k string, v any) (err error) {
		switch k {
		case "url":
			cfg.URL, err = spec.As[string](k, v)
		case "urls":
			cfg.URLs, err = spec.As[[]string](k, v)
		case "headers":
			cfg.Headers, err = spec.As[map[string]string](k, v)
		case "timeout":
			cfg.Timeout, err = spec.As[time.Duration](k, v)
		case "resend_delay":
			_, err = spec.As[time.Duration](k, v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if cfg.URL != "" && len(cfg.URLs) > 0 {
		return nil, errors.New("an alertmanager notifier takes url or urls, not both")
	}
	cfg.Logger = env.Logger
	a, err := New(name, cfg)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Resend is how often the engine sends the last firing alert of a firing rule again, for
// a notifier with these attributes: resend_delay, else DefaultResendDelay.
func Resend(attrs map[string]any) time.Duration {
	if d, ok := attrs["resend_delay"].(time.Duration); ok && d > 0 {
		return d
	}
	return DefaultResendDelay
}

// check refuses what the dsl's checks of each attribute let through: both url and urls
// (the dsl's one-of check says so too, at the attribute) and a resend_delay of zero.
func check(attrs map[string]any) error {
	if _, ok := attrs["url"]; ok {
		if _, ok := attrs["urls"]; ok {
			return errors.New("it takes url or urls, not both")
		}
	}
	if d, ok := attrs["resend_delay"].(time.Duration); ok && d <= 0 {
		return fmt.Errorf(`resend_delay must be more than zero (leave it out for the default, "1m"); it is %s`, d)
	}
	return nil
}

// Notify posts m as a one-alert list to every member of the cluster at once, as
// Prometheus does: members do not share alerts with each other (an Alertmanager cluster
// gossips silences and notification logs only), so each must hear of every alert.
// Alertmanager answers 200 when it accepted the alert and 400, with the reason, when it
// did not.
//
// The message is delivered when at least one member accepted it: that member routes it,
// and the cluster deduplicates its notifications. A member that failed meanwhile is logged
// at warning level, naming it and why; it gets the alert with the next resend of a firing
// rule (every resend_delay) or the next message. When every member failed, the error lists
// each one's, and the attempt is retryable when any of them was.
func (a *Alertmanager) Notify(ctx context.Context, m notify.Message) (bool, error) {
	body, err := json.Marshal([]Alert{NewAlert(m)})
	if err != nil {
		return false, fmt.Errorf("alertmanager: encoding the alert: %w", err)
	}
	if len(a.members) == 1 {
		return a.members[0].Post(ctx, body)
	}
	type result struct {
		retryable bool
		err       error
	}
	results := make([]result, len(a.members))
	var wg sync.WaitGroup
	for i, s := range a.members {
		wg.Go(func() {
			r, err := s.Post(ctx, body)
			results[i] = result{r, err}
		})
	}
	wg.Wait()
	var failed []error
	retryable, allWait := false, true
	var wait time.Duration
	for _, r := range results {
		if r.err == nil {
			continue
		}
		failed = append(failed, r.err)
		retryable = retryable || r.retryable
		switch w := notify.RetryAfter(r.err); {
		case w <= 0:
			allWait = false
		case wait == 0 || w < wait:
			wait = w
		}
	}
	switch {
	case len(failed) == 0:
		return false, nil
	case len(failed) < len(a.members):
		for _, err := range failed {
			a.log.Warn("alertmanager: a cluster member did not take the alert; the others did, so it counts as delivered",
				"notifier", a.name, "rule", m.Rule, "state", m.State,
				"accepted_by", len(a.members)-len(failed), "members", len(a.members), "err", err)
		}
		return false, nil
	}
	msgs := make([]string, len(failed))
	for i, err := range failed {
		msgs[i] = err.Error()
	}
	err = fmt.Errorf("alertmanager: none of the %d cluster members took the alert: %s", len(a.members), strings.Join(msgs, "; "))
	if allWait && retryable {
		err = &notify.RetryAfterError{Wait: wait, Err: err}
	}
	return retryable, err
}

// Members returns the alerts URL of each member, as errors show them (secrets left out).
func (a *Alertmanager) Members() []string {
	out := make([]string, len(a.members))
	for i, s := range a.members {
		out[i] = s.URL()
	}
	return out
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

	a := Alert{Labels: labels, GeneratorURL: m.Link}
	if a.GeneratorURL == "" {
		a.GeneratorURL = GeneratorURL(m.Host, m.Rule)
	}
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
