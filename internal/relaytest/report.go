package relaytest

import (
	"fmt"
	"io"
)

// # Output
//
// One line per probe, then a verdict per host:
//
//	127.0.0.1:25 probe  1 plain foreign recipient: MAIL <a@b> RCPT <c@d>: 550 5.7.1 ...: refused
//	127.0.0.1:25: no relay (0 of 20 probes accepted)
//
// and after all hosts "Finished scanning. N out of M hosts will relay."

// WriteReport prints the lines of one host.
func WriteReport(w io.Writer, r *Report) {
	if r.Err != nil {
		fmt.Fprintf(w, "%s: not tested: %v\n", r.Addr, r.Err)
		return
	}
	fmt.Fprintf(w, "%s: %s\n", r.Addr, r.Greeting)
	n := 0
	for i, o := range r.Outcomes {
		verdict := "refused"
		switch {
		case o.Relayed:
			verdict = "RELAYED"
			n++
		case o.Err != nil:
			verdict = "error: " + o.Err.Error()
		case o.Stage == "MAIL":
			verdict = "refused at MAIL"
		}
		fmt.Fprintf(w, "%s probe %2d %s: MAIL <%s> RCPT <%s>: %s: %s\n",
			r.Addr, i+1, o.Probe.Name, o.Probe.From, o.Probe.To, o.Reply, verdict)
	}
	if n > 0 {
		fmt.Fprintf(w, "%s: OPEN RELAY (%d of %d probes accepted)\n", r.Addr, n, len(r.Outcomes))
	} else {
		fmt.Fprintf(w, "%s: no relay (0 of %d probes accepted)\n", r.Addr, len(r.Outcomes))
	}
}

// WriteSummary prints the final line.
func WriteSummary(w io.Writer, reports []*Report) {
	n := 0
	for _, r := range reports {
		if r.Relays() {
			n++
		}
	}
	fmt.Fprintf(w, "Finished scanning. %d out of %d hosts will relay.\n", n, len(reports))
}
