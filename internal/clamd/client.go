package clamd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Client talks to a clamd (ClamAV's or mailwall's) over TCP or a unix
// socket, one connection per request. Its methods may be called
// concurrently.
type Client struct {
	network, address string
	// Timeout bounds one whole request (dial, send, reply); default 2 min.
	Timeout time.Duration
	// ChunkSize is the INSTREAM chunk size; default 64 KiB.
	ChunkSize int
}

// NewClient returns a client for addr: "host:port", "unix:/path" or an
// absolute socket path.
func NewClient(addr string) *Client {
	c := &Client{network: "tcp", address: addr, Timeout: 2 * time.Minute, ChunkSize: 64 << 10}
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		c.network, c.address = "unix", p
	} else if strings.HasPrefix(addr, "/") {
		c.network = "unix"
	}
	return c
}

// Addr is the address the client dials, as given to NewClient.
func (c *Client) Addr() string { return c.network + ":" + c.address }

// Ping sends PING and expects PONG.
func (c *Client) Ping(ctx context.Context) error {
	r, err := c.simple(ctx, "PING")
	if err != nil {
		return err
	}
	if r != "PONG" {
		return fmt.Errorf("clamd %s: PING answered %q", c.Addr(), r)
	}
	return nil
}

// Version returns the VERSION reply ("ClamAV 1.4.6/27467/...").
func (c *Client) Version(ctx context.Context) (string, error) {
	return c.simple(ctx, "VERSION")
}

func (c *Client) simple(ctx context.Context, cmd string) (string, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("z" + cmd + "\x00")); err != nil {
		return "", fmt.Errorf("clamd %s: send %s: %w", c.Addr(), cmd, err)
	}
	replies, err := readReplies(conn)
	if err != nil || len(replies) == 0 {
		return "", fmt.Errorf("clamd %s: %s reply: %w", c.Addr(), cmd, orEOF(err))
	}
	return replies[0], nil
}

// Instream streams r to clamd with zINSTREAM and returns the names found
// (none when clean). A reply ending in ERROR, such as the size limit,
// is an error.
func (c *Client) Instream(ctx context.Context, r io.Reader) ([]string, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	sendErr := c.sendStream(conn, r)
	// The server may answer early (size limit) and close: read its reply
	// even when sending failed.
	replies, err := readReplies(conn)
	if len(replies) == 0 {
		if sendErr != nil {
			return nil, sendErr
		}
		return nil, fmt.Errorf("clamd %s: INSTREAM reply: %w", c.Addr(), orEOF(err))
	}
	return parseStreamReplies(c.Addr(), replies)
}

func (c *Client) sendStream(conn net.Conn, r io.Reader) error {
	w := bufio.NewWriterSize(conn, c.ChunkSize+4)
	w.WriteString("zINSTREAM\x00")
	buf := make([]byte, c.ChunkSize)
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			var hdr [4]byte
			binary.BigEndian.PutUint32(hdr[:], uint32(n))
			w.Write(hdr[:])
			if _, err := w.Write(buf[:n]); err != nil {
				return fmt.Errorf("clamd %s: send stream: %w", c.Addr(), err)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return fmt.Errorf("clamd %s: read input: %w", c.Addr(), rerr)
		}
	}
	w.Write([]byte{0, 0, 0, 0})
	if err := w.Flush(); err != nil {
		return fmt.Errorf("clamd %s: send stream: %w", c.Addr(), err)
	}
	return nil
}

// parseStreamReplies turns "stream: OK" / "stream: <name> FOUND" records
// (several with AllMatch) into names; anything else is an error.
func parseStreamReplies(addr string, replies []string) ([]string, error) {
	var names []string
	for _, r := range replies {
		body, ok := strings.CutPrefix(r, "stream: ")
		switch {
		case ok && body == "OK":
		case ok && strings.HasSuffix(body, " FOUND"):
			names = append(names, strings.TrimSuffix(body, " FOUND"))
		default:
			return names, fmt.Errorf("clamd %s: %s", addr, r)
		}
	}
	return names, nil
}

// dial connects and bounds the connection by Timeout and ctx: the
// deadline is the earlier of the two, and cancelling ctx unblocks I/O.
func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	deadline := time.Now().Add(c.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dctx, c.network, c.address)
	if err != nil {
		return nil, fmt.Errorf("clamd: dial %s: %w", c.Addr(), err)
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return &stopConn{Conn: conn, stop: stop}, nil
}

// stopConn releases the ctx watcher when closed.
type stopConn struct {
	net.Conn
	stop func() bool
}

func (s *stopConn) Close() error {
	s.stop()
	return s.Conn.Close()
}

// readReplies reads NUL-terminated records until the server closes.
func readReplies(r io.Reader) ([]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	var out []string
	for _, rec := range bytes.Split(data, []byte{0}) {
		if len(rec) > 0 {
			out = append(out, string(rec))
		}
	}
	return out, err
}

func orEOF(err error) error {
	if err == nil {
		return io.ErrUnexpectedEOF
	}
	return err
}
