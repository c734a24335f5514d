package dsl_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/notimon/notimon/dsl"
)

const serverRule = "rule \"r\" {\n  when = \"cpu.pct > 90\"\n}\n"

// selfSigned writes a fresh certificate and key for 127.0.0.1 under dir.
func selfSigned(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "notimon test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFiles(t, dir, map[string]string{
		"cert.pem": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		"key.pem":  string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})),
	})
	return cert, key
}

func TestServerBlock(t *testing.T) {
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	selfSigned(t, filepath.Join(dir, "tls"))
	writeFiles(t, dir, map[string]string{
		"rules.d/a.hcl": serverRule + `
server {
  listen        = "0.0.0.0:9800"
  htpasswd_file = "../users.htpasswd"
  tls_cert_file = "../tls/cert.pem"
  tls_key_file  = "../tls/key.pem"
  read_only     = true
}
`,
		// As htpasswd -B writes it, with a comment, a blank line and a CRLF line end.
		"users.htpasswd": "# ops\r\nalice:" + string(hash) + "\r\n\nbob:" + strings.Replace(string(hash), "$2a$", "$2y$", 1) + "\n",
	})
	cfg, diags := dsl.Load([]string{filepath.Join(dir, "rules.d")}, dsl.Options{LookupEnv: noEnv})
	if diags.HasErrors() {
		t.Fatalf("a valid server block does not load:\n%s", render(cfg, diags))
	}
	s := cfg.Server
	if s == nil {
		t.Fatal("cfg.Server is nil")
	}
	if s.Listen != "0.0.0.0:9800" || !s.ReadOnly {
		t.Errorf("listen %q read_only %v, want 0.0.0.0:9800 true", s.Listen, s.ReadOnly)
	}
	if want := filepath.Join(dir, "users.htpasswd"); s.HtpasswdFile != want {
		t.Errorf("htpasswd_file %q, want %q (relative to the .hcl file)", s.HtpasswdFile, want)
	}
	if s.TLSCertFile != filepath.Join(dir, "tls/cert.pem") || s.TLSKeyFile != filepath.Join(dir, "tls/key.pem") {
		t.Errorf("tls files %q %q", s.TLSCertFile, s.TLSKeyFile)
	}
	if len(s.Users) != 2 || bcrypt.CompareHashAndPassword(s.Users["alice"], []byte("s3cret-pw")) != nil || bcrypt.CompareHashAndPassword(s.Users["bob"], []byte("s3cret-pw")) != nil {
		t.Errorf("users %v: want alice and bob with their hashes", len(s.Users))
	}
	if got := cfg.Redact("hash " + string(hash)); strings.Contains(got, string(hash)) {
		t.Errorf("Redact keeps a password hash: %s", got)
	}
}

func TestServerDefaultsAndLoopback(t *testing.T) {
	for _, tc := range []struct{ block, listen string }{
		{"server {}", dsl.DefaultListen},
		{"server {\n  listen = \"localhost:0\"\n}", "localhost:0"},
		{"server {\n  listen = \"[::1]:9798\"\n}", "[::1]:9798"},
		{"server {\n  listen = \"127.0.0.2:9798\"\n}", "127.0.0.2:9798"},
	} {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"a.hcl": serverRule + tc.block + "\n"})
		cfg, diags := dsl.Load([]string{dir}, dsl.Options{LookupEnv: noEnv})
		if diags.HasErrors() {
			t.Errorf("%s: %s", tc.block, render(cfg, diags))
			continue
		}
		if cfg.Server == nil || cfg.Server.Listen != tc.listen || cfg.Server.HtpasswdFile != "" || cfg.Server.ReadOnly {
			t.Errorf("%s: server %+v, want listen %s and nothing else", tc.block, cfg.Server, tc.listen)
		}
	}

	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.hcl": serverRule})
	cfg, diags := dsl.Load([]string{dir}, dsl.Options{LookupEnv: noEnv})
	if diags.HasErrors() || cfg.Server != nil {
		t.Errorf("without a server block: server %+v, diags %s", cfg.Server, render(cfg, diags))
	}
}

func TestParseHtpasswd(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	b := strings.Replace(string(hash), "$2a$", "$2b$", 1)
	users, err := dsl.ParseHtpasswd("h", []byte("x:"+b+"\n"))
	if err != nil || len(users) != 1 {
		t.Fatalf("a $2b$ entry: %v %v", users, err)
	}
	for _, tc := range []struct{ content, want string }{
		{"", "h has no users"},
		{"# only a comment\n", "h has no users"},
		{"alice\n", "h:1: not user:hash"},
		{":" + b + "\n", "h:1: empty user name"},
		{"a:" + b + "\na:" + b + "\n", `h:2: user "a" again (first at line 1)`},
		{"a:" + b + "\nplain:pass:word\n", `h:2: user "plain" has a plain-text password`},
		{"old:abJnggxhB/yWI\n", `h:1: user "old" has a crypt(3) DES hash or a plain-text password`},
	} {
		_, err := dsl.ParseHtpasswd("h", []byte(tc.content))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.content, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "$2") {
			t.Errorf("%q: the error quotes a hash: %v", tc.content, err)
		}
	}
	if _, err := dsl.ParseHtpasswd("h", make([]byte, 2<<20)); err == nil {
		t.Error("a 2 MiB file is accepted")
	}
}
