package clamd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// maxCommandLen bounds one command line. clamd allows a path up to PATH_MAX
// (4096) after the longest command name; anything longer is not a command.
const maxCommandLen = 4096 + 64

// errCommandTooLong is returned when no terminator comes within maxCommandLen.
var errCommandTooLong = errors.New("clamd: command too long")

// Framing is how a command was delimited; the reply uses the same terminator.
type Framing byte

// The three framings of the wire protocol.
const (
	FramePlain Framing = iota // "COMMAND\n", deprecated by clamd
	FrameNull                 // "zCOMMAND\0"
	FrameLine                 // "nCOMMAND\n"
)

// term is the reply terminator for the framing.
func (f Framing) term() byte {
	if f == FrameNull {
		return 0
	}
	return '\n'
}

// command is one parsed request.
type command struct {
	Framing Framing
	Name    string // upper-case command name as sent; "" when unknown
	Arg     string // path argument of the SCAN family
}

// Command names recognised; the order is the one VERSIONCOMMANDS prints.
var commandNames = []string{
	"SCAN", "QUIT", "RELOAD", "PING", "CONTSCAN", "VERSIONCOMMANDS", "VERSION",
	"END", "SHUTDOWN", "MULTISCAN", "FILDES", "STATS", "IDSESSION", "INSTREAM",
	"DETSTATSCLEAR", "DETSTATS", "ALLMATCHSCAN",
}

// withPath are the commands that take a path argument.
var withPath = map[string]bool{"SCAN": true, "CONTSCAN": true, "MULTISCAN": true, "ALLMATCHSCAN": true}

// prefixOnly are the commands clamd refuses in the plain framing.
var prefixOnly = map[string]bool{"INSTREAM": true, "IDSESSION": true, "FILDES": true, "END": true}

// readCommand reads one framed command from r. It returns io.EOF when the
// connection closed before any byte of a command.
func readCommand(r *bufio.Reader) (command, error) {
	first, err := r.Peek(1)
	if err != nil {
		return command{}, err
	}
	c := command{Framing: FramePlain}
	switch first[0] {
	case 'z':
		c.Framing = FrameNull
	case 'n':
		c.Framing = FrameLine
	}
	if c.Framing != FramePlain {
		_, _ = r.Discard(1)
	}
	line, err := readUntil(r, c.Framing.term())
	// QUIRK: clamd accepts a plain command cut short by the end of the
	// connection ("PING" then half-close), so EOF after some bytes counts.
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		return command{}, err
	}
	c.Name, c.Arg = parseCommand(line, c.Framing)
	return c, nil
}

// readUntil reads up to and excluding delim, at most maxCommandLen bytes.
func readUntil(r *bufio.Reader, delim byte) ([]byte, error) {
	var line []byte
	for {
		frag, err := r.ReadSlice(delim)
		line = append(line, frag...)
		if len(line) > maxCommandLen {
			return nil, errCommandTooLong
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return line, err
		}
	}
}

// parseCommand splits a command line into name and argument; name is ""
// when the line is not a command clamd knows in this framing.
func parseCommand(line []byte, f Framing) (name, arg string) {
	if f == FramePlain {
		// QUIRK: the plain form may end in CRLF (telnet users).
		line = bytes.TrimSuffix(line, []byte{'\r'})
	}
	s := string(line)
	head, rest, hasArg := strings.Cut(s, " ")
	switch {
	case withPath[head]:
		if !hasArg {
			return "", ""
		}
		return head, rest
	case hasArg:
		return "", ""
	case f == FramePlain && prefixOnly[head]:
		return "", ""
	}
	for _, n := range commandNames {
		if n == head {
			return head, ""
		}
	}
	return "", ""
}
