package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/notimon/notimon/dsl"
)

// addEnvFileFlag adds --env-file to cmd: the credentials file a cron line (whose environment
// is nearly empty) or a shell can share with the systemd unit's EnvironmentFile=.
func addEnvFileFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "env-file", "", "read variables for env(\"NAME\") in the rules from FILE (KEY=VALUE lines, as systemd's EnvironmentFile)")
}

// envLookup returns the env("NAME") lookup of the rules: the variables of the env file, then
// the process environment. Without a file it is os.LookupEnv. The file's values are never
// exported to the process: commands of exec steps and probes do not see them.
func envLookup(path string) (func(string) (string, bool), error) {
	if path == "" {
		return os.LookupEnv, nil
	}
	vars, err := readEnvFile(path)
	if err != nil {
		return nil, err
	}
	return func(name string) (string, bool) {
		if v, ok := vars[name]; ok {
			return v, true
		}
		return os.LookupEnv(name)
	}, nil
}

// loadOptions is dsl.Options for a command with --env-file; the error, if any, has been printed.
func loadOptions(cmd *cobra.Command, envFile string) (dsl.Options, error) {
	lookup, err := envLookup(envFile)
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "notimon: %v\n", err)
		return dsl.Options{}, exitError{exitProblems}
	}
	return dsl.Options{LookupEnv: lookup}, nil
}

// readEnvFile parses a file in the syntax of systemd's EnvironmentFile=: one KEY=VALUE per
// line; empty lines and lines starting with # or ; are ignored; the value may be in double
// quotes (\" \\ \$ \` are escapes) or single quotes (literal); whitespace around the key and
// an unquoted value is trimmed; a leading "export " is allowed, so the file can also be
// sourced by a shell. A value spanning lines is not supported. CRLF line endings are fine.
// Errors name the file and line, never the line's text: values are secrets.
func readEnvFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		key, value, err := parseEnvLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("--env-file %s:%d: %v", path, n, err)
		}
		if key != "" {
			vars[key] = value
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--env-file %s: %w", path, err)
	}
	return vars, nil
}

// parseEnvLine parses one line of an env file; key is "" for a blank or comment line.
func parseEnvLine(line string) (key, value string, err error) {
	line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
	if line == "" || line[0] == '#' || line[0] == ';' {
		return "", "", nil
	}
	if rest, ok := strings.CutPrefix(line, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		line = strings.TrimSpace(rest)
	}
	key, raw, ok := strings.Cut(line, "=")
	if !ok {
		return "", "", fmt.Errorf("not a KEY=VALUE line (no '=')")
	}
	key = strings.TrimSpace(key)
	if !validEnvName(key) {
		return "", "", fmt.Errorf("invalid variable name before '=': use letters, digits and _, not starting with a digit")
	}
	raw = strings.TrimSpace(raw)
	if raw == "" || (raw[0] != '"' && raw[0] != '\'') {
		return key, raw, nil
	}
	quote := raw[0]
	var b strings.Builder
	for i := 1; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == quote:
			if strings.TrimSpace(raw[i+1:]) != "" {
				return "", "", fmt.Errorf("variable %s: text after the closing quote", key)
			}
			return key, b.String(), nil
		case c == '\\' && quote == '"' && i+1 < len(raw) && strings.IndexByte("\"\\$`", raw[i+1]) >= 0:
			i++
			b.WriteByte(raw[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("variable %s: the quoted value has no closing %c (values spanning lines are not supported)", key, quote)
}

func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
