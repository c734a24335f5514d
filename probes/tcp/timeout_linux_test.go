package tcp

import (
	"context"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// fullBacklog returns a 127.0.0.1 address whose listener never accepts and whose accept
// queue is full, so the kernel drops further SYNs and a connect hangs: a timeout without
// leaving loopback.
func fullBacklog(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	// Fill the queue (backlog 0 still holds one or two connections) until a connect hangs.
	for range 8 {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the kernel kept accepting connections on a full backlog; cannot make a connect hang")
	return ""
}

func TestSampleTimeout(t *testing.T) {
	addr := fullBacklog(t)
	start := time.Now()
	got := Sample(context.Background(), Config{Address: addr, Timeout: 300 * time.Millisecond}, now)
	took := time.Since(start)
	if want := (Values{Error: "timeout after 300ms"}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// The error text proves the timeout fired; this is only a failure bound, far below the
	// kernel's own connect timeout (about 2 minutes) and far above a loaded machine's stalls.
	if took > 5*time.Second {
		t.Errorf("Sample took %v with a 300ms timeout", took)
	}
}
