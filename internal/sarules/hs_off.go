//go:build !hyperscan || !cgo

package sarules

import "errors"

// HyperscanBuilt reports whether this binary has the Hyperscan prefilter
// (build tag hyperscan, see hs.go).
const HyperscanBuilt = false

// hsDB stands in for a Hyperscan database: without the build tag none
// is ever made.
type hsDB struct{}

func (db *hsDB) scan(s string, found []uint64) {}

func (db *hsDB) size() int { return 0 }

// CompileHyperscan fails: this binary is built without Hyperscan.
func (rs *Ruleset) CompileHyperscan(cacheDir string) (HyperscanStats, error) {
	return HyperscanStats{}, errors.New("built without hyperscan (go build -tags hyperscan, with libhyperscan-dev)")
}
