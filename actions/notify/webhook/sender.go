package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/notimon/notimon/actions/notify"
)

// DefaultTimeout bounds one HTTP request (one attempt) when the timeout attribute is not set.
const DefaultTimeout = 10 * time.Second

// UserAgent is sent with every request, so a receiver can tell notimon's posts apart.
const UserAgent = "notimon"

// bodyExcerpt is how much of a refusing response's body an error quotes.
const bodyExcerpt = 200

// bodyRead is how much of a refusing response's body is read to judge what it is.
const bodyRead = 4096

// maxRedirects is how many redirects one try follows, as net/http does by default.
const maxRedirects = 10

// Config is an HTTP notifier's settings: the webhook's attributes (url, headers, timeout),
// plus what tests inject.
type Config struct {
	URL     string            // http or https; userinfo, query values and path may be secret
	Headers map[string]string // sent with every request (an Authorization token, say)
	Timeout time.Duration     // per attempt; 0 means DefaultTimeout
	// Client sends the requests; nil means a client of the notifier's own. Its
	// CheckRedirect is wrapped so that redirects to non-http(s) URLs are still refused.
	Client *http.Client
}

// Sender POSTs JSON documents to one URL with notimon's delivery rules: one request per
// Post, its failure classified for the caller's retry schedule (a 429 is retryable and
// carries its Retry-After as a *notify.RetryAfterError; 5xx, 408, timeouts and refused or
// dropped connections are retryable; other statuses are final), no redirect to a
// non-http(s) scheme, and no secret of the URL or headers in any error. The webhook
// notifier posts its payload with it; the alertmanager notifier posts Alertmanager's.
type Sender struct {
	kind       string // "webhook", "alertmanager": the first word of every error
	url        *url.URL
	display    string // the URL as errors show it, secrets left out
	headers    map[string]string
	timeout    time.Duration
	client     *http.Client
	secrets    []string
	secretPath bool
}

// NewSender checks cfg and builds a Sender whose errors start with kind. When secretPath is
// true the URL's path is treated as a secret too (Slack- and Discord-style webhooks carry
// their token there); otherwise errors show it, which helps find a wrong path prefix.
func NewSender(kind string, cfg Config, secretPath bool) (*Sender, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, fmt.Errorf("%s: url is empty", kind)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		// url.Parse quotes the whole URL, secrets included: say what is wrong without it.
		var ue *url.Error
		msg := err.Error()
		if errors.As(err, &ue) {
			msg = ue.Err.Error()
		}
		return nil, fmt.Errorf("%s: url is not a valid URL: %s", kind, notify.Redact(msg, cfg.URL))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s: url must start with http:// or https://, not %q", kind, u.Scheme+":")
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s: url has no host", kind)
	}
	for _, k := range slices.Sorted(maps.Keys(cfg.Headers)) {
		if err := notify.CheckHeader(k, cfg.Headers[k]); err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
	}
	s := &Sender{
		kind:       kind,
		url:        u,
		headers:    cfg.Headers,
		timeout:    cfg.Timeout,
		secretPath: secretPath,
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	client := &http.Client{}
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
	}
	client.CheckRedirect = checkRedirect(client.CheckRedirect)
	s.client = client
	s.display = displayURL(u, secretPath)
	s.secrets = secretsOf(u, cfg.URL, s.display, cfg.Headers, secretPath)
	return s, nil
}

// URL returns the URL the sender posts to, as errors show it (secrets left out).
func (s *Sender) URL() string { return s.display }

// Post makes one attempt to send body: one request (redirects followed), bounded by the
// timeout. It reports whether another attempt could help, as notify.Notifier does. No
// secret of the URL or headers is in the error.
func (s *Sender) Post(ctx context.Context, body []byte) (bool, error) {
	retryable, err := s.try(ctx, body)
	return retryable, notify.RedactError(err, s.secrets...)
}

// try makes one request.
func (s *Sender) try(ctx context.Context, body []byte) (bool, error) {
	reqCtx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, s.url.String(), bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("%s: POST %s: %w", s.kind, s.display, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	for k, v := range s.headers {
		if http.CanonicalHeaderKey(k) == "Host" {
			req.Host = v // net/http ignores a Host entry in req.Header
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		// After a refused redirect Do returns the previous response too, its body closed.
		return s.transportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		drain(resp.Body)
		return false, nil
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, bodyRead))
	drain(resp.Body)
	e := fmt.Errorf("%s: POST %s: %s", s.kind, s.display, notify.HTTPStatus(resp.StatusCode))
	if text := excerpt(resp.Header.Get("Content-Type"), answer); text != "" {
		e = fmt.Errorf("%w: %q", e, text)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return true, &notify.RetryAfterError{Wait: retryAfter(resp.Header.Get("Retry-After"), time.Now()), Err: e}
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusRequestTimeout:
		return true, e
	}
	return false, e
}

// errRedirect is the error of a redirect this package will not follow.
var errRedirect = errors.New("refused to follow a redirect")

// transportError classifies an error from http.Client.Do: the caller's own cancellation,
// a refused redirect and a certificate that does not verify are final; timeouts and
// refused, reset or dropped connections are worth another try.
func (s *Sender) transportError(ctx context.Context, err error) (bool, error) {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err // url.Error quotes the URL, secrets and all; s.display replaces it
	}
	prefix := fmt.Sprintf("%s: POST %s", s.kind, s.display)
	if ctx.Err() != nil {
		return false, fmt.Errorf("%s: %w", prefix, ctx.Err())
	}
	if errors.Is(inner, errRedirect) {
		return false, fmt.Errorf("%s: %w", prefix, inner)
	}
	var ne net.Error
	if errors.Is(inner, context.DeadlineExceeded) || (errors.As(inner, &ne) && ne.Timeout()) {
		return true, fmt.Errorf("%s: no answer within %s: %w", prefix, s.timeout, inner)
	}
	if errors.Is(inner, io.EOF) || errors.Is(inner, io.ErrUnexpectedEOF) {
		return true, fmt.Errorf("%s: the server closed the connection without answering: %w", prefix, inner)
	}
	var (
		unknownAuthority x509.UnknownAuthorityError
		invalidCert      x509.CertificateInvalidError
		hostname         x509.HostnameError
		verification     *tls.CertificateVerificationError
	)
	if errors.As(inner, &unknownAuthority) || errors.As(inner, &invalidCert) ||
		errors.As(inner, &hostname) || errors.As(inner, &verification) {
		return false, fmt.Errorf("%s: %w", prefix, inner)
	}
	return true, fmt.Errorf("%s: %w", prefix, inner)
}

// checkRedirect refuses redirects to anything but http and https (file://, gopher:// …),
// stops after maxRedirects, then defers to the client's own policy if it had one.
func checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("%w to a %s: URL (only http and https are followed)", errRedirect, req.URL.Scheme)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("%w: stopped after %d redirects", errRedirect, maxRedirects)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// retryAfter reads a Retry-After header: a number of seconds or an HTTP date. It returns 0
// (the caller's backoff applies) when the header is missing, malformed or in the past.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(24*time.Hour/time.Second) { // past any outbox_max_age; avoids overflow
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// secretsOf lists what must never appear in an error: the userinfo's password (and the
// userinfo as written), every query value, every header value (and the token after an
// "Bearer " or "Basic " scheme), the URL as written unless there is nothing secret in it
// (it is then what errors display) and, when secretPath, its path. Longest first, so a
// secret that contains another is replaced whole.
func secretsOf(u *url.URL, raw, display string, headers map[string]string, secretPath bool) []string {
	var out []string
	add := func(s ...string) { out = append(out, s...) }
	for _, full := range []string{raw, u.String()} {
		if full != display {
			add(full)
		}
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			add(p, url.QueryEscape(p), url.PathEscape(p), u.User.String())
		}
	}
	if u.RawQuery != "" {
		add(u.RawQuery)
		for _, pair := range strings.FieldsFunc(u.RawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
			v := pair // a bare "?token" is all value
			if _, after, ok := strings.Cut(pair, "="); ok {
				v = after
			}
			add(v)
			if dec, err := url.QueryUnescape(v); err == nil {
				add(dec)
			}
		}
	}
	if u.Fragment != "" {
		add(u.Fragment)
	}
	if secretPath && u.Path != "" && u.Path != "/" {
		add(u.Path, u.EscapedPath()) // with the leading "/": "hook" alone would eat "webhook"
	}
	for _, v := range headers {
		add(v)
		if f := strings.Fields(v); len(f) > 1 {
			add(f[1:]...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// displayURL is the URL as errors show it: no userinfo, query values replaced by ***, and
// the path replaced by *** when it is secret.
func displayURL(u *url.URL, secretPath bool) string {
	d := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	s := d.String()
	if secretPath && u.Path != "" && u.Path != "/" {
		s = u.Scheme + "://" + u.Host + "/***"
	}
	if u.RawQuery != "" {
		var keys []string
		for _, pair := range strings.FieldsFunc(u.RawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
			k, _, ok := strings.Cut(pair, "=")
			if !ok {
				k = "" // a bare "?token" is all value
			}
			keys = append(keys, k+"=***")
		}
		s += "?" + strings.Join(keys, "&")
	}
	return s
}

// drain reads what is left of a body (up to 64 KiB) so the connection can be reused.
func drain(r io.Reader) { _, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10)) }

// excerpt is what an error quotes of a refusing response's body: the receiver's reason
// (Alertmanager's JSON, a one-line text), made one line of at most bodyExcerpt bytes. An
// HTML page (a proxy's or load balancer's error page) is left out: its status says it all,
// and its markup would fill the log and the outbox.
func excerpt(contentType string, body []byte) string {
	text := strings.TrimSpace(strings.ToValidUTF8(string(body), "\uFFFD"))
	if text == "" || strings.Contains(strings.ToLower(contentType), "html") || strings.HasPrefix(text, "<") {
		return ""
	}
	var str string
	var compact bytes.Buffer
	switch {
	case json.Unmarshal([]byte(text), &str) == nil: // Alertmanager's reason is a JSON string
		text = str
	case json.Compact(&compact, []byte(text)) == nil:
		text = compact.String()
	}
	return notify.OneLine(text, bodyExcerpt)
}
