package deliver

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"mailwall/internal/queue"
	"mailwall/internal/spool"
)

// # Maildir
//
// A message is written to <path>/tmp/<name>, fsynced, and renamed into
// <path>/new/<name>, whose directory is then fsynced (via
// spool.WriteFileFrom). <name> is "<seconds>.M<micros>P<pid>Q<n>.<host>",
// unique per process by the counter n (the Maildir naming of Dovecot).
// One file serves all recipients: the Maildir is one mailbox.
//
// QUIRK: Maildir files conventionally use LF line endings (qmail, Dovecot
// deliver that way), so CRLF and bare CR are written as LF.

var maildirSeq atomic.Uint64

func (d *Deliverer) maildir(path string, rcpts []string, msg io.Reader) []queue.Result {
	name, err := d.maildirDeliver(path, msg)
	if err != nil {
		return failAll(rcpts, err, false)
	}
	res := make([]queue.Result, len(rcpts))
	for i, r := range rcpts {
		res[i] = queue.Result{Rcpt: r, Code: 250, Enhanced: "2.0.0", Text: "delivered to maildir as " + name}
	}
	return res
}

func (d *Deliverer) maildirDeliver(path string, msg io.Reader) (string, error) {
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(path, sub), 0o700); err != nil {
			return "", fmt.Errorf("maildir %s: %w", path, err)
		}
	}
	now := time.Now()
	host := strings.NewReplacer("/", "\\057", ":", "\\072").Replace(d.o.HeloName)
	name := fmt.Sprintf("%d.M%dP%dQ%d.%s", now.Unix(), now.Nanosecond()/1000, os.Getpid(), maildirSeq.Add(1), host)
	_, err := spool.WriteFileFrom(filepath.Join(path, "tmp"), filepath.Join(path, "new", name), newEOLReader(msg, "\n"), 0o600)
	if err != nil {
		return "", fmt.Errorf("maildir %s: %w", path, err)
	}
	return name, nil
}
