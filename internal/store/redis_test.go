package store

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startRedis runs a private redis-server on a free loopback port with no
// persistence and returns its URL; the server is stopped by its PID when the
// test ends.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed: apt-get install redis-server")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// Wait (bounded) until the port accepts connections.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			r := bufio.NewReader(c)
			fmt.Fprint(c, "PING\r\n")
			c.SetReadDeadline(time.Now().Add(time.Second))
			line, _ := r.ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "+PONG") {
				break
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server did not come up on port %d: %s", port, log)
		}
		time.Sleep(50 * time.Millisecond) // polling a child process, not synchronising goroutines
	}
	return fmt.Sprintf("redis://127.0.0.1:%d/0", port)
}

func TestRedis(t *testing.T) {
	url := startRedis(t)
	s, err := Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conformance(t, s)
}

func TestRedisTTL(t *testing.T) {
	r, err := OpenRedis(startRedis(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if _, err := r.Incr(ctx, "rl:x", 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Incr(ctx, "rl:x", 1, time.Hour); err != nil {
		t.Fatal(err)
	}
	ttl := r.c.TTL(ctx, "rl:x").Val()
	if ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL = %v, want the first call's minute kept", ttl)
	}
	if err := r.Put(ctx, "g:y", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if ttl := r.c.TTL(ctx, "g:y").Val(); ttl <= 0 {
		t.Fatalf("Put TTL = %v, want > 0", ttl)
	}
}
