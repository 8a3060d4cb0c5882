package bayes

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"mailwall/internal/store"
)

// benchMessage is a 4 KB spam-like message with HTML and headers.
func benchMessage(i int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from relay%d.example.net (relay.example.net [192.0.2.%d]) by mx.example.org with ESMTP id ABC%dDEF; Mon, 1 Jan 2024 10:00:00 +0000\r\n", i, i%250, i)
	fmt.Fprintf(&b, "From: \"Deals %d\" <deals%d@shop%d.example.com>\r\nTo: user@example.org\r\nSubject: Cheap offer number %d\r\n", i, i, i%7, i)
	fmt.Fprintf(&b, "Message-ID: <%d.%d@shop.example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n", i, i*7)
	b.WriteString("<html><body><p>")
	for j := 0; j < 60; j++ {
		fmt.Fprintf(&b, "Buy Cheap pills%d now, limited offer at <a href=\"http://shop%d.example.com/p?id=%d\">our store</a>. ", j%9, i%7, j)
	}
	b.WriteString("</p></body></html>\r\n")
	return []byte(b.String())
}

func BenchmarkTokens(b *testing.B) {
	raw := benchMessage(1)
	c := New(nil, Options{})
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		c.Tokens(InputFromRaw(raw))
	}
}

func BenchmarkClassifyBolt(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	c := New(st, Options{MinSpam: 1, MinHam: 1})
	ctx := context.Background()
	for i := range 50 {
		c.Learn(ctx, InputFromRaw(benchMessage(i)), i%2 == 0)
	}
	in := InputFromRaw(benchMessage(999))
	for b.Loop() {
		if _, ok, err := c.Probability(ctx, in); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
