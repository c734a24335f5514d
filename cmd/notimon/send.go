package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/notimon/notimon/actions"
	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/internal/pause"
)

// send has no outbox to fall back on, so it retries by itself, briefly: 3 attempts, 1 s and
// 2 s apart, and the exit code tells the caller. sendTimeout bounds the whole delivery, a
// hanging server included: an unreachable Bot API fails in seconds, not minutes.
var (
	sendPauses  = []time.Duration{time.Second, 2 * time.Second}
	sendTimeout = 12 * time.Second // a variable for tests
)

func newSendCmd() *cobra.Command {
	var to, config, envFile string
	var markup bool
	cmd := &cobra.Command{
		Use:   "send [--to NOTIFIER] [--config PATH] [--env-file FILE] MESSAGE ...",
		Short: "Send a message through a notifier of the rules (the recipe's send_msg.py)",
		Long: `send delivers a message through one of the notifiers declared in the rules.

Each MESSAGE argument becomes one line; "-" stands for standard input. The text is sent
exactly as written: characters that are markup for the notifier (<, >, & in Telegram's HTML
mode) are escaped, unless --markup says the text is markup already.

Without --to, the notifier is the only one declared, or else the only one that is not a
console notifier.

send has no outbox: it tries 3 times within a few seconds and gives up after 12 s at most
(an unreachable Bot API, a DNS failure), saying so; nothing retries the message later.

Exit status: 0 delivered, 1 not delivered (the reason is printed), 2 usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("send needs a message: notimon send 'disk almost full' (or - to read standard input)")}
			}
			text, err := messageText(args, cmd.InOrStdin())
			if err != nil {
				return usageError{err}
			}
			loadOpts, err := loadOptions(cmd, envFile)
			if err != nil {
				return err
			}
			return send(cmd, config, to, text, markup, loadOpts)
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the notifier to send through (its name in the rules)")
	cmd.Flags().StringVar(&config, "config", "rules.d", "the rules directory or file that declares the notifier")
	cmd.Flags().BoolVar(&markup, "markup", false, "the message is markup for the notifier's parse_mode; do not escape it")
	addEnvFileFlag(cmd, &envFile)
	return cmd
}

// messageText joins the arguments as lines, replacing "-" with standard input.
func messageText(args []string, stdin io.Reader) (string, error) {
	lines := make([]string, 0, len(args))
	for _, a := range args {
		if a != "-" {
			lines = append(lines, a)
			continue
		}
		b, err := io.ReadAll(stdin)
		if err != nil {
			return "", fmt.Errorf("reading standard input: %w", err)
		}
		lines = append(lines, strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"))
	}
	text := strings.Join(lines, "\n")
	if strings.TrimSpace(text) == "" {
		return "", fmt.Errorf("the message is empty")
	}
	return text, nil
}

func send(cmd *cobra.Command, config, to, text string, markup bool, loadOpts dsl.Options) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	cfg, diags := dsl.Load([]string{config}, loadOpts)
	if diags.HasErrors() {
		dsl.WriteDiagnostics(stderr, cfg.Files, diags)
		fmt.Fprintf(stderr, "notimon: %s has errors; nothing was sent. Fix them ('notimon validate %s' lists them).\n", config, config)
		return exitError{exitProblems}
	}
	n, err := pickNotifier(cfg, to)
	if err != nil {
		return err
	}
	secrets := &logSecrets{}
	secrets.add(cfg)
	logger := slog.New(redacting(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}), secrets))
	notifier, err := actions.NewNotifier(n.Kind, n.Name, n.Attrs, actions.Env{Stdout: stdout, Logger: logger})
	if err != nil {
		fmt.Fprintf(stderr, "notimon: message not sent: %v\n", err)
		return exitError{exitProblems}
	}
	if esc := actions.Escaper(n.Kind, n.Attrs); esc != nil && !markup {
		text = esc(text)
	}
	host := cfg.Settings.Host
	if host == "" {
		host, _ = os.Hostname()
	}
	m := notify.Message{Notifier: n.Name, Host: host, Text: text, Time: time.Now()}
	ctx, cancel := context.WithTimeout(cmd.Context(), sendTimeout)
	defer cancel()
	start := time.Now()
	if err := deliverNow(ctx, notifier, m); err != nil {
		fmt.Fprintf(stderr, "notimon: message not sent through %q (%s) after %s: %v; send has no outbox, so nothing will retry it\n",
			n.Name, n.Kind, time.Since(start).Round(100*time.Millisecond), err)
		return exitError{exitProblems}
	}
	if n.Kind != "console" {
		fmt.Fprintf(stdout, "delivered through %q (%s)\n", n.Name, n.Kind)
	}
	return nil
}

// deliverNow makes one attempt with n, and up to len(sendPauses) more after a failure that
// another attempt may get past, pausing sendPauses between them (longer when the service
// asks for it), and returns the last failure. A wait that would end past ctx's deadline
// ends the attempts at once: send says why now rather than later.
func deliverNow(ctx context.Context, n notify.Notifier, m notify.Message) error {
	for i := 0; ; i++ {
		retryable, err := n.Notify(ctx, m)
		if err == nil || !retryable || i == len(sendPauses) {
			return err
		}
		wait := max(sendPauses[i], notify.RetryAfter(err))
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return err
		}
		if parts, ok := notify.Delivered(err); ok {
			m.Resume = parts // the parts already in the chat are not sent again
		}
		if pause.For(ctx, wait) != nil {
			return err
		}
	}
}

// pickNotifier returns the notifier named to, or the only (non-console) one.
func pickNotifier(cfg *dsl.Config, to string) (*dsl.Notifier, error) {
	var names []string
	for _, n := range cfg.Notifiers {
		names = append(names, n.Name)
	}
	if to != "" {
		if n := cfg.Notifier(to); n != nil {
			return n, nil
		}
		return nil, usageError{fmt.Errorf("no notifier %q in the rules; declared: %s", to, strings.Join(names, ", "))}
	}
	if len(cfg.Notifiers) == 1 {
		return cfg.Notifiers[0], nil
	}
	var candidates []*dsl.Notifier
	for _, n := range cfg.Notifiers {
		if n.Kind != "console" {
			candidates = append(candidates, n)
		}
	}
	if len(candidates) == 1 {
		return candidates[0], nil
	}
	if len(cfg.Notifiers) == 0 {
		return nil, usageError{fmt.Errorf("the rules declare no notifier; add one, e.g. notifier \"telegram\" \"ops\" { ... }")}
	}
	return nil, usageError{fmt.Errorf("the rules declare several notifiers (%s); choose one with --to", strings.Join(names, ", "))}
}
