package main

import (
	"strings"

	"mailwall/internal/config"
	"mailwall/internal/gateway"
)

func routerFor(cfg *config.Config) *gateway.Router {
	var pairs [][2]string
	for _, r := range cfg.Routes {
		for _, d := range r.Domains {
			pairs = append(pairs, [2]string{d, r.NextHop})
		}
	}
	return gateway.NewRouter(pairs)
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
