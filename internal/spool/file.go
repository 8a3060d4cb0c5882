package spool

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile replaces path with data durably: it writes a temp file in the
// same directory, fsyncs it, renames it over path and fsyncs the directory.
// Readers see either the old or the new content, never a mix (see the
// package doc for the same-directory rename assumption).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	_, err := WriteFileFrom(filepath.Dir(path), path, bytes.NewReader(data), perm)
	return err
}

// WriteFileFrom streams r into a new temp file in tmpDir, fsyncs it, renames
// it to path and fsyncs path's directory; it returns the bytes written.
// tmpDir must be on the same file system as path (Maildir's tmp/ and new/
// are). An existing path is replaced. On error nothing is left behind in
// tmpDir.
func WriteFileFrom(tmpDir, path string, r io.Reader, perm os.FileMode) (int64, error) {
	f, err := os.CreateTemp(tmpDir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, diskFull(err))
	}
	tmp := f.Name()
	n, err := writeSync(f, r, perm)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	return n, nil
}

// writeSync copies r into f, sets perm, fsyncs and closes f.
func writeSync(f *os.File, r io.Reader, perm os.FileMode) (int64, error) {
	n, err := io.Copy(f, r)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, diskFull(err)
}

// syncDir fsyncs a directory so that entries created, renamed or removed in
// it survive a crash (rename(2) alone does not promise that; see fsync(2)).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	return nil
}
