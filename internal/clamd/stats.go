package clamd

import (
	"fmt"
	"runtime"
	"time"
)

// stats is the STATS reply in clamd's layout, so monitoring scripts that
// parse it (THREADS, QUEUE, MEMSTATS) keep working. mailwall has no thread
// pool: live is the connections being served, max is MaxConnections.
func (s *Server) stats() string {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	mb := func(b uint64) string { return fmt.Sprintf("%.3fM", float64(b)/(1<<20)) }
	live := s.live.Load()
	return fmt.Sprintf("POOLS: 1\n\nSTATE: VALID PRIMARY\n"+
		"THREADS: live %d  idle 0 max %d idle-timeout %d\n"+
		"QUEUE: 0 items\n\tSTATS %.6f \n\n"+
		"MEMSTATS: heap %s mmap N/A used %s free %s releasable N/A pools 1 pools_used %s pools_total %s\nEND",
		live, s.opt.MaxConnections, int(s.opt.IdleTimeout/time.Second),
		0.0,
		mb(m.HeapSys), mb(m.HeapInuse), mb(m.HeapIdle), mb(m.HeapInuse), mb(m.HeapSys))
}

// FormatVersion builds a VERSION reply like clamd's: "ClamAV <engine>" and,
// when a database version is known, "/<db version>/<db time in ctime
// format>", e.g. "ClamAV 1.4.6/27467/Mon Nov 23 09:40:00 2026".
func FormatVersion(engine string, dbVersion uint, dbTime time.Time) string {
	if dbVersion == 0 {
		return "ClamAV " + engine
	}
	return fmt.Sprintf("ClamAV %s/%d/%s", engine, dbVersion, dbTime.Format("Mon Jan _2 15:04:05 2006"))
}
