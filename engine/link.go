package engine

import (
	"net"
	"net/url"

	"github.com/notimon/notimon/dsl"
)

// statusLink is the rule's row on this host's status page, when the configuration has a
// server block (else ""): http://<listen address>/#rule-<rule>, https with TLS, and the
// host name in place of a listen address that is every address ("", 0.0.0.0, ::), which
// no one can browse to. Alertmanager shows it as the alert's source (generatorURL).
func statusLink(s *dsl.Server, hostName, rule string) string {
	if s == nil {
		return ""
	}
	h, port, err := net.SplitHostPort(s.Listen)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(h); h == "" || ip != nil && ip.IsUnspecified() {
		h = hostName
	}
	if h == "" {
		return ""
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(h, port), Path: "/", Fragment: "rule-" + rule}
	if s.TLSCertFile != "" {
		u.Scheme = "https"
	}
	return u.String()
}
