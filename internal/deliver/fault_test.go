package deliver

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// scriptServer accepts connections and answers each command line by the
// first matching prefix in script ("" is the greeting); "SILENT" sends
// nothing, "CLOSE" hangs up.
func scriptServer(t *testing.T, script map[string]string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				say := func(key string) bool {
					switch r := script[key]; r {
					case "SILENT":
						<-done
						return false
					case "CLOSE":
						return false
					default:
						c.Write([]byte(r))
						return true
					}
				}
				if !say("") {
					return
				}
				br := bufio.NewReader(c)
				inData := false
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if inData {
						if line == ".\r\n" {
							inData = false
							if !say(".") {
								return
							}
						}
						continue
					}
					verb := strings.ToUpper(strings.TrimSpace(strings.SplitN(line, ":", 2)[0]))
					verb = strings.Fields(verb + " x")[0]
					if _, ok := script[verb]; !ok {
						c.Write([]byte("250 ok\r\n"))
						continue
					}
					if !say(verb) {
						return
					}
					inData = verb == "DATA" && strings.HasPrefix(script[verb], "354")
				}
			})
		}
	})
	t.Cleanup(func() { close(done); l.Close(); wg.Wait() })
	return l.Addr().String()
}

func TestNextHopFaults(t *testing.T) {
	tests := []struct {
		name      string
		script    map[string]string
		code      int
		permanent bool
	}{
		{"silent greeting", map[string]string{"": "SILENT"}, 0, false},
		{"421 greeting", map[string]string{"": "421 4.3.2 busy\r\n"}, 421, false},
		{"554 greeting defers", map[string]string{"": "554 5.7.1 go away\r\n"}, 554, false},
		{"hang up after EHLO", map[string]string{"": "220 x\r\n", "EHLO": "CLOSE"}, 0, false},
		{"421 at MAIL", map[string]string{"": "220 x\r\n", "MAIL": "421 4.4.2 closing\r\n"}, 421, false},
		{"550 at MAIL", map[string]string{"": "220 x\r\n", "MAIL": "550 5.7.1 sender refused\r\n"}, 550, true},
		{"silent after data", map[string]string{"": "220 x\r\n", "DATA": "354 go\r\n", ".": "SILENT"}, 0, false},
		{"452 after data", map[string]string{"": "220 x\r\n", "DATA": "354 go\r\n", ".": "452 4.3.1 full\r\n"}, 452, false},
		{"554 to DATA", map[string]string{"": "220 x\r\n", "DATA": "554 5.5.1 no\r\n"}, 554, true},
		{"garbage reply", map[string]string{"": "220 x\r\n", "MAIL": "hello there\r\n"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := scriptServer(t, tt.script)
			d := newTest(t, Options{Timeout: 300 * time.Millisecond})
			r := deliver(t, d, "smtp://"+addr, "a@x.test", []string{"b@x.test"}, msg)["b@x.test"]
			if r.Err == nil || r.Code != tt.code || r.Permanent != tt.permanent {
				t.Errorf("result %+v; want code %d permanent %v", r, tt.code, tt.permanent)
			}
		})
	}
}
