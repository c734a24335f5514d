// Package glob matches the globs that select rules by name (maintenance rules, silences,
// /silence, rule tests): * any run of characters, ? one character, [a-z] a class, \ quotes
// the next character.
package glob

import (
	"path"
	"strings"
)

// slash stands for '/' while path.Match runs: path.Match keeps * and ? from matching '/',
// but a rule name is not a path, and "*" must select every rule ("web/api down" too).
const slash = "\uE000"

// Match reports whether name matches pattern. The only error is path.ErrBadPattern, for a
// malformed pattern (Match(pattern, "") checks one).
func Match(pattern, name string) (bool, error) {
	return path.Match(strings.ReplaceAll(pattern, "/", slash), strings.ReplaceAll(name, "/", slash))
}
