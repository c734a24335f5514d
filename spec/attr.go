package spec

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// AttrType is how the dsl checks and decodes an attribute of a notifier or probe block.
type AttrType int

const (
	TypeString     AttrType = iota // a string
	TypeNumber                     // a number, decoded as float64
	TypeBool                       // true or false
	TypeDuration                   // a string such as "90s", "5m", "1h", decoded as time.Duration
	TypeURL                        // an http:// or https:// URL, decoded as string
	TypeStringMap                  // { key = "value" }, decoded as map[string]string
	TypeArgv                       // a non-empty list of strings, decoded as []string
	TypeChatID                     // a number or an "@channel" name, decoded as string
	TypeRegexp                     // a string that compiles as a Go regular expression
	TypeHeaders                    // { Name = "value" } HTTP headers: valid names, one-line values; map[string]string
	TypeStringList                 // a non-empty list of non-empty strings, decoded as []string
	TypeUserList                   // a non-empty list of Telegram user ids (numbers) or "@username"s, decoded as []string
	// TypeTemplate is a one-line message template with {{ }} placeholders (an email's
	// subject, an ntfy title), decoded as its text. A kind has at most one: the dsl
	// compiles it (or the attribute's Default) like a message, and the engine renders it
	// into notify.Message.Title.
	TypeTemplate
	// TypeURLList is a non-empty list of distinct http:// or https:// URLs, decoded as
	// []string; a diagnostic points at the item that is wrong.
	TypeURLList
)

// String is the type as a diagnostic names it: "incorrect value type: must be a number".
func (t AttrType) String() string {
	switch t {
	case TypeString:
		return "a string"
	case TypeNumber:
		return "a number"
	case TypeBool:
		return "true or false"
	case TypeDuration:
		return `a duration such as "30s", "5m" or "1h"`
	case TypeURL:
		return "an http:// or https:// URL"
	case TypeStringMap:
		return `a map of strings, { key = "value" }`
	case TypeArgv:
		return `a non-empty list of strings, ["program", "arg", ...]`
	case TypeChatID:
		return `a chat id (a number) or a channel name ("@channel")`
	case TypeRegexp:
		return "a regular expression"
	case TypeHeaders:
		return `a map of HTTP headers, { Authorization = "Bearer ..." }`
	case TypeStringList:
		return `a non-empty list of strings, ["a", "b"]`
	case TypeURLList:
		return `a non-empty list of http:// or https:// URLs, ["http://a:9093", "http://b:9093"]`
	case TypeTemplate:
		return "a message template with {{ }} placeholders"
	case TypeUserList:
		return `a non-empty list of user ids or "@username"s, [123456789, "@alice"]`
	}
	return "a value"
}

// Attr describes one attribute of a notifier or probe block.
type Attr struct {
	Name     string
	Type     AttrType
	Required bool
	// Secret attributes are never printed; reading one from an unset environment variable
	// is a warning.
	Secret bool
	// Allowed, when set, lists the only accepted string values.
	Allowed []string
	// Min, when non-nil, is the smallest accepted number.
	Min *float64
	// Default is the text of a TypeTemplate attribute that is not set.
	Default string
}

// Template returns the block's TypeTemplate attribute, if it has one.
func (b Block) Template() (Attr, bool) {
	for _, a := range b.Attrs {
		if a.Type == TypeTemplate {
			return a, true
		}
	}
	return Attr{}, false
}

// AtLeast is a Min: Attr{Name: "samples", Type: TypeNumber, Min: AtLeast(1)}.
func AtLeast(v float64) *float64 { return &v }

// Interval is the attribute of the probes that may set their own pace (probe "http" "site"
// { interval = "1m" }): the sampler's business, not the probe's, so Decode never sees it.
var Interval = Attr{Name: "interval", Type: TypeDuration}

// Block is the attributes one kind's block accepts.
type Block struct {
	Attrs []Attr
	// OneOf lists groups of attributes of which exactly one must be set.
	OneOf [][]string
}

// Attr returns the attribute called name.
func (b Block) Attr(name string) (Attr, bool) {
	for _, a := range b.Attrs {
		if a.Name == name {
			return a, true
		}
	}
	return Attr{}, false
}

// Names returns the names of the attributes, in declaration order.
func (b Block) Names() []string {
	names := make([]string, len(b.Attrs))
	for i, a := range b.Attrs {
		names[i] = a.Name
	}
	return names
}

// Each calls set for every attribute in attrs, in name order. An attribute the block does
// not declare is an error that lists the ones it does: `unknown attribute "port" (a tcp probe
// takes address, interval and timeout)`, where what is "a tcp probe". The dsl lets no such
// attribute through; Each says so again for a caller that builds attrs by hand.
func (b Block) Each(what string, attrs map[string]any, set func(name string, v any) error) error {
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if _, ok := b.Attr(k); !ok {
			known := b.Names()
			slices.Sort(known)
			return fmt.Errorf("unknown attribute %q (%s takes %s)", k, what, list(known))
		}
		if err := set(k, attrs[k]); err != nil {
			return err
		}
	}
	return nil
}

// As returns v as a T, or an error naming the attribute.
func As[T any](name string, v any) (T, error) {
	t, ok := v.(T)
	if !ok {
		return t, fmt.Errorf("attribute %s: want %T, got %T", name, t, v)
	}
	return t, nil
}

// Duration returns a duration attribute, or def when it is zero.
func Duration(name string, v any, def time.Duration) (time.Duration, error) {
	d, err := As[time.Duration](name, v)
	if err == nil && d == 0 {
		d = def
	}
	return d, err
}

// list renders "a, b and c"; none is "nothing".
func list(names []string) string {
	switch len(names) {
	case 0:
		return "nothing"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
