package spamd

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// Client talks to a spamd server (mailwall's or SpamAssassin's) with
// protocol version 1.5, one connection per request.
type Client struct {
	Network, Addr string // "tcp", "127.0.0.1:783" or "unix", "/run/spamd.sock"
	User          string // sent as User: when not empty
	Compress      bool   // send the message zlib-compressed
	Dialer        net.Dialer
}

// Response is a parsed spamd reply.
type Response struct {
	Version string            // "1.1", "1.5", ...
	Code    int               // sysexits.h code, 0 = EX_OK
	Message string            // text after the code: "EX_OK", "PONG", an error text
	Headers map[string]string // reply headers by name as sent ("Spam", "DidSet", ...)
	Body    []byte

	IsSpam           bool    // from the Spam: header
	Score, Threshold float64 // from the Spam: header
}

// Do sends one request. msg may be nil for PING and SKIP; extra headers
// (for TELL: "Message-class", "Set", "Remove") are sent as given.
func (c *Client) Do(ctx context.Context, method string, msg []byte, extra map[string]string) (*Response, error) {
	network := c.Network
	if network == "" {
		network = "tcp"
	}
	conn, err := c.Dialer.DialContext(ctx, network, c.Addr)
	if err != nil {
		return nil, fmt.Errorf("spamd client: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	body := msg
	if c.Compress && msg != nil {
		var b bytes.Buffer
		zw := zlib.NewWriter(&b)
		zw.Write(msg)
		zw.Close()
		body = b.Bytes()
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s SPAMC/1.5\r\n", method)
	if msg != nil {
		fmt.Fprintf(&req, "Content-length: %d\r\n", len(body))
	}
	if c.Compress && msg != nil {
		req.WriteString("Compress: zlib\r\n")
	}
	if c.User != "" {
		fmt.Fprintf(&req, "User: %s\r\n", c.User)
	}
	for k, v := range extra {
		fmt.Fprintf(&req, "%s: %s\r\n", k, v)
	}
	req.WriteString("\r\n")
	req.Write(body)
	if _, err := conn.Write(req.Bytes()); err != nil {
		return nil, fmt.Errorf("spamd client: send: %w", err)
	}
	if tc, ok := conn.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
	}
	resp, err := ReadResponse(bufio.NewReader(conn))
	if err != nil {
		return nil, fmt.Errorf("spamd client: %w", err)
	}
	return resp, nil
}

// Check sends CHECK and returns the verdict fields of the reply.
func (c *Client) Check(ctx context.Context, msg []byte) (*Response, error) {
	return c.Do(ctx, MethodCheck, msg, nil)
}

// Ping sends PING and reports whether the server answered PONG.
func (c *Client) Ping(ctx context.Context) error {
	r, err := c.Do(ctx, MethodPing, nil, nil)
	if err != nil {
		return err
	}
	if r.Message != "PONG" {
		return fmt.Errorf("spamd client: PING answered %d %s", r.Code, r.Message)
	}
	return nil
}

// ReadResponse parses a reply: status line, headers, body (up to
// Content-length, or to EOF).
func ReadResponse(r *bufio.Reader) (*Response, error) {
	line, err := readLine(r)
	if err != nil {
		return nil, fmt.Errorf("read status: %w", err)
	}
	rest, ok := strings.CutPrefix(line, "SPAMD/")
	if !ok {
		return nil, fmt.Errorf("bad status line %q", line)
	}
	f := strings.SplitN(rest, " ", 3)
	if len(f) < 3 {
		return nil, fmt.Errorf("bad status line %q", line)
	}
	resp := &Response{Version: f[0], Message: f[2], Headers: map[string]string{}}
	if resp.Code, err = strconv.Atoi(f[1]); err != nil {
		return nil, fmt.Errorf("bad status code in %q", line)
	}
	for range maxHeaders {
		line, err := readLine(r)
		if err != nil || line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			break
		}
		resp.Headers[name] = strings.TrimSpace(value)
	}
	if s, ok := resp.Headers["Spam"]; ok {
		resp.parseSpam(s)
	}
	var body io.Reader = r
	if n, err := strconv.ParseInt(resp.Headers["Content-length"], 10, 64); err == nil {
		body = io.LimitReader(r, n)
	}
	resp.Body, err = io.ReadAll(body)
	if err != nil && !errors.Is(err, io.EOF) {
		return resp, fmt.Errorf("read body: %w", err)
	}
	return resp, nil
}

// parseSpam reads "True ; 15.3 / 5.0".
func (r *Response) parseSpam(s string) {
	flag, scores, _ := strings.Cut(s, ";")
	flag = strings.TrimSpace(flag)
	r.IsSpam = flag == "True" || flag == "Yes"
	score, thr, _ := strings.Cut(scores, "/")
	r.Score, _ = strconv.ParseFloat(strings.TrimSpace(score), 64)
	r.Threshold, _ = strconv.ParseFloat(strings.TrimSpace(thr), 64)
}
