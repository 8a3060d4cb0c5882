package spamd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// # Wire protocol (SPAMC/1.5)
//
// A request is one line "<METHOD> SPAMC/<version>", then (for versions
// above 1.0) header lines "Name: value" up to an empty line, then the
// message. Lines end in CRLF. Methods: CHECK, SYMBOLS, REPORT,
// REPORT_IFSPAM, PROCESS, HEADERS, PING, SKIP, TELL. Headers (names are
// case-sensitive, unknown ones ignored, at most 256):
//
//	Content-length: <bytes of the body as sent>
//	User: <name>                      whose preferences to use
//	Compress: zlib                    the body is a zlib stream (needs Content-length)
//	Message-class: spam|ham           TELL: what the message is
//	Set: local[, remote]              TELL: learn it
//	Remove: local[, remote]           TELL: forget it
//
// A reply starts "SPAMD/1.1 0 EX_OK" (or, for errors, "SPAMD/1.0 <code>
// <text>" with a sysexits.h code: 76 EX_PROTOCOL, 69 EX_UNAVAILABLE, 79
// EX_TIMEOUT, ...), then headers, an empty line and a body, as response.go
// writes them. The connection carries one request and is then closed.

// Method names.
const (
	MethodCheck        = "CHECK"
	MethodSymbols      = "SYMBOLS"
	MethodReport       = "REPORT"
	MethodReportIfSpam = "REPORT_IFSPAM"
	MethodProcess      = "PROCESS"
	MethodHeaders      = "HEADERS"
	MethodPing         = "PING"
	MethodSkip         = "SKIP"
	MethodTell         = "TELL"
)

// methods in the order spamd tries them; REPORT_IFSPAM after REPORT, so a
// request line is matched against the longest name that fits.
var methods = []string{
	MethodProcess, MethodCheck, MethodSymbols, MethodReport, MethodHeaders,
	MethodReportIfSpam, MethodTell, MethodSkip, MethodPing,
}

// maxHeaders is spamd's limit on request header lines.
const maxHeaders = 256

// Request is a parsed request line and its headers; the body follows on
// the connection.
type Request struct {
	Method        string
	Version       string  // as sent, e.g. "1.5"
	V             float64 // Version as a number, for comparisons
	ContentLength int64   // -1 when absent
	User          string
	Compress      bool // body is zlib-compressed
	MessageClass  string
	SetLocal      bool
	SetRemote     bool
	RemoveLocal   bool
	RemoveRemote  bool
}

// protocolError is answered "SPAMD/1.0 76 Bad header line: <text>".
type protocolError struct{ text string }

func (e *protocolError) Error() string { return "spamd protocol: " + e.text }

// ReadRequest reads a request line and, for versions above 1.0 (and PING
// and SKIP from 1.5 on), its headers. A malformed request returns an error
// whose text is what spamd puts after "Bad header line: ".
func ReadRequest(r *bufio.Reader) (*Request, error) {
	line, err := readLine(r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &protocolError{"(closed before headers)"}
		}
		return nil, err
	}
	req, ok := parseRequestLine(line)
	if !ok {
		return nil, &protocolError{line}
	}
	needHeaders := req.V > 1.0
	if req.Method == MethodPing || req.Method == MethodSkip {
		needHeaders = req.V >= 1.5
	}
	if needHeaders {
		if err := readHeaders(r, req); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// parseRequestLine matches spamd's unanchored /(METHOD) SPAMC\/(.*)/.
func parseRequestLine(line string) (*Request, bool) {
	i := strings.Index(line, " SPAMC/")
	if i < 0 {
		return nil, false
	}
	before := line[:i]
	req := &Request{ContentLength: -1, Version: line[i+len(" SPAMC/"):]}
	for _, m := range methods {
		if strings.HasSuffix(before, m) && len(m) > len(req.Method) {
			req.Method = m
		}
	}
	if req.Method == "" {
		return nil, false
	}
	req.V = leadingNumber(req.Version)
	return req, true
}

// leadingNumber is Perl's numeric value of a string: the longest decimal
// prefix, 0 if none.
func leadingNumber(s string) float64 {
	end := 0
	dot := false
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' && !dot) {
		if s[end] == '.' {
			dot = true
		}
		end++
	}
	f, _ := strconv.ParseFloat(strings.TrimSuffix(s[:end], "."), 64)
	return f
}

// maxLine bounds one request or header line, so a client cannot make the
// server buffer without limit before the body starts.
const maxLine = 64 << 10

func readLine(r *bufio.Reader) (string, error) {
	var buf []byte
	for {
		frag, err := r.ReadSlice('\n')
		buf = append(buf, frag...)
		if len(buf) > maxLine {
			return "", &protocolError{"(header line too long)"}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (len(buf) == 0 || !errors.Is(err, io.EOF)) {
			return "", err
		}
		break
	}
	line := strings.TrimSuffix(string(buf), "\n")
	return strings.TrimSuffix(line, "\r"), nil
}

func readHeaders(r *bufio.Reader, req *Request) error {
	for range maxHeaders {
		line, err := readLine(r)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return &protocolError{"(EOF during headers)"}
			}
			return err
		}
		if line == "" {
			return nil
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return &protocolError{"(header not in 'Name: value' format)"}
		}
		value = strings.TrimLeft(value, " \t\r\n\f\v")
		if err := req.setHeader(name, value); err != nil {
			return err
		}
	}
	return &protocolError{"(too many headers)"}
}

func (req *Request) setHeader(name, value string) error {
	switch name {
	case "Content-length":
		for i := 0; i < len(value); i++ {
			if value[i] < '0' || value[i] > '9' {
				return &protocolError{"(Content-Length contains non-numeric bytes)"}
			}
		}
		n, err := strconv.ParseInt("0"+value, 10, 64)
		if err != nil {
			return &protocolError{"(Content-Length contains non-numeric bytes)"}
		}
		req.ContentLength = n
	case "User":
		for i := 0; i < len(value); i++ {
			if value[i] < 0x20 {
				return &protocolError{"(User header contains control chars)"}
			}
		}
		req.User = value
	case "Message-class":
		req.MessageClass = value
	case "Set":
		low := strings.ToLower(value)
		req.SetLocal, req.SetRemote = strings.Contains(low, "local"), strings.Contains(low, "remote")
	case "Remove":
		low := strings.ToLower(value)
		req.RemoveLocal, req.RemoveRemote = strings.Contains(low, "local"), strings.Contains(low, "remote")
	case "Compress":
		if !strings.Contains(strings.ToLower(value), "zlib") {
			return &protocolError{fmt.Sprintf("(compression type not supported: %s)", value)}
		}
		req.Compress = true
	}
	return nil
}
