package spamd

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// # Replies
//
// As spamd 4.0 writes them, for a request of version v:
//
//	CHECK:   SPAMD/1.1 0 EX_OK / Spam: True ; 15.3 / 5.0 / (empty line)
//	SYMBOLS, REPORT, REPORT_IFSPAM (v >= 1.3):
//	         SPAMD/1.1 0 EX_OK / Content-length: N / Spam: ... / (empty) / body
//	         (v < 1.3: no Content-length; SYMBOLS' body gains a CRLF)
//	PROCESS, HEADERS (v >= 1.3): as above with the rewritten message (or its
//	         header block) as body; v 1.2 has no Spam: line; v < 1.2 answers
//	         SPAMD/1.0 0 EX_OK and the message alone.
//	PING:    SPAMD/1.5 0 PONG
//
// REPORT_IFSPAM says Yes/No instead of True/False and sends the report only
// for spam. The score shown for a message that is not spam but scored at
// least the threshold is the threshold minus 0.1, so spamc users never see
// a ham scoring "5.0 / 5.0" (SpamAssassin's get_tag_value_for_score).

// SpamLine returns the "Spam: True ; 15.3 / 5.0" value of a reply.
func SpamLine(method string, v *Verdict) string {
	yes, no := "True", "False"
	if method == MethodReportIfSpam {
		yes, no = "Yes", "No"
	}
	flag := no
	if v.IsSpam {
		flag = yes
	}
	return fmt.Sprintf("Spam: %s ; %s / %2.1f", flag, scoreForDisplay(v), v.Threshold)
}

// scoreForDisplay is get_tag_value_for_score.
func scoreForDisplay(v *Verdict) string {
	score := fmt.Sprintf("%2.1f", v.Score)
	req := fmt.Sprintf("%2.1f", v.Threshold)
	s, _ := strconv.ParseFloat(score, 64)
	r, _ := strconv.ParseFloat(req, 64)
	if v.IsSpam || s < r {
		return score
	}
	// Perl prints the difference with up to 15 significant digits.
	return strconv.FormatFloat(r-0.1, 'g', 15, 64)
}

func sortedSymbols(syms []string) []string {
	out := slices.Clone(syms)
	slices.Sort(out)
	return out
}

// reHeaderBlock finds the blank line that ends a header block; HEADERS
// keeps everything up to and including it.
var reHeaderBlock = regexp.MustCompile(`\r?\n\r?\n`)

func headerBlock(v *Verdict, processed []byte) []byte {
	if v.Headers != nil {
		return v.Headers
	}
	if loc := reHeaderBlock.FindIndex(processed); loc != nil {
		return processed[:loc[1]]
	}
	return processed
}

// writeVerdict writes the reply to a scoring request; msg stands in for a
// Verdict without a Processed message.
func writeVerdict(w io.Writer, req *Request, v *Verdict, msg []byte) {
	spam := SpamLine(req.Method, v)
	if v.Render != nil {
		switch req.Method {
		case MethodProcess, MethodHeaders, MethodReport, MethodReportIfSpam:
			v.Render(v)
		}
	}
	switch req.Method {
	case MethodProcess, MethodHeaders:
		body := v.Processed
		if body == nil {
			body = msg
		}
		if req.Method == MethodHeaders {
			body = headerBlock(v, body)
		}
		switch {
		case req.V >= 1.3:
			fmt.Fprintf(w, "SPAMD/1.1 %d EX_OK\r\nContent-length: %d\r\n%s\r\n\r\n", exOK, len(body), spam)
		case req.V >= 1.2:
			fmt.Fprintf(w, "SPAMD/1.1 %d EX_OK\r\nContent-length: %d\r\n\r\n", exOK, len(body))
		default:
			fmt.Fprintf(w, "SPAMD/1.0 %d EX_OK\r\n", exOK)
		}
		w.Write(body)
		return
	case MethodCheck:
		fmt.Fprintf(w, "SPAMD/1.1 %d EX_OK\r\n%s\r\n\r\n", exOK, spam)
		return
	}
	var body string
	switch req.Method {
	case MethodReport:
		body = v.Report
	case MethodReportIfSpam:
		if v.IsSpam {
			body = v.Report
		}
	case MethodSymbols:
		body = strings.Join(sortedSymbols(v.Symbols), ",")
		if req.V < 1.3 {
			body += "\r\n"
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "SPAMD/1.1 %d EX_OK\r\n", exOK)
	if req.V >= 1.3 {
		fmt.Fprintf(&b, "Content-length: %d\r\n", len(body))
	}
	fmt.Fprintf(&b, "%s\r\n\r\n%s", spam, body)
	w.Write(b.Bytes())
}
