// Package web serves the admin side of mailwall on its own listener:
// health, Prometheus metrics, a small dashboard, and the JSON API that the
// command line (`mailwall queue ...`) uses while the gateway runs.
//
// # API
//
//	GET    /healthz              "ok"
//	GET    /metrics              Prometheus text format
//	GET    /api/queue            queued messages (JSON)
//	POST   /api/queue/flush      retry every deferred recipient now
//	DELETE /api/queue/{id}       delete a queued message
//	GET    /api/quarantine       quarantined messages (JSON)
//	POST   /api/quarantine/{id}/release   deliver to the original recipients
//	DELETE /api/quarantine/{id}  delete a quarantined message
//	GET    /                     dashboard
package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"mailwall/internal/config"
	"mailwall/internal/gateway"
	"mailwall/internal/quarantine"
	"mailwall/internal/queue"
)

// Deps are what the handlers read.
type Deps struct {
	Queue      *queue.Queue
	Quarantine *quarantine.Store
	Stats      *gateway.Stats
	Config     *config.Config
}

type server struct {
	d       Deps
	started time.Time
}

// New returns the handler.
func New(d Deps) http.Handler {
	s := &server{d: d, started: time.Now()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /metrics", s.metrics)
	mux.HandleFunc("GET /api/queue", s.queueList)
	mux.HandleFunc("POST /api/queue/flush", s.queueFlush)
	mux.HandleFunc("DELETE /api/queue/{id}", s.queueDelete)
	mux.HandleFunc("GET /api/quarantine", s.quarantineList)
	mux.HandleFunc("POST /api/quarantine/{id}/release", s.quarantineRelease)
	mux.HandleFunc("DELETE /api/quarantine/{id}", s.quarantineDelete)
	mux.HandleFunc("GET /{$}", s.dashboard)
	return mux
}

func (s *server) queueList(w http.ResponseWriter, _ *http.Request) {
	items, err := s.d.Queue.List()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(items)
}

func (s *server) queueFlush(w http.ResponseWriter, _ *http.Request) {
	s.d.Queue.Flush()
	fmt.Fprintln(w, "flushed")
}

func (s *server) queueDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.d.Queue.Delete(r.PathValue("id")); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	fmt.Fprintln(w, "deleted")
}

func (s *server) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	st := s.d.Stats
	counter := func(name, help string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	counter("mailwall_connections_total", "SMTP connections accepted.", st.Connections.Load())
	counter("mailwall_messages_queued_total", "Messages accepted and queued.", st.Messages.Load())
	counter("mailwall_rejected_total", "Commands or messages refused with 5xx.", st.Rejected.Load())
	counter("mailwall_tempfailed_total", "Commands or messages refused with 4xx.", st.TempFailed.Load())
	counter("mailwall_discarded_total", "Messages accepted and dropped.", st.Discarded.Load())
	counter("mailwall_quarantined_total", "Messages quarantined.", st.Quarantined.Load())
	counter("mailwall_viruses_total", "Messages with a virus found.", st.Viruses.Load())
	counter("mailwall_spam_total", "Messages scored as spam.", st.Spam.Load())
	if items, err := s.d.Queue.List(); err == nil {
		fmt.Fprintf(w, "# HELP mailwall_queue_messages Messages in the queue.\n# TYPE mailwall_queue_messages gauge\nmailwall_queue_messages %d\n", len(items))
	}
}

var dashboardTmpl = template.Must(template.New("d").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>mailwall — {{.Host}}</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em .8em;text-align:left}</style></head>
<body><h1>mailwall on {{.Host}}</h1>
<p>Up since {{.Started.Format "2006-01-02 15:04:05 MST"}}{{if .Demo}} — <b>local demo configuration</b>{{end}}</p>
<table><tr><th>connections</th><td>{{.S.Connections.Load}}</td></tr>
<tr><th>queued</th><td>{{.S.Messages.Load}}</td></tr>
<tr><th>rejected</th><td>{{.S.Rejected.Load}}</td></tr>
<tr><th>viruses</th><td>{{.S.Viruses.Load}}</td></tr>
<tr><th>spam</th><td>{{.S.Spam.Load}}</td></tr></table>
<h2>Queue</h2><table><tr><th>ID</th><th>from</th><th>size</th><th>recipients</th></tr>
{{range .Items}}<tr><td>{{.ID}}</td><td>{{.From}}</td><td>{{.Size}}</td><td>{{range .Rcpts}}{{.Addr}} ({{.State}}{{if .Reply}}: {{.Reply}}{{end}}) {{end}}</td></tr>{{end}}
</table></body></html>`))

func (s *server) dashboard(w http.ResponseWriter, _ *http.Request) {
	items, _ := s.d.Queue.List()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	dashboardTmpl.Execute(w, map[string]any{"Host": s.d.Config.Hostname, "Started": s.started,
		"Demo": s.d.Config.Demo, "S": s.d.Stats, "Items": items})
}

func (s *server) quarantineList(w http.ResponseWriter, _ *http.Request) {
	list, err := s.d.Quarantine.List()
	if err != nil && list == nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if list == nil {
		list = []quarantine.Entry{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(list)
}

func (s *server) quarantineRelease(w http.ResponseWriter, r *http.Request) {
	if _, err := s.d.Quarantine.Release(r.Context(), r.PathValue("id"), s.d.Queue); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	fmt.Fprintln(w, "released")
}

func (s *server) quarantineDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.d.Quarantine.Delete(r.PathValue("id")); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	fmt.Fprintln(w, "deleted")
}
