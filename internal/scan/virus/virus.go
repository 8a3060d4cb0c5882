// Package virus plugs antivirus engines into the scan pipeline: the native
// ClamAV-compatible engine and an external clamd, each as a scan.Scanner.
//
// Findings, by the name the engine reports:
//
//	CLAM_VIRUS      a signature ("Eicar-Test-Signature"); Detail is the name
//	CLAM_LIMITS     a scan limit reached ("Heuristics.Limits.Exceeded.MaxFileSize")
//	CLAM_ENCRYPTED  an encrypted member ("Heuristics.Encrypted.Zip")
//
// An engine error or timeout is returned as an error, so scan.Run reports
// CLAM_VIRUS_FAIL and the message is never taken as clean.
package virus

import (
	"context"
	"fmt"
	"io"
	"strings"

	"mailwall/internal/scan"
)

// Symbols of the findings.
const (
	SymVirus     = "CLAM_VIRUS"
	SymLimits    = "CLAM_LIMITS"
	SymEncrypted = "CLAM_ENCRYPTED"
)

// Verdict is what an engine says about one object.
type Verdict struct {
	// Names are the signatures found (also heuristics, when the engine
	// reports them as names, as clamd does).
	Names []string
	// Heuristic is a limit or encryption verdict reported apart from the
	// names (the native engine); "" if none.
	Heuristic string
}

// Engine scans one object read from r; name helps file typing and logs.
// It is called concurrently and must return promptly when ctx is done.
type Engine interface {
	ScanReader(ctx context.Context, r io.Reader, name string) (Verdict, error)
}

// Scanner is a scan.Scanner over an Engine.
type Scanner struct {
	engine Engine
	header string
}

var _ scan.Scanner = (*Scanner)(nil)

// New returns a scanner over e. If header is not empty every scanned
// message gets "X-Virus-Scanned: <header>" (e.g. "mailwall 1.0"); give it
// to one scanner only when several run.
func New(e Engine, header string) *Scanner {
	return &Scanner{engine: e, header: header}
}

// Name is CLAM_VIRUS, so a failure is CLAM_VIRUS_FAIL.
func (s *Scanner) Name() string { return SymVirus }

// Scan scans the message as received, whole, like clamav-milter does:
// the engine's own mail unpacker opens the MIME parts.
func (s *Scanner) Scan(ctx context.Context, t *scan.Task) (*scan.Result, error) {
	r := io.NewSectionReader(t.Raw, 0, t.Size)
	v, err := s.engine.ScanReader(ctx, r, t.ID)
	if err != nil {
		return nil, fmt.Errorf("virus scan %s: %w", t.ID, err)
	}
	res := &scan.Result{Findings: Findings(v)}
	if s.header != "" {
		res.Headers = append(res.Headers, scan.HeaderField{Name: "X-Virus-Scanned", Value: s.header})
	}
	return res, nil
}

// Findings turns a verdict into findings, one per name.
func Findings(v Verdict) []scan.Finding {
	var out []scan.Finding
	seen := map[string]bool{}
	for _, n := range append(v.Names, v.Heuristic) {
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, scan.Finding{Symbol: Symbol(n), Detail: n})
	}
	return out
}

// Symbol classifies a name reported by an engine.
func Symbol(name string) string {
	switch {
	case strings.HasPrefix(name, "Heuristics.Limits."):
		return SymLimits
	case strings.HasPrefix(name, "Heuristics.Encrypted."):
		return SymEncrypted
	}
	return SymVirus
}
