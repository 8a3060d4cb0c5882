package clamd

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
)

// fdQueue holds descriptors received as SCM_RIGHTS on a unix connection,
// oldest first. Whatever FILDES does not take is closed with the connection.
type fdQueue struct {
	mu  sync.Mutex
	fds []int
}

func (q *fdQueue) push(fds ...int) {
	q.mu.Lock()
	q.fds = append(q.fds, fds...)
	q.mu.Unlock()
}

func (q *fdQueue) pop() (int, bool) {
	if q == nil {
		return -1, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.fds) == 0 {
		return -1, false
	}
	fd := q.fds[0]
	q.fds = q.fds[1:]
	return fd, true
}

func (q *fdQueue) closeAll() {
	for {
		fd, ok := q.pop()
		if !ok {
			return
		}
		syscall.Close(fd)
	}
}

// oobSize has room for a few descriptors per read; clamdscan sends one.
var oobSize = syscall.CmsgSpace(8 * 4)

// unixReader reads a unix connection with recvmsg so that descriptors
// passed with any byte of the stream are kept rather than dropped.
type unixReader struct {
	c   *net.UnixConn
	q   *fdQueue
	oob []byte
}

func (u *unixReader) Read(p []byte) (int, error) {
	n, oobn, _, _, err := u.c.ReadMsgUnix(p, u.oob)
	if oobn > 0 {
		if msgs, perr := syscall.ParseSocketControlMessage(u.oob[:oobn]); perr == nil {
			for _, m := range msgs {
				if fds, ferr := syscall.ParseUnixRights(&m); ferr == nil {
					u.q.push(fds...)
				}
			}
		}
	}
	return n, err
}

// newConnReader returns the buffered reader for c and, on a unix socket,
// the queue that collects passed descriptors.
func newConnReader(c net.Conn) (*bufio.Reader, *fdQueue) {
	if uc, ok := c.(*net.UnixConn); ok {
		q := &fdQueue{}
		return bufio.NewReaderSize(&unixReader{c: uc, q: q, oob: make([]byte, oobSize)}, 64<<10), q
	}
	return bufio.NewReaderSize(c, 64<<10), nil
}

// receiveFD reads the byte that carries a FILDES descriptor and returns
// the file and its reply name ("fd[12]"); on failure it has replied.
func (h *handler) receiveFD(f Framing, prefix string) (*os.File, string, bool) {
	if h.fds == nil {
		// QUIRK: clamd waits forever for a descriptor that TCP cannot
		// carry; answering at once is kinder to the client.
		h.replyTo(prefix, f, "FILDES: file descriptor passing needs a unix socket. ERROR")
		return nil, "", false
	}
	if _, err := h.r.ReadByte(); err != nil {
		return nil, "", false
	}
	fd, ok := h.fds.pop()
	if !ok {
		h.replyTo(prefix, f, "FILDES: didn't receive file descriptor. ERROR")
		return nil, "", false
	}
	name := fmt.Sprintf("fd[%d]", fd)
	return os.NewFile(uintptr(fd), name), name, true
}

// fildes serves FILDES outside a session: the client sends one byte
// carrying a descriptor of an open file, which is scanned and closed.
func (h *handler) fildes(ctx context.Context, f Framing) bool {
	file, name, ok := h.receiveFD(f, h.prefix)
	if !ok {
		return false
	}
	defer file.Close()
	names, err := h.scanReader(ctx, file)
	for _, line := range result(name, names, err) {
		h.reply(f, line)
	}
	return true
}
