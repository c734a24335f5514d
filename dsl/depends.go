package dsl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// orderRules checks every rule's depends_on (each parent a declared rule, no rule its own
// ancestor) and puts cfg.Rules in dependency order, parents first, so that a tick settles a
// parent before its children read its state. Rules keep the order of the files otherwise.
func (l *loader) orderRules(cfg *Config) hcl.Diagnostics {
	if !slices.ContainsFunc(cfg.Rules, func(r *Rule) bool { return len(r.DependsOn) > 0 }) {
		return nil
	}
	var diags hcl.Diagnostics
	var declared []string // rules with errors of their own too: not unknown; for suggestions
	byName := make(map[string]*Rule, len(cfg.Rules))
	for _, r := range cfg.Rules {
		byName[r.Name] = r
	}
	valid := map[string][]string{} // each rule's parents, less the unknown and repeated ones
	for _, r := range cfg.Rules {
		if len(r.DependsOn) == 0 {
			continue
		}
		a := l.dependsOn[r.Name]
		seen := map[string]bool{}
		var kept []string
		for i, p := range r.DependsOn {
			switch {
			case seen[p]:
				diags = append(diags, itemError(a, i, "Duplicate parent", fmt.Sprintf("rule %q depends_on lists %q twice.", r.Name, p)))
			case !l.isDefined("rule", p):
				if declared == nil {
					declared = l.definedNames("rule")
				}
				detail := fmt.Sprintf("rule %q depends on %q, which is not a rule of this configuration.%s", r.Name, p, suggest(p, declared))
				diags = append(diags, itemError(a, i, "Unknown rule", detail))
			default:
				kept = append(kept, p)
			}
			seen[p] = true
		}
		valid[r.Name] = kept
	}
	defer func() {
		for _, r := range cfg.Rules {
			if len(r.DependsOn) > 0 {
				r.DependsOn = valid[r.Name]
			}
		}
	}()

	// Depth-first, parents before children; a rule met again while its own parents are
	// being visited closes a cycle.
	const (
		unvisited = iota
		visiting
		done
	)
	mark := make(map[string]int, len(cfg.Rules))
	ordered := make([]*Rule, 0, len(cfg.Rules))
	var stack []string
	reported := map[string]bool{}
	var visit func(r *Rule)
	visit = func(r *Rule) {
		mark[r.Name] = visiting
		stack = append(stack, r.Name)
		for _, p := range r.DependsOn {
			parent := byName[p]
			if parent == nil { // declared, but it has errors of its own
				continue
			}
			switch mark[p] {
			case unvisited:
				visit(parent)
			case visiting:
				// From this rule round to itself: r → p → … → r (r is on top of the stack).
				cycle := append(append([]string{r.Name}, stack[slices.Index(stack, p):len(stack)-1]...), r.Name)
				key := cycleKey(cycle)
				if reported[key] {
					continue
				}
				reported[key] = true
				detail := fmt.Sprintf("rule %q depends on itself.", r.Name)
				if p != r.Name {
					detail = fmt.Sprintf("rule %q depends on %q, which depends on it in turn: %s (each rule depends on the next).", r.Name, p, strings.Join(cycle, " → "))
				}
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Dependency cycle",
					Detail:   detail + " A rule's notifications are held back while a parent fires, so a cycle would hold them back for good; remove one of these depends_on entries.",
					Subject:  itemRange(l.dependsOn[r.Name], slices.Index(r.DependsOn, p)),
				})
			}
		}
		stack = stack[:len(stack)-1]
		mark[r.Name] = done
		ordered = append(ordered, r)
	}
	for _, r := range cfg.Rules {
		if mark[r.Name] == unvisited {
			visit(r)
		}
	}
	cfg.Rules = ordered
	return diags
}

// cycleKey names a cycle whatever rule it is read from: its members, sorted.
func cycleKey(cycle []string) string {
	members := slices.Clone(cycle[:len(cycle)-1])
	slices.Sort(members)
	return strings.Join(members, "\x00")
}
