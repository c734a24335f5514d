package dsl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/notimon/notimon/actions"
	"github.com/notimon/notimon/probes"
)

// Options adjust how Load reads its environment. The zero value reads the real one.
type Options struct {
	// LookupEnv replaces os.LookupEnv for env("NAME").
	LookupEnv func(string) (string, bool)
}

// Load reads a configuration: every *.hcl file of each directory in lexical order, or the
// files named. It returns the compiled Config (partial when there are errors) and every
// problem found; the caller decides what to do with warnings. Files ending in _test.hcl are
// rule tests, not rules, and are skipped in directories.
func Load(paths []string, opts Options) (*Config, hcl.Diagnostics) {
	files, diags := collectFiles(paths)
	if diags.HasErrors() {
		return &Config{Files: map[string]*hcl.File{}}, diags
	}
	l := newLoader(opts)
	var gc gcBoost
	defer gc.done()
	for i, p := range parseFiles(files, readRulesFile, &gc) {
		name := files[i]
		if errors.Is(p.err, errTooLarge) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "File too large",
				Detail:   fmt.Sprintf("%s is larger than %d MiB, the most a rules file may hold; it is not read. Split it, or move data out of it.", name, MaxRulesFileSize>>20),
				Subject:  &hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos},
			})
			continue
		}
		if p.err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read file",
				Detail:   fmt.Sprintf("%s: %v.", files[i], p.err),
			})
			continue
		}
		diags = append(diags, l.addFile(files[i], p)...)
	}
	cfg, d := l.build()
	cfg.Secrets, cfg.SecretEnv = l.secrets, l.secretEnvNames()
	diags = l.finish(append(diags, d...))
	cfg.dropSyntax()
	return cfg, diags
}

// notText reports a file that is not UTF-8 text (HCL's encoding), or holds a NUL byte, at
// the first offending byte, or returns nil.
func notText(src []byte, name string) *hcl.Diagnostic {
	bad := bytes.IndexByte(src, 0)
	if !utf8.Valid(src) {
		for i := 0; i < len(src); {
			r, n := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && n <= 1 {
				if bad < 0 || i < bad {
					bad = i
				}
				break
			}
			i += n
		}
	}
	if bad < 0 {
		return nil
	}
	line := 1 + bytes.Count(src[:bad], []byte("\n"))
	col := 1 + utf8.RuneCount(src[bytes.LastIndexByte(src[:bad], '\n')+1:bad])
	pos := hcl.Pos{Line: line, Column: col, Byte: bad}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Not a text file",
		Detail:   fmt.Sprintf("%s is not UTF-8 text (byte 0x%02x at offset %d); rules files are HCL text, so it is not read.", name, src[bad], bad),
		Subject:  &hcl.Range{Filename: name, Start: pos, End: hcl.Pos{Line: line, Column: col + 1, Byte: bad + 1}},
	}
}

// MaxRulesFileSize is the largest rules file Load reads: far above any real rules file, and
// small enough that a stray log or binary dropped into rules.d cannot take seconds of CPU
// and hundreds of MiB to reject.
const MaxRulesFileSize = 4 << 20

var errTooLarge = errors.New("too large")

// readRulesFile reads a rules file of at most MaxRulesFileSize bytes.
func readRulesFile(name string) ([]byte, error) {
	// Stat before opening: opening a named pipe blocks until someone writes to it.
	if st, err := os.Stat(name); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxRulesFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxRulesFileSize {
		return nil, errTooLarge
	}
	return b, nil
}

// LoadSource loads one configuration from in-memory files (name → content), in name order.
// Tests and the fuzzer use it.
func LoadSource(sources map[string][]byte, opts Options) (*Config, hcl.Diagnostics) {
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	l := newLoader(opts)
	var diags hcl.Diagnostics
	read := func(name string) ([]byte, error) { return sources[name], nil }
	var gc gcBoost
	defer gc.done()
	for i, p := range parseFiles(names, read, &gc) {
		diags = append(diags, l.addFile(names[i], p)...)
	}
	cfg, d := l.build()
	cfg.Secrets, cfg.SecretEnv = l.secrets, l.secretEnvNames()
	diags = l.finish(append(diags, d...))
	cfg.dropSyntax()
	return cfg, diags
}

// dropSyntax keeps of each file only its text, which is what printing a diagnostic needs:
// the syntax trees are of no use once the configuration is compiled, and a daemon keeps
// its configuration for as long as it runs (they were a quarter of a loaded
// configuration's memory).
func (c *Config) dropSyntax() {
	for name, f := range c.Files {
		c.Files[name] = &hcl.File{Body: hcl.EmptyBody(), Bytes: f.Bytes}
	}
}

// finish drops the errors that only repeat others and repairs ranges hcl leaves half set:
// after a syntax error its parser recovers with nodes whose closing position is zero (an
// unclosed call's range ends at 0:0), and a diagnostic about such a node must still point
// inside its file.
func (l *loader) finish(diags hcl.Diagnostics) hcl.Diagnostics {
	diags = dropConsequences(l.dropUnreadable(diags))
	valid := func(r *hcl.Range) bool {
		if r == nil {
			return false
		}
		ok := r.Start.Line >= 1 && r.Start.Column >= 1 && r.End.Line >= r.Start.Line &&
			r.Start.Byte >= 0 && r.Start.Byte <= r.End.Byte
		if f := l.files[r.Filename]; f != nil {
			ok = ok && r.End.Byte <= len(f.Bytes)
		}
		return ok
	}
	for _, d := range diags {
		if d.Context != nil && !valid(d.Context) {
			d.Context = nil
		}
		if d.Subject != nil && !valid(d.Subject) {
			if d.Subject.Start.Line >= 1 {
				// Keep the start, which is right; end the range there.
				r := *d.Subject
				r.End = r.Start
				if valid(&r) {
					d.Subject = &r
					continue
				}
			}
			d.Subject = d.Context
		}
	}
	return diags
}

// collectFiles expands paths into the list of files to load.
func collectFiles(paths []string) ([]string, hcl.Diagnostics) {
	var files []string
	var diags hcl.Diagnostics
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read rules",
				Detail:   fmt.Sprintf("%v. Give a rules directory (default ./rules.d) or .hcl files.", err),
			})
			continue
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read rules directory",
				Detail:   fmt.Sprintf("%s: %v.", p, err),
			})
			continue
		}
		var found, skipped []string
		for _, e := range entries {
			name := e.Name()
			if !strings.HasSuffix(name, ".hcl") {
				continue
			}
			if strings.HasSuffix(name, "_test.hcl") || strings.HasPrefix(name, ".") {
				skipped = append(skipped, name)
				continue
			}
			full := filepath.Join(p, name)
			st, err := os.Stat(full)
			if err != nil {
				// A dangling symlink or a loop of them: say so, or the operator wonders
				// where the rules went.
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagWarning,
					Summary:  "Rules file skipped",
					Detail:   fmt.Sprintf("%s cannot be read (%v); it is skipped.", full, unwrapPathError(err)),
					Subject:  &hcl.Range{Filename: full, Start: hcl.InitialPos, End: hcl.InitialPos},
				})
				continue
			}
			if st.IsDir() {
				continue
			}
			found = append(found, full)
		}
		sort.Strings(found)
		if len(found) == 0 {
			detail := fmt.Sprintf("The directory %s has no *.hcl files.", p)
			if len(skipped) > 0 {
				// "But there is a .hcl file!": say why it does not count.
				verb := "are"
				if len(skipped) == 1 {
					verb = "is"
				}
				detail = fmt.Sprintf("The directory %s has no rules files: %s %s skipped (a name ending in _test.hcl is a rule test, one starting with a dot is hidden).", p, strings.Join(skipped, ", "), verb)
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No rule files",
				Detail:   detail + " Put at least one rules file there (see the README), or point at another directory.",
			})
		}
		files = append(files, found...)
	}
	return files, diags
}

// blockTypes are the top-level blocks, with how many labels each takes.
var blockTypes = map[string][2]int{ // type → {min labels, max labels}
	"settings": {0, 0},
	"locals":   {0, 0},
	"notifier": {2, 2},
	"template": {1, 1},
	"probe":    {1, 2},
	"rule":     {1, 1},
	// maintenance is decoded after the rules, whose names its globs are checked against.
	"maintenance": {1, 1},
	"server":      {0, 0},
}

var blockLabelHelp = map[string]string{
	"settings":    "settings { ... }",
	"locals":      "locals { ... }",
	"notifier":    `notifier "<kind>" "<name>" { ... }`,
	"template":    `template "<name>" { ... }`,
	"probe":       `probe "<kind>" { ... } or probe "<kind>" "<name>" { ... }`,
	"rule":        `rule "<name>" { ... }`,
	"maintenance": `maintenance "<name>" { ... }`,
	"server":      "server { ... }",
}

// loader accumulates the blocks of every file, then builds the Config in dependency order:
// locals, templates, settings, notifiers, probes, rules.
type loader struct {
	opts    Options
	files   map[string]*hcl.File
	blocks  map[string][]*hclsyntax.Block // by type, in load order
	unset   []string                      // env vars read but not set, since the last reset
	envRead []string                      // env vars read, since the last reset
	envSeen map[string]string             // every env var read, with its value
	// secrets and secretEnv become Config.Secrets and Config.SecretEnv.
	secrets   []string
	secretEnv []string
	lines     map[string]*lineIndex // line starts by file, built on first use
	defined   map[string]*defined   // by what ("rule"): the names defined (kind)
	// broken is, by file, the part of it that the parser's recovery from its first syntax
	// error makes unreadable.
	broken map[string][]brokenSpan
	// dependsOn is each rule's depends_on attribute, for positioning its problems.
	dependsOn map[string]*hcl.Attribute
	// funcs are the HCL functions by file (functions).
	funcs map[string]map[string]function.Function
}

func newLoader(opts Options) *loader {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	return &loader{
		opts:    opts,
		files:   map[string]*hcl.File{},
		blocks:  map[string][]*hclsyntax.Block{},
		defined: map[string]*defined{},
		lines:   map[string]*lineIndex{},
		broken:  map[string][]brokenSpan{},
		envSeen: map[string]string{},

		dependsOn: map[string]*hcl.Attribute{},
	}
}

// secretEnvNames is every env var read whose value is, or holds, a secret: the names read
// directly in a secret attribute and those read through a local.
func (l *loader) secretEnvNames() []string {
	names := map[string]bool{}
	for _, n := range l.secretEnv {
		names[n] = true
	}
	for n, v := range l.envSeen {
		for _, sec := range l.secrets {
			if len(v) >= 4 && len(sec) >= 4 && (strings.Contains(sec, v) || strings.Contains(v, sec)) {
				names[n] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(names))
}

func (l *loader) lineIndex(file string) *lineIndex {
	li, ok := l.lines[file]
	if !ok {
		li = &lineIndex{}
		l.lines[file] = li
	}
	return li
}

// parsedFile is one file read and parsed.
type parsedFile struct {
	file   *hcl.File // nil when it could not be read
	diags  hcl.Diagnostics
	broken []brokenSpan
	err    error // reading it
}

// parseFiles reads and parses files, several at once: parsing is the largest part of
// loading a large rules directory, and files parse independently. The results are in the
// order of names. hclsyntax is used directly, not through an hclparse.Parser, which would
// cache files by name (and is not safe for concurrent use): every load reads the files as
// they are now.
func parseFiles(names []string, read func(string) ([]byte, error), gc *gcBoost) []parsedFile {
	out := make([]parsedFile, len(names))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(names)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				src, err := read(names[i])
				if err != nil {
					out[i].err = err
					continue
				}
				gc.add(len(src))
				out[i] = parseFile(names[i], src)
			}
		}()
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func parseFile(name string, src []byte) parsedFile {
	// CRLF files load like LF ones: heredocs would otherwise keep the \r in messages.
	if bytes.Contains(src, []byte("\r\n")) { // ReplaceAll copies even when there is none
		src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	}
	if d := notText(src, name); d != nil {
		// A binary dropped into rules.d: one error, not one per stray byte.
		return parsedFile{diags: hcl.Diagnostics{d}}
	}
	if f, ok := parseSplit(src, name); ok {
		return parsedFile{file: f}
	}
	f, diags := parseConfig(src, name, hcl.InitialPos)
	var broken []brokenSpan
	if diags.HasErrors() {
		// Keep a syntax error from spilling over into the blocks after it (syntax.go).
		f, diags, broken = parseByBlock(src, name)
	}
	return parsedFile{file: f, diags: diags, broken: broken}
}

// addFile takes in one parsed file and sorts its top-level blocks by type.
func (l *loader) addFile(name string, p parsedFile) hcl.Diagnostics {
	f, diags := p.file, p.diags
	if p.broken != nil {
		l.broken[name] = p.broken
	}
	if f == nil {
		return diags
	}
	l.files[name] = f
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return diags
	}
	for _, attr := range body.Attributes {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unexpected attribute",
			Detail:   fmt.Sprintf("%q cannot stand at the top level of a file; attributes go inside a block such as settings { ... } or locals { ... }.", attr.Name),
			Subject:  attr.NameRange.Ptr(),
		})
	}
	for _, b := range body.Blocks {
		labels, known := blockTypes[b.Type]
		if !known {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown block type",
				Detail:   fmt.Sprintf("There is no %q block.%s The blocks are: settings, locals, notifier, template, probe, rule, maintenance, server.", b.Type, suggest(b.Type, keys(blockTypes))),
				Subject:  b.TypeRange.Ptr(),
			})
			continue
		}
		if n := len(b.Labels); n < labels[0] || n > labels[1] {
			subject := b.TypeRange
			if n > 0 {
				subject = hcl.RangeBetween(b.LabelRanges[0], b.LabelRanges[n-1])
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Wrong number of labels",
				Detail:   fmt.Sprintf("A %s block has %d label(s) here; write it as %s.", b.Type, n, blockLabelHelp[b.Type]),
				Subject:  subject.Ptr(),
			})
			continue
		}
		l.blocks[b.Type] = append(l.blocks[b.Type], b)
	}
	return diags
}

// defined holds the names defined of one kind ("rule"): where each first is, and the names
// in order.
type defined struct {
	at    map[string]hcl.Range
	names []string
}

// kind returns the definitions of what, made with room for every block of its kind (every
// attribute of the locals blocks for "local"): a 4 MiB file defines 22,000 locals and
// 11,000 rules.
func (l *loader) kind(what string) *defined {
	if k, ok := l.defined[what]; ok {
		return k
	}
	n := len(l.blocks[what])
	if what == "local" {
		n = 0
		for _, b := range l.blocks["locals"] {
			n += len(b.Body.Attributes)
		}
	}
	k := &defined{at: make(map[string]hcl.Range, n), names: make([]string, 0, n)}
	l.defined[what] = k
	return k
}

// define records the definition of a named thing and reports a duplicate, citing the first.
func (l *loader) define(what, name string, rng hcl.Range) hcl.Diagnostics {
	k := l.kind(what)
	if prev, dup := k.at[name]; dup {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Duplicate " + what,
			Detail:   fmt.Sprintf("A %s named %q was already defined. Previous definition was at %s. Names are unique across all files of a rules directory.", what, name, rangeString(prev)),
			Subject:  rng.Ptr(),
		}}
	}
	k.at[name] = rng
	k.names = append(k.names, name)
	return nil
}

// isDefined says whether a name of what ("rule") is defined.
func (l *loader) isDefined(what, name string) bool {
	k := l.defined[what]
	if k == nil {
		return false
	}
	_, ok := k.at[name]
	return ok
}

// definedNames lists the names defined of what ("notifier"), sorted.
func (l *loader) definedNames(what string) []string {
	var names []string
	if k := l.defined[what]; k != nil {
		names = slices.Clone(k.names)
	}
	sort.Strings(names)
	return names
}

// rangeString renders a range as file:line,col-col like Terraform does.
func rangeString(r hcl.Range) string {
	return fmt.Sprintf("%s:%d,%d-%d", r.Filename, r.Start.Line, r.Start.Column, r.End.Column)
}

// build decodes the collected blocks into a Config.
func (l *loader) build() (*Config, hcl.Diagnostics) {
	cfg := &Config{Files: l.files, Settings: defaultSettings()}
	var diags hcl.Diagnostics

	locals, d := l.decodeLocals()
	diags = append(diags, d...)
	ev := &evaluator{loader: l, locals: locals}

	templateSrc := map[string]*sourceString{}
	for _, dt := range l.decodeTemplates(l.blocks["template"], ev) {
		diags = append(diags, dt.diags...)
		if dt.template != nil {
			cfg.Templates = append(cfg.Templates, dt.template)
			templateSrc[dt.template.Name] = dt.src
		}
	}
	ev.templates = append([]*Template{}, cfg.Templates...)
	for _, b := range l.blocks["template"] {
		if _, ok := templateSrc[b.Labels[0]]; !ok {
			// Its error is reported; its uses see an unknown text and are not reported again.
			ev.broken = append(ev.broken, b.Labels[0])
		}
	}

	for i, b := range l.blocks["settings"] {
		if i > 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate settings block",
				Detail:   fmt.Sprintf("There can be only one settings block across all files. Previous definition was at %s.", rangeString(l.blocks["settings"][0].DefRange())),
				Subject:  b.DefRange().Ptr(),
			})
			continue
		}
		s, d := l.decodeSettings(b, ev)
		diags = append(diags, d...)
		cfg.Settings = s
	}

	for i, b := range l.blocks["server"] {
		if i > 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate server block",
				Detail:   fmt.Sprintf("There can be only one server block across all files. Previous definition was at %s.", rangeString(l.blocks["server"][0].DefRange())),
				Subject:  b.DefRange().Ptr(),
			})
			continue
		}
		s, d := l.decodeServer(b, ev)
		diags = append(diags, d...)
		cfg.Server = s
	}

	for _, b := range l.blocks["notifier"] {
		n, d := l.decodeNotifier(b, ev)
		diags = append(diags, d...)
		if n != nil {
			cfg.Notifiers = append(cfg.Notifiers, n)
		}
	}

	var declared []probes.Ref
	for _, b := range l.blocks["probe"] {
		p, ref, d := l.decodeProbe(b, ev)
		diags = append(diags, d...)
		if ref != nil {
			declared = append(declared, *ref)
		}
		if p != nil {
			cfg.Probes = append(cfg.Probes, p)
		}
	}
	schema, err := probes.NewSchema(declared)
	if err != nil { // decodeProbe only lets known kinds through
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid probes", Detail: err.Error()})
		return cfg, diags
	}
	cfg.Schema = schema
	comp := newCompiler(schema)

	// A template's placeholders are checked where the template is written.
	diags = append(diags, l.compileTemplates(cfg.Templates, templateSrc, comp)...)

	// One set each for the whole configuration, sorted once at the end: loading stays linear
	// in the number of rules.
	refs := refSet{}
	reads := &configReads{fields: map[string]bool{}, windows: map[string]bool{}, seen: map[*Program]bool{}}

	// A notifier's title template (an email subject) is checked where it is written, and
	// the probes, fields and windows it reads are sampled like a message's.
	for _, n := range cfg.Notifiers {
		if n.titleSrc == nil {
			continue
		}
		k, _ := actions.LookupNotifier(n.Kind)
		ta, _ := k.Template()
		m, d := comp.compileMessage(n.titleSrc, fmt.Sprintf("notifier %q %s", n.Name, ta.Name))
		diags = append(diags, d...)
		if !d.HasErrors() {
			n.Title = m
			refs.add(m.Refs...)
			reads.addMessage(cfg, m)
		}
	}

	rules, ruleDiags := l.decodeRules(l.blocks["rule"], ev, comp, cfg)
	for i, r := range rules {
		diags = append(diags, ruleDiags[i]...)
		if r != nil {
			cfg.Rules = append(cfg.Rules, r)
			refs.add(r.Refs...)
			reads.add(cfg, r)
		}
	}
	diags = append(diags, l.orderRules(cfg)...)
	var ruleNames []string
	if len(l.blocks["maintenance"]) > 0 {
		ruleNames = l.definedNames("rule")
	}
	for _, b := range l.blocks["maintenance"] {
		m, d := l.decodeMaintenance(b, ev, ruleNames)
		diags = append(diags, d...)
		if m != nil {
			cfg.Maintenance = append(cfg.Maintenance, m)
			diags = append(diags, coversNothing(m, b, cfg.Rules, d)...)
		}
	}
	cfg.Refs = refs.sorted()
	cfg.Fields = make([]string, 0, len(reads.fields))
	for f := range reads.fields {
		cfg.Fields = append(cfg.Fields, f)
	}
	sort.Strings(cfg.Fields)
	return cfg, diags
}

// compileTemplates compiles the placeholders of each template, several at once when there
// are many, and adds them to comp's cache in order, for the rules that splice templates.
func (l *loader) compileTemplates(templates []*Template, srcs map[string]*sourceString, comp *compiler) hcl.Diagnostics {
	workers := workersFor(len(templates))
	if workers < 2 {
		var diags hcl.Diagnostics
		for _, t := range templates {
			if src := srcs[t.Name]; src != nil {
				_, d := comp.compileMessage(src, fmt.Sprintf("template %q", t.Name))
				diags = append(diags, d...)
			}
		}
		return diags
	}
	msgs := make([]*Message, len(templates))
	diags := make([]hcl.Diagnostics, len(templates))
	atOnce(workers, len(templates), func(int) bool { return false }, func() *compiler { return fork(comp) },
		func(wc *compiler, i int) {
			if src := srcs[templates[i].Name]; src != nil {
				msgs[i], diags[i] = wc.compileMessage(src, fmt.Sprintf("template %q", templates[i].Name))
			}
		})
	var all hcl.Diagnostics
	for i, m := range msgs {
		all = append(all, diags[i]...)
		if m != nil {
			canonicalMessage(m, comp.placeholders)
		}
	}
	return all
}

// suggest returns " Did you mean "x"?" when one of the options is close to given.
func suggest(given string, options []string) string {
	best := Closest(given, options)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// Closest returns the option nearest to given when it is close enough to be a typo (an
// edit distance under 3), else "". Every "did you mean" of notimon asks it: validate's,
// notimon test's and explain's.
func Closest(given string, options []string) string {
	best, bestDist := "", 3
	n := utf8.RuneCountInString(given)
	for _, o := range options {
		if diff := n - utf8.RuneCountInString(o); diff >= bestDist || -diff >= bestDist {
			continue // the distance is at least the difference in length
		}
		if d := levenshtein.Distance(given, o, nil); d < bestDist {
			best, bestDist = o, d
		}
	}
	return best
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// configReads collects what the rules of a configuration read: the fields, and the time
// windows, each once and in order of appearance.
type configReads struct {
	fields  map[string]bool
	windows map[string]bool // by Window.Key
	// seen are the placeholders read: a placeholder such as {{ host.name }} is one program
	// shared by every message that holds it, and is read once, not once per rule.
	seen map[*Program]bool
}

// add records the fields and windows of r's conditions and messages.
func (c *configReads) add(cfg *Config, r *Rule) {
	// A condition is a program of its own rule's: it cannot have been seen.
	for _, p := range []*Program{r.When, r.ClearWhen} {
		if p != nil {
			c.read(cfg, p)
		}
	}
	for _, chain := range [][]*Step{r.Fire, r.Resolve} {
		for _, s := range chain {
			if s.Message != nil {
				c.addMessage(cfg, s.Message)
			}
		}
	}
}

// addMessage records the fields and windows that m's placeholders read, each shared
// placeholder once.
func (c *configReads) addMessage(cfg *Config, m *Message) {
	for _, part := range m.Parts {
		if p := part.Program; p != nil && !c.seen[p] {
			c.seen[p] = true
			c.read(cfg, p)
		}
	}
}

// read records the fields and windows that p reads.
func (c *configReads) read(cfg *Config, p *Program) {
	for _, f := range p.fields {
		c.fields[f] = true
	}
	for _, w := range p.Windows {
		if k := w.Key(); !c.windows[k] {
			c.windows[k] = true
			cfg.Windows = append(cfg.Windows, w)
		}
	}
}
