package telegram

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/spec"
)

var block = spec.Block{
	Attrs: []spec.Attr{
		{Name: "token", Type: spec.TypeString, Secret: true},
		{Name: "token_file", Type: spec.TypeString},
		{Name: "chat_id", Type: spec.TypeChatID},
		{Name: "chat_id_file", Type: spec.TypeString},
		{Name: "message_thread_id", Type: spec.TypeNumber},
		{Name: "parse_mode", Type: spec.TypeString, Allowed: []string{ModeHTML, ModeMarkdownV2, ModeNone}},
		{Name: "disable_notification", Type: spec.TypeBool},
		{Name: "api_url", Type: spec.TypeURL},
		{Name: "timeout", Type: spec.TypeDuration},
		{Name: "commands", Type: spec.TypeBool},
		{Name: "allowed_users", Type: spec.TypeUserList},
	},
	OneOf: [][]string{{"token", "token_file"}, {"chat_id", "chat_id_file"}},
}

// Kind is the telegram notifier as the actions registry lists it. Placeholder output is
// escaped for the block's parse_mode (HTML by default).
var Kind = spec.Notifier{
	Name:  "telegram",
	Block: block,
	New: func(name string, attrs map[string]any, env notify.Env) (notify.Notifier, error) {
		cfg, err := FromAttrs(attrs)
		if err != nil {
			return nil, err
		}
		cfg.Logger = env.Logger
		t, err := New(cfg)
		if err != nil {
			return nil, err
		}
		return t, nil
	},
	Escape: func(attrs map[string]any) func(string) string {
		mode, _ := attrs["parse_mode"].(string)
		return Escaper(mode)
	},
	Check: func(attrs map[string]any) error {
		on, _ := attrs["commands"].(bool)
		if _, set := attrs["allowed_users"]; set && !on {
			return fmt.Errorf("allowed_users says who may send commands, but commands is not true: set commands = true, or remove allowed_users")
		}
		return nil
	},
}

// FromAttrs builds a Config from a telegram block's decoded attributes, reading token_file
// and chat_id_file now so that a missing file is reported before anything is sent. New
// checks the rest.
func FromAttrs(attrs map[string]any) (Config, error) {
	var cfg Config
	var tokenFile, chatIDFile string
	err := block.Each("a telegram notifier", attrs, func(k string, v any) (err error) {
		switch k {
		case "token":
			cfg.Token, err = spec.As[string](k, v)
		case "token_file":
			tokenFile, err = spec.As[string](k, v)
		case "chat_id":
			cfg.ChatID, err = spec.As[string](k, v)
		case "chat_id_file":
			chatIDFile, err = spec.As[string](k, v)
		case "message_thread_id":
			var n float64
			n, err = spec.As[float64](k, v)
			cfg.ThreadID = int(n)
		case "parse_mode":
			cfg.ParseMode, err = spec.As[string](k, v)
		case "disable_notification":
			cfg.DisableNotification, err = spec.As[bool](k, v)
		case "api_url":
			cfg.APIURL, err = spec.As[string](k, v)
		case "timeout":
			cfg.Timeout, err = spec.As[time.Duration](k, v)
		case "commands":
			cfg.Commands, err = spec.As[bool](k, v)
		case "allowed_users":
			cfg.AllowedUsers, err = spec.As[[]string](k, v)
		}
		return err
	})
	if err != nil {
		return Config{}, err
	}
	for _, f := range []struct {
		attr, path string
		dest       *string
	}{{"token_file", tokenFile, &cfg.Token}, {"chat_id_file", chatIDFile, &cfg.ChatID}} {
		if f.path == "" {
			continue
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %w", f.attr, err)
		}
		*f.dest = strings.TrimSpace(string(b))
	}
	return cfg, nil
}
