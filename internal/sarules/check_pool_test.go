package sarules

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
)

// TestConcurrentChecksAgreeWithSequential: Checks running at once, each
// reusing pooled per-rule state, score every message as a lone Check does.
func TestConcurrentChecksAgreeWithSequential(t *testing.T) {
	rs := loadStock(t)
	msgs := [][]byte{[]byte(gtube), []byte("Received: from mx.example.com (mx.example.com [203.0.113.9]) by gw.example.org with ESMTPSA id 1; Tue, 12 Mar 2002 10:00:00 +0000\n" +
		"From: Someone <someone@hotmail.com>\nTo: you@example.org\nSubject: FREE money\nDate: Tue, 12 Mar 2002 10:00:00 +0000\n\n" +
		"Visit www.example.com or write to a@example.net\n\n\nBye\n")}
	for _, f := range []string{"/usr/share/doc/spamassassin/examples/sample-spam.txt", "/usr/share/doc/spamassassin/examples/sample-nonspam.txt"} {
		if raw, err := os.ReadFile(f); err == nil {
			msgs = append(msgs, raw)
		}
	}
	type outcome struct {
		score         float64
		tests, subHit []string
	}
	check := func(raw []byte) outcome {
		res := rs.Check(context.Background(), NewMessage(raw), CheckOptions{Local: true})
		return outcome{res.Score, res.Tests(), res.SubHits}
	}
	want := make([]outcome, len(msgs))
	for i, raw := range msgs {
		want[i] = check(raw)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4*len(msgs)*5)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 5; round++ {
				for i := range msgs {
					j := (i + g + round) % len(msgs)
					if got := check(msgs[j]); !reflect.DeepEqual(got, want[j]) {
						errs <- fmt.Sprintf("message %d: %+v, alone %+v", j, got, want[j])
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
