package dsl

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"golang.org/x/crypto/bcrypt"

	"github.com/notimon/notimon/spec"
)

// Server is the `server` block: the daemon's HTTP listener for the status page, the JSON
// API and /metrics. A configuration without one has Config.Server nil and no listener.
type Server struct {
	Listen string // host:port; DefaultListen when not set
	// HtpasswdFile is the path of the basic-auth users (relative paths are resolved from
	// the .hcl file's directory); "" means no authentication, allowed on loopback only.
	HtpasswdFile string
	// Users are the entries of HtpasswdFile as loaded: user → bcrypt hash. A reload reads
	// the file again.
	Users       map[string][]byte
	TLSCertFile string // both or neither, resolved like HtpasswdFile
	TLSKeyFile  string
	ReadOnly    bool // no silences or acks from the page or the API
	Range       hcl.Range
}

// DefaultListen is where the server listens when the block does not say: loopback only.
const DefaultListen = "127.0.0.1:9798"

var serverSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "listen"}, {Name: "htpasswd_file"}, {Name: "tls_cert_file"}, {Name: "tls_key_file"}, {Name: "read_only"},
}}

// decodeServer decodes a server block; it returns nil when the block has errors, so a
// broken block never starts a listener with half its settings (an open one without auth).
func (l *loader) decodeServer(b *hclsyntax.Block, ev *evaluator) (*Server, hcl.Diagnostics) {
	s := &Server{Listen: DefaultListen, Range: b.DefRange()}
	content, diags := bodyContent(b.Body, serverSchema)
	dir := filepath.Dir(b.DefRange().Filename)
	path := func(name string) (string, *hcl.Attribute) {
		a, ok := content.Attributes[name]
		if !ok {
			return "", nil
		}
		v, d := ev.decodeString(a, "server "+name)
		diags = append(diags, d...)
		if d.HasErrors() {
			return "", nil
		}
		if v == "" {
			diags = append(diags, attrError(a, "Empty path", fmt.Sprintf("server %s is empty; give a file or leave it out.", name))...)
			return "", nil
		}
		if !filepath.IsAbs(v) {
			v = filepath.Join(dir, v)
		}
		return v, a
	}

	listenAttr := content.Attributes["listen"]
	if listenAttr != nil {
		v, d := ev.decodeString(listenAttr, "server listen")
		diags = append(diags, d...)
		if !d.HasErrors() {
			if err := checkListen(v); err != nil {
				diags = append(diags, attrError(listenAttr, "Invalid listen address", fmt.Sprintf("server listen %q: %v.", v, err))...)
			} else {
				s.Listen = v
			}
		}
	}

	var htAttr *hcl.Attribute
	s.HtpasswdFile, htAttr = path("htpasswd_file")
	if htAttr != nil {
		users, problems := readHtpasswd(s.HtpasswdFile)
		for _, p := range problems {
			diags = append(diags, attrError(htAttr, "Invalid htpasswd file", fmt.Sprintf("server htpasswd_file: %s.", p))...)
		}
		s.Users = users
		for _, h := range users {
			l.secrets = append(l.secrets, string(h)) // never printed, like a token
		}
	}

	var certAttr, keyAttr *hcl.Attribute
	s.TLSCertFile, certAttr = path("tls_cert_file")
	s.TLSKeyFile, keyAttr = path("tls_key_file")
	_, certSet := content.Attributes["tls_cert_file"]
	_, keySet := content.Attributes["tls_key_file"]
	switch {
	case certSet && !keySet:
		diags = append(diags, attrError(content.Attributes["tls_cert_file"], "Missing tls_key_file", "server tls_cert_file needs tls_key_file too: give both (TLS) or neither (plain HTTP).")...)
	case keySet && !certSet:
		diags = append(diags, attrError(content.Attributes["tls_key_file"], "Missing tls_cert_file", "server tls_key_file needs tls_cert_file too: give both (TLS) or neither (plain HTTP).")...)
	case certAttr != nil && keyAttr != nil:
		cert, err := readConfigFile(s.TLSCertFile)
		if err != nil {
			diags = append(diags, attrError(certAttr, "Invalid TLS certificate", fmt.Sprintf("server tls_cert_file: cannot read %s: %v.", s.TLSCertFile, unwrapPathError(err)))...)
		}
		key, kerr := readConfigFile(s.TLSKeyFile)
		if kerr != nil {
			diags = append(diags, attrError(keyAttr, "Invalid TLS key", fmt.Sprintf("server tls_key_file: cannot read %s: %v.", s.TLSKeyFile, unwrapPathError(kerr)))...)
		}
		if err == nil && kerr == nil {
			// crypto/tls's errors say what is wrong without quoting the key.
			if _, err := tls.X509KeyPair(cert, key); err != nil {
				diags = append(diags, attrError(certAttr, "Invalid TLS certificate or key", fmt.Sprintf("server tls_cert_file %s with tls_key_file %s: %v.", s.TLSCertFile, s.TLSKeyFile, err))...)
			}
		}
	}

	if a, ok := content.Attributes["read_only"]; ok {
		v, d := ev.decodeAttr(a, spec.Attr{Name: "read_only", Type: spec.TypeBool}, "server")
		diags = append(diags, d...)
		if !d.HasErrors() {
			s.ReadOnly = v.(bool)
		}
	}

	if _, set := content.Attributes["htpasswd_file"]; !set && !diags.HasErrors() && !loopback(s.Listen) {
		subject := b.DefRange()
		if listenAttr != nil {
			subject = listenAttr.Expr.Range()
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Server open to the network without authentication",
			Detail:   fmt.Sprintf("server listen %q is not a loopback address, and the server has no htpasswd_file: anyone who can reach it could read the status and silence alerts. Set htpasswd_file (users made with htpasswd -B), or listen on 127.0.0.1 behind a proxy that authenticates.", s.Listen),
			Subject:  subject.Ptr(),
		})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return s, diags
}

// checkListen accepts host:port with a numeric port; the host may be empty (every address).
func checkListen(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("not host:port (%v); write it like %q", unwrapAddrError(err), DefaultListen)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("host %q is not a host name or an IP address", host)
	}
	return nil
}

func unwrapAddrError(err error) error {
	if ae, ok := err.(*net.AddrError); ok {
		return fmt.Errorf("%s", ae.Err)
	}
	return err
}

// loopback reports whether addr (host:port) can only be reached from this machine. A host
// name other than localhost may resolve to anything, so it counts as open.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// maxHtpasswdSize bounds the htpasswd file: a few thousand users at most.
const maxHtpasswdSize = 1 << 20

// readHtpasswd reads an htpasswd file of bcrypt entries. The problems name the file, the
// line and the user, never a hash.
func readHtpasswd(path string) (map[string][]byte, []string) {
	b, err := readConfigFile(path)
	if err != nil {
		return nil, []string{fmt.Sprintf("cannot read %s: %v", path, unwrapPathError(err))}
	}
	return parseHtpasswd(path, b)
}

// ParseHtpasswd parses the content of an htpasswd file (name is for errors): one user:hash
// per line, blank lines and # comments skipped. Only bcrypt hashes, as `htpasswd -B` writes
// them ($2y$, and $2a$/$2b$ from other tools), are accepted: MD5 ($apr1$), SHA-1 ({SHA}),
// crypt(3) and plain-text passwords are errors naming the user and the line, all joined.
// The server reads a changed file again with it.
func ParseHtpasswd(name string, data []byte) (map[string][]byte, error) {
	users, problems := parseHtpasswd(name, data)
	if len(problems) > 0 {
		errs := make([]error, len(problems))
		for i, p := range problems {
			errs[i] = errors.New(p)
		}
		return nil, errors.Join(errs...)
	}
	return users, nil
}

func parseHtpasswd(name string, data []byte) (map[string][]byte, []string) {
	if len(data) > maxHtpasswdSize {
		return nil, []string{fmt.Sprintf("%s is larger than %d KiB", name, maxHtpasswdSize>>10)}
	}
	users := map[string][]byte{}
	firstLine := map[string]int{}
	var problems []string
	n := 0
	for line := range strings.Lines(string(data)) {
		n++
		line = strings.TrimRight(line, "\r\n")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s:%d: not user:hash", name, n))
			continue
		case user == "":
			problems = append(problems, fmt.Sprintf("%s:%d: empty user name", name, n))
			continue
		}
		if prev, dup := firstLine[user]; dup {
			problems = append(problems, fmt.Sprintf("%s:%d: user %q again (first at line %d)", name, n, user, prev))
			continue
		}
		firstLine[user] = n
		if kind := hashKind(hash); kind != "bcrypt" {
			problems = append(problems, fmt.Sprintf("%s:%d: user %q has %s; only bcrypt entries are accepted (make them with htpasswd -B)", name, n, user, kind))
			continue
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: user %q has a malformed bcrypt hash", name, n, user))
			continue
		}
		users[user] = []byte(hash)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	if len(users) == 0 {
		return nil, []string{fmt.Sprintf("%s has no users; add one with htpasswd -B %s <user>", name, name)}
	}
	return users, nil
}

// hashKind names the scheme of an htpasswd hash, as the error tells the user.
func hashKind(h string) string {
	switch {
	case strings.HasPrefix(h, "$2y$"), strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"):
		return "bcrypt"
	case strings.HasPrefix(h, "$apr1$"):
		return "an MD5 ($apr1$) hash"
	case strings.HasPrefix(h, "{SHA}"):
		return "a SHA-1 ({SHA}) hash"
	case strings.HasPrefix(h, "$1$"), strings.HasPrefix(h, "$5$"), strings.HasPrefix(h, "$6$"), strings.HasPrefix(h, "$y$"):
		return "a crypt(3) hash"
	case len(h) == 13 && isCryptDES(h):
		return "a crypt(3) DES hash or a plain-text password"
	}
	return "a plain-text password"
}

func isCryptDES(h string) bool {
	for _, c := range h {
		if !(c == '.' || c == '/' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}
