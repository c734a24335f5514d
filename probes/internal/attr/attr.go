// Package attr decodes the attributes of a probe block (already typed by the dsl: string,
// time.Duration, []string, map[string]string, bool) into a probe's Config. The named probes
// (http, tcp, command, file) share it so that each one's FromAttrs lists only its own
// attributes.
package attr

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Each calls set for every attribute, in name order. An attribute that is not in known is
// an error that lists the ones the kind takes: "unknown attribute "x" (a tcp probe takes
// address and timeout)". article is "a" or "an", for the message.
func Each(article, kind string, attrs map[string]any, known []string, set func(name string, v any) error) error {
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !contains(known, k) {
			return fmt.Errorf("unknown attribute %q (%s %s probe takes %s)", k, article, kind, list(known))
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// list renders "a, b and c".
func list(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
