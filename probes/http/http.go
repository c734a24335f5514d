package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	nethttp "net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/spec"
)

const (
	// DefaultTimeout bounds one sample when the block sets no timeout.
	DefaultTimeout = 5 * time.Second
	// MaxRedirects is how many redirects one sample follows; more is reported as a loop.
	MaxRedirects = 5
	// MaxBody is how much of the body is read and matched: enough for any health page,
	// and an endless stream cannot hold the probe until its timeout.
	MaxBody = 1 << 20
	// UserAgent is sent unless the headers set one, so a site's logs can tell probes apart.
	UserAgent = "notimon"
)

// Config is one http probe, checked by FromAttrs.
type Config struct {
	URL     string            // http:// or https://
	Method  string            // "GET" when empty
	Headers map[string]string // sent with the request; a "Host" entry sets the Host header
	// BodyMatch, when set, must match the first MaxBody bytes of the body for Up.
	BodyMatch *regexp.Regexp
	Timeout   time.Duration // for the whole request; DefaultTimeout when 0
	// InsecureSkipVerify accepts any certificate (cert_days_left is still reported).
	InsecureSkipVerify bool
	// RootCAs are the authorities https certificates are verified against; nil means the
	// system's. Not an attribute: tests trust httptest's certificate with it.
	RootCAs *x509.CertPool
}

// FromAttrs builds a Config from a probe block's decoded attributes: url, method,
// body_match (strings), headers (map[string]string), timeout (time.Duration) and
// insecure_skip_verify (bool). It checks what the DSL cannot, so a Config it returns never
// fails for a reason known in advance.
func FromAttrs(attrs map[string]any) (Config, error) {
	c := Config{Method: nethttp.MethodGet, Timeout: DefaultTimeout}
	err := block.Each("an http probe", attrs, func(k string, v any) (err error) {
		switch k {
		case "url":
			c.URL, err = spec.As[string](k, v)
		case "method":
			c.Method, err = spec.As[string](k, v)
		case "headers":
			c.Headers, err = spec.As[map[string]string](k, v)
		case "body_match":
			var s string
			if s, err = spec.As[string](k, v); err == nil {
				if c.BodyMatch, err = regexp.Compile(s); err != nil {
					err = fmt.Errorf("body_match: %w", err)
				}
			}
		case "timeout":
			c.Timeout, err = spec.Duration(k, v, DefaultTimeout)
		case "insecure_skip_verify":
			c.InsecureSkipVerify, err = spec.As[bool](k, v)
		}
		return err
	})
	if err != nil {
		return Config{}, err
	}
	return c, c.check()
}

func (c Config) check() error {
	if strings.TrimSpace(c.URL) == "" {
		return errors.New("url is missing")
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the URL, password and all
		}
		return fmt.Errorf("url is not a valid URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("url must start with http:// or https://, not %q", u.Scheme+":")
	}
	if u.Host == "" {
		return errors.New("url has no host")
	}
	if c.Method != "" && !notify.ValidToken(c.Method) {
		return fmt.Errorf("method %q is not an HTTP method", c.Method)
	}
	if c.BodyMatch != nil && c.Method == nethttp.MethodHead {
		return errors.New("body_match needs a response body, and a HEAD request gets none: use GET")
	}
	for _, k := range slices.Sorted(maps.Keys(c.Headers)) {
		if err := notify.CheckHeader(k, c.Headers[k]); err != nil {
			return err
		}
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout %v is negative", c.Timeout)
	}
	return nil
}

// errTimedOut is the cause of Sample's own deadline, to tell it from the caller's.
var errTimedOut = errors.New("timed out")

// redirectError is a redirect Sample does not follow.
type redirectError struct{ msg string }

func (e *redirectError) Error() string { return e.msg }

// Sample makes the request and reports how it went. It returns within c.Timeout (or
// earlier, when ctx ends); every failure is in the Values. now is the time of the tick:
// cert_days_left is counted from it.
func Sample(ctx context.Context, c Config, now time.Time) Values {
	if err := c.check(); err != nil { // a Config built without FromAttrs
		return Values{Error: err.Error()}
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	method := c.Method
	if method == "" {
		method = nethttp.MethodGet
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errTimedOut)
	defer cancel()

	tr := nethttp.DefaultTransport.(*nethttp.Transport).Clone() // proxy from the environment
	tr.DisableKeepAlives = true
	tr.TLSClientConfig = &tls.Config{RootCAs: c.RootCAs, InsecureSkipVerify: c.InsecureSkipVerify}
	defer tr.CloseIdleConnections()

	certs := &certDays{now: now}
	client := &nethttp.Client{
		Transport: tr,
		Timeout:   timeout, // the context already bounds it; this is a second lock
		CheckRedirect: func(req *nethttp.Request, via []*nethttp.Request) error {
			if req.Response != nil {
				certs.see(req.Response.TLS)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return &redirectError{fmt.Sprintf("redirect to %s refused", displayURL(req.URL))}
			}
			if len(via) >= MaxRedirects {
				return &redirectError{fmt.Sprintf("stopped after %d redirects", MaxRedirects)}
			}
			return nil
		},
	}

	req, err := nethttp.NewRequestWithContext(ctx, method, c.URL, nil)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Values{Error: fmt.Sprintf("invalid request: %v", err)}
	}
	req.Header.Set("User-Agent", UserAgent)
	for k, v := range c.Headers {
		if nethttp.CanonicalHeaderKey(k) == "Host" {
			req.Host = v // net/http ignores a Host entry in req.Header
			continue
		}
		req.Header.Set(k, v)
	}

	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		v := Values{Error: describe(ctx, err, timeout), CertDaysLeft: certs.left()}
		if resp != nil { // a refused redirect: the redirect response itself arrived
			v.Status = float64(resp.StatusCode)
			resp.Body.Close()
		}
		return v
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	latency := time.Since(start)
	certs.see(resp.TLS)

	v := Values{Status: float64(resp.StatusCode), CertDaysLeft: certs.left()}
	if err != nil {
		v.Error = describe(ctx, err, timeout) + " while reading the body"
		return v
	}
	v.LatencyMs = float64(latency) / float64(time.Millisecond)
	if c.BodyMatch != nil {
		// Line breaks at the end are not matched, so `^ok$` matches "ok\n" as it would in
		// grep or PCRE (Go's $ is the end of the text only).
		v.BodyMatched = c.BodyMatch.Match(bytes.TrimRight(body, "\r\n"))
	}
	switch {
	case resp.StatusCode >= 400:
		v.Error = fmt.Sprintf("status %d", resp.StatusCode)
	case c.BodyMatch != nil && !v.BodyMatched:
		v.Error = "body does not match " + c.BodyMatch.String()
	default:
		v.Up = true
	}
	return v
}

// certDays remembers the soonest NotAfter among the leaf certificates seen.
type certDays struct {
	now  time.Time
	soon time.Time
}

func (d *certDays) see(st *tls.ConnectionState) {
	if st == nil || len(st.PeerCertificates) == 0 {
		return
	}
	if na := st.PeerCertificates[0].NotAfter; d.soon.IsZero() || na.Before(d.soon) {
		d.soon = na
	}
}

func (d *certDays) left() float64 {
	if d.soon.IsZero() {
		return 0
	}
	return d.soon.Sub(d.now).Hours() / 24
}

// describe turns a transport error into the few words a message shows. It never quotes
// the request URL (url.Error does, query and password included).
func describe(ctx context.Context, err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var (
		re     *redirectError
		dns    *net.DNSError
		verify *tls.CertificateVerificationError
		ne     net.Error
	)
	switch {
	case errors.As(err, &re):
		return re.msg
	case ctx.Err() != nil && context.Cause(ctx) == errTimedOut:
		return fmt.Sprintf("timeout after %v", timeout)
	case ctx.Err() != nil:
		return fmt.Sprintf("canceled (%v)", context.Cause(ctx))
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before a complete response"
	case errors.As(err, &verify):
		return "certificate verification failed: " + verify.Err.Error()
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "no such host " + dns.Name
		}
		return fmt.Sprintf("DNS lookup of %s failed: %s", dns.Name, dns.Err)
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("timeout after %v", timeout)
	}
	return err.Error()
}

// displayURL shows where a redirect pointed without its userinfo or query, which may hold
// secrets, and cut short if it is long.
func displayURL(u *url.URL) string {
	d := url.URL{Scheme: u.Scheme, Opaque: u.Opaque, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	s := d.String()
	if u.RawQuery != "" {
		s += "?…"
	}
	const limit = 100
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit-1]) + "…"
	}
	return s
}

// as returns v as a T, or an error naming the attribute and both types.
