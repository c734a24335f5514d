package main

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/ruletest"
)

// Dynamic shell completion (`notimon completion bash|zsh|fish` installs it; the shell asks
// `notimon __complete …` at every TAB): names are read from the rules the command line
// names, so they are the rules, notifiers and tests that command would use:
//
//	explain RULE      the rules of ./rules.d (explain's PATH comes after RULE)
//	send --to NAME    the notifiers of --config (default ./rules.d)
//	test --run NAME   the tests of the PATH arguments given so far (default ./rules.d)
//	probe NAME ...    the built-in probes (probe samples only those; it reads no rules)
//	silence expire ID the silences of --state-dir that have not ended (silence.go)
//	silence add --rule the rule names --state-dir knows; ack RULE its firing rules
//
// A completion never prints a diagnostic: rules that do not load complete with what loaded.
func registerCompletions(root *cobra.Command) {
	for _, c := range root.Commands() {
		switch c.Name() {
		case "explain":
			c.ValidArgsFunction = completeExplainArgs
		case "probe":
			c.ValidArgsFunction = completeProbeArgs
		case "send":
			_ = c.RegisterFlagCompletionFunc("to", completeSendTo)
		case "test":
			_ = c.RegisterFlagCompletionFunc("run", completeTestRun)
		}
	}
}

// loadForCompletion loads a rules directory or file without the process environment (names
// do not depend on it) and keeps whatever loaded.
func loadForCompletion(path string) *dsl.Config {
	cfg, _ := dsl.Load([]string{path}, dsl.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	return cfg
}

// matching keeps the candidates ("value\tdescription") whose value starts with prefix, sorted.
func matching(prefix string, candidates []string) []string {
	var out []string
	for _, c := range candidates {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

func completeExplainArgs(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 1 {
		return nil, cobra.ShellCompDirectiveDefault // PATH: files and directories
	}
	if len(args) > 1 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cfg := loadForCompletion("rules.d")
	var names []string
	for _, r := range cfg.Rules {
		descr := "rule"
		if r.When != nil {
			descr = "when " + r.When.Source
		}
		names = append(names, r.Name+"\t"+oneLine(descr))
	}
	return matching(toComplete, names), cobra.ShellCompDirectiveNoFileComp
}

func completeSendTo(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	config, _ := cmd.Flags().GetString("config")
	cfg := loadForCompletion(config)
	var names []string
	for _, n := range cfg.Notifiers {
		names = append(names, n.Name+"\t"+n.Kind)
	}
	return matching(toComplete, names), cobra.ShellCompDirectiveNoFileComp
}

// completeTestRun offers each test's name as a regular expression that matches it.
func completeTestRun(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		args = []string{"rules.d"}
	}
	files, _ := testFiles(args)
	var names []string
	for _, name := range files {
		f, _ := ruletest.LoadFile(name)
		for _, t := range f.Tests {
			names = append(names, regexp.QuoteMeta(t.Name)+"\t"+fmt.Sprintf("%s:%d", t.Range.Filename, t.Range.Start.Line))
		}
	}
	return matching(toComplete, names), cobra.ShellCompDirectiveNoFileComp
}

// completeProbeArgs offers the built-in probes not already on the command line, each
// described by its fields.
func completeProbeArgs(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	given := map[string]bool{}
	for _, a := range args {
		given[a] = true
	}
	var names []string
	for _, k := range probes.Kinds {
		if !k.Named && !given[k.Name] {
			names = append(names, k.Name+"\t"+strings.Join(exprFields(k.Values), ", "))
		}
	}
	return matching(toComplete, names), cobra.ShellCompDirectiveNoFileComp
}

// exprFields lists the expr names of a probe's values (of one element, for disk's map).
func exprFields(t reflect.Type) []string {
	for t != nil && (t.Kind() == reflect.Map || t.Kind() == reflect.Pointer) {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("expr"), ","); tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

// oneLine squeezes whitespace, so that a description fits a completion menu's line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 60 {
		s = string(r[:59]) + "…"
	}
	return s
}
