package telegram

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/go-telegram/bot/models"

	"github.com/notimon/notimon/actions/notify"
)

// Button actions, the first part of a button's callback_data ("ack:<ref>").
const (
	ButtonAck       = "ack"
	ButtonSilence1h = "s1h"
	ButtonSilence1d = "s24h"
)

// RuleRef is the short reference of a rule in callback_data: 12 characters of a hash of the
// name, so that the data stays within Telegram's 64 bytes whatever the name's length. The
// rule is found again among the names the state directory keeps (engine/chatops).
func RuleRef(rule string) string {
	sum := sha256.Sum256([]byte(rule))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// ButtonData is the callback_data of a button: action, ':', the rule's reference.
func ButtonData(action, rule string) string { return action + ":" + RuleRef(rule) }

// ParseButton splits callback_data made by ButtonData.
func ParseButton(data string) (action, ref string, ok bool) {
	action, ref, ok = strings.Cut(data, ":")
	switch action {
	case ButtonAck, ButtonSilence1h, ButtonSilence1d:
	default:
		return "", "", false
	}
	return action, ref, ok && len(ref) == len(RuleRef(""))
}

// Keyboard is the inline keyboard of a firing message of rule: Ack, Silence 1h, Silence 24h.
func Keyboard(rule string) *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: "Ack", CallbackData: ButtonData(ButtonAck, rule)},
		{Text: "Silence 1h", CallbackData: ButtonData(ButtonSilence1h, rule)},
		{Text: "Silence 24h", CallbackData: ButtonData(ButtonSilence1d, rule)},
	}}}
}

// buttons returns the keyboard m carries: with commands on, a firing message of a rule has
// one; anything else (a resolve, a message sent by hand) none.
func (t *Telegram) buttons(m notify.Message) models.ReplyMarkup {
	if !t.cfg.Commands || m.State != "firing" || m.Rule == "" {
		return nil
	}
	return Keyboard(m.Rule)
}
