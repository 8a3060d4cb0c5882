package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mailwall/internal/config"
	"mailwall/internal/gateway"
	"mailwall/internal/quarantine"
	"mailwall/internal/queue"
	"mailwall/internal/spool"
)

func TestHandlers(t *testing.T) {
	dir := t.TempDir()
	sp, err := spool.Open(filepath.Join(dir, "spool"), 1)
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.Open(filepath.Join(dir, "q.db"), sp, nil, queue.Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	qs, err := quarantine.Open(filepath.Join(dir, "quarantine"), sp)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := sp.Create()
	w.Write([]byte("Subject: held\r\n\r\nx\r\n"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	qs.Put(quarantine.Entry{ID: w.ID(), From: "a@b.test", Rcpts: []string{"u@example.test"}, Reason: "spam", Time: time.Now()})
	st := &gateway.Stats{}
	st.Viruses.Add(3)
	srv := httptest.NewServer(New(Deps{Queue: q, Quarantine: qs, Stats: st, Config: config.Demo()}))
	defer srv.Close()
	get := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		method, path string
		code         int
		want         string
	}{
		{"GET", "/healthz", 200, "ok"},
		{"GET", "/metrics", 200, "mailwall_viruses_total 3"},
		{"GET", "/api/queue", 200, "[]"},
		{"GET", "/api/quarantine", 200, `"reason":"spam"`},
		{"GET", "/", 200, "local demo configuration"},
		{"DELETE", "/api/quarantine/nosuchid", 404, ""},
		{"POST", "/api/quarantine/" + w.ID() + "/release", 200, "released"},
		{"GET", "/api/quarantine", 200, "[]"},
		{"GET", "/api/queue", 200, w.ID()},
	}
	for _, tt := range tests {
		code, body := get(tt.method, tt.path)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s = %d %q, want %d containing %q", tt.method, tt.path, code, body, tt.code, tt.want)
		}
	}
}
