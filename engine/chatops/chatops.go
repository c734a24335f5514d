package chatops

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/telegram"
	"github.com/notimon/notimon/dsl"
)

// DefaultPollTimeout is how long a daemon's getUpdates waits for an update before it asks
// again: Telegram answers at once when one arrives.
const DefaultPollTimeout = 50 * time.Second

// Options configure a Service.
type Options struct {
	StateDir string
	Logger   *slog.Logger     // nil: discard
	Now      func() time.Time // nil: time.Now; the time of silences, acks and replies
	// PollTimeout is the long poll's timeout in daemon mode, whole seconds (default
	// DefaultPollTimeout).
	PollTimeout time.Duration
}

// Service reads the updates of the bots of the commands notifiers of a configuration.
type Service struct {
	opts Options
	log  *slog.Logger

	mu    sync.Mutex
	cfg   *dsl.Config
	loops map[string]*loop // running bots, by key
}

type loop struct {
	bot    *Bot
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Service; it reads nothing until Update or Drain.
func New(o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = DefaultPollTimeout
	}
	o.PollTimeout = o.PollTimeout.Round(time.Second)
	return &Service{opts: o, log: o.Logger, loops: map[string]*loop{}}
}

// config is the configuration in force: what /status shows and where buttons find rules.
func (s *Service) config() *dsl.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Update makes the daemon's loops match cfg: a long-poll loop for each bot of its commands
// notifiers, started if new, restarted if its settings changed, stopped if gone. The loops
// end with ctx. A notifier that cannot be set up is logged and left out.
func (s *Service) Update(ctx context.Context, cfg *dsl.Config) {
	bots := s.bots(cfg)
	s.mu.Lock()
	s.cfg = cfg
	var stop []*loop
	for key, l := range s.loops {
		if _, ok := bots[key]; !ok {
			stop = append(stop, l)
			delete(s.loops, key)
		}
	}
	s.mu.Unlock()
	// Stopped before the new ones start: two readers of one bot would end each other's
	// long polls (409 Conflict).
	for _, l := range stop {
		l.cancel()
		<-l.done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, b := range bots {
		if _, ok := s.loops[key]; ok {
			continue
		}
		lctx, cancel := context.WithCancel(ctx)
		l := &loop{bot: b, cancel: cancel, done: make(chan struct{})}
		s.loops[key] = l
		go func() {
			defer close(l.done)
			b.run(lctx)
		}()
		b.log.Info("reading Telegram commands", "chats", b.chats())
	}
}

// Stop ends every loop and waits for them.
func (s *Service) Stop() {
	s.mu.Lock()
	loops := s.loops
	s.loops = map[string]*loop{}
	s.mu.Unlock()
	for _, l := range loops {
		l.cancel()
	}
	for _, l := range loops {
		<-l.done
	}
}

// Drain is cron mode: for each bot of cfg's commands notifiers, it fetches the pending
// updates (getUpdates with timeout 0, until none is left) and applies them. It returns what
// went wrong; the run goes on regardless.
func (s *Service) Drain(ctx context.Context, cfg *dsl.Config) []error {
	s.mu.Lock()
	s.cfg = cfg
	s.mu.Unlock()
	var errs []error
	for _, b := range s.bots(cfg) {
		if err := b.drain(ctx); err != nil {
			errs = append(errs, fmt.Errorf("telegram commands (%s): %w", strings.Join(b.names, ", "), err))
		}
	}
	return errs
}

// Enabled reports whether cfg has a telegram notifier with commands = true.
func Enabled(cfg *dsl.Config) bool {
	for _, n := range cfg.Notifiers {
		if on, _ := n.Attrs["commands"].(bool); n.Kind == telegram.Kind.Name && on {
			return true
		}
	}
	return false
}

// bots builds one Bot per token and API server from the commands notifiers of cfg.
func (s *Service) bots(cfg *dsl.Config) map[string]*Bot {
	out := map[string]*Bot{}
	for _, n := range cfg.Notifiers {
		if on, _ := n.Attrs["commands"].(bool); n.Kind != telegram.Kind.Name || !on {
			continue
		}
		tc, err := telegram.FromAttrs(n.Attrs)
		if err == nil {
			var a access
			if a, err = newAccess(n.Name, tc); err == nil {
				id := botID(tc)
				b, ok := out[id]
				if !ok {
					b = newBot(tc, s.opts, s.config)
					out[id] = b
				}
				b.names = append(b.names, n.Name)
				b.access = append(b.access, a)
			}
		}
		if err != nil {
			s.log.Error("telegram commands are off for this notifier", "notifier", n.Name, "err", notify.Redact(err.Error(), tc.Token))
		}
	}
	keyed := make(map[string]*Bot, len(out))
	for _, b := range out {
		b.log = s.log.With("notifier", strings.Join(b.names, ","))
		keyed[b.key()] = b
	}
	return keyed
}

// botID names a bot's reader: its token and API server.
func botID(c telegram.Config) string {
	return c.APIURL + "\x00" + c.Token
}

// tokenHash is a name for a token that does not reveal it: the state file of its offset.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:6])
}

// access is who may command through one notifier.
type access struct {
	notifier string
	chatID   int64  // the notifier's chat, when chat_id is a number
	chatName string // "@name", when it is a name
	users    []string
}

func newAccess(notifier string, c telegram.Config) (access, error) {
	a := access{notifier: notifier, users: c.AllowedUsers}
	chat := strings.TrimSpace(c.ChatID)
	if id, err := strconv.ParseInt(chat, 10, 64); err == nil {
		a.chatID = id
	} else if strings.HasPrefix(chat, "@") && len(chat) > 1 {
		a.chatName = chat
	} else {
		return access{}, fmt.Errorf("chat_id %q is neither a number nor an @name", chat)
	}
	return a, nil
}

// allows reports whether the user from may command from chat: from the notifier's chat,
// or, when allowed_users lists them, also from their private chat with the bot. A bot or a
// message without a sender (a channel post) never may.
func (a access) allows(chatID int64, chatUsername, chatType string, from *userRef) bool {
	if from == nil || from.isBot {
		return false
	}
	inChat := a.chatName == "" && chatID == a.chatID ||
		a.chatName != "" && chatUsername != "" && strings.EqualFold(a.chatName, "@"+chatUsername)
	if len(a.users) == 0 {
		return inChat
	}
	listed := slices.ContainsFunc(a.users, func(u string) bool {
		if name, ok := strings.CutPrefix(u, "@"); ok {
			return from.username != "" && strings.EqualFold(name, from.username)
		}
		return u == strconv.FormatInt(from.id, 10)
	})
	return listed && (inChat || chatType == "private" && chatID == from.id)
}

func (a access) chat() string {
	if a.chatName != "" {
		return a.chatName
	}
	return strconv.FormatInt(a.chatID, 10)
}

// userRef is the sender of an update.
type userRef struct {
	id        int64
	username  string
	firstName string
	isBot     bool
}

// who names the user in replies, silences and acks: @username, else the first name and id.
func (u *userRef) who() string {
	if u.username != "" {
		return "@" + u.username
	}
	if u.firstName != "" {
		return fmt.Sprintf("%s (id %d)", u.firstName, u.id)
	}
	return fmt.Sprintf("user %d", u.id)
}

var errConflict = errors.New("another program reads this bot's updates (409 Conflict): two notimon daemons with one bot, or a webhook set on it")
