package bayes

import "testing"

// FuzzTokens feeds arbitrary messages through the MIME walk and the
// tokenizer: no panic, and every token is non-empty.
func FuzzTokens(f *testing.F) {
	f.Add([]byte("Subject: hi\r\n\r\nHello World. Visit www.example.com or bob@example.com\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/html\n\n<a href=\"http://e.example\">X</a><script>y</script>\n--x--\n"))
	f.Add([]byte("Content-Transfer-Encoding: base64\n\n4pyTIMOgIGxhIG1vZGU=\n"))
	f.Add([]byte("Received: from a (b [1.2.3.4]) by c with ESMTP id ABCDEF12345 ; Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <20240101100000.ABCDEF1234@x>\n\n\xff\xfe\xc3\xa9\xe6\x97\xa5...--\n"))
	c := New(nil, Options{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, tok := range c.Tokens(InputFromRaw(raw)) {
			if tok == "" {
				t.Fatal("empty token")
			}
		}
	})
}
