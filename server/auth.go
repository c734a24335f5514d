package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/notimon/notimon/dsl"
)

// Rate limiting of failed logins, per client address: a burst of loginBurst failures, then
// one more every loginRefill. Beyond that, every login attempt from the address gets 429
// without its password being checked, so guessing runs at ~6 tries a minute.
const (
	loginBurst  = 10
	loginRefill = 10 * time.Second
	// maxClients bounds the limiter's memory; when it fills, buckets back at full are dropped.
	maxClients = 4096
	// htpasswdCheck is how often the htpasswd file is looked at (stat) for changes.
	htpasswdCheck = 2 * time.Second
	// maxCached bounds the cache of verified credentials.
	maxCached = 256
)

// realm is the basic-auth realm browsers show.
const realm = `Basic realm="notimon", charset="UTF-8"`

// users is one htpasswd file's entries as loaded, immutable.
type users struct {
	path    string
	hashes  map[string][]byte
	dummy   []byte // compared against for an unknown user, at the file's cost
	modTime time.Time
	size    int64
}

// auth checks basic-auth credentials against the htpasswd users. bcrypt is slow on
// purpose (tens of ms a check), and a browser sends the credentials with every request, so
// verified credentials are remembered (by an HMAC of user and password under a per-process
// key, never the password) until the users change.
type auth struct {
	log    *slog.Logger
	now    func() time.Time
	key    []byte // HMAC key for the cache and CSRF tokens
	mu     sync.Mutex
	u      *users // nil: no authentication
	ok     map[[sha256.Size]byte]string
	last   time.Time // of the last htpasswd stat
	limits map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newAuth(log *slog.Logger, now func() time.Time) *auth {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return &auth{log: log, now: now, key: key, ok: map[[sha256.Size]byte]string{}, limits: map[string]*bucket{}}
}

// set installs the users of a server block (nil or no htpasswd_file: no authentication).
func (a *auth) set(s *dsl.Server) error {
	var u *users
	if s != nil && s.HtpasswdFile != "" {
		var err error
		u, err = newUsers(s.HtpasswdFile, s.Users)
		if err != nil {
			return err
		}
		if st, err := os.Stat(s.HtpasswdFile); err == nil {
			u.modTime, u.size = st.ModTime(), st.Size()
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.u = u
	a.ok = map[[sha256.Size]byte]string{}
	a.last = a.now()
	return nil
}

func newUsers(path string, hashes map[string][]byte) (*users, error) {
	cost := bcrypt.DefaultCost
	for _, h := range hashes {
		if c, err := bcrypt.Cost(h); err == nil {
			cost = c
			break
		}
	}
	dummy, err := dummyHash(cost)
	if err != nil {
		return nil, fmt.Errorf("htpasswd: %w", err)
	}
	return &users{path: path, hashes: hashes, dummy: dummy}, nil
}

// dummies are the dummy hashes by cost, made once: a reload should not spend a bcrypt
// hash's time again.
var dummies sync.Map // int → []byte

func dummyHash(cost int) ([]byte, error) {
	if h, ok := dummies.Load(cost); ok {
		return h.([]byte), nil
	}
	pw := make([]byte, 16)
	rand.Read(pw)
	h, err := bcrypt.GenerateFromPassword(pw, cost)
	if err != nil {
		return nil, err
	}
	dummies.Store(cost, h)
	return h, nil
}

// enabled reports whether requests need credentials.
func (a *auth) enabled() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.u != nil
}

// refresh reads the htpasswd file again when it changed on disk (htpasswd -B adding a
// user), at most every htpasswdCheck. A file that became invalid keeps the users loaded
// before, with an error in the log that names the line, never its content.
func (a *auth) refresh() {
	a.mu.Lock()
	u := a.u
	if u == nil || a.now().Sub(a.last) < htpasswdCheck {
		a.mu.Unlock()
		return
	}
	a.last = a.now()
	a.mu.Unlock()
	st, err := os.Stat(u.path)
	if err != nil {
		a.log.Error("htpasswd file unreadable; the users loaded before stay", "file", u.path, "err", err)
		return
	}
	if st.ModTime().Equal(u.modTime) && st.Size() == u.size {
		return
	}
	data, err := os.ReadFile(u.path)
	var hashes map[string][]byte
	if err == nil {
		hashes, err = dsl.ParseHtpasswd(u.path, data)
	}
	var nu *users
	if err == nil {
		nu, err = newUsers(u.path, hashes)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.u != u { // a reload came first
		return
	}
	if err != nil {
		a.log.Error("htpasswd file changed but is invalid; the users loaded before stay", "file", u.path, "err", err)
		u.modTime, u.size = st.ModTime(), st.Size() // logged once per change
		return
	}
	nu.modTime, nu.size = st.ModTime(), st.Size()
	a.u = nu
	a.ok = map[[sha256.Size]byte]string{}
	a.log.Info("htpasswd file reloaded", "file", u.path, "users", len(hashes))
}

// check returns the user name for the request's credentials, or writes the refusal (401,
// 429) and returns ok false. Without authentication configured every request passes as "".
func (a *auth) check(w http.ResponseWriter, r *http.Request) (user string, ok bool) {
	a.refresh()
	a.mu.Lock()
	u := a.u
	a.mu.Unlock()
	if u == nil {
		return "", true
	}
	name, pw, has := r.BasicAuth()
	if !has {
		unauthorized(w)
		return "", false
	}
	client := clientIP(r)
	if wait := a.limited(client); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		http.Error(w, "429 too many failed logins from your address; try again later", http.StatusTooManyRequests)
		return "", false
	}
	if a.verify(u, name, pw) {
		return name, true
	}
	a.fail(client)
	// The user name is the client's input: quoted by slog, and cut so a huge one cannot
	// flood the log. The password is never logged.
	a.log.Warn("login failed", "user", cut(name, 64), "client", client, "path", cut(r.URL.Path, 128))
	unauthorized(w)
	return "", false
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", realm)
	http.Error(w, "401 unauthorized", http.StatusUnauthorized)
}

// verify compares in constant time, through bcrypt, also for an unknown user (against a
// dummy hash), so the answer's timing does not tell which users exist.
func (a *auth) verify(u *users, name, pw string) bool {
	mac := hmac.New(sha256.New, a.key)
	mac.Write([]byte(name))
	mac.Write([]byte{0})
	mac.Write([]byte(pw))
	var k [sha256.Size]byte
	copy(k[:], mac.Sum(nil))
	a.mu.Lock()
	cached, hit := a.ok[k]
	a.mu.Unlock()
	if hit && subtle.ConstantTimeCompare([]byte(cached), []byte(name)) == 1 {
		return true
	}
	hash, known := u.hashes[name]
	if !known {
		hash = u.dummy
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(pw)) != nil || !known {
		return false
	}
	a.mu.Lock()
	if a.u == u {
		if len(a.ok) >= maxCached {
			a.ok = map[[sha256.Size]byte]string{}
		}
		a.ok[k] = name
	}
	a.mu.Unlock()
	return true
}

// limited returns how long client must wait before its next login attempt is checked.
func (a *auth) limited(client string) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.limits[client]
	if b == nil {
		return 0
	}
	a.refill(b)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(loginRefill))
}

// fail takes one token from client's bucket.
func (a *auth) fail(client string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.limits[client]
	if b == nil {
		if len(a.limits) >= maxClients {
			for c, x := range a.limits {
				if a.refill(x); x.tokens >= loginBurst {
					delete(a.limits, c)
				}
			}
			if len(a.limits) >= maxClients {
				a.limits = map[string]*bucket{} // a flood from many addresses: start over
			}
		}
		b = &bucket{tokens: loginBurst, at: a.now()}
		a.limits[client] = b
	}
	a.refill(b)
	b.tokens = max(b.tokens-1, 0)
}

func (a *auth) refill(b *bucket) {
	now := a.now()
	b.tokens = min(loginBurst, b.tokens+float64(now.Sub(b.at))/float64(loginRefill))
	b.at = now
}

// csrfToken is the token the page's forms carry: an HMAC of the user under the
// per-process key. Another site cannot read it (same-origin policy), a restart changes it.
func (a *auth) csrfToken(user string) string {
	mac := hmac.New(sha256.New, a.key)
	mac.Write([]byte("csrf\x00"))
	mac.Write([]byte(user))
	return fmt.Sprintf("%x", mac.Sum(nil))
}

func (a *auth) csrfValid(user, token string) bool {
	return hmac.Equal([]byte(a.csrfToken(user)), []byte(token))
}

// clientIP is the address the connection comes from. X-Forwarded-For is not trusted:
// anyone could send it to escape the rate limit.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
