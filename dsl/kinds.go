package dsl

// AttrType is how an attribute of a notifier or probe block is checked and decoded.
type AttrType int

const (
	TypeString    AttrType = iota // a string
	TypeNumber                    // a number, decoded as float64
	TypeBool                      // true or false
	TypeDuration                  // a string such as "90s", "5m", "1h", decoded as time.Duration
	TypeURL                       // an http:// or https:// URL, decoded as string
	TypeStringMap                 // { key = "value" }, decoded as map[string]string
	TypeArgv                      // a non-empty list of strings, decoded as []string
	TypeChatID                    // a number or an "@channel" name, decoded as string
	TypeRegexp                    // a string that compiles as a Go regular expression
	TypeHeaders                   // { Name = "value" } HTTP headers: valid names, one-line values; map[string]string
)

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
	}
	return "a value"
}

// AttrSpec describes one attribute of a notifier or probe block.
type AttrSpec struct {
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
}

// KindSpec describes the attributes one notifier or probe kind accepts.
type KindSpec struct {
	Kind  string
	Attrs []AttrSpec
	// OneOf lists groups of attributes of which exactly one must be set.
	OneOf [][]string
}

func (k KindSpec) attr(name string) (AttrSpec, bool) {
	for _, a := range k.Attrs {
		if a.Name == name {
			return a, true
		}
	}
	return AttrSpec{}, false
}

func minOf(v float64) *float64 { return &v }

// NotifierKinds lists every notifier kind the DSL accepts and its attributes. The actions
// package's registry must construct exactly these kinds (a test checks that they agree).
var NotifierKinds = []KindSpec{
	{Kind: "console"},
	{Kind: "telegram", Attrs: []AttrSpec{
		{Name: "token", Type: TypeString, Secret: true},
		{Name: "token_file", Type: TypeString},
		{Name: "chat_id", Type: TypeChatID},
		{Name: "chat_id_file", Type: TypeString},
		{Name: "message_thread_id", Type: TypeNumber},
		{Name: "parse_mode", Type: TypeString, Allowed: []string{"HTML", "MarkdownV2", "none"}},
		{Name: "disable_notification", Type: TypeBool},
		{Name: "api_url", Type: TypeURL},
		{Name: "timeout", Type: TypeDuration},
	}, OneOf: [][]string{{"token", "token_file"}, {"chat_id", "chat_id_file"}}},
	{Kind: "webhook", Attrs: []AttrSpec{
		{Name: "url", Type: TypeURL, Required: true, Secret: true},
		{Name: "headers", Type: TypeHeaders, Secret: true},
		{Name: "timeout", Type: TypeDuration},
	}},
	{Kind: "alertmanager", Attrs: []AttrSpec{
		{Name: "url", Type: TypeURL, Required: true},
		{Name: "headers", Type: TypeHeaders, Secret: true},
		{Name: "timeout", Type: TypeDuration},
	}},
}

// ProbeKinds lists the attributes of every probe kind that a `probe` block can tune or
// declare. Kinds themselves (and whether they take a name) come from the probes registry.
var ProbeKinds = []KindSpec{
	{Kind: "host"},
	{Kind: "cpu", Attrs: []AttrSpec{
		{Name: "window", Type: TypeDuration},
		{Name: "samples", Type: TypeNumber, Min: minOf(1)},
	}},
	{Kind: "mem"},
	{Kind: "swap"},
	{Kind: "load"},
	{Kind: "disk", Attrs: []AttrSpec{
		{Name: "interval", Type: TypeDuration},
		{Name: "timeout", Type: TypeDuration},
	}},
	{Kind: "net", Attrs: []AttrSpec{
		{Name: "interval", Type: TypeDuration},
	}},
	{Kind: "process", Attrs: []AttrSpec{
		{Name: "interval", Type: TypeDuration},
		{Name: "match", Type: TypeRegexp},
		{Name: "cmdline", Type: TypeRegexp},
		{Name: "pidfile", Type: TypeString},
	}, OneOf: [][]string{{"match", "cmdline", "pidfile"}}},
	{Kind: "http", Attrs: []AttrSpec{
		{Name: "interval", Type: TypeDuration},
		{Name: "url", Type: TypeURL, Required: true},
		{Name: "method", Type: TypeString, Allowed: []string{"GET", "HEAD", "POST", "PUT", "OPTIONS"}},
		{Name: "headers", Type: TypeHeaders},
		{Name: "body_match", Type: TypeRegexp},
		{Name: "timeout", Type: TypeDuration},
		{Name: "insecure_skip_verify", Type: TypeBool},
	}},
	{Kind: "tcp", Attrs: []AttrSpec{
		{Name: "interval", Type: TypeDuration},
		{Name: "address", Type: TypeString, Required: true},
		{Name: "timeout", Type: TypeDuration},
	}},
	{Kind: "command", Attrs: []AttrSpec{
		{Name: "interval", Type: TypeDuration},
		{Name: "command", Type: TypeArgv, Required: true},
		{Name: "timeout", Type: TypeDuration},
	}},
	{Kind: "file", Attrs: []AttrSpec{
		{Name: "interval", Type: TypeDuration},
		{Name: "path", Type: TypeString, Required: true},
		{Name: "timeout", Type: TypeDuration},
	}},
}

func lookupSpec(specs []KindSpec, kind string) (KindSpec, bool) {
	for _, s := range specs {
		if s.Kind == kind {
			return s, true
		}
	}
	return KindSpec{}, false
}

func specNames(specs []KindSpec) []string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Kind
	}
	return names
}
