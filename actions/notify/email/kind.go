package email

import (
	"errors"
	"fmt"
	"html"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/spec"
)

// DefaultSubject is the subject template of a block that does not set one.
const DefaultSubject = "[{{ host.name }}] {{ rule.name }} {{ rule.state }}"

// TLS modes.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, required (the default)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // clear text: a loopback relay only
)

var block = spec.Block{Attrs: []spec.Attr{
	{Name: "smtp", Type: spec.TypeString, Required: true},
	{Name: "from", Type: spec.TypeString, Required: true},
	{Name: "to", Type: spec.TypeStringList, Required: true},
	{Name: "subject", Type: spec.TypeTemplate, Default: DefaultSubject},
	{Name: "html", Type: spec.TypeBool},
	{Name: "username", Type: spec.TypeString},
	{Name: "password", Type: spec.TypeString, Secret: true},
	{Name: "password_file", Type: spec.TypeString},
	{Name: "tls", Type: spec.TypeString, Allowed: []string{TLSStartTLS, TLSImplicit, TLSNone}},
	{Name: "timeout", Type: spec.TypeDuration},
}}

// Kind is the email notifier as the actions registry lists it. With html = true the
// message is HTML and placeholder output is HTML-escaped; otherwise it is plain text.
var Kind = spec.Notifier{
	Name:  "email",
	Block: block,
	New: func(name string, attrs map[string]any, _ notify.Env) (notify.Notifier, error) {
		cfg, err := FromAttrs(attrs, true)
		if err != nil {
			return nil, err
		}
		e, err := New(cfg)
		if err != nil {
			return nil, err
		}
		return e, nil
	},
	Escape: func(attrs map[string]any) func(string) string {
		if h, _ := attrs["html"].(bool); h {
			return html.EscapeString
		}
		return nil
	},
	Check: func(attrs map[string]any) error {
		cfg, err := FromAttrs(attrs, false)
		if err != nil {
			return err
		}
		return cfg.check()
	},
}

// FromAttrs decodes an email block's attributes. With readFiles, password_file is read
// now (a missing file is reported before anything is sent); without, only checked.
func FromAttrs(attrs map[string]any, readFiles bool) (Config, error) {
	var cfg Config
	var passwordFile string
	err := block.Each("an email notifier", attrs, func(k string, v any) (err error) {
		switch k {
		case "smtp":
			cfg.Addr, err = spec.As[string](k, v)
		case "from":
			cfg.From, err = spec.As[string](k, v)
		case "to":
			cfg.To, err = spec.As[[]string](k, v)
		case "html":
			cfg.HTML, err = spec.As[bool](k, v)
		case "username":
			cfg.Username, err = spec.As[string](k, v)
		case "password":
			cfg.Password, err = spec.As[string](k, v)
		case "password_file":
			passwordFile, err = spec.As[string](k, v)
		case "tls":
			cfg.TLS, err = spec.As[string](k, v)
		case "timeout":
			cfg.Timeout, err = spec.As[time.Duration](k, v)
		}
		return err
	})
	if err != nil {
		return Config{}, err
	}
	if passwordFile != "" {
		if cfg.Password != "" {
			return Config{}, errors.New("set password or password_file, not both")
		}
		if readFiles {
			b, err := os.ReadFile(passwordFile)
			if err != nil {
				return Config{}, fmt.Errorf("password_file: %w", err)
			}
			cfg.Password = strings.TrimRight(string(b), "\r\n")
			if cfg.Password == "" {
				return Config{}, fmt.Errorf("password_file %s is empty", passwordFile)
			}
		} else {
			cfg.Password = "(from password_file)"
		}
	}
	return cfg, nil
}

// check reports what New refuses, naming the attribute; it never quotes the password.
func (c *Config) check() error {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" {
		return fmt.Errorf("smtp %q must be host:port, e.g. \"smtp.example.org:587\"", c.Addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("smtp %q: the port must be a number from 1 to 65535", c.Addr)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("from %q is not an email address: %v", c.From, err)
	}
	for _, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return fmt.Errorf("to %q is not an email address: %v", to, err)
		}
	}
	switch {
	case c.Username != "" && c.Password == "":
		return errors.New("username is set without password or password_file")
	case c.Username == "" && c.Password != "":
		return errors.New("password is set without username")
	}
	if c.TLS == TLSNone && !loopback(host) {
		what := "the messages"
		if c.Username != "" {
			what = "the password (AUTH) and the messages"
		}
		return fmt.Errorf(`tls = "none" would send %s in clear text to %s; it is allowed only to a loopback relay (127.0.0.1, ::1, localhost): use "starttls" or "tls"`, what, host)
	}
	return nil
}

// loopback reports whether host is this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
